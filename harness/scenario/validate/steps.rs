//! `[[steps]]`: exactly one action per step, and only the modifiers that action uses.

use super::{opt_span, span, Cx};
use crate::diagnostics::Span;
use crate::scenario::model::{
    ChangeKind, ConnectorAction, Fault, Generator, JobAction, SlotCheck, SlotState, Step, StepKind,
    Timeouts,
};
use crate::scenario::raw::RawStep;
use crate::scenario::units::parse_bytes;
use toml::Spanned as S;

const ACTIONS: &[&str] =
    &["sql", "wait", "wait_until", "generate", "job", "connector", "fault", "verify_slot"];

pub fn step(cx: &mut Cx, raw: &S<RawStep>, timeouts: &Timeouts) -> Option<Step> {
    let s = raw.get_ref();
    let fields: Vec<(&str, Option<Span>)> = vec![
        ("sql", opt_span(&s.sql)),
        ("wait", opt_span(&s.wait)),
        ("wait_until", opt_span(&s.wait_until)),
        ("generate", opt_span(&s.generate)),
        ("job", opt_span(&s.job)),
        ("connector", opt_span(&s.connector)),
        ("fault", opt_span(&s.fault)),
        ("verify_slot", opt_span(&s.verify_slot)),
        ("name", opt_span(&s.name)),
        ("timeout", opt_span(&s.timeout)),
        ("table", opt_span(&s.table)),
        ("count", opt_span(&s.count)),
        ("from", opt_span(&s.from)),
        ("per_transaction", opt_span(&s.per_transaction)),
        ("values", opt_span(&s.values)),
        ("set", opt_span(&s.set)),
        ("where", opt_span(&s.condition)),
        ("size", opt_span(&s.size)),
        ("slot", opt_span(&s.slot)),
        ("max_retained_wal", opt_span(&s.max_retained_wal)),
        ("min_retained_wal", opt_span(&s.min_retained_wal)),
        ("confirmed_flush_advances", opt_span(&s.confirmed_flush_advances)),
    ];
    let actions: Vec<(&str, Span)> = fields
        .iter()
        .filter(|(f, _)| ACTIONS.contains(f))
        .filter_map(|(f, sp)| sp.map(|sp| (*f, sp)))
        .collect();
    let action = match actions.as_slice() {
        [] => {
            cx.error(
                "scenario/step-without-action",
                span(raw),
                "this step does nothing: it has none of `sql`, `wait`, `wait_until`, `generate`, `job`, `connector`, `fault`, `verify_slot`",
                "add one, such as `sql = \"UPDATE orders SET quantity = 5 WHERE id = 1\"` or `wait = \"2s\"`",
            );
            return None;
        }
        [one] => one.0,
        [first, second, ..] => {
            cx.error(
                "scenario/step-with-two-actions",
                second.1,
                format!(
                    "a step does one thing, this one has both `{}` and `{}`",
                    first.0, second.0
                ),
                "split it into two [[steps]] tables; they run in file order",
            );
            return None;
        }
    };
    let allowed: &[&str] = match action {
        "sql" | "wait_until" | "job" | "connector" => &["name", "timeout"],
        "wait" => &["name"],
        "generate" => &[
            "name",
            "timeout",
            "table",
            "count",
            "from",
            "per_transaction",
            "values",
            "set",
            "where",
        ],
        "fault" => &["name", "timeout", "size"],
        _ => &[
            "name",
            "timeout",
            "slot",
            "max_retained_wal",
            "min_retained_wal",
            "confirmed_flush_advances",
        ],
    };
    let modifiers: Vec<_> = fields.iter().filter(|(f, _)| !ACTIONS.contains(f)).cloned().collect();
    let before = cx.findings.len();
    cx.reject_fields(&modifiers, allowed, &format!("a `{action}` step"));
    // A job or connector action starts or stops something and waits for it: it gets a job's
    // time by default.
    let default_timeout =
        if matches!(action, "job" | "connector") { timeouts.job } else { timeouts.step };
    let timeout = cx.duration(&s.timeout, "timeout").unwrap_or(default_timeout);

    let kind = match action {
        "sql" => s.sql.as_ref().map(|q| StepKind::Sql(cx.sql(q))),
        "wait_until" => s.wait_until.as_ref().map(|q| StepKind::WaitUntil(cx.sql(q))),
        "wait" => cx.duration(&s.wait, "wait").map(StepKind::Wait),
        "generate" => generator(cx, raw).map(StepKind::Generate),
        "job" => cx
            .choice(
                s.job.as_ref()?,
                "job",
                &[
                    ("start", JobAction::Start),
                    ("stop-with-savepoint", JobAction::StopWithSavepoint),
                    ("cancel", JobAction::Cancel),
                    ("resume-from-savepoint", JobAction::ResumeFromSavepoint),
                    ("resume-from-checkpoint", JobAction::ResumeFromCheckpoint),
                ],
                &[("stop", "write `stop-with-savepoint` (resumable) or `cancel` (no savepoint)")],
            )
            .map(StepKind::Job),
        "connector" => cx
            .choice(
                s.connector.as_ref()?,
                "connector",
                &[
                    ("pause", ConnectorAction::Pause),
                    ("resume", ConnectorAction::Resume),
                    ("restart", ConnectorAction::Restart),
                    ("delete", ConnectorAction::Delete),
                ],
                &[("start", "the connector starts with the job (`job = \"start\"`, or before the first step)")],
            )
            .map(StepKind::Connector),
        "fault" => fault(cx, raw).map(StepKind::Fault),
        _ => slot_check(cx, raw).map(StepKind::VerifySlot),
    };
    if cx.findings.len() > before {
        return None;
    }
    Some(Step {
        kind: kind?,
        name: s.name.as_ref().map(|n| n.get_ref().clone()),
        timeout,
        span: span(raw),
    })
}

fn generator(cx: &mut Cx, raw: &S<RawStep>) -> Option<Generator> {
    let s = raw.get_ref();
    let change = cx.choice(
        s.generate.as_ref()?,
        "generate",
        &[
            ("insert", ChangeKind::Insert),
            ("update", ChangeKind::Update),
            ("delete", ChangeKind::Delete),
        ],
        &[
            ("inserts", "write `insert`"),
            ("updates", "write `update`"),
            ("deletes", "write `delete`"),
        ],
    )?;
    let require = |cx: &mut Cx, field: &str, value: Option<String>, example: &str| {
        if value.is_none() {
            cx.missing(span(raw), field, example);
        }
        value
    };
    let table = require(
        cx,
        "table",
        s.table.as_ref().map(|t| t.get_ref().clone()),
        "table = \"public.orders\"",
    );
    let count =
        require(cx, "count", s.count.as_ref().map(|c| c.get_ref().to_string()), "count = 1000");
    let (template, condition) = match change {
        ChangeKind::Insert => {
            reject_for(
                cx,
                &[("set", opt_span(&s.set)), ("where", opt_span(&s.condition))],
                "insert",
            );
            (
                require(
                    cx,
                    "values",
                    s.values.as_ref().map(|v| v.get_ref().clone()),
                    "values = \"({n}, 'item {n}')\"",
                ),
                None,
            )
        }
        ChangeKind::Update => {
            reject_for(cx, &[("values", opt_span(&s.values))], "update");
            let set = require(
                cx,
                "set",
                s.set.as_ref().map(|v| v.get_ref().clone()),
                "set = \"quantity = quantity + 1\"",
            );
            (
                set,
                require(
                    cx,
                    "where",
                    s.condition.as_ref().map(|v| v.get_ref().clone()),
                    "where = \"id = {n}\"",
                ),
            )
        }
        ChangeKind::Delete => {
            reject_for(cx, &[("values", opt_span(&s.values)), ("set", opt_span(&s.set))], "delete");
            (
                Some(String::new()),
                require(
                    cx,
                    "where",
                    s.condition.as_ref().map(|v| v.get_ref().clone()),
                    "where = \"id = {n}\"",
                ),
            )
        }
    };
    let per_transaction = s.per_transaction.as_ref().map(|p| (*p.get_ref(), span(p)));
    if let Some((0, at)) = per_transaction {
        cx.error(
            "scenario/bad-count",
            at,
            "`per_transaction` must be at least 1",
            "write 1 for one transaction per change",
        );
        return None;
    }
    Some(Generator {
        change,
        table: table?,
        count: count?.parse().ok()?,
        first: s.from.as_ref().map(|f| *f.get_ref()).unwrap_or(1),
        per_transaction: per_transaction.map(|p| p.0).unwrap_or(1),
        template: template?,
        condition,
    })
}

fn reject_for(cx: &mut Cx, fields: &[(&str, Option<Span>)], change: &str) {
    for (field, at) in fields {
        if let Some(at) = at {
            cx.error(
                "scenario/field-not-allowed",
                *at,
                format!("`{field}` does not apply to `generate = \"{change}\"`"),
                "insert takes `values`; update takes `set` and `where`; delete takes `where`",
            );
        }
    }
}

fn fault(cx: &mut Cx, raw: &S<RawStep>) -> Option<Fault> {
    let s = raw.get_ref();
    #[derive(Clone, Copy)]
    enum Name {
        Simple(Fault),
        GenerateWal,
    }
    let name = cx.choice(
        s.fault.as_ref()?,
        "fault",
        &[
            ("restart-taskmanager", Name::Simple(Fault::RestartTaskManager)),
            ("restart-jobmanager", Name::Simple(Fault::RestartJobManager)),
            ("restart-postgres", Name::Simple(Fault::RestartPostgres)),
            ("terminate-walsender", Name::Simple(Fault::TerminateWalsender)),
            ("occupy-slot", Name::Simple(Fault::OccupySlot)),
            ("release-slot", Name::Simple(Fault::ReleaseSlot)),
            ("drop-slot", Name::Simple(Fault::DropSlot)),
            ("pause-broker", Name::Simple(Fault::PauseBroker)),
            ("unpause-broker", Name::Simple(Fault::UnpauseBroker)),
            ("generate-wal", Name::GenerateWal),
        ],
        &[
            ("stop-with-savepoint", "stopping the job is `job = \"stop-with-savepoint\"`"),
            ("cancel", "cancelling the job is `job = \"cancel\"`"),
        ],
    )?;
    match name {
        Name::Simple(fault) => {
            if let Some(size) = &s.size {
                cx.error(
                    "scenario/field-not-allowed",
                    span(size),
                    "`size` applies only to `fault = \"generate-wal\"`",
                    "remove it",
                );
            }
            Some(fault)
        }
        Name::GenerateWal => {
            let Some(size) = &s.size else {
                cx.missing(span(raw), "size", "size = \"64MB\"");
                return None;
            };
            bytes(cx, size, "size").map(|bytes| Fault::GenerateWal { bytes })
        }
    }
}

fn slot_check(cx: &mut Cx, raw: &S<RawStep>) -> Option<SlotCheck> {
    let s = raw.get_ref();
    let state = cx.choice(
        s.verify_slot.as_ref()?,
        "verify_slot",
        &[
            ("exists", SlotState::Exists),
            ("absent", SlotState::Absent),
            ("active", SlotState::Active),
            ("inactive", SlotState::Inactive),
        ],
        &[("dropped", "write `absent`"), ("missing", "write `absent`")],
    )?;
    let max_retained_wal_bytes = match &s.max_retained_wal {
        Some(v) => Some(bytes(cx, v, "max_retained_wal")?),
        None => None,
    };
    let min_retained_wal_bytes = match &s.min_retained_wal {
        Some(v) => Some(bytes(cx, v, "min_retained_wal")?),
        None => None,
    };
    Some(SlotCheck {
        slot: s.slot.as_ref().map(|v| v.get_ref().clone()),
        state,
        max_retained_wal_bytes,
        min_retained_wal_bytes,
        confirmed_flush_advances: s.confirmed_flush_advances.as_ref().is_some_and(|b| *b.get_ref()),
    })
}

fn bytes(cx: &mut Cx, value: &S<String>, field: &str) -> Option<u64> {
    match parse_bytes(value.get_ref()) {
        Ok(b) => Some(b),
        Err(why) => {
            cx.error(
                "scenario/bad-size",
                span(value),
                format!("`{field}` is not a size ({why})"),
                "write a number and a unit such as `64MB` (kB, MB, GB count in 1024s, as PostgreSQL does)",
            );
            None
        }
    }
}

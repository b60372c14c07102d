//! `cdc-harness slots`: the replication slots of a PostgreSQL and the WAL each holds back.

use super::up::runtime;
use super::Global;
use crate::postgres::{list_slots, PgClient, PgConfig, SlotInfo};
use crate::stack::interrupt;
use indicatif::HumanBytes;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

/// List replication slots: plugin, database, holder, LSNs, retained WAL, wal_status.
#[derive(Debug, clap::Args)]
pub struct SlotsArgs {
    /// postgres://user:password@host:port/database (slots are server-wide).
    #[arg(long, value_name = "URL", env = "CDC_HARNESS_PG", hide_env_values = true)]
    pub pg: String,
    /// Refresh every SECONDS (default 2) until Ctrl-C.
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, default_missing_value = "2",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub watch: Option<u64>,
}

pub fn run(args: SlotsArgs, _global: &Global) -> miette::Result<ExitCode> {
    runtime()?.block_on(slots(args))
}

async fn slots(args: SlotsArgs) -> miette::Result<ExitCode> {
    let listed = async {
        let pg = PgClient::connect(&PgConfig::from_url(&args.pg)?).await?;
        Ok::<_, crate::postgres::PgError>((list_slots(&pg).await?, pg))
    };
    let (first, pg) = match listed.await {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let Some(every) = args.watch else {
        print!("{}", render_table(&first));
        return Ok(ExitCode::SUCCESS);
    };
    let clear = std::io::stdout().is_terminal();
    let mut slots = first;
    loop {
        if clear {
            print!("\x1b[2J\x1b[H");
        }
        println!(
            "{}  {}  (every {every}s, Ctrl-C to stop)",
            pg.config(),
            chrono::Local::now().format("%H:%M:%S")
        );
        print!("{}", render_table(&slots));
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
            _ = interrupt() => return Ok(ExitCode::SUCCESS),
        }
        slots = match list_slots(&pg).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        };
    }
}

const HEADERS: [&str; 9] = [
    "SLOT",
    "PLUGIN",
    "DATABASE",
    "ACTIVE PID",
    "RESTART LSN",
    "CONFIRMED FLUSH",
    "RETAINED WAL",
    "WAL STATUS",
    "SAFE WAL SIZE",
];

fn bytes(value: Option<i64>) -> String {
    value.map_or("-".into(), |b| HumanBytes(b.max(0) as u64).to_string())
}

/// A column-aligned table, or a line saying there is none.
pub fn render_table(slots: &[SlotInfo]) -> String {
    if slots.is_empty() {
        return "no replication slots\n".into();
    }
    let dash = |v: Option<&str>| v.unwrap_or("-").to_string();
    let rows: Vec<[String; 9]> = slots
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                s.plugin.clone().unwrap_or_else(|| format!("({})", s.slot_type)),
                dash(s.database.as_deref()),
                s.active_pid.map_or("-".into(), |p| p.to_string()),
                dash(s.restart_lsn.as_deref()),
                dash(s.confirmed_flush_lsn.as_deref()),
                bytes(s.retained_wal_bytes),
                dash(s.wal_status.as_deref()),
                bytes(s.safe_wal_size),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> =
            cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(HEADERS.to_vec());
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(name: &str, retained: Option<i64>, pid: Option<i32>) -> SlotInfo {
        SlotInfo {
            name: name.into(),
            plugin: Some("pgoutput".into()),
            slot_type: "logical".into(),
            database: Some("shop".into()),
            temporary: false,
            active: pid.is_some(),
            active_pid: pid,
            restart_lsn: Some("0/1A2B3C4".into()),
            confirmed_flush_lsn: Some("0/1A2B400".into()),
            retained_wal_bytes: retained,
            wal_status: Some("reserved".into()),
            safe_wal_size: None,
        }
    }

    #[test]
    fn table_aligns_columns_and_shows_human_bytes() {
        let text = render_table(&[
            slot("orders_slot", Some(3 * 1024 * 1024 / 2), Some(4242)),
            slot("x", None, None),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("SLOT         PLUGIN    DATABASE  ACTIVE PID"), "{text}");
        assert!(lines[1].contains("4242") && lines[1].contains("1.50 MiB"), "{text}");
        let col = lines[0].find("RETAINED WAL").unwrap();
        assert_eq!(&lines[1][col..col + 8], "1.50 MiB");
        assert_eq!(&lines[2][col..col + 1], "-");
    }

    #[test]
    fn no_slots_says_so() {
        assert_eq!(render_table(&[]), "no replication slots\n");
    }
}

//! Checks a table's WITH options against its connector's catalogue entry: unknown keys, missing
//! required keys, typed values, option groups, format options, placeholders, duplicates.

use super::connector::Resolved;
use super::{suggest, LintConfig};
use crate::diagnostics::{Finding, Span};
use crate::sql::catalog::{check_value, Catalog, ConnectorSpec, FormatSpec, OptionSpec};
use crate::sql::ddl::{CreateTable, TableOption};

/// Options whose values have a dedicated rule elsewhere (the generic type check would say less).
const DEDICATED: &[(&str, &str)] = &[("postgres-cdc", "decoding.plugin.name")];

/// Whether an option's value must never appear in a finding.
pub fn is_secret(key: &str, spec: Option<&OptionSpec>) -> bool {
    spec.is_some_and(|s| s.secret) || crate::secret::is_secret_key(key)
}

/// The `<...>` placeholder in a value, if any (the Aiven console's templates use them).
pub fn placeholder(value: &str) -> Option<&str> {
    let start = value.find('<')?;
    let len = value[start + 1..].find('>')?;
    let inner = &value[start + 1..start + 1 + len];
    (!inner.is_empty() && !inner.contains('<')).then(|| &value[start..start + len + 2])
}

pub fn check(resolved: &Resolved<'_>, config: &LintConfig, out: &mut Vec<Finding>) {
    let table = resolved.table;
    let repeats = super::repeated(table.options.iter().map(|o| o.key.as_str()));
    for (i, opt) in table.options.iter().enumerate() {
        if repeats.binary_search(&i).is_ok() {
            out.push(
                Finding::warning(
                    "option/duplicate",
                    opt.key_span,
                    format!("'{}' is set twice; Flink keeps only this one", opt.key),
                )
                .with_label("set again here")
                .with_help("remove one of the two"),
            );
        }
        check_placeholder(opt, resolved.spec, out);
    }
    let Some(spec) = resolved.spec else { return };
    let formats = FormatsInUse::of(table, spec);
    for opt in &table.options {
        if opt.key == "connector" || placeholder(&opt.value).is_some() {
            continue;
        }
        if let Some(o) = spec.option(&opt.key) {
            if !DEDICATED.contains(&(spec.connector.as_str(), o.key.as_str())) {
                check_typed(opt, o, out);
            }
            check_version(opt, o, spec, config, out);
            if let Some(note) = &o.note {
                if note.starts_with("deprecated") {
                    out.push(Finding::warning(
                        "option/deprecated",
                        opt.key_span,
                        format!("'{}' is {note}", o.key),
                    ));
                }
            }
        } else if spec.passthrough_prefix(&opt.key).is_some() {
            // Passed to Debezium or the Kafka client as is.
        } else if let Some((format, rest)) = formats.owner(&opt.key) {
            check_format_option(opt, format, rest, out);
        } else {
            unknown_option(opt, spec, &formats, out);
        }
    }
    check_required(table, spec, out);
    check_groups(table, spec, out);
    check_format_names(table, spec, out);
}

fn check_placeholder(opt: &TableOption, spec: Option<&ConnectorSpec>, out: &mut Vec<Finding>) {
    let Some(p) = placeholder(&opt.value) else { return };
    let message = if is_secret(&opt.key, spec.and_then(|s| s.option(&opt.key))) {
        format!("'{}' still holds a template placeholder", opt.key)
    } else {
        format!("'{}' still holds the placeholder {p}", opt.key)
    };
    out.push(
        Finding::error("option/placeholder", opt.value_span, message)
            .with_label("placeholder")
            .with_help("replace it with the real value (the harness fills endpoint options for the stack it runs)"),
    );
}

pub(crate) fn check_typed(opt: &TableOption, spec: &OptionSpec, out: &mut Vec<Finding>) {
    let Err(e) = check_value(spec, &opt.value) else { return };
    let shown =
        if is_secret(&opt.key, Some(spec)) { String::new() } else { format!(" = '{}'", opt.value) };
    let mut help = e.hint;
    if let Some(s) = (spec.values.len() > 1)
        .then(|| suggest::did_you_mean(&opt.value, spec.values.iter().map(String::as_str)))
        .flatten()
    {
        help = format!("did you mean '{s}'? {help}");
    }
    out.push(
        Finding::error(
            "option/type",
            opt.value_span,
            format!("'{}'{shown}: expected {}", opt.key, e.expected),
        )
        .with_label(format!("expected {}", e.expected))
        .with_help(help),
    );
}

fn check_version(
    opt: &TableOption,
    o: &OptionSpec,
    spec: &ConnectorSpec,
    config: &LintConfig,
    out: &mut Vec<Finding>,
) {
    if spec.connector != "jdbc" {
        return;
    }
    let Some(since) = &o.since else { return };
    if config
        .jdbc_minor
        .is_some_and(|minor| version_lt(&format!("{}.{minor}", config.jdbc_major), since))
    {
        out.push(
            Finding::error(
                "option/version",
                opt.key_span,
                format!("'{}' needs flink-connector-jdbc {since} or later", o.key),
            )
            .with_help("upgrade the connector or drop the option"),
        );
    }
}

fn version_lt(a: &str, b: &str) -> bool {
    let parse = |v: &str| v.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
    parse(a) < parse(b)
}

/// The formats a table names and the prefixes their options use.
struct FormatsInUse {
    /// (prefix such as `value.json.`, format)
    prefixes: Vec<(String, Option<&'static FormatSpec>, String)>,
}

impl FormatsInUse {
    fn of(table: &CreateTable, spec: &ConnectorSpec) -> Self {
        let mut prefixes = Vec::new();
        for key in &spec.formats {
            if let Some(opt) = table.option(key) {
                let scope = key.strip_suffix("format").unwrap_or("");
                prefixes.push((
                    format!("{scope}{}.", opt.value),
                    Catalog::get().format(&opt.value),
                    opt.value.clone(),
                ));
            }
        }
        FormatsInUse { prefixes }
    }

    /// The format an option key belongs to and the key without its prefix.
    fn owner<'k>(&self, key: &'k str) -> Option<(Option<&'static FormatSpec>, &'k str)> {
        self.prefixes.iter().find_map(|(prefix, format, _)| {
            key.strip_prefix(prefix.as_str()).map(|rest| (*format, rest))
        })
    }
}

fn check_format_option(
    opt: &TableOption,
    format: Option<&FormatSpec>,
    rest: &str,
    out: &mut Vec<Finding>,
) {
    let Some(format) = format else { return }; // an unknown format is reported once, on its name
    if format.open {
        return;
    }
    let prefix = &opt.key[..opt.key.len() - rest.len()];
    match format.option(rest) {
        Some(o) => check_typed(opt, o, out),
        None => {
            let candidates: Vec<String> =
                format.options.iter().map(|o| format!("{prefix}{}", o.key)).collect();
            let mut f = Finding::error(
                "option/unknown",
                opt.key_span,
                format!(
                    "unknown option '{}': the {} format has no option '{rest}'",
                    opt.key, format.name
                ),
            )
            .with_label("unknown format option");
            if let Some(h) = suggest::hint(&opt.key, candidates.iter().map(String::as_str)) {
                f = f.with_help(h);
            }
            out.push(f);
        }
    }
}

fn unknown_option(
    opt: &TableOption,
    spec: &ConnectorSpec,
    formats: &FormatsInUse,
    out: &mut Vec<Finding>,
) {
    let mut candidates: Vec<String> = spec.options.iter().map(|o| o.key.clone()).collect();
    for (prefix, format, _) in &formats.prefixes {
        if let Some(f) = format {
            candidates.extend(f.options.iter().map(|o| format!("{prefix}{}", o.key)));
        }
    }
    let mut finding = Finding::error(
        "option/unknown",
        opt.key_span,
        format!("unknown option '{}' for connector '{}'", opt.key, spec.connector),
    )
    .with_label("unknown option");
    let misplaced_format = Catalog::get().formats.iter().find(|f| {
        ["", "key.", "value."]
            .iter()
            .any(|scope| opt.key.starts_with(&format!("{scope}{}.", f.name)))
    });
    let suggestion = suggest::hint(&opt.key, candidates.iter().map(String::as_str));
    let help = if let Some(f) = misplaced_format {
        let applies =
            format!("'{}.*' options apply only when the table's format is '{}'", f.name, f.name);
        Some(match suggestion {
            Some(h) => format!("{applies}; {h}"),
            None => applies,
        })
    } else if suggestion.is_some() {
        suggestion
    } else if !spec.passthrough.is_empty() {
        Some(format!(
            "options under {} are passed through; see {}",
            spec.passthrough.iter().map(|p| format!("'{p}*'")).collect::<Vec<_>>().join(", "),
            spec.doc
        ))
    } else {
        Some(format!("see {}", spec.doc))
    };
    if let Some(h) = help {
        finding = finding.with_help(h);
    }
    out.push(finding);
}

fn check_required(table: &CreateTable, spec: &ConnectorSpec, out: &mut Vec<Finding>) {
    if table.like.is_some() {
        return; // the other options come from the LIKE table
    }
    let missing: Vec<&str> = spec
        .options
        .iter()
        .filter(|o| o.required && table.option(&o.key).is_none())
        .map(|o| o.key.as_str())
        .collect();
    let span = options_span(table);
    if !missing.is_empty() {
        let list = quoted_list(&missing);
        out.push(
            Finding::error(
                "option/missing-required",
                span,
                format!("connector '{}' requires {list}", spec.connector),
            )
            .with_label(format!("missing {list}"))
            .with_help(format!(
                "add {} to the WITH options",
                missing.iter().map(|k| format!("'{k}' = '...'")).collect::<Vec<_>>().join(", ")
            )),
        );
    }
    for group in &spec.one_of {
        if group.iter().all(|k| table.option(k).is_none()) {
            let keys: Vec<&str> = group.iter().map(String::as_str).collect();
            out.push(
                Finding::error(
                    "option/missing-required",
                    span,
                    format!(
                        "connector '{}' needs {}",
                        spec.connector,
                        quoted_list_with(&keys, "or")
                    ),
                )
                .with_help(format!("add '{}' = '...'", keys[0])),
            );
        }
    }
}

fn check_groups(table: &CreateTable, spec: &ConnectorSpec, out: &mut Vec<Finding>) {
    for group in &spec.exclusive {
        let set: Vec<&TableOption> = group.iter().filter_map(|k| table.option(k)).collect();
        if set.len() > 1 {
            let keys: Vec<&str> = set.iter().map(|o| o.key.as_str()).collect();
            out.push(
                Finding::error(
                    "option/conflict",
                    set[1].key_span,
                    format!("{} cannot be set together", quoted_list(&keys)),
                )
                .with_help(format!("keep only one of {}", quoted_list(&keys))),
            );
        }
    }
    for group in &spec.all_or_none {
        let (set, unset): (Vec<&String>, Vec<&String>) =
            group.iter().partition(|k| table.option(k).is_some());
        if !set.is_empty() && !unset.is_empty() {
            let first = table.option(set[0]).map_or(options_span(table), |o| o.key_span);
            let unset: Vec<&str> = unset.iter().map(|s| s.as_str()).collect();
            let all: Vec<&str> = group.iter().map(String::as_str).collect();
            out.push(
                Finding::error(
                    "option/all-or-none",
                    first,
                    format!(
                        "{} must be set together, but {} missing",
                        quoted_list(&all),
                        verb_list(&unset)
                    ),
                )
                .with_help(format!("add {} or remove the others", quoted_list(&unset))),
            );
        }
    }
    for r in &spec.requires {
        let Some(opt) = table.option(&r.key) else { continue };
        let applies = r.value.as_ref().is_none_or(|v| v.eq_ignore_ascii_case(&opt.value));
        if applies && table.option(&r.needs).is_none() {
            let when = match &r.value {
                Some(v) => format!("'{}' = '{v}'", r.key),
                None => format!("'{}'", r.key),
            };
            out.push(
                Finding::error(
                    "option/missing-required",
                    opt.span(),
                    format!("{when} requires '{}'", r.needs),
                )
                .with_help(format!("add '{}' = '...'", r.needs)),
            );
        }
    }
}

fn check_format_names(table: &CreateTable, spec: &ConnectorSpec, out: &mut Vec<Finding>) {
    let catalog = Catalog::get();
    for key in &spec.formats {
        let Some(opt) = table.option(key) else { continue };
        if placeholder(&opt.value).is_some() || catalog.format(&opt.value).is_some() {
            continue;
        }
        let names = catalog.formats.iter().map(|f| f.name.as_str());
        match suggest::did_you_mean(&opt.value, names) {
            Some(s) => out.push(
                Finding::error("format/unknown", opt.value_span, format!("unknown format '{}'", opt.value))
                    .with_label("unknown format")
                    .with_help(format!("did you mean '{s}'? (format names are case-sensitive)")),
            ),
            None => out.push(
                Finding::warning("format/unknown", opt.value_span, format!("format '{}' is not one the linter knows; its options are not checked", opt.value))
                    .with_help("built-in formats: json, csv, avro, raw, debezium-json, canal-json, maxwell-json, avro-confluent"),
            ),
        }
    }
}

/// Where findings about the option list as a whole point.
pub fn options_span(table: &CreateTable) -> Span {
    table.with_span.unwrap_or(table.name.span)
}

fn quoted_list(keys: &[&str]) -> String {
    quoted_list_with(keys, "and")
}

fn quoted_list_with(keys: &[&str], conjunction: &str) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("'{k}'")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} {conjunction} {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

fn verb_list(keys: &[&str]) -> String {
    format!("{} {}", quoted_list(keys), if keys.len() == 1 { "is" } else { "are" })
}

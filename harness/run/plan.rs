//! Reading every scenario before anything starts: parse, convert the expectations, generate and
//! lint the SQL and connector configuration it will run, and refuse two scenarios that would
//! share isolated names.

use super::convert::{convert_expectation, sink_format};
use crate::diagnostics::Finding;
use crate::expect;
use crate::kafka::SinkFormat;
use crate::postgres::IsolatedNames;
use crate::scenario::{self, Scenario, SourceConnector};
use crate::sql::generate::{generate, Dialect, Target};
use crate::sql::lint::refusals;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A scenario ready to run.
#[derive(Debug, Clone)]
pub struct Planned {
    pub path: PathBuf,
    pub scenario: Scenario,
    pub expectations: Vec<expect::Expectation>,
    pub format: SinkFormat,
    /// From the structured source or the verbatim SQL's connector.
    pub connector: Option<SourceConnector>,
    pub names: IsolatedNames,
}

impl Planned {
    /// A Debezium source runs on Kafka Connect.
    pub fn needs_connect(&self) -> bool {
        self.connector == Some(SourceConnector::Debezium)
    }
}

/// Every problem found, rendered (findings with file:line and snippets).
#[derive(Debug, thiserror::Error)]
#[error("{count} scenario problem(s); nothing was started")]
pub struct PlanError {
    pub count: usize,
    pub rendered: String,
}

/// Reads `paths` (files, or folders whose `*.toml` files are taken in name order).
pub fn plan(paths: &[PathBuf], run_id: &str, color: bool) -> Result<Vec<Planned>, PlanError> {
    let mut rendered = String::new();
    let mut count = 0;
    let mut problem = |text: String| {
        count += 1;
        rendered.push_str(&text);
        if !text.ends_with('\n') {
            rendered.push('\n');
        }
    };
    let mut files = Vec::new();
    for path in paths {
        match expand(path) {
            Ok(found) if found.is_empty() => {
                problem(format!("error: {}: no scenario files (*.toml) in it", path.display()))
            }
            Ok(found) => files.extend(found),
            Err(e) => problem(format!("error: {}: {e}", path.display())),
        }
    }
    let mut planned = Vec::new();
    for path in files {
        let scenario = match scenario::load(&path) {
            Ok(s) => s,
            Err(e) => {
                problem(e.render(color));
                continue;
            }
        };
        let mut findings: Vec<Finding> = Vec::new();
        let expectations: Vec<_> = scenario
            .expectations
            .iter()
            .filter_map(|e| convert_expectation(e).map_err(|f| findings.push(f)).ok())
            .collect();
        let format = sink_format(&scenario);
        if format.is_none() {
            findings.push(Finding::error(
                "sink/format",
                scenario_sink_span(&scenario),
                "the verifier cannot tell this sink's format (json, debezium-json or upsert-kafka)",
            ));
        }
        for f in &findings {
            problem(f.render(&scenario.file, color));
        }
        let names = IsolatedNames::derive(&scenario.name, run_id);
        let target = planned_target(&scenario, &names);
        let connector = match generate(&scenario, &target, Dialect::Flink, None) {
            Ok(sql) => sql.source_connector,
            Err(e) => {
                problem(e.render(color));
                continue;
            }
        };
        // Everything the linter can tell without a database, before anything starts: the SQL
        // and connector configuration as the scenario will run them.
        let refused = refusals(&scenario, &target, color);
        if !refused.is_empty() {
            refused.into_iter().for_each(&mut problem);
            continue;
        }
        let (Some(format), true) = (format, findings.is_empty()) else {
            continue;
        };
        planned.push(Planned { path, scenario, expectations, format, connector, names });
    }
    let mut seen: HashMap<&str, &Planned> = HashMap::new();
    let mut collisions = Vec::new();
    for p in &planned {
        if let Some(first) = seen.insert(&p.names.base, p) {
            collisions.push(format!(
                "error: scenarios {} (`{}`) and {} (`{}`) would share the isolated names `{}`: rename one",
                first.path.display(),
                first.scenario.name,
                p.path.display(),
                p.scenario.name,
                p.names.base
            ));
        }
    }
    collisions.into_iter().for_each(&mut problem);
    if count > 0 {
        return Err(PlanError { count, rendered });
    }
    Ok(planned)
}

/// The names the scenario runs under, with the stack's in-network endpoints as `sql` prints
/// them (where exactly the services are does not change what the linter finds).
fn planned_target(scenario: &Scenario, names: &IsolatedNames) -> Target {
    Target {
        topic: names.topic.clone(),
        slot_name: names.slot.clone(),
        publication_name: names.publication.clone(),
        connector_name: names.connector.clone(),
        topic_prefix: names.topic_prefix.clone(),
        ..Target::preview(scenario)
    }
}

fn scenario_sink_span(scenario: &Scenario) -> crate::diagnostics::Span {
    match &scenario.sink {
        scenario::Sink::Structured(s) => s.span,
        scenario::Sink::Verbatim(sql) => sql.span,
    }
}

fn expand(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        std::fs::metadata(path)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
[postgres]
setup = "CREATE TABLE public.t (id INT PRIMARY KEY, v TEXT);"
[source]
connector = "jdbc"
table = "public.t"
[sink]
connector = "kafka"
format = "json"
topic = "t"
[[expect]]
mode = "count"
count = 1
"#;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn a_folder_is_planned_in_name_order_with_its_connector_and_format() {
        let dir = folder(&[
            ("b.toml", &format!("name = \"b\"\n{SCENARIO}")),
            ("a.toml", &format!("name = \"a\"\n{SCENARIO}")),
            ("notes.txt", "not a scenario"),
        ]);
        let planned = plan(&[dir.path().to_path_buf()], "261121-000000-abcd", false).unwrap();
        let names: Vec<&str> = planned.iter().map(|p| p.scenario.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(planned[0].connector, Some(SourceConnector::Jdbc));
        assert_eq!(planned[0].format, SinkFormat::Json);
        assert_eq!(planned[0].names.topic, "s_a_261121_000000_abcd");
    }

    #[test]
    fn colliding_names_and_invalid_files_are_all_reported() {
        let dir = folder(&[
            ("one.toml", &format!("name = \"orders-v1\"\n{SCENARIO}")),
            ("two.toml", &format!("name = \"orders_v1\"\n{SCENARIO}")),
            ("bad.toml", "name = \"bad\"\n[source]\nconnector = \"jdbc\"\n"),
        ]);
        let err = plan(&[dir.path().to_path_buf()], "261121-000000-abcd", false).unwrap_err();
        assert_eq!(err.count, 2, "{}", err.rendered);
        assert!(err.rendered.contains("bad.toml"), "{}", err.rendered);
        assert!(err.rendered.contains("would share the isolated names"), "{}", err.rendered);
    }

    #[test]
    fn a_missing_path_is_reported() {
        let err = plan(&[PathBuf::from("/nonexistent/x.toml")], "r", false).unwrap_err();
        assert!(err.rendered.contains("/nonexistent/x.toml"), "{}", err.rendered);
    }
}

//! The JUnit XML report (`--junit FILE`): one test suite per experiment, one
//! test case per probe and phase (it fails when any reading in that phase
//! was out of tolerance), and an `error` case when the experiment could not
//! run. CI systems show these as ordinary test results.

use std::path::Path;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::error::RunError;
use crate::journal::{Journal, Verdict, output_error};
use crate::report::probe_rows;

const PHASES: [&str; 3] = ["before", "during", "after"];

struct Case {
    name: String,
    failure: Option<(String, String)>,
    error: Option<String>,
}

/// The report as XML text.
pub fn render(journal: &Journal) -> Result<String, std::io::Error> {
    let mut suites = Vec::new();
    for e in &journal.experiments {
        let mut cases = Vec::new();
        for row in probe_rows(e) {
            for (i, phase) in PHASES.iter().enumerate() {
                let readings = &row.readings[i];
                if readings.is_empty() {
                    continue;
                }
                let failure = readings
                    .iter()
                    .find(|(_, ok, _)| !ok)
                    .map(|(v, _, reason)| {
                        let all: Vec<String> = readings
                            .iter()
                            .map(|(v, ok, _)| format!("{v} ({})", if *ok { "ok" } else { "out" }))
                            .collect();
                        (
                            reason
                                .clone()
                                .unwrap_or_else(|| format!("{v} outside {}", row.tolerance)),
                            format!(
                                "{} {}: tolerance {}; readings: {}",
                                phase,
                                row.probe,
                                row.tolerance,
                                all.join(", ")
                            ),
                        )
                    });
                cases.push(Case {
                    name: format!("{phase}: {}", row.probe),
                    failure,
                    error: None,
                });
            }
        }
        if e.verdict == Verdict::Error {
            cases.push(Case {
                name: "run".into(),
                failure: None,
                error: Some(e.error.clone().unwrap_or_else(|| "could not run".into())),
            });
        }
        suites.push((e, cases));
    }
    let count = |f: &dyn Fn(&Case) -> bool| {
        suites
            .iter()
            .flat_map(|(_, c)| c.iter())
            .filter(|c| f(c))
            .count()
            .to_string()
    };
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("testsuites")
        .with_attribute(("name", "chaoslab experiments"))
        .with_attribute(("tests", count(&|_| true).as_str()))
        .with_attribute(("failures", count(&|c| c.failure.is_some()).as_str()))
        .with_attribute(("errors", count(&|c| c.error.is_some()).as_str()))
        .with_attribute(("time", secs(journal.duration_ms).as_str()))
        .write_inner_content(|w| {
            for (e, cases) in &suites {
                let classname = e
                    .file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let failures = cases
                    .iter()
                    .filter(|c| c.failure.is_some())
                    .count()
                    .to_string();
                let errors = cases
                    .iter()
                    .filter(|c| c.error.is_some())
                    .count()
                    .to_string();
                let file = e.file.display().to_string();
                w.create_element("testsuite")
                    .with_attribute(("name", e.title.as_str()))
                    .with_attribute(("file", file.as_str()))
                    .with_attribute(("tests", cases.len().to_string().as_str()))
                    .with_attribute(("failures", failures.as_str()))
                    .with_attribute(("errors", errors.as_str()))
                    .with_attribute(("time", secs(e.duration_ms).as_str()))
                    .write_inner_content(|w| {
                        if let Some(sc) = &e.score {
                            w.create_element("properties").write_inner_content(|w| {
                                for (name, value) in [
                                    ("resilience_score", sc.percent),
                                    ("resilience_score_held_weight", sc.held_weight),
                                    ("resilience_score_total_weight", sc.total_weight),
                                ] {
                                    w.create_element("property")
                                        .with_attribute(("name", name))
                                        .with_attribute(("value", value.to_string().as_str()))
                                        .write_empty()?;
                                }
                                Ok(())
                            })?;
                        }
                        for c in cases {
                            let el = w
                                .create_element("testcase")
                                .with_attribute(("name", c.name.as_str()))
                                .with_attribute(("classname", classname.as_str()));
                            if let Some((message, text)) = &c.failure {
                                el.write_inner_content(|w| {
                                    w.create_element("failure")
                                        .with_attribute(("message", message.as_str()))
                                        .with_attribute(("type", "deviation"))
                                        .write_text_content(BytesText::new(text))?;
                                    Ok(())
                                })?;
                            } else if let Some(message) = &c.error {
                                el.write_inner_content(|w| {
                                    w.create_element("error")
                                        .with_attribute(("message", message.as_str()))
                                        .write_text_content(BytesText::new(message))?;
                                    Ok(())
                                })?;
                            } else {
                                el.write_empty()?;
                            }
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    let mut text = String::from_utf8(w.into_inner()).unwrap_or_default();
    text.push('\n');
    Ok(text)
}

fn secs(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// Writes the report.
pub fn write(journal: &Journal, path: &Path) -> Result<(), RunError> {
    let text = render(journal).map_err(|e| output_error(path, e))?;
    std::fs::write(path, text).map_err(|e| output_error(path, e))
}

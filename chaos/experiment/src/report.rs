//! The Markdown summary (`--report FILE`): one table of every probe before,
//! during and after the method per experiment, then the steps.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::RunError;
use crate::journal::{ExperimentRecord, Journal, StepPhase, StepStatus, output_error};
use crate::tolerance::show;

/// A probe's readings, by phase: before, during, after.
#[derive(Debug, Clone, Default)]
pub struct ProbeRow {
    pub probe: String,
    pub tolerance: String,
    /// `[before, during, after]`: each reading's value and whether it held.
    pub readings: [Vec<(String, bool, Option<String>)>; 3],
}

impl ProbeRow {
    /// Whether every reading in a phase held (true when there were none).
    pub fn held(&self, phase: usize) -> bool {
        self.readings[phase].iter().all(|(_, ok, _)| *ok)
    }
}

/// Every probe of an experiment with its readings, in first-seen order.
pub fn probe_rows(rec: &ExperimentRecord) -> Vec<ProbeRow> {
    let mut rows: Vec<ProbeRow> = Vec::new();
    for step in &rec.steps {
        let phase = match step.phase {
            StepPhase::Before => 0,
            StepPhase::During => 1,
            StepPhase::After => 2,
            _ => continue,
        };
        for o in &step.observations {
            let i = match rows.iter().position(|r| r.probe == o.probe) {
                Some(i) => i,
                None => {
                    rows.push(ProbeRow {
                        probe: o.probe.clone(),
                        tolerance: o.tolerance_text.clone(),
                        ..ProbeRow::default()
                    });
                    rows.len() - 1
                }
            };
            rows[i].readings[phase].push((show(&o.value), o.ok, o.reason.clone()));
        }
    }
    rows
}

fn cell(readings: &[(String, bool, Option<String>)]) -> String {
    if readings.is_empty() {
        return "-".to_string();
    }
    readings
        .iter()
        .map(|(v, ok, _)| format!("{} {}", v.replace('|', "\\|"), if *ok { "✓" } else { "✗" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report as Markdown.
pub fn render(journal: &Journal) -> String {
    let mut out = String::from("# Chaos experiments\n\n");
    let _ = writeln!(
        out,
        "Verdict: **{}** ({} experiment(s), {:.1} s)\n",
        journal.verdict.as_str(),
        journal.experiments.len(),
        journal.duration_ms as f64 / 1000.0
    );
    if let Some(sc) = &journal.score {
        let _ = writeln!(
            out,
            "Resilience score: **{}%** (probes that held, by weight: {} of {})\n",
            sc.percent, sc.held_weight, sc.total_weight
        );
    }
    out.push_str("| experiment | file | verdict | score | duration |\n|---|---|---|---|---|\n");
    for e in &journal.experiments {
        let score = e
            .score
            .as_ref()
            .map_or("-".to_string(), |s| format!("{}%", s.percent));
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {score} | {:.1} s |",
            e.title,
            e.file.display(),
            e.verdict.as_str(),
            e.duration_ms as f64 / 1000.0
        );
    }
    for e in &journal.experiments {
        let _ = writeln!(
            out,
            "\n## {}\n\n`{}`: **{}**\n",
            e.title,
            e.file.display(),
            e.verdict.as_str()
        );
        if let Some(err) = &e.error {
            let _ = writeln!(out, "Could not run to the end: {err}\n");
        }
        let rows = probe_rows(e);
        if !rows.is_empty() {
            out.push_str(
                "| probe | weight | tolerance | before | during | after |\n|---|---|---|---|---|---|\n",
            );
            for r in &rows {
                let weight = e
                    .score
                    .as_ref()
                    .and_then(|s| s.probes.iter().find(|p| p.probe == r.probe))
                    .map_or("-".to_string(), |p| p.weight.to_string());
                let _ = writeln!(
                    out,
                    "| {} | {weight} | {} | {} | {} | {} |",
                    r.probe,
                    r.tolerance.replace('|', "\\|"),
                    cell(&r.readings[0]),
                    cell(&r.readings[1]),
                    cell(&r.readings[2])
                );
            }
            out.push('\n');
        }
        out.push_str("| time | phase | step | status | note |\n|---|---|---|---|---|\n");
        for s in &e.steps {
            let status = match s.status {
                StepStatus::Ok => "ok",
                StepStatus::Failed => "deviated",
                StepStatus::Error => "error",
            };
            let note = s.message.clone().unwrap_or_default().replace('|', "\\|");
            let _ = writeln!(
                out,
                "| {:.1} s | {} | {} | {} | {} |",
                s.at_ms as f64 / 1000.0,
                s.phase.as_str(),
                s.name.replace('|', "\\|"),
                status,
                note
            );
        }
    }
    out
}

/// Writes the report.
pub fn write(journal: &Journal, path: &Path) -> Result<(), RunError> {
    std::fs::write(path, render(journal)).map_err(|e| output_error(path, e))
}

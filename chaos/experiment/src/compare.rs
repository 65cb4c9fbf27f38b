//! Two runs of a lesson side by side: for every probe and phase, what the
//! fragile run and the resilient run read, so a learner sees the harm in one
//! column and its absence in the other. `chaoslab lesson N` prints it and
//! writes it as Markdown.

use std::fmt::Write as _;

use serde_json::Value;

use crate::journal::{ExperimentRecord, StepPhase};

/// What one run read for a probe in a phase: the worst reading (the first
/// out of tolerance, else the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub value: Value,
    pub ok: bool,
}

/// One probe in one phase, in both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub probe: String,
    pub phase: StepPhase,
    pub tolerance: String,
    pub fragile: Option<Reading>,
    pub resilient: Option<Reading>,
}

impl Row {
    /// Whether the two runs judged this probe differently (the harm shows).
    pub fn differs(&self) -> bool {
        let ok = |r: &Option<Reading>| r.as_ref().map(|r| r.ok);
        ok(&self.fragile) != ok(&self.resilient)
    }
}

fn readings(rec: &ExperimentRecord) -> Vec<(String, StepPhase, String, Reading)> {
    let mut out: Vec<(String, StepPhase, String, Reading)> = Vec::new();
    for step in rec.steps.iter().filter(|s| s.kind == "check") {
        for o in &step.observations {
            let r = Reading {
                value: o.value.clone(),
                ok: o.ok,
            };
            match out
                .iter_mut()
                .find(|(p, ph, _, _)| *p == o.probe && *ph == step.phase)
            {
                // Keep the first deviation; otherwise the latest reading.
                Some((_, _, _, old)) if old.ok => *old = r,
                Some(_) => {}
                None => out.push((o.probe.clone(), step.phase, o.tolerance_text.clone(), r)),
            }
        }
    }
    out
}

/// Every probe and phase either run checked, in the order they were checked.
pub fn rows(fragile: &ExperimentRecord, resilient: &ExperimentRecord) -> Vec<Row> {
    let f = readings(fragile);
    let r = readings(resilient);
    let mut rows: Vec<Row> = Vec::new();
    for (probe, phase, tolerance, _) in f.iter().chain(&r) {
        if rows.iter().any(|x| &x.probe == probe && x.phase == *phase) {
            continue;
        }
        let pick = |v: &[(String, StepPhase, String, Reading)]| {
            v.iter()
                .find(|(p, ph, _, _)| p == probe && ph == phase)
                .map(|x| x.3.clone())
        };
        rows.push(Row {
            probe: probe.clone(),
            phase: *phase,
            tolerance: tolerance.clone(),
            fragile: pick(&f),
            resilient: pick(&r),
        });
    }
    let order = |p: StepPhase| match p {
        StepPhase::Before => 0,
        StepPhase::During => 1,
        _ => 2,
    };
    rows.sort_by_key(|r| order(r.phase));
    rows
}

/// A reading for people: the number (3 significant figures) and `ok`/`OUT`.
pub fn show(r: &Option<Reading>) -> String {
    match r {
        None => "-".into(),
        Some(r) => format!("{} {}", value(&r.value), if r.ok { "ok" } else { "OUT" }),
    }
}

fn value(v: &Value) -> String {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() < 1e9 => format!("{n:.0}"),
        Some(n) if n.abs() >= 100.0 => format!("{n:.0}"),
        Some(n) if n.abs() >= 1.0 => format!("{n:.2}"),
        Some(n) => format!("{n:.3}"),
        None => v.to_string(),
    }
}

/// The rows that tell the runs apart (all rows when none does), as a
/// plain-text table with aligned columns.
pub fn table(rows: &[Row]) -> String {
    let shown: Vec<&Row> = if rows.iter().any(Row::differs) {
        rows.iter().filter(|r| r.differs()).collect()
    } else {
        rows.iter().collect()
    };
    let cells: Vec<[String; 4]> = shown
        .iter()
        .map(|r| {
            [
                format!("{} ({})", r.probe, r.tolerance),
                r.phase.as_str().to_string(),
                show(&r.fragile),
                show(&r.resilient),
            ]
        })
        .collect();
    let head = ["probe (tolerance)", "phase", "fragile", "resilient"].map(String::from);
    let mut w = [0usize; 4];
    for row in std::iter::once(&head).chain(&cells) {
        for (i, c) in row.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&head).chain(&cells) {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = w[i]))
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
    out
}

/// Every row as a Markdown table; rows that tell the runs apart in bold.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| probe | tolerance | phase | fragile | resilient |\n|---|---|---|---|---|\n",
    );
    for r in rows {
        let b = if r.differs() { "**" } else { "" };
        let _ = writeln!(
            out,
            "| {b}{}{b} | `{}` | {} | {} | {} |",
            r.probe.replace('|', "\\|"),
            r.tolerance.replace('|', "\\|"),
            r.phase.as_str(),
            show(&r.fragile),
            show(&r.resilient)
        );
    }
    out
}

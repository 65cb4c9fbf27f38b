//! Human-readable summaries of the static and live checks.

use std::fmt;

use crate::compose::ComposeReport;
use crate::live::LiveReport;
use crate::static_check::StaticReport;

impl fmt::Display for StaticReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for x in &self.findings {
            writeln!(f, "FAIL {x}")?;
        }
        write!(
            f,
            "static: {} dashboards, {} panels, {} queries, {} rules checked; {} problems",
            self.dashboards,
            self.panels,
            self.queries,
            self.rules,
            self.findings.len()
        )
    }
}

impl fmt::Display for ComposeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for x in &self.findings {
            writeln!(f, "FAIL {x}")?;
        }
        write!(
            f,
            "compose: {} services, {} paths checked; {} problems",
            self.services.len(),
            self.paths_checked,
            self.findings.len()
        )
    }
}

impl fmt::Display for LiveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "FAIL {p}")?;
        }
        for o in self.failed() {
            let why = match &o.result {
                Ok(_) => "returned no series".to_string(),
                Err(e) => e.clone(),
            };
            writeln!(
                f,
                "FAIL dashboard {:?} {}: {why}\n    query: {}",
                o.query.dashboard, o.query.place, o.sent
            )?;
        }
        for r in self.rules.iter().filter(|r| r.health != "ok") {
            writeln!(
                f,
                "FAIL rule {}/{} health {:?} {}",
                r.group, r.name, r.health, r.last_error
            )?;
        }
        for n in &self.empty_recordings {
            writeln!(f, "FAIL recording rule {n} returned no series")?;
        }
        let zeros: Vec<_> = self
            .outcomes
            .iter()
            .filter(|o| matches!(o.result, Ok(s) if s.series > 0 && s.nonzero == 0))
            .collect();
        for o in &zeros {
            writeln!(
                f,
                "note dashboard {:?} {}: only zero values",
                o.query.dashboard, o.query.place
            )?;
        }
        let total = self.outcomes.len();
        let failed = self.failed().count();
        let healthy = self.rules.iter().filter(|r| r.health == "ok").count();
        write!(
            f,
            "live: {total} queries over {} panels: {} returned series ({} only zeros), {failed} empty or failed; \
             rules: {healthy}/{} healthy, {} recording rules empty; waited {:.1}s for targets, {:.1}s in all",
            self.panels,
            total - failed,
            zeros.len(),
            self.rules.len(),
            self.empty_recordings.len(),
            self.waited_for_targets.as_secs_f64(),
            self.elapsed.as_secs_f64()
        )
    }
}

//! The live check: every query of every dashboard, run against a real
//! Prometheus that scrapes the lab, must return at least one series; the
//! shipped rules must be loaded, healthy, and the recording rules must
//! return series.
//!
//! ```text
//!  wait until `up` is 1 for every expected job ──> resolve template variables
//!      ──> run every query ──> all non-empty and rules healthy? ── yes ──> report
//!                  ^                                            │ no, before the deadline
//!                  └──────────── wait one poll interval <───────┘
//! ```

use std::time::{Duration, Instant};

use crate::dashboard::{self, Dashboard, Variable};
use crate::error::CheckError;
use crate::layout::Layout;
use crate::prom_api::{Prometheus, RuleState, Sample};
use crate::promql::{VariableQuery, Vars, substitute, variable_query};
use crate::queries::{self, Query};
use crate::rules;

/// How the live check runs.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Base URL of Prometheus.
    pub prometheus: String,
    /// Give up waiting for data after this long.
    pub deadline: Duration,
    /// How often to look again while waiting.
    pub poll: Duration,
    /// Jobs whose `up` must be 1 before the queries run (none: every job
    /// Prometheus knows, at least one).
    pub expect_jobs: Vec<String>,
}

/// One query's outcome.
#[derive(Debug, Clone)]
pub struct QueryOutcome {
    pub query: Query,
    /// The PromQL sent, variables filled in.
    pub sent: String,
    pub result: Result<Sample, String>,
}

impl QueryOutcome {
    fn ok(&self) -> bool {
        matches!(self.result, Ok(s) if s.series > 0)
    }
}

/// What the live check saw.
#[derive(Debug, Clone, Default)]
pub struct LiveReport {
    pub panels: usize,
    pub outcomes: Vec<QueryOutcome>,
    pub rules: Vec<RuleState>,
    /// Recording rules whose series Prometheus did not return.
    pub empty_recordings: Vec<String>,
    /// Problems outside single queries (targets down, variables empty, ...).
    pub problems: Vec<String>,
    pub waited_for_targets: Duration,
    pub elapsed: Duration,
}

impl LiveReport {
    /// Queries that returned no series or failed.
    pub fn failed(&self) -> impl Iterator<Item = &QueryOutcome> {
        self.outcomes.iter().filter(|o| !o.ok())
    }

    /// True when every query returned data and every rule is healthy.
    pub fn passed(&self) -> bool {
        self.failed().next().is_none()
            && self.problems.is_empty()
            && self.empty_recordings.is_empty()
            && self.rules.iter().all(|r| r.health == "ok")
    }
}

/// Runs the live check for the dashboards and rules under `root`.
pub async fn check(root: &std::path::Path, opts: &LiveOptions) -> Result<LiveReport, CheckError> {
    let started = Instant::now();
    let layout = Layout::new(root);
    let dashboards = dashboard::load_dir(&layout.dashboards)?;
    let recorded = rules::recorded_names(&rules::load_dir(&layout.rules)?);
    let prom = Prometheus::new(&opts.prometheus)?;
    let until = started + opts.deadline;

    let mut report = LiveReport::default();
    if let Err(why) = wait_for_targets(&prom, &opts.expect_jobs, until, opts.poll).await {
        report.problems.push(why);
    }
    report.waited_for_targets = started.elapsed();
    loop {
        let mut round = LiveReport {
            waited_for_targets: report.waited_for_targets,
            problems: report.problems.clone(),
            ..LiveReport::default()
        };
        for d in &dashboards {
            round.panels += d.panels.iter().filter(|p| p.kind != "row").count();
            let vars = match resolve_vars(&prom, d).await {
                Ok(v) => v,
                Err(why) => {
                    round
                        .problems
                        .push(format!("dashboard {:?}: {why}", d.title));
                    queries::static_vars(d)
                }
            };
            for q in queries::of(d) {
                let sent = substitute(&q.promql().unwrap_or_default(), &vars);
                let result = prom.query(&sent).await.map_err(|e| e.to_string());
                round.outcomes.push(QueryOutcome {
                    query: q,
                    sent,
                    result,
                });
            }
        }
        round.rules = prom.rules().await?;
        for name in &recorded {
            if !matches!(prom.query(name).await, Ok(s) if s.series > 0) {
                round.empty_recordings.push(name.clone());
            }
        }
        if round.rules.len() < recorded.len() {
            round.problems.push(format!(
                "Prometheus has {} rules loaded, the rule files record {} series",
                round.rules.len(),
                recorded.len()
            ));
        }
        round.elapsed = started.elapsed();
        if round.passed() || Instant::now() + opts.poll > until {
            return Ok(round);
        }
        tokio::time::sleep(opts.poll).await;
    }
}

/// Waits until `up` is 1 for every expected job (or every job present).
async fn wait_for_targets(
    prom: &Prometheus,
    jobs: &[String],
    until: Instant,
    poll: Duration,
) -> Result<(), String> {
    loop {
        let mut missing = Vec::new();
        for job in jobs {
            let q = format!("up{{job=\"{job}\"}} == 1");
            if !matches!(prom.query(&q).await, Ok(s) if s.series > 0) {
                missing.push(job.clone());
            }
        }
        let any_up = matches!(prom.query("up == 1").await, Ok(s) if s.series > 0);
        let all_up = matches!(prom.query("up == 0").await, Ok(s) if s.series == 0);
        if missing.is_empty() && any_up && all_up {
            return Ok(());
        }
        if Instant::now() + poll > until {
            return Err(format!(
                "targets not all up before the deadline (jobs not up: {missing:?}, any up: {any_up}, none down: {all_up})"
            ));
        }
        tokio::time::sleep(poll).await;
    }
}

/// Fills each template variable with a value that exists: its saved value
/// if Prometheus has it, else the first value Prometheus returns.
async fn resolve_vars(prom: &Prometheus, d: &Dashboard) -> Result<Vars, String> {
    let mut vars = queries::static_vars(d);
    for v in d.variables.iter().filter(|v| v.kind == "query") {
        let values = variable_values(prom, v, &vars).await?;
        if values.is_empty() {
            return Err(format!("variable ${} has no values", v.name));
        }
        let value = match v.current.as_deref() {
            Some("$__all") => v.all_value.clone().unwrap_or_else(|| values.join("|")),
            Some(c) if values.iter().any(|x| x == c) => c.to_string(),
            _ => values[0].clone(),
        };
        vars.insert(v.name.clone(), value);
    }
    Ok(vars)
}

async fn variable_values(
    prom: &Prometheus,
    v: &Variable,
    vars: &Vars,
) -> Result<Vec<String>, String> {
    let text = substitute(v.query.as_deref().unwrap_or(""), vars);
    match variable_query(&text) {
        VariableQuery::LabelValues { selector, label } => prom
            .label_values(&label, selector.as_deref())
            .await
            .map_err(|e| e.to_string()),
        VariableQuery::QueryResult(e) | VariableQuery::Expr(e) => {
            let s = prom.query(&e).await.map_err(|e| e.to_string())?;
            Ok((0..s.series).map(|i| i.to_string()).collect())
        }
    }
}

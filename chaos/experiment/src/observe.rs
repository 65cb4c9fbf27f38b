//! Carrying out probes: read the lab, then judge what was read.
//!
//! A probe that cannot read its source (the hub down, a request timing out)
//! is an observation out of tolerance, with the reason: a user would notice
//! that too.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use chaoslab_contract::client::{MetricQuery, TraceQuery};

use crate::error::RunError;
use crate::lab::{Lab, url};
use crate::model::{
    HttpProbe, MetricProbe, Probe, ResilienceProbe, SloMeasure, SloProbe, Tolerance, TraceProbe,
};
use crate::tolerance::{Seen, describe, judge};

/// One probe's reading, beside its tolerance.
#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    /// The probe's name.
    pub probe: String,
    /// slo, metric, http, resilience or trace.
    pub kind: String,
    /// What was observed (`null` when nothing could be read).
    pub value: Value,
    /// HTTP probes: the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The tolerance as written.
    pub tolerance: Tolerance,
    /// The tolerance for people: `<= 0.05`.
    pub tolerance_text: String,
    /// Whether the value is within tolerance.
    pub ok: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Reads and judges one probe; `baseline` is the probe's reading before the
/// method, if any. Probe windows are measurement settings tied to scrape
/// intervals and the load generator's window, so the time scale leaves them
/// alone.
pub async fn observe(probe: &Probe, lab: &Lab, baseline: Option<Value>) -> Observation {
    let tolerance = probe.tolerance().value.clone();
    let attempts = match probe {
        Probe::Http(p) => p.attempts.unwrap_or(1).max(1),
        _ => 1,
    };
    let mut tried = 0;
    let (seen, verdict) = loop {
        tried += 1;
        let read = match probe {
            Probe::Slo(p) => slo(p, lab).await,
            Probe::Metric(p) => metric(p, lab).await,
            Probe::Http(p) => http(p, lab).await,
            Probe::Resilience(p) => resilience(p, lab).await,
            Probe::Trace(p) => trace(p, lab).await,
        };
        let judged = match read {
            Ok(mut seen) => {
                seen.baseline = baseline.clone();
                let v = judge(&tolerance, &seen);
                (seen, v)
            }
            Err(e) => (Seen::default(), Err(e.to_string())),
        };
        if judged.1.is_ok() || tried >= attempts {
            break judged;
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    };
    let verdict = match verdict {
        Err(reason) if tried > 1 => Err(format!("{reason} (all {tried} tries)")),
        v => v,
    };
    Observation {
        probe: probe.name(),
        kind: probe.kind().to_string(),
        value: seen.value,
        status: seen.status,
        tolerance_text: describe(&tolerance),
        tolerance,
        ok: verdict.is_ok(),
        reason: verdict.err(),
    }
}

/// The pause between tries of a probe with `attempts`.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

fn value(v: Value) -> Seen {
    Seen {
        value: v,
        ..Seen::default()
    }
}

async fn slo(p: &SloProbe, lab: &Lab) -> Result<Seen, RunError> {
    let report = lab.loadgen()?.report().await?;
    let journey = &p.journey.value;
    let j = report.journeys.get(journey).ok_or_else(|| {
        RunError::Lab(format!("the load generator reports no journey `{journey}`"))
    })?;
    let requests = j.requests as f64;
    let v = match p.measure {
        SloMeasure::Requests => json!(requests),
        SloMeasure::Dropped => json!(j.dropped as f64),
        _ if j.requests == 0 => {
            return Err(RunError::Lab(format!(
                "no `{journey}` requests in the load generator's window"
            )));
        }
        SloMeasure::ErrorRate => json!(match j.success_ratio {
            Some(r) => 1.0 - r,
            None => j.errors as f64 / requests,
        }),
        SloMeasure::SuccessRatio => {
            json!(j.success_ratio.unwrap_or(j.success as f64 / requests))
        }
        SloMeasure::P50Ms => json!(j.p50_ms),
        SloMeasure::P95Ms => json!(j.p95_ms),
        SloMeasure::P99Ms => json!(j.p99_ms),
    };
    Ok(value(v))
}

async fn metric(p: &MetricProbe, lab: &Lab) -> Result<Seen, RunError> {
    let query = MetricQuery {
        name: p.metric.value.clone(),
        labels: p.labels.clone().into_iter().collect(),
        agg: p.agg,
        window: p.window.map(|w| w.0.max(Duration::from_secs(1))),
    };
    let answer = lab.hub()?.metric(&query).await?;
    let v = match answer.value {
        Some(v) => json!(v),
        None => match p.missing {
            Some(m) => json!(m),
            None => {
                return Err(RunError::Lab(format!(
                    "no series of `{}` matched",
                    p.metric.value
                )));
            }
        },
    };
    Ok(value(v))
}

async fn http(p: &HttpProbe, lab: &Lab) -> Result<Seen, RunError> {
    let service = p.service.as_ref().map(|s| s.value.as_str());
    let base = lab.endpoints.service_or_entry(service).ok_or_else(|| {
        RunError::Lab(format!(
            "the lab runs no service `{}`",
            service.unwrap_or("(entry)")
        ))
    })?;
    let mut headers: Vec<(String, String)> = p.headers.clone().into_iter().collect();
    if p.login {
        headers.push((
            "authorization".into(),
            format!("Bearer {}", login(lab).await?),
        ));
    }
    let method =
        Method::from_bytes(p.method.as_deref().unwrap_or("GET").as_bytes()).unwrap_or(Method::GET);
    let timeout = p.timeout.map(|t| t.0).unwrap_or(Duration::from_secs(5));
    let reply = lab
        .http
        .send(
            method,
            &url(base, &p.path.value),
            p.body.as_ref(),
            &headers,
            Some(timeout),
        )
        .await?;
    let v = match &p.json_path {
        Some(path) => lookup(&reply.body, path).unwrap_or(Value::Null),
        None => json!(reply.status),
    };
    Ok(Seen {
        value: v,
        status: Some(reply.status),
        body: Some(reply.text),
        baseline: None,
    })
}

/// Logs in as the shop's demo user through the entry service (`login: true`
/// is the shop's `POST /api/login`).
async fn login(lab: &Lab) -> Result<String, RunError> {
    let body = json!({"email": "alice@example.com", "password": "alice"});
    let base = lab
        .endpoints
        .service_or_entry(None)
        .ok_or_else(|| RunError::Lab("the lab has no entry service".into()))?;
    let reply = lab
        .http
        .expect(Method::POST, &url(base, "/api/login"), Some(&body))
        .await?;
    reply
        .body
        .get("token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| RunError::Lab("login answered no token".into()))
}

/// `a.b.0.c` into a JSON value.
pub fn lookup(v: &Value, path: &str) -> Option<Value> {
    let mut cur = v;
    for seg in path
        .trim_start_matches("$.")
        .split('.')
        .filter(|s| !s.is_empty())
    {
        cur = match cur {
            Value::Array(items) => items.get(seg.parse::<usize>().ok()?)?,
            Value::Object(map) => map.get(seg)?,
            _ => return None,
        };
    }
    Some(cur.clone())
}

async fn resilience(p: &ResilienceProbe, lab: &Lab) -> Result<Seen, RunError> {
    let status = lab
        .service(&p.service.value)?
        .dependency(&p.dependency.value)
        .await?;
    let status = serde_json::to_value(&status).unwrap_or_default();
    let field = p.field.as_deref().unwrap_or("breaker.state");
    let v = lookup(&status, field).ok_or_else(|| {
        RunError::Lab(format!(
            "the status of {} -> {} has no `{field}`",
            p.service.value, p.dependency.value
        ))
    })?;
    Ok(value(v))
}

async fn trace(p: &TraceProbe, lab: &Lab) -> Result<Seen, RunError> {
    let query = TraceQuery {
        service: p.service.as_ref().map(|s| s.value.clone()),
        errors_only: p.errors_only,
        faults_only: p.faults_only,
        min_duration_ms: p.min_duration.map(|d| d.as_millis() as f64),
        limit: Some(10_000),
    };
    let traces = lab.hub()?.traces(&query).await?.traces;
    let since = p.window.map(|w| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        now.saturating_sub(w.0).as_nanos() as u64
    });
    let count = traces
        .iter()
        .filter(|t| since.is_none_or(|s| t.start_unix_nano >= s))
        .count();
    Ok(value(json!(count)))
}

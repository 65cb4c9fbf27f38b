//! The scraper: every interval, reads each target's Prometheus page into the
//! series store, records how the scrape went, and (when an agent is
//! configured) refreshes the list of active faults.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;

use crate::api::types::Target;
use crate::hub::{FaultSnapshot, Hub, now_ms};
use crate::metrics::exposition::{self, Sample};

/// Scrapes until `shutdown` completes.
pub async fn run_scraper(hub: Arc<Hub>, shutdown: impl Future<Output = ()>) {
    let mut tick = tokio::time::interval(hub.cfg.scrape_interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = scrape_once(&hub) => {}
        }
    }
}

/// One round: every target concurrently, plus the agent's fault list.
pub async fn scrape_once(hub: &Hub) {
    let targets = hub.targets();
    let scrapes = futures::future::join_all(targets.iter().map(|t| scrape_target(hub, t)));
    let (results, faults) = tokio::join!(scrapes, fetch_faults(hub));
    {
        let mut series = hub.series.write().unwrap_or_else(|e| e.into_inner());
        let mut states = hub.targets.write().unwrap_or_else(|e| e.into_inner());
        for (target, (result, t_ms, took)) in targets.iter().zip(results) {
            let Some(state) = states.iter_mut().find(|s| &s.target == target) else {
                continue; // removed while scraping
            };
            let st = &mut state.status;
            st.last_scrape_unix_ms = Some(t_ms);
            st.last_duration_ms = Some(took.as_secs_f64() * 1000.0);
            match result {
                Ok(samples) => {
                    st.up = Some(true);
                    st.samples = samples.len();
                    st.last_error = None;
                    series.record(&target.url, &target.name, t_ms, samples);
                }
                Err(e) => {
                    st.up = Some(false);
                    st.last_error = Some(e);
                }
            }
        }
        hub.record_derived(&mut series, now_ms());
        let oldest = now_ms().saturating_sub(hub.cfg.retention.as_millis() as u64);
        series.prune(oldest);
    }
    if let Some(f) = faults {
        *hub.faults.write().unwrap_or_else(|e| e.into_inner()) = f;
    }
}

async fn scrape_target(hub: &Hub, t: &Target) -> (Result<Vec<Sample>, String>, u64, Duration) {
    let started = Instant::now();
    let result = async {
        let resp = hub
            .http
            .get(&t.url)
            .header("accept", "text/plain;version=0.0.4")
            .send()
            .await
            .map_err(|e| format!("request failed: {}", error_chain(&e)))?;
        if !resp.status().is_success() {
            return Err(format!("answered {}", resp.status()));
        }
        let text = resp
            .text()
            .await
            .map_err(|e| format!("reading the body failed: {}", error_chain(&e)))?;
        exposition::parse(&text).map_err(|e| format!("bad exposition text: {e}"))
    }
    .await;
    (result, now_ms(), started.elapsed())
}

/// Fetches `/chaos/faults`; `None` when nothing changed worth storing.
async fn fetch_faults(hub: &Hub) -> Option<FaultSnapshot> {
    let Some(base) = &hub.cfg.agent_url else {
        return None;
    };
    let url = format!("{}/chaos/faults", base.trim_end_matches('/'));
    let snapshot = match hub.http.get(&url).send().await {
        Err(e) => FaultSnapshot {
            faults: Vec::new(),
            note: Some(format!("agent unreachable at {url}: {}", error_chain(&e))),
        },
        Ok(resp) if !resp.status().is_success() => FaultSnapshot {
            faults: Vec::new(),
            note: Some(format!("agent answered {} at {url}", resp.status())),
        },
        Ok(resp) => match resp.json::<serde_json::Value>().await {
            Ok(serde_json::Value::Array(faults)) => FaultSnapshot { faults, note: None },
            Ok(serde_json::Value::Object(mut m)) => match m.remove("faults") {
                Some(serde_json::Value::Array(faults)) => FaultSnapshot { faults, note: None },
                _ => FaultSnapshot {
                    faults: Vec::new(),
                    note: Some(format!("agent's {url} has no \"faults\" list")),
                },
            },
            Ok(_) | Err(_) => FaultSnapshot {
                faults: Vec::new(),
                note: Some(format!("agent's {url} did not answer a JSON fault list")),
            },
        },
    };
    Some(snapshot)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

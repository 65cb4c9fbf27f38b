//! The generator's top rate: offered rates doubling from 1000/s against a
//! target until two steps in a row fall short of the offered rate (the
//! generator or the target cannot keep up), as a table.
//!
//! With no target, a tiny in-process axum server answers `GET /api/products`
//! with a fixed JSON list, so the number is mostly the generator's own cost
//! (both share the machine's cores). Every arrival is one `GET /api/products` journey, the
//! same request `wrk` would send, so the two can be compared.

use crate::config::LoadConfig;
use crate::generator::LoadGen;
use axum::{Router, body::Bytes, http::header, routing::get};
use chaoslab_contract::{Journey, Load, Step, Template};
use serde_json::json;
use std::fmt;
use std::time::Duration;
use tokio::sync::oneshot;

const FIRST_RATE: f64 = 1000.0;
const MAX_STEPS: usize = 8;
const IN_FLIGHT: usize = 256;

/// One step of the ramp.
#[derive(Debug, Clone)]
pub struct BenchRow {
    /// Arrivals per second asked for.
    pub offered: f64,
    /// Journeys completed per second (sent and answered, any outcome).
    pub completed_per_sec: f64,
    pub success: u64,
    pub errors: u64,
    pub dropped: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// The ramp and its best completed rate.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub target: String,
    pub step_secs: u64,
    pub max_in_flight: usize,
    pub rows: Vec<BenchRow>,
    /// The highest `completed_per_sec` of any step with no errors (drops
    /// allowed: they show where the in-flight bound was reached).
    pub top_rate: f64,
}

/// Serves the bench's stand-in target on `listener` until `shutdown`:
/// `GET /api/products` answers a fixed JSON list. Public so that other load
/// tools can be measured against the same target.
pub async fn serve_products(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Serialized once: the target should cost as little as it can.
    let body = Bytes::from(
        json!([
            {"id": 1, "name": "Teapot", "price_cents": 1999},
            {"id": 2, "name": "Mug", "price_cents": 899},
            {"id": 3, "name": "Kettle", "price_cents": 3499}
        ])
        .to_string(),
    );
    let answer =
        move || std::future::ready(([(header::CONTENT_TYPE, "application/json")], body.clone()));
    let app = Router::new().route("/api/products", get(answer));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The bench's one journey: `GET /api/products`.
fn get_list() -> Load {
    let route = "/api/products".to_string();
    let step = Step {
        method: "GET".into(),
        path: Template::parse(&route).unwrap_or(Template { parts: vec![] }),
        route,
        expect: Vec::new(),
        headers: Vec::new(),
        body: None,
        save: Vec::new(),
        once: false,
    };
    Load {
        rate: None,
        journeys: vec![Journey {
            name: "get_list".into(),
            weight: 1.0,
            after: None,
            steps: vec![step],
        }],
        users: Vec::new(),
    }
}

/// Starts [`serve_products`] on 127.0.0.1:0; returns its base URL and a
/// sender that stops it.
async fn products_server() -> anyhow::Result<(String, oneshot::Sender<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(serve_products(listener, async {
        let _ = rx.await;
    }));
    Ok((url, tx))
}

/// Measures the generator's top rate against `target` (or an in-process
/// stand-in), `secs` seconds per step.
pub async fn bench(target: Option<String>, secs: u64) -> anyhow::Result<BenchReport> {
    let secs = secs.max(1);
    let (target, _stop) = match target {
        Some(t) => (t, None),
        None => {
            let (url, stop) = products_server().await?;
            (url, Some(stop))
        }
    };
    let mut rows = Vec::new();
    let mut offered = FIRST_RATE;
    let mut short_steps = 0;
    for _ in 0..MAX_STEPS {
        let mut cfg = LoadConfig::new(target.clone(), get_list());
        cfg.rate = offered;
        cfg.max_in_flight = IN_FLIGHT;
        cfg.seed = Some(1);
        let generator = LoadGen::try_new(cfg)?;
        generator
            .clone()
            .run(tokio::time::sleep(Duration::from_secs(secs)))
            .await;
        let all = generator.report().totals.all;
        let completed = all.requests - all.dropped;
        let row = BenchRow {
            offered,
            completed_per_sec: completed as f64 / secs as f64,
            success: all.success,
            errors: all.errors,
            dropped: all.dropped,
            p50_ms: all.p50_ms,
            p99_ms: all.p99_ms,
        };
        // Two short steps in a row end the ramp: one alone may be a pause of
        // a shared machine rather than the limit.
        if row.completed_per_sec < 0.9 * offered {
            short_steps += 1;
        } else {
            short_steps = 0;
        }
        rows.push(row);
        if short_steps == 2 {
            break;
        }
        offered *= 2.0;
    }
    let top_rate = rows
        .iter()
        .filter(|r| r.errors == 0)
        .map(|r| r.completed_per_sec)
        .fold(0.0, f64::max);
    Ok(BenchReport {
        target,
        step_secs: secs,
        max_in_flight: IN_FLIGHT,
        rows,
        top_rate,
    })
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into())
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "load generator top rate: GET /api/products on {} ({} s a step, {} in flight at most)",
            self.target, self.step_secs, self.max_in_flight
        )?;
        writeln!(
            f,
            "{:>10} {:>12} {:>9} {:>7} {:>8} {:>9} {:>9}",
            "offered/s", "completed/s", "success", "errors", "dropped", "p50 ms", "p99 ms"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:>10.0} {:>12.0} {:>9} {:>7} {:>8} {:>9} {:>9}",
                r.offered,
                r.completed_per_sec,
                r.success,
                r.errors,
                r.dropped,
                ms(r.p50_ms),
                ms(r.p99_ms)
            )?;
        }
        writeln!(f, "top rate: {:.0} journeys/s", self.top_rate)
    }
}

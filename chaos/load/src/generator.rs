//! The open-model arrival loop: arrivals at the configured rate, each its own
//! task started at its intended time, whatever the shop does.
//!
//! ```text
//!  run() ── next += 1/rate (or Exp(rate)) ── sleep_until(next) ──> arrival
//!   arrival ── in-flight permit? ── no ──> outcome "dropped" (counted, never silent)
//!                                └─ yes ─> spawn: root span "journey <name>"
//!                                          ─> ShopClient::play (timeout) ─> outcome
//!                                          ─> latency = now - intended  (no coordinated omission)
//!                                          ─> Stats + Meters
//! ```
//!
//! When the loop falls behind (a busy runtime), it sends the late arrivals at
//! once and their latency still counts from when they were due.

use crate::config::{LoadConfig, LoadError, Weights, validate_rate};
use crate::journey::{Journey, Outcome};
use crate::meters::Meters;
use crate::report::{LoadReport, TotalsReport};
use crate::shop_client::ShopClient;
use crate::stats::{Stats, merged};
use futures::FutureExt;
use rand::{RngExt, SeedableRng, rngs::SmallRng};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tracing::{Instrument, field::Empty, info_span};

/// Length of the sliding window of `GET /load`.
pub const WINDOW_SECS: u64 = 10;
/// Largest accepted `max_in_flight`.
const MAX_IN_FLIGHT_LIMIT: usize = 1_000_000;

/// The load generator. Build with [`LoadGen::new`], drive with [`LoadGen::run`].
pub struct LoadGen {
    cfg: LoadConfig,
    rate_bits: AtomicU64,
    weights: Mutex<Weights>,
    /// Wakes the arrival loop when the rate changes.
    changed: watch::Sender<u64>,
    running: AtomicBool,
    in_flight: Arc<Semaphore>,
    max_in_flight: usize,
    client: ShopClient,
    stats: Stats,
    meters: Meters,
}

impl LoadGen {
    /// A generator for `cfg`. Fields that do not validate are replaced by safe
    /// values (rate 0, default weights, at least 1 in flight) and logged; use
    /// [`LoadGen::try_new`] to refuse them instead. Build it after telemetry
    /// is set up so its metric handles reach the installed recorder.
    pub fn new(mut cfg: LoadConfig) -> Arc<Self> {
        if let Err(e) = validate_rate(cfg.rate) {
            tracing::warn!(error = %e, "starting paused");
            cfg.rate = 0.0;
        }
        if let Err(e) = cfg.weights.validate() {
            tracing::warn!(error = %e, "using the default weights");
            cfg.weights = Weights::default();
        }
        cfg.max_in_flight = cfg.max_in_flight.clamp(1, MAX_IN_FLIGHT_LIMIT);
        if cfg.timeout.is_zero() {
            cfg.timeout = Duration::from_secs(5);
        }
        // Never from the seed: two runs with one seed against one shop must
        // not share Idempotency-Keys (the shop would replay the old orders).
        let run_id = rand::make_rng::<SmallRng>().random::<u64>();
        // An unparsable target leaves every journey failing as `error`
        // (try_new refuses it up front).
        let base = reqwest::Url::parse(&cfg.target).ok();
        if base.is_none() {
            tracing::warn!(target = %cfg.target, "the target is not a URL: every journey will fail");
        }
        let client = ShopClient::new(base, cfg.max_in_flight, cfg.timeout, run_id);
        Arc::new(Self {
            rate_bits: AtomicU64::new(cfg.rate.to_bits()),
            weights: Mutex::new(cfg.weights),
            changed: watch::Sender::new(0),
            running: AtomicBool::new(false),
            in_flight: Arc::new(Semaphore::new(cfg.max_in_flight)),
            max_in_flight: cfg.max_in_flight,
            client,
            stats: Stats::new(WINDOW_SECS),
            meters: Meters::new(),
            cfg,
        })
    }

    /// Like [`LoadGen::new`], but an invalid field is an error naming it.
    pub fn try_new(cfg: LoadConfig) -> Result<Arc<Self>, LoadError> {
        cfg.validate()?;
        if cfg.max_in_flight > MAX_IN_FLIGHT_LIMIT {
            return Err(LoadError::InvalidConfig(format!(
                "max_in_flight must be <= {MAX_IN_FLIGHT_LIMIT}"
            )));
        }
        Ok(Self::new(cfg))
    }

    /// The target arrival rate, per second.
    pub fn rate(&self) -> f64 {
        f64::from_bits(self.rate_bits.load(Ordering::Relaxed))
    }

    /// Changes the arrival rate while running; 0 pauses. Takes effect at once
    /// (the spacing restarts from now).
    pub fn set_rate(&self, rate: f64) -> Result<(), LoadError> {
        validate_rate(rate)?;
        self.rate_bits.store(rate.to_bits(), Ordering::Relaxed);
        self.changed.send_modify(|n| *n += 1);
        Ok(())
    }

    /// The current journey weights.
    pub fn weights(&self) -> Weights {
        *self.weights.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the journey weights for the next arrivals.
    pub fn set_weights(&self, weights: Weights) -> Result<(), LoadError> {
        weights.validate()?;
        *self.weights.lock().unwrap_or_else(|e| e.into_inner()) = weights;
        Ok(())
    }

    /// Journeys running now.
    pub fn in_flight(&self) -> usize {
        self.max_in_flight - self.in_flight.available_permits()
    }

    /// The numbers so far: the sliding window and the totals since start.
    pub fn report(&self) -> LoadReport {
        let (window, totals) = self.stats.tallies();
        let by_name = |m: &std::collections::BTreeMap<Journey, crate::stats::Tally>| {
            m.iter()
                .map(|(j, t)| (j.name().to_string(), t.summary()))
                .collect()
        };
        LoadReport {
            target: self.cfg.target.clone(),
            rate: self.rate(),
            running: self.running.load(Ordering::Relaxed),
            poisson: self.cfg.poisson,
            weights: self.weights(),
            in_flight: self.in_flight(),
            max_in_flight: self.max_in_flight,
            window_secs: self.stats.window_secs(),
            journeys: by_name(&window),
            all: merged(window.values()).summary(),
            totals: TotalsReport {
                elapsed_secs: self.stats.elapsed().as_secs_f64(),
                journeys: by_name(&totals),
                all: merged(totals.values()).summary(),
            },
        }
    }

    /// Generates arrivals until `shutdown` completes, then waits (up to the
    /// journey timeout) for the journeys in flight to finish.
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) {
        self.running.store(true, Ordering::Relaxed);
        let mut rng = self
            .cfg
            .seed
            .map(SmallRng::seed_from_u64)
            .unwrap_or_else(rand::make_rng);
        let mut changed = self.changed.subscribe();
        let mut shutdown = std::pin::pin!(shutdown);
        let mut next = Instant::now();
        let mut burst = 0u32;
        loop {
            let rate = self.rate();
            if rate <= 0.0 {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = changed.changed() => { next = Instant::now(); continue; }
                }
            }
            let gap = if self.cfg.poisson {
                // Exponential inter-arrival: -ln(U)/rate, U in (0, 1].
                -(1.0 - rng.random::<f64>()).ln() / rate
            } else {
                1.0 / rate
            };
            next += Duration::from_secs_f64(gap.min(3600.0));
            if next > Instant::now() {
                burst = 0;
                tokio::select! {
                    biased;
                    _ = &mut shutdown => break,
                    _ = changed.changed() => { next = Instant::now(); continue; }
                    _ = tokio::time::sleep_until(next) => {}
                }
            } else {
                // Behind schedule: send at once, but let other tasks run now and then.
                burst += 1;
                if burst.is_multiple_of(64) {
                    tokio::task::yield_now().await;
                    if shutdown.as_mut().now_or_never().is_some() {
                        break;
                    }
                }
                if changed.has_changed().unwrap_or(false) {
                    changed.mark_unchanged();
                    next = Instant::now();
                    continue;
                }
            }
            self.arrive(next, &mut rng);
        }
        self.running.store(false, Ordering::Relaxed);
        let drain = self.cfg.timeout + Duration::from_secs(1);
        let all = u32::try_from(self.max_in_flight).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(drain, self.in_flight.acquire_many(all)).await;
    }

    /// One arrival due at `intended`: a journey task, or a counted drop.
    fn arrive(self: &Arc<Self>, intended: Instant, rng: &mut SmallRng) {
        let journey = self.weights().pick(rng.random::<f64>());
        let seed = rng.random::<u64>();
        match self.in_flight.clone().try_acquire_owned() {
            Err(_) => self.record(journey, Outcome::Dropped, None),
            Ok(permit) => {
                let me = Arc::clone(self);
                tokio::spawn(async move {
                    me.journey(journey, intended, seed).await;
                    drop(permit);
                });
            }
        }
    }

    async fn journey(&self, chosen: Journey, intended: Instant, seed: u64) {
        let journey = self.client.resolve(chosen);
        let root = info_span!(parent: None, "journey",
            otel.name = journey.span_name(),
            otel.kind = "client",
            journey = journey.name(),
            outcome = Empty,
            otel.status_code = Empty,
        );
        let mut rng = SmallRng::seed_from_u64(seed);
        // Boxed: the HTTP state machine is kilobytes, and the spawned task
        // would otherwise be moved around whole.
        let play = Box::pin(self.client.play(journey, &root, &mut rng)).instrument(root.clone());
        let outcome = tokio::time::timeout(self.cfg.timeout, play)
            .await
            .unwrap_or(Outcome::Timeout);
        let latency = Instant::now().saturating_duration_since(intended);
        root.record("outcome", outcome.name());
        if outcome.is_error() {
            root.record("otel.status_code", "ERROR");
        }
        drop(root);
        self.record(journey, outcome, Some(latency));
    }

    fn record(&self, journey: Journey, outcome: Outcome, latency: Option<Duration>) {
        self.stats.record(journey, outcome, latency);
        self.meters.record(journey, outcome, latency);
    }
}

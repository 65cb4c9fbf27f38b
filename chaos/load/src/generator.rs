//! The open-model arrival loop: arrivals at the configured rate, each its own
//! task started at its intended time, whatever the target does.
//!
//! ```text
//!  run() ── next += 1/rate (or Exp(rate)) ── sleep_until(next) ──> arrival
//!   arrival ── in-flight permit? ── no ──> outcome "dropped" (counted, never silent)
//!                                └─ yes ─> spawn: a virtual user, root span "journey <name>"
//!                                          ─> Player::play (timeout) ─> outcome (+ failed step)
//!                                          ─> latency = now - intended  (no coordinated omission)
//!                                          ─> Stats + Meters
//! ```
//!
//! When the loop falls behind (a busy runtime), it sends the late arrivals at
//! once and their latency still counts from when they were due.

use crate::config::{LoadConfig, LoadError, Weights, check_weights, pick, validate_rate};
use crate::meters::Meters;
use crate::outcome::Outcome;
use crate::play::Player;
use crate::report::{LoadReport, TotalsReport};
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
    /// By journey index.
    weights: Mutex<Vec<f64>>,
    /// Wakes the arrival loop when the rate changes.
    changed: watch::Sender<u64>,
    running: AtomicBool,
    in_flight: Arc<Semaphore>,
    max_in_flight: usize,
    player: Player,
    stats: Stats,
    meters: Meters,
}

impl LoadGen {
    /// A generator for `cfg`. Fields that do not validate are replaced by safe
    /// values (rate 0, at least 1 in flight) and logged, as is a load without
    /// journeys (nothing is played); use
    /// [`LoadGen::try_new`] to refuse them instead. Build it after telemetry
    /// is set up so its metric handles reach the installed recorder.
    pub fn new(mut cfg: LoadConfig) -> Arc<Self> {
        if let Err(e) = validate_rate(cfg.rate) {
            tracing::warn!(error = %e, "starting paused");
            cfg.rate = 0.0;
        }
        if cfg.load.journeys.is_empty() {
            tracing::warn!("no journeys to play: arrivals are not sent");
        }
        cfg.max_in_flight = cfg.max_in_flight.clamp(1, MAX_IN_FLIGHT_LIMIT);
        if cfg.timeout.is_zero() {
            cfg.timeout = Duration::from_secs(5);
        }
        // Never from the seed: two runs with one seed against one target
        // must not share `{seq}` numbers (an Idempotency-Key would replay).
        let seq_base = (rand::make_rng::<SmallRng>().random::<u64>() >> 32) << 20;
        // An unparsable target leaves every journey failing as `error`
        // (try_new refuses it up front).
        let base = reqwest::Url::parse(&cfg.target).ok();
        if base.is_none() {
            tracing::warn!(target = %cfg.target, "the target is not a URL: every journey will fail");
        }
        let player = Player::new(&cfg.load, base, cfg.max_in_flight, cfg.timeout, seq_base);
        let names: Vec<String> = cfg.load.journeys.iter().map(|j| j.name.clone()).collect();
        Arc::new(Self {
            rate_bits: AtomicU64::new(cfg.rate.to_bits()),
            weights: Mutex::new(cfg.load.journeys.iter().map(|j| j.weight).collect()),
            changed: watch::Sender::new(0),
            running: AtomicBool::new(false),
            in_flight: Arc::new(Semaphore::new(cfg.max_in_flight)),
            max_in_flight: cfg.max_in_flight,
            player,
            stats: Stats::new(WINDOW_SECS, names.clone()),
            meters: Meters::new(&names),
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

    /// The current journey weights, by name.
    pub fn weights(&self) -> Weights {
        let w = self.weights.lock().unwrap_or_else(|e| e.into_inner());
        Weights(
            self.player
                .journeys
                .iter()
                .zip(w.iter())
                .map(|(j, w)| (j.name.clone(), *w))
                .collect(),
        )
    }

    /// The weights after changing those named in `patch` (the others keep
    /// theirs), checked but not applied: a name that is not a journey of the
    /// load is refused with the known ones.
    pub fn patched_weights(&self, patch: &Weights) -> Result<Weights, LoadError> {
        let mut w = self.weights();
        for (name, v) in &patch.0 {
            match w.0.get_mut(name) {
                Some(slot) => *slot = *v,
                None => {
                    let known: Vec<&str> = self
                        .player
                        .journeys
                        .iter()
                        .map(|j| j.name.as_str())
                        .collect();
                    return Err(LoadError::InvalidWeights(format!(
                        "`{name}` is not a journey of this load (journeys: {})",
                        known.join(", ")
                    )));
                }
            }
        }
        check_weights(&w)?;
        Ok(w)
    }

    /// Changes the weights named in `patch` for the next arrivals (see
    /// [`LoadGen::patched_weights`]); nothing changes when it is refused.
    pub fn set_weights(&self, patch: &Weights) -> Result<(), LoadError> {
        let w = self.patched_weights(patch)?;
        let names = self.player.journeys.iter();
        let values: Vec<f64> = names.map(|j| w.get(&j.name)).collect();
        *self.weights.lock().unwrap_or_else(|e| e.into_inner()) = values;
        Ok(())
    }

    /// Journeys running now.
    pub fn in_flight(&self) -> usize {
        self.max_in_flight - self.in_flight.available_permits()
    }

    /// The numbers so far: the sliding window and the totals since start.
    pub fn report(&self) -> LoadReport {
        let (window, totals) = self.stats.tallies();
        let by_name = |m: &std::collections::BTreeMap<String, crate::stats::Tally>| {
            m.iter().map(|(j, t)| (j.clone(), t.summary())).collect()
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
        if self.player.journeys.is_empty() {
            return;
        }
        let chosen = {
            let w = self.weights.lock().unwrap_or_else(|e| e.into_inner());
            pick(&w, rng.random::<f64>())
        };
        let user = rng.random_range(0..self.player.users());
        let journey = self.player.resolve(chosen, user);
        let seed = rng.random::<u64>();
        match self.in_flight.clone().try_acquire_owned() {
            Err(_) => self.record(journey, Outcome::Dropped, None, None),
            Ok(permit) => {
                let me = Arc::clone(self);
                tokio::spawn(async move {
                    me.journey(journey, user, intended, seed).await;
                    drop(permit);
                });
            }
        }
    }

    async fn journey(&self, journey: usize, user: usize, intended: Instant, seed: u64) {
        let name = self.player.journeys[journey].name.as_str();
        let root = info_span!(parent: None, "journey",
            otel.name = %format_args!("journey {name}"),
            otel.kind = "client",
            journey = name,
            outcome = Empty,
            journey.failed_step = Empty,
            otel.status_code = Empty,
        );
        let mut rng = SmallRng::seed_from_u64(seed);
        // Boxed: the HTTP state machine is kilobytes, and the spawned task
        // would otherwise be moved around whole.
        let play =
            Box::pin(self.player.play(journey, user, &root, &mut rng)).instrument(root.clone());
        let (outcome, failed) = match tokio::time::timeout(self.cfg.timeout, play).await {
            Ok(Ok(())) => (Outcome::Success, None),
            Ok(Err(f)) => (f.outcome, Some(f.step)),
            Err(_) => (Outcome::Timeout, None),
        };
        let latency = Instant::now().saturating_duration_since(intended);
        root.record("outcome", outcome.name());
        if let Some(step) = &failed {
            root.record("journey.failed_step", step.as_str());
        }
        if outcome.is_error() {
            root.record("otel.status_code", "ERROR");
        }
        drop(root);
        self.record(journey, outcome, Some(latency), failed.as_deref());
    }

    fn record(
        &self,
        journey: usize,
        outcome: Outcome,
        latency: Option<Duration>,
        failed: Option<&str>,
    ) {
        self.stats.record(journey, outcome, latency, failed);
        self.meters.record(journey, outcome, latency);
    }
}

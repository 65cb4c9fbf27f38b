//! In-service faults: injected into a service through its `/admin/faults`
//! API and kept by the service itself, so they expire on time even when
//! whoever asked for them has died.
//!
//! - [`spec`]: the fault kinds and their parameters, validated (the
//!   contract's `wire::service_fault`).
//! - [`burn`]: the CPU-burn and memory-growth workers.
//! - [`messages`]: the hooks of an event consumer (`duplicate_delivery`,
//!   `poison_message`).
//! - this file: the set of active faults, expiry, and the hooks the request
//!   path calls (`before_request`, `storage`, `pool_permit`).

pub mod burn;
pub mod messages;

/// The fault kinds and their rules: the contract's.
pub mod spec {
    pub use chaoslab_contract::wire::service_fault::*;
}

pub use spec::{FaultSpec, SpecError};

use crate::names;
use opentelemetry::KeyValue;
use opentelemetry::trace::TraceContextExt as _;
use rand::RngExt;
use std::{
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};
use tokio::{sync::Semaphore, time::Instant};

/// One active fault.
struct Active {
    id: String,
    spec: FaultSpec,
    started: SystemTime,
    duration: Duration,
    expires: Instant,
    /// Set when the fault ends, to stop its workers.
    stop: Arc<AtomicBool>,
    /// The shrunken pool, for `pool_shrink`.
    pool: Option<Arc<Semaphore>>,
    /// The message ids a `poison_message` fault has made poison.
    poisoned: std::sync::Mutex<Vec<String>>,
}

pub use chaoslab_contract::wire::admin::FaultView;

/// The active in-service faults of one service.
pub struct Faults {
    service: String,
    active: RwLock<Vec<Active>>,
    next_id: AtomicU64,
    /// Bumped whenever a fault ends, so requests it holds can go on.
    ended: tokio::sync::watch::Sender<u64>,
    /// Set by an event consumer: only then are the consumer kinds accepted.
    consumer: AtomicBool,
}

impl Faults {
    pub fn new(service: &str) -> Arc<Self> {
        for kind in spec::KINDS {
            metrics::gauge!(names::CHAOS_FAULTS_ACTIVE, names::label::TARGET => service.to_string(), names::label::KIND => *kind).set(0.0);
        }
        Arc::new(Self {
            service: service.into(),
            active: RwLock::new(Vec::new()),
            next_id: AtomicU64::new(1),
            ended: tokio::sync::watch::Sender::new(0),
            consumer: AtomicBool::new(false),
        })
    }

    /// Starts a fault for `duration`. Spawns workers for CPU and memory faults.
    pub fn add(self: &Arc<Self>, spec: FaultSpec, duration: Duration) -> FaultView {
        let id = format!(
            "{}-{}",
            self.service,
            self.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let stop = Arc::new(AtomicBool::new(false));
        let expires = Instant::now() + duration;
        match &spec {
            FaultSpec::CpuBurn { threads, percent } => {
                burn::cpu(*threads, *percent, expires, stop.clone())
            }
            FaultSpec::MemoryGrowth { mb_per_sec, max_mb } => {
                burn::memory(*mb_per_sec, *max_mb, stop.clone())
            }
            _ => {}
        }
        let pool = match &spec {
            FaultSpec::PoolShrink { size, .. } => Some(Arc::new(Semaphore::new(*size))),
            _ => None,
        };
        let active = Active {
            id,
            spec,
            started: SystemTime::now(),
            duration,
            expires,
            stop,
            pool,
            poisoned: Default::default(),
        };
        let view = self.view(&active);
        self.write().push(active);
        self.publish();
        let me = Arc::clone(self);
        let id = view.id.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(expires).await;
            me.remove(&id);
        });
        view
    }

    /// Ends the fault `id`; false when there is none.
    pub fn remove(&self, id: &str) -> bool {
        let removed = {
            let mut list = self.write();
            let before = list.len();
            list.retain(|a| {
                let keep = a.id != id;
                if !keep {
                    a.stop.store(true, Ordering::Relaxed);
                }
                keep
            });
            before != list.len()
        };
        self.publish();
        self.ended.send_modify(|n| *n += 1);
        removed
    }

    /// Ends every fault.
    pub fn clear(&self) {
        for a in self.write().drain(..) {
            a.stop.store(true, Ordering::Relaxed);
        }
        self.publish();
        self.ended.send_modify(|n| *n += 1);
    }

    /// The faults still running.
    pub fn list(&self) -> Vec<FaultView> {
        let now = Instant::now();
        self.read()
            .iter()
            .filter(|a| a.expires > now)
            .map(|a| self.view(a))
            .collect()
    }

    /// Request hook: adds latency and answers errors as the faults say.
    pub async fn before_request(&self, route: &str) -> Option<axum::response::Response> {
        let now = Instant::now();
        let (mut delay, mut error) = (Duration::ZERO, None);
        let mut holders = Vec::new();
        for a in self.read().iter().filter(|a| a.expires > now) {
            match &a.spec {
                FaultSpec::Latency {
                    route: r,
                    latency_ms,
                    jitter_ms,
                } if spec::matches(r, route) => {
                    let jitter = if *jitter_ms > 0 {
                        rand::rng().random_range(0..=*jitter_ms)
                    } else {
                        0
                    };
                    delay = delay
                        .saturating_add(Duration::from_millis(latency_ms.saturating_add(jitter)));
                    holders.push(a.id.clone());
                    self.injected(&a.id, "latency");
                }
                FaultSpec::ErrorRate {
                    route: r,
                    rate,
                    status,
                } if spec::matches(r, route) && error.is_none() => {
                    if rand::rng().random_bool(*rate) {
                        error = Some(*status);
                        self.injected(&a.id, "error_rate");
                    }
                }
                _ => {}
            }
        }
        self.hold(delay, holders).await;
        error.map(|status| {
            crate::error::json_error(
                http::StatusCode::from_u16(status)
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
                "injected fault",
                &format!(
                    "{} answered {status} because of an error_rate fault",
                    self.service
                ),
            )
        })
    }

    /// Storage hook: services call it around their (simulated) storage work.
    pub async fn storage(&self) {
        let now = Instant::now();
        let mut delay = Duration::ZERO;
        let mut holders = Vec::new();
        for a in self.read().iter().filter(|a| a.expires > now) {
            if let FaultSpec::SlowStorage { latency_ms } = a.spec {
                delay = delay.saturating_add(Duration::from_millis(latency_ms));
                holders.push(a.id.clone());
                self.injected(&a.id, "slow_storage");
            }
        }
        self.hold(delay, holders).await;
    }

    /// Outgoing-call hook: while a `pool_shrink` fault is on `dependency`,
    /// calls to it queue for one of a few permits.
    pub async fn pool_permit(&self, dependency: &str) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let now = Instant::now();
        let pool = self.read().iter().find_map(|a| match &a.spec {
            FaultSpec::PoolShrink { dependency: d, .. } if d == dependency && a.expires > now => {
                self.injected(&a.id, "pool_shrink");
                a.pool.clone()
            }
            _ => None,
        })?;
        pool.acquire_owned().await.ok()
    }

    /// Wait `delay`, or less: the wait ends as soon as none of the faults
    /// that caused it (`holders`) is in force any more (expired or removed).
    async fn hold(&self, delay: Duration, holders: Vec<String>) {
        if delay.is_zero() {
            return;
        }
        let until = Instant::now()
            .checked_add(delay)
            .unwrap_or_else(|| Instant::now() + spec::MAX_DURATION);
        let mut ended = self.ended.subscribe();
        loop {
            let now = Instant::now();
            let last_end = self
                .read()
                .iter()
                .filter(|a| a.expires > now && holders.contains(&a.id))
                .map(|a| a.expires)
                .max();
            let Some(last_end) = last_end else { return };
            tokio::select! {
                _ = tokio::time::sleep_until(until.min(last_end)) => {
                    if until <= last_end { return }
                }
                _ = ended.changed() => {}
            }
        }
    }

    /// This service consumes events: the consumer kinds apply to it.
    pub fn set_consumer(&self) {
        self.consumer.store(true, Ordering::Relaxed);
    }

    /// Whether a fault of `spec`'s kind can act here: a consumer kind only
    /// on a consumer of events (the reason otherwise).
    pub fn applies(&self, spec: &FaultSpec) -> Result<(), String> {
        if spec.needs_consumer() && !self.consumer.load(Ordering::Relaxed) {
            return Err(spec::not_a_consumer(spec.kind()));
        }
        Ok(())
    }

    fn injected(&self, id: &str, kind: &'static str) {
        metrics::counter!(names::CHAOS_INJECTIONS, names::label::TARGET => self.service.clone(), names::label::KIND => kind).increment(1);
        // On the span now current: a request's server span, or a
        // consumer's `tracing` span (entered, it is the current context).
        opentelemetry::Context::map_current(|cx| {
            cx.span().add_event(
                names::span::FAULT_EVENT,
                vec![
                    KeyValue::new(names::span::FAULT_KIND, kind),
                    KeyValue::new(names::span::FAULT_ID, id.to_string()),
                    KeyValue::new(names::span::FAULT_TARGET, self.service.clone()),
                ],
            )
        });
    }

    fn publish(&self) {
        let list = self.read();
        for kind in spec::KINDS {
            let n = list.iter().filter(|a| a.spec.kind() == *kind).count();
            metrics::gauge!(names::CHAOS_FAULTS_ACTIVE, names::label::TARGET => self.service.clone(), names::label::KIND => *kind).set(n as f64);
        }
    }

    fn view(&self, a: &Active) -> FaultView {
        FaultView {
            id: a.id.clone(),
            target: self.service.clone(),
            spec: a.spec.clone(),
            duration_ms: a.duration.as_millis() as u64,
            remaining_ms: a
                .expires
                .saturating_duration_since(Instant::now())
                .as_millis() as u64,
            started_at: a
                .started
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Active>> {
        self.active.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Active>> {
        self.active.write().unwrap_or_else(|e| e.into_inner())
    }
}

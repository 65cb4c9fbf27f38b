//! The in-service fault kinds and their parameter rules, as a service's
//! admin API (`POST /admin/faults`, and the agent's
//! `POST /chaos/services/{s}/faults`) accepts them: the one definition, used
//! by the services, the agent and `chaoslab run --check`.

use serde::{Deserialize, Serialize};
use std::time::Duration;

pub use super::faults::MAX_DURATION;

/// A kind's parameters as [`FaultSpec`] reads them (besides `kind` and
/// `duration_ms`): what a request must give and what it may. A test holds
/// this table to the type, so `chaoslab run --check` and the services
/// cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub kind: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

#[cfg(test)]
impl Params {
    /// `T` reads a body with only the required fields, and refuses one
    /// missing any of them (`body` builds a request from field names).
    pub(crate) fn assert_required<T: serde::de::DeserializeOwned>(
        &self,
        body: impl Fn(&[&str]) -> serde_json::Value,
    ) {
        if let Err(e) = serde_json::from_value::<T>(body(self.required)) {
            panic!("{} with its required fields only: {e}", self.kind);
        }
        for missing in self.required {
            let rest: Vec<&str> = self
                .required
                .iter()
                .filter(|f| f != &missing)
                .copied()
                .collect();
            assert!(
                serde_json::from_value::<T>(body(&rest)).is_err(),
                "{} without {missing} is refused",
                self.kind
            );
        }
    }
}

const fn params(
    kind: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
) -> Params {
    Params {
        kind,
        required,
        optional,
    }
}

/// Every kind with its parameters.
pub const PARAMS: [Params; 8] = [
    params("error_rate", &["rate"], &["route", "status"]),
    params("latency", &["latency_ms"], &["route", "jitter_ms"]),
    params("slow_storage", &["latency_ms"], &[]),
    params("cpu_burn", &[], &["threads", "percent"]),
    params("memory_growth", &["mb_per_sec", "max_mb"], &[]),
    params("pool_shrink", &["dependency"], &["size"]),
    params("duplicate_delivery", &["rate"], &["subject"]),
    params("poison_message", &[], &["count", "subject"]),
];

const KIND_NAMES: [&str; PARAMS.len()] = {
    let mut out = [""; PARAMS.len()];
    let mut i = 0;
    while i < PARAMS.len() {
        out[i] = PARAMS[i].kind;
        i += 1;
    }
    out
};

/// Every kind's name (from [`PARAMS`]), for metrics that should show zero
/// before the first fault.
pub const KINDS: &[&str] = &KIND_NAMES;

/// The parameters of `kind`, if it is one.
pub fn params_of(kind: &str) -> Option<&'static Params> {
    PARAMS.iter().find(|p| p.kind == kind)
}

/// The kinds that act on a consumer of events (the shop's `shipments` and
/// `notifications`): a service that consumes no messages refuses them with
/// [`not_a_consumer`].
pub const CONSUMER_KINDS: &[&str] = &["duplicate_delivery", "poison_message"];

/// Why a service that consumes no messages refuses a consumer fault.
pub fn not_a_consumer(kind: &str) -> String {
    format!("{kind} acts on a consumer of events, and this service consumes none")
}

/// Duration when the request names none.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(60);

/// A fault and its parameters. `route` is a prefix of the route template
/// (`/api/checkout`); none means every business route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultSpec {
    /// Answer `status` to a fraction `rate` (0..=1) of requests.
    ErrorRate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        route: Option<String>,
        rate: f64,
        #[serde(default = "default_status")]
        status: u16,
    },
    /// Add `latency_ms` (plus up to `jitter_ms`) before handling a request.
    Latency {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        route: Option<String>,
        latency_ms: u64,
        #[serde(default)]
        jitter_ms: u64,
    },
    /// Make every (simulated) storage call take `latency_ms` longer.
    SlowStorage { latency_ms: u64 },
    /// Keep `threads` threads busy `percent` of the time.
    CpuBurn {
        #[serde(default = "one")]
        threads: u32,
        #[serde(default = "hundred")]
        percent: u8,
    },
    /// Allocate and hold `mb_per_sec` MiB a second, up to `max_mb`.
    MemoryGrowth { mb_per_sec: u32, max_mb: u32 },
    /// Let only `size` calls to `dependency` be in flight; the rest queue.
    PoolShrink {
        dependency: String,
        #[serde(default = "one_usize")]
        size: usize,
    },
    /// A consumer does the work for a share `rate` (0..=1) of the messages
    /// it gets for the first time, then has each of them delivered again:
    /// it naks the message instead of acking it, so JetStream redelivers
    /// the same stream sequence, with the same `Nats-Msg-Id` and headers
    /// (what a lost ack or an ack after `ack_wait` causes, without the
    /// wait). `subject`: a prefix of the subject (`order.placed`); none
    /// means every subject.
    DuplicateDelivery {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        rate: f64,
    },
    /// The next `count` new messages a consumer gets (matching `subject`)
    /// are ones it cannot handle: every delivery of them fails while the
    /// fault lasts, so they are retried until the dead-letter queue takes
    /// them, or forever (holding the queue) without one.
    PoisonMessage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        #[serde(default = "one_u64")]
        count: u64,
    },
}

fn default_status() -> u16 {
    500
}
fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}
fn one_usize() -> usize {
    1
}
fn hundred() -> u8 {
    100
}

/// What was wrong with a fault request.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

impl FaultSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ErrorRate { .. } => "error_rate",
            Self::Latency { .. } => "latency",
            Self::SlowStorage { .. } => "slow_storage",
            Self::CpuBurn { .. } => "cpu_burn",
            Self::MemoryGrowth { .. } => "memory_growth",
            Self::PoolShrink { .. } => "pool_shrink",
            Self::DuplicateDelivery { .. } => "duplicate_delivery",
            Self::PoisonMessage { .. } => "poison_message",
        }
    }

    /// Whether the kind acts on a consumer of events ([`CONSUMER_KINDS`]).
    pub fn needs_consumer(&self) -> bool {
        CONSUMER_KINDS.contains(&self.kind())
    }

    /// Parses a request body: the fault's fields plus `duration_ms`.
    pub fn parse(body: &[u8]) -> Result<(Self, Duration), SpecError> {
        let req = ServiceFaultRequest::parse(body)?;
        let duration = req.duration();
        Ok((req.fault, duration))
    }
}

/// Body of `POST /admin/faults`: a fault and how long it lasts
/// (`duration_ms`, [`DEFAULT_DURATION`] when absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceFaultRequest {
    #[serde(flatten)]
    pub fault: FaultSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl ServiceFaultRequest {
    /// `fault` for `duration`.
    pub fn new(fault: FaultSpec, duration: Option<Duration>) -> Self {
        Self {
            fault,
            duration_ms: duration.map(|d| d.as_millis() as u64),
        }
    }

    /// How long the fault lasts.
    pub fn duration(&self) -> Duration {
        self.duration_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_DURATION)
    }

    /// Parses a request body by the rules: a known `kind`, its fields (each
    /// error naming the field), their values, and `duration_ms`.
    pub fn parse(body: &[u8]) -> Result<Self, SpecError> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| SpecError(format!("malformed JSON: {e}")))?;
        Self::from_value(value)
    }

    /// [`ServiceFaultRequest::parse`] for a JSON value.
    pub fn from_value(mut value: serde_json::Value) -> Result<Self, SpecError> {
        let obj = value
            .as_object_mut()
            .ok_or_else(|| SpecError("expected a JSON object".into()))?;
        let duration_ms = match obj.remove("duration_ms") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(ms) if ms > 0 && Duration::from_millis(ms) <= MAX_DURATION => Some(ms),
                _ => {
                    return Err(SpecError(format!(
                        "duration_ms must be a whole number from 1 to {}",
                        MAX_DURATION.as_millis()
                    )));
                }
            },
        };
        if !obj.contains_key("kind") {
            return Err(SpecError(format!(
                "missing field `kind` (one of {})",
                KINDS.join(", ")
            )));
        }
        let fields = obj.clone();
        let spec: FaultSpec = serde_json::from_value(value)
            .map_err(|e| SpecError(name_the_field(&fields, e.to_string())))?;
        spec.validate()?;
        Ok(Self {
            fault: spec,
            duration_ms,
        })
    }
}

impl<'de> Deserialize<'de> for ServiceFaultRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Self::from_value(value).map_err(serde::de::Error::custom)
    }
}

impl FaultSpec {
    /// Check the values: the one set of rules for in-service faults, used by
    /// the admin API ([`FaultSpec::parse`]) and by `chaoslab run --check`.
    pub fn validate(&self) -> Result<(), SpecError> {
        let bad = |m: &str| Err(SpecError(m.into()));
        match self {
            Self::ErrorRate { rate, status, .. } => {
                if !(0.0..=1.0).contains(rate) {
                    return bad("rate must be between 0 and 1");
                }
                if !(400..=599).contains(status) {
                    return bad("status must be from 400 to 599");
                }
            }
            Self::Latency {
                latency_ms,
                jitter_ms,
                ..
            } if latency_ms
                .checked_add(*jitter_ms)
                .is_none_or(|t| t > 600_000) =>
            {
                return bad("latency_ms + jitter_ms must be at most 600000");
            }
            Self::SlowStorage { latency_ms } if *latency_ms > 600_000 => {
                return bad("latency_ms must be at most 600000");
            }
            Self::CpuBurn { threads, percent } => {
                if !(1..=64).contains(threads) {
                    return bad("threads must be from 1 to 64");
                }
                if !(1..=100).contains(percent) {
                    return bad("percent must be from 1 to 100");
                }
            }
            Self::MemoryGrowth { mb_per_sec, max_mb } => {
                if *mb_per_sec == 0 || *max_mb == 0 || *max_mb > 4096 {
                    return bad("mb_per_sec must be positive and max_mb from 1 to 4096");
                }
            }
            Self::PoolShrink { size, .. } if *size == 0 || *size > 1024 => {
                return bad("size must be from 1 to 1024");
            }
            Self::DuplicateDelivery { rate, .. } if !(0.0..=1.0).contains(rate) => {
                return bad("rate must be between 0 and 1");
            }
            Self::PoisonMessage { count, .. } if *count == 0 || *count > 10_000 => {
                return bad("count must be from 1 to 10000");
            }
            _ => {}
        }
        Ok(())
    }
}

/// serde's message for a bad value inside a tagged enum names the value, not
/// the field (``invalid value: integer `-5`, expected u64``): find the field.
fn name_the_field(fields: &serde_json::Map<String, serde_json::Value>, message: String) -> String {
    let shown = message.split('`').nth(1).map(str::to_owned);
    let field = shown.and_then(|v| {
        fields
            .iter()
            .find(|(_, val)| val.to_string() == v || val.as_str() == Some(&v))
            .map(|(k, _)| k.clone())
    });
    match field {
        Some(f) => format!("{f}: {message}"),
        None => message,
    }
}

/// Whether a fault limited to `route` (a prefix) applies to `actual`.
pub fn matches(route: &Option<String>, actual: &str) -> bool {
    route.as_deref().is_none_or(|r| actual.starts_with(r))
}

#[cfg(test)]
mod tests {
    //! [`PARAMS`] says exactly what [`FaultSpec`] reads.
    use super::*;
    use serde_json::{Value, json};

    fn sample(field: &str) -> Value {
        match field {
            "rate" => json!(0.5),
            "route" | "dependency" | "subject" => json!("x"),
            _ => json!(1),
        }
    }

    fn body(kind: &str, fields: &[&str]) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("kind".into(), json!(kind));
        for f in fields {
            m.insert((*f).into(), sample(f));
        }
        Value::Object(m)
    }

    /// The fields serde names when it refuses an unknown one.
    fn fields_of(kind: &str) -> Vec<String> {
        let err = serde_json::from_value::<FaultSpec>(body(kind, &["zz_unknown"]))
            .unwrap_err()
            .to_string();
        let list = err
            .split_once("expected one of ")
            .or_else(|| err.split_once("expected "))
            .map(|(_, l)| l)
            .unwrap_or_else(|| panic!("{kind}: {err}"));
        // "`a`, `b`, `c`", "`a` or `b`", or "`a`".
        let mut names: Vec<String> = list
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .filter(|n| n != "kind" && n != "duration_ms")
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_table_names_every_field_of_every_kind_and_which_are_required() {
        assert_eq!(PARAMS.len(), KINDS.len());
        for p in PARAMS {
            let mut all: Vec<String> = p
                .required
                .iter()
                .chain(p.optional)
                .map(|s| s.to_string())
                .collect();
            all.sort();
            assert_eq!(all, fields_of(p.kind), "{}", p.kind);
            let every: Vec<&str> = p.required.iter().chain(p.optional).copied().collect();
            serde_json::from_value::<FaultSpec>(body(p.kind, &every))
                .unwrap_or_else(|e| panic!("{}: {e}", p.kind));
            p.assert_required::<FaultSpec>(|fields| body(p.kind, fields));
        }
        assert!(params_of("no_such_kind").is_none());
    }
}

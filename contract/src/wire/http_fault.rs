//! HTTP faults on the wire (`POST /chaos/proxies/{p}/faults`): abort a
//! request with a status, or delay it, for the requests a [`Match`]
//! selects, a `percent` of the time. [`HttpFaultSpec::validate`] is the one
//! set of rules, used by the agent and by `chaoslab run --check`.
//!
//! ```json
//! {"type": "abort", "status": 503, "body": "injected", "percent": 50,
//!  "match": {"method": "GET", "path": "/api/*"}, "duration_ms": 30000}
//! {"type": "delay", "delay": {"distribution": "fixed", "ms": 300}}
//! ```

use serde::{Deserialize, Serialize};

use super::delay::Delay;
use super::matcher::Match;

/// What an HTTP fault does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum HttpAction {
    /// Answer without calling the upstream.
    Abort {
        /// The status to answer with.
        status: u16,
        /// The body; defaults to a JSON error naming the fault.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    /// Hold the request before forwarding it.
    Delay { delay: Delay },
}

/// Body of `POST /chaos/proxies/{p}/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpFaultSpec {
    #[serde(flatten)]
    pub action: HttpAction,
    /// Which requests; all when absent.
    #[serde(default, rename = "match")]
    pub matcher: Match,
    /// Share of matching requests affected, 0 to 100 (default 100).
    #[serde(default = "hundred")]
    pub percent: f64,
    /// Reverts by itself after this long; forever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

fn hundred() -> f64 {
    100.0
}

impl HttpFaultSpec {
    /// Check the values: the one set of rules, used by the agent's API and
    /// by `chaoslab run --check`.
    pub fn validate(&self) -> Result<(), String> {
        super::faults::check_optional_duration(self.duration_ms)?;
        if !(0.0..=100.0).contains(&self.percent) {
            return Err(format!(
                "percent must be within 0..=100, got {}",
                self.percent
            ));
        }
        match &self.action {
            HttpAction::Abort { status, .. } => {
                // An abort answers instead of the upstream: an error status.
                if !(400..=599).contains(status) {
                    return Err(format!("status must be within 400..=599, got {status}"));
                }
            }
            HttpAction::Delay { delay } => delay.validate()?,
        }
        Ok(())
    }
}

impl HttpAction {
    /// `http_abort` or `http_delay` (the kind `GET /chaos/faults` lists and
    /// the `kind` label of the chaos metrics).
    pub fn kind(&self) -> &'static str {
        match self {
            HttpAction::Abort { .. } => "http_abort",
            HttpAction::Delay { .. } => "http_delay",
        }
    }
}

/// The HTTP fault kinds with their parameters as [`HttpFaultSpec`] reads
/// them (besides `type` and `duration_ms`), in the shape of the in-service
/// kinds' table; a test holds it to the type.
pub const PARAMS: [super::service_fault::Params; 2] = [
    super::service_fault::Params {
        kind: "http_abort",
        required: &["status"],
        optional: &["body", "percent", "match"],
    },
    super::service_fault::Params {
        kind: "http_delay",
        required: &["delay"],
        optional: &["percent", "match"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(kind: &str, fields: &[&str]) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), json!(kind.trim_start_matches("http_")));
        for f in fields {
            let v = match *f {
                "status" => json!(503),
                "body" => json!("no"),
                "percent" => json!(50),
                "match" => json!({ "path": "/a" }),
                "delay" => json!({ "distribution": "fixed", "ms": 5 }),
                other => panic!("no sample for {other}"),
            };
            m.insert((*f).into(), v);
        }
        Value::Object(m)
    }

    #[test]
    fn the_table_is_what_the_spec_reads() {
        for p in PARAMS {
            let every: Vec<&str> = p.required.iter().chain(p.optional).copied().collect();
            let spec: HttpFaultSpec = serde_json::from_value(body(p.kind, &every))
                .unwrap_or_else(|e| panic!("{}: {e}", p.kind));
            assert_eq!(spec.action.kind(), p.kind);
            // Every optional field is read (not left at its default).
            assert_eq!(spec.percent, 50.0, "{}", p.kind);
            assert_eq!(spec.matcher.path.as_deref(), Some("/a"), "{}", p.kind);
            p.assert_required::<HttpFaultSpec>(|fields| body(p.kind, fields));
        }
    }
}

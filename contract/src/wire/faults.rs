//! The agent's `/chaos` faults on the wire: toxics with a duration, a proxy
//! down, process faults, and the one list of every active fault
//! (`GET /chaos/faults`). HTTP faults are in [`super::http_fault`],
//! in-service faults in [`super::service_fault`].
//!
//! Every fault that lasts takes a `duration_ms` checked by one rule,
//! [`check_duration_ms`], here for the agent, the services and the runner.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::agent::ToxicSpec;
use crate::ProcessAction;

/// The longest any fault may last: an hour.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);

/// A fault's `duration_ms`: from 1 ms to [`MAX_DURATION`]. A fault of 0 ms
/// would do nothing, and one without end should say so by leaving the
/// duration out.
pub fn check_duration_ms(ms: u64) -> Result<Duration, String> {
    let d = Duration::from_millis(ms);
    if ms == 0 || d > MAX_DURATION {
        return Err(format!(
            "duration_ms must be from 1 to {}, got {ms}",
            MAX_DURATION.as_millis()
        ));
    }
    Ok(d)
}

/// [`check_duration_ms`] for an optional duration.
pub fn check_optional_duration(ms: Option<u64>) -> Result<Option<Duration>, String> {
    ms.map(check_duration_ms).transpose()
}

/// Body of `POST /chaos/proxies/{p}/toxics`: a Toxiproxy toxic plus `duration_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedToxic {
    #[serde(flatten)]
    pub toxic: ToxicSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// Body of `POST /chaos/proxies/{p}/down` (an empty body is no duration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DownSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// Body of `POST /chaos/process/{service}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessFaultSpec {
    pub action: ProcessAction,
    /// For `pause`: resume after this long. For `stop` (required): how long
    /// the process stays down. For the others: how long the fault stays listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl ProcessFaultSpec {
    /// Check the values: a duration within bounds, and one for a stop.
    pub fn validate(&self) -> Result<(), String> {
        check_optional_duration(self.duration_ms)?;
        if self.action == ProcessAction::Stop && self.duration_ms.is_none() {
            return Err("stop needs duration_ms: how long the process stays down".into());
        }
        Ok(())
    }
}

/// Where a fault lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultSource {
    /// A Toxiproxy toxic on a proxy.
    Toxic,
    /// An HTTP fault on an http-mode proxy.
    Http,
    /// A process fault done through the supervisor.
    Process,
    /// A fault inside a service (its admin API keeps it).
    Service,
    /// A proxy that is down (not listening).
    Proxy,
}

/// One entry of `GET /chaos/faults`; also the answer to every `POST /chaos/...`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveFault {
    /// Use with `DELETE /chaos/faults/{id}`.
    pub id: String,
    pub source: FaultSource,
    /// The proxy or service it acts on.
    pub target: String,
    /// e.g. `latency`, `http_abort`, `pause`, or the service's own kind.
    pub kind: String,
    /// Time left; absent when it lasts until removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<u64>,
    /// The fault's own description (toxic view, HTTP spec, service entry).
    #[serde(default)]
    pub detail: Value,
}

/// The header of `GET /chaos/faults` that names the services (comma
/// separated) that did not answer in time: their faults are not in the list.
pub const UNANSWERED_HEADER: &str = "x-chaos-unanswered";

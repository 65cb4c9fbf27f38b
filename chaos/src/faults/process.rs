//! A process fault: an action done to a service's process through
//! [`crate::LabControl`]. A pause with a duration is resumed when it ends; a
//! stop (a timed outage, duration required) is started again when it ends;
//! kill, terminate and restart happen once (the supervisor restarts crashed
//! services) and stay listed until their duration ends. Removing a pause or a
//! stop ends it at once (resume, start).

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::control::ProcessAction;

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
        super::check_optional_duration(self.duration_ms)?;
        if self.action == ProcessAction::Stop && self.duration_ms.is_none() {
            return Err("stop needs duration_ms: how long the process stays down".into());
        }
        Ok(())
    }
}

/// A process fault the agent has carried out.
#[derive(Debug, Clone)]
pub struct ProcessFault {
    pub id: String,
    pub service: String,
    pub action: ProcessAction,
    pub expires: Option<Instant>,
}

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

/// A process fault the agent has carried out.
#[derive(Debug, Clone)]
pub struct ProcessFault {
    pub id: String,
    pub service: String,
    pub action: ProcessAction,
    pub expires: Option<Instant>,
}

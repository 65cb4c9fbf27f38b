//! A process fault: an action done to a service's process through
//! [`crate::LabControl`]. A pause with a duration is resumed when it ends; a
//! stop (a timed outage, duration required) is started again when it ends;
//! kill, terminate and restart happen once (the supervisor restarts crashed
//! services) and stay listed until their duration ends. Removing a pause or a
//! stop ends it at once (resume, start).

use tokio::time::Instant;

use crate::control::ProcessAction;

pub use chaoslab_contract::wire::faults::ProcessFaultSpec;

/// A process fault the agent has carried out.
#[derive(Debug, Clone)]
pub struct ProcessFault {
    pub id: String,
    pub service: String,
    pub action: ProcessAction,
    pub expires: Option<Instant>,
}

//! HTTP plumbing shared by every service: the server-side observation layer,
//! the resilient outgoing client, and W3C trace-context carriers.

pub mod client;
pub mod deadline;
pub mod propagation;
pub mod server;

//! How an agent proxy handles its traffic; chosen per dependency in the lab
//! file and per proxy in the agent's API.

use serde::{Deserialize, Serialize};

/// How a proxy handles its traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyMode {
    /// Bytes, as Toxiproxy: toxics apply to each direction of each connection.
    #[default]
    Tcp,
    /// HTTP/1.1 requests: HTTP faults apply per request, plus latency and down.
    Http,
}

impl ProxyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyMode::Tcp => "tcp",
            ProxyMode::Http => "http",
        }
    }
}

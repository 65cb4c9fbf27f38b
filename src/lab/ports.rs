//! Ports: the lab file's and the design's defaults, or free ones when a
//! default is taken.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

/// The lab's own processes' default ports (services' ports are the lab file's).
pub const AGENT: u16 = 8474;
pub const HUB_API: u16 = 7070;
pub const HUB_OTLP_GRPC: u16 = 4317;
pub const HUB_OTLP_HTTP: u16 = 4318;
pub const LOADGEN_METRICS: u16 = 9464;

/// Hands out ports: each wanted default if it is free, else a free one.
/// With `ephemeral`, every port is a free one (tests, `chaoslab run`).
pub struct PortPicker {
    ephemeral: bool,
    taken: Vec<u16>,
}

impl PortPicker {
    pub fn new(ephemeral: bool) -> Self {
        Self {
            ephemeral,
            taken: Vec::new(),
        }
    }

    /// A port for `preferred`; the socket is released at once, so a child can
    /// bind it (with `SO_REUSEADDR`).
    pub fn pick(&mut self, preferred: u16) -> std::io::Result<u16> {
        if !self.ephemeral && preferred != 0 && !self.taken.contains(&preferred) && free(preferred)
        {
            self.taken.push(preferred);
            return Ok(preferred);
        }
        loop {
            let l = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
            let port = l.local_addr()?.port();
            if !self.taken.contains(&port) {
                self.taken.push(port);
                return Ok(port);
            }
        }
    }
}

fn free(port: u16) -> bool {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).is_ok()
}

/// `http://127.0.0.1:<port>`
pub fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

//! Ports: the lab file's and the design's defaults, or free ones when a
//! default is taken, each held for the lab's life.
//!
//! A port is chosen long before its process binds it (children start in
//! dependency order, each after its callees are ready), and labs start side
//! by side (one per test). A port only probed and let go could be handed to
//! another lab's `bind(0)` or to a client socket in that window, and this
//! lab's proxy would then forward to a stranger. So the picker keeps a
//! socket bound to each port it hands out, with `SO_REUSEADDR` and never
//! listening, until the lab stops:
//! - the kernel's free-port search (`bind` to port 0, and the local port of
//!   an outgoing connection) passes over a bound port, so no other process
//!   is given it;
//! - the lab's own process binds and listens on it all the same, because
//!   both sockets ask for address reuse and the held one does not listen.
//!   Every server stack the lab runs (Rust's std and tokio, Go, Node.js,
//!   Python's socketserver and waitress) binds with `SO_REUSEADDR`.
//! - a restarted child finds its port still kept for it.
//!
//! The held sockets are close-on-exec: children do not inherit them.

use socket2::{Domain, Socket, Type};
use std::net::{Ipv4Addr, SocketAddr};

/// The lab's own processes' default ports (services' ports are the lab file's).
pub const AGENT: u16 = 8474;
pub const HUB_API: u16 = 7070;
pub const HUB_OTLP_GRPC: u16 = 4317;
pub const HUB_OTLP_HTTP: u16 = 4318;
pub const LOADGEN_METRICS: u16 = 9464;

/// Hands out ports: each wanted default if it is free, else a free one.
/// With `ephemeral`, every port is a free one (tests, `chaoslab run`).
/// Each port stays reserved while the picker lives.
pub struct PortPicker {
    ephemeral: bool,
    held: Vec<(u16, Socket)>,
}

impl PortPicker {
    pub fn new(ephemeral: bool) -> Self {
        Self {
            ephemeral,
            held: Vec::new(),
        }
    }

    /// A port for `preferred`, reserved until the picker is dropped.
    pub fn pick(&mut self, preferred: u16) -> std::io::Result<u16> {
        if !self.ephemeral && preferred != 0 && !self.held.iter().any(|(p, _)| *p == preferred) {
            if let Ok(socket) = hold(preferred) {
                self.held.push((preferred, socket));
                return Ok(preferred);
            }
        }
        // The ports this picker holds are bound, so the kernel does not
        // hand them out again.
        let socket = hold(0)?;
        let port = socket
            .local_addr()?
            .as_socket()
            .map(|a| a.port())
            .ok_or_else(|| std::io::Error::other("a held socket has no inet address"))?;
        self.held.push((port, socket));
        Ok(port)
    }
}

/// A socket bound to `127.0.0.1:port` (0: a free one) with address reuse,
/// not listening: a reservation.
fn hold(port: u16) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)).into())?;
    Ok(socket)
}

/// `http://127.0.0.1:<port>`
pub fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_held_port_can_still_be_listened_on_by_its_server() {
        let mut picker = PortPicker::new(true);
        let port = picker.pick(0).unwrap();
        // The lab's process listens on it (std binds with SO_REUSEADDR).
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
        assert_eq!(server.local_addr().unwrap().port(), port);
        drop(server);
        // And again after a restart.
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }

    #[test]
    fn a_dropped_picker_lets_its_ports_go() {
        let mut picker = PortPicker::new(true);
        let port = picker.pick(0).unwrap();
        // Held: a bind without address reuse is refused.
        let plain = || {
            let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            s.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, port)).into())
        };
        assert!(plain().is_err());
        drop(picker);
        plain().unwrap();
    }

    #[test]
    fn two_picks_are_two_ports() {
        let mut picker = PortPicker::new(false);
        let a = picker.pick(0).unwrap();
        let b = picker.pick(a).unwrap();
        assert_ne!(a, b);
    }
}

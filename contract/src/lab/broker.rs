//! A lab's message broker: a service entry with `broker = "nats"`, started
//! and supervised by the lab like a service, reached by its callers through
//! an agent proxy in TCP mode.
//!
//! ```toml
//! [services.broker]
//! broker = "nats"          # nats-server with JetStream (Debian: nats-server)
//! port = 4222
//! proxy_port = 14222
//! [services.orders]
//! depends_on = [{ name = "broker", proxy = "tcp" }]   # orders gets nats://127.0.0.1:14222
//! ```
//!
//! The model says which program runs, with which arguments and where its
//! data lives; `chaoslab up` starts it (`src/lab/children.rs`). A broker
//! that is not installed is left out with one line naming the install
//! command, and the rest of the lab runs without it: a broker is something
//! the lab can do without (the outbox keeps the events until it is there).

use std::path::{Path, PathBuf};

/// A broker the lab knows how to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broker {
    /// `nats-server -js`: NATS with JetStream (persistent streams, acks,
    /// redelivery), one static Go binary.
    Nats,
}

impl Broker {
    /// The lab file's value (`broker = "nats"`).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "nats" => Ok(Broker::Nats),
            other => Err(format!(
                "`{other}` is not a broker the lab runs; use \"nats\" (nats-server with JetStream)"
            )),
        }
    }

    /// The lab file's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Broker::Nats => "nats",
        }
    }

    /// The program it runs.
    pub fn program(self) -> &'static str {
        match self {
            Broker::Nats => "nats-server",
        }
    }

    /// The command that installs the program (Debian bookworm).
    pub fn install_hint(self) -> &'static str {
        match self {
            Broker::Nats => "apt-get install -y nats-server",
        }
    }

    /// The repository of its container image (compose and Kubernetes; the
    /// tag is pinned once, in docker-compose.yml).
    pub fn image_repository(self) -> &'static str {
        match self {
            Broker::Nats => "nats",
        }
    }

    /// Where the program is on `PATH`, if it is installed.
    pub fn installed(self) -> Option<PathBuf> {
        let program = self.program();
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(program))
                .find(|f| super::command::is_executable(f))
        })
    }

    /// Its arguments: listening on `addr`:`port` (127.0.0.1 in a local
    /// lab), keeping its data in `data_dir` (created by the caller), named
    /// `name` in its own logs.
    pub fn args(self, name: &str, addr: &str, port: u16, data_dir: &Path) -> Vec<String> {
        match self {
            Broker::Nats => vec![
                "--jetstream".into(),
                "--addr".into(),
                addr.into(),
                "--port".into(),
                port.to_string(),
                "--store_dir".into(),
                data_dir.display().to_string(),
                "--server_name".into(),
                name.into(),
            ],
        }
    }

    /// The URL a client connects to at `host_port` (a proxy's or the
    /// broker's own address).
    pub fn url(self, host_port: &str) -> String {
        match self {
            Broker::Nats => format!("nats://{host_port}"),
        }
    }
}

/// `nats://HOST:PORT` (or `http://HOST:PORT`, a proxy's URL) into `HOST:PORT`.
pub fn host_port(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.trim_end_matches('/')
}

//! A proxy: its configuration, its toxics, and the listener it runs.
//!
//! ```text
//!   client ──> listener ──accept──> connection ──link(upstream)──>   upstream
//!                                             <──link(downstream)──
//! ```
//!
//! Each link runs its direction's toxics with the [`runner`], the same code
//! that runs them over an http-mode message body.
//!
//! Locks: `state` (a std mutex) guards the configuration and is never held
//! across an await; `life` (an async mutex) serialises start and stop of the
//! listener; the data path reads toxics only through `watch` channels.

pub mod chain;
mod connection;
pub mod link;
mod listener;
pub mod runner;

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use chaoslab_kit::names;

use crate::error::ApiError;
use crate::faults::http::HttpFaults;
use crate::views::{ProxyMode, ProxyView, ToxicView};
use chain::{Chain, Direction, ToxicEntry};

static NEXT_TOXIC_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id for a toxic version.
pub(crate) fn next_toxic_id() -> u64 {
    NEXT_TOXIC_ID.fetch_add(1, Ordering::Relaxed)
}

/// The configuration the API changes.
#[derive(Debug)]
pub(crate) struct ProxyState {
    pub listen: String,
    pub upstream: String,
    pub enabled: bool,
    /// Upstream toxics first, then downstream, each in creation order.
    pub toxics: Vec<Arc<ToxicEntry>>,
}

/// A running listener.
struct Running {
    cancel: CancellationToken,
    accept: JoinHandle<()>,
}

/// One proxy.
pub struct Proxy {
    pub(crate) name: String,
    pub(crate) mode: ProxyMode,
    pub(crate) state: Mutex<ProxyState>,
    chains: [watch::Sender<Arc<Chain>>; 2],
    life: tokio::sync::Mutex<Option<Running>>,
    rng: Mutex<StdRng>,
    /// HTTP faults (http mode only).
    pub(crate) http: HttpFaults,
    /// Starts the http-mode proxy's spans (`proxy <name>`): the tracer of the
    /// provider set when the proxy was made, looked up once.
    pub(crate) tracer: opentelemetry::global::BoxedTracer,
    pub(crate) span_name: String,
    /// When a timed down (`/chaos/proxies/{p}/down`) ends.
    down: Mutex<Option<crate::agent::DownTimer>>,
}

impl Proxy {
    /// A stopped proxy. `seed` makes its toxicity draws repeatable.
    pub(crate) fn new(
        name: String,
        listen: String,
        upstream: String,
        mode: ProxyMode,
        seed: u64,
    ) -> Arc<Self> {
        let span_name = format!("proxy {name}");
        Arc::new(Self {
            name,
            mode,
            state: Mutex::new(ProxyState {
                listen,
                upstream,
                enabled: false,
                toxics: Vec::new(),
            }),
            chains: [
                watch::Sender::new(Arc::default()),
                watch::Sender::new(Arc::default()),
            ],
            life: tokio::sync::Mutex::new(None),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            http: HttpFaults::default(),
            tracer: opentelemetry::global::tracer("chaoslab-chaos"),
            span_name,
            down: Mutex::new(None),
        })
    }

    /// The proxy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, ProxyState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The API view.
    pub fn view(&self) -> ProxyView {
        let st = self.lock();
        ProxyView {
            name: self.name.clone(),
            listen: st.listen.clone(),
            upstream: st.upstream.clone(),
            enabled: st.enabled,
            toxics: st.toxics.iter().map(|t| toxic_view(t)).collect(),
            mode: self.mode,
        }
    }

    pub(crate) fn lock_down(&self) -> std::sync::MutexGuard<'_, Option<crate::agent::DownTimer>> {
        self.down.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One of Toxiproxy's byte counters (`which`: `received` or `sent`) for
    /// one direction, labelled with the current listen and upstream addresses.
    pub(crate) fn bytes_counter(&self, which: &str, direction: Direction) -> metrics::Counter {
        let (listen, upstream) = {
            let st = self.lock();
            (st.listen.clone(), st.upstream.clone())
        };
        let labels = [
            ("direction", direction.as_str().to_string()),
            ("listener", listen),
            ("proxy", self.name.clone()),
            ("upstream", upstream),
        ];
        let name = if which == "sent" {
            names::TOXIPROXY_SENT_BYTES
        } else {
            names::TOXIPROXY_RECEIVED_BYTES
        };
        metrics::counter!(name, &labels)
    }

    /// A seed for one new connection.
    pub(crate) fn connection_seed(&self) -> u64 {
        use rand::Rng;
        self.rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .next_u64()
    }

    /// Subscribe to the chain of one direction.
    pub(crate) fn chain(&self, direction: Direction) -> watch::Receiver<Arc<Chain>> {
        self.chains[direction.index()].subscribe()
    }

    /// The current chain of one direction.
    pub(crate) fn current_chain(&self, direction: Direction) -> Arc<Chain> {
        self.chains[direction.index()].borrow().clone()
    }

    /// Publish the toxics to the data path. Call with the state lock held, so
    /// publications happen in the order of the changes.
    pub(crate) fn publish(&self, st: &ProxyState) {
        for direction in [Direction::Upstream, Direction::Downstream] {
            let entries = st
                .toxics
                .iter()
                .filter(|t| t.direction == direction)
                .cloned()
                .collect();
            self.chains[direction.index()].send_replace(Arc::new(Chain { entries }));
        }
    }

    /// Start listening (no-op error `None` when already running).
    pub(crate) async fn start(self: &Arc<Self>) -> Result<(), ApiError> {
        let mut life = self.life.lock().await;
        if life.is_some() {
            return Ok(());
        }
        let listen = self.lock().listen.clone();
        let listener = bind(&listen)?;
        self.run(&mut life, listener);
        Ok(())
    }

    /// Stop listening and close every connection.
    pub(crate) async fn stop(&self) {
        let mut life = self.life.lock().await;
        if let Some(running) = life.take() {
            running.cancel.cancel();
            let _ = running.accept.await;
        }
        self.lock().enabled = false;
    }

    /// Apply a new listen/upstream/enabled (Toxiproxy's update: a changed
    /// address restarts the listener and closes its connections). On a listen
    /// error nothing changes.
    pub(crate) async fn reconfigure(
        self: &Arc<Self>,
        listen: String,
        upstream: String,
        enabled: bool,
    ) -> Result<(), ApiError> {
        let mut life = self.life.lock().await;
        let (cur_listen, cur_upstream) = {
            let st = self.lock();
            (st.listen.clone(), st.upstream.clone())
        };
        let listen_differs = resolve(&listen).map(|a| a.to_string()).ok() != Some(cur_listen);
        let upstream_differs = upstream != cur_upstream;
        if !enabled {
            if let Some(running) = life.take() {
                running.cancel.cancel();
                let _ = running.accept.await;
            }
            let mut st = self.lock();
            st.enabled = false;
            st.upstream = upstream;
            if listen_differs {
                st.listen = listen;
            }
            return Ok(());
        }
        if life.is_some() && !listen_differs && !upstream_differs {
            return Ok(());
        }
        // Bind first where the address changes, so a taken port changes nothing.
        let fresh = if life.is_none() || listen_differs {
            Some(bind(&listen)?)
        } else {
            None
        };
        if let Some(running) = life.take() {
            running.cancel.cancel();
            let _ = running.accept.await;
        }
        self.lock().upstream = upstream;
        let listener = match fresh {
            Some(listener) => listener,
            // Same address, new upstream: listen again on it.
            None => {
                let again = self.lock().listen.clone();
                match bind(&again) {
                    Ok(listener) => listener,
                    Err(e) => {
                        self.lock().enabled = false;
                        return Err(e);
                    }
                }
            }
        };
        self.run(&mut life, listener);
        Ok(())
    }

    fn run(self: &Arc<Self>, life: &mut Option<Running>, listener: tokio::net::TcpListener) {
        let cancel = CancellationToken::new();
        {
            let mut st = self.lock();
            if let Ok(addr) = listener.local_addr() {
                st.listen = addr.to_string();
            }
            st.enabled = true;
        }
        // The byte series exist (at 0) from the moment the proxy listens.
        for direction in [Direction::Upstream, Direction::Downstream] {
            for which in ["received", "sent"] {
                self.bytes_counter(which, direction).increment(0);
            }
        }
        let accept = tokio::spawn(listener::accept_loop(
            self.clone(),
            listener,
            cancel.clone(),
        ));
        *life = Some(Running { cancel, accept });
    }
}

/// The API view of one toxic.
pub(crate) fn toxic_view(entry: &ToxicEntry) -> ToxicView {
    ToxicView {
        name: entry.name.clone(),
        kind: entry.kind.clone(),
        stream: entry.stream.clone(),
        toxicity: entry.toxicity,
        attributes: entry.toxic.attributes(),
    }
}

/// Resolve a listen address; `:port` means every interface, empty means a free loopback port.
pub(crate) fn resolve(listen: &str) -> std::io::Result<SocketAddr> {
    let listen = if listen.is_empty() {
        "127.0.0.1:0".to_string()
    } else if listen.starts_with(':') {
        format!("0.0.0.0{listen}")
    } else {
        listen.to_string()
    };
    listen
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address resolved"))
}

/// Bind a listener now (synchronously), so errors reach the API call.
fn bind(listen: &str) -> Result<tokio::net::TcpListener, ApiError> {
    let err = |e: std::io::Error| ApiError::internal(format!("listen tcp {listen}: {e}"));
    let addr = resolve(listen).map_err(err)?;
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .map_err(err)?;
    socket.set_reuse_address(true).map_err(err)?;
    socket.set_nonblocking(true).map_err(err)?;
    socket.bind(&addr.into()).map_err(err)?;
    socket.listen(1024).map_err(err)?;
    tokio::net::TcpListener::from_std(socket.into()).map_err(err)
}

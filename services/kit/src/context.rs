//! What a running service knows about itself: its name, settings, outgoing
//! dependencies and active in-service faults. Shared by handlers and layers.

use crate::faults::Faults;
use chaoslab_resilience::Registry;
use std::sync::{Arc, RwLock};

pub use chaoslab_contract::wire::admin::ServiceSettings;

/// The shared state of one service process.
pub struct ServiceCtx {
    pub name: String,
    pub deps: Arc<Registry>,
    pub faults: Arc<Faults>,
    /// Bearer token that opens `/admin` to non-loopback callers.
    pub admin_token: Option<String>,
    settings: RwLock<ServiceSettings>,
    /// The requests being served, for `max_concurrent_requests`.
    pub workers: crate::workers::Workers,
    /// Makes the server spans ([`crate::telemetry::tracer`]).
    pub tracer: opentelemetry::global::BoxedTracer,
    /// The server layer's metric handles ([`crate::http::server`]).
    pub metrics: crate::http::server::ServerMetrics,
}

impl ServiceCtx {
    pub fn new(name: &str, deps: Arc<Registry>, settings: ServiceSettings) -> Arc<Self> {
        Arc::new(Self {
            name: name.to_string(),
            deps,
            faults: Faults::new(name),
            admin_token: std::env::var("CHAOSLAB_ADMIN_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
            settings: RwLock::new(settings),
            workers: Default::default(),
            tracer: crate::telemetry::tracer(),
            metrics: Default::default(),
        })
    }

    pub fn settings(&self) -> ServiceSettings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_settings(&self, s: ServiceSettings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = s;
    }
}

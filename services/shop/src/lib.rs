//! The sample shop: six small services with real behaviour, each run as its
//! own process by `chaoslab service <name>`.
//!
//! ```text
//!  gateway ──> users
//!     │──────> catalog ──> inventory
//!     └──────> orders ──> users, inventory, payments
//! ```
//! Data lives in memory, seeded from [`seed`]. Every outgoing call goes
//! through the kit's resilient client ([`chaoslab_kit::http::client`]), to a
//! URL from configuration, so the chaos agent's proxies can sit in between.

pub mod catalog;
pub mod error;
pub mod gateway;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod seed;
pub mod users;

use anyhow::Context;
use axum::Router;
use chaoslab_kit::{
    config::LabConfig, context::ServiceCtx, faults::Faults, http::client::Upstream, ops, serve,
    telemetry,
};
use chaoslab_resilience::Registry;
use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, sync::Arc};

/// Each service and the services it calls.
pub const TOPOLOGY: &[(&str, &[&str])] = &[
    ("gateway", &["users", "catalog", "orders"]),
    ("users", &[]),
    ("catalog", &["inventory"]),
    ("inventory", &[]),
    ("orders", &["users", "inventory", "payments"]),
    ("payments", &[]),
];

/// The gateway's default request deadline (`request_deadline_ms = 0` in the
/// config turns it off).
pub const GATEWAY_DEADLINE_MS: u64 = 3000;

/// The names of the services, in start order (callees first).
pub const START_ORDER: &[&str] = &[
    "users",
    "inventory",
    "payments",
    "catalog",
    "orders",
    "gateway",
];

/// The dependencies of `service`, or `None` for an unknown name.
pub fn dependencies(service: &str) -> Option<&'static [&'static str]> {
    TOPOLOGY
        .iter()
        .find(|(n, _)| *n == service)
        .map(|(_, d)| *d)
}

/// A service's outgoing clients, by dependency name.
pub struct Upstreams(BTreeMap<String, Arc<Upstream>>);

impl Upstreams {
    pub fn get(&self, name: &str) -> anyhow::Result<Arc<Upstream>> {
        self.0
            .get(name)
            .cloned()
            .with_context(|| format!("no URL configured for dependency {name}"))
    }
}

/// How to run one service.
#[derive(Debug, Clone)]
pub struct ServiceArgs {
    pub name: String,
    pub listen: SocketAddr,
    /// Base URL per dependency.
    pub deps: BTreeMap<String, String>,
    pub config: Option<PathBuf>,
}

/// Builds the business routes, state and context of `name` (no socket: tests
/// call the router directly).
pub fn build(
    name: &str,
    deps: &BTreeMap<String, String>,
    config: &LabConfig,
) -> anyhow::Result<(Router, Arc<ServiceCtx>)> {
    let wanted = dependencies(name).with_context(|| {
        format!(
            "unknown service {name:?}; known: {}",
            START_ORDER.join(", ")
        )
    })?;
    let svc = config.service(name);
    let policies = wanted
        .iter()
        .map(|d| {
            (
                d.to_string(),
                svc.policies
                    .get(*d)
                    .cloned()
                    .unwrap_or_else(|| svc.default_policy.clone()),
            )
        })
        .collect();
    let registry = Arc::new(Registry::new(svc.default_policy.clone(), policies)?);
    let mut settings = svc.settings.clone();
    if name == "gateway" && settings.request_deadline_ms.is_none() {
        // The gateway's promise to users: an answer, even a failure, within this.
        settings.request_deadline_ms = Some(GATEWAY_DEADLINE_MS);
    }
    let ctx = ServiceCtx::new(name, registry.clone(), settings);
    let faults: Arc<Faults> = ctx.faults.clone();
    let mut ups = BTreeMap::new();
    for d in wanted {
        let url = deps
            .get(*d)
            .with_context(|| format!("{name} needs --dep {d}=URL"))?;
        let dep = registry
            .get(d)
            .with_context(|| format!("no policy for {d}"))?;
        ups.insert(
            d.to_string(),
            Arc::new(Upstream::new(dep, url, faults.clone())),
        );
    }
    let ups = Upstreams(ups);
    let router = match name {
        "gateway" => gateway::router(&ups)?,
        "users" => users::router(ctx.clone()),
        "catalog" => catalog::router(ctx.clone(), &ups)?,
        "inventory" => inventory::router(ctx.clone()),
        "orders" => orders::router(ctx.clone(), &ups)?,
        "payments" => payments::router(ctx.clone()),
        _ => unreachable!("checked above"),
    };
    Ok((router, ctx))
}

/// Runs one service until SIGTERM, Ctrl-C or the supervisor's death.
pub async fn run(args: ServiceArgs) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => LabConfig::load(path, TOPOLOGY)?,
        None => LabConfig::default(),
    };
    let telemetry = telemetry::init(&telemetry::TelemetryOptions::from_env(&args.name))?;
    let (business, ctx) = build(&args.name, &args.deps, &config)?;
    let ready = ops::Ready::default();
    let app = serve::app(business, ctx, ready.clone(), Some(telemetry.metrics()));
    let listener =
        serve::bind(args.listen).with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(service = %args.name, addr = %listener.local_addr()?, "listening");
    serve::serve(
        listener,
        app,
        ready,
        Some(telemetry),
        serve::shutdown_signal(),
    )
    .await?;
    Ok(())
}

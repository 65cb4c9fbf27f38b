//! The sample shop: six small services with real behaviour, each run as its
//! own process by `chaoslab service <name>`.
//!
//! ```text
//!  gateway ──> users
//!     │──────> catalog ──> inventory
//!     └──────> orders ──> users, inventory, payments, shipments
//!                 └ ─ order.placed (broker) ─ ─> shipments, notifications
//! ```
//! Which service calls which is the lab file's (`labs/shop.toml`): each
//! service is given a URL per dependency (the agent's proxy) and looks its
//! clients up by name. Data lives in memory, seeded from [`seed`]. Every
//! outgoing call goes through the kit's resilient client
//! ([`chaoslab_kit::http::client`]).

pub mod catalog;
pub mod consumers;
pub mod error;
pub mod events;
pub mod gateway;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod seed;
pub mod users;

use anyhow::Context;
use axum::Router;
use chaoslab_contract::Lab;
use chaoslab_kit::{
    config::LabConfig, context::ServiceCtx, faults::Faults, http::client::Upstream, ops, serve,
    telemetry,
};
use chaoslab_resilience::Registry;
use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, sync::Arc};

/// The built-in services a lab file may name with `builtin = "..."`.
pub const BUILTINS: &[&str] = &[
    "gateway",
    "users",
    "catalog",
    "inventory",
    "orders",
    "payments",
    "shipments",
    "notifications",
];

/// A service's outgoing clients, by dependency name, and the URLs of the
/// brokers it depends on.
pub struct Upstreams(BTreeMap<String, Arc<Upstream>>, BTreeMap<String, String>);

impl Upstreams {
    /// The URL (`nats://PROXY`) of the broker it depends on, if any.
    pub fn broker(&self) -> Option<(&str, &str)> {
        self.1.iter().next().map(|(n, u)| (n.as_str(), u.as_str()))
    }

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
    /// The service's name in the lab file.
    pub name: String,
    pub listen: SocketAddr,
    /// Base URL per dependency.
    pub deps: BTreeMap<String, String>,
    /// The lab file: which built-in service this is, its settings and policies.
    pub lab: Option<PathBuf>,
    /// A resilience overlay on the lab file's (`--config`).
    pub config: Option<PathBuf>,
    /// The built-in service to run when there is no lab file.
    pub builtin: Option<String>,
}

/// Builds the business routes, state and context of the built-in service
/// `builtin`, named `name`, calling the dependencies in `deps` (no socket:
/// tests call the router directly).
pub fn build(
    builtin: &str,
    name: &str,
    deps: &BTreeMap<String, String>,
    config: &LabConfig,
) -> anyhow::Result<(Router, Arc<ServiceCtx>)> {
    if !BUILTINS.contains(&builtin) {
        anyhow::bail!(
            "unknown built-in service {builtin:?}; built in: {}",
            BUILTINS.join(", ")
        );
    }
    let wanted: Vec<&str> = deps.keys().map(String::as_str).collect();
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
    let settings = svc.settings.clone();
    let ctx = ServiceCtx::new(name, registry.clone(), settings);
    let faults: Arc<Faults> = ctx.faults.clone();
    let mut ups = BTreeMap::new();
    // A broker is no HTTP upstream: its clients connect with its own protocol.
    for (d, url) in deps.iter().filter(|(_, url)| !is_broker_url(url)) {
        let dep = registry
            .get(d)
            .with_context(|| format!("no policy for {d}"))?;
        ups.insert(
            d.to_string(),
            Arc::new(Upstream::new(dep, url, faults.clone())),
        );
    }
    let brokers = deps
        .iter()
        .filter(|(_, url)| is_broker_url(url))
        .map(|(d, url)| (d.clone(), url.clone()))
        .collect();
    let ups = Upstreams(ups, brokers);
    let router = match builtin {
        "gateway" => gateway::router(&ups)?,
        "users" => users::router(ctx.clone()),
        "catalog" => catalog::router(ctx.clone(), &ups)?,
        "inventory" => inventory::router(ctx.clone()),
        "orders" => orders::router(ctx.clone(), &ups)?,
        "payments" => payments::router(ctx.clone()),
        "shipments" => consumers::shipments(ctx.clone(), &ups)?,
        "notifications" => consumers::notifications(ctx.clone(), &ups)?,
        _ => unreachable!("checked above"),
    };
    Ok((router, ctx))
}

/// A dependency URL of a broker (`nats://HOST:PORT`), not an HTTP service.
pub fn is_broker_url(url: &str) -> bool {
    url.starts_with("nats://")
}

/// Runs one service until SIGTERM, Ctrl-C or the supervisor's death.
pub async fn run(args: ServiceArgs) -> anyhow::Result<()> {
    let (builtin, config) = match &args.lab {
        Some(path) => {
            let mut lab = Lab::load(path)?;
            if let Some(overlay) = &args.config {
                lab.overlay(overlay)?;
            }
            let svc = lab.services.get(&args.name).with_context(|| {
                format!(
                    "{} has no service {:?}; it has: {}",
                    path.display(),
                    args.name,
                    lab.service_names().join(", ")
                )
            })?;
            if let Some(d) = svc
                .depends_on
                .iter()
                .find(|d| !args.deps.contains_key(&d.name))
            {
                anyhow::bail!("{} needs --dep {}=URL", args.name, d.name);
            }
            let builtin = svc
                .builtin()
                .with_context(|| format!("service {} is not a built-in service", args.name))?
                .to_string();
            (builtin, LabConfig::from_lab(&lab))
        }
        None => (
            args.builtin.clone().unwrap_or_else(|| args.name.clone()),
            LabConfig::default(),
        ),
    };
    let telemetry = telemetry::init(&telemetry::TelemetryOptions::from_env(&args.name))?;
    let (business, ctx) = build(&builtin, &args.name, &args.deps, &config)?;
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

//! `chaoslab fault ...`: the agent from the command line. The first group
//! mirrors toxiproxy-cli (list, inspect, create, toggle, delete, toxic
//! add/update/remove); the rest are the lab's extensions (HTTP, process and
//! in-service faults, every active fault, clearing them).
//!
//! The agent is `--host URL`, else `$TOXIPROXY_URL`, else the running lab's.
//! (toxiproxy-cli's `-h` is help here, as in every other subcommand.)

use chaoslab_contract::ProcessAction;
use chaoslab_contract::client::AgentClient as Client;
use chaoslab_contract::wire::admin::ServiceFaultRequest;
use chaoslab_contract::wire::agent::{ProxyMode, ProxyPatch, ProxySpec, ToxicPatch, ToxicSpec};
use chaoslab_contract::wire::faults::ProcessFaultSpec;
use chaoslab_contract::wire::http_fault::HttpFaultSpec;
use clap::Subcommand;
use serde_json::{Map, Value};
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum FaultCmd {
    /// List the proxies.
    List,
    /// Show a proxy and its toxics.
    Inspect { proxy: String },
    /// Create a proxy.
    Create {
        name: String,
        #[arg(short, long)]
        listen: String,
        #[arg(short, long)]
        upstream: String,
        /// Parse HTTP/1.1 so HTTP faults can apply.
        #[arg(long)]
        http: bool,
    },
    /// Enable a disabled proxy, disable an enabled one.
    Toggle { proxy: String },
    /// Delete a proxy.
    Delete { proxy: String },
    /// Toxics on a proxy.
    #[command(subcommand)]
    Toxic(ToxicCmd),
    /// Add an HTTP fault to an http-mode proxy, e.g.
    /// '{"type":"abort","status":503,"percent":30,"duration_ms":30000}'.
    Http { proxy: String, json: String },
    /// kill, terminate, pause, resume, restart, stop (down for --duration) or start a service's process.
    Process {
        service: String,
        action: String,
        #[arg(long, value_parser = humantime::parse_duration)]
        duration: Option<Duration>,
    },
    /// An in-service fault, e.g. '{"kind":"latency","latency_ms":300,"duration_ms":30000}'.
    Service { service: String, json: String },
    /// Every active fault of every kind, with the time left.
    Active,
    /// Remove one fault by id, or every fault.
    Clear { id: Option<String> },
}

#[derive(Subcommand, Debug)]
pub enum ToxicCmd {
    /// Add a toxic: `-t latency -a latency=300 -a jitter=50`.
    Add {
        proxy: String,
        #[arg(short = 't', long = "type")]
        kind: String,
        #[arg(short, long)]
        name: Option<String>,
        #[arg(short, long, default_value = "downstream")]
        stream: String,
        #[arg(long = "tox", default_value_t = 1.0)]
        toxicity: f32,
        #[arg(short, long = "attribute")]
        attributes: Vec<String>,
        /// Remove the toxic by itself after this long.
        #[arg(long, value_parser = humantime::parse_duration)]
        duration: Option<Duration>,
    },
    /// Change a toxic's toxicity or attributes.
    Update {
        proxy: String,
        #[arg(short, long)]
        name: String,
        #[arg(long = "tox")]
        toxicity: Option<f32>,
        #[arg(short, long = "attribute")]
        attributes: Vec<String>,
    },
    /// Remove a toxic.
    Remove {
        proxy: String,
        #[arg(short, long)]
        name: String,
    },
}

fn attributes(pairs: &[String]) -> anyhow::Result<Value> {
    let mut map = Map::new();
    for p in pairs {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("attribute {p:?}: expected key=value"))?;
        let n: i64 = v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("attribute {k}: {v:?} is not a whole number"))?;
        map.insert(k.trim().to_string(), Value::from(n));
    }
    Ok(Value::Object(map))
}

fn print(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Runs one `fault` subcommand against the agent at `url`.
pub async fn run(url: &str, cmd: FaultCmd) -> anyhow::Result<()> {
    let c = Client::new(url).with_env_token();
    match cmd {
        FaultCmd::List => {
            println!(
                "{:<12} {:<22} {:<22} {:<8} {:<5} TOXICS",
                "NAME", "LISTEN", "UPSTREAM", "ENABLED", "MODE"
            );
            for (name, p) in c.proxies().await? {
                let toxics: Vec<String> = p.toxics.iter().map(|t| t.name.clone()).collect();
                let mode = if matches!(p.mode, ProxyMode::Tcp) {
                    "tcp"
                } else {
                    "http"
                };
                println!(
                    "{:<12} {:<22} {:<22} {:<8} {:<5} {}",
                    name,
                    p.listen,
                    p.upstream,
                    p.enabled,
                    mode,
                    if toxics.is_empty() {
                        "none".into()
                    } else {
                        toxics.join(", ")
                    }
                );
            }
        }
        FaultCmd::Inspect { proxy } => print(&c.proxy(&proxy).await?)?,
        FaultCmd::Create {
            name,
            listen,
            upstream,
            http,
        } => {
            let spec = ProxySpec {
                name,
                listen,
                upstream,
                enabled: Some(true),
                mode: http.then_some(ProxyMode::Http),
            };
            print(&c.create_proxy(&spec).await?)?
        }
        FaultCmd::Toggle { proxy } => {
            let p = c.proxy(&proxy).await?;
            let patch = ProxyPatch {
                enabled: Some(!p.enabled),
                ..Default::default()
            };
            let p = c.update_proxy(&proxy, &patch).await?;
            println!(
                "proxy {proxy} is now {}",
                if p.enabled { "enabled" } else { "disabled" }
            );
        }
        FaultCmd::Delete { proxy } => {
            c.delete_proxy(&proxy).await?;
            println!("deleted proxy {proxy}");
        }
        FaultCmd::Toxic(ToxicCmd::Add {
            proxy,
            kind,
            name,
            stream,
            toxicity,
            attributes: a,
            duration,
        }) => {
            let spec = ToxicSpec {
                name: name.unwrap_or_default(),
                kind,
                stream,
                toxicity,
                attributes: attributes(&a)?,
            };
            let t = match duration {
                Some(d) => c.add_toxic_for(&proxy, &spec, d).await?,
                None => c.add_toxic(&proxy, &spec).await?,
            };
            print(&t)?
        }
        FaultCmd::Toxic(ToxicCmd::Update {
            proxy,
            name,
            toxicity,
            attributes: a,
        }) => {
            let attrs = if a.is_empty() {
                Value::Null
            } else {
                attributes(&a)?
            };
            print(
                &c.update_toxic(
                    &proxy,
                    &name,
                    &ToxicPatch {
                        attributes: attrs,
                        toxicity,
                        kind: None,
                    },
                )
                .await?,
            )?
        }
        FaultCmd::Toxic(ToxicCmd::Remove { proxy, name }) => {
            c.remove_toxic(&proxy, &name).await?;
            println!("removed toxic {name} from {proxy}");
        }
        FaultCmd::Http { proxy, json } => {
            let spec: HttpFaultSpec = serde_json::from_str(&json)
                .map_err(|e| anyhow::anyhow!("HTTP fault, column {}: {e}", e.column()))?;
            print(&c.add_http_fault(&proxy, &spec).await?)?
        }
        FaultCmd::Process {
            service,
            action,
            duration,
        } => {
            let action: ProcessAction = serde_json::from_value(Value::String(action.clone()))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "unknown action {action:?}: kill, terminate, pause, resume, restart, stop (with --duration) or start"
                    )
                })?;
            let spec = ProcessFaultSpec {
                action,
                duration_ms: duration.map(|d| d.as_millis() as u64),
            };
            print(&c.process_fault(&service, &spec).await?)?
        }
        FaultCmd::Service { service, json } => {
            let body: Value = serde_json::from_str(&json)
                .map_err(|e| anyhow::anyhow!("fault JSON, column {}: {e}", e.column()))?;
            let request = ServiceFaultRequest::from_value(body)
                .map_err(|e| anyhow::anyhow!("fault JSON: {e}"))?;
            print(&c.service_fault(&service, &request).await?)?
        }
        FaultCmd::Active => {
            println!(
                "{:<28} {:<8} {:<12} {:<14} LEFT",
                "ID", "SOURCE", "TARGET", "KIND"
            );
            for f in c.faults().await? {
                let left = f
                    .remaining_ms
                    .map(|ms| format!("{:.1}s", ms as f64 / 1000.0))
                    .unwrap_or_else(|| "until removed".into());
                let source = serde_json::to_value(f.source)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                println!(
                    "{:<28} {:<8} {:<12} {:<14} {left}",
                    f.id, source, f.target, f.kind
                );
            }
        }
        FaultCmd::Clear { id: Some(id) } => {
            c.remove_fault(&id).await?;
            println!("removed {id}");
        }
        FaultCmd::Clear { id: None } => {
            c.clear_faults().await?;
            println!("cleared every fault");
        }
    }
    Ok(())
}

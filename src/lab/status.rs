//! `chaoslab status`: each process of the running lab, its port, health and
//! restart count.

use super::state::LabState;
use std::{fmt::Write, path::Path, time::Duration};

/// The status table of the lab in `dir`.
pub async fn status(dir: &Path) -> anyhow::Result<String> {
    let state = LabState::load(dir)?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(800))
        .build()?;
    let mut out = String::new();
    writeln!(
        out,
        "lab supervisor pid {}   {} {}",
        state.supervisor_pid,
        state.entry.as_deref().unwrap_or("entry"),
        state.entry_url
    )?;
    if let Some(a) = &state.agent_url {
        writeln!(
            out,
            "agent {a}   hub {}",
            state.hub_url.as_deref().unwrap_or("-")
        )?;
    }
    writeln!(
        out,
        "{:<10} {:<8} {:>6} {:>8} {:<8} {:>8}  {}",
        "PROCESS", "ROLE", "PORT", "PID", "HEALTH", "RESTARTS", "PROXY"
    )?;
    for p in state.processes.values() {
        let answered = match &p.ready_url {
            Some(url) => http
                .get(url)
                .send()
                .await
                .map(|r| r.status().is_success())
                .map_err(|_| ()),
            None => match tokio::time::timeout(
                Duration::from_millis(800),
                tokio::net::TcpStream::connect(("127.0.0.1", p.port)),
            )
            .await
            {
                Ok(Ok(_)) => Ok(true),
                _ => Err(()),
            },
        };
        let health = match answered {
            Ok(true) => "ready",
            Ok(false) => "unready",
            Err(_) if p.state == "paused" => "paused",
            Err(_) if p.state == "left out" => "left out",
            Err(_) => "down",
        };
        let pid = p.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{:<10} {:<8} {:>6} {:>8} {:<8} {:>8}  {}",
            p.name,
            p.role,
            p.port,
            pid,
            health,
            p.restarts,
            p.proxy_url.as_deref().unwrap_or("")
        )?;
    }
    Ok(out)
}

//! The foreground of `chaoslab up`: start, announce, watch, stop.

use super::up::{self, UpOptions};
use std::{io::IsTerminal, time::Duration};

/// Runs the lab until Ctrl-C or SIGTERM.
pub async fn run(opts: UpOptions) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut lab = up::start(&opts).await?;
    println!("{}", summary(&lab.state));
    println!("lab ready in {} ms", started.elapsed().as_millis());
    let tty = std::io::stdout().is_terminal();
    if !opts.headless && tty {
        // The dashboard in the foreground; quitting it stops the lab.
        let cfg = crate::cmd::tui_config(&opts.state_dir, None)?;
        let refresher = async {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                lab.refresh();
            }
        };
        let result = tokio::select! {
            r = chaoslab_tui::run(cfg) => r,
            _ = chaoslab_kit::serve::shutdown_signal() => Ok(()),
            _ = refresher => Ok(()),
        };
        println!("stopping the lab…");
        lab.stop().await;
        return result;
    }
    let mut last = String::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    // Ctrl-C, SIGTERM, or (under `CHAOSLAB_PARENT_PID`) the parent gone.
    let stop = chaoslab_kit::serve::shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {
                lab.refresh();
                let line = health_line(&lab.state);
                if line != last {
                    if tty { print!("\r\x1b[2K{line}"); } else { println!("{line}"); }
                    use std::io::Write;
                    let _ = std::io::stdout().flush();
                    last = line;
                }
            }
        }
    }
    println!("\nstopping the lab…");
    lab.stop().await;
    println!("stopped");
    Ok(())
}

/// Where everything listens.
pub fn summary(state: &super::state::LabState) -> String {
    let mut s = format!(
        "entry     {}   ({})\n",
        state.entry_url,
        state
            .entry
            .as_deref()
            .unwrap_or("the service the load goes to")
    );
    if let Some(a) = &state.agent_url {
        s += &format!("agent     {a}   (Toxiproxy API; /chaos/faults)\n");
    }
    if let Some(h) = &state.hub_url {
        s += &format!(
            "hub       {h}   (OTLP gRPC {}, HTTP {})\n",
            state.otlp_grpc.as_deref().unwrap_or("-"),
            state.otlp_http.as_deref().unwrap_or("-")
        );
    }
    for p in state.processes.values() {
        let via = p
            .proxy_url
            .as_ref()
            .map(|u| format!("  via proxy {u}"))
            .unwrap_or_default();
        s += &format!(
            "  {:<10} {}  pid {}{}\n",
            p.name,
            p.url,
            p.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            via
        );
    }
    s.trim_end().to_string()
}

fn health_line(state: &super::state::LabState) -> String {
    let parts: Vec<String> = state
        .processes
        .values()
        .map(|p| {
            let mark = match p.state.as_str() {
                "running" => "up",
                other => other,
            };
            if p.restarts > 0 {
                format!("{} {mark} ({} restarts)", p.name, p.restarts)
            } else {
                format!("{} {mark}", p.name)
            }
        })
        .collect();
    parts.join(" | ")
}

//! Prints one frame of a running lab: `cargo run -p chaoslab-tui --example
//! snapshot -- HUB_URL [AGENT_URL] [SCREEN] [WxH]`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hub_url = args
        .first()
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:7070".into());
    let agent_url = args.get(1).filter(|a| a.starts_with("http")).cloned();
    let screen = args.get(2).cloned().unwrap_or_else(|| "overview".into());
    let (w, h) = args
        .get(3)
        .and_then(|s| s.split_once('x'))
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .unwrap_or((120, 40));
    let cfg = chaoslab_tui::TuiConfig {
        hub_url,
        agent_url,
        services: Vec::new(),
        loadgen_url: None,
    };
    print!("{}", chaoslab_tui::snapshot(cfg, &screen, w, h).await?);
    Ok(())
}

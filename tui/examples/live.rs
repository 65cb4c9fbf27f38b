//! Runs the interactive dashboard against a hub (and optionally an agent):
//! `cargo run -p chaoslab-tui --example live -- http://127.0.0.1:7070 [http://127.0.0.1:8474]`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let hub_url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:7070".into());
    let agent_url = args.next();
    chaoslab_tui::run(chaoslab_tui::TuiConfig {
        hub_url,
        agent_url,
        services: Vec::new(),
        loadgen_url: None,
    })
    .await
}

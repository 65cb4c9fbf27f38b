//! The dashboard against a real lab: `chaoslab up --headless` with load,
//! then `chaoslab tui --snapshot` shows every service with traffic.

mod support;

use std::time::Duration;
use support::{Lab, eventually, exe};

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_of_a_running_lab_shows_six_services_with_traffic() {
    let lab = Lab::start(&["--rate", "30"], &[]).await;
    let services = [
        "gateway",
        "users",
        "catalog",
        "inventory",
        "orders",
        "payments",
    ];
    let frame = eventually(
        "every service with a non-zero rate",
        Duration::from_secs(30),
        || async {
            let out = std::process::Command::new(exe())
                .args(["tui", "--snapshot", "--size", "120x40", "--state-dir"])
                .arg(lab.state_dir())
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            let busy = services.iter().all(|s| {
                text.lines().any(|l| {
                    let cols: Vec<&str> = l.split_whitespace().collect();
                    // RED table rows: "● name  up  req/s  err ..."
                    cols.iter().position(|c| c == s).is_some_and(|i| {
                        cols.get(i + 2)
                            .and_then(|r| r.parse::<f64>().ok())
                            .is_some_and(|r| r > 0.0)
                    })
                })
            });
            busy.then_some(text)
        },
    )
    .await;
    assert!(
        frame.contains("users see"),
        "the load generator's numbers are shown:\n{frame}"
    );
}

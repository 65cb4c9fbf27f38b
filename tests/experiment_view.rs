//! An experiment running against a lab (`chaoslab run --attach`) shows its
//! steps and hypothesis on the dashboard's Experiment screen.

mod support;

use std::{process::Command, time::Duration};
use support::{Lab, eventually, exe};

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_a_running_experiment() {
    let lab = Lab::start(&["--rate", "5"], &[]).await;
    let file = lab.state_dir().join("short.yaml");
    std::fs::write(
        &file,
        r#"title: "A short watch of the shop"
description: Product pages stay up while nothing is done to them.
load: { rate: 5, settle: 1s }
steady_state:
  title: Product pages are served
  probes:
    - http:
        name: product 1 is served
        path: /api/products/1
        tolerance: { status: 200 }
method:
  - wait: 6s
rollbacks: []
"#,
    )
    .unwrap();
    let mut run = Command::new(exe())
        .args(["run", "--attach", "--state-dir"])
        .arg(lab.state_dir())
        .arg(&file)
        .spawn()
        .unwrap();

    let frame = eventually(
        "the experiment on the Experiment screen",
        Duration::from_secs(20),
        || async {
            let out = Command::new(exe())
                .args([
                    "tui",
                    "--snapshot",
                    "--screen",
                    "experiment",
                    "--size",
                    "120x30",
                    "--state-dir",
                ])
                .arg(lab.state_dir())
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            (text.contains("A short watch of the shop") && text.contains("product 1 is served"))
                .then_some(text)
        },
    )
    .await;
    assert!(!frame.contains("no experiment running"), "{frame}");
    let status = run.wait().unwrap();
    assert_eq!(status.code(), Some(0), "the hypothesis held");
}

//! Ctrl-C for real: a child process running experiments gets SIGINT in the
//! middle of its method, runs the rollbacks, and exits 2.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use chaoslab_testkit::process::signal_and_wait;
use nix::sys::signal::Signal;
use support::{FakeLab, eventually};

/// The example binary, built if this test run did not build it.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let bin = profile_dir.join("examples").join("run_experiment");
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "-p",
                "chaoslab-experiment",
                "--example",
                "run_experiment",
            ])
            .status()
            .unwrap();
        assert!(status.success(), "building the example failed");
    }
    assert!(bin.exists(), "no example binary at {}", bin.display());
    bin
}

#[tokio::test]
async fn sigint_mid_method_rolls_back_and_exits_2() {
    let bin = example_binary();
    let lab = FakeLab::start().await;
    let endpoints = lab.file(
        "endpoints.json",
        &serde_json::to_string(&lab.endpoints).unwrap(),
    );
    let file = lab.file(
        "long.yaml",
        r#"title: Payments failing for a long time
load: { rate: 20 }
steady_state:
  probes:
    - slo: { journey: checkout, measure: error_rate, tolerance: { max: 0.05 } }
method:
  - policy: { service: orders, dependency: payments, set: { retry: { max_attempts: 1 } } }
  - fault: { kind: error_rate, target: payments, duration: 5m, params: { rate: 1.0 } }
  - wait: 5m
rollbacks:
  - clear_faults: {}
"#,
    );
    let journal = lab.out("journal.json");
    let shop = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labs/shop.toml");
    let mut child = Command::new(bin)
        .arg(&shop)
        .arg(&endpoints)
        .arg(&journal)
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let state = lab.state.clone();
    eventually(
        "the child to add its fault",
        Duration::from_secs(20),
        || std::future::ready(state.lock().unwrap().faults.contains_key("payments")),
    )
    .await;
    let status = tokio::task::spawn_blocking(move || {
        let status = signal_and_wait(&mut child, Signal::SIGINT, Duration::from_secs(20));
        if status.is_none() {
            let _ = child.kill();
        }
        status
    })
    .await
    .unwrap()
    .expect("the child did not exit after SIGINT");
    assert_eq!(status.code(), Some(2));
    lab.with(|f| {
        assert!(f.faults.is_empty(), "the fault was removed");
        assert_eq!(f.rate, 5.0, "the load rate was restored");
        assert_eq!(
            f.policies["orders/payments"]["retry"]["max_attempts"], 3,
            "the policy was restored"
        );
    });
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    assert_eq!(j["verdict"], "error");
    assert_eq!(j["experiments"][0]["error"], "interrupted");
    assert!(
        !lab.endpoints.state_dir.join("experiment.lock").exists(),
        "the lock was released"
    );
}

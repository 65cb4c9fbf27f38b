//! The lesson catalogue's promise, checked on real labs: with the pattern
//! switched off the hypothesis fails; with it on, it holds; `chaoslab
//! lesson N` runs the pair and exits 0 only when both happen. Two pairs in
//! a lab of their own, one pair attached to a running lab (the durations
//! inside the shop run at the run's time scale, so attaching changes
//! nothing), the pair on the Python service and the four on the broker, at
//! half their written durations; run one after another so they do not
//! compete for the machine.

mod support;

use std::{path::Path, process::Command};

/// `chaoslab lesson N` with `extra` arguments; the exit code, the log, and
/// the Markdown comparison it wrote.
fn lesson(n: u32, extra: &[&str], dir: &Path) -> (i32, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = dir.join(format!("lesson-{n}.md"));
    let junit = dir.join(format!("lesson-{n}.xml"));
    let out = Command::new(support::exe())
        .current_dir(root)
        .env("CHAOSLAB_ENVS", support::envs())
        .args(["lesson", &n.to_string(), "--time-scale", "0.5", "--report"])
        .arg(&report)
        .arg("--junit")
        .arg(&junit)
        .args(extra)
        .output()
        .expect("run chaoslab lesson");
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let code = out.status.code().unwrap_or(-1);
    let md = std::fs::read_to_string(&report).unwrap_or_default();
    if code == 0 || code == 1 {
        let xml = std::fs::read_to_string(&junit).expect("junit written");
        assert!(xml.contains("<testsuite"), "lesson {n}: JUnit XML");
        assert!(
            xml.contains("resilience_score"),
            "lesson {n}: the score is a JUnit property"
        );
    }
    (code, log, md)
}

/// The comparison says fragile failed and resilient held, and shows at
/// least one probe out in the fragile column and ok in the resilient one.
fn assert_shows(n: u32, code: i32, log: &str, md: &str) {
    assert_eq!(
        code, 0,
        "lesson {n} should show (fragile fails, resilient holds):\n{log}"
    );
    assert!(
        md.contains("| fragile |") && md.contains("| failed |") && md.contains("| held |"),
        "lesson {n}: both verdicts in the report:\n{md}"
    );
    assert!(
        md.lines()
            .any(|l| l.starts_with("| **") && l.contains(" OUT | ") && l.ends_with(" ok |")),
        "lesson {n}: a probe out in the fragile run and ok in the resilient one:\n{md}"
    );
}

/// One lab at a time: the lessons measure latency, so they must not compete.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn fragile_lessons_fail_and_resilient_ones_hold() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    for n in [1, 3] {
        let (code, log, md) = lesson(n, &[], dir.path());
        assert_shows(n, code, &log, &md);
    }
}

/// Attached to a running lab (the workflow the lessons' README teaches):
/// the crash lesson, whose fragile run leaves stock held that must have
/// expired before the resilient run reads its baseline.
#[tokio::test(flavor = "multi_thread")]
async fn a_lesson_attached_to_a_running_lab_gives_the_same_verdicts() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let lab = support::Lab::start(&["--rate", "1"], &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let state = lab.state_dir().to_string_lossy().to_string();
    let (code, log, md) = lesson(7, &["--attach", "--state-dir", &state], dir.path());
    assert_shows(7, code, &log, &md);
    assert!(
        md.contains("--attach"),
        "the report names the attached run:\n{md}"
    );
    // The rollbacks put inventory's clock back at 1.
    let (_, settings) = lab
        .get_json(&format!("{}/admin/settings", lab.url_of("inventory")))
        .await;
    assert_eq!(settings["time_scale"], 1.0, "{settings}");
}

/// The lesson on a service in another language: recommendations (Python)
/// turns slow; without the gateway's timeout product pages slow down with
/// it, with the timeout and fallback they stay fast.
#[test]
fn a_slow_python_service_slows_pages_only_without_a_timeout() {
    if let Err(why) = support::polyglot::Polyglot::Recommendations.argv() {
        support::polyglot::skip("lesson 11", &why);
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (code, log, md) = lesson(11, &[], dir.path());
    assert_shows(11, code, &log, &md);
}

/// The lessons on the event path, against the real broker: the consumer
/// down (a backlog long after it is back, drained in seconds with room to
/// catch up), duplicate delivery (shipped twice, once with idempotency), a
/// poison message (the queue stalls, or it is dead-lettered and the rest
/// flows) and the broker down during checkout (events lost, or all shipped
/// through the outbox).
#[test]
fn every_event_lesson_shows_its_harm_against_the_real_broker() {
    if !support::broker::nats_installed("lessons 12-15") {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    for n in [12, 13, 14, 15] {
        let (code, log, md) = lesson(n, &[], dir.path());
        assert_shows(n, code, &log, &md);
    }
}

#[test]
fn an_unknown_lesson_is_refused_naming_the_lessons() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(support::exe())
        .current_dir(root)
        .args(["lesson", "99"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no lesson 99") && err.contains("1, 2, 3"),
        "{err}"
    );
    let list = Command::new(support::exe())
        .current_dir(root)
        .args(["lesson", "--list"])
        .output()
        .unwrap();
    assert_eq!(list.status.code(), Some(0));
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("a crash mid-saga") && text.lines().count() >= 11,
        "{text}"
    );
}

#[test]
fn a_bad_experiment_file_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "title: t\ndescription: d\nload: { rate: 5 }\nsteady_state:\n  probes:\n    - slo: { name: x, journey: browse, measure: p50_ms, tolerance: { max: 10 } }\nmethod:\n  - explode: {}\n").unwrap();
    let started = std::time::Instant::now();
    let out = Command::new(support::exe())
        .arg("run")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml:8:"),
        "names the file and line: {err}"
    );
    assert!(err.contains("explode"), "names the unknown action: {err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "refused before starting a lab"
    );
}

//! The runner against a fake lab: verdicts and exit codes, rollbacks on
//! success, failure, error and cancel, the journal's shape, JUnit that
//! parses, the report's tables, the lock.

mod support;

use std::time::Duration;

use chaoslab_experiment::journal::Verdict;
use chaoslab_experiment::{RunOptions, run_files, run_files_journal};
use serde_json::{Value, json};
use support::{FakeLab, eventually};

const PAYMENTS: &str = r#"title: Payments failing, breaker on
load: { rate: 20, settle: 50ms }
steady_state:
  probes:
    - slo: { journey: checkout, measure: error_rate, tolerance: { max: 0.05 } }
    - resilience: { service: orders, dependency: payments, tolerance: { equals: closed }, when: [before, after] }
method:
  - fault: { kind: error_rate, target: payments, duration: 30s, params: { rate: 1.0 } }
  - wait: 100ms
  - check: payments failing
  - clear_faults: {}
  - wait: 50ms
rollbacks:
  - wait: 10ms
"#;

/// The same with the breaker switched off first.
fn fragile() -> String {
    PAYMENTS.replace(
        "method:\n",
        "method:\n  - policy: { service: orders, dependency: payments, set: { breaker: { enabled: false } } }\n",
    )
}

fn opts(lab: &FakeLab) -> RunOptions {
    RunOptions {
        journal: Some(lab.out("journal.json")),
        junit: Some(lab.out("junit.xml")),
        report: Some(lab.out("report.md")),
        time_scale: 1.0,
    }
}

fn never() -> futures::future::Pending<()> {
    futures::future::pending()
}

fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Parses the JUnit file with quick-xml; returns (testcases, failures, errors) counted from elements.
fn junit_counts(p: &std::path::Path) -> (usize, usize, usize) {
    use quick_xml::events::Event;
    let text = std::fs::read_to_string(p).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut cases, mut failures, mut errors) = (0, 0, 0);
    let mut root = None;
    loop {
        match reader.read_event().expect("JUnit is well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                root.get_or_insert(name.clone());
                match name.as_str() {
                    "testcase" => cases += 1,
                    "failure" => failures += 1,
                    "error" => errors += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(root.as_deref(), Some("testsuites"));
    (cases, failures, errors)
}

#[tokio::test]
async fn a_hypothesis_that_holds_exits_0_and_the_outputs_say_so() {
    let lab = FakeLab::start().await;
    let file = lab.file("payments.yaml", PAYMENTS);
    let o = opts(&lab);
    let verdict = run_files(std::slice::from_ref(&file), &lab.endpoints, &o, never()).await;
    assert_eq!(verdict, Verdict::Held);
    assert_eq!(verdict.exit_code(), 0);

    // The journal: each step with its time, each observed value beside its tolerance.
    let j = read_json(o.journal.as_ref().unwrap());
    assert_eq!(j["version"], 1);
    assert_eq!(j["verdict"], "held");
    let exp = &j["experiments"][0];
    assert_eq!(exp["title"], "Payments failing, breaker on");
    assert_eq!(exp["file"], json!(file));
    let steps = exp["steps"].as_array().unwrap();
    let phases: Vec<&str> = steps.iter().map(|s| s["phase"].as_str().unwrap()).collect();
    for p in ["setup", "before", "method", "during", "after", "rollback"] {
        assert!(phases.contains(&p), "no {p} step in {phases:?}");
    }
    let mut last = 0;
    for s in steps {
        let at = s["at_ms"].as_u64().unwrap();
        assert!(at >= last, "steps in time order");
        last = at;
        assert!(s["unix_ms"].as_u64().unwrap() > 1_600_000_000_000);
        assert!(s["status"].is_string() && s["name"].is_string() && s["kind"].is_string());
    }
    let during = steps.iter().find(|s| s["phase"] == "during").unwrap();
    assert_eq!(during["name"], "payments failing");
    let obs = &during["observations"][0];
    assert_eq!(obs["probe"], "checkout error_rate");
    assert!((obs["value"].as_f64().unwrap() - 0.01).abs() < 1e-9);
    assert_eq!(obs["tolerance"], json!({"max": 0.05}));
    assert_eq!(obs["tolerance_text"], "<= 0.05");
    assert_eq!(obs["ok"], true);
    let before = steps.iter().find(|s| s["phase"] == "before").unwrap();
    assert_eq!(
        before["observations"].as_array().unwrap().len(),
        2,
        "both probes before"
    );
    assert_eq!(
        during["observations"].as_array().unwrap().len(),
        1,
        "the breaker probe is before/after only"
    );

    let (cases, failures, errors) = junit_counts(o.junit.as_ref().unwrap());
    assert_eq!(
        (cases, failures, errors),
        (5, 0, 0),
        "error rate in 3 phases, breaker in 2"
    );

    let report = std::fs::read_to_string(o.report.as_ref().unwrap()).unwrap();
    assert!(
        report.contains("| probe | weight | tolerance | before | during | after |"),
        "{report}"
    );
    assert!(
        report.contains("| checkout error_rate | 1 | <= 0.05 | 0.01 ✓ | 0.01 ✓ | 0.01 ✓ |"),
        "{report}"
    );
    assert!(report.contains("Resilience score: **100%**"), "{report}");
    let xml = std::fs::read_to_string(o.junit.as_ref().unwrap()).unwrap();
    assert!(
        xml.contains(r#"<property name="resilience_score" value="100"/>"#),
        "{xml}"
    );

    // The load rate was set, then put back; the fault was cleared.
    lab.with(|f| {
        assert_eq!(f.rate, 5.0);
        assert!(f.faults.is_empty());
    });
    assert!(lab.calls().iter().any(|c| c.method == "PUT"
        && c.path == "/loadgen/load"
        && c.body == json!({"rate": 20.0})));
    assert!(
        !lab.endpoints.state_dir.join("experiment.lock").exists(),
        "the lock is released"
    );
}

#[tokio::test]
async fn a_hypothesis_that_fails_exits_1_and_the_rollbacks_restore_the_policy() {
    let lab = FakeLab::start().await;
    let file = lab.file("fragile.yaml", &fragile());
    let o = opts(&lab);
    let verdict = run_files(&[file], &lab.endpoints, &o, never()).await;
    assert_eq!(verdict, Verdict::Failed);
    assert_eq!(verdict.exit_code(), 1);

    let j = read_json(o.journal.as_ref().unwrap());
    let steps = j["experiments"][0]["steps"].as_array().unwrap();
    let during = steps.iter().find(|s| s["phase"] == "during").unwrap();
    assert_eq!(during["status"], "failed");
    assert_eq!(during["observations"][0]["ok"], false);
    assert_eq!(during["observations"][0]["reason"], "0.6 is above 0.05");
    let after = steps.iter().find(|s| s["phase"] == "after").unwrap();
    assert_eq!(
        after["status"], "ok",
        "recovered once the fault was cleared"
    );

    // The policy PUT back is the one read before the change.
    let puts: Vec<_> = lab
        .calls()
        .into_iter()
        .filter(|c| c.method == "PUT" && c.path == "/svc/orders/admin/resilience/payments")
        .collect();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[0].body, json!({"breaker": {"enabled": false}}));
    assert_eq!(puts[1].body["breaker"]["enabled"], true);
    assert_eq!(puts[1].body["timeout"]["per_attempt_ms"], 1000);
    lab.with(|f| assert_eq!(f.policies["orders/payments"]["breaker"]["enabled"], true));

    let (_, failures, errors) = junit_counts(o.junit.as_ref().unwrap());
    assert_eq!((failures, errors), (1, 0));
    let report = std::fs::read_to_string(o.report.as_ref().unwrap()).unwrap();
    assert!(report.contains("0.6 ✗"), "{report}");
    // One probe of two (weight 1 each) was out once: the score is 50%.
    assert_eq!(j["score"]["percent"], 50.0);
    assert_eq!(j["experiments"][0]["score"]["percent"], 50.0);
    assert!(report.contains("Resilience score: **50%**"), "{report}");
}

/// A journey mix in the load: sent with the rate, and the mix from before
/// the run is put back by the rollbacks, as the rate is.
#[tokio::test]
async fn a_journey_mix_is_applied_for_the_run_and_restored_after() {
    let lab = FakeLab::start().await;
    let text = PAYMENTS.replace(
        "load: { rate: 20, settle: 50ms }",
        "load: { rate: 20, weights: { checkout: 1, view_product: 0 }, settle: 50ms }",
    );
    let file = lab.file("mix.yaml", &text);
    let verdict = run_files(&[file], &lab.endpoints, &opts(&lab), never()).await;
    assert_eq!(verdict, Verdict::Held);
    assert!(
        lab.calls().iter().any(|c| c.method == "PUT"
            && c.path == "/loadgen/load"
            && c.body == json!({"rate": 20.0, "weights": {"checkout": 1.0, "view_product": 0.0}})),
        "the mix is sent with the rate"
    );
    lab.with(|f| {
        assert_eq!(f.rate, 5.0);
        assert_eq!(
            f.weights["view_product"], 1.0,
            "the mix before the run is back"
        );
        assert_eq!(f.weights["checkout"], 1.0);
    });
}

#[tokio::test]
async fn an_action_the_lab_refuses_exits_2_and_still_rolls_back() {
    let lab = FakeLab::start().await;
    lab.with(|f| f.broken_fault_api.push("payments".into()));
    let file = lab.file("broken.yaml", &fragile());
    let o = opts(&lab);
    let journal = run_files_journal(&[file], &lab.endpoints, &o, never()).await;
    assert_eq!(journal.verdict, Verdict::Error);
    assert_eq!(journal.verdict.exit_code(), 2);
    let exp = &journal.experiments[0];
    assert!(
        exp.error
            .as_deref()
            .unwrap()
            .contains("fault store unavailable"),
        "{:?}",
        exp.error
    );
    assert!(
        exp.steps
            .iter()
            .all(|s| s.phase != chaoslab_experiment::journal::StepPhase::After),
        "no after check once the method broke"
    );
    // Rolled back: the policy and the load rate.
    lab.with(|f| {
        assert_eq!(f.policies["orders/payments"]["breaker"]["enabled"], true);
        assert_eq!(f.rate, 5.0);
    });
    let (_, _, errors) = junit_counts(o.junit.as_ref().unwrap());
    assert_eq!(errors, 1);
}

/// A load generator whose `/load` is not a report stops the run (exit 2)
/// with the call and the field it lacks, instead of reading zeros.
#[tokio::test]
async fn a_load_generator_answering_no_report_is_named_with_what_it_lacks() {
    let lab = FakeLab::start().await;
    lab.with(|f| f.partial_load_report = true);
    let file = lab.file("partial.yaml", PAYMENTS);
    let o = opts(&lab);
    let journal = run_files_journal(&[file], &lab.endpoints, &o, never()).await;
    assert_eq!(journal.verdict, Verdict::Error);
    let error = journal.experiments[0].error.as_deref().unwrap_or_default();
    let call = format!("GET {}/load", lab.endpoints.loadgen.as_deref().unwrap());
    assert!(
        error.contains(&call) && error.contains("unexpected answer: missing field `target`"),
        "{error}"
    );
    lab.with(|f| assert_eq!(f.rate, 5.0, "the rate was left alone"));
}

#[tokio::test]
async fn cancelling_mid_method_runs_the_rollbacks_and_exits_2() {
    let lab = FakeLab::start().await;
    let text = PAYMENTS.replace("  - wait: 100ms\n", "  - wait: 60s\n");
    let file = lab.file("long.yaml", &text);
    let state = lab.state.clone();
    // Ctrl-C as soon as the fault is in place.
    let cancel = async move {
        eventually("the fault to arrive", Duration::from_secs(10), || {
            std::future::ready(state.lock().unwrap().faults.contains_key("payments"))
        })
        .await;
    };
    let started = std::time::Instant::now();
    let journal = run_files_journal(&[file], &lab.endpoints, &opts(&lab), cancel).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the 60 s wait was cut short"
    );
    assert_eq!(journal.verdict, Verdict::Error);
    assert_eq!(journal.experiments[0].error.as_deref(), Some("interrupted"));
    let add = lab
        .position("POST", "/svc/payments/admin/faults")
        .expect("fault added");
    let delete = lab
        .position("DELETE", "/svc/payments/admin/faults/f1")
        .expect("the rollback removed the fault");
    assert!(delete > add);
    lab.with(|f| {
        assert!(f.faults.is_empty());
        assert_eq!(f.rate, 5.0);
    });
    let rollbacks: Vec<_> = journal.experiments[0]
        .steps
        .iter()
        .filter(|s| s.phase == chaoslab_experiment::journal::StepPhase::Rollback)
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(
        rollbacks,
        vec![
            "remove payments fault f1",
            "restore load rate 5/s",
            "wait 10ms"
        ]
    );
}

#[tokio::test]
async fn a_second_run_against_the_same_lab_is_refused_and_stale_locks_are_taken_over() {
    let lab = FakeLab::start().await;
    let file = lab.file("payments.yaml", PAYMENTS);
    std::fs::create_dir_all(&lab.endpoints.state_dir).unwrap();
    let lock = lab.endpoints.state_dir.join("experiment.lock");
    std::fs::write(&lock, format!("{}\n", std::process::id())).unwrap();
    let journal = run_files_journal(
        std::slice::from_ref(&file),
        &lab.endpoints,
        &RunOptions::default(),
        never(),
    )
    .await;
    assert_eq!(journal.verdict, Verdict::Error);
    assert!(
        journal.experiments[0]
            .error
            .as_deref()
            .unwrap()
            .contains("another experiment is running"),
        "{:?}",
        journal.experiments[0].error
    );
    assert!(lab.calls().is_empty(), "nothing was touched");
    assert!(lock.exists(), "someone else's lock is left alone");

    // Two real runs at once: the second is refused while the first holds the lock.
    std::fs::remove_file(&lock).unwrap();
    let slow = lab.file(
        "slow.yaml",
        &PAYMENTS.replace("  - wait: 100ms\n", "  - wait: 1s\n"),
    );
    let slow = [slow];
    let defaults = RunOptions::default();
    let first = run_files(&slow, &lab.endpoints, &defaults, never());
    let second = async {
        eventually("the first run's lock", Duration::from_secs(10), || {
            std::future::ready(lock.exists())
        })
        .await;
        run_files(
            std::slice::from_ref(&file),
            &lab.endpoints,
            &RunOptions::default(),
            never(),
        )
        .await
    };
    let (a, b) = tokio::join!(first, second);
    assert_eq!((a, b), (Verdict::Held, Verdict::Error));

    // A lock left by a dead process is taken over.
    std::fs::write(&lock, "4194999\n").unwrap();
    let v = run_files(&[file], &lab.endpoints, &RunOptions::default(), never()).await;
    assert_eq!(v, Verdict::Held);
}

#[tokio::test]
async fn a_bad_file_is_refused_before_anything_changes() {
    let lab = FakeLab::start().await;
    let good = lab.file("good.yaml", PAYMENTS);
    let bad = lab.file(
        "bad.yaml",
        &PAYMENTS.replace("target: payments", "target: paymnts"),
    );
    let o = opts(&lab);
    let journal = run_files_journal(&[good, bad], &lab.endpoints, &o, never()).await;
    assert_eq!(journal.verdict, Verdict::Error);
    assert!(lab.calls().is_empty(), "not even the good file ran");
    let err = journal.experiments[0].error.clone().unwrap();
    assert!(
        err.contains("bad.yaml:8:")
            && err.contains("method[0].fault.target: unknown target `paymnts`"),
        "{err}"
    );
    let (_, _, errors) = junit_counts(o.junit.as_ref().unwrap());
    assert_eq!(errors, 1);
}

#[tokio::test]
async fn a_lab_without_what_the_file_needs_is_refused_before_anything_changes() {
    let lab = FakeLab::start().await;
    let mut endpoints = lab.endpoints.clone();
    endpoints.agent = None;
    let text = PAYMENTS.replace(
        "kind: error_rate, target: payments, duration: 30s, params: { rate: 1.0 }",
        "kind: latency, target: payments, duration: 30s, params: { latency: 100 }",
    );
    let file = lab.file("toxic.yaml", &text);
    let journal = run_files_journal(&[file], &endpoints, &RunOptions::default(), never()).await;
    assert_eq!(journal.verdict, Verdict::Error);
    assert_eq!(
        journal.experiments[0].error.as_deref(),
        Some("the lab has no chaos agent")
    );
    assert!(lab.calls().is_empty());
}

#[tokio::test]
async fn toxics_carry_a_duration_cut_to_the_time_left_or_are_removed_by_the_rollbacks() {
    let lab = FakeLab::start().await;
    let text = PAYMENTS
        .replace(
            "kind: error_rate, target: payments, duration: 30s, params: { rate: 1.0 }",
            "kind: latency, target: inventory, duration: 1h, params: { latency: 100 }",
        )
        .replace("rollbacks:", "max_duration: 20s\nrollbacks:");
    let file = lab.file("toxic.yaml", &text);
    assert_eq!(
        run_files(
            std::slice::from_ref(&file),
            &lab.endpoints,
            &RunOptions::default(),
            never()
        )
        .await,
        Verdict::Held
    );
    let add = lab
        .calls()
        .into_iter()
        .find(|c| c.path == "/agent/chaos/proxies/inventory/toxics")
        .unwrap();
    let ms = add.body["duration_ms"].as_u64().unwrap();
    assert!(ms <= 20_000 && ms > 15_000, "duration {ms} ms");
    assert_eq!(add.body["type"], "latency");
    assert_eq!(add.body["attributes"], json!({"latency": 100}));
    let name = add.body["name"].as_str().unwrap().to_string();
    assert!(lab.called("DELETE", &format!("/agent/proxies/inventory/toxics/{name}")));

    // An agent without the extension: plain Toxiproxy, removed by the rollbacks.
    let lab = FakeLab::start().await;
    lab.with(|f| f.toxic_extension = false);
    let no_clear = text.replace("  - clear_faults: {}\n", "");
    let file = lab.file("toxic.yaml", &no_clear);
    assert_eq!(
        run_files(&[file], &lab.endpoints, &RunOptions::default(), never()).await,
        Verdict::Held
    );
    let plain = lab
        .calls()
        .into_iter()
        .find(|c| c.path == "/agent/proxies/inventory/toxics")
        .unwrap();
    assert!(plain.body.get("duration_ms").is_none());
    let name = plain.body["name"].as_str().unwrap();
    assert!(lab.called("DELETE", &format!("/agent/proxies/inventory/toxics/{name}")));
    lab.with(|f| assert!(f.toxics["inventory"].is_empty()));
}

#[tokio::test]
async fn a_proxy_down_is_timed_when_the_agent_can_or_brought_back_by_the_rollbacks() {
    let lab = FakeLab::start().await;
    let text = PAYMENTS
        .replace(
            "kind: error_rate, target: payments, duration: 30s, params: { rate: 1.0 }",
            "kind: down, target: inventory, duration: 1h",
        )
        .replace("  - clear_faults: {}\n", "")
        .replace("rollbacks:", "max_duration: 20s\nrollbacks:");
    let file = lab.file("down.yaml", &text);
    assert_eq!(
        run_files(
            std::slice::from_ref(&file),
            &lab.endpoints,
            &RunOptions::default(),
            never()
        )
        .await,
        Verdict::Held
    );
    let down = lab
        .calls()
        .into_iter()
        .find(|c| c.path == "/agent/chaos/proxies/inventory/down")
        .expect("a timed down");
    let ms = down.body["duration_ms"].as_u64().unwrap();
    assert!(ms <= 20_000 && ms > 15_000, "duration {ms} ms");
    let plain_down = lab
        .calls()
        .into_iter()
        .any(|c| c.path == "/agent/proxies/inventory" && c.body["enabled"] == json!(false));
    assert!(
        !plain_down,
        "no plain down when the agent has the timed one"
    );
    assert!(lab.called("DELETE", "/agent/chaos/faults/down-1"));
    lab.with(|f| assert!(f.down.is_empty(), "up again: {:?}", f.down));

    // An agent without the timed down: enabled false, up again in the rollbacks.
    let lab = FakeLab::start().await;
    lab.with(|f| f.down_extension = false);
    let file = lab.file("down.yaml", &text);
    assert_eq!(
        run_files(&[file], &lab.endpoints, &RunOptions::default(), never()).await,
        Verdict::Held
    );
    let sets: Vec<Value> = lab
        .calls()
        .into_iter()
        .filter(|c| c.method == "POST" && c.path == "/agent/proxies/inventory")
        .map(|c| c.body["enabled"].clone())
        .collect();
    assert_eq!(sets, vec![json!(false), json!(true)]);
    lab.with(|f| assert!(f.down.is_empty(), "up again: {:?}", f.down));
}

#[tokio::test]
async fn a_process_stop_is_timed_and_ended_by_the_rollbacks() {
    let lab = FakeLab::start().await;
    let text = PAYMENTS
        .replace(
            "fault: { kind: error_rate, target: payments, duration: 30s, params: { rate: 1.0 } }",
            "process: { target: payments, action: stop, duration: 1h }",
        )
        .replace("  - clear_faults: {}\n", "")
        .replace("rollbacks:", "max_duration: 20s\nrollbacks:");
    let file = lab.file("stop.yaml", &text);
    assert_eq!(
        run_files(&[file], &lab.endpoints, &RunOptions::default(), never()).await,
        Verdict::Held
    );
    let stop = lab
        .calls()
        .into_iter()
        .find(|c| c.path == "/agent/chaos/process/payments")
        .expect("a process fault");
    assert_eq!(stop.body["action"], "stop");
    let ms = stop.body["duration_ms"].as_u64().unwrap();
    assert!(ms <= 20_000 && ms > 15_000, "duration {ms} ms");
    assert!(lab.called("DELETE", "/agent/chaos/faults/process-1"));

    // Without a duration it is refused before anything runs.
    let lab = FakeLab::start().await;
    let file = lab.file("stop.yaml", &text.replace(", duration: 1h", ""));
    assert_eq!(
        run_files(&[file], &lab.endpoints, &RunOptions::default(), never()).await,
        Verdict::Error
    );
    assert!(!lab.called("POST", "/agent/chaos/process/payments"));
}

#[tokio::test]
async fn an_http_probe_with_attempts_passes_on_a_later_try_and_fails_when_none_does() {
    let text = PAYMENTS.replace(
        "    - resilience:",
        "    - http: { name: product page, path: /api/products/1, attempts: 3, tolerance: { status: 200 }, when: [before] }\n    - resilience:",
    );
    let lab = FakeLab::start().await;
    lab.with(|f| f.failing_product_pages = 2);
    let file = lab.file("attempts.yaml", &text);
    assert_eq!(
        run_files(&[file], &lab.endpoints, &RunOptions::default(), never()).await,
        Verdict::Held
    );
    let tries = |lab: &FakeLab| {
        lab.calls()
            .iter()
            .filter(|c| c.path == "/svc/gateway/api/products/1")
            .count()
    };
    assert_eq!(tries(&lab), 3);

    let lab = FakeLab::start().await;
    lab.with(|f| f.failing_product_pages = 3);
    let file = lab.file("attempts.yaml", &text);
    let journal = run_files_journal(&[file], &lab.endpoints, &RunOptions::default(), never()).await;
    assert_eq!(journal.verdict, Verdict::Failed);
    assert_eq!(tries(&lab), 3);
}

#[tokio::test]
async fn continuous_checks_run_while_the_method_does_and_time_scale_shortens_waits() {
    let lab = FakeLab::start().await;
    let text = PAYMENTS
        .replace(
            "steady_state:\n",
            "steady_state:\n  during: continuous\n  every: 10s\n",
        )
        .replace("  - wait: 100ms\n", "  - wait: 60s\n");
    let file = lab.file("continuous.yaml", &text);
    let o = RunOptions {
        time_scale: 0.01,
        ..RunOptions::default()
    };
    let started = std::time::Instant::now();
    let journal = run_files_journal(&[file], &lab.endpoints, &o, never()).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(journal.verdict, Verdict::Held);
    let continuous = journal.experiments[0]
        .steps
        .iter()
        .filter(|s| s.name == "continuous")
        .count();
    assert!(
        continuous >= 3,
        "{continuous} continuous checks in 600 ms at 100 ms"
    );
    // The fault's duration was scaled too: 30 s -> 300 ms.
    let add = lab
        .calls()
        .into_iter()
        .find(|c| c.path == "/svc/payments/admin/faults")
        .unwrap();
    assert_eq!(
        add.body,
        json!({"kind": "error_rate", "rate": 1.0, "status": 500, "duration_ms": 300})
    );
}

#[tokio::test]
async fn http_trace_and_metric_probes_read_the_lab() {
    let lab = FakeLab::start().await;
    let text = r#"title: Product pages with unknown stock
steady_state:
  probes:
    - http: { path: /api/products/1, json_path: stock, tolerance: { status: 200, min: 1 }, when: [before, after] }
    - http: { path: /api/products/1, json_path: stock, tolerance: { status: 200, equals: null }, when: [during] }
    - metric: { metric: resilience_calls_total, agg: rate, window: 10s, labels: { outcome: fallback }, tolerance: { min: 1 }, when: [during] }
    - trace: { service: catalog, errors_only: true, window: 1m, tolerance: { min: 1 } }
method:
  - fault: { kind: error_rate, target: inventory, duration: 10s, params: { rate: 1.0 } }
  - check: inventory down
  - clear_faults: {}
"#;
    let file = lab.file("http.yaml", text);
    let journal = run_files_journal(&[file], &lab.endpoints, &RunOptions::default(), never()).await;
    let during = journal.experiments[0]
        .steps
        .iter()
        .find(|s| s.name == "inventory down")
        .unwrap();
    let values: Vec<Value> = during
        .observations
        .iter()
        .map(|o| o.value.clone())
        .collect();
    assert_eq!(
        values,
        vec![Value::Null, json!(0.0), json!(1)],
        "{:?}",
        during.observations
    );
    assert_eq!(during.observations[0].status, Some(200));
    // The metric reads 0 in the fake (payments is fine), so the run failed on it.
    assert_eq!(journal.verdict, Verdict::Failed);
    let metric = lab
        .calls()
        .into_iter()
        .find(|c| c.path == "/hub/api/metric")
        .unwrap();
    assert_eq!(metric.method, "GET");
}

#[tokio::test]
async fn unchanged_compares_with_the_reading_before_the_method() {
    let text = r#"title: Stock comes back
steady_state:
  probes:
    - http: { path: /api/products/1, json_path: stock, tolerance: { unchanged: true }, when: [before, after] }
method:
  - fault: { kind: error_rate, target: inventory, duration: 10s, params: { rate: 1.0 } }
  - clear_faults: {}
"#;
    let lab = FakeLab::start().await;
    let file = lab.file("back.yaml", text);
    let journal = run_files_journal(
        std::slice::from_ref(&file),
        &lab.endpoints,
        &RunOptions::default(),
        never(),
    )
    .await;
    assert_eq!(journal.verdict, Verdict::Held);
    let after = journal.experiments[0]
        .steps
        .iter()
        .find(|s| s.name == "after the method")
        .unwrap();
    assert_eq!(
        after.observations[0].tolerance_text,
        "unchanged from before"
    );

    let lab = FakeLab::start().await;
    let file = lab.file("gone.yaml", &text.replace("  - clear_faults: {}\n", ""));
    let journal = run_files_journal(&[file], &lab.endpoints, &RunOptions::default(), never()).await;
    assert_eq!(journal.verdict, Verdict::Failed);
    let after = journal.experiments[0]
        .steps
        .iter()
        .find(|s| s.name == "after the method")
        .unwrap();
    assert_eq!(
        after.observations[0].reason.as_deref(),
        Some("null changed from 7")
    );
}

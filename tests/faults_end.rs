//! Every fault ends on time, even when whoever asked for it died, and every
//! process stops when asked: real labs from `chaoslab up`, real signals,
//! process states read from /proc.

mod support;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{Lab, eventually};

/// The state letter of a process (`R`, `S`, `T`...), None once it is gone
/// (a zombie counts as gone: it has exited).
fn state(pid: u32) -> Option<char> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let c = text[text.rfind(')')? + 2..].chars().next()?;
    (c != 'Z' && c != 'X').then_some(c)
}

/// Every child the lab started, by name and pid.
fn children(lab: &Lab) -> Vec<(String, u32)> {
    children_in(&lab.reload())
}

/// Every child named in a lab's state file, by name and pid.
fn children_in(state: &Value) -> Vec<(String, u32)> {
    state["processes"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(name, p)| Some((name.clone(), p["pid"].as_u64()? as u32)))
        .collect()
}

/// Pids of the pause guards watching `pid`.
fn guards_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{p}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmd
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let watches = args
            .windows(2)
            .any(|w| w[0] == "--pid" && w[1] == pid.to_string());
        if args.iter().any(|a| a == "pause-guard") && watches && state(p).is_some() {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pause_ends_on_its_own_clock_when_the_supervisor_is_killed() {
    let mut lab = Lab::start(&[], &[]).await;
    let payments = lab.pid_of("payments").unwrap();
    let others: Vec<(String, u32)> = children(&lab)
        .into_iter()
        .filter(|(n, _)| n != "payments")
        .collect();
    let (s, v) = lab
        .post_agent(
            "/chaos/process/payments",
            json!({"action": "pause", "duration_ms": 3000}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let paused_at = Instant::now();
    eventually(
        "payments stopped (state T)",
        Duration::from_secs(2),
        || async { (state(payments) == Some('T')).then_some(()) },
    )
    .await;
    // Awaited, not read once: on a loaded 2-core machine one scan of /proc
    // right after the pause found no guard, once in many runs.
    eventually(
        "one guard watches the pause",
        Duration::from_secs(2),
        || async { (guards_of(payments).len() == 1).then_some(()) },
    )
    .await;

    kill(Pid::from_raw(lab.child_pid() as i32), Signal::SIGKILL).unwrap();
    let _ = lab.wait_child();

    // The other children notice their supervisor is gone and exit.
    eventually("the other children exited", Duration::from_secs(3), || {
        let others = others.clone();
        async move {
            others
                .iter()
                .all(|(_, p)| state(*p).is_none())
                .then_some(())
        }
    })
    .await;
    if paused_at.elapsed() < Duration::from_millis(2500) {
        assert_eq!(
            state(payments),
            Some('T'),
            "still paused before the pause's end"
        );
    }
    // The guard resumes it when the pause ends; then it exits as an orphan.
    eventually(
        "payments resumed and exited",
        Duration::from_secs(8),
        || async { state(payments).is_none().then_some(()) },
    )
    .await;
    let ended = paused_at.elapsed();
    assert!(
        ended >= Duration::from_millis(2900),
        "resumed before the pause's end: {ended:?}"
    );
    eventually("the guard is gone", Duration::from_secs(2), || async {
        guards_of(payments).is_empty().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pause_without_end_is_resumed_when_the_supervisor_dies() {
    let mut lab = Lab::start(&[], &[]).await;
    let payments = lab.pid_of("payments").unwrap();
    let (s, v) = lab
        .post_agent("/chaos/process/payments", json!({"action": "pause"}))
        .await;
    assert_eq!(s, 201, "{v}");
    eventually("payments stopped", Duration::from_secs(2), || async {
        (state(payments) == Some('T')).then_some(())
    })
    .await;
    kill(Pid::from_raw(lab.child_pid() as i32), Signal::SIGKILL).unwrap();
    let _ = lab.wait_child();
    eventually(
        "payments resumed and exited",
        Duration::from_secs(5),
        || async { state(payments).is_none().then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_process_stops_within_a_second_of_being_asked() {
    let mut lab = Lab::start(&[], &[]).await;
    let pids = children(&lab);
    // A request held by a long fault, and an idle OTLP gRPC connection.
    let (s, v) = lab
        .post_agent(
            "/chaos/services/inventory/faults",
            json!({"kind": "latency", "latency_ms": 590000, "duration_ms": 600000}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let held = tokio::spawn(
        reqwest::Client::new()
            .get(format!("{}/stock/1", lab.url_of("inventory")))
            .timeout(Duration::from_secs(30))
            .send(),
    );
    let grpc = lab.state["otlp_grpc"].as_str().unwrap().to_string();
    let idle = tonic::transport::Endpoint::from_shared(grpc)
        .unwrap()
        .connect()
        .await
        .unwrap();
    eventually("the request is held", Duration::from_secs(5), || async {
        let (_, f) = lab.get_json(&format!("{}/chaos/faults", lab.agent())).await;
        let injected = f.as_array()?.iter().any(|x| x["target"] == "inventory");
        injected.then_some(())
    })
    .await;

    let asked = Instant::now();
    kill(Pid::from_raw(lab.child_pid() as i32), Signal::SIGTERM).unwrap();
    let _ = lab.wait_child();
    let supervisor = asked.elapsed();
    eventually("every child is gone", Duration::from_secs(3), || {
        let pids = pids.clone();
        async move { pids.iter().all(|(_, p)| state(*p).is_none()).then_some(()) }
    })
    .await;
    let all = asked.elapsed();
    eprintln!("supervisor gone after {supervisor:?}, every process after {all:?}");
    // Each process gets 1 s; the supervisor asks its children at once.
    assert!(all < Duration::from_millis(1900), "took {all:?}");
    // The held request ended with its server, not 590 s later.
    let ended = tokio::time::timeout(Duration::from_secs(2), held).await;
    assert!(ended.is_ok(), "the held request is still open");
    drop(idle);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fault_list_answers_at_once_with_services_paused_and_names_them() {
    let lab = Lab::start(&[], &[]).await;
    for svc in ["payments", "users", "inventory"] {
        let (s, v) = lab
            .post_agent(
                &format!("/chaos/process/{svc}"),
                json!({"action": "pause", "duration_ms": 8000}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let started = Instant::now();
    let resp = lab
        .http
        .get(format!("{}/chaos/faults", lab.agent()))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    let silent = resp
        .headers()
        .get("x-chaos-unanswered")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let faults: Vec<Value> = resp.json().await.unwrap();
    eprintln!("GET /chaos/faults with three services paused: {took:?}");
    // It waited 1 s for each before; now all are asked together, briefly.
    assert!(took < Duration::from_millis(500), "took {took:?}");
    for svc in ["payments", "users", "inventory"] {
        assert!(
            silent.split(',').any(|s| s == svc),
            "{svc} not named in {silent:?}"
        );
        assert!(
            faults
                .iter()
                .any(|f| f["target"] == svc && f["kind"] == "pause"),
            "the pause of {svc} is listed"
        );
    }
    let (_, _) = lab.get_json(&format!("{}/chaos/faults", lab.agent())).await;
    let resp = lab
        .http
        .delete(format!("{}/chaos/faults", lab.agent()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_held_by_a_service_latency_fault_wakes_when_the_fault_ends() {
    let lab = Lab::start(&[], &[]).await;
    let url = format!("{}/stock/1", lab.url_of("inventory"));
    // Expiring: held at most until the fault's end.
    let (s, v) = lab
        .post_agent(
            "/chaos/services/inventory/faults",
            json!({"kind": "latency", "latency_ms": 590000, "duration_ms": 800}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let started = Instant::now();
    let r = lab
        .http
        .get(&url)
        .timeout(Duration::from_secs(20))
        .send()
        .await;
    assert_eq!(r.expect("released when the fault expired").status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(700));

    // Removed: held until the removal.
    let (s, v) = lab
        .post_agent(
            "/chaos/services/inventory/faults",
            json!({"kind": "latency", "latency_ms": 590000, "duration_ms": 600000}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let held = tokio::spawn(lab.http.get(&url).timeout(Duration::from_secs(20)).send());
    chaoslab_testkit::holds_for("the request is held", Duration::from_millis(300), || {
        std::future::ready(!held.is_finished())
    })
    .await;
    let r = lab
        .http
        .delete(format!("{}/chaos/faults", lab.agent()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = held
        .await
        .unwrap()
        .expect("released when the fault was removed");
    assert_eq!(r.status(), 200);

    // And a latency that overflows with its jitter is refused by the
    // agent, by the same rule the service applies, before it is forwarded.
    let (s, v) = lab.post_agent("/chaos/services/payments/faults",
        json!({"kind": "latency", "latency_ms": 18446744073709551605u64, "jitter_ms": 11, "duration_ms": 2000}),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("latency_ms + jitter_ms"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_fault_quotes_the_services_reason() {
    let lab = Lab::start(&[], &[]).await;
    use chaoslab_contract::wire::admin::{FaultSpec, ServiceFaultRequest};
    let svc = chaoslab_contract::client::AdminClient::new("payments", &lab.url_of("payments"));
    // Built by hand, past the contract's own check: the service refuses it.
    let request = ServiceFaultRequest::new(
        FaultSpec::ErrorRate {
            route: None,
            rate: 7.0,
            status: 500,
        },
        Some(Duration::from_secs(1)),
    );
    let err = svc.add_fault(&request).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("(HTTP 400)"), "{err}");
    assert!(
        err.message().contains("rate must be between 0 and 1"),
        "{err}"
    );
    // A real fault is seen, listed and removed by the same client.
    let ok = ServiceFaultRequest::new(
        FaultSpec::SlowStorage { latency_ms: 5 },
        Some(Duration::from_secs(30)),
    );
    let view = svc.add_fault(&ok).await.unwrap();
    assert_eq!(view.spec, ok.fault);
    assert_eq!(svc.faults().await.unwrap().len(), 1);
    svc.remove_fault(&view.id).await.unwrap();
    assert!(svc.remove_fault(&view.id).await.unwrap_err().is_not_found());
    assert!(svc.faults().await.unwrap().is_empty());
    let settings = svc.settings().await.unwrap();
    assert_eq!(svc.put_settings(&settings).await.unwrap(), settings);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reused_idempotency_key_with_other_items_answers_422() {
    let lab = Lab::start(&[], &[]).await;
    let token = lab.login().await;
    let first = json!([{"product_id": 2, "quantity": 1}]);
    let (s, order) = lab.checkout(&token, Some("key-422"), first.clone()).await;
    assert_eq!(s, 201, "{order}");
    let (s, body) = lab
        .checkout(
            &token,
            Some("key-422"),
            json!([{"product_id": 3, "quantity": 2}]),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body["reason"].as_str().unwrap().contains("Idempotency-Key"),
        "{body}"
    );
    // The same request again is still a replay of the first order.
    let (s, again) = lab.checkout(&token, Some("key-422"), first).await;
    assert_eq!((s, &again["order_id"]), (201, &order["order_id"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lab_whose_parent_dies_stops_itself_and_every_child() {
    // A shell is the parent of `chaoslab up`: it names itself in
    // CHAOSLAB_PARENT_PID (as the bench and these tests do), starts the
    // lab, says its pid and waits; then the shell is killed outright.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("up.out");
    let mut argv: Vec<std::ffi::OsString> =
        vec![support::exe().into(), "up".into(), "--headless".into()];
    argv.extend(["--ephemeral-ports", "--rate", "0", "--state-dir"].map(Into::into));
    argv.push(dir.path().into());
    let envs = support::envs();
    let (mut parent, supervisor) =
        support::with_shell_parent(&argv, &[("CHAOSLAB_ENVS", envs.as_os_str())], &out);
    eventually("lab ready", Duration::from_secs(30), || async {
        std::fs::read_to_string(&out)
            .ok()
            .filter(|s| s.contains("lab ready"))
    })
    .await;
    let lab: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("lab.json")).unwrap())
            .unwrap();
    let mut pids: Vec<u32> = children_in(&lab).into_iter().map(|(_, p)| p).collect();
    pids.push(supervisor);
    let _cleanup = KillLeft(pids.clone());
    assert!(pids.len() > 5, "{lab}");
    assert!(
        pids.iter().all(|p| state(*p).is_some()),
        "all running while the parent is"
    );

    parent.kill().unwrap();
    parent.wait().unwrap();
    let killed = Instant::now();
    eventually(
        "every process of the lab exits",
        Duration::from_secs(5),
        || {
            let alive: Vec<u32> = pids
                .iter()
                .copied()
                .filter(|p| state(*p).is_some())
                .collect();
            async move { alive.is_empty().then_some(()) }
        },
    )
    .await;
    eprintln!("the lab was gone {:?} after its parent", killed.elapsed());
    // It stopped its children itself, not by dying.
    let log = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(log.contains("stopped"), "{log}");
}

/// SIGKILLs the processes still alive when dropped, so a failing test
/// leaves nothing running either.
struct KillLeft(Vec<u32>);

impl Drop for KillLeft {
    fn drop(&mut self) {
        for p in self.0.iter().filter(|p| state(**p).is_some()) {
            let _ = kill(Pid::from_raw(*p as i32), Signal::SIGKILL);
        }
    }
}

//! Timed outages: a process stopped for a while (through `LabControl::stop_for`)
//! and a proxy down for a while, each ending by itself or when removed.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chaoslab_chaos::{Agent, LabControl};
use serde_json::json;

use crate::lab::TestLab;
use crate::support::*;

#[tokio::test]
async fn a_timed_stop_keeps_the_process_down_until_it_ends() {
    let lab = TestLab::start().await;
    let control: Arc<dyn LabControl> = lab.clone();
    let agent = agent_with(Some(control));
    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/process/sleeper",
        r#"{"action": "stop"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"].as_str().unwrap().contains("duration_ms"), "{v}");
    assert!(lab.alive());

    let stop = |ms: u64| {
        let agent = agent.clone();
        async move {
            let body = json!({"action": "stop", "duration_ms": ms}).to_string();
            let (s, v) = call(&agent, "POST", "/chaos/process/sleeper", &body).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            assert_eq!(v["kind"], "stop");
            v["id"].as_str().unwrap().to_string()
        }
    };
    let listed = |agent: Arc<Agent>| async move {
        let (_, list) = call(&agent, "GET", "/chaos/faults", "").await;
        list.as_array().unwrap().len()
    };

    // It ends by itself.
    let first = lab.pid();
    stop(600).await;
    assert!(!lab.alive(), "the process must be down during the outage");
    assert_eq!(listed(agent.clone()).await, 1);
    let active = metric(
        &agent,
        "chaos_faults_active",
        &["target=\"sleeper\"", "kind=\"stop\""],
    )
    .await;
    assert_eq!(active, 1.0);
    eventually(
        "the process is started again",
        Duration::from_secs(5),
        || async { lab.alive() },
    )
    .await;
    assert_ne!(lab.pid(), first, "a new process");
    eventually(
        "the stop is no longer listed",
        Duration::from_secs(5),
        || {
            let count = listed(agent.clone());
            async move { count.await == 0 }
        },
    )
    .await;

    // Removed by id, removed with every fault, ended with `start`.
    let id = stop(60_000).await;
    let (s, _) = call(&agent, "DELETE", &format!("/chaos/faults/{id}"), "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(lab.alive(), "removing the fault starts the process");
    stop(60_000).await;
    let (s, _) = call(&agent, "DELETE", "/chaos/faults", "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(lab.alive(), "clearing every fault starts the process");
    stop(60_000).await;
    assert!(!lab.alive());
    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/process/sleeper",
        r#"{"action": "start"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(lab.alive(), "start ends the outage");
    assert_eq!(listed(agent.clone()).await, 0);
}

#[tokio::test]
async fn a_timed_down_closes_the_proxy_and_brings_it_back() {
    let agent = agent();
    let base = http_proxy(&agent, "dn").await;
    let c = reqwest::Client::new();
    let up = |c: reqwest::Client, base: String| async move {
        c.get(format!("{base}/x"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    };
    assert!(up(c.clone(), base.clone()).await);

    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/proxies/dn/down",
        r#"{"duration_ms": 500}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["id"], "down:dn");
    assert_eq!(v["kind"], "down");
    assert!(
        !up(c.clone(), base.clone()).await,
        "the proxy must refuse connections"
    );
    let (_, list) = call(&agent, "GET", "/chaos/faults", "").await;
    assert_eq!(list[0]["kind"], "down", "{list}");
    assert!(
        list[0]["remaining_ms"].as_u64().is_some_and(|ms| ms <= 500),
        "{list}"
    );
    let (_, view) = call(&agent, "GET", "/proxies/dn", "").await;
    assert_eq!(view["enabled"], false);
    eventually("the proxy listens again", Duration::from_secs(5), || {
        up(c.clone(), base.clone())
    })
    .await;
    let (_, list) = call(&agent, "GET", "/chaos/faults", "").await;
    assert_eq!(list, json!([]));

    // Removed by id, or with every fault.
    for remove in ["/chaos/faults/down:dn", "/chaos/faults"] {
        let (s, _) = call(
            &agent,
            "POST",
            "/chaos/proxies/dn/down",
            r#"{"duration_ms": 60000}"#,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        assert!(!up(c.clone(), base.clone()).await);
        let (s, _) = call(&agent, "DELETE", remove, "").await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert!(up(c.clone(), base.clone()).await, "after DELETE {remove}");
    }
    let (s, _) = call(&agent, "DELETE", "/chaos/faults/down:dn", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call(&agent, "POST", "/chaos/proxies/nope/down", "{}").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A supervisor that knows nothing of timed outages (the trait's default).
struct OldLab;

impl LabControl for OldLab {
    fn services(&self) -> Vec<String> {
        vec!["svc".into()]
    }
    fn process(&self, _: &str, _: chaoslab_chaos::ProcessAction) -> Result<(), String> {
        Ok(())
    }
    fn admin_url(&self, _: &str) -> Option<String> {
        None
    }
}

#[tokio::test]
async fn a_supervisor_without_stop_for_refuses_a_stop() {
    let agent = agent_with(Some(Arc::new(OldLab)));
    let (s, v) = call(
        &agent,
        "POST",
        "/chaos/process/svc",
        r#"{"action": "stop", "duration_ms": 1000}"#,
    )
    .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("not supported"),
        "{v}"
    );
    let (_, list) = call(&agent, "GET", "/chaos/faults", "").await;
    assert_eq!(list, json!([]));
}

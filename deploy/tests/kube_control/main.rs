//! Process faults on Kubernetes, as the requests `KubeControl` sends: a
//! real `kube::Client` pointed at a local server speaking enough of the
//! Kubernetes API to record them (no cluster runs here). What a real API
//! server, kubelet and Deployment controller then do is not tested here.

mod api_server;

use api_server::{Cluster, deployment, pod_labels};
use chaoslab_chaos::{LabControl, ProcessAction};
use chaoslab_deploy::control::{KubeControl, RESTORE_AT, RESTORE_REPLICAS};
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, SystemTime},
};

const SERVICES: &[&str] = &["gateway", "orders", "payments", "users"];

async fn control(cluster: Cluster) -> (Arc<KubeControl>, api_server::Shared) {
    let (url, state) = api_server::start(cluster).await;
    let config = kube::Config::new(url.parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    let services: BTreeMap<String, String> = SERVICES
        .iter()
        .map(|s| (s.to_string(), format!("http://{s}:8080")))
        .collect();
    (Arc::new(KubeControl::new(client, "lab", services)), state)
}

/// Calls the trait as the agent does: on the blocking pool.
async fn act(c: &Arc<KubeControl>, service: &str, action: ProcessAction) -> Result<(), String> {
    let (c, s) = (c.clone(), service.to_string());
    tokio::task::spawn_blocking(move || c.process(&s, action))
        .await
        .unwrap()
}

async fn stop_for(c: &Arc<KubeControl>, service: &str, d: Duration) -> Result<(), String> {
    let (c, s) = (c.clone(), service.to_string());
    tokio::task::spawn_blocking(move || c.stop_for(&s, d))
        .await
        .unwrap()
}

fn field<'a>(state: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(state, |v, k| &v[*k])
}

fn replicas(state: &api_server::Shared, name: &str) -> i64 {
    state.lock().unwrap().deployments[name]["spec"]["replicas"]
        .as_i64()
        .unwrap()
}

fn annotations(state: &api_server::Shared, name: &str) -> Value {
    let g = state.lock().unwrap();
    field(&g.deployments[name], &["metadata", "annotations"]).clone()
}

fn patches(state: &api_server::Shared, name: &str) -> Vec<Value> {
    state
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.ends_with(&format!("/deployments/{name}")))
        .map(|r| r.body.clone())
        .collect()
}

use chaoslab_testkit::eventually;

fn cluster(deployments: &[Value]) -> Cluster {
    Cluster {
        deployments: deployments
            .iter()
            .map(|d| {
                (
                    d["metadata"]["name"].as_str().unwrap().to_string(),
                    d.clone(),
                )
            })
            .collect(),
        ..Cluster::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_deletes_the_services_pods_at_once_and_only_those() {
    let mut c = cluster(&[deployment("gateway", 2, &[]), deployment("users", 1, &[])]);
    c.pods.insert("gateway-a".into(), pod_labels("gateway"));
    c.pods.insert("gateway-b".into(), pod_labels("gateway"));
    c.pods.insert("users-a".into(), pod_labels("users"));
    let (control, state) = control(c).await;

    act(&control, "gateway", ProcessAction::Kill).await.unwrap();
    {
        let g = state.lock().unwrap();
        assert_eq!(g.pods.keys().collect::<Vec<_>>(), ["users-a"]);
        let delete = g.requests.iter().find(|r| r.method == "DELETE").unwrap();
        assert_eq!(delete.path, "/api/v1/namespaces/lab/pods");
        assert!(
            delete
                .query
                .contains("labelSelector=app.kubernetes.io%2Fname%3Dgateway"),
            "{}",
            delete.query
        );
        assert_eq!(
            delete.body["gracePeriodSeconds"],
            json!(0),
            "{}",
            delete.body
        );
    }
    // Nothing left to kill: said, not silently done.
    let err = act(&control, "gateway", ProcessAction::Kill)
        .await
        .unwrap_err();
    assert!(err.contains("no running pod"), "{err}");
    // Terminate keeps the pods' own grace period.
    act(&control, "users", ProcessAction::Terminate)
        .await
        .unwrap();
    let g = state.lock().unwrap();
    let last = g
        .requests
        .iter()
        .rev()
        .find(|r| r.method == "DELETE")
        .unwrap();
    assert!(
        last.body
            .get("gracePeriodSeconds")
            .is_none_or(Value::is_null),
        "{}",
        last.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_stop_scales_to_zero_and_writes_when_to_come_back_on_the_deployment() {
    let (control, state) = control(cluster(&[deployment("orders", 2, &[])])).await;
    let before = SystemTime::now();
    stop_for(&control, "orders", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(replicas(&state, "orders"), 0);
    let a = annotations(&state, "orders");
    assert_eq!(a[RESTORE_REPLICAS], json!("2"));
    let at = humantime::parse_rfc3339(a[RESTORE_AT].as_str().unwrap()).unwrap();
    let wait = at.duration_since(before).unwrap();
    assert!((29..=31).contains(&wait.as_secs()), "restore in {wait:?}");
    // One patch: replicas and annotations change together.
    assert_eq!(patches(&state, "orders").len(), 1);

    // A second stop moves the end but keeps the count to restore (not 0).
    stop_for(&control, "orders", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(annotations(&state, "orders")[RESTORE_REPLICAS], json!("2"));

    act(&control, "orders", ProcessAction::Start).await.unwrap();
    assert_eq!(replicas(&state, "orders"), 2);
    let a = annotations(&state, "orders");
    assert!(
        a.get(RESTORE_AT).is_none() && a.get(RESTORE_REPLICAS).is_none(),
        "{a}"
    );
    // Start on a running service is a no-op success, with no patch sent.
    let n = patches(&state, "orders").len();
    act(&control, "orders", ProcessAction::Start).await.unwrap();
    assert_eq!(patches(&state, "orders").len(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_restores_a_stop_left_by_a_dead_agent_at_start_and_the_rest_when_due() {
    let past =
        humantime::format_rfc3339_seconds(SystemTime::now() - Duration::from_secs(60)).to_string();
    let soon =
        humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(2)).to_string();
    let (control, state) = control(cluster(&[
        deployment("orders", 0, &[(RESTORE_AT, &past), (RESTORE_REPLICAS, "3")]),
        deployment(
            "payments",
            0,
            &[(RESTORE_AT, &soon), (RESTORE_REPLICAS, "1")],
        ),
        // An end nobody can read still ends: one replica.
        deployment(
            "users",
            0,
            &[(RESTORE_AT, "tomorrow-ish"), (RESTORE_REPLICAS, "x")],
        ),
        deployment("gateway", 1, &[]),
    ]))
    .await;
    tokio::spawn(control.clone().run_controller(Duration::from_millis(100)));

    // One pass restores both, one deployment after the other.
    eventually("orders and users restored", Duration::from_secs(5), || {
        std::future::ready(replicas(&state, "orders") == 3 && replicas(&state, "users") == 1)
    })
    .await;
    assert_eq!(
        replicas(&state, "payments"),
        0,
        "payments' stop has not ended yet"
    );
    eventually("payments restored", Duration::from_secs(10), || {
        std::future::ready(replicas(&state, "payments") == 1)
    })
    .await;
    let a = annotations(&state, "payments");
    assert!(a.get(RESTORE_AT).is_none(), "{a}");
    assert!(
        patches(&state, "gateway").is_empty(),
        "a running deployment is left alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_kubernetes_cannot_carry_out_are_refused_with_a_reason() {
    let (control, state) = control(cluster(&[deployment("users", 1, &[])])).await;
    let err = act(&control, "users", ProcessAction::Pause)
        .await
        .unwrap_err();
    assert!(err.contains("not possible on Kubernetes"), "{err}");
    let err = act(&control, "nobody", ProcessAction::Kill)
        .await
        .unwrap_err();
    assert!(err.contains("no service named"), "{err}");
    // A service the agent knows whose Deployment is missing: the API's answer.
    let err = stop_for(&control, "payments", Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(err.contains("not found"), "{err}");
    assert!(patches(&state, "users").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_api_stops_a_deployment_and_brings_it_back_when_the_fault_ends() {
    let (control, state) = control(cluster(&[deployment("payments", 1, &[])])).await;
    let agent = chaoslab_chaos::Agent::new(
        chaoslab_chaos::AgentConfig {
            seed: None,
            token: None,
            metrics: None,
        },
        Some(control as Arc<dyn LabControl>),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(chaoslab_chaos::serve(
        listener,
        agent,
        std::future::pending(),
    ));
    let res = reqwest::Client::new()
        .post(format!("{url}/chaos/process/payments"))
        .json(&json!({ "action": "stop", "duration_ms": 1500 }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    assert_eq!(replicas(&state, "payments"), 0);
    eventually("payments back", Duration::from_secs(10), || {
        std::future::ready(replicas(&state, "payments") == 1)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_service_faults_reach_a_services_admin_api_with_the_admin_token() {
    use axum::{Json, Router, http::HeaderMap, routing::post};
    let seen: Arc<std::sync::Mutex<Vec<Option<String>>>> = Arc::default();
    let record = seen.clone();
    let admin = Router::new().route(
        "/admin/faults",
        post(move |headers: HeaderMap| {
            let record = record.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from);
                record.lock().unwrap().push(auth);
                (
                    axum::http::StatusCode::CREATED,
                    // A service's view of the fault it took, as the admin API answers.
                    Json(json!({
                        "id": "1", "target": "orders", "kind": "error_rate", "rate": 0.5,
                        "status": 500, "duration_ms": 1000, "remaining_ms": 1000, "started_at": 0.0
                    })),
                )
            }
        }),
    );
    let admin_url = format!("http://{}", chaoslab_testkit::serve(admin).await);

    let (url, _state) = api_server::start(cluster(&[])).await;
    let client = kube::Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap();
    let control = KubeControl::new(
        client,
        "lab",
        BTreeMap::from([("orders".into(), admin_url)]),
    )
    .with_admin_token(Some("s3cret".into()));
    let agent = chaoslab_chaos::Agent::new(
        chaoslab_chaos::AgentConfig {
            seed: None,
            token: None,
            metrics: None,
        },
        Some(Arc::new(control) as Arc<dyn LabControl>),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let agent_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(chaoslab_chaos::serve(
        listener,
        agent,
        std::future::pending(),
    ));
    let res = reqwest::Client::new()
        .post(format!("{agent_url}/chaos/services/orders/faults"))
        .json(&json!({ "kind": "error_rate", "rate": 0.5, "duration_ms": 1000 }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    assert_eq!(*seen.lock().unwrap(), [Some("Bearer s3cret".to_string())]);
}

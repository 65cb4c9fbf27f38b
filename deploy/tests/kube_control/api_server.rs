//! A local HTTP server on port 0 that speaks enough of the Kubernetes API
//! for `kube::Client` (Deployments get, list and merge-patch; pods deleted by
//! label selector) and records every request, so tests see exactly what the
//! lab's process faults ask of a cluster.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, RawQuery, State},
    http::{Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub body: Value,
}

#[derive(Default)]
pub struct Cluster {
    pub deployments: BTreeMap<String, Value>,
    /// Pod name -> its labels.
    pub pods: BTreeMap<String, BTreeMap<String, String>>,
    pub requests: Vec<Recorded>,
}

pub type Shared = Arc<Mutex<Cluster>>;

/// A Deployment as the API server would return it.
pub fn deployment(name: &str, replicas: i32, annotations: &[(&str, &str)]) -> Value {
    let annotations: serde_json::Map<String, Value> = annotations
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "namespace": "lab", "annotations": annotations },
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "chaoslab" } },
            "template": { "metadata": { "labels": { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "chaoslab" } } },
        },
    })
}

/// A pod of Deployment `app`.
pub fn pod_labels(app: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), app.to_string()),
        (
            "app.kubernetes.io/part-of".to_string(),
            "chaoslab".to_string(),
        ),
    ])
}

/// Starts the server; returns its base URL and its state.
pub async fn start(cluster: Cluster) -> (String, Shared) {
    let state: Shared = Arc::new(Mutex::new(cluster));
    let app = Router::new()
        .route("/apis/apps/v1/namespaces/{ns}/deployments", get(list))
        .route(
            "/apis/apps/v1/namespaces/{ns}/deployments/{name}",
            get(get_one).patch(patch),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods",
            axum::routing::delete(delete_pods),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state)
}

fn record(s: &Shared, method: Method, path: String, query: Option<String>, body: &Bytes) {
    let body = serde_json::from_slice(body).unwrap_or(Value::Null);
    s.lock().unwrap().requests.push(Recorded {
        method,
        path,
        query: query.unwrap_or_default(),
        body,
    });
}

fn not_found(name: &str) -> Response {
    let status = json!({
        "apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
        "message": format!("deployments.apps \"{name}\" not found"), "reason": "NotFound", "code": 404,
    });
    (StatusCode::NOT_FOUND, Json(status)).into_response()
}

async fn list(State(s): State<Shared>, Path(ns): Path<String>, q: RawQuery) -> Response {
    record(
        &s,
        Method::GET,
        format!("/apis/apps/v1/namespaces/{ns}/deployments"),
        q.0,
        &Bytes::new(),
    );
    let items: Vec<Value> = s.lock().unwrap().deployments.values().cloned().collect();
    Json(json!({ "apiVersion": "apps/v1", "kind": "DeploymentList", "metadata": {}, "items": items }))
        .into_response()
}

async fn get_one(State(s): State<Shared>, Path((ns, name)): Path<(String, String)>) -> Response {
    record(
        &s,
        Method::GET,
        format!("/apis/apps/v1/namespaces/{ns}/deployments/{name}"),
        None,
        &Bytes::new(),
    );
    match s.lock().unwrap().deployments.get(&name) {
        Some(d) => Json(d.clone()).into_response(),
        None => not_found(&name),
    }
}

async fn patch(
    State(s): State<Shared>,
    Path((ns, name)): Path<(String, String)>,
    q: RawQuery,
    body: Bytes,
) -> Response {
    record(
        &s,
        Method::PATCH,
        format!("/apis/apps/v1/namespaces/{ns}/deployments/{name}"),
        q.0,
        &body,
    );
    let Ok(patch) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let mut g = s.lock().unwrap();
    match g.deployments.get_mut(&name) {
        Some(d) => {
            merge(d, &patch);
            Json(d.clone()).into_response()
        }
        None => not_found(&name),
    }
}

async fn delete_pods(
    State(s): State<Shared>,
    Path(ns): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
    q: RawQuery,
    body: Bytes,
) -> Response {
    record(
        &s,
        Method::DELETE,
        format!("/api/v1/namespaces/{ns}/pods"),
        q.0,
        &body,
    );
    let selector: Vec<(String, String)> = params
        .get("labelSelector")
        .map(|sel| {
            sel.split(',')
                .filter_map(|p| {
                    p.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut g = s.lock().unwrap();
    let doomed: Vec<String> = g
        .pods
        .iter()
        .filter(|(_, labels)| selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
        .map(|(n, _)| n.clone())
        .collect();
    let items: Vec<Value> = doomed
        .iter()
        .map(|n| {
            g.pods.remove(n);
            json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": n, "namespace": ns } })
        })
        .collect();
    Json(json!({ "apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items }))
        .into_response()
}

/// A JSON merge patch (RFC 7386): `null` removes a key.
fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            let t = target.as_object_mut().unwrap();
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

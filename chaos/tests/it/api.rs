//! Every Toxiproxy endpoint's status codes and bodies, through the router.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

fn err(v: &Value) -> (&str, u64) {
    (
        v["error"].as_str().unwrap_or(""),
        v["status"].as_u64().unwrap_or(0),
    )
}

#[tokio::test]
async fn proxy_lifecycle_status_codes_and_shapes() {
    let agent = agent();
    let up = echo_server().await;
    let (s, v) = call(&agent, "GET", "/proxies", "").await;
    assert_eq!((s, v), (StatusCode::OK, json!({})));

    let body =
        json!({"name": "db", "listen": "127.0.0.1:0", "upstream": up.to_string()}).to_string();
    let (s, v) = call(&agent, "POST", "/proxies", &body).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["name"], "db");
    assert_eq!(v["enabled"], true);
    assert_eq!(v["toxics"], json!([]));
    assert!(
        v.get("mode").is_none(),
        "tcp proxies keep Toxiproxy's exact shape: {v}"
    );
    let listen = v["listen"].as_str().unwrap().to_string();
    assert!(!listen.ends_with(":0"), "real port answered: {listen}");
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "{keys:?}");

    let (s, v) = call(&agent, "POST", "/proxies", &body).await;
    assert_eq!(
        (s, err(&v)),
        (StatusCode::CONFLICT, ("proxy already exists", 409))
    );

    let (s, v) = call(&agent, "POST", "/proxies", r#"{"upstream": "x:1"}"#).await;
    assert_eq!(
        (s, err(&v)),
        (
            StatusCode::BAD_REQUEST,
            ("missing required field: name", 400)
        )
    );
    let (s, v) = call(&agent, "POST", "/proxies", r#"{"name": "x"}"#).await;
    assert_eq!(
        (s, err(&v)),
        (
            StatusCode::BAD_REQUEST,
            ("missing required field: upstream", 400)
        )
    );
    let (s, v) = call(&agent, "POST", "/proxies", "{nope").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(err(&v).0.starts_with("bad request body: "), "{v}");

    let (s, v) = call(&agent, "GET", "/proxies/db", "").await;
    assert_eq!(
        (s, v["listen"].as_str()),
        (StatusCode::OK, Some(listen.as_str()))
    );
    let (s, v) = call(&agent, "GET", "/proxies/nope", "").await;
    assert_eq!(
        (s, err(&v)),
        (StatusCode::NOT_FOUND, ("proxy not found", 404))
    );

    // Partial update: only enabled changes.
    let (s, v) = call(&agent, "PATCH", "/proxies/db", r#"{"enabled": false}"#).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v["enabled"].as_bool(), v["listen"].as_str()),
        (Some(false), Some(listen.as_str()))
    );
    assert_eq!(v["upstream"], up.to_string());
    let (s, _) = call(&agent, "POST", "/proxies/nope", "{}").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, v) = call(&agent, "GET", "/proxies", "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["db"]["enabled"], false);

    let (s, _) = call(&agent, "DELETE", "/proxies/db", "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = call(&agent, "DELETE", "/proxies/db", "").await;
    assert_eq!(
        (s, err(&v)),
        (StatusCode::NOT_FOUND, ("proxy not found", 404))
    );
}

#[tokio::test]
async fn toxic_endpoints_status_codes_defaults_and_errors() {
    let agent = agent();
    proxy(&agent, "p", echo_server().await).await;
    let (s, v) = call(&agent, "GET", "/proxies/p/toxics", "").await;
    assert_eq!((s, v), (StatusCode::OK, json!([])));
    let (s, _) = call(&agent, "GET", "/proxies/nope/toxics", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, v) = call(
        &agent,
        "POST",
        "/proxies/p/toxics",
        r#"{"type": "latency", "attributes": {"latency": 10}}"#,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!({"name": "latency_downstream", "type": "latency", "stream": "downstream",
               "toxicity": 1.0, "attributes": {"latency": 10, "jitter": 0}})
    );
    let (s, v) = call(
        &agent,
        "POST",
        "/proxies/p/toxics",
        r#"{"type": "latency"}"#,
    )
    .await;
    assert_eq!(
        (s, err(&v)),
        (StatusCode::CONFLICT, ("toxic already exists", 409))
    );
    let (s, v) = call(&agent, "POST", "/proxies/p/toxics", r#"{"type": "nope"}"#).await;
    assert_eq!(
        (s, err(&v)),
        (StatusCode::BAD_REQUEST, ("invalid toxic type", 400))
    );
    let (s, v) = call(
        &agent,
        "POST",
        "/proxies/p/toxics",
        r#"{"type": "latency", "stream": "sideways"}"#,
    )
    .await;
    assert_eq!(
        (s, err(&v)),
        (
            StatusCode::BAD_REQUEST,
            (
                "stream was invalid, can be either upstream or downstream",
                400
            )
        )
    );
    let (s, v) = call(
        &agent,
        "POST",
        "/proxies/p/toxics",
        r#"{"type": "bandwidth", "attributes": {"rate": "fast"}}"#,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(err(&v).0.starts_with("bad request body"), "{v}");
    let (s, v) = call(&agent, "POST", "/proxies/p/toxics", r#"{"type": "bandwidth", "stream": "upstream", "toxicity": 0.5, "attributes": {"rate": 100}}"#).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["name"], "bandwidth_upstream");

    // Every toxic type is accepted with its attributes shown in full.
    for (kind, attrs) in [
        ("slow_close", json!({"delay": 0})),
        ("timeout", json!({"timeout": 0})),
        ("reset_peer", json!({"timeout": 0})),
        (
            "slicer",
            json!({"average_size": 0, "size_variation": 0, "delay": 0}),
        ),
        ("limit_data", json!({"bytes": 0})),
        ("noop", json!({})),
    ] {
        let body = json!({"type": kind, "name": kind, "toxicity": 0.0}).to_string();
        let (s, v) = call(&agent, "POST", "/proxies/p/toxics", &body).await;
        assert_eq!(s, StatusCode::OK, "{kind}: {v}");
        assert_eq!(v["attributes"], attrs, "{kind}");
    }

    // Upstream toxics are listed first.
    let (_, v) = call(&agent, "GET", "/proxies/p/toxics", "").await;
    assert_eq!(v[0]["name"], "bandwidth_upstream");
    assert_eq!(v.as_array().unwrap().len(), 8);
    let (_, v) = call(&agent, "GET", "/proxies/p", "").await;
    assert_eq!(v["toxics"].as_array().unwrap().len(), 8);

    let (s, v) = call(&agent, "GET", "/proxies/p/toxics/latency_downstream", "").await;
    assert_eq!(
        (s, v["attributes"]["latency"].as_i64()),
        (StatusCode::OK, Some(10))
    );
    let (s, v) = call(&agent, "GET", "/proxies/p/toxics/nope", "").await;
    assert_eq!(
        (s, err(&v)),
        (StatusCode::NOT_FOUND, ("toxic not found", 404))
    );

    // Update merges attributes and keeps what is not given.
    let (s, v) = call(
        &agent,
        "PATCH",
        "/proxies/p/toxics/latency_downstream",
        r#"{"attributes": {"jitter": 5}}"#,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["attributes"], json!({"latency": 10, "jitter": 5}));
    assert_eq!(v["toxicity"], 1.0);
    let (s, v) = call(
        &agent,
        "POST",
        "/proxies/p/toxics/latency_downstream",
        r#"{"toxicity": 0.25}"#,
    )
    .await;
    assert_eq!((s, v["toxicity"].as_f64()), (StatusCode::OK, Some(0.25)));
    let (s, _) = call(&agent, "PATCH", "/proxies/p/toxics/nope", "{}").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, _) = call(&agent, "DELETE", "/proxies/p/toxics/latency_downstream", "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = call(&agent, "DELETE", "/proxies/p/toxics/latency_downstream", "").await;
    assert_eq!(
        (s, err(&v)),
        (StatusCode::NOT_FOUND, ("toxic not found", 404))
    );
}

#[tokio::test]
async fn reset_enables_all_and_removes_toxics() {
    let agent = agent();
    proxy(&agent, "a", echo_server().await).await;
    toxic(&agent, "a", json!({"type": "latency"})).await;
    call(&agent, "PATCH", "/proxies/a", r#"{"enabled": false}"#).await;
    let (s, _) = call(&agent, "POST", "/reset", "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = call(&agent, "GET", "/proxies/a", "").await;
    assert_eq!(
        (v["enabled"].as_bool(), v["toxics"].clone()),
        (Some(true), json!([]))
    );
}

#[tokio::test]
async fn version_request_id_and_browsers() {
    let agent = agent();
    let (s, v) = call(&agent, "GET", "/version", "").await;
    assert_eq!(s, StatusCode::OK);
    let version = v["version"].as_str().unwrap();
    assert!(version.starts_with("2."), "{version}");

    use tower::ServiceExt;
    let req = axum::http::Request::get("/proxies")
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = agent.router().oneshot(req).await.unwrap();
    assert!(resp.headers().contains_key("x-toxiproxy-request-id"));

    let req = axum::http::Request::get("/no/such/route")
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = agent.router().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(
        resp.headers().contains_key("x-toxiproxy-request-id"),
        "fallback carries the id too"
    );

    let req = axum::http::Request::get("/proxies")
        .header("user-agent", "Mozilla/5.0 (X11)")
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = agent.router().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().contains_key("x-toxiproxy-request-id"));
}

#[tokio::test]
async fn a_token_guards_every_change_but_not_reads() {
    use tower::ServiceExt;
    let cfg = chaoslab_chaos::AgentConfig {
        seed: Some(1),
        token: Some("s3cret".into()),
        metrics: None,
    };
    let agent = chaoslab_chaos::Agent::new(cfg, None);
    let send = |auth: Option<&str>, method: &str| {
        let mut req = axum::http::Request::builder().method(method).uri("/reset");
        if method == "GET" {
            req = axum::http::Request::builder().method("GET").uri("/proxies");
        }
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        agent
            .router()
            .oneshot(req.body(axum::body::Body::empty()).unwrap())
    };
    assert_eq!(
        send(None, "POST").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(Some("Bearer wrong"), "POST").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(Some("Bearer s3cret"), "POST").await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(send(None, "GET").await.unwrap().status(), StatusCode::OK);

    // Beyond loopback without a token the API refuses to serve.
    let open = chaoslab_chaos::Agent::new(chaoslab_chaos::AgentConfig::default(), None);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let r = chaoslab_chaos::serve(listener, open, std::future::pending()).await;
    assert_eq!(r.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn populate_creates_replaces_and_validates_first() {
    let agent = agent();
    let up = echo_server().await.to_string();
    let body = json!([
        {"name": "one", "listen": "127.0.0.1:0", "upstream": up},
        {"name": "two", "listen": "127.0.0.1:0", "upstream": up, "enabled": false},
    ]);
    let (s, v) = call(&agent, "POST", "/populate", &body.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let proxies = v["proxies"].as_array().unwrap();
    assert_eq!(proxies.len(), 2);
    assert_eq!(proxies[1]["enabled"], false);
    let one_listen = proxies[0]["listen"].as_str().unwrap().to_string();

    // Same listen and upstream: kept as is (toxics too).
    toxic(&agent, "one", json!({"type": "noop"})).await;
    let again = json!([{"name": "one", "listen": one_listen, "upstream": up}]);
    let (s, v) = call(&agent, "POST", "/populate", &again.to_string()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["proxies"][0]["toxics"].as_array().unwrap().len(), 1);

    // An invalid entry anywhere: nothing is created.
    let bad = json!([
        {"name": "three", "listen": "127.0.0.1:0", "upstream": up},
        {"name": "four", "listen": "127.0.0.1:0"},
    ]);
    let (s, v) = call(&agent, "POST", "/populate", &bad.to_string()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"], "missing required field: upstream at proxy 2");
    assert_eq!(v["status"], 400);
    assert_eq!(v["proxies"], json!([]));
    let (_, all) = call(&agent, "GET", "/proxies", "").await;
    assert!(all.get("three").is_none(), "{all}");

    let (s, _) = call(&agent, "POST", "/populate", r#"{"not": "a list"}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_taken_listen_port_gives_500_and_changes_nothing() {
    let agent = agent();
    let up = echo_server().await.to_string();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();

    let body = json!({"name": "clash", "listen": taken_addr, "upstream": up}).to_string();
    let (s, v) = call(&agent, "POST", "/proxies", &body).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(v["status"], 500);
    assert!(v["error"].as_str().unwrap().contains(&taken_addr), "{v}");
    let (s, _) = call(&agent, "GET", "/proxies/clash", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Moving an existing proxy onto the taken port: 500, and it keeps running where it was.
    let view = proxy(&agent, "stay", echo_server().await).await;
    let patch = json!({"listen": taken_addr}).to_string();
    let (s, v) = call(&agent, "PATCH", "/proxies/stay", &patch).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{v}");
    let (_, v) = call(&agent, "GET", "/proxies/stay", "").await;
    assert_eq!(
        (v["listen"].as_str(), v["enabled"].as_bool()),
        (Some(view.listen.as_str()), Some(true))
    );
    connect(&view).await;

    // In populate, the proxies before the failing one are reported.
    let pop = json!([
        {"name": "first", "listen": "127.0.0.1:0", "upstream": up},
        {"name": "second", "listen": taken_addr, "upstream": up},
    ]);
    let (s, v) = call(&agent, "POST", "/populate", &pop.to_string()).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(v["proxies"].as_array().unwrap().len(), 1);
    assert_eq!(v["proxies"][0]["name"], "first");
}

#[tokio::test]
async fn changing_upstream_restarts_the_listener_on_the_same_port() {
    let agent = agent();
    let view = proxy(&agent, "mv", echo_server().await).await;
    let other = sending_server(b"other".to_vec(), false).await;
    let patch = json!({"upstream": other.to_string()}).to_string();
    let (s, v) = call(&agent, "PATCH", "/proxies/mv", &patch).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["listen"].as_str(), Some(view.listen.as_str()));
    let mut c = connect(&view).await;
    let mut got = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut c, &mut got)
        .await
        .unwrap();
    assert_eq!(got, "other");
}

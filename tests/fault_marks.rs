//! FAULT marks only injected faults, on a real lab: traces with no fault
//! are never flagged (the proxies' own spans and attributes do not count),
//! a trace that met a latency toxic or an HTTP abort is, and the hub's
//! faults-only filter keeps exactly those. The same lab's services, scraped
//! and sending spans, are counted once (the scraped numbers win).

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Lab, eventually};

fn traceparent(n: u64) -> (String, String) {
    let id = format!(
        "{:032x}",
        0xfa17_0000_0000_0000_0000_0000_0000_0000u128 | n as u128
    );
    (format!("00-{id}-{:016x}-01", n), id)
}

async fn page(lab: &Lab, n: u64) -> String {
    let (tp, id) = traceparent(n);
    let r = lab
        .http
        .get(format!("{}/api/products/3", lab.gateway()))
        .header("traceparent", tp)
        .send()
        .await
        .unwrap();
    let _ = r.bytes().await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_traces_that_met_an_injected_fault_are_flagged() {
    let lab = Lab::start(&[], &[]).await;
    let hub = lab.state["hub_url"].as_str().unwrap().to_string();
    let agent = lab.agent();

    let mut clean = Vec::new();
    for n in 1..=5 {
        clean.push(page(&lab, n).await);
    }

    // A latency toxic on the inventory proxy.
    let r = lab
        .http
        .post(format!("{agent}/proxies/inventory/toxics"))
        .json(&json!({"name": "slow", "type": "latency", "stream": "downstream", "attributes": {"latency": 30}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let mut faulted = Vec::new();
    for n in 11..=13 {
        faulted.push(page(&lab, n).await);
    }
    lab.http
        .delete(format!("{agent}/proxies/inventory/toxics/slow"))
        .send()
        .await
        .unwrap();

    // An HTTP abort on the same proxy.
    let r = lab
        .http
        .post(format!("{agent}/chaos/proxies/inventory/faults"))
        .json(&json!({"type": "abort", "status": 503, "percent": 100, "match": {"path": "/stock"}, "duration_ms": 30000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    // One request: more would open catalog's breaker, and later calls
    // would not reach the proxy at all.
    faulted.push(page(&lab, 21).await);

    // Every trace in the hub, through the proxies (the agent's span is in each).
    let all: Vec<String> = clean.iter().chain(&faulted).cloned().collect();
    let marks = eventually(
        "every trace, with the inventory proxy's span",
        Duration::from_secs(20),
        || {
            let (lab, hub, all) = (&lab, &hub, &all);
            async move {
                let mut out = Vec::new();
                for id in all {
                    let v: Value = lab
                        .http
                        .get(format!("{hub}/api/traces/{id}"))
                        .send()
                        .await
                        .ok()?
                        .json()
                        .await
                        .ok()?;
                    // The inventory proxy's span, where a fault would be.
                    let proxied = v["spans"]
                        .as_array()?
                        .iter()
                        .any(|s| s["service"] == "agent" && s["name"] == "proxy inventory");
                    if !proxied {
                        return None;
                    }
                    out.push((id.clone(), v["summary"]["has_fault"].as_bool()?));
                }
                Some(out)
            }
        },
    )
    .await;
    for (id, fault) in &marks {
        let want = faulted.contains(id);
        assert_eq!(
            *fault, want,
            "trace {id}: has_fault {fault}, injected {want}"
        );
    }
    let listed: Value = lab
        .http
        .get(format!("{hub}/api/traces?fault=1&limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got: BTreeSet<String> = listed["traces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trace_id"].as_str().unwrap().to_string())
        .collect();
    let want: BTreeSet<String> = faulted.iter().cloned().collect();
    assert_eq!(
        got, want,
        "the faults-only filter keeps exactly the faulted traces"
    );

    // The proxy forwards: it is marked as such, and its spans add no edges
    // through it; the shop's numbers are its scraped ones.
    let topo = eventually(
        "the proxy marked, the shop scraped",
        Duration::from_secs(20),
        || {
            let (lab, hub) = (&lab, &hub);
            async move {
                let t: Value = lab
                    .http
                    .get(format!("{hub}/api/topology"))
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                let node = |n: &str| {
                    t["nodes"]
                        .as_array()?
                        .iter()
                        .find(|x| x["name"] == n)
                        .cloned()
                };
                (node("agent")?["role"] == "proxy" && node("gateway")?["source"] == "prometheus")
                    .then_some(t)
            }
        },
    )
    .await;
    let agent_node = topo["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "agent");
    assert_eq!(
        agent_node.map(|n| n["role"].clone()),
        Some(json!("proxy")),
        "{topo}"
    );
    for e in topo["edges"].as_array().unwrap() {
        assert!(e["from"] != "agent" && e["to"] != "agent", "{e}");
    }
    let gateway = topo["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "gateway")
        .unwrap();
    assert_eq!(gateway["source"], "prometheus", "{gateway}");
}

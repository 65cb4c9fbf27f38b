//! The bad-input corpus (`tests/corpus/`): every request gets the status and
//! error it must, every broken experiment file is refused where it is broken,
//! and nothing in the running lab changed afterwards.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::Lab;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn load(name: &str) -> Vec<Value> {
    let path = corpus().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn base(lab: &Lab, target: &str) -> String {
    match target {
        "agent" => lab.agent(),
        "gateway" => lab.gateway(),
        other => lab.url_of(other),
    }
}

/// Sends one request of the corpus; returns (status, body text).
async fn send(lab: &Lab, target: &str, req: &Value) -> (u16, String) {
    let method = reqwest::Method::from_bytes(req["method"].as_str().unwrap().as_bytes()).unwrap();
    let url = format!("{}{}", base(lab, target), req["path"].as_str().unwrap());
    if let Some(n) = req["body_bytes"].as_u64() {
        return send_big(&url, method.as_str(), n as usize).await;
    }
    let mut call = lab
        .http
        .request(method, url)
        .header("content-type", "application/json");
    {
        match &req["body"] {
            Value::Null => {}
            Value::String(s) => call = call.body(s.clone()),
            v => call = call.body(v.to_string()),
        }
    }
    if let Some(headers) = req["headers"].as_object() {
        for (k, v) in headers {
            call = call.header(k, v.as_str().unwrap());
        }
    }
    let resp = call.send().await.unwrap_or_else(|e| panic!("{req}: {e}"));
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// A body over a server's limit, on a raw socket: the server answers before
/// it has read everything and then closes, so the answer is read while the
/// body is still being written (an HTTP client would report the broken write).
async fn send_big(url: &str, method: &str, len: usize) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let chunk = vec![b'x'; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len());
            if wr.write_all(&chunk[..n]).await.is_err() {
                return;
            }
            left -= n;
        }
    });
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&got);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end].lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
            });
            if length.is_some_and(|n| got.len() >= end + 4 + n) {
                break;
            }
        }
    }
    writer.abort();
    let text = String::from_utf8_lossy(&got).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// What an error body says: its `error` and `reason`, or the text itself.
fn said(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) if v["error"].is_string() => format!(
            "{} {}",
            v["error"].as_str().unwrap_or(""),
            v["reason"].as_str().unwrap_or("")
        ),
        _ => body.to_string(),
    }
}

fn check_shape(name: &str, shape: &str, status: u16, body: &str) {
    let v: Value = serde_json::from_str(body)
        .unwrap_or_else(|_| panic!("{name}: the error body is not JSON: {body}"));
    assert!(v["error"].is_string(), "{name}: no `error` in {body}");
    match shape {
        "toxiproxy" => assert_eq!(
            v["status"], status,
            "{name}: Toxiproxy's shape wants `status`: {body}"
        ),
        "service" => assert!(v["reason"].is_string(), "{name}: no `reason` in {body}"),
        other => panic!("{name}: unknown shape {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_request_gets_its_answer_and_changes_nothing() {
    let lab = Lab::start(&[], &[]).await;
    let proxies_before = lab.get_json(&format!("{}/proxies", lab.agent())).await.1;
    let mut failures = Vec::new();
    for req in load("requests.json") {
        let name = req["name"].as_str().unwrap().to_string();
        let target = req["target"].as_str().unwrap();
        for step in req["setup"].as_array().into_iter().flatten() {
            let (status, body) = send(&lab, target, step).await;
            assert!(
                (200..300).contains(&status),
                "{name}: setup answered {status}: {body}"
            );
        }
        let (status, body) = send(&lab, target, &req).await;
        let want = req["status"].as_u64().unwrap() as u16;
        if status != want {
            failures.push(format!("{name}: answered {status}, wanted {want}: {body}"));
        } else if let Some(text) = req["error"].as_str()
            && !said(&body).contains(text)
        {
            failures.push(format!("{name}: the body does not say {text:?}: {body}"));
        } else if let Some(shape) = req["shape"].as_str() {
            check_shape(&name, shape, status, &body);
        }
        for step in req["cleanup"].as_array().into_iter().flatten() {
            send(&lab, target, step).await;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Nothing was left behind: no fault, no toxic, no new proxy.
    let (_, faults) = lab.get_json(&format!("{}/chaos/faults", lab.agent())).await;
    assert_eq!(faults, Value::Array(vec![]), "faults left active");
    let proxies_after = lab.get_json(&format!("{}/proxies", lab.agent())).await.1;
    assert_eq!(proxies_before, proxies_after, "the proxies changed");
}

#[test]
fn every_broken_experiment_is_refused_where_it_is_broken() {
    let dir = corpus().join("experiments");
    let cases = load("experiments.json");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let listed: Vec<&str> = cases.iter().map(|c| c["file"].as_str().unwrap()).collect();
    for f in &files {
        assert!(
            listed.contains(&f.as_str()),
            "{f} has no entry in experiments.json"
        );
    }
    let mut failures = Vec::new();
    for case in &cases {
        let file = case["file"].as_str().unwrap();
        let out = Command::new(support::exe())
            .args(["run", "--check"])
            .arg(dir.join(file))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut want = format!("{file}:{}: ", case["at"].as_str().unwrap());
        if let Some(field) = case["field"].as_str() {
            want.push_str(&format!("{field}: "));
        }
        let error = case["error"].as_str().unwrap();
        if out.status.code() != Some(2) || !stderr.contains(&want) || !stderr.contains(error) {
            failures.push(format!(
                "{file}: exit {:?}, wanted 2 with `{want}...{error}`; got: {stderr}",
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! The broker in tests: whether nats-server is installed (a test that needs
//! it says it was skipped when it is not, and fails under CI), and a
//! JetStream client straight to a lab's broker, past its proxy.

use async_nats::jetstream;

/// nats-server on PATH, or a skip line naming `what` (a failure under CI).
pub fn nats_installed(what: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("nats-server").is_file()))
        .unwrap_or(false);
    if !found {
        super::polyglot::skip(
            what,
            "skipped: nats-server not installed (apt-get install -y nats-server)",
        );
    }
    found
}

/// JetStream on the broker `name` of `lab`, on its own port (not through
/// the agent's proxy, so a fault on the proxy does not hide what it holds).
pub async fn jetstream_of(lab: &super::Lab, name: &str) -> jetstream::Context {
    let port = lab.state["processes"][name]["port"]
        .as_u64()
        .unwrap_or_else(|| panic!("no broker {name} in the lab"));
    let client = async_nats::connect(format!("nats://127.0.0.1:{port}"))
        .await
        .expect("connect to the lab's broker");
    jetstream::new(client)
}

/// Every message the stream `stream` holds, oldest first (empty when the
/// stream does not exist yet).
pub async fn messages(
    js: &jetstream::Context,
    stream: &str,
) -> Vec<jetstream::message::StreamMessage> {
    let Ok(mut s) = js.get_stream(stream).await else {
        return Vec::new();
    };
    let Ok(info) = s.info().await else {
        return Vec::new();
    };
    let (first, last) = (info.state.first_sequence, info.state.last_sequence);
    let mut out = Vec::new();
    for seq in first..=last {
        if let Ok(m) = s.get_raw_message(seq).await {
            out.push(m);
        }
    }
    out
}

/// The messages of `stream` once it has any, waiting up to `within`.
pub async fn first_messages(
    js: &jetstream::Context,
    stream: &str,
    within: std::time::Duration,
) -> Vec<jetstream::message::StreamMessage> {
    super::eventually(&format!("messages in {stream}"), within, || async {
        let all = messages(js, stream).await;
        (!all.is_empty()).then_some(all)
    })
    .await
}

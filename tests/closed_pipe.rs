//! A subcommand whose reader goes away (`chaoslab fault list | head -1`)
//! exits quietly instead of panicking on the broken pipe.

mod support;

use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread")]
async fn fault_list_exits_quietly_when_its_reader_is_gone() {
    let agent = chaoslab_chaos::Agent::new(Default::default(), None);
    for i in 0..20 {
        agent
            .create_proxy(chaoslab_chaos::ProxySpec::new(
                format!("p{i}"),
                "127.0.0.1:0",
                "127.0.0.1:9",
            ))
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(chaoslab_chaos::serve(
        listener,
        agent,
        std::future::pending(),
    ));

    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(support::exe())
            .args(["fault", "--host", &url, "list"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader closes at once, as `head` does after its line.
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

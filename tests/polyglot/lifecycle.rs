//! Stopping: on SIGTERM with spans flushed, and when the parent is gone.

use super::*;
use std::path::Path;

for_both!(
    spans_carry_the_sdk_language_and_are_flushed_on_sigterm,
    the_service_exits_when_its_parent_is_gone,
);

async fn spans_carry_the_sdk_language_and_are_flushed_on_sigterm(p: Polyglot) {
    let (receiver, endpoint) = support::otlp::start().await;
    // gRPC by default (no protocol named); a batch delay too long to matter,
    // so only the flush on SIGTERM can deliver the span.
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "60000"),
    ];
    let Some(mut svc) = p.start(&env).await else {
        return;
    };
    let (trace, parent) = ids();
    let (status, _) = business(&svc, p, Some(&format!("00-{trace}-{parent}-01"))).await;
    assert_eq!(status, 200);
    let started = Instant::now();
    let exit = svc.terminate(Duration::from_secs(3));
    let took = started.elapsed();
    let exit = exit.unwrap_or_else(|| panic!("{} still running 3 s after SIGTERM", p.name()));
    assert!(exit.success(), "{exit:?}:\n{}", svc.log());
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr(),
        format_args!("{}: stopped {took:?} after SIGTERM\n", p.name()),
    );
    let spans = receiver.spans.lock().unwrap().clone();
    let span = spans
        .iter()
        .find(|s| s.trace_id == trace)
        .unwrap_or_else(|| {
            panic!(
                "the span was not flushed on SIGTERM: {spans:?}\n{}",
                svc.log()
            )
        });
    assert_eq!(span.service, p.name());
    assert_eq!(
        span.resource
            .get("telemetry.sdk.language")
            .map(String::as_str),
        Some(p.sdk_language()),
        "{:?}",
        span.resource
    );
}

async fn the_service_exits_when_its_parent_is_gone(p: Polyglot) {
    let argv = match p.argv() {
        Ok(argv) => argv,
        Err(why) => return support::polyglot::skip(p.name(), &why),
    };
    // A shell is the parent: it names itself in CHAOSLAB_PARENT_PID, starts
    // the service, says its pid, and waits; then the shell is killed.
    let (_ports, [port]) = free_ports();
    let mut argv: Vec<std::ffi::OsString> = argv.iter().map(Into::into).collect();
    argv.extend(["--port".into(), port.to_string().into()]);
    let (mut parent, pid) = support::with_shell_parent(
        &argv,
        &[("OTEL_SDK_DISABLED", "true".as_ref())],
        Path::new("/dev/null"),
    );
    let pid = pid as i32;
    let _reap = KillOnDrop(pid);
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url, Duration::from_secs(30), String::new).await;
    assert!(alive(pid), "running while its parent is");

    parent.kill().unwrap();
    parent.wait().unwrap();
    eventually(
        "the orphaned service exits",
        Duration::from_secs(5),
        || async { (!alive(pid)).then_some(()) },
    )
    .await;
}

/// Kills `pid` if the test ends with it still running.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if alive(self.0) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.0),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

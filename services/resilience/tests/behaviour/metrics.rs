//! The metrics as Prometheus renders them: every series present from the
//! start, then counting what the calls did.

use std::time::Duration;

use chaoslab_resilience::{CallOptions, Dependency, Policy};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::support::TestError;

/// The value of the series `name{labels}` in the rendered text.
fn sample(handle: &PrometheusHandle, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let text = handle.render();
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let rest = series.strip_prefix(name)?.strip_prefix('{')?;
        let all = labels
            .iter()
            .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
        all.then(|| value.parse().ok()).flatten()
    })
}

fn calls(handle: &PrometheusHandle, dep: &str, outcome: &str) -> Option<f64> {
    sample(
        handle,
        "resilience_calls_total",
        &[("dependency", dep), ("outcome", outcome)],
    )
}

#[tokio::test(start_paused = true)]
async fn series_exist_from_the_start_and_count_calls() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let _guard = metrics::set_default_local_recorder(&recorder);

    let mut policy = Policy::default();
    policy.retry.base_delay_ms = 1;
    policy.retry.budget_enabled = false;
    policy.breaker.min_calls = 4;
    policy.breaker.window_size = 4;
    policy.timeout.per_attempt_ms = 100;
    let dep = Dependency::new("payments", policy);

    for outcome in [
        "success",
        "failure",
        "timeout",
        "rejected_circuit_open",
        "rejected_bulkhead",
        "fallback",
    ] {
        assert_eq!(
            calls(&handle, "payments", outcome),
            Some(0.0),
            "{outcome} missing:\n{}",
            handle.render()
        );
    }
    let dep_label = [("dependency", "payments")];
    assert_eq!(
        sample(&handle, "resilience_retries_total", &dep_label),
        Some(0.0)
    );
    assert_eq!(
        sample(&handle, "resilience_circuit_state", &dep_label),
        Some(0.0)
    );
    assert_eq!(
        sample(&handle, "resilience_bulkhead_in_flight", &dep_label),
        Some(0.0)
    );

    dep.call(CallOptions::retryable(), |n| async move {
        if n == 0 {
            Err(TestError::Server)
        } else {
            Ok(())
        }
    })
    .await
    .unwrap();
    let slow = |_| async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok::<_, TestError>(())
    };
    let _ = dep.call(CallOptions::once(), slow).await;
    let _ = dep
        .call(CallOptions::once(), |_| async {
            Err::<(), _>(TestError::Server)
        })
        .await;
    // Window of 4: failed+ok, timeout, failure: 75 % failed, so it opened.
    let _ = dep
        .call(CallOptions::once(), |_| async { Ok::<_, TestError>(()) })
        .await;
    dep.record_fallback();

    assert_eq!(calls(&handle, "payments", "success"), Some(1.0));
    assert_eq!(calls(&handle, "payments", "timeout"), Some(1.0));
    assert_eq!(calls(&handle, "payments", "failure"), Some(1.0));
    assert_eq!(
        calls(&handle, "payments", "rejected_circuit_open"),
        Some(1.0)
    );
    assert_eq!(calls(&handle, "payments", "fallback"), Some(1.0));
    assert_eq!(
        sample(&handle, "resilience_retries_total", &dep_label),
        Some(1.0)
    );
    assert_eq!(
        sample(&handle, "resilience_circuit_state", &dep_label),
        Some(2.0),
        "open"
    );
}

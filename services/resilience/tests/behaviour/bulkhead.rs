//! The bulkhead: a cap on calls in flight, refusing at once when full, and
//! freeing places when calls end, however they end.

use std::sync::Arc;
use std::time::Duration;

use chaoslab_resilience::{CallErrorKind, CallOptions, Dependency, Policy};
use tokio::sync::Semaphore;

use crate::support::{TestError, all_off, eventually};

fn with_bulkhead(max: u32) -> Policy {
    let mut p = all_off();
    p.bulkhead.enabled = true;
    p.bulkhead.max_concurrent = max;
    p
}

/// Starts a call that waits for a permit from `gate` before answering.
fn held_call(
    dep: &Arc<Dependency>,
    gate: &Arc<Semaphore>,
) -> tokio::task::JoinHandle<Result<(), String>> {
    let (dep, gate) = (dep.clone(), gate.clone());
    tokio::spawn(async move {
        dep.call(CallOptions::once(), |_| {
            let gate = gate.clone();
            async move {
                gate.acquire().await.expect("gate open").forget();
                Ok::<_, TestError>(())
            }
        })
        .await
        .map_err(|e| e.to_string())
    })
}

async fn quick(dep: &Dependency) -> Result<(), CallErrorKind<TestError>> {
    dep.call(CallOptions::once(), |_| async { Ok(()) })
        .await
        .map_err(|e| e.kind)
}

#[tokio::test(start_paused = true)]
async fn refuses_at_once_when_full_and_admits_when_a_call_ends() {
    let dep = Dependency::new("inventory", with_bulkhead(2));
    let gate = Arc::new(Semaphore::new(0));
    let a = held_call(&dep, &gate);
    let b = held_call(&dep, &gate);
    eventually("two calls in flight", Duration::from_secs(5), || {
        std::future::ready(dep.status().in_flight == 2)
    })
    .await;

    let err = dep
        .call(CallOptions::once(), |_| async { Ok::<_, TestError>(()) })
        .await
        .unwrap_err();
    assert!(matches!(err.kind, CallErrorKind::BulkheadFull));
    assert_eq!(err.to_string(), "inventory: too many calls in flight");
    assert_eq!(dep.status().totals.rejected_bulkhead, 1);

    gate.add_permits(1);
    eventually("one call finished", Duration::from_secs(5), || {
        std::future::ready(dep.status().in_flight == 1)
    })
    .await;
    let c = held_call(&dep, &gate);
    eventually("the freed place is taken", Duration::from_secs(5), || {
        std::future::ready(dep.status().in_flight == 2)
    })
    .await;
    gate.add_permits(2);
    for call in [a, b, c] {
        call.await.unwrap().unwrap();
    }
    assert_eq!(dep.status().in_flight, 0);
    quick(&dep).await.unwrap();
}

#[tokio::test]
async fn cancelled_calls_free_their_place() {
    let dep = Dependency::new("inventory", with_bulkhead(2));
    let gate = Arc::new(Semaphore::new(0));
    let a = held_call(&dep, &gate);
    let b = held_call(&dep, &gate);
    eventually("two calls in flight", Duration::from_secs(5), || {
        std::future::ready(dep.status().in_flight == 2)
    })
    .await;
    assert!(matches!(
        quick(&dep).await,
        Err(CallErrorKind::BulkheadFull)
    ));

    a.abort();
    eventually("the aborted call left", Duration::from_secs(5), || {
        std::future::ready(dep.status().in_flight == 1)
    })
    .await;
    quick(&dep).await.expect("a place is free again");
    b.abort();
    eventually("all calls left", Duration::from_secs(5), || {
        std::future::ready(dep.status().in_flight == 0)
    })
    .await;
}

//! The picker's requests for each kind of fault.

use super::*;

fn picker() -> FaultPicker {
    FaultPicker::new(
        ["foxtrot", "alpha", "charlie", "delta", "echo"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        vec!["bravo".into(), "delta".into()],
    )
}

#[test]
fn latency_on_a_proxy_is_a_timed_toxic() {
    let mut p = picker();
    p.field = PickerField::Target;
    p.change(-1); // wraps to echo
    let req = p.request().unwrap();
    assert_eq!(req.path, "/chaos/proxies/echo/toxics");
    assert_eq!(req.body["type"], "latency");
    assert_eq!(req.body["attributes"]["latency"], 100);
    assert_eq!(req.body["duration_ms"], 30_000);
}

#[test]
fn process_kinds_target_services() {
    let mut p = picker();
    p.kind = FaultKind::ALL
        .iter()
        .position(|k| *k == FaultKind::Kill)
        .unwrap();
    let req = p.request().unwrap();
    assert_eq!(req.path, "/chaos/process/bravo");
    assert_eq!(req.body["action"], "kill");
    p.duration = DURATIONS_S.iter().position(|d| *d == 0).unwrap();
    assert!(p.request().unwrap().body.get("duration_ms").is_none());
    assert!(p.summary().contains("until removed"));
}

#[test]
fn in_service_faults_go_through_the_agent_to_the_service() {
    let mut p = picker();
    p.kind = FaultKind::ALL
        .iter()
        .position(|k| *k == FaultKind::ErrorRate)
        .unwrap();
    p.target = 1;
    let req = p.request().unwrap();
    assert_eq!(req.path, "/chaos/services/delta/faults");
    assert_eq!(req.body["kind"], "error_rate");
    assert_eq!(req.body["rate"], 0.5);
    assert_eq!(req.body["duration_ms"], 30_000);
}

//! The picker's requests for each kind of fault.

use super::*;

fn picker() -> FaultPicker {
    FaultPicker::new(
        ["users", "catalog", "inventory", "orders", "payments"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        vec!["gateway".into(), "orders".into()],
    )
}

#[test]
fn latency_on_a_proxy_is_a_timed_toxic() {
    let mut p = picker();
    p.field = PickerField::Target;
    p.change(-1); // wraps to payments
    let req = p.request().unwrap();
    assert_eq!(req.path, "/chaos/proxies/payments/toxics");
    assert_eq!(req.body["type"], "latency");
    assert_eq!(req.body["attributes"]["latency"], 100);
    assert_eq!(req.body["duration_ms"], 30_000);
}

#[test]
fn process_kinds_target_services() {
    let mut p = picker();
    p.kind = FaultKind::all()
        .iter()
        .position(|k| *k == FaultKind::Kill)
        .unwrap();
    let req = p.request().unwrap();
    assert_eq!(req.path, "/chaos/process/gateway");
    assert_eq!(req.body["action"], "kill");
    p.duration = DURATIONS_S.iter().position(|d| *d == 0).unwrap();
    assert!(p.request().unwrap().body.get("duration_ms").is_none());
    assert!(p.summary().contains("until removed"));
}

#[test]
fn in_service_faults_go_through_the_agent_to_the_service() {
    let mut p = picker();
    p.kind = FaultKind::all()
        .iter()
        .position(|k| *k == FaultKind::ErrorRate)
        .unwrap();
    p.target = 1;
    let req = p.request().unwrap();
    assert_eq!(req.path, "/chaos/services/orders/faults");
    assert_eq!(req.body["kind"], "error_rate");
    assert_eq!(req.body["rate"], 0.5);
    assert_eq!(req.body["duration_ms"], 30_000);
}

#[test]
fn every_toxic_of_the_registry_is_offered_and_its_request_is_valid() {
    let mut p = picker();
    for def in chaoslab_contract::toxics::REGISTRY {
        p.kind = FaultKind::all()
            .iter()
            .position(|k| k.name() == def.name)
            .unwrap_or_else(|| panic!("{} is not offered", def.name));
        for param in 0..p.kind().param().2.len().max(1) {
            p.param = param;
            let req = p.request().unwrap();
            assert_eq!(req.path, format!("/chaos/proxies/{}/toxics", p.target().unwrap()));
            assert_eq!(req.body["type"], def.name);
            if let Err(e) = chaoslab_contract::toxics::build(def.name, &req.body["attributes"]) {
                panic!("{}: the agent would refuse {}: {e}", def.name, req.body);
            }
        }
    }
    // A toxic with presets shows its attribute, its unit and the first preset.
    p.kind = 0;
    assert_eq!(p.kind().name(), "latency");
    assert_eq!(p.summary(), "latency on users latency 100ms for 30s");
}

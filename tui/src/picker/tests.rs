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
    let Some(AgentCall::Toxic {
        proxy,
        spec,
        duration,
    }) = p.request()
    else {
        panic!("not a toxic: {:?}", p.request());
    };
    assert_eq!(proxy, "echo");
    assert_eq!(spec.kind, "latency");
    assert_eq!(spec.attributes["latency"], 100);
    assert_eq!(duration, Some(Duration::from_secs(30)));
}

#[test]
fn process_kinds_target_services() {
    let mut p = picker();
    p.kind = FaultKind::all()
        .iter()
        .position(|k| *k == FaultKind::Kill)
        .unwrap();
    let req = p.request().unwrap();
    let AgentCall::Process { service, spec } = &req else {
        panic!("not a process fault: {req:?}");
    };
    assert_eq!(service, "bravo");
    assert_eq!(spec.action, ProcessAction::Kill);
    assert_eq!(req.describe(), "kill on bravo");
    p.duration = DURATIONS_S.iter().position(|d| *d == 0).unwrap();
    assert!(matches!(
        p.request(),
        Some(AgentCall::Process {
            spec: ProcessFaultSpec {
                duration_ms: None,
                ..
            },
            ..
        })
    ));
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
    let Some(AgentCall::ServiceFault { service, request }) = p.request() else {
        panic!("not an in-service fault: {:?}", p.request());
    };
    assert_eq!(service, "delta");
    let body = serde_json::to_value(&request).unwrap();
    assert_eq!(body["kind"], "error_rate");
    assert_eq!(body["rate"], 0.5);
    assert_eq!(body["duration_ms"], 30_000);
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
            let Some(AgentCall::Toxic { proxy, spec, .. }) = p.request() else {
                panic!("{}: not a toxic: {:?}", def.name, p.request());
            };
            assert_eq!(proxy, p.target().unwrap());
            assert_eq!(spec.kind, def.name);
            if let Err(e) = chaoslab_contract::toxics::build(def.name, &spec.attributes) {
                panic!(
                    "{}: the agent would refuse {:?}: {e}",
                    def.name, spec.attributes
                );
            }
        }
    }
    // A toxic with presets shows its attribute, its unit and the first preset.
    p.kind = 0;
    assert_eq!(p.kind().name(), "latency");
    assert_eq!(p.summary(), "latency on foxtrot latency 100ms for 30s");
}

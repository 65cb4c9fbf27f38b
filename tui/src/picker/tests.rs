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

/// Turns the kind field until `name` is chosen (as the arrows do).
fn choose(p: &mut FaultPicker, name: &str) {
    p.field = PickerField::Kind;
    for _ in 0..FaultKind::all().len() {
        if p.kind().name() == name {
            return;
        }
        p.change(1);
    }
    panic!("{name} is not offered");
}

/// The body the agent gets for an in-service fault.
fn service_body(p: &FaultPicker) -> (String, serde_json::Value) {
    match p.request() {
        Some(AgentCall::ServiceFault { service, request }) => {
            (service, serde_json::to_value(&request).unwrap())
        }
        other => panic!("{}: not an in-service fault: {other:?}", p.kind().name()),
    }
}

#[test]
fn the_consumer_kinds_are_offered_under_the_contracts_names() {
    use chaoslab_contract::wire::service_fault::{CONSUMER_KINDS, KINDS};
    let consumer: Vec<&str> = FaultKind::all()
        .iter()
        .filter(|k| k.needs_consumer())
        .map(|k| k.name())
        .collect();
    assert_eq!(
        consumer, CONSUMER_KINDS,
        "every consumer kind, and only those"
    );
    for k in FaultKind::all().iter().filter(|k| k.needs_consumer()) {
        assert!(k.targets_service(), "{} acts inside a service", k.name());
    }
    // Every in-service kind is named as the contract (and the fault list) names it.
    let mut p = picker();
    for (i, k) in FaultKind::all().iter().enumerate() {
        p.kind = i;
        if let Some(AgentCall::ServiceFault { request, .. }) = p.request() {
            assert_eq!(k.name(), request.fault.kind());
            assert!(KINDS.contains(&k.name()), "{}", k.name());
        }
    }
    assert!(!FaultKind::ErrorRate.needs_consumer());
}

#[test]
fn duplicate_delivery_asks_for_a_share_of_the_messages_again() {
    let mut p = picker();
    choose(&mut p, "duplicate_delivery");
    assert_eq!(
        p.fields(),
        [
            PickerField::Kind,
            PickerField::Target,
            PickerField::Param,
            PickerField::Duration
        ]
    );
    let (service, body) = service_body(&p);
    assert_eq!(service, "bravo");
    assert_eq!(body["kind"], "duplicate_delivery");
    assert_eq!(body["rate"], 0.5);
    assert_eq!(body["duration_ms"], 30_000);
    assert!(body.get("subject").is_none(), "every subject: {body}");
    assert_eq!(p.summary(), "duplicate_delivery on bravo share 50% for 30s");
    p.field = PickerField::Param;
    p.change(1);
    assert_eq!(service_body(&p).1["rate"], 1.0);
}

#[test]
fn poison_message_spoils_one_message_by_default() {
    let mut p = picker();
    choose(&mut p, "poison_message");
    let (service, body) = service_body(&p);
    assert_eq!(service, "bravo");
    assert_eq!(body["kind"], "poison_message");
    assert_eq!(body["count"], 1);
    assert!(body.get("subject").is_none(), "every subject: {body}");
    p.field = PickerField::Param;
    p.change(1);
    assert_eq!(service_body(&p).1["count"], 5);
    p.field = PickerField::Duration;
    p.change(-1); // until removed
    assert!(service_body(&p).1.get("duration_ms").is_none());
    assert_eq!(p.summary(), "poison_message on bravo count 5 until removed");
}

#[test]
fn every_in_service_preset_is_a_request_the_contract_accepts() {
    use chaoslab_contract::wire::service_fault::params_of;
    let mut p = picker();
    let mut seen = 0;
    for i in 0..FaultKind::all().len() {
        p.kind = i;
        if !matches!(p.request(), Some(AgentCall::ServiceFault { .. })) {
            continue;
        }
        for param in 0..p.kind().param().2.len() {
            p.param = param;
            let (_, body) = service_body(&p);
            let kind = body["kind"].as_str().unwrap().to_string();
            let parsed = ServiceFaultRequest::from_value(body.clone())
                .unwrap_or_else(|e| panic!("the service would refuse {body}: {e}"));
            assert_eq!(parsed.fault.kind(), kind);
            for field in params_of(&kind).unwrap().required {
                assert!(body.get(*field).is_some(), "{kind} without {field}");
            }
            seen += 1;
        }
    }
    assert!(seen >= 5 * 2, "presets of five in-service kinds: {seen}");
}

#[test]
fn a_consumer_kind_lands_on_a_service_seen_consuming() {
    let mut p = FaultPicker::new(
        vec!["echo".into()],
        vec!["bravo".into(), "delta".into(), "foxtrot".into()],
    )
    .with_consumers(vec!["echo".into(), "foxtrot".into()]);
    choose(&mut p, "error_rate");
    assert_eq!(p.target(), Some("bravo"), "any service takes an error rate");
    choose(&mut p, "duplicate_delivery");
    assert_eq!(p.target(), Some("foxtrot"));
    // Every service stays offered: a quiet consumer shows no messaging edge.
    p.field = PickerField::Target;
    p.change(1);
    assert_eq!(p.target(), Some("bravo"));
    assert!(matches!(
        p.request(),
        Some(AgentCall::ServiceFault { service, .. }) if service == "bravo"
    ));
    // On a consumer already, another consumer kind stays there.
    p.change(-1);
    choose(&mut p, "poison_message");
    assert_eq!(p.target(), Some("foxtrot"));
    // No consumer seen: the target is left where it is.
    let mut p = picker();
    choose(&mut p, "error_rate");
    p.field = PickerField::Target;
    p.change(1);
    choose(&mut p, "duplicate_delivery");
    assert_eq!(p.target(), Some("delta"));
}

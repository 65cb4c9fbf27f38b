//! Policies as an operator writes them: TOML and JSON, validated with errors
//! that name the field, patched partially, never half-applied.

use std::collections::{BTreeMap, HashMap};

use chaoslab_resilience::{Dependency, Policy, PolicyPatch, Registry, RegistryError};

fn invalid(edit: impl FnOnce(&mut Policy)) -> String {
    let mut p = Policy::default();
    edit(&mut p);
    p.validate()
        .expect_err("the policy should be refused")
        .to_string()
}

#[test]
fn defaults_are_valid_and_every_mechanism_is_on() {
    let p = Policy::default();
    p.validate().unwrap();
    assert!(p.timeout.enabled && p.retry.enabled && p.breaker.enabled);
    assert!(p.bulkhead.enabled && p.fallback.enabled && p.retry.budget_enabled);
}

#[test]
fn validation_errors_name_the_field() {
    assert_eq!(
        invalid(|p| p.retry.max_attempts = 0),
        "retry.max_attempts must be >= 1 (got 0)"
    );
    assert_eq!(
        invalid(|p| p.timeout.per_attempt_ms = 0),
        "timeout.per_attempt_ms must be >= 1 (got 0)"
    );
    assert!(
        invalid(|p| p.breaker.failure_rate_threshold = 1.5)
            .starts_with("breaker.failure_rate_threshold must be")
    );
    assert!(
        invalid(|p| p.breaker.failure_rate_threshold = f64::NAN)
            .starts_with("breaker.failure_rate_threshold")
    );
    assert!(
        invalid(|p| p.breaker.min_calls = 50)
            .starts_with("breaker.min_calls must be >= 1 and <= breaker.window_size (20)")
    );
    assert!(
        invalid(|p| p.retry.max_delay_ms = 10)
            .starts_with("retry.max_delay_ms must be >= retry.base_delay_ms (50)")
    );
    assert!(invalid(|p| p.retry.budget_ratio = -0.1).starts_with("retry.budget_ratio"));
    assert!(invalid(|p| p.bulkhead.max_concurrent = 0).starts_with("bulkhead.max_concurrent"));
    assert!(invalid(|p| p.breaker.half_open_trials = 0).starts_with("breaker.half_open_trials"));
}

#[test]
fn toml_round_trips_and_partial_files_take_defaults() {
    let text = toml::to_string(&Policy::default()).unwrap();
    assert!(text.contains("per_attempt_ms = 1000"), "{text}");
    assert_eq!(toml::from_str::<Policy>(&text).unwrap(), Policy::default());

    let partial: Policy =
        toml::from_str("[retry]\nmax_attempts = 5\n[bulkhead]\nenabled = false\n").unwrap();
    assert_eq!(partial.retry.max_attempts, 5);
    assert!(!partial.bulkhead.enabled);
    assert_eq!(partial.timeout, Policy::default().timeout);
}

#[test]
fn unknown_fields_are_refused() {
    let err = toml::from_str::<Policy>("[retry]\nmax_atempts = 5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("max_atempts"), "{err}");
    let err = serde_json::from_str::<PolicyPatch>(r#"{"breaker": {"open": 5}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("open"), "{err}");
}

#[test]
fn a_patch_changes_only_what_it_names() {
    let before = Policy::default();
    let patch: PolicyPatch =
        serde_json::from_str(r#"{"retry": {"enabled": false}, "breaker": {"open_ms": 250}}"#)
            .unwrap();
    let after = before.apply(&patch).unwrap();
    let mut expected = before.clone();
    expected.retry.enabled = false;
    expected.breaker.open_ms = 250;
    assert_eq!(after, expected);
    assert_eq!(
        serde_json::to_string(&PolicyPatch::default()).unwrap(),
        "{}"
    );
}

#[test]
fn a_bad_patch_changes_nothing() {
    let dep = Dependency::new("payments", Policy::default());
    let before = dep.policy();
    let patch: PolicyPatch = serde_json::from_str(
        r#"{"timeout": {"per_attempt_ms": 99}, "retry": {"max_attempts": 0}}"#,
    )
    .unwrap();
    let err = dep.update(&patch).unwrap_err();
    assert_eq!(err.field, "retry.max_attempts");
    assert_eq!(
        dep.policy(),
        before,
        "the valid half was not applied either"
    );
    let mut bad = before.clone();
    bad.bulkhead.max_concurrent = 0;
    assert!(dep.set_policy(bad).is_err());
    assert_eq!(dep.policy(), before);
}

#[test]
fn registry_names_the_dependency_and_updates_all_or_nothing() {
    let mut bad = Policy::default();
    bad.retry.max_attempts = 0;
    let err = Registry::new(
        Policy::default(),
        HashMap::from([("payments".to_string(), bad)]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "payments.retry.max_attempts must be >= 1 (got 0)"
    );

    let reg =
        Registry::with_defaults(Policy::default(), ["users", "inventory", "payments"]).unwrap();
    let names: Vec<String> = reg.status_all().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["inventory", "payments", "users"]);

    let good: PolicyPatch = serde_json::from_str(r#"{"retry": {"enabled": false}}"#).unwrap();
    let broken: PolicyPatch =
        serde_json::from_str(r#"{"bulkhead": {"max_concurrent": 0}}"#).unwrap();
    let patches = BTreeMap::from([
        ("inventory".to_string(), good.clone()),
        ("users".to_string(), broken),
    ]);
    let err = reg.update_all(&patches).unwrap_err();
    assert!(
        err.to_string().starts_with("users.bulkhead.max_concurrent"),
        "{err}"
    );
    assert!(
        reg.get("inventory").unwrap().policy().retry.enabled,
        "nothing half-changed"
    );

    let unknown = BTreeMap::from([("shipping".to_string(), good.clone())]);
    assert_eq!(
        reg.update_all(&unknown),
        Err(RegistryError::UnknownDependency("shipping".into()))
    );

    reg.update_all(&BTreeMap::from([("inventory".to_string(), good)]))
        .unwrap();
    assert!(!reg.get("inventory").unwrap().policy().retry.enabled);
    assert_eq!(reg.get_or_create("catalog").policy(), Policy::default());
    assert_eq!(reg.all().len(), 4);
}

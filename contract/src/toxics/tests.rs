//! The registry's toxics: defaults, rules and Toxiproxy's shapes.

use serde_json::{Value, json};

use super::*;

#[test]
fn every_toxic_is_registered_once_with_toxiproxys_names() {
    let names: Vec<&str> = names().collect();
    assert_eq!(
        names,
        [
            "latency",
            "bandwidth",
            "slow_close",
            "timeout",
            "reset_peer",
            "slicer",
            "limit_data",
            "noop"
        ]
    );
    assert!(find("meteor").is_none());
    assert_eq!(
        build("meteor", &Value::Null).err(),
        Some(BuildError::UnknownKind)
    );
}

#[test]
fn a_toxic_without_attributes_has_every_default_and_only_its_attributes() {
    for def in REGISTRY {
        let toxic = def
            .build(&Value::Null)
            .unwrap_or_else(|e| panic!("{}: {e}", def.name));
        assert_eq!(
            toxic.attributes(),
            Value::Object(def.defaults()),
            "{}: the type's fields are the definition's attributes",
            def.name
        );
    }
    // Toxiproxy's defaults, kept for its clients.
    let latency = build("latency", &json!({})).unwrap();
    assert_eq!(latency.attributes(), json!({"latency": 0, "jitter": 0}));
    let slicer = build("slicer", &Value::Null).unwrap();
    assert_eq!(
        slicer.attributes(),
        json!({"average_size": 0, "size_variation": 0, "delay": 0})
    );
}

#[test]
fn given_values_are_checked_left_out_ones_keep_toxiproxys_defaults() {
    let err = |kind: &str, attrs: Value| build(kind, &attrs).err().map(|e| e.to_string());
    assert_eq!(
        err("latency", json!({"latency": -1})),
        Some("bad request body: attributes: latency must be from 0 to 3600000, got -1".into())
    );
    assert_eq!(
        err("bandwidth", json!({"rate": 0})),
        Some("bad request body: attributes: rate must be from 1 to 1000000000, got 0".into())
    );
    assert!(
        err("bandwidth", json!({})).is_none(),
        "rate 0 left out is no limit"
    );
    assert!(err("slicer", json!({"average_size": 0})).is_some());
    assert!(err("slicer", json!({"delay": 5})).is_none());
    assert!(err("limit_data", json!({"bytes": 0})).is_none());
    assert_eq!(
        err("latency", json!({"latency": "abc"})),
        Some("bad request body: attributes: invalid type: string \"abc\", expected i64".into())
    );
    assert_eq!(
        err("latency", json!(5)),
        Some("bad request body: attributes must be an object, got 5".into())
    );
}

#[test]
fn an_update_merges_and_checks_only_what_it_names() {
    let current = json!({"rate": 0});
    let toxic = rebuild("bandwidth", &current, &json!({})).unwrap();
    assert_eq!(toxic.attributes(), json!({"rate": 0}));
    let toxic = rebuild(
        "latency",
        &json!({"latency": 5, "jitter": 1}),
        &json!({"jitter": 2}),
    )
    .unwrap();
    assert_eq!(toxic.attributes(), json!({"latency": 5, "jitter": 2}));
    assert!(rebuild("latency", &json!({"latency": 5}), &json!({"jitter": -2})).is_err());
}

#[test]
fn the_params_schema_lists_each_attribute_with_its_range() {
    let bandwidth = find("bandwidth").unwrap().params_schema();
    assert_eq!(bandwidth["required"], json!(["rate"]));
    assert_eq!(bandwidth["properties"]["rate"]["minimum"], 1);
    assert_eq!(bandwidth["additionalProperties"], false);
    let noop = find("noop").unwrap().params_schema();
    assert!(noop.get("required").is_none());
    assert_eq!(noop["properties"], json!({}));
}

#[test]
fn toxicity_is_a_share() {
    assert!(check_toxicity(0.0).is_ok() && check_toxicity(1.0).is_ok());
    assert!(check_toxicity(1.5).is_err());
    assert!(check_toxicity(f32::NAN).is_err());
}

#[test]
fn latency_jitter_is_uniform_over_its_range_as_toxiproxys() {
    // Toxiproxy draws latency + [-jitter, jitter) ms, every value as likely.
    use rand::SeedableRng;
    let d = Delay {
        ms: 100,
        jitter: 10,
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut counts = std::collections::BTreeMap::new();
    let n = 40_000;
    for _ in 0..n {
        *counts
            .entry(d.sample(&mut rng).as_millis() as i64)
            .or_insert(0usize) += 1;
    }
    let values: Vec<i64> = counts.keys().copied().collect();
    assert_eq!(values, (90..110).collect::<Vec<_>>());
    for (ms, c) in counts {
        let share = c as f64 / n as f64;
        assert!((share - 0.05).abs() < 0.006, "{ms} ms: {share}");
    }
    // No jitter: always the latency.
    let fixed = Delay { ms: 100, jitter: 0 };
    assert!((0..100).all(|_| fixed.sample(&mut rng) == std::time::Duration::from_millis(100)));
}

//! The parser: every file under `experiments/` is valid, and each kind of
//! bad file is refused with its line, column and field named.

use std::path::{Path, PathBuf};

use chaoslab_experiment::model::{Action, Probe};
use chaoslab_experiment::{ExperimentError, validate_file, validate_str};

/// The shop's lab file: experiments are checked against it.
fn shop() -> chaoslab_contract::Lab {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labs/shop.toml");
    chaoslab_contract::Lab::load(&p).unwrap_or_else(|e| panic!("{e}"))
}

const GOOD: &str = r#"title: Payments failing
description: |
  The breaker opens and checkout fails fast.
load:
  rate: 20
  settle: 5s
steady_state:
  during: continuous
  every: 2s
  probes:
    - slo:
        journey: checkout
        measure: p95_ms
        tolerance: { max: 1000 }
    - metric:
        metric: resilience_calls_total
        labels: { service: orders, dependency: payments, outcome: rejected_circuit_open }
        agg: rate
        window: 10s
        missing: 0
        tolerance: { min: 0 }
        when: [during]
    - http:
        path: /api/products/1
        json_path: stock
        tolerance: { status: 200, equals: null }
    - resilience:
        service: orders
        dependency: payments
        tolerance: { one_of: [closed, half_open] }
        when: [after]
    - trace:
        service: payments
        errors_only: true
        window: 30s
        tolerance: { min: 1 }
method:
  - fault:
      kind: error_rate
      target: payments
      duration: 30s
      params: { rate: 1.0, status: 503 }
  - fault:
      kind: latency
      target: inventory
      duration: 30s
      params: { latency: 2000 }
  - policy:
      service: orders
      dependency: payments
      set: { breaker: { enabled: false } }
  - settings:
      service: gateway
      set: { propagate_deadline: false }
  - process: { target: payments, action: pause, duration: 2s }
  - load: { rate: 40 }
  - wait: 10s
  - check: while payments fail
  - clear_faults: {}
rollbacks:
  - clear_faults: {}
  - wait: 1s
"#;

fn parse(text: &str) -> Result<chaoslab_experiment::Experiment, ExperimentError> {
    validate_str(text, Path::new("bad.yaml"), &shop())
}

/// Replaces `from` with `to` in the good file, once, and parses it.
fn bad(from: &str, to: &str) -> ExperimentError {
    assert!(GOOD.contains(from), "the good file has no {from:?}");
    let text = GOOD.replacen(from, to, 1);
    parse(&text).expect_err("the changed file should be refused")
}

fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle") as u32
        + 1
}

#[test]
fn a_good_file_parses_into_its_parts() {
    let exp = parse(GOOD).unwrap();
    assert_eq!(exp.title, "Payments failing");
    assert_eq!(exp.steady_state.probes.len(), 5);
    assert!(matches!(exp.steady_state.probes[2].value, Probe::Http(_)));
    assert_eq!(exp.method.len(), 9);
    assert!(matches!(exp.method[7].value, Action::Check(ref l) if l == "while payments fail"));
    if let Probe::Http(h) = &exp.steady_state.probes[2].value {
        assert_eq!(
            h.tolerance.value.equals,
            Some(serde_json::Value::Null),
            "`equals: null` is kept"
        );
    }
}

#[test]
fn unknown_action_names_line_column_and_field() {
    let e = bad("  - load: { rate: 40 }", "  - explode: { rate: 40 }");
    let text = GOOD.replacen("  - load: { rate: 40 }", "  - explode: { rate: 40 }", 1);
    assert_eq!(e.line, line_of(&text, "explode"));
    assert_eq!(e.column, 5);
    assert_eq!(e.field, "method[5]");
    assert!(e.message.starts_with("unknown action `explode`"), "{e}");
    assert_eq!(
        e.to_string(),
        format!("bad.yaml:{}:5: method[5]: {}", e.line, e.message)
    );
}

#[test]
fn unknown_probe_is_named() {
    let e = bad("    - trace:", "    - smoke_signal:");
    assert_eq!(e.field, "steady_state.probes[4]");
    assert!(e.message.starts_with("unknown probe `smoke_signal`"), "{e}");
    assert_eq!(e.line, line_of(GOOD, "    - trace:"));
    assert_eq!(e.column, 7);
}

#[test]
fn missing_field_names_the_field() {
    let e = bad(
        "      duration: 30s\n      params: { rate: 1.0, status: 503 }\n",
        "      params: { rate: 1.0, status: 503 }\n",
    );
    assert_eq!(e.field, "method[0].fault.duration");
    assert!(e.message.contains("missing field `duration`"), "{e}");
    // The position is where the mapping that lacks the field ends: inside
    // the `fault` block, at its last key.
    assert_eq!(
        (e.line, e.column),
        (line_of(GOOD, "params: { rate: 1.0, status: 503 }") - 1, 7)
    );
}

#[test]
fn bad_duration_points_at_the_value() {
    let e = bad("  - wait: 10s", "  - wait: 10 parsecs");
    assert_eq!(e.field, "method[6].wait");
    assert!(e.message.contains("bad duration `10 parsecs`"), "{e}");
    assert_eq!((e.line, e.column), (line_of(GOOD, "  - wait: 10s"), 11));

    let e = bad(
        "      duration: 30s\n      params: { rate",
        "      duration: 30\n      params: { rate",
    );
    assert_eq!(e.field, "method[0].fault.duration");
    assert!(e.message.contains("bad duration `30`"), "{e}");
}

#[test]
fn unknown_target_points_at_the_name() {
    let e = bad(
        "      target: payments\n      duration: 30s",
        "      target: paymnts\n      duration: 30s",
    );
    assert_eq!(e.field, "method[0].fault.target");
    assert!(e.message.starts_with("unknown target `paymnts`"), "{e}");
    assert_eq!((e.line, e.column), (line_of(GOOD, "target: payments"), 15));

    let e = bad(
        "      dependency: payments\n      set:",
        "      dependency: gateway\n      set:",
    );
    assert_eq!(e.field, "method[2].policy.dependency");
    assert!(
        e.message.contains("unknown dependency of orders `gateway`"),
        "{e}"
    );

    // A proxy-layer fault on the gateway: there is no proxy in front of it.
    let e = bad("      target: inventory", "      target: gateway");
    assert_eq!(e.field, "method[1].fault.target");
}

#[test]
fn unknown_fields_and_bad_patches_are_refused() {
    let e = bad(
        "        journey: checkout",
        "        journey: checkout\n        jouney: x",
    );
    assert_eq!(e.field, "steady_state.probes[0].slo.jouney");
    assert!(e.message.contains("unknown field `jouney`"), "{e}");

    let e = bad(
        "{ breaker: { enabled: false } }",
        "{ breaker: { enabeld: false } }",
    );
    assert_eq!(e.field, "method[2].policy.set.breaker.enabeld");

    let e = bad("params: { latency: 2000 }", "params: { latncy: 2000 }");
    assert_eq!(e.field, "method[1].fault.params.latncy");

    let e = bad(
        "params: { rate: 1.0, status: 503 }",
        "params: { status: 503 }",
    );
    assert_eq!(e.field, "method[0].fault.params.rate");

    let e = bad("kind: error_rate", "kind: meteor_strike");
    assert_eq!(e.field, "method[0].fault.kind");
    assert!(
        e.message.starts_with("unknown fault kind `meteor_strike`"),
        "{e}"
    );

    let e = bad(
        "tolerance: { max: 1000 }",
        "tolerance: { min: 2000, max: 1000 }",
    );
    assert!(e.message.contains("above max"), "{e}");

    let e = bad(
        "rollbacks:\n  - clear_faults: {}",
        "rollbacks:\n  - fault: { kind: noop, target: users, duration: 1s }",
    );
    assert_eq!(e.field, "rollbacks[0].fault");
}

#[test]
fn journey_weights_are_checked_against_the_labs_journeys() {
    // Good: the load's mix and a step's, named journeys of the lab.
    let text = GOOD
        .replacen(
            "  rate: 20\n",
            "  rate: 20\n  weights: { checkout: 1, browse: 0 }\n",
            1,
        )
        .replacen(
            "load: { rate: 40 }",
            "load: { rate: 40, weights: { view_product: 2 } }",
            1,
        );
    let exp = parse(&text).unwrap();
    let w = exp.load.as_ref().unwrap().value.weights.as_ref().unwrap();
    assert_eq!(w.value.get("checkout"), 1.0);
    let step = exp
        .method
        .iter()
        .find_map(|a| match &a.value {
            Action::Load(l) => Some(l),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        step.weights.as_ref().unwrap().value.get("view_product"),
        2.0
    );

    // A journey the lab has not.
    let e = bad("  rate: 20\n", "  rate: 20\n  weights: { chekout: 1 }\n");
    assert_eq!(e.field, "load.weights.chekout");
    assert!(e.message.starts_with("unknown journey `chekout`"), "{e}");
    assert!(e.message.contains("checkout"), "names the journeys: {e}");
    assert_eq!(e.line, line_of(GOOD, "rate: 20") + 1);

    // A negative weight, and a mix with nothing left to play.
    let e = bad(
        "load: { rate: 40 }",
        "load: { rate: 40, weights: { browse: -1 } }",
    );
    assert_eq!(e.field, "method[5].load.weights");
    assert!(
        e.message.contains("browse must be a finite number >= 0"),
        "{e}"
    );
    let e = bad(
        "  rate: 20\n",
        "  rate: 20\n  weights: { browse: 0, view_product: 0, checkout: 0, view_order: 0 }\n",
    );
    assert!(e.message.contains("at least one weight must be > 0"), "{e}");
}

#[test]
fn a_consumer_fault_on_a_service_that_consumes_nothing_is_refused() {
    let fault = |target: &str| {
        GOOD.replacen(
            "  - wait: 10s\n",
            &format!(
                "  - fault: {{ kind: poison_message, target: {target}, duration: 5s, params: {{ subject: order.placed, count: 1 }} }}\n  - wait: 10s\n"
            ),
            1,
        )
    };
    // shipments consumes order.placed: fine.
    parse(&fault("shipments")).unwrap();
    // orders publishes it and consumes nothing.
    let text = fault("orders");
    let e = parse(&text).expect_err("orders consumes no events");
    assert_eq!(e.field, "method[6].fault.target");
    assert!(
        e.message
            .contains("`poison_message` acts on a consumer of events and `orders` consumes none")
            && e.message.contains("notifications, shipments"),
        "{e}"
    );
    assert_eq!(e.line, line_of(&text, "kind: poison_message"));
}

#[test]
fn an_unreadable_file_is_refused_with_its_name() {
    let e = validate_file(Path::new("/nonexistent/exp.yaml"), &shop()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/exp.yaml:0:0: .: cannot read the file"),
        "{e}"
    );
}

fn experiment_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("experiments/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_file_under_experiments_is_valid() {
    let files = experiment_files();
    let lab = shop();
    assert!(
        files.len() >= 6,
        "expected the lesson catalogue, found {files:?}"
    );
    for f in &files {
        if let Err(e) = validate_file(f, &lab) {
            panic!("{e}");
        }
    }
}

#[test]
fn lessons_come_in_fragile_and_resilient_pairs() {
    let names: Vec<String> = experiment_files()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for n in names.iter().filter(|n| n.ends_with("-fragile.yaml")) {
        let twin = n.replace("-fragile.yaml", "-resilient.yaml");
        assert!(names.contains(&twin), "{n} has no {twin}");
    }
    for n in ["01-", "03-", "05-"] {
        assert!(
            names.iter().any(|f| f.starts_with(n)),
            "lesson {n} is missing"
        );
    }
}

#[test]
fn unchanged_needs_a_reading_before_the_method() {
    let e = bad(
        "tolerance: { one_of: [closed, half_open] }",
        "tolerance: { unchanged: true }",
    );
    assert_eq!(e.field, "steady_state.probes[3].resilience.tolerance");
    assert!(e.message.contains("must be checked `before`"), "{e}");
}

#[test]
fn a_file_over_the_size_limit_says_what_the_limit_is() {
    let mut text = String::from(
        "title: huge\nsteady_state:\n  probes:\n    - slo: { journey: checkout, measure: error_rate, tolerance: { max: 0.1 } }\nmethod:\n",
    );
    for _ in 0..400_000 {
        text.push_str("  - wait: 1s\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    std::fs::write(&path, text).unwrap();
    let e = validate_file(&path, &shop()).unwrap_err();
    assert!(
        e.message.contains("at most 250000 values"),
        "the limit in words: {e}"
    );
    assert!(!e.message.contains("Nodes {"), "{e}");
}

#[test]
fn a_binary_file_is_reported_at_its_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bin.yaml");
    std::fs::write(&path, b"title: x\nsteady\xc3\x28: 1\n").unwrap();
    let e = validate_file(&path, &shop()).unwrap_err();
    assert_eq!((e.line, e.column), (2, 7), "{e}");
    assert!(e.message.contains("not UTF-8"), "{e}");
}

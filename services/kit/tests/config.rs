//! The lab config file: good files resolve, bad ones name file, line and key.

use chaoslab_kit::config::LabConfig;

const TOPOLOGY: &[(&str, &[&str])] = &[
    ("gateway", &["users", "orders"]),
    ("orders", &["payments"]),
    ("payments", &[]),
];

#[test]
fn a_good_file_sets_defaults_policies_and_settings() {
    let text = r#"
[defaults]
timeout = { per_attempt_ms = 700 }

[services.gateway]
request_deadline_ms = 2500

[services.orders]
propagate_deadline = false
[services.orders.dependencies.payments]
breaker = { enabled = false }
"#;
    let cfg = LabConfig::parse("lab.toml", text, TOPOLOGY).unwrap();
    assert_eq!(cfg.default_policy.timeout.per_attempt_ms, 700);
    let gw = cfg.service("gateway");
    assert_eq!(gw.settings.request_deadline_ms, Some(2500));
    assert!(gw.settings.propagate_deadline);
    let orders = cfg.service("orders");
    assert!(!orders.settings.propagate_deadline);
    let payments = &orders.policies["payments"];
    assert!(!payments.breaker.enabled);
    assert_eq!(
        payments.timeout.per_attempt_ms, 700,
        "defaults apply under a dependency's own patch"
    );
    // A service the file does not name gets the defaults.
    assert_eq!(
        cfg.service("payments")
            .default_policy
            .timeout
            .per_attempt_ms,
        700
    );
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let err = LabConfig::parse("lab.toml", "[defaults]\ntimeout = {\n", TOPOLOGY).unwrap_err();
    assert_eq!(err.file, "lab.toml");
    assert!(err.line >= 2, "{err}");
    assert!(err.to_string().starts_with("lab.toml:"), "{err}");
}

#[test]
fn an_invalid_value_names_the_key_and_its_line() {
    let text = "[services.orders.dependencies.payments]\nretry = { max_attempts = 0 }\n";
    let err = LabConfig::parse("lab.toml", text, TOPOLOGY).unwrap_err();
    assert_eq!(err.key, "services.orders.dependencies.payments");
    assert!(err.message.contains("retry.max_attempts"), "{err}");
    assert!(err.line >= 1 && err.line <= 2, "{err}");
}

#[test]
fn unknown_keys_services_and_dependencies_are_refused() {
    let err = LabConfig::parse(
        "lab.toml",
        "[defaults]\ntimout = { per_attempt_ms = 1 }\n",
        TOPOLOGY,
    )
    .unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    assert!(err.message.contains("timout"), "{err}");

    let err = LabConfig::parse("lab.toml", "\n[services.shipping]\n", TOPOLOGY).unwrap_err();
    assert_eq!(err.line, 2, "{err}");
    assert!(err.message.contains("unknown service"), "{err}");

    let err = LabConfig::parse(
        "lab.toml",
        "[services.gateway.dependencies.payments]\n",
        TOPOLOGY,
    )
    .unwrap_err();
    assert!(
        err.key.ends_with("payments") && err.message.contains("calls: users, orders"),
        "{err}"
    );
}

#[test]
fn a_missing_file_says_so() {
    let err = LabConfig::load(std::path::Path::new("/nonexistent/lab.toml"), TOPOLOGY).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/lab.toml") && err.message.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn the_shipped_config_file_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../chaoslab.toml");
    let topology: &[(&str, &[&str])] = &[
        ("gateway", &["users", "catalog", "orders"]),
        ("users", &[]),
        ("catalog", &["inventory"]),
        ("inventory", &[]),
        ("orders", &["users", "inventory", "payments"]),
        ("payments", &[]),
    ];
    let cfg = LabConfig::load(&path, topology).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cfg.service("orders").policies["payments"]
            .timeout
            .per_attempt_ms,
        800
    );
    assert_eq!(
        cfg.service("gateway").settings.request_deadline_ms,
        Some(3000)
    );
}

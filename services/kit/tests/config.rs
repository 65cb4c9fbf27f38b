//! A lab file's resilience keys become each service's policies and settings.
//! (Reading and refusing bad files is tested in the contract crate.)

use chaoslab_contract::Lab;
use chaoslab_kit::config::LabConfig;
use std::path::Path;

#[test]
fn a_lab_file_sets_defaults_policies_and_settings() {
    let text = r#"
[defaults]
timeout = { per_attempt_ms = 700 }

[services.gateway]
command = ["./gw"]
depends_on = ["orders"]
request_deadline_ms = 2500

[services.orders]
command = ["./orders"]
depends_on = ["payments"]
propagate_deadline = false
[services.orders.dependencies.payments]
breaker = { enabled = false }

[services.payments]
command = ["./payments"]
"#;
    let lab = Lab::parse("lab.toml", text, Path::new(".")).unwrap();
    let cfg = LabConfig::from_lab(&lab);
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
    // A service the file gives nothing gets the defaults.
    let p = cfg.service("payments");
    assert_eq!(p.default_policy.timeout.per_attempt_ms, 700);
    assert!(p.policies.is_empty());
}

#[test]
fn the_shop_lab_file_holds_the_shop_settings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labs/shop.toml");
    let cfg = LabConfig::from_lab(&Lab::load(&path).unwrap_or_else(|e| panic!("{e}")));
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

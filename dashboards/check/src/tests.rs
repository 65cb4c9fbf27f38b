//! Unit tests of the static checks, on the shipped files and on fixtures
//! that must fail.

use std::path::{Path, PathBuf};

use crate::static_check::{check_loaded, query_problems};
use crate::{
    Layout, compose, dashboard, known::Vocabulary, promql, provisioning, rules, static_check,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

#[test]
fn the_shipped_dashboards_and_rules_pass() {
    let report = static_check::check(&Layout::new(&root())).unwrap();
    assert!(report.findings.is_empty(), "{report}");
    // Every shipped dashboard was read.
    let shipped = std::fs::read_dir(root().join("grafana/dashboards"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
        })
        .count();
    assert!(shipped >= 6, "{shipped}");
    assert_eq!(report.dashboards, shipped);
    assert!(
        report.panels >= 30 && report.queries >= report.panels,
        "{report}"
    );
    assert!(report.rules >= 10, "{report}");
}

#[test]
fn the_shipped_compose_file_refers_to_files_that_exist() {
    let layout = Layout::new(&root());
    let report = compose::check(&layout.compose, Some(&layout.prometheus_docker)).unwrap();
    assert!(report.findings.is_empty(), "{report}");
    for s in [
        "gateway",
        "agent",
        "hub",
        "loadgen",
        "prometheus",
        "grafana",
        "jaeger",
        "otel-collector",
    ] {
        assert!(report.services.contains(s), "compose lacks {s}");
    }
}

#[test]
fn a_panel_with_an_unknown_metric_is_named_with_its_panel_and_query() {
    let layout = Layout::new(&root());
    let d = dashboard::load(&fixture("bad-dashboard.json")).unwrap();
    let uids = provisioning::datasource_uids(&layout.datasources).unwrap();
    let rules = rules::load_dir(&layout.rules).unwrap();
    let report = check_loaded(&[d], &rules, &uids, &shop());
    let text = report.to_string();
    let hit = report
        .findings
        .iter()
        .find(|f| f.message.contains("http_server_requests_total"))
        .unwrap_or_else(|| panic!("no finding for the unknown metric:\n{text}"));
    assert!(hit.place.contains("Requests by service"), "{text}");
    assert!(
        hit.query
            .as_deref()
            .unwrap()
            .contains("rate(http_server_requests_total"),
        "{text}"
    );
    assert!(text.contains("duplicate panel id"), "{text}");
    assert!(text.contains("\"nope\" is not provisioned"), "{text}");
    assert!(text.contains("schemaVersion"), "{text}");
    assert!(
        text.contains("label outcome has no value timed_out"),
        "{text}"
    );
    assert!(text.contains("does not parse"), "{text}");
}

#[test]
fn a_rule_with_an_unknown_metric_is_named() {
    let bad = rules::load(&fixture("bad-rules.yml")).unwrap();
    let report = check_loaded(&[], &[bad], &Default::default(), &shop());
    assert_eq!(report.findings.len(), 1, "{report}");
    let f = &report.findings[0];
    assert!(f.message.contains("metric breaker_open_total"), "{report}");
    assert!(f.place.contains("BreakerFlapping"), "{report}");
}

#[test]
fn a_broken_json_file_says_where() {
    let err = dashboard::load(&fixture("broken.json"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("broken.json:3:"), "{err}");
}

#[test]
fn histogram_suffixes_recordings_and_up_are_known() {
    let vocab = Vocabulary::new(&["service:x:rate1m".to_string()], &shop());
    let vars = promql::builtin_vars();
    for ok in [
        "sum(rate(loadgen_request_duration_seconds_bucket[$__rate_interval]))",
        "service:x:rate1m",
        "up{job=\"gateway\"}",
        "sum by (dependency) (resilience_calls_total{outcome=~\"timeout|fallback\"})",
    ] {
        assert!(query_problems(ok, &vars, &vocab).is_empty(), "{ok}");
    }
    let p = query_problems("rate(chaos_faults_active_total[1m])", &vars, &vocab);
    assert_eq!(
        p,
        ["metric chaos_faults_active_total is not emitted by any component of the lab"]
    );
    let p = query_problems("loadgen_requests_total{outcome=\"ok\"}", &vars, &vocab);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("label outcome has no value ok"), "{p:?}");
    let ok = "rate(http_server_request_duration_seconds_bucket{le=\"0.5\"}[1m])";
    assert!(query_problems(ok, &vars, &vocab).is_empty(), "{ok}");
    let p = query_problems(
        "rate(http_server_request_duration_seconds_bucket{le=\"0.3\"}[1m])",
        &vars,
        &vocab,
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("label le has no value 0.3"), "{p:?}");
    let p = query_problems("sum by (svc) (up)", &vars, &vocab);
    assert_eq!(p, ["label svc is not emitted by any component of the lab"]);
    let p = query_problems("up{job=\"$nope\"}", &vars, &vocab);
    assert_eq!(p, ["undefined variable $nope"]);
}

#[test]
fn a_compose_file_with_a_missing_mount_and_an_unnamed_port_fails() {
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("docker-compose.yml");
    std::fs::write(
        &compose,
        "services:\n  grafana:\n    image: grafana/grafana-oss\n    ports: [\"3000:3000\"]\n    volumes: [\"./nowhere:/etc/grafana:ro\"]\n    depends_on: [prometheus]\n",
    )
    .unwrap();
    let report = compose::check(&compose, None).unwrap();
    let text = report.to_string();
    assert_eq!(report.findings.len(), 3, "{text}");
    assert!(text.contains("nowhere does not exist"), "{text}");
    assert!(text.contains("has no name"), "{text}");
    assert!(
        text.contains("depends on prometheus, which is not a service"),
        "{text}"
    );
}

#[test]
fn a_compose_flag_the_binary_does_not_take_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("lab");
    std::fs::write(
        &bin,
        "#!/bin/sh\n[ \"$1\" = load ] || exit 2\necho 'Options:\n      --target <TARGET>  [default: x]\n      --listen <LISTEN>'\n",
    )
    .unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let compose = dir.path().join("docker-compose.yml");
    std::fs::write(
        &compose,
        "services:\n  loadgen:\n    build: .\n    command: [load, --target, \"http://gateway:8080\", --metrics, \"0.0.0.0:9464\"]\n  gateway:\n    build: .\n    command: [serve, --listen, \"0.0.0.0:8080\"]\n",
    )
    .unwrap();
    let findings = compose::check_flags(&compose, &bin).unwrap();
    let text: Vec<String> = findings.iter().map(ToString::to_string).collect();
    assert_eq!(findings.len(), 2, "{text:#?}");
    assert!(
        text.iter()
            .any(|t| t.contains("`chaoslab load` takes no flag --metrics")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("`chaoslab serve` is not a subcommand")),
        "{text:#?}"
    );
}

/// The lab file the dashboards are for.
fn shop() -> chaoslab_contract::Lab {
    chaoslab_contract::Lab::load(&Layout::new(&root()).lab).unwrap_or_else(|e| panic!("{e}"))
}

use super::*;
use std::path::Path;

/// The minimal file of the reference page, as written.
const MINIMAL: &str = r#"
[services.api]
command = ["python3", "api.py", "--port", "{port}"]   # started and supervised
health = "/healthz"
metrics = "/metrics"
depends_on = ["db"]

[services.db]
url = "http://127.0.0.1:9000"

[load]
rate = 10
[[load.journeys]]
name = "list"
weight = 3
steps = [{ method = "GET", path = "/items" }]
"#;

fn parse(text: &str) -> Lab {
    Lab::parse("lab.toml", text, Path::new("/tmp/lab")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_minimal_file_reads_as_written() {
    let lab = parse(MINIMAL);
    assert_eq!(lab.service_names(), ["api", "db"]);
    assert_eq!(lab.entry, "api", "nobody depends on api");
    assert_eq!(lab.proxies(), ["db"]);
    assert_eq!(lab.proxy_mode("db"), Some(ProxyMode::Http));
    assert_eq!(lab.supervised(), ["api"]);
    let order: Vec<&str> = lab.start_order().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["db", "api"], "callees first");
    let db = &lab.services["db"];
    assert_eq!(db.port, Some(9000));
    assert!(matches!(&db.run, Run::Url { host, .. } if host == "127.0.0.1"));
    assert_eq!(lab.load.rate, Some(10.0));
    assert_eq!(lab.journey_names(), ["list"]);
    assert_eq!(lab.load.journeys[0].weight, 3.0);
    assert_eq!(lab.load.journeys[0].steps[0].method, "GET");
}

#[test]
fn a_command_gets_its_port_and_its_dependencies_proxy_urls() {
    let text = MINIMAL.replace(
        r#"depends_on = ["db"]"#,
        "depends_on = [\"db\"]\nenv = { DB = \"{dep.db}/v1\" }\ndir = \"svc\"",
    );
    let lab = parse(&text);
    let deps = BTreeMap::from([("db".to_string(), "http://127.0.0.1:5555".to_string())]);
    let CommandLine { argv, env, dir } =
        lab.services["api"].command_line(4242, &deps, None).unwrap();
    assert_eq!(argv, ["python3", "api.py", "--port", "4242"]);
    assert!(env.contains(&("CHAOSLAB_DEP_DB".into(), "http://127.0.0.1:5555".into())));
    assert!(env.contains(&("DB".into(), "http://127.0.0.1:5555/v1".into())));
    assert_eq!(dir, Path::new("/tmp/lab/svc"));
}

#[test]
fn the_shop_file_describes_the_shop() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../labs/shop.toml");
    let lab = Lab::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lab.entry, "gateway");
    assert_eq!(lab.services.len(), 11);
    assert_eq!(
        lab.dependencies_of("orders"),
        [
            "users",
            "inventory",
            "payments",
            "shipping",
            "shipments",
            "broker"
        ]
    );
    assert_eq!(lab.dependencies_of("notifications"), ["broker"]);
    // The order events' broker, reached over TCP through its proxy.
    assert_eq!(lab.services["broker"].broker(), Some(Broker::Nats));
    assert_eq!(lab.proxy_mode("broker"), Some(ProxyMode::Tcp));
    // The services in other languages make their environments first.
    let rec = lab.services["recommendations"].prepare().expect("a venv");
    assert!(
        rec.inputs()
            .ends_with("services/recommendations/requirements.txt")
    );
    assert_eq!(lab.services["shipping"].prepare().unwrap().kind(), "npm");
    assert_eq!(
        lab.resilience
            .policy("gateway", "recommendations")
            .timeout
            .per_attempt_ms,
        250,
        "related products are optional: a short timeout"
    );
    assert!(!lab.proxies().contains(&"gateway"));
    let order: Vec<&str> = lab.start_order().map(|s| s.name.as_str()).collect();
    let at = |n: &str| order.iter().position(|x| *x == n).unwrap();
    assert!(at("payments") < at("orders") && at("orders") < at("gateway"));
    assert_eq!(
        lab.resilience
            .policy("orders", "payments")
            .timeout
            .per_attempt_ms,
        800
    );
    assert_eq!(
        lab.resilience.settings("gateway").request_deadline_ms,
        Some(3000)
    );
    assert_eq!(
        lab.services["gateway"].health.as_deref(),
        Some("/health/ready")
    );
    let checkout = lab
        .load
        .journeys
        .iter()
        .find(|j| j.name == "checkout")
        .unwrap();
    assert_eq!(
        checkout.steps[0].save,
        [("token".to_string(), vec!["token".to_string()])]
    );
}

#[test]
fn templates_read_saved_values_and_built_ins() {
    let t = Template::parse("/orders/{order}?n={seq}&p={random:1..3}").unwrap();
    let mut seen = Vec::new();
    let out = t.render(&mut |p| {
        seen.push(p.clone());
        serde_json::json!(7)
    });
    assert_eq!(out, "/orders/7?n=7&p=7");
    assert_eq!(
        seen,
        [
            TemplatePart::Var("order".into()),
            TemplatePart::Seq,
            TemplatePart::Random(1, 3)
        ]
    );
    assert!(Template::parse("{random:5..1}").is_err());
    assert_eq!(
        Template::parse("{{x}}").unwrap().parts,
        [TemplatePart::Text("{x}".into())]
    );
}

#[test]
fn an_overlay_changes_policies_and_refuses_unknown_services() {
    let dir = tempfile::tempdir().unwrap();
    let mut lab = parse(MINIMAL);
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[services.api.dependencies.db]\ntimeout = { per_attempt_ms = 70 }\n",
    )
    .unwrap();
    lab.overlay(&good).unwrap();
    assert_eq!(
        lab.resilience.policy("api", "db").timeout.per_attempt_ms,
        70
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[services.gateway]\npropagate_deadline = false\n").unwrap();
    let e = lab.overlay(&bad).unwrap_err();
    assert_eq!(e.line, 1);
    assert_eq!(e.key, "services.gateway");
    assert!(e.message.contains("the lab has: api, db"), "{e}");

    // Settings: an overlay's over the lab's, an unknown one named where it is.
    let settings = dir.path().join("settings.toml");
    std::fs::write(
        &settings,
        "[services.api]
time_scale = 0.5
",
    )
    .unwrap();
    lab.overlay(&settings).unwrap();
    assert_eq!(lab.resilience.settings("api").time_scale, Some(0.5));
    let typo = dir.path().join("typo.toml");
    std::fs::write(
        &typo,
        "[services.api]
time_scal = 2
",
    )
    .unwrap();
    let e = lab.overlay(&typo).unwrap_err();
    assert_eq!((e.line, e.column), (2, 1));
    assert_eq!(e.key, "services.api.time_scal");
    assert!(
        e.message.starts_with(
            "unknown field `time_scal`, expected one of `dependencies`, `propagate_deadline`"
        ),
        "{e}"
    );
    assert_eq!(
        lab.resilience.settings("api").time_scale,
        Some(0.5),
        "a bad overlay changes nothing"
    );
}

#[test]
fn a_prepared_command_runs_from_its_environment() {
    let text = r#"
[services.rec]
command = ["{env}/bin/python", "main.py", "--port", "{port}"]
dir = "svc"
prepare = { python_requirements = "requirements.txt" }
[services.ship]
command = ["node", "src/main.js"]
dir = "ship"
prepare = { npm = "package-lock.json" }
"#;
    let lab = Lab::parse("lab.toml", text, Path::new("/tmp/lab"));
    // Two services nobody depends on: name the entry.
    let lab = lab
        .err()
        .map(|_| parse(&format!("entry = \"rec\"\n{text}")))
        .unwrap();
    let rec = &lab.services["rec"];
    let p = rec.prepare().expect("a set-up step");
    assert_eq!(p.inputs(), Path::new("/tmp/lab/svc/requirements.txt"));
    let env = p.env_dir(Path::new("/envs"), "rec");
    assert_eq!(env, Path::new("/envs/rec"));
    let line = rec.command_line(7, &BTreeMap::new(), Some(&env)).unwrap();
    assert_eq!(
        line.argv,
        ["/envs/rec/bin/python", "main.py", "--port", "7"]
    );
    let ship = lab.services["ship"].prepare().unwrap();
    assert_eq!(ship.kind(), "npm");
    assert_eq!(
        ship.env_dir(Path::new("/envs"), "ship"),
        Path::new("/tmp/lab/ship/node_modules"),
        "npm ci makes node_modules beside the lock file"
    );
}

#[test]
fn users_once_steps_and_after_are_read_and_checked() {
    let load = |journeys: &str| {
        format!(
            "[services.api]\nurl = \"http://127.0.0.1:9000\"\n[load]\nusers = [{{ email = \"a@x\" }}, {{ email = \"b@x\" }}]\n{journeys}"
        )
    };
    let lab = parse(&load(
        r#"[[load.journeys]]
name = "buy"
steps = [
  { method = "POST", path = "/login", body = { email = "{email}" }, save = { token = "token" }, once = true },
  { method = "POST", path = "/buy", headers = { authorization = "Bearer {token}" }, save = { order = "id" } },
]
[[load.journeys]]
name = "look"
after = "buy"
steps = [{ path = "/orders/{order}" }]
"#,
    ));
    assert_eq!(lab.load.users.len(), 2);
    assert_eq!(
        lab.load.users[1],
        [("email".to_string(), "b@x".to_string())]
    );
    let buy = &lab.load.journeys[0];
    assert!(buy.steps[0].once && !buy.steps[1].once);
    assert_eq!(buy.steps[1].label(1), "2 POST /buy");
    assert_eq!(lab.load.journeys[1].after.as_deref(), Some("buy"));

    let err = |journeys: &str| {
        Lab::parse("lab.toml", &load(journeys), Path::new("/tmp"))
            .unwrap_err()
            .to_string()
    };
    // `after` gives only the values of steps without `once`.
    let e = err(r#"[[load.journeys]]
name = "buy"
steps = [{ path = "/login", save = { token = "token" }, once = true }]
[[load.journeys]]
name = "look"
after = "buy"
steps = [{ path = "/orders/{token}" }]
"#);
    assert!(e.contains("lab.toml:") && e.contains("{token}"), "{e}");
    let e = err(r#"[[load.journeys]]
name = "look"
after = "nothing"
steps = [{ path = "/" }]
"#);
    assert!(e.contains("no journey named `nothing`"), "{e}");
    let e = err(r#"[[load.journeys]]
name = "buy"
steps = [{ path = "/a" }, { path = "/login", once = true }]
"#);
    assert!(e.contains("`once` steps come first"), "{e}");
    let e = Lab::parse(
        "lab.toml",
        "[services.api]\nurl = \"http://127.0.0.1:9000\"\n[load]\nusers = [{ email = \"a\" }, { name = \"b\" }]\n",
        Path::new("/tmp"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("load.users[1]") && e.contains("same fields"),
        "{e}"
    );
}

#[test]
fn a_broker_is_supervised_and_reached_through_a_tcp_proxy() {
    let lab = parse(
        r#"
[services.queue]
broker = "nats"
port = 4222
[services.api]
command = ["./api", "--broker", "{dep.queue}"]
depends_on = [{ name = "queue", proxy = "tcp" }]
"#,
    );
    let q = &lab.services["queue"];
    assert_eq!(q.broker(), Some(Broker::Nats));
    assert_eq!(q.port, Some(4222));
    assert_eq!(q.health, None, "ready when its port accepts");
    assert_eq!(q.metrics, None);
    assert_eq!(lab.proxy_mode("queue"), Some(ProxyMode::Tcp));
    assert_eq!(
        lab.supervised(),
        ["api", "queue"],
        "process faults reach it"
    );
    let args = Broker::Nats.args("queue", "127.0.0.1", 4222, Path::new("/s/broker/queue"));
    assert!(
        args.windows(2)
            .any(|w| w == ["--store_dir", "/s/broker/queue"])
    );
    assert!(args.contains(&"--jetstream".to_string()));
    assert_eq!(
        Broker::Nats.url("127.0.0.1:14222"),
        "nats://127.0.0.1:14222"
    );
    assert_eq!(host_port("http://127.0.0.1:14222"), "127.0.0.1:14222");
}

#[test]
fn the_settings_patch_names_the_admin_apis_settings() {
    use crate::fields::names;
    use crate::wire::admin::ServiceSettings;
    assert_eq!(
        SettingsPatch::fields(),
        [
            "propagate_deadline",
            "request_deadline_ms",
            "honour_idempotency_keys",
            "dead_letter_queue",
            "time_scale",
            "max_concurrent_requests",
            "publish_via_outbox",
            "max_in_flight"
        ]
    );
    assert_eq!(SettingsPatch::fields(), names::<ServiceSettings>());
    let unknown = serde_json::from_value::<SettingsPatch>(serde_json::json!({"propagate": true}));
    assert!(
        unknown
            .unwrap_err()
            .to_string()
            .contains("unknown field `propagate`")
    );
}

#[test]
fn the_hub_table_sets_budgets_and_the_value_cap_and_gives_the_hub_its_flags() {
    let lab = parse(&format!(
        "{MINIMAL}\n[hub]\ntrace_bytes = \"32MB\"\nlog_bytes = 8388608\nattr_value_max = \"16KiB\"\n"
    ));
    assert_eq!(
        lab.hub,
        HubSettings {
            trace_bytes: Some(32 << 20),
            log_bytes: Some(8 << 20),
            attr_value_max: Some(16 << 10),
        }
    );
    assert_eq!(
        lab.hub.hub_args(),
        [
            "--trace-bytes",
            "33554432",
            "--log-bytes",
            "8388608",
            "--attr-value-max",
            "16384"
        ]
    );
    // Left out: the hub's defaults, no flags.
    let plain = parse(MINIMAL);
    assert_eq!(plain.hub, HubSettings::default());
    assert!(plain.hub.hub_args().is_empty());
    let e = Lab::parse(
        "lab.toml",
        &format!("{MINIMAL}\n[hub]\ntrace_bytez = \"32MB\"\n"),
        Path::new("/tmp/lab"),
    )
    .unwrap_err();
    assert!(e.message.contains("unknown field `trace_bytez`"), "{e}");
    let e = Lab::parse(
        "lab.toml",
        &format!("{MINIMAL}\n[hub]\nattr_value_max = -1\n"),
        Path::new("/tmp/lab"),
    )
    .unwrap_err();
    assert_eq!(e.key, "hub.attr_value_max");
    assert!(e.message.contains("-1 is not a size"), "{e}");
}

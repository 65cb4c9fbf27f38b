//! The consumer fault kinds from the picker's keys to a real service's
//! admin API through the real chaos agent: on a consumer of events they are
//! added; on a service that consumes none, the service's own refusal is on
//! the status line, whole, at 80 columns.

mod support;

use std::sync::Arc;
use std::time::Duration;

use chaoslab_chaos::{Agent, AgentConfig, LabControl, ProcessAction};
use chaoslab_contract::wire::service_fault::not_a_consumer;
use chaoslab_kit::context::{ServiceCtx, ServiceSettings};
use chaoslab_resilience::{Policy, Registry};
use chaoslab_tui::action::{Command, DataEvent};
use chaoslab_tui::agent::Agent as DashAgent;
use chaoslab_tui::state::AppState;
use chaoslab_tui::{Screen, TuiConfig, app, fetch, render_buffer, render_to_string, update};
use crossterm::event::KeyCode;
use ratatui::style::Color;
use support::{find, press};

const DEADLINE: Duration = Duration::from_secs(10);

/// The lab's supervisor as the agent sees it: two services with real admin
/// APIs, and no processes to act on.
struct TwoServices {
    admin: Vec<(String, String)>,
}

impl LabControl for TwoServices {
    fn services(&self) -> Vec<String> {
        self.admin.iter().map(|(n, _)| n.clone()).collect()
    }
    fn process(&self, service: &str, _: ProcessAction) -> Result<(), String> {
        Err(format!("{service} has no process here"))
    }
    fn admin_url(&self, service: &str) -> Option<String> {
        self.admin
            .iter()
            .find(|(n, _)| n == service)
            .map(|(_, u)| u.clone())
    }
}

/// A service's admin API on a free port; a consumer of events if `consumer`.
async fn service(name: &str, consumer: bool) -> (String, String) {
    let deps = Arc::new(Registry::with_defaults(Policy::default(), ["echo"]).unwrap());
    let ctx = ServiceCtx::new(name, deps, ServiceSettings::default());
    if consumer {
        ctx.faults.set_consumer();
    }
    let addr = chaoslab_testkit::serve(chaoslab_kit::admin::router(ctx)).await;
    (name.to_string(), format!("http://{addr}"))
}

/// Opens the picker and chooses `kind`, then `target`; Enter.
fn pick(state: &mut AppState, kind: &str, target: &str) -> Command {
    press(state, KeyCode::Char('f'));
    let picker = |s: &AppState| s.chaos.picker.clone().expect("the picker is open");
    while picker(state).kind().name() != kind {
        press(state, KeyCode::Right);
        assert_ne!(picker(state).kind, 0, "{kind} is not offered");
    }
    press(state, KeyCode::Down);
    for _ in 0..picker(state).targets().len() {
        if picker(state).target() == Some(target) {
            break;
        }
        press(state, KeyCode::Right);
    }
    assert_eq!(picker(state).target(), Some(target));
    match &press(state, KeyCode::Enter)[..] {
        [cmd @ Command::Agent(_)] => cmd.clone(),
        other => panic!("Enter asked for {other:?}"),
    }
}

/// Runs the command as the dashboard does and applies its outcome.
async fn run(lab: &fetch::Lab, state: &mut AppState, cmd: Command) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    fetch::spawn_command(lab, cmd, tx);
    let event = tokio::time::timeout(DEADLINE, rx.recv())
        .await
        .expect("the agent answers")
        .expect("an outcome");
    assert!(matches!(event, DataEvent::Notice(_)), "{event:?}");
    update::apply(state, event);
}

/// The screen's rows, trimmed and joined: a wrapped notice reads as one line.
fn screen_text(state: &AppState) -> String {
    render_to_string(state, Screen::Chaos, 80, 24)
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_fault_is_added_on_a_consumer_and_refused_aloud_elsewhere() {
    let payments = service("payments", false).await;
    let shipments = service("shipments", true).await;
    let agent = Agent::new(
        AgentConfig::default(),
        Some(Arc::new(TwoServices {
            admin: vec![payments.clone(), shipments.clone()],
        })),
    );
    let agent_url = format!("http://{}", chaoslab_testkit::serve(agent.router()).await);
    let cfg = TuiConfig {
        // Never asked: no poller runs here.
        hub_url: "http://127.0.0.1:9".into(),
        agent_url: Some(agent_url.clone()),
        services: vec![payments, shipments],
        loadgen_url: None,
    };
    let (lab, mut state) = app::prepare(&cfg).unwrap();
    let dash = DashAgent::new(Some(&agent_url));

    // A service that consumes no messages: its 400, in its own words.
    let cmd = pick(&mut state, "duplicate_delivery", "payments");
    run(&lab, &mut state, cmd).await;
    let notice = state.notice.clone().expect("a notice");
    assert!(notice.error, "{notice:?}");
    let line = screen_text(&state);
    assert!(
        line.contains("duplicate_delivery on payments failed: payments: "),
        "{line}"
    );
    let refusal = format!("{} (HTTP 400)", not_a_consumer("duplicate_delivery"));
    assert!(line.contains(&refusal), "{line}");
    let buf = render_buffer(&state, Screen::Chaos, 80, 24);
    let (x, y) = find(&buf, "duplicate_delivery on payments failed").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    assert!(dash.faults().await.unwrap().is_empty(), "nothing was added");

    // A consumer takes both kinds, with the picker's presets.
    let cmd = pick(&mut state, "duplicate_delivery", "shipments");
    run(&lab, &mut state, cmd).await;
    assert_eq!(
        state.notice.as_ref().map(|n| (n.error, n.text.as_str())),
        Some((false, "done: duplicate_delivery on shipments"))
    );
    let cmd = pick(&mut state, "poison_message", "shipments");
    run(&lab, &mut state, cmd).await;
    assert!(!state.notice.as_ref().unwrap().error, "{:?}", state.notice);
    let faults = dash.faults().await.unwrap();
    let mut kinds: Vec<(&str, &str)> = faults
        .iter()
        .map(|f| (f.kind.as_str(), f.target.as_str()))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("duplicate_delivery", "shipments"),
            ("poison_message", "shipments")
        ]
    );
    let dup = faults
        .iter()
        .find(|f| f.kind == "duplicate_delivery")
        .unwrap();
    assert!(dup.detail.contains("rate=0.5"), "{}", dup.detail);
    let left = dup.remaining_ms.expect("a timed fault");
    assert!(left > 20_000 && left <= 30_000, "{left}");
    dash.clear_all().await.unwrap();
    assert!(dash.faults().await.unwrap().is_empty());
}

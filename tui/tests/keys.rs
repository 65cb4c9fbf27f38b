//! Key handling: screens, drilling in and out, the trace filter, the fault
//! picker and the commands they ask for.

mod support;

use chaoslab_tui::action::Command;
use chaoslab_tui::agent::AgentCall;
use chaoslab_tui::fixtures;
use chaoslab_tui::state::TraceFocus;
use chaoslab_tui::{Screen, render_to_string};
use crossterm::event::{KeyCode, KeyModifiers};
use support::{press, press_mod, type_text};

#[test]
fn tab_and_numbers_move_between_screens() {
    let mut s = fixtures::lab_state();
    assert_eq!(s.screen, Screen::Overview);
    for want in [
        Screen::Service,
        Screen::Traces,
        Screen::Chaos,
        Screen::Experiment,
        Screen::Logs,
        Screen::Overview,
    ] {
        press(&mut s, KeyCode::Tab);
        assert_eq!(s.screen, want);
    }
    press(&mut s, KeyCode::BackTab);
    assert_eq!(s.screen, Screen::Logs);
    for (k, want) in [
        ('1', Screen::Overview),
        ('3', Screen::Traces),
        ('4', Screen::Chaos),
        ('5', Screen::Experiment),
        ('6', Screen::Logs),
        ('2', Screen::Service),
    ] {
        press(&mut s, KeyCode::Char(k));
        assert_eq!(s.screen, want);
    }
    // The tab bar shows the screen it is on.
    assert!(
        render_to_string(&s, s.screen, 80, 24)
            .lines()
            .next()
            .unwrap()
            .contains("2 Service")
    );
}

#[test]
fn enter_drills_in_and_esc_comes_back() {
    let mut s = fixtures::lab_state();
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down); // alpha, bravo, charlie, delta
    assert_eq!(s.service_selected, 3);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Service);
    assert!(render_to_string(&s, Screen::Service, 80, 24).contains("POST /delta"));
    let cmds = press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Traces);
    assert_eq!(s.traces.filter.service.as_deref(), Some("delta"));
    assert!(
        matches!(&cmds[..], [Command::SetTraceQuery(q)] if q.service.as_deref() == Some("delta"))
    );
    s.traces.detail = None;
    let cmds = press(&mut s, KeyCode::Enter);
    assert_eq!(s.traces.focus, TraceFocus::Waterfall);
    assert_eq!(
        cmds,
        vec![Command::FetchTrace(fixtures::CHECKOUT_TRACE.into())]
    );
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.traces.focus, TraceFocus::List);
    press(&mut s, KeyCode::Esc);
    assert!(s.traces.filter.is_empty(), "second Esc clears the filter");
}

#[test]
fn slash_filter_text_enter_sets_the_query() {
    let mut s = fixtures::lab_state();
    assert!(press(&mut s, KeyCode::Char('/')).is_empty());
    assert_eq!(s.screen, Screen::Traces);
    // While typing, letters are text, not commands ('q' does not quit).
    type_text(&mut s, "delta errq");
    assert!(!s.should_quit);
    press(&mut s, KeyCode::Backspace);
    type_text(&mut s, "ors >250ms");
    assert!(render_to_string(&s, Screen::Traces, 80, 24).contains("delta errors >250ms"));
    let cmds = press(&mut s, KeyCode::Enter);
    assert!(s.input.is_none());
    let f = &s.traces.filter;
    assert_eq!(
        (f.service.as_deref(), f.errors_only, f.min_duration_ms),
        (Some("delta"), true, Some(250.0))
    );
    match &cmds[..] {
        [Command::SetTraceQuery(q)] => {
            assert_eq!(q.service.as_deref(), Some("delta"));
            assert!(q.errors_only);
            assert_eq!(q.min_duration_ms, Some(250.0));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        render_to_string(&s, Screen::Traces, 120, 40)
            .contains("filter: service=delta errors >250ms")
    );
}

#[test]
fn a_bad_filter_is_explained_and_kept_for_editing() {
    let mut s = fixtures::lab_state();
    press(&mut s, KeyCode::Char('/'));
    type_text(&mut s, ">soon");
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    assert!(s.input.is_some());
    assert!(render_to_string(&s, Screen::Traces, 80, 24).contains("bad duration"));
    press(&mut s, KeyCode::Esc);
    assert!(s.input.is_none());
}

#[test]
fn a_trace_id_filter_opens_that_trace() {
    let mut s = fixtures::lab_state();
    press(&mut s, KeyCode::Char('/'));
    type_text(&mut s, fixtures::CHECKOUT_TRACE);
    let cmds = press(&mut s, KeyCode::Enter);
    assert!(cmds.contains(&Command::FetchTrace(fixtures::CHECKOUT_TRACE.into())));
    assert_eq!(s.traces.list.len(), 1);
}

#[test]
fn fault_picker_builds_the_agent_request() {
    let mut s = fixtures::lab_state();
    press(&mut s, KeyCode::Char('f'));
    assert_eq!(s.screen, Screen::Chaos);
    press(&mut s, KeyCode::Down); // target
    while s.chaos.picker.as_ref().unwrap().target() != Some("echo") {
        press(&mut s, KeyCode::Right);
    }
    press(&mut s, KeyCode::Down); // latency value
    press(&mut s, KeyCode::Right); // 300 ms
    let cmds = press(&mut s, KeyCode::Enter);
    assert!(s.chaos.picker.is_none());
    match &cmds[..] {
        [
            Command::Agent(AgentCall::Toxic {
                proxy,
                spec,
                duration,
            }),
        ] => {
            assert_eq!(proxy, "echo");
            assert_eq!(spec.attributes["latency"], 300);
            assert_eq!(*duration, Some(std::time::Duration::from_secs(30)));
        }
        other => panic!("{other:?}"),
    }
    // Esc cancels without a command.
    press(&mut s, KeyCode::Char('f'));
    assert!(press(&mut s, KeyCode::Esc).is_empty());
    assert!(s.chaos.picker.is_none());
}

#[test]
fn clear_remove_toggle_and_quit() {
    let mut s = fixtures::lab_state();
    assert_eq!(
        press(&mut s, KeyCode::Char('x')),
        vec![Command::ClearFaults]
    );
    press(&mut s, KeyCode::Char('4'));
    assert_eq!(
        press(&mut s, KeyCode::Char('d')),
        vec![Command::RemoveFault("toxic:echo:latency_downstream".into())]
    );
    press(&mut s, KeyCode::Char('l')); // policies list
    for _ in 0..5 {
        press(&mut s, KeyCode::Char('j'));
    }
    let cmds = press(&mut s, KeyCode::Char('b'));
    assert_eq!(
        cmds,
        vec![Command::TogglePolicy {
            service: "delta".into(),
            dependency: "echo".into(),
            part: "breaker"
        }]
    );
    press_mod(&mut s, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(s.should_quit);
    let mut s = fixtures::lab_state();
    press(&mut s, KeyCode::Char('q'));
    assert!(s.should_quit);
}

#[test]
fn a_trace_that_cannot_be_fetched_is_said() {
    let mut s = fixtures::lab_state();
    s.traces.detail = None;
    s.screen = Screen::Traces;
    press(&mut s, KeyCode::Enter);
    chaoslab_tui::update::apply(
        &mut s,
        chaoslab_tui::DataEvent::Trace(Err("trace 4bf9: not found: unknown trace".into())),
    );
    assert_eq!(s.traces.focus, TraceFocus::List);
    assert!(render_to_string(&s, Screen::Traces, 80, 24).contains("not found: unknown trace"));
}

#[test]
fn service_screen_selects_a_dependency_and_toggles_its_breaker() {
    let mut s = fixtures::lab_state();
    press(&mut s, KeyCode::Char('2'));
    for _ in 0..3 {
        press(&mut s, KeyCode::Down); // alpha, bravo, charlie, delta
    }
    press(&mut s, KeyCode::Right); // into the dependency table
    press(&mut s, KeyCode::Down); // charlie -> echo
    let cmds = press(&mut s, KeyCode::Char('b'));
    assert_eq!(
        cmds,
        vec![Command::TogglePolicy {
            service: "delta".into(),
            dependency: "echo".into(),
            part: "breaker"
        }]
    );
    let cmds = press(&mut s, KeyCode::Char('r'));
    assert!(matches!(
        &cmds[..],
        [Command::TogglePolicy { part: "retry", .. }]
    ));
    // Left goes back to the service list: Down moves services again.
    press(&mut s, KeyCode::Left);
    press(&mut s, KeyCode::Down);
    assert_eq!(s.selected_service().unwrap().name, "echo");
}

#[test]
fn notices_fade_on_a_later_tick() {
    let mut s = fixtures::lab_state();
    press(&mut s, KeyCode::Char('x'));
    assert!(render_to_string(&s, Screen::Overview, 80, 24).contains("clearing every fault"));
    chaoslab_tui::update::update(&mut s, chaoslab_tui::Action::Tick);
    assert!(s.notice.is_some(), "still fresh");
    let old = std::time::Instant::now()
        .checked_sub(std::time::Duration::from_secs(7))
        .unwrap();
    s.notice.as_mut().unwrap().at = Some(old);
    chaoslab_tui::update::update(&mut s, chaoslab_tui::Action::Tick);
    assert!(s.notice.is_none());
}

#[test]
fn a_word_that_is_no_service_filters_by_root_name() {
    let mut s = fixtures::lab_state();
    press(&mut s, KeyCode::Char('/'));
    type_text(&mut s, "products");
    let cmds = press(&mut s, KeyCode::Enter);
    assert!(matches!(&cmds[..], [Command::SetTraceQuery(q)] if q.service.is_none()));
    assert_eq!(s.traces.list.len(), 1, "{:?}", s.traces.list);
    assert_eq!(s.traces.list[0].root_name, "GET /api/products");
    assert!(render_to_string(&s, Screen::Traces, 120, 40).contains("filter: ~products"));
}

#[test]
fn logs_screen_filters_by_service_level_and_text_and_pauses_following() {
    use chaoslab_tui::Command;
    let mut s = fixtures::lab_state();
    press(&mut s, KeyCode::Char('6'));
    assert_eq!(s.screen, Screen::Logs);
    let text = chaoslab_tui::render_to_string(&s, Screen::Logs, 120, 20);
    assert!(text.contains("charge declined: card expired"), "{text}");
    assert!(text.contains("following"), "{text}");
    // `s` picks the first service the hub knows; the query asks for it.
    let cmds = press(&mut s, KeyCode::Char('s'));
    let service = s.logs.service.clone().expect("a service");
    assert!(
        cmds.iter().any(|c| matches!(c, Command::SetLogQuery(q) if q.service.as_deref() == Some(service.as_str()))),
        "{cmds:?}"
    );
    // `v` raises the lowest level shown: debug, info, ...
    press(&mut s, KeyCode::Char('v'));
    press(&mut s, KeyCode::Char('v'));
    assert_eq!(s.logs.query().level.as_deref(), Some("info"));
    // `/` types the text filter on this screen (not the trace filter).
    press(&mut s, KeyCode::Char('/'));
    type_text(&mut s, "declined");
    let cmds = press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Logs);
    assert_eq!(s.logs.text, "declined");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::SetLogQuery(q) if q.text.as_deref() == Some("declined"))),
        "{cmds:?}"
    );
    // Space pauses following, and the title says so.
    press(&mut s, KeyCode::Char(' '));
    assert!(!s.logs.follow);
    let text = chaoslab_tui::render_to_string(&s, Screen::Logs, 120, 20);
    assert!(text.contains("paused"), "{text}");
}

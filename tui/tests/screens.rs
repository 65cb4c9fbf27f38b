//! Each screen rendered from the fixture lab shows what a person needs, in
//! the colours that carry the meaning.

mod support;

use chaoslab_tui::action::DataEvent;
use chaoslab_tui::experiment::{ExperimentPhase, ExperimentView, ProbeView, StepStatus, StepView};
use chaoslab_tui::fixtures::{self, SERVICES};
use chaoslab_tui::state::TraceFocus;
use chaoslab_tui::{Screen, render_buffer, render_to_string, update};
use crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};
use support::{find, press, row};

#[test]
fn overview_shows_every_service_and_the_users_numbers() {
    let state = fixtures::lab_state();
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let text = render_to_string(&state, Screen::Overview, w, h);
        for name in SERVICES {
            // Once in the map and once in the RED table.
            assert!(
                text.matches(name).count() >= 2,
                "{name} at {w}x{h}:\n{text}"
            );
        }
        assert!(text.contains("96.6% success"), "{text}");
        assert!(text.contains("p99 910ms"), "{text}");
    }
}

#[test]
fn a_crowded_overview_keeps_the_users_line_and_every_service_row_it_can() {
    // A lab with more services than rows: the map gives way before the
    // users' line, which is what a person checks first.
    let mut data = fixtures::hub_data(30);
    let template = data.services.services[0].clone();
    for i in 0..14 {
        let mut extra = template.clone();
        extra.name = format!("extra{i:02}");
        data.services.services.push(extra);
    }
    let mut state = fixtures::lab_state();
    update::apply(&mut state, DataEvent::Hub(Box::new(data)));
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let text = render_to_string(&state, Screen::Overview, w, h);
        assert!(
            text.contains("96.6% success"),
            "users' line at {w}x{h}:\n{text}"
        );
    }
    // At 120x40, 20 services: all of them fit in the RED table.
    let text = render_to_string(&state, Screen::Overview, 120, 40);
    for i in 0..14 {
        assert!(
            text.contains(&format!("extra{i:02}")),
            "extra{i:02}:\n{text}"
        );
    }
}

/// The fixture's hub data with delta -> foxtrot a messaging edge (delta
/// publishes, foxtrot consumes) whose queue holds `depth`.
fn with_message_edge(depth: f64) -> chaoslab_tui::action::HubData {
    let mut data = fixtures::hub_data(30);
    let e = data
        .topology
        .edges
        .iter_mut()
        .find(|e| e.from == "delta" && e.to == "foxtrot")
        .unwrap();
    e.messaging = Some(chaoslab_contract::wire::hub::MessagingEdge {
        wait_p50_ms: Some(4.0),
        wait_p99_ms: Some(40.0),
        queue_depth: Some(depth),
    });
    data
}

#[test]
fn overview_shows_an_asynchronous_edge_with_its_queue_and_wait() {
    let data = with_message_edge(3.0);
    let mut state = fixtures::lab_state();
    update::apply(&mut state, DataEvent::Hub(Box::new(data)));
    let text = render_to_string(&state, Screen::Overview, 140, 40);
    let row = text
        .lines()
        .find(|l| l.contains("delta→foxtrot"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("⇢ queue 3 wait 40ms"), "{row}");
    assert!(text.contains('╌'), "the map draws it dashed:\n{text}");
    // A call is no message: no queue on its row.
    let call = text.lines().find(|l| l.contains("bravo→delta")).unwrap();
    assert!(!call.contains("queue"), "{call}");
}

#[test]
fn overview_colours_nodes_by_health_and_marks_the_faulted_call() {
    let state = fixtures::lab_state();
    let buf = render_buffer(&state, Screen::Overview, 120, 40);
    // Degraded delta is yellow, healthy echo green.
    let (x, y) = find(&buf, "● delta").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Yellow);
    let (px, py) = find(&buf, "● echo").unwrap();
    assert_eq!(buf[(px, py)].fg, Color::Green);
    // The arrow into echo' box (same row, left of it) is red: a fault is on it.
    let arrow = (0..px)
        .rev()
        .find(|&x| buf[(x, py)].symbol() == "▶")
        .expect("arrow into echo");
    assert_eq!(buf[(arrow, py)].fg, Color::Red, "row: {}", row(&buf, py));
    assert!(buf[(arrow, py)].modifier.contains(Modifier::BOLD));
    // The arrow into alpha is not.
    let (cx, cy) = find(&buf, "● alpha").unwrap();
    let arrow = (0..cx)
        .rev()
        .find(|&x| buf[(x, cy)].symbol() == "▶")
        .expect("arrow into alpha");
    assert_ne!(buf[(arrow, cy)].fg, Color::Red);
    // The calls table labels the faulted call with its numbers and the fault.
    let text = ratatui_text(&buf);
    let line = text.lines().find(|l| l.contains("delta→echo")).unwrap();
    assert!(
        line.contains("10.5") && line.contains("12.0%") && line.contains("⚠ latency"),
        "{line}"
    );
}

#[test]
fn service_screen_shows_routes_and_an_open_breaker() {
    let mut state = fixtures::lab_state();
    state.service_selected = SERVICES.iter().position(|s| *s == "delta").unwrap();
    for (w, h) in [(80, 24), (120, 40)] {
        let buf = render_buffer(&state, Screen::Service, w, h);
        let text = ratatui_text(&buf);
        assert!(text.contains("POST /delta"), "{text}");
        assert!(text.contains("echo"), "{text}");
        let (x, y) = find(&buf, "OPEN").unwrap_or_else(|| panic!("no OPEN breaker:\n{text}"));
        assert_eq!(buf[(x, y)].bg, Color::Red);
        assert!(text.contains("half-open"), "{text}");
    }
}

#[test]
fn service_screen_draws_the_latency_heatmap_of_the_selected_service() {
    let state = fixtures::lab_state();
    let first = &state.data.services[0].name;
    assert_eq!(state.heatmap_for.as_deref(), Some(first.as_str()));
    let buf = render_buffer(&state, Screen::Service, 140, 40);
    let text = ratatui_text(&buf);
    assert!(text.contains("latency heatmap"), "{text}");
    // The fast band is busy (full blocks), the slow band lights up late.
    let (_, fast) = find(&buf, "≤10ms").unwrap_or_else(|| panic!("{text}"));
    let row: String = (0..140)
        .map(|x| buf[(x, fast)].symbol().to_string())
        .collect();
    assert!(row.contains("████"), "{row}");
    // Another service selected: the poller is asked for its heatmap, and
    // the old one is not drawn under the new name.
    let mut state = state;
    let cmds = press(&mut state, KeyCode::Down);
    let second = state.data.services[1].name.clone();
    assert!(
        cmds.iter()
            .any(|c| matches!(c, chaoslab_tui::Command::SetHeatmapService(n) if *n == second)),
        "{cmds:?}"
    );
    let text = render_to_string(&state, Screen::Service, 140, 40);
    assert!(!text.contains("latency heatmap"), "{text}");
}

#[test]
fn waterfall_highlights_the_span_with_the_injected_fault() {
    let mut state = fixtures::lab_state();
    state.traces.focus = TraceFocus::Waterfall;
    let buf = render_buffer(&state, Screen::Traces, 120, 40);
    let (x, y) = find(&buf, "▲ delta: POST echo").expect("fault span row");
    assert_eq!(buf[(x, y)].fg, Color::Magenta);
    let bar: Vec<(String, Color, Color)> = (x + 20..buf.area.width)
        .map(|x| {
            (
                buf[(x, y)].symbol().to_string(),
                buf[(x, y)].fg,
                buf[(x, y)].bg,
            )
        })
        .filter(|(s, _, _)| s == "█" || s == "◆")
        .collect();
    assert!(
        bar.iter()
            .any(|(s, fg, _)| s == "█" && *fg == Color::Magenta),
        "{bar:?}"
    );
    assert!(
        bar.iter()
            .any(|(s, _, bg)| s == "◆" && *bg == Color::Magenta),
        "{bar:?}"
    );
    // A span without a fault has no magenta bar.
    let (_, y2) = find(&buf, "echo: POST /charges").unwrap();
    assert!(
        (0..buf.area.width)
            .all(|x| buf[(x, y2)].fg != Color::Magenta || buf[(x, y2)].symbol() != "█")
    );
    // The trace list flags the trace.
    assert!(find(&buf, "FAULT").is_some());
    // The time axis runs from 0 to the trace's length.
    assert!(find(&buf, "┬0").is_some() && find(&buf, "812ms┬").is_some());
}

#[test]
fn span_details_show_attributes_and_the_fault_event() {
    let mut state = fixtures::lab_state();
    state.screen = Screen::Traces;
    state.traces.focus = TraceFocus::Waterfall;
    // Select the faulted span: move down until its row.
    for _ in 0..5 {
        press(&mut state, KeyCode::Down);
    }
    let text = render_to_string(&state, Screen::Traces, 120, 40);
    assert!(text.contains("chaos.fault"), "{text}");
    assert!(text.contains("fault.kind=latency"), "{text}");
    assert!(text.contains("attempt 1 timed out"), "{text}");
    // Who sent it, and the span's own log line under it in the waterfall.
    assert!(text.contains("telemetry.sdk.language = rust"), "{text}");
    let row = text
        .lines()
        .position(|l| l.contains("▲ delta: POST echo"))
        .unwrap();
    let under = text.lines().nth(row + 1).unwrap();
    assert!(
        under.contains("┆ WARN  echo slow: retrying the charge"),
        "{text}"
    );
}

#[test]
fn help_overlay_appears_after_question_mark_and_closes() {
    let mut state = fixtures::lab_state();
    press(&mut state, KeyCode::Char('?'));
    let text = render_to_string(&state, Screen::Overview, 80, 24);
    assert!(text.contains("help"), "{text}");
    assert!(text.contains("clear every fault"), "{text}");
    assert!(text.contains("add a fault"), "{text}");
    press(&mut state, KeyCode::Esc);
    assert!(!render_to_string(&state, Screen::Overview, 80, 24).contains("clear every fault"));
}

#[test]
fn hub_unreachable_is_said_and_old_numbers_stay() {
    let mut state = fixtures::lab_state();
    update::apply(
        &mut state,
        DataEvent::HubDown("Connection refused (os error 111)".into()),
    );
    update::apply(
        &mut state,
        DataEvent::HubDown("Connection refused (os error 111)".into()),
    );
    let buf = render_buffer(&state, Screen::Overview, 120, 40);
    let (x, y) = find(&buf, "hub unreachable").expect("banner");
    assert_eq!(buf[(x, y)].bg, Color::Red);
    let text = ratatui_text(&buf);
    assert!(text.contains("attempt 2"), "{text}");
    assert!(text.contains("Connection refused"), "{text}");
    assert!(text.contains("echo"), "{text}");
}

#[test]
fn chaos_screen_counts_down_and_shows_the_picker() {
    let mut state = fixtures::lab_state();
    let text = render_to_string(&state, Screen::Chaos, 80, 24);
    assert!(
        text.contains("latency") && text.contains("echo") && text.contains("42s"),
        "{text}"
    );
    let now = std::time::Instant::now();
    state.chaos.fetched_at = Some(now);
    state.now = Some(now + std::time::Duration::from_secs(10));
    assert!(render_to_string(&state, Screen::Chaos, 80, 24).contains("32s"));
    press(&mut state, KeyCode::Char('f'));
    let text = render_to_string(&state, Screen::Chaos, 80, 24);
    assert!(text.contains("add a fault"), "{text}");
    assert!(text.contains("< latency >"), "{text}");
}

#[test]
fn the_picker_offers_the_consumer_kinds_on_a_service_seen_consuming() {
    // delta publishes messages that foxtrot consumes.
    let data = with_message_edge(0.0);
    let mut state = fixtures::lab_state();
    update::apply(&mut state, DataEvent::Hub(Box::new(data)));
    press(&mut state, KeyCode::Char('f'));
    let kind = |s: &chaoslab_tui::state::AppState| s.chaos.picker.as_ref().unwrap().kind().name();
    while kind(&state) != "duplicate_delivery" {
        press(&mut state, KeyCode::Right);
        assert_ne!(kind(&state), "latency", "duplicate_delivery is not offered");
    }
    let text = render_to_string(&state, Screen::Chaos, 80, 24);
    assert!(text.contains("< duplicate_delivery >"), "{text}");
    assert!(text.contains("< foxtrot >"), "{text}");
    assert!(text.contains("share    < 50 % >"), "{text}");
    assert!(
        text.contains("duplicate_delivery on foxtrot share 50% for 30s"),
        "{text}"
    );
    press(&mut state, KeyCode::Right);
    let text = render_to_string(&state, Screen::Chaos, 80, 24);
    assert!(text.contains("< poison_message >"), "{text}");
    assert!(text.contains("count    < 1 >"), "{text}");
    assert!(text.contains("< foxtrot >"), "{text}");
}

#[test]
fn experiment_screen_without_and_with_a_run() {
    let mut state = fixtures::lab_state();
    assert!(render_to_string(&state, Screen::Experiment, 80, 24).contains("no experiment running"));
    state.experiment = Some(ExperimentView {
        title: "echo latency keeps checkout under 1 s".into(),
        file: "experiments/echo-latency.yaml".into(),
        phase: ExperimentPhase::Method,
        elapsed_ms: 12_000,
        steps: vec![
            StepView {
                name: "latency 300ms on echo for 30s".into(),
                status: StepStatus::Done,
                at_ms: Some(2_000),
                detail: String::new(),
            },
            StepView {
                name: "probe during fault".into(),
                status: StepStatus::Running,
                at_ms: Some(10_000),
                detail: String::new(),
            },
        ],
        hypothesis: vec![ProbeView {
            name: "checkout p99".into(),
            tolerance: "<= 1000ms".into(),
            value: Some("1450ms".into()),
            ok: Some(false),
        }],
    });
    let buf = render_buffer(&state, Screen::Experiment, 80, 24);
    let text = ratatui_text(&buf);
    assert!(
        text.contains("running method") && text.contains("probe during fault"),
        "{text}"
    );
    let (x, y) = find(&buf, "VIOLATED").unwrap();
    assert_eq!(buf[(x, y)].bg, Color::Red);
}

#[test]
fn every_screen_fits_80x24_with_key_labels_and_never_panics() {
    let mut state = fixtures::lab_state();
    let big = fixtures::big_trace(2_000);
    update::apply(&mut state, DataEvent::Trace(Ok(Box::new(big))));
    for screen in Screen::ALL {
        let text = render_to_string(&state, screen, 80, 24);
        let last = text.lines().last().unwrap_or("");
        for key in [
            "? help",
            "q quit",
            "Tab/1-6 screen",
            "/ filter",
            "f fault",
            "x clear",
        ] {
            assert!(last.contains(key), "{screen}: footer {last:?} lacks {key}");
        }
        for (w, h) in [(1, 1), (10, 3), (20, 5), (33, 9), (80, 24), (300, 100)] {
            let _ = render_to_string(&state, screen, w, h);
        }
    }
    // Overlays at the smallest size too.
    state.help = true;
    let _ = render_to_string(&state, Screen::Chaos, 20, 5);
}

#[test]
fn empty_lab_renders_before_the_first_answer() {
    let state = chaoslab_tui::AppState::new("http://127.0.0.1:7070");
    for screen in Screen::ALL {
        let text = render_to_string(&state, screen, 80, 24);
        assert!(text.contains("connecting to the hub"), "{text}");
    }
}

fn ratatui_text(buf: &ratatui::buffer::Buffer) -> String {
    chaoslab_tui::buffer_to_string(buf)
}

#[test]
fn narrow_overview_shows_the_calls_with_their_numbers_after_c() {
    let mut state = fixtures::lab_state();
    assert!(!render_to_string(&state, Screen::Overview, 80, 24).contains("delta→echo"));
    press(&mut state, KeyCode::Char('c'));
    let buf = render_buffer(&state, Screen::Overview, 80, 24);
    let text = ratatui_text(&buf);
    let line = text
        .lines()
        .find(|l| l.contains("delta→echo"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("10.5") && line.contains("12.0%") && line.contains("⚠ latency"),
        "{line}"
    );
    let (x, y) = find(&buf, "delta→echo").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    // The map stays.
    assert!(text.contains("● bravo"), "{text}");
}

//! Drawing: the frame around every screen (tabs, hub status, banners, the
//! key footer, the help overlay, the filter line) and one module per screen.
//!
//! ```text
//!  chaoslab  1 Overview  2 Service  3 Traces  4 Chaos  5 Experiment  6 Logs  hub ● up
//!  ! hub unreachable at http://127.0.0.1:7070: ... retrying every second
//!  <screen body>
//!  / filter: delta errors_          (or a notice, wrapped to 3 rows at most)
//!  ? help  Tab/1-5 screen  ↑↓ move  Enter open  / filter  f fault  x clear  q quit
//! ```
//!
//! Drawing reads the state only, so any state can be rendered on a
//! `TestBackend` ([`crate::render_to_string`]).

pub mod chaos;
pub mod experiment;
pub mod fmt;
pub mod heatmap;
pub mod logs;
pub mod overview;
pub mod service;
pub mod service_map;
pub mod traces;
pub mod waterfall;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::keys;
use crate::screen::Screen;
use crate::state::{AppState, HubStatus};

/// The most rows the status line grows to for a long notice.
const NOTICE_ROWS: usize = 3;

/// Draws the whole frame for `screen`.
pub fn draw(frame: &mut Frame, state: &AppState, screen: Screen) {
    let area = frame.area();
    if area.width < 20 || area.height < 5 {
        frame.render_widget(Paragraph::new("terminal too small"), area);
        return;
    }
    let banner = banner(state);
    let notice = (state.input.is_some() || state.notice.is_some())
        .then(|| Paragraph::new(notice_line(state)).wrap(Wrap { trim: true }));
    // A long notice (a refused fault's reason) wraps rather than running
    // off the line, up to NOTICE_ROWS rows.
    let notice_rows = notice
        .as_ref()
        .map_or(0, |p| p.line_count(area.width).clamp(1, NOTICE_ROWS));
    let [tabs, banner_area, body, notice_area, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Min(1),
        Constraint::Length(notice_rows as u16),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(tab_line(state, screen, tabs.width)), tabs);
    if let Some(b) = banner {
        frame.render_widget(Paragraph::new(b), banner_area);
    }
    match screen {
        Screen::Overview => overview::draw(frame, body, state),
        Screen::Service => service::draw(frame, body, state),
        Screen::Traces => traces::draw(frame, body, state),
        Screen::Chaos => chaos::draw(frame, body, state),
        Screen::Experiment => experiment::draw(frame, body, state),
        Screen::Logs => logs::draw(frame, body, state),
    }
    if let Some(notice) = notice {
        frame.render_widget(notice, notice_area);
    }
    frame.render_widget(Paragraph::new(footer_line(state, screen)), footer);
    if state.help {
        draw_help(frame, area);
    }
}

fn tab_line(state: &AppState, screen: Screen, width: u16) -> Line<'static> {
    let mut spans = vec![Span::styled(
        " chaoslab ",
        Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    )];
    // Narrow terminals get short titles so every tab stays visible.
    let short = width < 72;
    for s in Screen::ALL {
        let title = if short { &s.title()[..4] } else { s.title() };
        let style = if s == screen {
            Style::new()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new()
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!("{} {title}", s.index() + 1), style));
    }
    let (word, color) = match &state.hub {
        HubStatus::Up => ("● hub up".to_string(), Color::Green),
        HubStatus::Connecting => ("○ hub…".to_string(), Color::Yellow),
        HubStatus::Unreachable { .. } => ("✗ hub down".to_string(), Color::Red),
    };
    // What the hub dropped to stay within its byte budgets.
    let (word, color) = match (&state.hub, state.data.health.as_ref()) {
        (HubStatus::Up, Some(h)) if h.traces_evicted + h.log_records_evicted > 0 => (
            format!(
                "evicted {} traces {} logs {word}",
                h.traces_evicted, h.log_records_evicted
            ),
            Color::Yellow,
        ),
        _ => (word, color),
    };
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = (width as usize).saturating_sub(used + word.chars().count() + 1);
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(word, Style::new().fg(color)));
    Line::from(spans)
}

fn banner(state: &AppState) -> Option<Line<'static>> {
    match &state.hub {
        HubStatus::Unreachable { error, attempts } => Some(Line::from(Span::styled(
            format!(
                " hub unreachable at {}: {error} · retrying every second (attempt {attempts})",
                state.hub_url
            ),
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ))),
        HubStatus::Connecting => Some(Line::from(Span::styled(
            format!(" connecting to the hub at {} …", state.hub_url),
            Style::new().fg(Color::Yellow),
        ))),
        HubStatus::Up => None,
    }
}

fn notice_line(state: &AppState) -> Line<'static> {
    if let Some(input) = &state.input {
        let mut spans = vec![
            Span::styled(" / ", Style::new().fg(Color::Black).bg(Color::Yellow)),
            Span::raw(format!(" {}", input.text)),
            Span::styled("█", Style::new().fg(Color::Yellow)),
        ];
        if let Some(e) = &input.error {
            spans.push(Span::styled(format!("  {e}"), Style::new().fg(Color::Red)));
        } else if input.text.is_empty() {
            spans.push(Span::styled(
                "  service, errors, faults, slow, >250ms, trace id",
                Style::new().fg(Color::DarkGray),
            ));
        }
        return Line::from(spans);
    }
    match &state.notice {
        Some(n) => Line::from(Span::styled(
            format!(" {}", n.text),
            Style::new().fg(if n.error { Color::Red } else { Color::Green }),
        )),
        None => Line::raw(""),
    }
}

fn footer_line(state: &AppState, screen: Screen) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in keys::footer_keys(state, screen) {
        spans.push(Span::styled(
            format!(" {k}"),
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(
            format!(" {what}"),
            Style::new().fg(Color::Gray),
        ));
    }
    Line::from(spans)
}

/// The rows of the help overlay.
pub const HELP: [(&str, &str); 20] = [
    ("?", "show or hide this help"),
    ("Tab / Shift-Tab", "next / previous screen"),
    (
        "1 2 3 4 5 6",
        "Overview Service Traces Chaos Experiment Logs",
    ),
    ("↑ ↓  k j", "move the selection (PgUp PgDn g G)"),
    ("← →  h l", "switch pane"),
    ("Enter", "drill in: service, its traces, a trace"),
    ("Esc", "back, close, clear the filter"),
    ("/", "filter traces: service errors faults slow >250ms id"),
    ("f", "add a fault (picker)"),
    ("x", "clear every fault"),
    ("+ / -", "double / halve the load generator's rate"),
    ("c", "overview: calls table instead of services"),
    ("d  Delete", "remove the selected fault (Chaos)"),
    ("b r t", "toggle breaker / retry / timeout of a dependency"),
    ("s v Space", "logs: service, lowest level, follow or pause"),
    ("q  Ctrl-C", "quit"),
    ("", ""),
    (
        "colours",
        "green up · yellow degraded · red down or faulted",
    ),
    ("▲ magenta", "a span with an injected fault"),
    ("✗ red", "a span with an error"),
];

fn draw_help(frame: &mut Frame, area: Rect) {
    let w = area.width.min(72);
    let h = area.height.min(HELP.len() as u16 + 2);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    frame.render_widget(Clear, r);
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(
                    format!(" {k:<16}"),
                    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                ),
                Span::raw(v.to_string()),
            ])
        })
        .collect();
    let block = Block::bordered()
        .title(" help · any key closes ")
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(Paragraph::new(lines).block(block), r);
}

//! The Logs screen: every sender's log records, newest first, with the
//! filters on the title (service, lowest level, text) and whether the list
//! follows new records. Errors are red, warnings yellow; a record that
//! belongs to a trace shows its id's first digits (Enter opens it).
//!
//! ```text
//!  logs · all services · ≥ info · "declined" · following · 8 of 40
//!  12:00:01.250 ERROR checkout-py  checkout 4 failed: payment declined   4bf92f35
//! ```

use chaoslab_contract::wire::hub::LogView;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::fmt;
use crate::state::{AppState, LOG_LEVELS};

/// The style of a level name.
pub fn level_style(level: &str) -> Style {
    match level {
        "ERROR" | "FATAL" => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        "WARN" => Style::new().fg(Color::Yellow),
        "DEBUG" | "TRACE" => Style::new().fg(Color::DarkGray),
        _ => Style::new().fg(Color::Green),
    }
}

/// `HH:MM:SS.mmm` (UTC) of a Unix-ns time.
pub fn clock(unix_nano: u64) -> String {
    let ms = unix_nano / 1_000_000;
    let s = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60,
        ms % 1000
    )
}

/// One record as a line: time, level, service, body (and trace id).
pub fn log_line(r: &LogView, service_w: usize, width: usize) -> Line<'static> {
    let head = format!("{} ", clock(r.time_unix_nano));
    let level = format!("{:<5} ", if r.level.is_empty() { "-" } else { &r.level });
    let service = format!("{:<service_w$} ", fmt::fit(&r.service, service_w));
    let trace = r
        .trace_id
        .as_deref()
        .map(|t| format!(" {}", &t[..t.len().min(8)]))
        .unwrap_or_default();
    let used = head.len() + level.len() + service.len() + trace.len();
    let body_w = width.saturating_sub(used).max(8);
    let body = format!("{:<body_w$}", fmt::fit(&r.body.replace('\n', " "), body_w));
    Line::from(vec![
        Span::styled(head, Style::new().fg(Color::DarkGray)),
        Span::styled(level, level_style(&r.level)),
        Span::styled(service, Style::new().fg(fmt::service_color(&r.service))),
        Span::raw(body),
        Span::styled(trace, Style::new().fg(Color::DarkGray)),
    ])
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let l = &state.logs;
    let mut title = format!(
        " logs · {} · ≥ {}",
        l.service.as_deref().unwrap_or("all services"),
        LOG_LEVELS[l.level]
    );
    if !l.text.is_empty() {
        title.push_str(&format!(" · \"{}\"", l.text));
    }
    title.push_str(if l.follow {
        " · following"
    } else {
        " · paused"
    });
    title.push_str(&format!(" · {} of {} ", l.list.len(), l.matched));
    let block = Block::new()
        .borders(Borders::TOP)
        .title(title)
        .border_style(Style::new().fg(Color::DarkGray));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if l.list.is_empty() {
        let msg = if state
            .data
            .health
            .as_ref()
            .is_some_and(|h| h.log_records_received > 0)
        {
            " no record matches the filters (s service, v level, / text)"
        } else {
            " no log records yet: any OTLP exporter's logs appear here"
        };
        frame.render_widget(
            Paragraph::new(msg).style(Style::new().fg(Color::DarkGray)),
            inner,
        );
        return;
    }
    let h = inner.height as usize;
    let first = l.selected.saturating_sub(h.saturating_sub(1));
    let service_w = l
        .list
        .iter()
        .map(|r| r.service.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(6, 18);
    let lines: Vec<Line> = l
        .list
        .iter()
        .enumerate()
        .skip(first)
        .take(h)
        .map(|(i, r)| {
            let line = log_line(r, service_w, inner.width as usize);
            if i == l.selected && !l.follow {
                line.style(Style::new().add_modifier(Modifier::REVERSED))
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

//! The Traces screen: the listing (with the filter in its title), the
//! waterfall of the opened trace ([`super::waterfall`]) and the selected
//! span's attributes and events.

use chaoslab_contract::wire::hub::{SpanView, TraceDetail};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{fmt, waterfall};
use crate::state::{AppState, TraceFocus};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let t = &state.traces;
    let list_h = if t.detail.is_none() {
        area.height
    } else if t.focus == TraceFocus::List {
        (area.height * 2 / 5).max(4)
    } else {
        (area.height / 4).max(3)
    };
    let [list, rest] =
        Layout::vertical([Constraint::Length(list_h), Constraint::Min(0)]).areas(area);
    draw_list(frame, list, state);
    let Some(detail) = &t.detail else {
        return;
    };
    let wide = rest.width >= 110;
    let (wf, info) = if wide {
        let [a, b] = Layout::horizontal([Constraint::Min(60), Constraint::Length(rest.width / 3)])
            .areas(rest);
        (a, b)
    } else {
        let info_h = if rest.height >= 14 { 6 } else { 0 };
        let [a, b] = Layout::vertical([Constraint::Min(3), Constraint::Length(info_h)]).areas(rest);
        (a, b)
    };
    let focus = t.focus == TraceFocus::Waterfall;
    let title = format!(
        " trace {} · {} spans · {} ",
        &detail.summary.trace_id[..detail.summary.trace_id.len().min(16)],
        detail.spans.len(),
        fmt::ms(Some(detail.summary.duration_ms))
    );
    let block = Block::new()
        .borders(Borders::TOP)
        .title(title)
        .border_style(Style::new().fg(if focus { Color::Cyan } else { Color::DarkGray }));
    let inner = block.inner(wf);
    frame.render_widget(block, wf);
    frame.render_widget(
        waterfall::Waterfall {
            trace: detail,
            rows: &t.rows,
            selected: t.span_selected,
            focused: focus,
            logs: &t.logs,
        },
        inner,
    );
    if info.height > 0 {
        draw_span(
            frame,
            info,
            detail,
            t.rows.get(t.span_selected).map(|r| r.span),
            wide,
        );
    }
}

fn draw_list(frame: &mut Frame, area: Rect, state: &AppState) {
    let t = &state.traces;
    let focus = t.focus == TraceFocus::List;
    let title = format!(
        " traces · filter: {} · {} of {} ",
        t.filter.describe(),
        t.list.len(),
        t.matched
    );
    let block = Block::new()
        .borders(Borders::TOP)
        .title(title)
        .border_style(Style::new().fg(if focus { Color::Cyan } else { Color::DarkGray }));
    if t.list.is_empty() {
        let msg = if state.traces.filter.is_empty() {
            " no traces yet"
        } else {
            " no trace matches the filter (Esc clears it)"
        };
        frame.render_widget(
            Paragraph::new(msg)
                .style(Style::new().fg(Color::DarkGray))
                .block(block),
            area,
        );
        return;
    }
    let rows = t.list.iter().map(|s| {
        let mut flags = Vec::new();
        if s.has_error {
            flags.push(Span::styled(
                "ERR ",
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ));
        }
        if s.has_fault {
            flags.push(Span::styled(
                "FAULT",
                Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            ));
        }
        Row::new(vec![
            Cell::from(s.trace_id[..s.trace_id.len().min(12)].to_string())
                .style(Style::new().fg(Color::DarkGray)),
            Cell::from(format!("{}: {}", s.root_service, s.root_name)),
            Cell::from(fmt::ms(Some(s.duration_ms))),
            Cell::from(s.span_count.to_string()),
            Cell::from(Line::from(flags)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Min(20),
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Length(10),
        ],
    )
    .header(
        Row::new(["trace", "root", "duration", "spans", ""])
            .style(Style::new().fg(Color::DarkGray)),
    )
    .row_highlight_style(if focus {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    })
    .block(block);
    let mut ts = TableState::default().with_selected(Some(t.selected));
    frame.render_stateful_widget(table, area, &mut ts);
}

fn draw_span(frame: &mut Frame, area: Rect, trace: &TraceDetail, span: Option<usize>, wide: bool) {
    let Some(s) = span.and_then(|i| trace.spans.get(i)) else {
        return;
    };
    let block = Block::new()
        .borders(if wide {
            Borders::LEFT | Borders::TOP
        } else {
            Borders::TOP
        })
        .title(" span ")
        .border_style(Style::new().fg(Color::DarkGray));
    frame.render_widget(
        Paragraph::new(span_lines(trace, s))
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// The lines describing one span: header, status, attributes, events.
pub fn span_lines(trace: &TraceDetail, s: &SpanView) -> Vec<Line<'static>> {
    let t0 = trace
        .spans
        .iter()
        .map(|s| s.start_unix_nano)
        .min()
        .unwrap_or(s.start_unix_nano);
    let key = Style::new().fg(Color::DarkGray);
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{}: {}", s.service, s.name),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            "  {:?} +{} {}",
            s.kind,
            fmt::ms(Some((s.start_unix_nano.saturating_sub(t0)) as f64 / 1e6)),
            fmt::ms(Some(s.duration_ms))
        )),
    ])];
    if s.status == chaoslab_contract::wire::hub::StatusCode::Error {
        lines.push(Line::from(Span::styled(
            format!("error: {}", s.status_message),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        )));
    }
    for (k, v) in &s.attributes {
        let style = if k.starts_with("fault.") {
            Style::new().fg(Color::Magenta)
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{k} = "), key),
            Span::styled(scalar(v), style),
        ]));
    }
    for e in &s.events {
        let style = if e.name == crate::trace_tree::FAULT_EVENT {
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(Color::Yellow)
        };
        let attrs: Vec<String> = e
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={}", scalar(v)))
            .collect();
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "◆ +{} ",
                    fmt::ms(Some(e.time_unix_nano.saturating_sub(t0) as f64 / 1e6))
                ),
                key,
            ),
            Span::styled(e.name.clone(), style),
            Span::raw(format!(" {}", attrs.join(" "))),
        ]));
    }
    // Who sent it: the resource, its SDK first (a trace may cross languages).
    if !s.resource.is_empty() {
        lines.push(Line::styled("resource", key));
        let first = [
            "telemetry.sdk.language",
            "telemetry.sdk.name",
            "telemetry.sdk.version",
        ];
        let ordered = first
            .iter()
            .filter_map(|k| s.resource.get_key_value(*k))
            .chain(
                s.resource
                    .iter()
                    .filter(|(k, _)| !first.contains(&k.as_str())),
            );
        for (k, v) in ordered {
            lines.push(Line::from(vec![
                Span::styled(format!("  {k} = "), key),
                Span::raw(scalar(v)),
            ]));
        }
    }
    lines
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

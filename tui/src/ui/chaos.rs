//! The Chaos screen: active faults with a countdown, the dependencies whose
//! resilience policy can be toggled, and the fault picker overlay.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState};

use super::fmt;
use crate::picker::{FaultPicker, PickerField};
use crate::state::{AppState, ChaosFocus};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let [faults, policies] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    draw_faults(frame, faults, state);
    draw_policies(frame, policies, state);
    if let Some(p) = &state.chaos.picker {
        draw_picker(frame, area, p);
    }
}

fn block(title: String, focused: bool) -> Block<'static> {
    Block::new()
        .borders(Borders::TOP)
        .title(title)
        .border_style(Style::new().fg(if focused {
            Color::Cyan
        } else {
            Color::DarkGray
        }))
}

fn draw_faults(frame: &mut Frame, area: Rect, state: &AppState) {
    let c = &state.chaos;
    let focused = c.focus == ChaosFocus::Faults;
    let title = format!(
        " active faults ({}) · f add · d remove · x clear all ",
        c.faults.len()
    );
    if c.faults.is_empty() {
        let text = match (&c.note, &state.agent_url) {
            (_, None) => Line::from(Span::styled(
                " no chaos agent configured: faults cannot be listed or added",
                Style::new().fg(Color::Yellow),
            )),
            (Some(note), _) => Line::from(Span::styled(
                format!(" agent: {note}"),
                Style::new().fg(Color::Red),
            )),
            (None, _) => Line::from(Span::styled(
                " no active faults · press f to add one",
                Style::new().fg(Color::DarkGray),
            )),
        };
        frame.render_widget(Paragraph::new(text).block(block(title, focused)), area);
        return;
    }
    let rows = c.faults.iter().map(|f| {
        let left = state.fault_remaining_ms(f);
        let soon = left.is_some_and(|ms| ms < 5_000);
        Row::new(vec![
            Cell::from(f.kind.clone())
                .style(Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)),
            Cell::from(f.target.clone()),
            Cell::from(fmt::countdown(left)).style(Style::new().fg(if soon {
                Color::Yellow
            } else {
                Color::White
            })),
            Cell::from(f.detail.clone()),
            Cell::from(f.id.clone()).style(Style::new().fg(Color::DarkGray)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(11),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Min(16),
            Constraint::Length(24),
        ],
    )
    .header(
        Row::new(["kind", "target", "left", "parameters", "id"])
            .style(Style::new().fg(Color::DarkGray)),
    )
    .row_highlight_style(if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    })
    .block(block(title, focused));
    let mut ts = TableState::default().with_selected(Some(c.selected));
    frame.render_stateful_widget(table, area, &mut ts);
}

fn draw_policies(frame: &mut Frame, area: Rect, state: &AppState) {
    let focused = state.chaos.focus == ChaosFocus::Policies;
    let title = " resilience · ←→ switch list · b breaker · r retry · t timeout ".to_string();
    let rows = state.data.resilience.iter().map(|e| {
        let (word, style) = fmt::circuit(e.circuit);
        let rate = |k: &str| e.calls_rate.get(k).copied().unwrap_or(0.0);
        Row::new(vec![
            Cell::from(format!("{} → {}", e.service, e.dependency)),
            Cell::from(word).style(style),
            Cell::from(fmt::rate(rate("success"))),
            Cell::from(fmt::rate(rate("failure") + rate("timeout"))),
            Cell::from(fmt::rate(e.retries_rate)),
            Cell::from(fmt::rate(rate("fallback"))),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(20),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(8),
        ],
    )
    .header(
        Row::new([
            "dependency",
            "breaker",
            "ok/s",
            "fail/s",
            "retry/s",
            "fallbk/s",
        ])
        .style(Style::new().fg(Color::DarkGray)),
    )
    .row_highlight_style(if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    })
    .block(block(title, focused));
    let mut ts = TableState::default().with_selected(Some(state.chaos.policy_selected));
    frame.render_stateful_widget(table, area, &mut ts);
}

fn draw_picker(frame: &mut Frame, area: Rect, p: &FaultPicker) {
    let w = area.width.min(52);
    let h = area.height.min(9);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    frame.render_widget(Clear, r);
    let (label, unit, _) = p.kind().param();
    let mut lines = Vec::new();
    let field = |f: PickerField, name: &str, value: String| {
        let on = p.field == f;
        let style = if on {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new()
        };
        Line::from(vec![
            Span::styled(format!(" {name:<9}"), Style::new().fg(Color::DarkGray)),
            Span::styled(format!("< {value} >"), style),
        ])
    };
    lines.push(field(
        PickerField::Kind,
        "kind",
        p.kind().name().to_string(),
    ));
    lines.push(field(
        PickerField::Target,
        "target",
        p.target().unwrap_or("(none)").to_string(),
    ));
    if let Some(v) = p.param_value() {
        let value = if unit.is_empty() {
            v.to_string()
        } else {
            format!("{v} {unit}")
        };
        lines.push(field(PickerField::Param, label, value));
    }
    let dur = p
        .duration_s()
        .map_or("until removed".to_string(), |s| format!("{s} s"));
    lines.push(field(PickerField::Duration, "duration", dur));
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        format!(" {}", p.summary()),
        Style::new().fg(Color::Yellow),
    )));
    let block = Block::bordered()
        .title(" add a fault · ↑↓ field · ←→ value · Enter add ")
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(Paragraph::new(lines).block(block), r);
}

//! The Experiment screen: a running experiment's phase, its steps and the
//! live state of its steady-state hypothesis.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use crate::experiment::{ExperimentPhase, StepStatus};
use crate::state::AppState;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let Some(x) = &state.experiment else {
        let lines = vec![
            Line::raw(""),
            Line::from(Span::styled(
                "  no experiment running",
                Style::new().add_modifier(Modifier::BOLD),
            )),
            Line::raw(""),
            Line::from(Span::styled(
                "  start one with `chaoslab run experiments/<file>.yaml`; its steps and hypothesis show here",
                Style::new().fg(Color::DarkGray),
            )),
        ];
        frame.render_widget(Paragraph::new(lines), area);
        return;
    };
    let phase_style = match x.phase {
        ExperimentPhase::Passed => Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        ExperimentPhase::Failed | ExperimentPhase::Aborted => {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        }
        _ => Style::new().fg(Color::Yellow),
    };
    let [head, hyp, steps] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(x.hypothesis.len() as u16 + 2),
        Constraint::Min(3),
    ])
    .areas(area);
    let head_lines = vec![
        Line::from(vec![
            Span::styled(
                format!(" {} ", x.title),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::styled(x.phase.label(), phase_style),
            Span::raw(format!("  {:.0}s", x.elapsed_ms as f64 / 1000.0)),
        ]),
        Line::from(Span::styled(
            format!(" {}", x.file),
            Style::new().fg(Color::DarkGray),
        )),
    ];
    frame.render_widget(Paragraph::new(head_lines), head);
    let title_block = |t: &'static str| {
        Block::new()
            .borders(Borders::TOP)
            .title(t)
            .border_style(Style::new().fg(Color::DarkGray))
    };
    let hrows = x.hypothesis.iter().map(|p| {
        let (word, style) = match p.ok {
            Some(true) => ("holds", Style::new().fg(Color::Green)),
            Some(false) => (
                "VIOLATED",
                Style::new()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(Modifier::BOLD),
            ),
            None => ("-", Style::new().fg(Color::DarkGray)),
        };
        Row::new(vec![
            Cell::from(p.name.clone()),
            Cell::from(p.tolerance.clone()),
            Cell::from(p.value.clone().unwrap_or_else(|| "-".into())),
            Cell::from(word).style(style),
        ])
    });
    let table = Table::new(
        hrows,
        [
            Constraint::Min(18),
            Constraint::Length(16),
            Constraint::Length(12),
            Constraint::Length(9),
        ],
    )
    .header(
        Row::new(["probe", "tolerance", "now", "state"]).style(Style::new().fg(Color::DarkGray)),
    )
    .block(title_block(" steady-state hypothesis "));
    frame.render_widget(table, hyp);
    let srows = x.steps.iter().map(|s| {
        let (icon, style) = match s.status {
            StepStatus::Pending => ("·", Style::new().fg(Color::DarkGray)),
            StepStatus::Running => (
                "▶",
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ),
            StepStatus::Done => ("✓", Style::new().fg(Color::Green)),
            StepStatus::Failed => (
                "✗",
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ),
            StepStatus::Skipped => ("-", Style::new().fg(Color::DarkGray)),
        };
        Row::new(vec![
            Cell::from(icon).style(style),
            Cell::from(
                s.at_ms
                    .map_or(String::new(), |ms| format!("+{:.0}s", ms as f64 / 1000.0)),
            ),
            Cell::from(s.name.clone()).style(style),
            Cell::from(s.detail.clone()).style(Style::new().fg(Color::DarkGray)),
        ])
    });
    let table = Table::new(
        srows,
        [
            Constraint::Length(1),
            Constraint::Length(6),
            Constraint::Min(24),
            Constraint::Min(10),
        ],
    )
    .block(title_block(" steps "));
    frame.render_widget(table, steps);
}

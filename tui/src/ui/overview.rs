//! The Overview screen: the service map, the edges with their numbers, a
//! RED table with sparklines per service, and what the load generator's
//! users see.

use chaoslab_contract::wire::hub::{EdgeStats, MessagingEdge};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

use super::fmt;
use super::service_map::{MapEdge, MapNode, ServiceMap};
use crate::state::AppState;

/// The edges to show: what the hub found (no built-in picture: a lab
/// that has not called anything yet has no arrows).
pub fn edges(state: &AppState) -> Vec<EdgeStats> {
    let mut edges = state
        .data
        .topology
        .as_ref()
        .map(|t| t.edges.clone())
        .unwrap_or_default();
    // The agent's own list is fresher than the hub's flag.
    for e in &mut edges {
        let kinds: Vec<String> = state
            .chaos
            .faults
            .iter()
            .filter(|f| f.target == e.to)
            .map(|f| f.kind.clone())
            .collect();
        if !kinds.is_empty() {
            e.fault_active = true;
            for k in kinds {
                if !e.faults.contains(&k) {
                    e.faults.push(k);
                }
            }
        }
    }
    edges
}

/// The map widget for the state.
pub fn service_map(state: &AppState) -> ServiceMap {
    let mut nodes: Vec<MapNode> = match &state.data.topology {
        Some(t) => t
            .nodes
            .iter()
            .map(|n| MapNode {
                name: n.name.clone(),
                health: n.health,
            })
            .collect(),
        None => Vec::new(),
    };
    for s in &state.data.services {
        if !nodes.iter().any(|n| n.name == s.name) {
            nodes.push(MapNode {
                name: s.name.clone(),
                health: s.health,
            });
        }
    }
    let edges = edges(state)
        .into_iter()
        .map(|e| MapEdge {
            from: e.from,
            to: e.to,
            fault: e.fault_active,
            error_ratio: e.stats.error_ratio,
            asynchronous: e.messaging.is_some(),
        })
        .collect();
    ServiceMap { nodes, edges }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let map = service_map(state);
    // Rows, top to bottom: the map under its title (map_h + 1), the RED
    // table, the journeys when there is room, and the users' line, which
    // always shows. The map gives way first, then the RED table (it scrolls
    // with the selection).
    const MAP_MIN: u16 = 3;
    let red_rows = (state.data.services.len().max(1) as u16 + 2)
        .min(area.height.saturating_sub(MAP_MIN + 2))
        .max(3);
    let map_h = map
        .height_needed()
        .min(area.height.saturating_sub(red_rows + 2))
        .max(MAP_MIN);
    let journeys = state
        .data
        .load
        .as_ref()
        .map_or(0, |l| l.journeys.len() as u16);
    let spare = area.height.saturating_sub(map_h + 1 + red_rows + 1);
    let journeys_h = if journeys > 0 && spare >= journeys + 2 {
        journeys + 2
    } else {
        0
    };
    let [top, red, journeys_area, load, _] = Layout::vertical([
        Constraint::Length(map_h + 1),
        Constraint::Length(red_rows),
        Constraint::Length(journeys_h),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    // The calls table; wider when there is room, so an asynchronous edge's
    // queue and wait fit beside its numbers.
    let edge_w = if area.width >= 64 + 62 { 62u16 } else { 52 };
    let (map_area, edge_area) = if top.width >= 64 + edge_w {
        let [m, e] =
            Layout::horizontal([Constraint::Min(64), Constraint::Length(edge_w)]).areas(top);
        (m, Some(e))
    } else {
        (top, None)
    };
    let title = Block::new()
        .borders(Borders::TOP)
        .title(" service map ")
        .border_style(Style::new().fg(Color::DarkGray));
    let inner = title.inner(map_area);
    frame.render_widget(title, map_area);
    frame.render_widget(&map, inner);
    if let Some(e) = edge_area {
        draw_edges(frame, e, state);
    }
    if edge_area.is_none() && state.overview_calls {
        draw_edges(frame, red, state);
    } else {
        draw_red(frame, red, state);
    }
    if journeys_h > 0 {
        draw_journeys(frame, journeys_area, state);
    }
    frame.render_widget(Paragraph::new(load_line(state)), load);
}

fn draw_journeys(frame: &mut Frame, area: Rect, state: &AppState) {
    let Some(load) = &state.data.load else {
        return;
    };
    let rows = load.journeys.iter().map(|j| {
        let ok = 1.0 - j.stats.error_ratio;
        Row::new(vec![
            Cell::from(j.journey.clone()),
            Cell::from(fmt::rate(j.stats.rate)),
            Cell::from(fmt::pct(ok)).style(Style::new().fg(fmt::error_color(j.stats.error_ratio))),
            Cell::from(fmt::ms(j.stats.p50_ms)),
            Cell::from(fmt::ms(j.stats.p99_ms)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(7),
        ],
    )
    .header(
        Row::new(["journey", "req/s", "success", "p50", "p99"])
            .style(Style::new().fg(Color::DarkGray)),
    )
    .block(
        Block::new()
            .borders(Borders::TOP)
            .title(" what users see (load generator) ")
            .border_style(Style::new().fg(Color::DarkGray)),
    );
    frame.render_widget(table, area);
}

fn draw_edges(frame: &mut Frame, area: Rect, state: &AppState) {
    let rows = edges(state).into_iter().map(|e| {
        let style = if e.fault_active {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        let mark = if e.fault_active {
            format!("⚠ {}", e.faults.join(","))
        } else if let Some(m) = &e.messaging {
            messaging_mark(m)
        } else {
            String::new()
        };
        Row::new(vec![
            Cell::from(format!("{}→{}", e.from, e.to)),
            Cell::from(fmt::rate(e.stats.rate)),
            Cell::from(fmt::pct(e.stats.error_ratio))
                .style(Style::new().fg(fmt::error_color(e.stats.error_ratio))),
            Cell::from(fmt::ms(e.stats.p99_ms)),
            Cell::from(mark),
        ])
        .style(style)
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(19),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Min(8),
        ],
    )
    .header(
        Row::new(["call", "req/s", "err", "p99", "fault"]).style(Style::new().fg(Color::DarkGray)),
    )
    .block(
        Block::new()
            .borders(Borders::TOP)
            .title(" calls ")
            .border_style(Style::new().fg(Color::DarkGray)),
    );
    frame.render_widget(table, area);
}

fn draw_red(frame: &mut Frame, area: Rect, state: &AppState) {
    let spark_w = area.width.saturating_sub(58).clamp(4, 120) as usize;
    let rows: Vec<Row> = state
        .data
        .services
        .iter()
        .map(|s| {
            let points = s
                .series
                .as_ref()
                .map(|x| x.points.as_slice())
                .unwrap_or(&[]);
            let rates: Vec<f64> = points.iter().map(|p| p.stats.rate).collect();
            let errs: Vec<f64> = points.iter().map(|p| p.stats.error_ratio).collect();
            let color = fmt::health_color(s.health);
            let spark_style = if s.stats.error_ratio >= 0.05 {
                Color::Red
            } else {
                Color::Cyan
            };
            Row::new(vec![
                Cell::from(Line::from(vec![
                    Span::styled("● ", Style::new().fg(color)),
                    Span::raw(s.name.clone()),
                ])),
                Cell::from(fmt::health_word(s.health)).style(Style::new().fg(color)),
                Cell::from(fmt::rate(s.stats.rate)),
                Cell::from(fmt::pct(s.stats.error_ratio))
                    .style(Style::new().fg(fmt::error_color(s.stats.error_ratio))),
                Cell::from(fmt::ms(s.stats.p50_ms)),
                Cell::from(fmt::ms(s.stats.p99_ms)),
                Cell::from(Line::from(vec![
                    Span::styled(
                        fmt::sparkline(&rates, spark_w / 2),
                        Style::new().fg(spark_style),
                    ),
                    Span::raw(" "),
                    Span::styled(
                        fmt::sparkline_scaled(&errs, spark_w / 2, 0.10),
                        Style::new().fg(Color::Red),
                    ),
                ])),
            ])
        })
        .collect();
    let empty = rows.is_empty();
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Min(4),
        ],
    )
    .header(
        Row::new([
            "service",
            "health",
            "req/s",
            "err",
            "p50",
            "p99",
            "req/s · error % (full: 10%)",
        ])
        .style(Style::new().fg(Color::DarkGray)),
    )
    .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
    .block(
        Block::new()
            .borders(Borders::TOP)
            .title(" services (RED) ")
            .border_style(Style::new().fg(Color::DarkGray)),
    );
    if empty {
        frame.render_widget(table, area);
        let msg =
            Paragraph::new("  no services reported yet").style(Style::new().fg(Color::DarkGray));
        frame.render_widget(
            msg,
            Rect {
                y: area.y + 2,
                height: 1,
                ..area
            }
            .intersection(area),
        );
        return;
    }
    let mut ts = TableState::default().with_selected(Some(state.service_selected));
    frame.render_stateful_widget(table, area, &mut ts);
}

/// An asynchronous edge in the calls table: the messages waiting for the
/// consumer and how long they wait (p99).
fn messaging_mark(m: &MessagingEdge) -> String {
    let depth = m
        .queue_depth
        .map_or_else(|| "-".to_string(), |d| format!("{d:.0}"));
    format!("⇢ queue {depth} wait {}", fmt::ms(m.wait_p99_ms))
}

fn load_line(state: &AppState) -> Line<'static> {
    let Some(load) = &state.data.load else {
        return Line::from(Span::styled(
            " users: load generator not running",
            Style::new().fg(Color::DarkGray),
        ));
    };
    let t = &load.total;
    let ok = 1.0 - t.error_ratio;
    let color = if t.error_ratio >= 0.05 {
        Color::Red
    } else if t.error_ratio >= 0.01 {
        Color::Yellow
    } else {
        Color::Green
    };
    Line::from(vec![
        Span::styled(" users see ", Style::new().add_modifier(Modifier::BOLD)),
        Span::styled(
            format!("{} success", fmt::pct(ok)),
            Style::new().fg(color).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            "  p50 {}  p99 {}  {} req/s  ({} journeys)",
            fmt::ms(t.p50_ms),
            fmt::ms(t.p99_ms),
            fmt::rate(t.rate),
            load.journeys.len()
        )),
    ])
}

//! The Service screen: one service's routes with their numbers, its latency
//! percentiles over time beside a latency heatmap (requests per bucket over
//! time, from the hub), and each dependency with its breaker, retries,
//! timeouts, bulkhead and fallbacks.

use chaoslab_contract::wire::hub::{ResilienceEntry, ServiceStats};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Dataset, GraphType, List, ListItem, ListState, Paragraph,
    Row, Table,
};

use super::fmt;
use crate::state::AppState;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState) {
    let [list, main] =
        Layout::horizontal([Constraint::Length(14), Constraint::Min(40)]).areas(area);
    draw_list(frame, list, state);
    let Some(svc) = state.selected_service() else {
        frame.render_widget(
            Paragraph::new(" no services reported yet").style(Style::new().fg(Color::DarkGray)),
            main,
        );
        return;
    };
    let deps = state.selected_dependencies();
    let routes_h = (svc.routes.len() as u16 + 2).min(main.height / 3).max(3);
    let deps_h = (deps.len().max(1) as u16 + 2).min(main.height / 3).max(3);
    let [head, routes, chart, dep] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(routes_h),
        Constraint::Min(4),
        Constraint::Length(deps_h),
    ])
    .areas(main);
    frame.render_widget(Paragraph::new(header(svc)), head);
    draw_routes(frame, routes, svc);
    let heat = state
        .data
        .heatmap
        .as_ref()
        .filter(|h| h.service == svc.name && !h.columns.is_empty());
    match heat {
        Some(h) if chart.width >= 70 => {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(chart);
            draw_latency(frame, left, svc);
            let block = titled(" latency heatmap (req/s per bucket) ");
            let inner = block.inner(right);
            frame.render_widget(block, right);
            frame.render_widget(super::heatmap::HeatmapView { map: h }, inner);
        }
        _ => draw_latency(frame, chart, svc),
    }
    let selected = state.dependency_focus.then_some(state.dependency_selected);
    draw_deps(frame, dep, &deps, selected);
}

fn draw_list(frame: &mut Frame, area: Rect, state: &AppState) {
    let items: Vec<ListItem> = state
        .data
        .services
        .iter()
        .map(|s| {
            ListItem::new(Line::from(vec![
                Span::styled("● ", Style::new().fg(fmt::health_color(s.health))),
                Span::raw(s.name.clone()),
            ]))
        })
        .collect();
    let list = List::new(items)
        .block(
            Block::new()
                .borders(Borders::RIGHT)
                .border_style(Style::new().fg(Color::DarkGray)),
        )
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut ls = ListState::default().with_selected(Some(state.service_selected));
    frame.render_stateful_widget(list, area, &mut ls);
}

fn header(s: &ServiceStats) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            format!(" {} ", s.name),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            fmt::health_word(s.health),
            Style::new().fg(fmt::health_color(s.health)),
        ),
        Span::raw(format!(
            "  {} req/s  err {}  p50 {}  p95 {}  p99 {}",
            fmt::rate(s.stats.rate),
            fmt::pct(s.stats.error_ratio),
            fmt::ms(s.stats.p50_ms),
            fmt::ms(s.stats.p95_ms),
            fmt::ms(s.stats.p99_ms)
        )),
    ])
}

fn titled(title: &str) -> Block<'_> {
    Block::new()
        .borders(Borders::TOP)
        .title(title)
        .border_style(Style::new().fg(Color::DarkGray))
}

fn draw_routes(frame: &mut Frame, area: Rect, s: &ServiceStats) {
    let rows = s.routes.iter().map(|r| {
        Row::new(vec![
            Cell::from(format!("{} {}", r.method, r.route)),
            Cell::from(fmt::rate(r.stats.rate)),
            Cell::from(fmt::pct(r.stats.error_ratio))
                .style(Style::new().fg(fmt::error_color(r.stats.error_ratio))),
            Cell::from(fmt::ms(r.stats.p50_ms)),
            Cell::from(fmt::ms(r.stats.p95_ms)),
            Cell::from(fmt::ms(r.stats.p99_ms)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(16),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(7),
        ],
    )
    .header(
        Row::new(["route", "req/s", "err", "p50", "p95", "p99"])
            .style(Style::new().fg(Color::DarkGray)),
    )
    .block(titled(" routes "));
    frame.render_widget(table, area);
}

fn draw_latency(frame: &mut Frame, area: Rect, s: &ServiceStats) {
    let points = s
        .series
        .as_ref()
        .map(|x| x.points.as_slice())
        .unwrap_or(&[]);
    let t0 = points.first().map_or(0, |p| p.t_unix_ms);
    let series =
        |f: fn(&chaoslab_contract::wire::hub::RedStats) -> Option<f64>| -> Vec<(f64, f64)> {
            points
                .iter()
                .filter_map(|p| f(&p.stats).map(|v| ((p.t_unix_ms - t0) as f64 / 1000.0, v)))
                .collect()
        };
    let p50 = series(|s| s.p50_ms);
    let p95 = series(|s| s.p95_ms);
    let p99 = series(|s| s.p99_ms);
    let max_y = p99
        .iter()
        .chain(&p95)
        .chain(&p50)
        .map(|p| p.1)
        .fold(1.0, f64::max)
        * 1.1;
    let max_x = points
        .last()
        .map_or(1.0, |p| ((p.t_unix_ms - t0) as f64 / 1000.0).max(1.0));
    let datasets = vec![
        Dataset::default()
            .name("p50")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(Color::Green))
            .data(&p50),
        Dataset::default()
            .name("p95")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(Color::Yellow))
            .data(&p95),
        Dataset::default()
            .name("p99")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(Color::Red))
            .data(&p99),
    ];
    let chart = Chart::new(datasets)
        .block(titled(" latency over time (p50 p95 p99) "))
        .x_axis(
            Axis::default()
                .bounds([0.0, max_x])
                .labels([format!("-{}", fmt_span(max_x)), "now".to_string()])
                .style(Style::new().fg(Color::DarkGray)),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, max_y])
                .labels(["0".to_string(), fmt::ms(Some(max_y))])
                .style(Style::new().fg(Color::DarkGray)),
        );
    frame.render_widget(chart, area);
}

fn fmt_span(secs: f64) -> String {
    if secs >= 60.0 {
        format!("{:.0}m", secs / 60.0)
    } else {
        format!("{secs:.0}s")
    }
}

fn draw_deps(frame: &mut Frame, area: Rect, deps: &[&ResilienceEntry], selected: Option<usize>) {
    let rate = |e: &ResilienceEntry, k: &str| e.calls_rate.get(k).copied().unwrap_or(0.0);
    let rows = deps.iter().map(|e| {
        let (word, style) = fmt::circuit(e.circuit);
        Row::new(vec![
            Cell::from(e.dependency.clone()),
            Cell::from(word).style(style),
            Cell::from(fmt::rate(rate(e, "success"))),
            Cell::from(fmt::rate(e.retries_rate)),
            Cell::from(fmt::rate(rate(e, "timeout"))),
            Cell::from(fmt::rate(
                rate(e, "rejected_circuit_open") + rate(e, "rejected_bulkhead"),
            )),
            Cell::from(
                e.bulkhead_in_flight
                    .map_or("-".into(), |v| format!("{v:.0}")),
            ),
            Cell::from(fmt::rate(rate(e, "fallback"))),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(10),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(8),
        ],
    )
    .header(
        Row::new([
            "dependency",
            "breaker",
            "ok/s",
            "retry/s",
            "tmout/s",
            "rej/s",
            "in-fl",
            "fallbk/s",
        ])
        .style(Style::new().fg(Color::DarkGray)),
    )
    .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
    .block(titled(
        " dependencies · → select · b breaker · r retry · t timeout ",
    ));
    let mut ts = ratatui::widgets::TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut ts);
    if deps.is_empty() && area.height > 2 {
        let r = Rect {
            y: area.y + 2,
            height: 1,
            ..area
        };
        frame.render_widget(
            Paragraph::new(" no resilience policies reported")
                .style(Style::new().fg(Color::DarkGray)),
            r,
        );
    }
}

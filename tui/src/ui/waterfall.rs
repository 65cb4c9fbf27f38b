//! The trace waterfall: one row per span, nested under its parent, a bar on
//! the trace's time axis. Errors are red, spans carrying an injected fault
//! magenta with a `▲` before the name, events are `◆` marks on the bars.
//!
//! ```text
//! gateway: POST /api/checkout        812ms ████████████████████████████████
//!  └ orders: checkout                790ms  ██████████████████████████████
//!   ▲ payments: charge               610ms        ███████◆██████████████
//! ```

use chaoslab_hub::api::types::TraceDetail;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

use super::fmt;
use crate::trace_tree::SpanRow;

/// The widget: a trace, its rows, the selected row.
#[derive(Debug, Clone, Copy)]
pub struct Waterfall<'a> {
    pub trace: &'a TraceDetail,
    pub rows: &'a [SpanRow],
    pub selected: usize,
    pub focused: bool,
}

/// The style of a span's bar.
pub fn bar_style(row: &SpanRow, service: &str) -> Style {
    if row.fault {
        Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
    } else if row.error {
        Style::new().fg(Color::Red)
    } else {
        Style::new().fg(fmt::service_color(service))
    }
}

impl Widget for Waterfall<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < 20 || area.height == 0 || self.rows.is_empty() {
            return;
        }
        let spans = &self.trace.spans;
        let t0 = spans.iter().map(|s| s.start_unix_nano).min().unwrap_or(0);
        let t1 = spans
            .iter()
            .map(|s| s.end_unix_nano)
            .max()
            .unwrap_or(t0)
            .max(t0 + 1);
        let total = (t1 - t0) as f64;
        let name_w = (area.width as usize * 2 / 5).clamp(14, 44);
        let dur_w = 8usize;
        let bar_x = area.x + (name_w + dur_w + 1) as u16;
        let bar_w = area.right().saturating_sub(bar_x) as usize;
        // The first row is the time axis.
        let axis = Style::new().fg(Color::DarkGray);
        buf.set_stringn(
            area.x,
            area.y,
            format!("{:<name_w$}{:>dur_w$}", "span", "took"),
            name_w + dur_w,
            axis,
        );
        if bar_w >= 12 {
            let total_ms = total / 1e6;
            let ticks = [
                (0usize, 0.0),
                (bar_w / 2, total_ms / 2.0),
                (bar_w, total_ms),
            ];
            for (col, ms) in ticks {
                let text = if ms == 0.0 {
                    "0".to_string()
                } else {
                    fmt::ms(Some(ms))
                };
                let label = format!("┬{text}");
                let w = label.chars().count();
                // The last label ends at the right edge, the others start at their tick.
                let x = if col == bar_w {
                    bar_w.saturating_sub(w)
                } else {
                    col
                };
                let label = if col == bar_w {
                    format!("{text}┬")
                } else {
                    label
                };
                buf.set_stringn(bar_x + x as u16, area.y, label, bar_w - x, axis);
            }
        }
        let area = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        let h = area.height as usize;
        // Keep the selected row on screen.
        let first = self
            .selected
            .saturating_sub(h.saturating_sub(1))
            .min(self.rows.len().saturating_sub(h));
        for (line, row) in self.rows.iter().enumerate().skip(first).take(h) {
            let y = area.y + (line - first) as u16;
            let s = &spans[row.span];
            let selected = line == self.selected;
            let depth = (row.depth as usize).min(name_w / 3);
            let marker = if row.fault {
                "▲ "
            } else if row.error {
                "✗ "
            } else if depth > 0 {
                "└ "
            } else {
                ""
            };
            let label = format!(
                "{}{}{}: {}",
                " ".repeat(depth.saturating_sub(1)),
                marker,
                s.service,
                s.name
            );
            let mut name_style = match (row.fault, row.error) {
                (true, _) => Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
                (_, true) => Style::new().fg(Color::Red),
                _ => Style::new(),
            };
            if selected {
                name_style = name_style.add_modifier(if self.focused {
                    Modifier::REVERSED
                } else {
                    Modifier::BOLD
                });
            }
            buf.set_stringn(
                area.x,
                y,
                format!("{:<name_w$}", fmt::fit(&label, name_w)),
                name_w,
                name_style,
            );
            let dur = format!("{:>w$}", fmt::ms(Some(s.duration_ms)), w = dur_w);
            buf.set_stringn(
                area.x + name_w as u16,
                y,
                dur,
                dur_w,
                Style::new().fg(Color::DarkGray),
            );
            if bar_w == 0 {
                continue;
            }
            let col = |t: u64| -> usize {
                ((t.saturating_sub(t0) as f64 / total) * bar_w as f64)
                    .floor()
                    .clamp(0.0, bar_w as f64 - 1.0) as usize
            };
            let (a, b) = (
                col(s.start_unix_nano),
                col(s.end_unix_nano).max(col(s.start_unix_nano)),
            );
            let style = bar_style(row, &s.service);
            for x in a..=b {
                buf[(bar_x + x as u16, y)].set_symbol("█").set_style(style);
            }
            for e in &s.events {
                let x = col(e.time_unix_nano);
                let es = if e.name == crate::trace_tree::FAULT_EVENT {
                    Style::new()
                        .fg(Color::White)
                        .bg(Color::Magenta)
                        .add_modifier(Modifier::BOLD)
                } else {
                    Style::new().fg(Color::Yellow)
                };
                buf[(bar_x + x as u16, y)].set_symbol("◆").set_style(es);
            }
        }
    }
}

//! The trace waterfall: one row per span, nested under its parent, a bar on
//! the trace's time axis. Errors are red, spans carrying an injected fault
//! magenta with a `▲` before the name, events are `◆` marks on the bars.
//!
//! ```text
//! bravo: POST /api/checkout        812ms ████████████████████████████████
//!  └ delta: checkout                 790ms  ██████████████████████████████
//!   ▲ echo: charge                   610ms        ███████◆██████████████
//!     ┆ WARN attempt 1 timed out after 250ms
//! ```
//!
//! The selected span's log records (matched by span id) are listed under
//! it, up to [`MAX_LOG_LINES`].

use chaoslab_contract::wire::hub::{LogView, TraceDetail};
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
    /// The trace's log records; the selected span's are shown under it.
    pub logs: &'a [LogView],
}

/// Most log lines shown under the selected span.
pub const MAX_LOG_LINES: usize = 4;

/// A line of the waterfall.
enum Item<'b> {
    Span(usize),
    Log(&'b LogView),
    More(usize),
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
        let selected_id = self
            .rows
            .get(self.selected)
            .and_then(|r| spans.get(r.span))
            .map(|s| s.span_id.as_str());
        let mut items = Vec::with_capacity(self.rows.len() + MAX_LOG_LINES + 1);
        let mut under = 0;
        for i in 0..self.rows.len() {
            items.push(Item::Span(i));
            if i == self.selected {
                let mine: Vec<&LogView> = self
                    .logs
                    .iter()
                    .filter(|l| l.span_id.as_deref() == selected_id)
                    .collect();
                for l in mine.iter().take(MAX_LOG_LINES) {
                    items.push(Item::Log(l));
                }
                if mine.len() > MAX_LOG_LINES {
                    items.push(Item::More(mine.len() - MAX_LOG_LINES));
                }
                under = mine.len().min(MAX_LOG_LINES + 1);
            }
        }
        // Keep the selected row, and its log lines when they fit, on screen.
        let sel = self.selected.min(self.rows.len().saturating_sub(1));
        let first = (sel + under)
            .saturating_sub(h.saturating_sub(1))
            .min(items.len().saturating_sub(h))
            .min(sel);
        for (k, item) in items.iter().enumerate().skip(first).take(h) {
            let y = area.y + (k - first) as u16;
            let line = match item {
                Item::Span(i) => *i,
                Item::Log(l) => {
                    let text = format!("    ┆ {:<5} {}", l.level, l.body.replace('\n', " "));
                    let w = area.width as usize;
                    buf.set_stringn(
                        area.x,
                        y,
                        fmt::fit(&text, w),
                        w,
                        super::logs::level_style(&l.level),
                    );
                    continue;
                }
                Item::More(n) => {
                    buf.set_stringn(
                        area.x,
                        y,
                        format!("    ┆ … {n} more (Logs screen)"),
                        area.width as usize,
                        Style::new().fg(Color::DarkGray),
                    );
                    continue;
                }
            };
            let row = &self.rows[line];
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

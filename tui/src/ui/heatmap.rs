//! The latency heatmap of the Service screen: time left to right, latency
//! buckets bottom (fast) to top (slow), each cell shaded by the requests
//! per second that fell in it, relative to the busiest cell. Adjacent
//! buckets are merged when there are more than rows.
//!
//! ```text
//!  >1s   ·····················▒▒▓▓
//!  ≤250ms····░░░░░░░░░░░░░░░░░░░░░
//!  ≤10ms ████████████████████▓▓▓▓▓
//! ```

use chaoslab_contract::wire::hub::Heatmap;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Widget;

use super::fmt;

/// The widget.
#[derive(Debug, Clone, Copy)]
pub struct HeatmapView<'a> {
    pub map: &'a Heatmap,
}

const SHADES: [&str; 5] = ["·", "░", "▒", "▓", "█"];

/// Bucket labels and rates merged into at most `rows` bands (fast first).
pub fn bands(map: &Heatmap, rows: usize) -> Vec<(String, Vec<f64>)> {
    let n = map.bounds_ms.len();
    if n == 0 || rows == 0 {
        return Vec::new();
    }
    let per = n.div_ceil(rows);
    (0..n)
        .step_by(per)
        .map(|start| {
            let end = (start + per).min(n);
            let label = match map.bounds_ms[end - 1] {
                Some(b) => format!("≤{}", fmt::ms(Some(b))),
                None => match start.checked_sub(1).and_then(|i| map.bounds_ms[i]) {
                    Some(b) => format!(">{}", fmt::ms(Some(b))),
                    None => "all".to_string(),
                },
            };
            let rates = map
                .columns
                .iter()
                .map(|c| c.rates.get(start..end).map_or(0.0, |r| r.iter().sum()))
                .collect();
            (label, rates)
        })
        .collect()
}

impl Widget for HeatmapView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < 12 || area.height == 0 {
            return;
        }
        let label_w = 8u16;
        let bands = bands(self.map, area.height as usize);
        let cols = (area.width - label_w) as usize;
        let max = bands
            .iter()
            .flat_map(|(_, r)| r.iter().copied())
            .fold(0.0f64, f64::max);
        for (row, (label, rates)) in bands.iter().enumerate() {
            let y = area.bottom() - 1 - row as u16;
            buf.set_stringn(
                area.x,
                y,
                format!("{label:<w$}", w = label_w as usize),
                label_w as usize,
                Style::new().fg(Color::DarkGray),
            );
            let skip = rates.len().saturating_sub(cols);
            for (i, r) in rates.iter().skip(skip).enumerate() {
                let level = if max <= 0.0 || *r <= 0.0 {
                    0
                } else {
                    1 + ((r / max) * 3.999) as usize
                };
                let color = match level {
                    0 => Color::DarkGray,
                    1 => Color::Blue,
                    2 => Color::Cyan,
                    3 => Color::Yellow,
                    _ => Color::Red,
                };
                buf[(area.x + label_w + i as u16, y)]
                    .set_symbol(SHADES[level.min(4)])
                    .set_style(Style::new().fg(color));
            }
        }
    }
}

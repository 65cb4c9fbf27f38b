//! Number formatting, colours and sparklines shared by the screens.

use chaoslab_contract::wire::hub::{CircuitState, Health};
use ratatui::style::{Color, Modifier, Style};

/// `0.42ms`, `12ms`, `1.25s`, or `-` when absent.
pub fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if !v.is_finite() => "-".into(),
        Some(v) if v < 1.0 => format!("{v:.2}ms"),
        Some(v) if v < 1000.0 => format!("{v:.0}ms"),
        Some(v) => format!("{:.2}s", v / 1000.0),
    }
}

/// Requests per second: `0.3`, `12.5`, `1.2k`.
pub fn rate(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1}k", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A ratio 0..=1 as a percentage: `0.0%`, `12.5%`.
pub fn pct(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// Seconds left: `42s`, `3m05s`, `∞`.
pub fn countdown(ms: Option<u64>) -> String {
    match ms {
        None => "∞".into(),
        Some(ms) => {
            let s = ms.div_ceil(1000);
            if s >= 60 {
                format!("{}m{:02}s", s / 60, s % 60)
            } else {
                format!("{s}s")
            }
        }
    }
}

/// Colour of a node's health.
pub fn health_color(h: Health) -> Color {
    match h {
        Health::Up => Color::Green,
        Health::Degraded => Color::Yellow,
        Health::Down => Color::Red,
        Health::Unknown => Color::Gray,
    }
}

/// Word for a node's health.
pub fn health_word(h: Health) -> &'static str {
    match h {
        Health::Up => "up",
        Health::Degraded => "degraded",
        Health::Down => "down",
        Health::Unknown => "unknown",
    }
}

/// Colour of an error ratio: green below 1%, yellow below 5%, red above.
pub fn error_color(ratio: f64) -> Color {
    if ratio >= 0.05 {
        Color::Red
    } else if ratio >= 0.01 {
        Color::Yellow
    } else {
        Color::Green
    }
}

/// Word and style of a breaker state.
pub fn circuit(c: CircuitState) -> (&'static str, Style) {
    match c {
        CircuitState::Closed => ("closed", Style::new().fg(Color::Green)),
        CircuitState::HalfOpen => (
            "half-open",
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        CircuitState::Open => (
            "OPEN",
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ),
        CircuitState::Unknown => ("-", Style::new().fg(Color::Gray)),
    }
}

/// A stable colour per service name, for waterfall bars.
pub fn service_color(name: &str) -> Color {
    const PALETTE: [Color; 6] = [
        Color::Cyan,
        Color::Blue,
        Color::Green,
        Color::LightBlue,
        Color::LightGreen,
        Color::LightCyan,
    ];
    let h = name
        .bytes()
        .fold(5381u32, |h, b| h.wrapping_mul(33) ^ b as u32);
    PALETTE[h as usize % PALETTE.len()]
}

/// The last `width` values as block characters scaled to their maximum.
pub fn sparkline(values: &[f64], width: usize) -> String {
    sparkline_scaled(values, width, 0.0)
}

/// Like [`sparkline`], with full scale at least `min_full` (so a steady
/// 1% error ratio does not fill the cell when full means 10%).
pub fn sparkline_scaled(values: &[f64], width: usize, min_full: f64) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(min_full, f64::max);
    tail.iter()
        .map(|&v| {
            if max <= 0.0 || !v.is_finite() {
                BARS[0]
            } else {
                BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

/// Cuts `s` to `width` characters, ending with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(ms(Some(0.5)), "0.50ms");
        assert_eq!(ms(Some(45.2)), "45ms");
        assert_eq!(ms(Some(1250.0)), "1.25s");
        assert_eq!(ms(None), "-");
        assert_eq!(pct(0.125), "12.5%");
        assert_eq!(countdown(Some(65_000)), "1m05s");
        assert_eq!(countdown(Some(1)), "1s");
        assert_eq!(sparkline(&[0.0, 1.0, 2.0], 2), "▅█");
        assert_eq!(fit("charlie", 5), "char…");
    }
}

//! A small parser for the Prometheus text exposition format (0.0.4).
//!
//! Written by hand rather than with `prometheus-parse` 0.2: that crate finds
//! the label block with the pattern `\{[^}]+\}`, so a label value holding a
//! brace (every axum route template, e.g. `http_route="/api/products/{id}"`)
//! cuts the line short, and it splits labels without honouring escapes.
//! Here label values are read with their escapes (`\\`, `\"`, `\n`), comments
//! and `# TYPE`/`# HELP` lines are skipped (histograms are recognised by
//! their `_bucket`/`le` series downstream), and timestamps are ignored.

use std::fmt;

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    /// In the order written.
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Where and why a line does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based.
    pub line: usize,
    /// 1-based, in bytes.
    pub column: usize,
    pub message: String,
}

/// Parses a whole exposition page.
pub fn parse(text: &str) -> Result<Vec<Sample>, ParseError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let sample = LineParser {
            s: trimmed.as_bytes(),
            pos: 0,
        }
        .sample()
        .map_err(|(col, message)| ParseError {
            line: i + 1,
            column: indent + col + 1,
            message,
        })?;
        out.push(sample);
    }
    Ok(out)
}

struct LineParser<'a> {
    s: &'a [u8],
    pos: usize,
}

type Fail = (usize, String);

impl LineParser<'_> {
    fn fail<T>(&self, msg: impl fmt::Display) -> Result<T, Fail> {
        Err((self.pos, msg.to_string()))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn name(&mut self, what: &str) -> Result<String, Fail> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            let ok = c.is_ascii_alphabetic()
                || c == b'_'
                || c == b':'
                || (self.pos > start && c.is_ascii_digit());
            if !ok {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return self.fail(format!("expected a {what}"));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn sample(mut self) -> Result<Sample, Fail> {
        let name = self.name("metric name")?;
        self.skip_ws();
        let mut labels = Vec::new();
        if self.peek() == Some(b'{') {
            self.pos += 1;
            loop {
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    break;
                }
                let key = self.name("label name")?;
                self.skip_ws();
                if self.peek() != Some(b'=') {
                    return self.fail("expected '=' after the label name");
                }
                self.pos += 1;
                self.skip_ws();
                let value = self.quoted()?;
                labels.push((key, value));
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {}
                    _ => return self.fail("expected ',' or '}' after a label"),
                }
            }
        }
        self.skip_ws();
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c != b' ' && c != b'\t') {
            self.pos += 1;
        }
        let token = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
        let value = match parse_value(token) {
            Some(v) => v,
            None => {
                self.pos = start;
                return self.fail(format!("expected a number, found {token:?}"));
            }
        };
        Ok(Sample {
            name,
            labels,
            value,
        })
    }

    fn quoted(&mut self) -> Result<String, Fail> {
        if self.peek() != Some(b'"') {
            return self.fail("expected '\"' to open the label value");
        }
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return self.fail("unterminated label value"),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'n') => out.push(b'\n'),
                        Some(b'\\') => out.push(b'\\'),
                        Some(b'"') => out.push(b'"'),
                        Some(c) => out.extend_from_slice(&[b'\\', c]),
                        None => return self.fail("unterminated label value"),
                    }
                    self.pos += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// A sample value: a float, `+Inf`, `-Inf` or `NaN`.
pub fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_histogram_lines_with_braces_in_labels() {
        let text = r#"
# HELP http_server_request_duration_seconds Duration
# TYPE http_server_request_duration_seconds histogram
http_server_request_duration_seconds_bucket{service="catalog",http_route="/api/products/{id}",le="0.005"} 3
http_server_request_duration_seconds_bucket{service="catalog",http_route="/api/products/{id}",le="+Inf"} 7 1700000000000
http_server_request_duration_seconds_sum{service="catalog",http_route="/api/products/{id}"} 0.25
up 1
weird{a="x\"y\\z\nw",} NaN
"#;
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 5);
        assert_eq!(s[0].labels[1].1, "/api/products/{id}");
        assert_eq!(s[1].labels[2], ("le".to_string(), "+Inf".to_string()));
        assert_eq!(s[1].value, 7.0);
        assert_eq!(s[3].name, "up");
        assert_eq!(s[4].labels[0].1, "x\"y\\z\nw");
        assert!(s[4].value.is_nan());
    }

    #[test]
    fn reports_line_and_column() {
        let err = parse("ok 1\nbad{a=\"x\" 2\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 11));
        let err = parse("ok one\n").unwrap_err();
        assert_eq!((err.line, err.column), (1, 4));
        assert!(err.message.contains("number"));
    }
}

//! The trace filter typed after `/` on the Traces screen.
//!
//! Words, in any order, separated by spaces:
//!
//! | word | meaning |
//! |---|---|
//! | `err`, `error`, `errors` | only traces with an error span |
//! | `fault`, `faults`, `chaos` | only traces that carry an injected fault |
//! | `slow` | only traces of 500 ms or more |
//! | `>250`, `>250ms`, `>1.5s` | only traces at least that long |
//! | `service=NAME`, `svc=NAME` or a bare service name | only traces touching it |
//! | any other word, e.g. `checkout` | only traces whose root names it (among those listed) |
//! | 8 to 32 hex digits | the trace whose id starts with them |

use chaoslab_contract::client::TraceQuery;

/// The parsed filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceFilter {
    /// Only traces touching this service.
    pub service: Option<String>,
    /// Only traces with an error span.
    pub errors_only: bool,
    /// Only traces with an injected fault.
    pub faults_only: bool,
    /// Only traces at least this long, ms.
    pub min_duration_ms: Option<f64>,
    /// A trace id or a prefix of one (lowercase hex).
    pub trace_id: Option<String>,
    /// Words the root span's service or name must contain (matched on the
    /// listing the hub returned, case-insensitively).
    pub words: Vec<String>,
}

/// A filter word that means nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter: {0}")]
pub struct FilterError(pub String);

/// The duration the word `slow` stands for, ms.
pub const SLOW_MS: f64 = 500.0;

impl TraceFilter {
    /// Parses the text typed after `/`; every bare word is a service name.
    pub fn parse(text: &str) -> Result<TraceFilter, FilterError> {
        Self::parse_with(text, None)
    }

    /// Parses the text typed after `/`; a bare word is a service when it is
    /// one of `services`, else a word the root span must contain.
    pub fn parse_with(text: &str, services: Option<&[String]>) -> Result<TraceFilter, FilterError> {
        let mut f = TraceFilter::default();
        for word in text.split_whitespace() {
            let lower = word.to_ascii_lowercase();
            match lower.as_str() {
                "err" | "error" | "errors" => f.errors_only = true,
                "fault" | "faults" | "chaos" => f.faults_only = true,
                "slow" => f.min_duration_ms = Some(SLOW_MS),
                _ => {
                    if let Some(rest) = lower.strip_prefix('>') {
                        f.min_duration_ms = Some(parse_duration_ms(rest)?);
                    } else if let Some((key, value)) = lower.split_once('=') {
                        match key {
                            "service" | "svc" | "s" if !value.is_empty() => {
                                f.service = Some(value.to_string())
                            }
                            "trace" | "id" if is_hex(value) => f.trace_id = Some(value.to_string()),
                            _ => return Err(FilterError(format!("unknown filter word {word:?}"))),
                        }
                    } else if lower.len() >= 8 && is_hex(&lower) && lower.len() <= 32 {
                        f.trace_id = Some(lower);
                    } else if services.is_none_or(|known| known.contains(&lower)) {
                        f.service = Some(lower);
                    } else {
                        f.words.push(lower);
                    }
                }
            }
        }
        Ok(f)
    }

    /// The hub query this filter asks for (the trace id is matched here,
    /// on the listing, as a prefix).
    pub fn query(&self, limit: usize) -> TraceQuery {
        TraceQuery {
            service: self.service.clone(),
            errors_only: self.errors_only,
            min_duration_ms: self.min_duration_ms,
            faults_only: self.faults_only,
            limit: Some(limit),
        }
    }

    /// Whether a listed trace passes the parts the hub does not filter
    /// (trace id prefix, root words).
    pub fn keeps(&self, t: &chaoslab_contract::wire::hub::TraceSummary) -> bool {
        let id_ok = self
            .trace_id
            .as_ref()
            .is_none_or(|p| t.trace_id.starts_with(p.as_str()));
        let root = format!("{} {}", t.root_service, t.root_name).to_lowercase();
        id_ok && self.words.iter().all(|w| root.contains(w.as_str()))
    }

    /// Whether nothing is filtered.
    pub fn is_empty(&self) -> bool {
        *self == TraceFilter::default()
    }

    /// A short description for the list title.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.service {
            parts.push(format!("service={s}"));
        }
        if self.errors_only {
            parts.push("errors".to_string());
        }
        if self.faults_only {
            parts.push("faults".to_string());
        }
        if let Some(ms) = self.min_duration_ms {
            parts.push(format!(">{ms}ms"));
        }
        if let Some(id) = &self.trace_id {
            parts.push(format!("id={id}"));
        }
        for w in &self.words {
            parts.push(format!("~{w}"));
        }
        if parts.is_empty() {
            "all".to_string()
        } else {
            parts.join(" ")
        }
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn parse_duration_ms(s: &str) -> Result<f64, FilterError> {
    let bad = || FilterError(format!("bad duration {s:?}; write e.g. >250ms or >1.5s"));
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.parse().map_err(|_| bad())?;
    if !v.is_finite() || v < 0.0 {
        return Err(bad());
    }
    Ok(v * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_combine() {
        let f = TraceFilter::parse("delta errors >1.5s").unwrap();
        assert_eq!(f.service.as_deref(), Some("delta"));
        assert!(f.errors_only);
        assert_eq!(f.min_duration_ms, Some(1500.0));
        let f = TraceFilter::parse("4bf92f3577b34da6").unwrap();
        assert_eq!(f.trace_id.as_deref(), Some("4bf92f3577b34da6"));
        assert!(TraceFilter::parse("").unwrap().is_empty());
    }

    #[test]
    fn bad_words_are_named() {
        let e = TraceFilter::parse(">fast").unwrap_err();
        assert!(e.to_string().contains("fast"), "{e}");
        assert!(TraceFilter::parse("colour=red").is_err());
    }

    #[test]
    fn unknown_bare_words_match_the_root() {
        let known = vec!["delta".to_string()];
        let f = TraceFilter::parse_with("delta Checkout", Some(&known)).unwrap();
        assert_eq!(f.service.as_deref(), Some("delta"));
        assert_eq!(f.words, vec!["checkout".to_string()]);
        assert!(f.describe().contains("~checkout"));
    }
}

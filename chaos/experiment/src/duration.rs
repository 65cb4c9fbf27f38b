//! Durations as experiment files write them: `250ms`, `5s`, `2m`, `1m30s`.
//!
//! A bare number is refused on purpose: `timeout: 5` could mean seconds or
//! milliseconds, and a lesson that silently waits a thousand times too long
//! teaches nothing.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A duration read from an experiment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dur(pub Duration);

/// The hint every bad duration carries.
pub const DURATION_HINT: &str = "expected a number with a unit, like 250ms, 5s, 2m or 1m30s";

impl Dur {
    /// Parses `250ms`, `5s`, `1m30s`...
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() || t.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(format!("bad duration `{text}`: {DURATION_HINT}"));
        }
        humantime::parse_duration(t)
            .map(Dur)
            .map_err(|e| format!("bad duration `{text}`: {e}; {DURATION_HINT}"))
    }

    /// This duration multiplied by `scale` (for short CI runs).
    pub fn scaled(self, scale: f64) -> Duration {
        scale_duration(self.0, scale)
    }

    /// Milliseconds.
    pub fn as_millis(self) -> u64 {
        self.0.as_millis() as u64
    }
}

/// `d * scale`, with a non-finite or negative scale read as 1.
pub fn scale_duration(d: Duration, scale: f64) -> Duration {
    if scale.is_finite() && scale >= 0.0 {
        d.mul_f64(scale)
    } else {
        d
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DURATION_HINT)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                Dur::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Err(E::custom(format!("bad duration `{v}`: {DURATION_HINT}")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                Err(E::custom(format!("bad duration `{v}`: {DURATION_HINT}")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                Err(E::custom(format!("bad duration `{v}`: {DURATION_HINT}")))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_required() {
        assert_eq!(Dur::parse("250ms").unwrap().0, Duration::from_millis(250));
        assert_eq!(Dur::parse("1m30s").unwrap().0, Duration::from_secs(90));
        assert!(Dur::parse("5").unwrap_err().contains("bad duration `5`"));
        assert!(Dur::parse("5 parsecs").is_err());
        assert_eq!(
            Dur(Duration::from_secs(10)).scaled(0.5),
            Duration::from_secs(5)
        );
    }
}

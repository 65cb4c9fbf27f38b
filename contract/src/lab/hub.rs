//! The lab file's `[hub]` table: the hub's store budgets and value cap.
//!
//! ```toml
//! [hub]
//! trace_bytes = "256MB"     # the trace store's byte budget
//! log_bytes = "64MB"        # the log store's byte budget
//! attr_value_max = "4KB"    # longest string value kept; longer ones are cut
//! ```
//!
//! Sizes are strings with a unit (KB, MB, GB; powers of 1024) or integers
//! (bytes). A key left out keeps the hub's default.

use super::raw::RawHub;
use crate::FileError;
use crate::error::Locator;
use crate::size::{MIN_ATTR_VALUE_MAX, MIN_STORE_BYTES, parse_bytes};
use toml::Spanned;

/// The hub settings a lab file gives; `None`: the hub's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HubSettings {
    /// The trace store's byte budget.
    pub trace_bytes: Option<usize>,
    /// The log store's byte budget.
    pub log_bytes: Option<usize>,
    /// Longest string value kept in a span or log record, bytes.
    pub attr_value_max: Option<usize>,
}

impl HubSettings {
    /// The hub's command-line flags for these settings (none for a default).
    pub fn hub_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (flag, v) in [
            ("--trace-bytes", self.trace_bytes),
            ("--log-bytes", self.log_bytes),
            ("--attr-value-max", self.attr_value_max),
        ] {
            if let Some(v) = v {
                out.extend([flag.to_string(), v.to_string()]);
            }
        }
        out
    }
}

/// Reads and checks `[hub]`.
pub(super) fn settings(
    raw: Option<&Spanned<RawHub>>,
    at: &Locator,
) -> Result<HubSettings, FileError> {
    let Some(raw) = raw.map(Spanned::get_ref) else {
        return Ok(HubSettings::default());
    };
    let store =
        |key: &str, v: &Option<Spanned<toml::Value>>| size(v, key, MIN_STORE_BYTES, "1MB", at);
    Ok(HubSettings {
        trace_bytes: store("trace_bytes", &raw.trace_bytes)?,
        log_bytes: store("log_bytes", &raw.log_bytes)?,
        attr_value_max: size(
            &raw.attr_value_max,
            "attr_value_max",
            MIN_ATTR_VALUE_MAX,
            "64 bytes",
            at,
        )?,
    })
}

fn size(
    v: &Option<Spanned<toml::Value>>,
    key: &str,
    min: usize,
    min_text: &str,
    at: &Locator,
) -> Result<Option<usize>, FileError> {
    let Some(v) = v else { return Ok(None) };
    let err = |m: String| at.error(Some(v.span()), format!("hub.{key}"), m);
    let n = match v.get_ref() {
        toml::Value::Integer(n) => usize::try_from(*n).map_err(|_| {
            err(format!(
                "{n} is not a size (bytes, or a string such as \"256MB\")"
            ))
        })?,
        toml::Value::String(s) => parse_bytes(s).map_err(err)?,
        other => {
            return Err(err(format!(
                "expected a size (bytes, or a string such as \"256MB\"), got a {}",
                other.type_str()
            )));
        }
    };
    if n < min {
        return Err(err(format!("must be at least {min_text}, got {n} bytes")));
    }
    Ok(Some(n))
}

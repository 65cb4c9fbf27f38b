//! Reading an experiment file: YAML into [`Experiment`], then the checks
//! against the lab file's model ([`crate::check`]), before any lab is touched. Every refusal is an
//! [`ExperimentError`] naming the file, line, column and field.

use std::path::Path;

use serde_saphyr::{Location, Spanned};

use crate::check;
use crate::error::ExperimentError;
use crate::model::Experiment;
use chaoslab_contract::Lab;

/// Reads and checks one experiment file.
pub fn validate_file(path: &Path, lab: &Lab) -> Result<Experiment, ExperimentError> {
    let error = |line, column, message| ExperimentError {
        file: path.to_path_buf(),
        line,
        column,
        field: ".".to_string(),
        message,
    };
    let bytes =
        std::fs::read(path).map_err(|e| error(0, 0, format!("cannot read the file: {e}")))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let (line, column) = line_column(&bytes[..e.valid_up_to()]);
        let byte = bytes[e.valid_up_to()];
        error(
            line,
            column,
            format!(
                "not a text file: byte 0x{byte:02x} is not UTF-8 (experiment files are YAML text)"
            ),
        )
    })?;
    if let Some(at) = text.find('\0') {
        let (line, column) = line_column(&bytes[..at]);
        return Err(error(
            line,
            column,
            "not a text file: a NUL byte (experiment files are YAML text)".into(),
        ));
    }
    validate_str(text, path, lab)
}

/// The 1-based line and column just after `before` (columns count characters).
fn line_column(before: &[u8]) -> (u32, u32) {
    let text = String::from_utf8_lossy(before);
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, column as u32)
}

/// Parses and checks experiment text against `lab`; `file` is only used in errors.
pub fn validate_str(text: &str, file: &Path, lab: &Lab) -> Result<Experiment, ExperimentError> {
    let mut field = String::new();
    let parsed = serde_saphyr::with_deserializer_from_str(text, |de| {
        serde_path_to_error::deserialize::<_, Experiment>(de).map_err(|e| {
            field = e.path().to_string();
            e.into_inner()
        })
    });
    let exp = parsed.map_err(|e| from_yaml(file, &field, &e))?;
    check::experiment(&exp, lab).map_err(|issue| issue.into_error(file))?;
    Ok(exp)
}

/// A problem found after parsing: where, which field, what.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub line: u32,
    pub column: u32,
    pub field: String,
    pub message: String,
}

impl Issue {
    /// An issue at a spanned value.
    pub fn at<T>(span: &Spanned<T>, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::at_location(&span.referenced, field, message)
    }

    /// An issue at a location.
    pub fn at_location(
        loc: &Location,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Issue {
            line: loc.line() as u32,
            column: loc.column() as u32,
            field: field.into(),
            message: message.into(),
        }
    }

    fn into_error(self, file: &Path) -> ExperimentError {
        ExperimentError {
            file: file.to_path_buf(),
            line: self.line,
            column: self.column,
            field: self.field,
            message: self.message,
        }
    }
}

/// Turns a YAML or serde error into one that names the field in the file's
/// own terms (`unknown action`, `unknown probe`).
fn from_yaml(file: &Path, path: &str, e: &serde_saphyr::Error) -> ExperimentError {
    let (line, column) = e
        .location()
        .map(|l| (l.line() as u32, l.column() as u32))
        .unwrap_or((0, 0));
    let mut message = match e {
        serde_saphyr::Error::Budget { breach, .. } => budget_message(&format!("{breach:?}")),
        _ => clean_message(e),
    };
    // Raised inside a value, the breach comes back as text.
    if let Some(breach) = message.strip_prefix("budget breached: ") {
        message = budget_message(breach);
    }
    let mut field = clean_path(path);
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        field = join(&field, name);
    }
    if message.starts_with("unknown variant") {
        let what = if is_step(&field) {
            Some("action")
        } else if is_probe(&field) {
            Some("probe")
        } else if field.ends_with(".kind") {
            Some("fault kind")
        } else {
            None
        };
        if let Some(what) = what {
            message = message.replacen("unknown variant", &format!("unknown {what}"), 1);
        }
    }
    ExperimentError {
        file: file.to_path_buf(),
        line,
        column,
        field,
        message,
    }
}

/// What a YAML size limit is, in words: the limits are the YAML reader's
/// defaults, which keep a hostile file from eating the machine.
fn budget_message(breach: &str) -> String {
    let limits = serde_saphyr::Budget::default();
    let kind = breach.split([' ', '{']).next().unwrap_or("");
    let (what, limit) = match kind {
        "Nodes" => ("values (keys, items and scalars)", limits.max_nodes),
        "Events" => ("YAML events", limits.max_events),
        "Aliases" => ("aliases (`*name`)", limits.max_aliases),
        "Anchors" => ("anchors (`&name`)", limits.max_anchors),
        "Depth" => ("levels of nesting", limits.max_depth),
        "Documents" => ("YAML documents", limits.max_documents),
        "ScalarBytes" => ("bytes of text in values", limits.max_total_scalar_bytes),
        "MergeKeys" => ("merge keys (`<<`)", limits.max_merge_keys),
        _ => return format!("the file is too large for the YAML reader's limits ({breach})"),
    };
    format!("the file is too large: an experiment may have at most {limit} {what}")
}

/// `method[2]` or `rollbacks[0]`: a step itself, not a field inside it.
fn is_step(field: &str) -> bool {
    (field.starts_with("method[") || field.starts_with("rollbacks[")) && field.ends_with(']')
}

fn is_probe(field: &str) -> bool {
    field.starts_with("steady_state.probes[") && field.ends_with(']')
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() || base == "." {
        name.to_string()
    } else {
        format!("{base}.{name}")
    }
}

/// Drops the segments that serde wrappers add (`Spanned`'s `value`).
fn clean_path(path: &str) -> String {
    let cleaned: Vec<&str> = path
        .split('.')
        .filter(|seg| *seg != "value" && *seg != "?")
        .collect();
    let joined = cleaned.join(".");
    if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// The message alone: no `error:` prefix, no position, no snippet.
fn clean_message(e: &serde_saphyr::Error) -> String {
    if let serde_saphyr::Error::Message { msg, .. } = e {
        return strip_position(msg);
    }
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let first = match first.strip_prefix("line ") {
        Some(rest) => rest.split_once(": ").map(|(_, m)| m).unwrap_or(rest),
        None => first,
    };
    strip_position(first)
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains("column") => msg[..i].to_string(),
        _ => msg.to_string(),
    }
}

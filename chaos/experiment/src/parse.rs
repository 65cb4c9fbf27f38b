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
    let text = std::fs::read_to_string(path).map_err(|e| ExperimentError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        field: ".".to_string(),
        message: format!("cannot read the file: {e}"),
    })?;
    validate_str(&text, path, lab)
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
    let mut message = clean_message(e);
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

//! The two ways an experiment goes wrong before its hypothesis is judged: the
//! file is bad ([`ExperimentError`], with file, line, column and field), or
//! the lab could not be driven ([`RunError`]).

use std::path::PathBuf;

/// A bad experiment file. Displays as `file:line:column: field: message`, the
/// shape editors and CI logs turn into a link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {field}: {message}", file.display())]
pub struct ExperimentError {
    /// The file as it was given.
    pub file: PathBuf,
    /// 1-based line; 0 when the file could not be read at all.
    pub line: u32,
    /// 1-based column; 0 when unknown.
    pub column: u32,
    /// The dotted path of the offending field, e.g. `method[2].fault.duration`
    /// (`.` for the document itself).
    pub field: String,
    /// What is wrong, e.g. ``unknown action `explode`, expected one of ...``.
    pub message: String,
}

/// Something that stopped an experiment from running to its end: a lab
/// endpoint that does not answer or refuses an action, a held lock, Ctrl-C.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// Another run holds the lab's experiment lock.
    #[error("another experiment is running against this lab (pid {pid}, lock {})", lock.display())]
    Locked { pid: u32, lock: PathBuf },
    /// The lock file could not be made or read.
    #[error("experiment lock {}: {reason}", lock.display())]
    LockFile { lock: PathBuf, reason: String },
    /// The experiment names something the running lab does not have.
    #[error("{0}")]
    Lab(String),
    /// A call to a lab endpoint failed (transport or non-success status).
    #[error("{endpoint}: {message}")]
    Call { endpoint: String, message: String },
    /// The run was interrupted (Ctrl-C or the caller's cancel future).
    #[error("interrupted")]
    Interrupted,
    /// The experiment went past its `max_duration`.
    #[error("went past its max_duration of {0:?}")]
    Overran(std::time::Duration),
    /// The journal, JUnit or report file could not be written.
    #[error("writing {}: {reason}", path.display())]
    Output { path: PathBuf, reason: String },
}

impl RunError {
    /// A failed call to `endpoint` (a short description such as
    /// `agent POST /proxies/payments/toxics`).
    pub fn call(endpoint: impl Into<String>, message: impl std::fmt::Display) -> Self {
        RunError::Call {
            endpoint: endpoint.into(),
            message: message.to_string(),
        }
    }
}

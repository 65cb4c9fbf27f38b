//! The checker's error type: files that cannot be read or parsed.

use std::path::{Path, PathBuf};

/// A file the checks could not read or parse.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: invalid JSON: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: invalid YAML: {message}")]
    Yaml { path: PathBuf, message: String },
    #[error(transparent)]
    Lab(#[from] chaoslab_contract::FileError),
    #[error("prometheus at {url}: {message}")]
    Prometheus { url: String, message: String },
}

impl CheckError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

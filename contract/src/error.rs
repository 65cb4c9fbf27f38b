//! A problem in a file the lab reads (the lab file, a config overlay): the
//! file, the line and column (1-based; 0 when unknown), the key, and what is
//! wrong. Printed as `file:line:column: key: message`.

use std::ops::Range;

/// A file problem: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {key}: {message}")]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The dotted key, e.g. `services.api.depends_on`; empty for the file itself.
    pub key: String,
    pub message: String,
}

/// Makes [`FileError`]s for one file's text, turning byte spans into lines
/// and columns.
#[derive(Debug, Clone, Copy)]
pub struct Locator<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl<'a> Locator<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self { file, text }
    }

    /// An error at `span` (or at 0:0 without one).
    pub fn error(
        &self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> FileError {
        let (line, column) = span.map(|s| line_col(self.text, s.start)).unwrap_or((0, 0));
        FileError {
            file: self.file.to_string(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// A TOML syntax or shape error, at the place the parser names. The key is
    /// the last `key = ` before that place when the parser does not say.
    pub fn toml(&self, e: &toml::de::Error) -> FileError {
        let span = e.span();
        let key = span
            .clone()
            .map(|s| key_before(self.text, s.start))
            .unwrap_or_default();
        self.error(span, key, e.message().trim().to_string())
    }
}

/// An error about a file that could not be read.
pub fn unreadable(file: &str, e: &std::io::Error) -> FileError {
    FileError {
        file: file.to_string(),
        line: 0,
        column: 0,
        key: String::new(),
        message: format!("cannot read: {e}"),
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = match before.rfind('\n') {
        Some(i) => before[i + 1..].chars().count() + 1,
        None => before.chars().count() + 1,
    };
    (line, column)
}

/// The dotted key of the table header and `key =` in effect at `offset`,
/// e.g. `services.api.port`, for parser errors that carry only a place.
fn key_before(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    // Up to the end of the line holding `offset`, so a key on it counts.
    let end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    let mut table = String::new();
    let mut key = String::new();
    for line in text[..end].split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            table = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            key.clear();
        } else if let Some((k, _)) = t.split_once('=')
            && !t.starts_with('#')
        {
            key = k.trim().trim_matches('"').to_string();
        }
    }
    match (table.is_empty(), key.is_empty()) {
        (true, _) => key,
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn the_key_comes_from_the_header_and_the_assignment() {
        let text = "[services.api]\nport = \"x\"\n";
        assert_eq!(
            key_before(text, text.find("\"x").unwrap()),
            "services.api.port"
        );
    }
}

//! Which requests an HTTP fault applies to: method, path (prefix, or a glob
//! with `*` and `?` when it has either), and headers (exact value, name
//! case-insensitive). Empty fields match everything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A request filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Match {
    /// e.g. `GET`; case-insensitive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// A prefix (`/api/orders`) or a glob (`/api/*/items`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Header name to exact value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

impl Match {
    /// Whether a request matches.
    pub fn matches(&self, method: &str, path: &str, headers: &http::HeaderMap) -> bool {
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        if let Some(p) = &self.path {
            let ok = if p.contains('*') || p.contains('?') {
                glob(p.as_bytes(), path.as_bytes())
            } else {
                path.starts_with(p.as_str())
            };
            if !ok {
                return false;
            }
        }
        self.headers.iter().all(|(name, value)| {
            headers
                .get_all(name.as_str())
                .iter()
                .any(|v| v.as_bytes() == value.as_bytes())
        })
    }
}

/// `*` matches any run of bytes (slashes included), `?` any one byte.
pub fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_and_prefix() {
        assert!(glob(b"/api/*/items", b"/api/7/items"));
        assert!(glob(b"/api/*", b"/api/a/b"));
        assert!(!glob(b"/api/?", b"/api/ab"));
        assert!(glob(b"*", b""));
        let m = Match {
            path: Some("/api".into()),
            ..Match::default()
        };
        assert!(m.matches("GET", "/api/x", &http::HeaderMap::new()));
        assert!(!m.matches("GET", "/health", &http::HeaderMap::new()));
    }

    #[test]
    fn method_and_headers() {
        let mut headers = std::collections::BTreeMap::new();
        headers.insert("x-user".to_string(), "bob".to_string());
        let m = Match {
            method: Some("post".into()),
            path: None,
            headers,
        };
        let mut h = http::HeaderMap::new();
        h.insert("x-user", "bob".parse().unwrap());
        assert!(m.matches("POST", "/", &h));
        assert!(!m.matches("GET", "/", &h));
        assert!(!m.matches("POST", "/", &http::HeaderMap::new()));
    }
}

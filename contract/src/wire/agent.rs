//! The agent's proxies and toxics on the wire (Toxiproxy's API). Proxy and
//! toxic views are exactly Toxiproxy's; the only addition is `mode`, present
//! only on http-mode proxies (which exist only through the agent's
//! extension), so Toxiproxy clients never see it on the proxies they create.
//! `tests` below pins the serialized shape.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::ProxyMode;

fn is_tcp(mode: &ProxyMode) -> bool {
    *mode == ProxyMode::Tcp
}

/// A proxy as the API shows it: `{name, listen, upstream, enabled, toxics}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProxyView {
    pub name: String,
    /// The address it listens on, with the real port once listening.
    pub listen: String,
    /// The address it forwards to.
    pub upstream: String,
    /// False when the proxy is down (not listening).
    pub enabled: bool,
    /// Its toxics: upstream ones first, then downstream, each in creation order.
    #[serde(default)]
    pub toxics: Vec<ToxicView>,
    /// Only shown for http-mode proxies.
    #[serde(default, skip_serializing_if = "is_tcp")]
    pub mode: ProxyMode,
}

/// A toxic as the API shows it: `{name, type, stream, toxicity, attributes}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToxicView {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `upstream` (client to server) or `downstream`.
    pub stream: String,
    pub toxicity: f32,
    pub attributes: Value,
}

/// What creating a proxy takes (`POST /proxies`, `/populate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxySpec {
    #[serde(default)]
    pub name: String,
    /// Address to listen on; port 0 picks a free port (answered with the real one).
    #[serde(default)]
    pub listen: String,
    #[serde(default)]
    pub upstream: String,
    /// Defaults to true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Defaults to tcp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ProxyMode>,
}

impl ProxySpec {
    /// A tcp proxy spec, enabled.
    pub fn new(
        name: impl Into<String>,
        listen: impl Into<String>,
        upstream: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            listen: listen.into(),
            upstream: upstream.into(),
            enabled: None,
            mode: None,
        }
    }
    /// The same spec in http mode.
    pub fn http(mut self) -> Self {
        self.mode = Some(ProxyMode::Http);
        self
    }
}

/// What creating a toxic takes (`POST /proxies/{p}/toxics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToxicSpec {
    /// Defaults to `<type>_<stream>`.
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Defaults to `downstream`.
    #[serde(default = "default_stream")]
    pub stream: String,
    /// Defaults to 1.0.
    #[serde(default = "default_toxicity")]
    pub toxicity: f32,
    #[serde(default)]
    pub attributes: Value,
}

impl ToxicSpec {
    /// A downstream toxic with toxicity 1.
    pub fn new(kind: impl Into<String>, attributes: Value) -> Self {
        Self {
            name: String::new(),
            kind: kind.into(),
            stream: default_stream(),
            toxicity: 1.0,
            attributes,
        }
    }
}

fn default_stream() -> String {
    "downstream".to_string()
}

fn default_toxicity() -> f32 {
    1.0
}

/// A partial update of a proxy: missing fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProxyPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// A partial update of a toxic: attributes merge, toxicity replaces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToxicPatch {
    /// Toxiproxy's clients send the toxic whole; a `type` other than the
    /// toxic's own is refused (a toxic's type never changes).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub attributes: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toxicity: Option<f32>,
}

/// `GET /version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub version: String,
}

/// `POST /populate`'s answer (also its error answer, with `error`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Populated {
    #[serde(default)]
    pub proxies: Vec<ProxyView>,
}

#[cfg(test)]
mod tests;

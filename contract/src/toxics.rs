//! Toxics: Toxiproxy's faults on the bytes of a proxied connection, each
//! defined once, in one file of this folder: its name, its attributes (unit,
//! default, range), its rules, what it does to a connection's bytes and what
//! it does to an HTTP request. [`REGISTRY`] lists them; everything that
//! names a toxic reads it: the agent (its API and both data paths, in
//! `chaoslab-chaos`), `chaoslab run --check` and the experiment model, the
//! experiment JSON schema (`chaoslab schema`) and the dashboard's picker.
//!
//! Adding a toxic: one file here (a `pub const DEF: ToxicDef` and a type that
//! implements [`Toxic`]) and its name in the `registry!` list below.
//!
//! A toxic never sleeps and never does I/O: the agent's data paths read a
//! chunk, stamp it with the time it was read, and run it through the chain of
//! active toxics ([`Toxic::apply`]), which turn each [`Item`] into zero or
//! more items, each with the time it may be written at. So one task per
//! direction carries a connection, and the control API never waits on traffic.
//!
//! ```text
//!  read ──> Item::Data{at} ──> toxic 1 ──> toxic 2 ──> queue ──(when due)──> write
//!  EOF  ──> Item::Eof{at}  ──────────────────────────────────────────────> shutdown(Write)
//!  HTTP request ──> Toxic::http(): on the body (as above), or a delay, hold or reset of the message
//! ```

mod attrs;
mod model;

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use attrs::{Attr, Given, MAX_MS, MAX_RATE_KB, check_toxicity};
pub use model::{Attributes, Delay, HttpAct, Item, SlotState, Stage, Toxic};

/// Declares each toxic's module and lists its [`ToxicDef`] in [`REGISTRY`].
macro_rules! registry {
    ($($toxic:ident),* $(,)?) => {
        $(mod $toxic;)*
        /// Every toxic, in Toxiproxy's order: the one list of toxics.
        pub static REGISTRY: &[&ToxicDef] = &[$(&$toxic::DEF),*];
    };
}

registry! {
    latency,
    bandwidth,
    slow_close,
    timeout,
    reset_peer,
    slicer,
    limit_data,
    noop,
}

/// One toxic's definition: what the rest of the lab knows about it.
#[derive(Debug)]
pub struct ToxicDef {
    /// Its type, in Toxiproxy's spelling (`latency`).
    pub name: &'static str,
    /// One line: what it does.
    pub about: &'static str,
    /// Its attributes, in Toxiproxy's order, each with its default and range.
    pub attributes: &'static [Attr],
    /// Decodes the attributes (defaults filled in) into the toxic.
    decode: fn(Value) -> Result<Arc<dyn Toxic>, serde_json::Error>,
}

impl PartialEq for ToxicDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ToxicDef {}

/// Why a toxic could not be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BuildError {
    /// No toxic has this name.
    #[error("invalid toxic type")]
    UnknownKind,
    /// The attributes did not decode or broke a rule.
    #[error("bad request body: {0}")]
    BadAttributes(String),
}

/// The toxic named `kind`, if there is one.
pub fn find(kind: &str) -> Option<&'static ToxicDef> {
    REGISTRY.iter().copied().find(|d| d.name == kind)
}

/// Every toxic's name, in [`REGISTRY`] order.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|d| d.name)
}

/// Build a toxic of `kind` from `attributes` (null or an object; missing fields take defaults).
pub fn build(kind: &str, attributes: &Value) -> Result<Arc<dyn Toxic>, BuildError> {
    find(kind).ok_or(BuildError::UnknownKind)?.build(attributes)
}

/// Rebuild a toxic with some attributes changed: fields absent from `patch` keep their value.
pub fn rebuild(kind: &str, current: &Value, patch: &Value) -> Result<Arc<dyn Toxic>, BuildError> {
    find(kind)
        .ok_or(BuildError::UnknownKind)?
        .rebuild(current, patch)
}

impl ToxicDef {
    /// A definition; `decode` is `decode::<TheToxic>`.
    pub const fn new(
        name: &'static str,
        about: &'static str,
        attributes: &'static [Attr],
        decode: fn(Value) -> Result<Arc<dyn Toxic>, serde_json::Error>,
    ) -> Self {
        Self {
            name,
            about,
            attributes,
            decode,
        }
    }

    /// One attribute by name.
    pub fn attribute(&self, name: &str) -> Option<&'static Attr> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Every attribute at its default, as Toxiproxy serialises them.
    pub fn defaults(&self) -> Map<String, Value> {
        self.attributes
            .iter()
            .map(|a| (a.name.to_string(), Value::from(a.default)))
            .collect()
    }

    /// Build the toxic from `attributes` (null or an object; missing fields
    /// take their defaults), checking the attributes the request named.
    pub fn build(&self, attributes: &Value) -> Result<Arc<dyn Toxic>, BuildError> {
        self.make(self.defaults(), attributes, &Given::of(attributes))
    }

    /// The toxic with `patch` applied to its `current` attributes; only the
    /// patched ones are checked (the others were checked when they were set).
    pub fn rebuild(&self, current: &Value, patch: &Value) -> Result<Arc<dyn Toxic>, BuildError> {
        let mut base = self.defaults();
        if let Some(fields) = current.as_object() {
            base.extend(fields.clone());
        }
        self.make(base, patch, &Given::of(patch))
    }

    fn make(
        &self,
        mut base: Map<String, Value>,
        over: &Value,
        given: &Given,
    ) -> Result<Arc<dyn Toxic>, BuildError> {
        match over {
            Value::Null => {}
            Value::Object(fields) => base.extend(fields.clone()),
            other => {
                return Err(BuildError::BadAttributes(format!(
                    "attributes must be an object, got {other}"
                )));
            }
        }
        let bad = |e: String| BuildError::BadAttributes(format!("attributes: {e}"));
        let toxic = (self.decode)(Value::Object(base)).map_err(|e| bad(e.to_string()))?;
        let values = toxic.attributes();
        for attr in self.attributes.iter().filter(|a| given.has(a.name)) {
            let value = values.get(attr.name).and_then(Value::as_i64).unwrap_or(0);
            attr.check(value).map_err(bad)?;
        }
        toxic.validate().map_err(bad)?;
        Ok(toxic)
    }
}

/// Decode a toxic's attributes (the [`ToxicDef`] fills in the defaults first).
pub fn decode<T>(attributes: Value) -> Result<Arc<dyn Toxic>, serde_json::Error>
where
    T: Toxic + DeserializeOwned + 'static,
{
    Ok(Arc::new(serde_json::from_value::<T>(attributes)?))
}

#[cfg(test)]
mod tests;

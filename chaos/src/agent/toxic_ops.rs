//! Toxic operations: Toxiproxy's `/proxies/{p}/toxics...` semantics, in its
//! order of checks (stream, then type, then name clash, then attributes).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::Agent;
use crate::error::ApiError;
use crate::proxy::chain::{Direction, ToxicEntry};
use crate::proxy::{next_toxic_id, toxic_view};
use crate::toxics::{self, BuildError};
use crate::views::{ToxicPatch, ToxicSpec, ToxicView};

fn build_error(e: BuildError) -> ApiError {
    match e {
        BuildError::UnknownKind => ApiError::invalid_toxic_type(),
        BuildError::BadAttributes(detail) => ApiError::bad_body(detail),
    }
}

/// Views in Toxiproxy's order: upstream toxics, then downstream.
pub(crate) fn ordered(entries: &[Arc<ToxicEntry>]) -> Vec<ToxicView> {
    [Direction::Upstream, Direction::Downstream]
        .iter()
        .flat_map(|d| entries.iter().filter(move |t| t.direction == *d))
        .map(|t| toxic_view(t))
        .collect()
}

impl Agent {
    /// The toxics of a proxy.
    pub fn toxics(&self, proxy: &str) -> Result<Vec<ToxicView>, ApiError> {
        let proxy = self.get(proxy)?;
        let st = proxy.lock();
        Ok(ordered(&st.toxics))
    }

    /// One toxic.
    pub fn toxic(&self, proxy: &str, name: &str) -> Result<ToxicView, ApiError> {
        let proxy = self.get(proxy)?;
        let st = proxy.lock();
        st.toxics
            .iter()
            .find(|t| t.name == name)
            .map(|t| toxic_view(t))
            .ok_or_else(ApiError::toxic_not_found)
    }

    /// Add a toxic; with a `duration` it removes itself when that ends.
    pub fn add_toxic(
        self: &Arc<Self>,
        proxy: &str,
        spec: ToxicSpec,
        duration: Option<Duration>,
    ) -> Result<ToxicView, ApiError> {
        let proxy = self.get(proxy)?;
        let direction = Direction::parse(&spec.stream).ok_or_else(ApiError::invalid_stream)?;
        let name = if spec.name.is_empty() {
            format!("{}_{}", spec.kind, spec.stream)
        } else {
            spec.name.clone()
        };
        if toxics::find(&spec.kind).is_none() {
            return Err(ApiError::invalid_toxic_type());
        }
        let view = {
            let mut st = proxy.lock();
            if st.toxics.iter().any(|t| t.name == name) {
                return Err(ApiError::toxic_exists());
            }
            let toxic = toxics::build(&spec.kind, &spec.attributes).map_err(build_error)?;
            toxics::check_toxicity(spec.toxicity).map_err(ApiError::bad_body)?;
            let entry = Arc::new(ToxicEntry {
                id: next_toxic_id(),
                name: name.clone(),
                kind: spec.kind.clone(),
                stream: spec.stream.clone(),
                direction,
                toxicity: spec.toxicity,
                toxic,
                expires: duration.map(|d| Instant::now() + d),
            });
            st.toxics.push(entry.clone());
            proxy.publish(&st);
            toxic_view(&entry)
        };
        if let Some(duration) = duration {
            self.expire_toxic_later(proxy.name.clone(), name, duration);
        }
        self.publish_gauges();
        Ok(view)
    }

    fn expire_toxic_later(self: &Arc<Self>, proxy: String, name: String, duration: Duration) {
        let agent = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            let Some(agent) = agent.upgrade() else { return };
            let Ok(proxy) = agent.get(&proxy) else { return };
            let removed = {
                let mut st = proxy.lock();
                let before = st.toxics.len();
                let now = Instant::now();
                // Only the version that carried this expiry (an update keeps it).
                st.toxics
                    .retain(|t| !(t.name == name && t.expires.is_some_and(|e| e <= now)));
                let removed = st.toxics.len() != before;
                if removed {
                    proxy.publish(&st);
                }
                removed
            };
            if removed {
                agent.publish_gauges();
            }
        });
    }

    /// Change a toxic's attributes (merged) and toxicity.
    pub fn update_toxic(
        &self,
        proxy: &str,
        name: &str,
        patch: ToxicPatch,
    ) -> Result<ToxicView, ApiError> {
        let proxy = self.get(proxy)?;
        let mut st = proxy.lock();
        let index = st
            .toxics
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(ApiError::toxic_not_found)?;
        let old = st.toxics[index].clone();
        if let Some(kind) = patch.kind.as_deref().filter(|k| *k != old.kind) {
            return Err(ApiError::bad_body(format!(
                "type cannot be changed (toxic {name} is {}, got {kind}): remove it and add a new one",
                old.kind
            )));
        }
        if let Some(t) = patch.toxicity {
            toxics::check_toxicity(t).map_err(ApiError::bad_body)?;
        }
        let toxic = toxics::rebuild(&old.kind, &old.toxic.attributes(), &patch.attributes)
            .map_err(build_error)?;
        let entry = Arc::new(ToxicEntry {
            id: next_toxic_id(),
            name: old.name.clone(),
            kind: old.kind.clone(),
            stream: old.stream.clone(),
            direction: old.direction,
            toxicity: patch.toxicity.unwrap_or(old.toxicity),
            toxic,
            expires: old.expires,
        });
        st.toxics[index] = entry.clone();
        proxy.publish(&st);
        Ok(toxic_view(&entry))
    }

    /// Remove a toxic. Returns at once: links pick the change up themselves.
    pub fn remove_toxic(&self, proxy: &str, name: &str) -> Result<(), ApiError> {
        let proxy = self.get(proxy)?;
        {
            let mut st = proxy.lock();
            let index = st
                .toxics
                .iter()
                .position(|t| t.name == name)
                .ok_or_else(ApiError::toxic_not_found)?;
            st.toxics.remove(index);
            proxy.publish(&st);
        }
        self.publish_gauges();
        Ok(())
    }
}

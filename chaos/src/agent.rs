//! The agent: every proxy and every fault, and the operations the control API
//! (and the process that embeds the agent) performs on them.
//!
//! Layout: proxy operations here; toxic operations in `agent/toxic_ops.rs`;
//! the `/chaos` faults in `agent/fault_ops.rs` (HTTP, process),
//! `agent/down_ops.rs` (a proxy down, timed) and `agent/service_ops.rs` (in-service);
//! the `chaos_faults_active` gauges in `agent/gauges.rs`.

mod down_ops;
mod fault_ops;
mod gauges;
mod service_ops;
mod toxic_ops;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::config::AgentConfig;
use crate::control::LabControl;
use crate::error::ApiError;
use crate::faults::FaultBook;
use crate::proxy::{Proxy, resolve};
use crate::views::{ProxyPatch, ProxySpec, ProxyView};

pub(crate) use down_ops::DownTimer;
pub use fault_ops::{ActiveFault, FaultSource};

/// The chaos agent.
pub struct Agent {
    cfg: AgentConfig,
    control: Option<Arc<dyn LabControl>>,
    seed: u64,
    proxies: Mutex<BTreeMap<String, Arc<Proxy>>>,
    /// Serialises operations that check and change the set of proxies.
    registry: tokio::sync::Mutex<()>,
    /// Faults with an id and maybe a duration (HTTP, process).
    pub(crate) book: FaultBook,
    /// The (target, kind) gauge series last published, so gone ones drop to 0.
    gauges: Mutex<std::collections::HashSet<(String, String)>>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("seed", &self.seed)
            .field("proxies", &self.proxy_map().keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Agent {
    /// A new agent with no proxies. `control` lets it act on processes and
    /// services; without it those endpoints answer 501.
    pub fn new(cfg: AgentConfig, control: Option<Arc<dyn LabControl>>) -> Arc<Self> {
        let seed = cfg.seed.unwrap_or_else(rand::random);
        Arc::new(Self {
            cfg,
            control,
            seed,
            proxies: Mutex::new(BTreeMap::new()),
            registry: tokio::sync::Mutex::new(()),
            book: FaultBook::new(seed),
            gauges: Mutex::new(Default::default()),
        })
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &AgentConfig {
        &self.cfg
    }

    /// The seed in use (the configured one, or the one picked at random).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub(crate) fn control(&self) -> Option<&Arc<dyn LabControl>> {
        self.control.as_ref()
    }

    fn proxy_map(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<Proxy>>> {
        self.proxies.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self, name: &str) -> Result<Arc<Proxy>, ApiError> {
        self.proxy_map()
            .get(name)
            .cloned()
            .ok_or_else(ApiError::proxy_not_found)
    }

    pub(crate) fn all(&self) -> Vec<Arc<Proxy>> {
        self.proxy_map().values().cloned().collect()
    }

    /// Every proxy, by name.
    pub fn proxies(&self) -> BTreeMap<String, ProxyView> {
        self.all()
            .into_iter()
            .map(|p| (p.name.clone(), p.view()))
            .collect()
    }

    /// One proxy.
    pub fn proxy(&self, name: &str) -> Result<ProxyView, ApiError> {
        Ok(self.get(name)?.view())
    }

    fn proxy_seed(&self, name: &str) -> u64 {
        // FNV-1a of the name, mixed with the agent's seed: stable per proxy.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        h ^ self.seed
    }

    fn check_spec(spec: &ProxySpec, at: Option<usize>) -> Result<(), ApiError> {
        let suffix = at
            .map(|i| format!(" at proxy {}", i + 1))
            .unwrap_or_default();
        if spec.name.is_empty() {
            return Err(ApiError::missing(&format!("name{suffix}")));
        }
        if spec.upstream.is_empty() {
            return Err(ApiError::missing(&format!("upstream{suffix}")));
        }
        Ok(())
    }

    /// Create a proxy and start it unless `enabled` is false.
    pub async fn create_proxy(&self, spec: ProxySpec) -> Result<ProxyView, ApiError> {
        Self::check_spec(&spec, None)?;
        let _guard = self.registry.lock().await;
        if self.proxy_map().contains_key(&spec.name) {
            return Err(ApiError::proxy_exists());
        }
        let proxy = self.build(&spec);
        if spec.enabled.unwrap_or(true) {
            proxy.start().await?;
        }
        self.proxy_map().insert(spec.name.clone(), proxy.clone());
        self.publish_gauges();
        Ok(proxy.view())
    }

    fn build(&self, spec: &ProxySpec) -> Arc<Proxy> {
        Proxy::new(
            spec.name.clone(),
            spec.listen.clone(),
            spec.upstream.clone(),
            spec.mode.unwrap_or_default(),
            self.proxy_seed(&spec.name),
        )
    }

    /// Create or replace many proxies (Toxiproxy's `/populate`): all are checked
    /// first; an existing proxy is replaced only when its listen or upstream
    /// differs. On an error, the proxies handled so far are returned with it.
    pub async fn populate(
        &self,
        specs: Vec<ProxySpec>,
    ) -> Result<Vec<ProxyView>, (ApiError, Vec<ProxyView>)> {
        for (i, spec) in specs.iter().enumerate() {
            Self::check_spec(spec, Some(i)).map_err(|e| (e, Vec::new()))?;
            if let Some(first) = specs[..i].iter().position(|s| s.name == spec.name) {
                let e = ApiError::bad_body(format!(
                    "duplicate proxy name {:?} at proxies {} and {}",
                    spec.name,
                    first + 1,
                    i + 1
                ));
                return Err((e, Vec::new()));
            }
        }
        let _guard = self.registry.lock().await;
        let mut done = Vec::new();
        for spec in specs {
            let existing = self.proxy_map().get(&spec.name).cloned();
            if let Some(existing) = &existing {
                let view = existing.view();
                let same_listen =
                    resolve(&spec.listen).map(|a| a.to_string()).ok() == Some(view.listen.clone());
                if same_listen && view.upstream == spec.upstream {
                    done.push(view);
                    continue;
                }
            }
            let proxy = self.build(&spec);
            if let Some(existing) = &existing {
                existing.stop().await;
            }
            if spec.enabled.unwrap_or(true)
                && let Err(e) = proxy.start().await
            {
                if let Some(existing) = existing {
                    // Nothing changes for this one: bring the old proxy back.
                    let _ = existing.start().await;
                }
                return Err((e, done));
            }
            self.proxy_map().insert(spec.name.clone(), proxy.clone());
            done.push(proxy.view());
        }
        self.publish_gauges();
        Ok(done)
    }

    /// Change a proxy's listen, upstream or enabled; missing fields keep their value.
    pub async fn update_proxy(&self, name: &str, patch: ProxyPatch) -> Result<ProxyView, ApiError> {
        let proxy = self.get(name)?;
        let (listen, upstream, enabled) = {
            let st = proxy.lock();
            (
                patch.listen.unwrap_or_else(|| st.listen.clone()),
                patch.upstream.unwrap_or_else(|| st.upstream.clone()),
                patch.enabled.unwrap_or(st.enabled),
            )
        };
        // An explicit change of state overrides a timed down.
        if patch.enabled.is_some() {
            *proxy.lock_down() = None;
        }
        proxy.reconfigure(listen, upstream, enabled).await?;
        self.publish_gauges();
        Ok(proxy.view())
    }

    /// Stop and forget a proxy.
    pub async fn delete_proxy(&self, name: &str) -> Result<(), ApiError> {
        let _guard = self.registry.lock().await;
        let proxy = self
            .proxy_map()
            .remove(name)
            .ok_or_else(ApiError::proxy_not_found)?;
        proxy.stop().await;
        self.publish_gauges();
        Ok(())
    }

    /// Toxiproxy's `/reset`: enable every proxy and remove every toxic (and,
    /// here, every HTTP fault on the proxies).
    pub async fn reset(&self) -> Result<(), ApiError> {
        for proxy in self.all() {
            *proxy.lock_down() = None;
            proxy.start().await?;
            let mut st = proxy.lock();
            st.toxics.clear();
            proxy.publish(&st);
            drop(st);
            proxy.http.clear();
        }
        self.publish_gauges();
        Ok(())
    }

    /// Stop every proxy and close its connections (for a clean exit; the
    /// proxies stay listed, disabled).
    pub async fn shutdown(&self) {
        for proxy in self.all() {
            proxy.stop().await;
        }
    }
}

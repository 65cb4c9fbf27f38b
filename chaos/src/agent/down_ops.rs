//! A proxy that is down (Toxiproxy's `enabled: false`) as a fault: listed in
//! `/chaos/faults` as kind `down` with id `down:<proxy>`, removable like any
//! other fault (the proxy listens again), and, when made through
//! `POST /chaos/proxies/{p}/down`, with a duration after which the proxy comes
//! back by itself, so a runner that dies mid-experiment cannot leave it down.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::Agent;
use super::fault_ops::{ActiveFault, FaultSource, count_injection};
use crate::error::ApiError;
use crate::proxy::Proxy;

/// When a timed down ends; the token tells this down from a later one.
#[derive(Debug, Clone)]
pub(crate) struct DownTimer {
    pub token: String,
    pub expires: Instant,
}

impl Agent {
    /// Take a proxy down, for `duration` or until the fault is removed.
    pub async fn proxy_down(
        self: &Arc<Self>,
        proxy: &str,
        duration: Option<Duration>,
    ) -> Result<ActiveFault, ApiError> {
        let proxy = self.get(proxy)?;
        let (listen, upstream) = {
            let st = proxy.lock();
            (st.listen.clone(), st.upstream.clone())
        };
        proxy.reconfigure(listen, upstream, false).await?;
        let timer = duration.map(|d| DownTimer {
            token: self.book.next_id("down"),
            expires: Instant::now() + d,
        });
        *proxy.lock_down() = timer.clone();
        count_injection(&proxy.name, "down");
        if let (Some(timer), Some(duration)) = (timer, duration) {
            let agent = Arc::downgrade(self);
            let name = proxy.name.clone();
            tokio::spawn(async move {
                tokio::time::sleep(duration).await;
                let Some(agent) = agent.upgrade() else { return };
                let Ok(proxy) = agent.get(&name) else { return };
                let ours = proxy
                    .lock_down()
                    .as_ref()
                    .is_some_and(|t| t.token == timer.token);
                if ours {
                    if let Err(e) = agent.bring_up(&proxy).await {
                        tracing::warn!(proxy = %name, error = %e.message, "proxy could not listen again");
                    }
                    agent.publish_gauges();
                }
            });
        }
        self.publish_gauges();
        Ok(down_entry(&proxy).unwrap_or_else(|| ActiveFault {
            id: format!("down:{}", proxy.name),
            source: FaultSource::Proxy,
            target: proxy.name.clone(),
            kind: "down".into(),
            remaining_ms: duration.map(|d| d.as_millis() as u64),
            detail: json!({}),
        }))
    }

    /// Listen again (on the same address) and forget any down timer.
    pub(super) async fn bring_up(&self, proxy: &Arc<Proxy>) -> Result<(), ApiError> {
        *proxy.lock_down() = None;
        let (listen, upstream) = {
            let st = proxy.lock();
            (st.listen.clone(), st.upstream.clone())
        };
        proxy.reconfigure(listen, upstream, true).await
    }

    /// Remove `down:<proxy>`: the proxy listens again.
    pub(super) async fn remove_down(&self, name: &str) -> Result<(), ApiError> {
        let not_found = || ApiError::not_found(format!("fault not found: down:{name}"));
        let proxy = self.get(name).map_err(|_| not_found())?;
        if proxy.lock().enabled {
            return Err(not_found());
        }
        self.bring_up(&proxy).await?;
        self.publish_gauges();
        Ok(())
    }
}

/// The fault entry of a proxy that is down, if it is.
pub(super) fn down_entry(proxy: &Proxy) -> Option<ActiveFault> {
    let st = proxy.lock();
    if st.enabled {
        return None;
    }
    let timer = proxy.lock_down().clone();
    Some(ActiveFault {
        id: format!("down:{}", proxy.name),
        source: FaultSource::Proxy,
        target: proxy.name.clone(),
        kind: "down".into(),
        remaining_ms: timer.map(|t| {
            t.expires
                .saturating_duration_since(Instant::now())
                .as_millis() as u64
        }),
        detail: json!({"listen": st.listen, "upstream": st.upstream}),
    })
}

//! Keeps `chaos_faults_active{target,kind}` equal to what is active now:
//! recomputed from the agent's state after every change (cheap: a few dozen
//! faults at most), with series that went away set back to 0. Each proxy has
//! a 0 series for every kind it can carry, so panels have data before a fault.

use std::collections::{HashMap, HashSet};

use chaoslab_kit::names;

use super::Agent;

impl Agent {
    /// Count active faults by (target, kind): toxics, HTTP faults, process faults.
    pub(crate) fn active_counts(&self) -> HashMap<(String, String), f64> {
        let mut counts: HashMap<(String, String), f64> = HashMap::new();
        for proxy in self.all() {
            // Every kind a proxy can carry has a series from its creation (0 until used).
            let mut kinds: Vec<&str> = crate::toxics::names().collect();
            kinds.push("down");
            if proxy.mode == crate::views::ProxyMode::Http {
                kinds.extend(["http_abort", "http_delay"]);
            }
            for kind in kinds {
                counts
                    .entry((proxy.name.clone(), kind.to_string()))
                    .or_default();
            }
            {
                let st = proxy.lock();
                for toxic in &st.toxics {
                    *counts
                        .entry((proxy.name.clone(), toxic.kind.clone()))
                        .or_default() += 1.0;
                }
                if !st.enabled {
                    *counts
                        .entry((proxy.name.clone(), "down".to_string()))
                        .or_default() += 1.0;
                }
            }
            for fault in proxy.http.list() {
                *counts
                    .entry((proxy.name.clone(), fault.kind().to_string()))
                    .or_default() += 1.0;
            }
        }
        for fault in self.book.processes() {
            *counts
                .entry((fault.service.clone(), fault.action.as_str().to_string()))
                .or_default() += 1.0;
        }
        counts
    }

    /// Publish the gauges.
    pub(crate) fn publish_gauges(&self) {
        let counts = self.active_counts();
        let mut seen = self.gauges.lock().unwrap_or_else(|e| e.into_inner());
        let now: HashSet<(String, String)> = counts.keys().cloned().collect();
        for gone in seen.difference(&now) {
            metrics::gauge!(names::CHAOS_FAULTS_ACTIVE,
                names::label::TARGET => gone.0.clone(), names::label::KIND => gone.1.clone())
            .set(0.0);
        }
        for ((target, kind), n) in counts {
            metrics::gauge!(names::CHAOS_FAULTS_ACTIVE,
                names::label::TARGET => target, names::label::KIND => kind)
            .set(n);
        }
        *seen = now;
    }
}

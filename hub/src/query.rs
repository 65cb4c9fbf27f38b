//! The query API's answers, computed from the hub's stores. Handlers in
//! [`crate::api`] parse parameters and call these; tests and benches can
//! call them directly.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chaoslab_kit::names::label;

use crate::api::types::{
    EdgeStats, EdgesResponse, FaultsResponse, Health, JourneyStats, LoadResponse, RedStats,
    ResilienceResponse, RouteSeries, RouteStats, SeriesPoint, ServiceSeries, ServiceStats,
    ServicesResponse, Topology, TopologyNode,
};
use crate::hub::{Hub, now_ms};
use crate::metrics::derive::{self, HTTP_CLIENT, HTTP_SERVER, LOADGEN, Prepared, Window};
use crate::metrics::series::{SeriesKey, SeriesStore};

/// Error ratio at or above which a node that answers scrapes is degraded.
pub const DEGRADED_ERROR_RATIO: f64 = 0.01;

/// Which time series to compute: `range` back from now, one point a `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesSpec {
    pub range: Duration,
    pub step: Duration,
}

impl Default for SeriesSpec {
    fn default() -> Self {
        Self {
            range: Duration::from_secs(300),
            step: Duration::from_secs(5),
        }
    }
}

fn owned(k: &SeriesKey, l: &str) -> Option<String> {
    k.label(l).map(str::to_string)
}

fn route_key(k: &SeriesKey) -> Option<(String, String, String)> {
    Some((
        owned(k, label::SERVICE)?,
        owned(k, label::ROUTE).unwrap_or_default(),
        owned(k, label::METHOD).unwrap_or_default(),
    ))
}

fn edge_key(k: &SeriesKey) -> Option<(String, String)> {
    Some((owned(k, label::SERVICE)?, owned(k, label::SERVER_ADDRESS)?))
}

impl Hub {
    fn window(&self, len: Option<Duration>) -> Window {
        let len = len.unwrap_or(self.cfg.window);
        Window::ending(now_ms(), len.as_millis() as u64)
    }

    /// Health of a service from its scrape target(s) and error ratio.
    fn node_health(&self, name: &str, stats: Option<&RedStats>) -> Health {
        let targets = self.read_targets();
        let ups: Vec<Option<bool>> = targets
            .iter()
            .filter(|t| t.target.name == name)
            .map(|t| t.status.up)
            .collect();
        if ups.contains(&Some(false)) {
            Health::Down
        } else if ups.contains(&Some(true)) {
            if stats.is_some_and(|s| s.error_ratio >= DEGRADED_ERROR_RATIO) {
                Health::Degraded
            } else {
                Health::Up
            }
        } else {
            Health::Unknown
        }
    }

    /// Fault kinds active per target: from `chaos_faults_active` and the
    /// agent's list (entries naming a `target` or `proxy`).
    fn faults_by_target(&self, store: &SeriesStore, w: Window) -> BTreeMap<String, Vec<String>> {
        let mut out = derive::active_faults(store, w);
        let snap = self.faults.read().unwrap_or_else(|e| e.into_inner());
        for f in &snap.faults {
            let target = ["target", "proxy"]
                .iter()
                .find_map(|k| f.get(*k).and_then(|v| v.as_str()));
            let kind = ["kind", "type", "name"]
                .iter()
                .find_map(|k| f.get(*k).and_then(|v| v.as_str()))
                .unwrap_or("fault");
            if let Some(t) = target {
                let kinds = out.entry(t.to_string()).or_default();
                if !kinds.iter().any(|k| k == kind) {
                    kinds.push(kind.to_string());
                }
            }
        }
        out
    }

    fn edges_in(&self, store: &SeriesStore, w: Window) -> Vec<EdgeStats> {
        let faults = self.faults_by_target(store, w);
        derive::red_by(store, HTTP_CLIENT, w, edge_key)
            .into_iter()
            .map(|((from, to), stats)| {
                let kinds = faults.get(&to).cloned().unwrap_or_default();
                EdgeStats {
                    fault_active: !kinds.is_empty(),
                    faults: kinds,
                    from,
                    to,
                    stats,
                }
            })
            .collect()
    }

    /// `/api/topology`.
    pub fn topology(&self, window: Option<Duration>) -> Topology {
        let w = self.window(window);
        let store = self.read_series();
        let services = derive::red_by(&store, HTTP_SERVER, w, |k| owned(k, label::SERVICE));
        let edges = self.edges_in(&store, w);
        drop(store);
        let mut names: BTreeSet<String> = services.keys().cloned().collect();
        names.extend(self.targets().into_iter().map(|t| t.name));
        for e in &edges {
            names.insert(e.from.clone());
            names.insert(e.to.clone());
        }
        let nodes = names
            .into_iter()
            .map(|name| {
                let stats = services.get(&name).cloned();
                TopologyNode {
                    health: self.node_health(&name, stats.as_ref()),
                    stats: stats.unwrap_or_default(),
                    name,
                }
            })
            .collect();
        Topology {
            nodes,
            edges,
            window_s: (w.to_ms - w.from_ms) as f64 / 1000.0,
            generated_unix_ms: w.to_ms,
        }
    }

    /// `/api/edges`.
    pub fn edges(&self, window: Option<Duration>) -> EdgesResponse {
        let w = self.window(window);
        let store = self.read_series();
        EdgesResponse {
            edges: self.edges_in(&store, w),
            window_s: (w.to_ms - w.from_ms) as f64 / 1000.0,
        }
    }

    /// `/api/services` (every service; with series when `series` is set).
    pub fn services(
        &self,
        window: Option<Duration>,
        series: Option<SeriesSpec>,
    ) -> ServicesResponse {
        let w = self.window(window);
        let store = self.read_series();
        let totals = derive::red_by(&store, HTTP_SERVER, w, |k| owned(k, label::SERVICE));
        let routes = derive::red_by(&store, HTTP_SERVER, w, route_key);
        let mut names: BTreeSet<String> = totals.keys().cloned().collect();
        names.extend(self.targets().into_iter().map(|t| t.name));
        let services = names
            .into_iter()
            .map(|name| {
                let stats = totals.get(&name).cloned();
                ServiceStats {
                    health: self.node_health(&name, stats.as_ref()),
                    stats: stats.unwrap_or_default(),
                    routes: routes
                        .iter()
                        .filter(|((s, _, _), _)| *s == name)
                        .map(|((_, route, method), stats)| RouteStats {
                            method: method.clone(),
                            route: route.clone(),
                            stats: stats.clone(),
                        })
                        .collect(),
                    series: series.map(|spec| service_series(&store, &name, w.to_ms, spec)),
                    name,
                }
            })
            .collect();
        ServicesResponse {
            services,
            window_s: (w.to_ms - w.from_ms) as f64 / 1000.0,
        }
    }

    /// `/api/services/{name}`: one service with its series; `None` when the
    /// hub knows no such service.
    pub fn service(
        &self,
        name: &str,
        window: Option<Duration>,
        spec: SeriesSpec,
    ) -> Option<ServiceStats> {
        let all = self.services(window, None);
        let mut s = all.services.into_iter().find(|s| s.name == name)?;
        let store = self.read_series();
        s.series = Some(service_series(&store, name, now_ms(), spec));
        Some(s)
    }

    /// `/api/resilience`.
    pub fn resilience(&self, window: Option<Duration>) -> ResilienceResponse {
        let w = self.window(window);
        let store = self.read_series();
        ResilienceResponse {
            entries: derive::resilience(&store, w),
            window_s: (w.to_ms - w.from_ms) as f64 / 1000.0,
        }
    }

    /// `/api/load`.
    pub fn load(&self, window: Option<Duration>) -> LoadResponse {
        let w = self.window(window);
        let store = self.read_series();
        let journey = |k: &SeriesKey| owned(k, label::JOURNEY);
        let per = derive::red_by(&store, LOADGEN, w, journey);
        let total = derive::red_by(&store, LOADGEN, w, |k| journey(k).map(|_| ()))
            .remove(&())
            .unwrap_or_default();
        let with_outcome =
            |k: &SeriesKey| Some((journey(k)?, owned(k, label::OUTCOME).unwrap_or_default()));
        let rates = derive::rate_by(
            &store,
            chaoslab_kit::names::LOADGEN_REQUESTS,
            w,
            with_outcome,
        );
        let totals = derive::latest_by(
            &store,
            chaoslab_kit::names::LOADGEN_REQUESTS,
            w,
            with_outcome,
        );
        let pick = |m: &BTreeMap<(String, String), f64>, j: &str| {
            m.iter()
                .filter(|((jj, _), _)| jj == j)
                .map(|((_, o), v)| (o.clone(), *v))
                .collect()
        };
        LoadResponse {
            total,
            journeys: per
                .into_iter()
                .map(|(j, stats)| JourneyStats {
                    outcomes_rate: pick(&rates, &j),
                    outcomes_total: pick(&totals, &j),
                    journey: j,
                    stats,
                })
                .collect(),
            window_s: (w.to_ms - w.from_ms) as f64 / 1000.0,
        }
    }

    /// `/api/faults`.
    pub fn faults(&self) -> FaultsResponse {
        if self.cfg.agent_url.is_none() {
            return FaultsResponse {
                faults: Vec::new(),
                note: Some("no agent URL configured; faults are not fetched".into()),
            };
        }
        let snap = self.faults.read().unwrap_or_else(|e| e.into_inner());
        FaultsResponse {
            faults: snap.faults.clone(),
            note: snap.note.clone(),
        }
    }
}

/// Points for a service and its routes, one per step, oldest first.
fn service_series(store: &SeriesStore, name: &str, end_ms: u64, spec: SeriesSpec) -> ServiceSeries {
    let step = spec.step.as_millis().max(1) as u64;
    let n = (spec.range.as_millis() as u64 / step).max(1);
    // Pick and group the service's series once, then compute every step.
    let mine = || {
        store
            .all()
            .filter(|(k, _)| k.label(label::SERVICE) == Some(name))
    };
    let total = Prepared::new(mine(), HTTP_SERVER, |_| Some(()));
    let per_route = Prepared::new(mine(), HTTP_SERVER, |k| {
        let (_, r, m) = route_key(k)?;
        Some((r, m))
    });
    let mut points = Vec::with_capacity(n as usize);
    let mut route_points: Vec<Vec<SeriesPoint>> = vec![Vec::new(); per_route.groups.len()];
    for i in (0..n).rev() {
        let w = Window::ending(end_ms.saturating_sub(i * step), step);
        points.push(SeriesPoint {
            t_unix_ms: w.to_ms,
            stats: total.stats(w).pop().flatten().unwrap_or_default(),
        });
        // Every route gets a point at every step (zeros where it had no data).
        for (pts, stats) in route_points.iter_mut().zip(per_route.stats(w)) {
            pts.push(SeriesPoint {
                t_unix_ms: w.to_ms,
                stats: stats.unwrap_or_default(),
            });
        }
    }
    let routes: BTreeMap<(String, String), Vec<SeriesPoint>> =
        per_route.groups.into_iter().zip(route_points).collect();
    ServiceSeries {
        step_s: step as f64 / 1000.0,
        points,
        routes: routes
            .into_iter()
            .map(|((route, method), points)| RouteSeries {
                method,
                route,
                points,
            })
            .collect(),
    }
}

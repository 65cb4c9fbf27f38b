//! The query API's answers, computed from the hub's stores. Handlers in
//! [`crate::api`] parse parameters and call these; tests and benches can
//! call them directly.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chaoslab_kit::names::{self, label};

use crate::api::types::{
    EdgeStats, EdgesResponse, FaultsResponse, Health, Heatmap, HeatmapColumn, JourneyStats,
    LoadResponse, MessagingEdge, RedStats, ResilienceResponse, RouteSeries, RouteStats,
    SeriesPoint, ServiceSeries, ServiceStats, ServicesResponse, Topology, TopologyNode,
};
use crate::derived::Source;
use crate::hub::{Hub, now_ms};
use crate::metrics::derive::{self, HTTP_CLIENT, HTTP_SERVER, LOADGEN, Prepared, Window};
use crate::metrics::series::{SeriesKey, SeriesStore};

/// Error ratio at or above which a node that answers scrapes is degraded.
pub const DEGRADED_ERROR_RATIO: f64 = 0.01;
/// An OTLP-only service counts as up while it sent anything this recently.
pub const OTLP_SILENCE_MS: u64 = 30_000;

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
        let heard = self
            .derived
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .is_some_and(|s| s.last_unix_ms + OTLP_SILENCE_MS >= now_ms());
        if ups.contains(&Some(false)) {
            Health::Down
        } else if ups.contains(&Some(true)) || heard {
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
    /// agent's list.
    fn faults_by_target(&self, store: &SeriesStore, w: Window) -> BTreeMap<String, Vec<String>> {
        let mut out = derive::active_faults(store, w);
        let snap = self.faults.read().unwrap_or_else(|e| e.into_inner());
        for f in &snap.faults {
            let kinds = out.entry(f.target.clone()).or_default();
            if !kinds.contains(&f.kind) {
                kinds.push(f.kind.clone());
            }
        }
        out
    }

    fn edges_in(&self, store: &SeriesStore, w: Window) -> Vec<EdgeStats> {
        let faults = self.faults_by_target(store, w);
        let known = self.known_services(store);
        let waits = derive::red_by(store, derive::MESSAGE_WAIT, w, edge_key);
        // The messages waiting for each consumer; an outbox (the
        // producer's own queue) is not a callee's.
        let depth = derive::latest_by(store, names::MESSAGING_QUEUE_DEPTH, w, |k| {
            let queue = k.label(label::QUEUE)?;
            (!queue.ends_with(names::OUTBOX_QUEUE_SUFFIX)).then(|| owned(k, label::SERVICE))?
        });
        derive::red_merged(
            store,
            HTTP_CLIENT,
            w,
            edge_key,
            |k| k.clone(),
            // OTLP client metrics name a host more often than a service.
            |src, (_, to)| src != Source::OtlpMetrics || known.contains(to),
        )
        .into_iter()
        .map(|((from, to), (stats, src))| {
            let kinds = faults.get(&to).cloned().unwrap_or_default();
            let messaging = waits
                .get(&(from.clone(), to.clone()))
                .map(|w| MessagingEdge {
                    wait_p50_ms: w.p50_ms,
                    wait_p99_ms: w.p99_ms,
                    queue_depth: depth.get(&to).copied(),
                });
            EdgeStats {
                fault_active: !kinds.is_empty(),
                faults: kinds,
                from,
                to,
                stats,
                source: src.name().to_string(),
                messaging,
            }
        })
        .collect()
    }

    fn proxies(&self) -> Vec<String> {
        self.derived
            .spans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .proxies()
    }

    /// Every service name the hub knows: scrape targets, senders of OTLP,
    /// and services with server-side HTTP series.
    fn known_services(&self, store: &SeriesStore) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = self.targets().into_iter().map(|t| t.name).collect();
        names.extend(self.derived.seen().into_keys());
        for (k, _) in store.named(HTTP_SERVER.count) {
            if let Some(s) = k.label(label::SERVICE) {
                names.insert(s.to_string());
            }
        }
        names
    }

    /// Server-side RED per service, one source each.
    fn service_totals(
        &self,
        store: &SeriesStore,
        w: Window,
    ) -> BTreeMap<String, (RedStats, Source)> {
        derive::red_merged(
            store,
            HTTP_SERVER,
            w,
            |k| owned(k, label::SERVICE),
            |k| k.clone(),
            |_, _| true,
        )
    }

    /// `/api/topology`.
    pub fn topology(&self, window: Option<Duration>) -> Topology {
        let w = self.window(window);
        let store = self.read_series();
        let services = self.service_totals(&store, w);
        let edges = self.edges_in(&store, w);
        let mut names = self.known_services(&store);
        drop(store);
        for e in &edges {
            names.insert(e.from.clone());
            names.insert(e.to.clone());
        }
        let seen = self.derived.seen();
        let proxies = self.proxies();
        let nodes = names
            .into_iter()
            .map(|name| {
                let stats = services.get(&name).cloned();
                TopologyNode {
                    health: self.node_health(&name, stats.as_ref().map(|s| &s.0)),
                    source: stats
                        .as_ref()
                        .map(|s| s.1.name().to_string())
                        .unwrap_or_default(),
                    stats: stats.map(|s| s.0).unwrap_or_default(),
                    sdk_language: seen.get(&name).and_then(|s| s.sdk_language.clone()),
                    role: role(&proxies, &name),
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
        let totals = self.service_totals(&store, w);
        let routes = derive::red_merged(
            &store,
            HTTP_SERVER,
            w,
            route_key,
            |k| k.0.clone(),
            |_, _| true,
        );
        let names = self.known_services(&store);
        let seen = self.derived.seen();
        let proxies = self.proxies();
        let services = names
            .into_iter()
            .map(|name| {
                let stats = totals.get(&name).cloned();
                let heard = seen.get(&name);
                ServiceStats {
                    health: self.node_health(&name, stats.as_ref().map(|s| &s.0)),
                    source: stats
                        .as_ref()
                        .map(|s| s.1.name().to_string())
                        .unwrap_or_default(),
                    stats: stats.map(|s| s.0).unwrap_or_default(),
                    routes: routes
                        .iter()
                        .filter(|((s, _, _), _)| *s == name)
                        .map(|((_, route, method), (stats, _))| RouteStats {
                            method: method.clone(),
                            route: route.clone(),
                            stats: stats.clone(),
                        })
                        .collect(),
                    series: series.map(|spec| service_series(&store, &name, w.to_ms, spec)),
                    sdk_language: heard.and_then(|s| s.sdk_language.clone()),
                    signals: heard
                        .map(|s| s.signals.iter().map(|x| x.to_string()).collect())
                        .unwrap_or_default(),
                    role: role(&proxies, &name),
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

fn role(proxies: &[String], name: &str) -> String {
    if proxies.iter().any(|p| p == name) {
        "proxy".to_string()
    } else {
        String::new()
    }
}

/// Points for a service and its routes, one per step, oldest first.
fn service_series(store: &SeriesStore, name: &str, end_ms: u64, spec: SeriesSpec) -> ServiceSeries {
    let step = spec.step.as_millis().max(1) as u64;
    let n = (spec.range.as_millis() as u64 / step).max(1);
    // Pick and group the service's series once, then compute every step.
    let source = derive::best_source(store, HTTP_SERVER, |k| {
        k.label(label::SERVICE) == Some(name)
    })
    .unwrap_or(Source::Scraped);
    let mine = || {
        store
            .from_source(source)
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

impl Hub {
    /// `/api/services/{name}/heatmap`: requests per second in each latency
    /// bucket of the service's server histogram, one column per step, from
    /// the same source as its RED numbers. `None` for an unknown service.
    pub fn heatmap(&self, name: &str, spec: SeriesSpec) -> Option<Heatmap> {
        let store = self.read_series();
        if !self.known_services(&store).contains(name) {
            return None;
        }
        let mine = |k: &SeriesKey| k.label(label::SERVICE) == Some(name);
        let Some(source) = derive::best_source(&store, HTTP_SERVER, mine) else {
            return Some(Heatmap {
                service: name.to_string(),
                step_s: spec.step.as_secs_f64(),
                ..Default::default()
            });
        };
        let buckets: Vec<(f64, crate::metrics::series::SeriesRef<'_>)> = store
            .from_source(source)
            .filter(|(k, _)| k.name == HTTP_SERVER.bucket && mine(k))
            .filter_map(|(k, s)| {
                Some((
                    k.label("le")
                        .and_then(crate::metrics::exposition::parse_value)?,
                    s,
                ))
            })
            .collect();
        let mut bounds: Vec<f64> = buckets.iter().map(|(le, _)| *le).collect();
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        let step = spec.step.as_millis().max(1) as u64;
        let n = (spec.range.as_millis() as u64 / step).max(1);
        let end = now_ms();
        let columns = (0..n)
            .rev()
            .map(|i| {
                let w = Window::ending(end.saturating_sub(i * step), step);
                let mut cum = vec![0.0; bounds.len()];
                for (le, s) in &buckets {
                    if let (Ok(j), Some(inc)) = (
                        bounds.binary_search_by(|b| b.total_cmp(le)),
                        s.increase(w.from_ms, w.to_ms),
                    ) {
                        cum[j] += inc.rate();
                    }
                }
                let mut prev = 0.0;
                let rates = cum
                    .iter()
                    .map(|c| {
                        let r = (c - prev).max(0.0);
                        prev = prev.max(*c);
                        r
                    })
                    .collect();
                HeatmapColumn {
                    t_unix_ms: w.to_ms,
                    rates,
                }
            })
            .collect();
        Some(Heatmap {
            service: name.to_string(),
            source: source.name().to_string(),
            step_s: step as f64 / 1000.0,
            bounds_ms: bounds
                .iter()
                .map(|b| b.is_finite().then_some(b * 1000.0))
                .collect(),
            columns,
        })
    }
}

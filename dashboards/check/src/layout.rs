//! Where things live under `dashboards/`, so the checks and the CI script
//! agree on one layout:
//!
//! ```text
//! dashboards/
//!   grafana/dashboards/*.json            the dashboards
//!   grafana/provisioning/datasources/    data sources (fixed uids)
//!   grafana/provisioning/dashboards/     the file provider
//!   prometheus/prometheus.yml            scrape config for docker compose
//!   prometheus/prometheus.local.yml      scrape config beside `chaoslab up`'s state dir
//!   prometheus/rules/*.yml               recording and alerting rules
//!   otel/collector.yml                   OpenTelemetry Collector config
//! ../docker-compose.yml                  the full stack
//! ```

use std::path::{Path, PathBuf};

/// Paths of everything the checks read, from the `dashboards/` folder.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
    pub dashboards: PathBuf,
    pub datasources: PathBuf,
    pub rules: PathBuf,
    pub prometheus_docker: PathBuf,
    pub compose: PathBuf,
    /// The lab file the dashboards are for: its services, proxies and journeys.
    pub lab: PathBuf,
}

impl Layout {
    /// The layout under `root` (the `dashboards/` folder).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            dashboards: root.join("grafana/dashboards"),
            datasources: root.join("grafana/provisioning/datasources"),
            rules: root.join("prometheus/rules"),
            prometheus_docker: root.join("prometheus/prometheus.yml"),
            compose: root.join("../docker-compose.yml"),
            lab: root.join("../labs/shop.toml"),
        }
    }
}

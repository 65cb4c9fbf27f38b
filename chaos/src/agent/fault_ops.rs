//! The `/chaos` faults: HTTP faults on http-mode proxies, toxics with a
//! duration, process faults through [`LabControl`](crate::LabControl), and
//! in-service faults forwarded to each service's `/admin/faults`; plus the one
//! list of every active fault of every kind.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chaoslab_kit::names;
use serde_json::Value;
use tokio::time::Instant;

use super::Agent;
use crate::control::{LabControl, ProcessAction};
use crate::error::ApiError;
use crate::faults::http::{HttpFault, HttpFaultSpec};
use crate::faults::process::{ProcessFault, ProcessFaultSpec};
use crate::views::ProxyMode;

pub use chaoslab_contract::wire::faults::{ActiveFault, FaultSource};

fn remaining(expires: Option<Instant>) -> Option<u64> {
    expires.map(|e| e.saturating_duration_since(Instant::now()).as_millis() as u64)
}

fn no_control() -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "no lab control: process and in-service faults need the lab's supervisor (chaoslab up)",
    )
}

pub(super) fn count_injection(target: &str, kind: &str) {
    metrics::counter!(names::CHAOS_INJECTIONS,
        names::label::TARGET => target.to_string(), names::label::KIND => kind.to_string())
    .increment(1);
}

impl Agent {
    pub(super) fn lab(&self, service: &str) -> Result<&Arc<dyn LabControl>, ApiError> {
        let control = self.control().ok_or_else(no_control)?;
        if !control.services().iter().any(|s| s == service) {
            return Err(ApiError::not_found(format!("service not found: {service}")));
        }
        Ok(control)
    }

    /// Add an HTTP fault to an http-mode proxy.
    pub fn add_http_fault(
        self: &Arc<Self>,
        proxy: &str,
        spec: HttpFaultSpec,
    ) -> Result<ActiveFault, ApiError> {
        let proxy = self.get(proxy)?;
        if proxy.mode != ProxyMode::Http {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "HTTP faults need a proxy in http mode",
            ));
        }
        spec.validate().map_err(ApiError::bad_body)?;
        let duration = spec.duration_ms.map(Duration::from_millis);
        let fault = Arc::new(HttpFault {
            ended: Default::default(),
            id: self.book.next_id("http"),
            expires: duration.map(|d| Instant::now() + d),
            spec,
        });
        proxy.http.add(fault.clone());
        if let Some(duration) = duration {
            let agent = Arc::downgrade(self);
            let (name, id) = (proxy.name.clone(), fault.id.clone());
            tokio::spawn(async move {
                tokio::time::sleep(duration).await;
                if let Some(agent) = agent.upgrade() {
                    if let Ok(proxy) = agent.get(&name) {
                        proxy.http.remove(&id);
                    }
                    agent.publish_gauges();
                }
            });
        }
        self.publish_gauges();
        Ok(http_entry(&proxy.name, &fault))
    }

    /// Carry out a process fault. The supervisor's call may block (a restart
    /// waits for health), so it runs on the blocking pool.
    pub async fn process_fault(
        self: &Arc<Self>,
        service: &str,
        spec: ProcessFaultSpec,
    ) -> Result<ActiveFault, ApiError> {
        spec.validate().map_err(ApiError::bad_body)?;
        let duration = spec.duration_ms.map(Duration::from_millis);
        let control = self.lab(service)?.clone();
        let (name, action) = (service.to_string(), spec.action);
        tokio::task::spawn_blocking(move || match (action, duration) {
            (ProcessAction::Stop, Some(d)) => control.stop_for(&name, d),
            (ProcessAction::Pause, Some(d)) => control.pause_for(&name, d),
            _ => control.process(&name, action),
        })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(format!("{} {service}: {e}", spec.action.as_str())))?;
        count_injection(service, spec.action.as_str());
        // Resume ends pauses, start ends stops: they are no longer active.
        let ended = match spec.action {
            ProcessAction::Resume => Some(ProcessAction::Pause),
            ProcessAction::Start => Some(ProcessAction::Stop),
            _ => None,
        };
        if let Some(ended) = ended {
            for fault in self.book.processes() {
                if fault.service == service && fault.action == ended {
                    self.book.take_process(&fault.id);
                }
            }
        }
        let fault = ProcessFault {
            id: self.book.next_id("process"),
            service: service.to_string(),
            action: spec.action,
            expires: duration.map(|d| Instant::now() + d),
        };
        let lasting =
            matches!(spec.action, ProcessAction::Pause | ProcessAction::Stop) || duration.is_some();
        if lasting && ended.is_none() {
            self.book.add_process(fault.clone());
        }
        if let Some(duration) = duration.filter(|_| lasting) {
            let agent = Arc::downgrade(self);
            let id = fault.id.clone();
            tokio::spawn(async move {
                tokio::time::sleep(duration).await;
                if let Some(agent) = agent.upgrade() {
                    if let Some(fault) = agent.book.take_process(&id) {
                        agent.end_process_fault(&fault).await;
                    }
                    agent.publish_gauges();
                }
            });
        }
        self.publish_gauges();
        Ok(process_entry(&fault))
    }

    /// Undo a pause (resume) or a stop (start); the other actions have nothing
    /// to undo. On the blocking pool: a start may wait for health.
    async fn end_process_fault(&self, fault: &ProcessFault) {
        let undo = match fault.action {
            ProcessAction::Pause => ProcessAction::Resume,
            ProcessAction::Stop => ProcessAction::Start,
            _ => return,
        };
        let Some(control) = self.control().cloned() else {
            return;
        };
        let service = fault.service.clone();
        let done = tokio::task::spawn_blocking(move || control.process(&service, undo)).await;
        if let Ok(Err(e)) = done {
            tracing::warn!(service = %fault.service, error = %e, "{} failed", undo.as_str());
        }
    }

    /// Every active fault of every kind.
    pub async fn faults(&self) -> Vec<ActiveFault> {
        self.faults_report().await.0
    }

    /// Every active fault of every kind, and the services that did not say
    /// what faults they hold (paused, down, or slower than the short timeout).
    pub async fn faults_report(&self) -> (Vec<ActiveFault>, Vec<String>) {
        let mut out = Vec::new();
        for proxy in self.all() {
            let toxics = proxy.lock().toxics.clone();
            for toxic in toxics {
                out.push(ActiveFault {
                    id: format!("toxic:{}:{}", proxy.name, toxic.name),
                    source: FaultSource::Toxic,
                    target: proxy.name.clone(),
                    kind: toxic.kind.clone(),
                    remaining_ms: remaining(toxic.expires),
                    detail: serde_json::to_value(crate::proxy::toxic_view(&toxic))
                        .unwrap_or_default(),
                });
            }
            for fault in proxy.http.list() {
                out.push(http_entry(&proxy.name, &fault));
            }
            out.extend(super::down_ops::down_entry(&proxy));
        }
        out.extend(self.book.processes().iter().map(process_entry));
        let (service, silent) = self.service_faults().await;
        out.extend(service);
        (out, silent)
    }

    /// Remove one fault by its id (from `GET /chaos/faults`).
    pub async fn remove_fault(&self, id: &str) -> Result<(), ApiError> {
        let not_found = || ApiError::not_found(format!("fault not found: {id}"));
        if let Some(rest) = id.strip_prefix("toxic:") {
            let (proxy, name) = rest.split_once(':').ok_or_else(not_found)?;
            return self.remove_toxic(proxy, name).map_err(|_| not_found());
        }
        if let Some(name) = id.strip_prefix("down:") {
            return self.remove_down(name).await;
        }
        if let Some(rest) = id.strip_prefix("service:") {
            let (service, inner) = rest.split_once(':').ok_or_else(not_found)?;
            return self.remove_service_fault(service, inner, not_found).await;
        }
        if let Some(fault) = self.book.take_process(id) {
            self.end_process_fault(&fault).await;
            self.publish_gauges();
            return Ok(());
        }
        for proxy in self.all() {
            if proxy.http.remove(id) {
                self.publish_gauges();
                return Ok(());
            }
        }
        Err(not_found())
    }

    /// Remove every fault: toxics, HTTP faults, down proxies (they listen
    /// again), process faults (paused processes resume, stopped ones start),
    /// and each service's in-service faults.
    pub async fn clear_faults(&self) {
        for proxy in self.all() {
            {
                let mut st = proxy.lock();
                st.toxics.clear();
                proxy.publish(&st);
            }
            proxy.http.clear();
            if !proxy.lock().enabled
                && let Err(e) = self.bring_up(&proxy).await
            {
                tracing::warn!(proxy = %proxy.name, error = %e.message, "proxy could not listen again");
            }
        }
        for fault in self.book.take_all_processes() {
            self.end_process_fault(&fault).await;
        }
        self.clear_service_faults().await;
        self.publish_gauges();
    }
}

fn http_entry(proxy: &str, fault: &HttpFault) -> ActiveFault {
    ActiveFault {
        id: fault.id.clone(),
        source: FaultSource::Http,
        target: proxy.to_string(),
        kind: fault.kind().to_string(),
        remaining_ms: remaining(fault.expires),
        detail: serde_json::to_value(&fault.spec).unwrap_or_default(),
    }
}

fn process_entry(fault: &ProcessFault) -> ActiveFault {
    ActiveFault {
        id: fault.id.clone(),
        source: FaultSource::Process,
        target: fault.service.clone(),
        kind: fault.action.as_str().to_string(),
        remaining_ms: remaining(fault.expires),
        detail: Value::Null,
    }
}

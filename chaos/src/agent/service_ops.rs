//! In-service faults: the agent forwards them to each service's admin API
//! (`{admin_url}/admin/faults`), which keeps them and their expiry, and reads
//! them back for `GET /chaos/faults`.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;

use super::fault_ops::count_injection;

/// How long `GET /chaos/faults` waits for a service's own list: a paused
/// service never answers, and the list must come back at once anyway.
pub const SERVICE_TIMEOUT: Duration = Duration::from_millis(80);
use super::{ActiveFault, Agent, FaultSource};
use crate::error::ApiError;

impl Agent {
    /// Forward an in-service fault to `{admin_url}/admin/faults`; answers what the service answered.
    pub async fn service_fault(
        &self,
        service: &str,
        body: Value,
    ) -> Result<(StatusCode, Value), ApiError> {
        let url = self.admin_url(service)?;
        let resp = self
            .admin(self.http.post(format!("{url}/admin/faults")))
            .json(&body)
            .send()
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, format!("{service}: {e}")))?;
        let status =
            StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let value = resp.json::<Value>().await.unwrap_or(Value::Null);
        if status.is_success() {
            let kind = body
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("service");
            count_injection(service, kind);
        }
        Ok((status, value))
    }

    /// `req` with the admin token, when the lab has one.
    fn admin(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.control().and_then(|c| c.admin_token()) {
            Some(token) => req.bearer_auth(token),
            None => req,
        }
    }

    fn admin_url(&self, service: &str) -> Result<String, ApiError> {
        let url = self
            .lab(service)?
            .admin_url(service)
            .ok_or_else(|| ApiError::not_found(format!("service has no admin API: {service}")))?;
        Ok(url.trim_end_matches('/').to_string())
    }

    /// Every service's faults, asked in parallel with a short timeout, so a
    /// paused or dead service costs [`SERVICE_TIMEOUT`] at most; the second
    /// list names the services that did not answer.
    pub(super) async fn service_faults(&self) -> (Vec<ActiveFault>, Vec<String>) {
        let Some(control) = self.control() else {
            return (Vec::new(), Vec::new());
        };
        let asks = control.services().into_iter().filter_map(|service| {
            let url = control.admin_url(&service)?;
            let url = format!("{}/admin/faults", url.trim_end_matches('/'));
            let http = self.http.clone();
            Some(async move {
                let got = async {
                    let resp = self
                        .admin(http.get(&url))
                        .timeout(SERVICE_TIMEOUT)
                        .send()
                        .await
                        .ok()?;
                    match resp.json::<Value>().await.ok()? {
                        Value::Array(items) => Some(items),
                        _ => None,
                    }
                };
                (service, got.await)
            })
        });
        let (mut out, mut silent) = (Vec::new(), Vec::new());
        for (service, items) in futures::future::join_all(asks).await {
            let Some(items) = items else {
                silent.push(service);
                continue;
            };
            for item in items {
                let id = match item.get("id") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => continue,
                };
                out.push(ActiveFault {
                    id: format!("service:{service}:{id}"),
                    source: FaultSource::Service,
                    target: service.clone(),
                    kind: item
                        .get("kind")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    remaining_ms: item.get("remaining_ms").and_then(Value::as_u64),
                    detail: item,
                });
            }
        }
        (out, silent)
    }

    /// Remove one in-service fault by the service's own id.
    pub(super) async fn remove_service_fault(
        &self,
        service: &str,
        inner: &str,
        not_found: impl Fn() -> ApiError,
    ) -> Result<(), ApiError> {
        let url = self.admin_url(service)?;
        let resp = self
            .admin(self.http.delete(format!("{url}/admin/faults/{inner}")))
            .send()
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, format!("{service}: {e}")))?;
        match resp.status().as_u16() {
            200..=299 => Ok(()),
            404 => Err(not_found()),
            s => Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("{service} answered {s}"),
            )),
        }
    }

    /// Ask every service to clear its faults (best effort, in parallel).
    pub(super) async fn clear_service_faults(&self) {
        let Some(control) = self.control() else {
            return;
        };
        let asks = control.services().into_iter().filter_map(|service| {
            let url = format!(
                "{}/admin/faults",
                control.admin_url(&service)?.trim_end_matches('/')
            );
            let http = self.http.clone();
            Some(async move {
                let _ = self
                    .admin(http.delete(url))
                    .timeout(Duration::from_secs(1))
                    .send()
                    .await;
            })
        });
        futures::future::join_all(asks).await;
    }
}

//! In-service faults: the agent forwards them to each service's admin API
//! (with the contract's [`AdminClient`]), which keeps them and their expiry,
//! and reads them back for `GET /chaos/faults`.

use std::time::Duration;

use axum::http::StatusCode;
use chaoslab_contract::client::{AdminClient, ClientError};
use chaoslab_contract::wire::admin::{FaultView, ServiceFaultRequest};

use super::fault_ops::count_injection;
use super::{ActiveFault, Agent, FaultSource};
use crate::error::ApiError;

/// How long `GET /chaos/faults` waits for a service's own list: a paused
/// service never answers, and the list must come back at once anyway.
pub const SERVICE_TIMEOUT: Duration = Duration::from_millis(80);

/// A service's error answer passed on with its status; a service that does
/// not answer is a 502.
fn passed_on(service: &str, e: ClientError) -> ApiError {
    match e.status().and_then(|s| StatusCode::from_u16(s).ok()) {
        Some(status) => ApiError::new(status, format!("{service}: {}", e.message())),
        None => ApiError::new(
            StatusCode::BAD_GATEWAY,
            format!("{service}: {}", e.message()),
        ),
    }
}

impl Agent {
    /// Forward an in-service fault to the service's `/admin/faults`, once
    /// it is known to be one by the contract's rules; answers the service's
    /// view of it.
    pub async fn service_fault(
        &self,
        service: &str,
        body: serde_json::Value,
    ) -> Result<FaultView, ApiError> {
        let admin = self.admin_client(service)?;
        let request = ServiceFaultRequest::from_value(body).map_err(ApiError::bad_body)?;
        let view = admin
            .add_fault(&request)
            .await
            .map_err(|e| passed_on(service, e))?;
        count_injection(service, request.fault.kind());
        Ok(view)
    }

    /// The admin client of one of the lab's services, with the lab's token.
    fn admin_client(&self, service: &str) -> Result<AdminClient, ApiError> {
        let control = self.lab(service)?;
        let url = control
            .admin_url(service)
            .ok_or_else(|| ApiError::not_found(format!("service has no admin API: {service}")))?;
        Ok(AdminClient::new(service, &url).with_token(control.admin_token()))
    }

    /// Every service's admin client (those that have an admin API).
    fn admin_clients(&self) -> Vec<AdminClient> {
        let Some(control) = self.control() else {
            return Vec::new();
        };
        control
            .services()
            .into_iter()
            .filter_map(|service| {
                let url = control.admin_url(&service)?;
                Some(AdminClient::new(&service, &url).with_token(control.admin_token()))
            })
            .collect()
    }

    /// Every service's faults, asked in parallel with a short timeout, so a
    /// paused or dead service costs [`SERVICE_TIMEOUT`] at most; the second
    /// list names the services that did not answer.
    pub(super) async fn service_faults(&self) -> (Vec<ActiveFault>, Vec<String>) {
        let asks = self.admin_clients().into_iter().map(|admin| async move {
            let got = admin.with_timeout(SERVICE_TIMEOUT);
            (got.name().to_string(), got.faults().await.ok())
        });
        let (mut out, mut silent) = (Vec::new(), Vec::new());
        for (service, views) in futures::future::join_all(asks).await {
            let Some(views) = views else {
                silent.push(service);
                continue;
            };
            for view in views {
                out.push(ActiveFault {
                    id: format!("service:{service}:{}", view.id),
                    source: FaultSource::Service,
                    target: service.clone(),
                    kind: view.spec.kind().to_string(),
                    remaining_ms: Some(view.remaining_ms),
                    detail: serde_json::to_value(&view).unwrap_or_default(),
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
        match self.admin_client(service)?.remove_fault(inner).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Err(not_found()),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("{service}: {}", e.message()),
            )),
        }
    }

    /// Ask every service to clear its faults (best effort, in parallel).
    pub(super) async fn clear_service_faults(&self) {
        let asks = self.admin_clients().into_iter().map(|admin| async move {
            let _ = admin
                .with_timeout(Duration::from_secs(1))
                .clear_faults()
                .await;
        });
        futures::future::join_all(asks).await;
    }
}

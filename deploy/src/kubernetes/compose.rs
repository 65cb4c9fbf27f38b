//! The third-party images (Prometheus, Grafana, the Collector, Jaeger, the
//! broker), their
//! commands and environments, as docker-compose.yml names them: one place
//! pins their versions for compose and Kubernetes alike.

use serde_json::Value;
use std::sync::OnceLock;

const COMPOSE: &str = include_str!("../../../docker-compose.yml");

fn services() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_saphyr::from_str::<Value>(COMPOSE)
            .expect("docker-compose.yml is YAML (dashcheck checks it)")
    })
    .get("services")
    .expect("docker-compose.yml has services")
}

fn service(name: &str) -> &'static Value {
    services()
        .get(name)
        .unwrap_or_else(|| panic!("docker-compose.yml has no service {name}"))
}

/// The image of compose service `name`.
pub fn image(name: &str) -> String {
    service(name)["image"]
        .as_str()
        .unwrap_or_else(|| panic!("docker-compose.yml: {name} has no image"))
        .to_string()
}

/// The image of the compose service whose image is of `repository`
/// (`nats` finds `nats:2.9.10-alpine`), whatever the service is named.
pub fn image_of_repository(repository: &str) -> String {
    services()
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|s| s.get("image").and_then(Value::as_str))
        .find(|i| i.split_once(':').is_some_and(|(r, _)| r == repository))
        .unwrap_or_else(|| {
            panic!("docker-compose.yml has no service with a {repository}:TAG image")
        })
        .to_string()
}

/// The command (arguments) of compose service `name`.
pub fn command(name: &str) -> Vec<String> {
    service(name)
        .get("command")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The environment of compose service `name`, as (name, value).
pub fn environment(name: &str) -> Vec<(String, String)> {
    service(name)
        .get("environment")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_third_party_service_is_in_the_compose_file_with_a_pinned_image() {
        for name in ["prometheus", "grafana", "otel-collector", "jaeger"] {
            let image = super::image(name);
            let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or_default();
            assert!(
                !tag.is_empty() && tag != "latest",
                "{name}: {image} has no pinned tag"
            );
        }
        assert!(super::command("otel-collector")[0].starts_with("--config="));
        assert!(
            super::environment("grafana")
                .iter()
                .any(|(k, _)| k == "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
        );
    }
}

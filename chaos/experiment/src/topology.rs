//! The shop as experiment files may name it: services, the proxies in front
//! of them, who depends on whom, and the load generator's journeys. An
//! experiment naming anything else is refused before it runs.

/// Every service of the shop.
pub const SERVICES: &[&str] = &[
    "gateway",
    "users",
    "catalog",
    "inventory",
    "orders",
    "payments",
];

/// The agent's proxies: one per called service, named after the callee.
pub const PROXIES: &[&str] = &["users", "catalog", "inventory", "orders", "payments"];

/// Each caller and the dependencies its resilience policies guard.
pub const DEPENDENCIES: &[(&str, &[&str])] = &[
    ("gateway", &["users", "catalog", "orders"]),
    ("catalog", &["inventory"]),
    ("orders", &["users", "inventory", "payments"]),
];

/// The load generator's journeys.
pub const JOURNEYS: &[&str] = &["browse", "view_product", "checkout", "view_order"];

/// The dependencies of `service` (empty for a leaf).
pub fn dependencies_of(service: &str) -> &'static [&'static str] {
    DEPENDENCIES
        .iter()
        .find(|(s, _)| *s == service)
        .map(|(_, d)| *d)
        .unwrap_or(&[])
}

/// `a, b or c`, for messages.
pub fn one_of(names: &[&str]) -> String {
    match names {
        [] => "nothing".to_string(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

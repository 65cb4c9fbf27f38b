//! The user journeys the generator plays and the outcomes it tells apart.
//! Both are label values of `loadgen_requests_total{journey,outcome}`.

use serde::Serialize;

/// One thing a simulated user does against the shop's public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Journey {
    /// `GET /api/products`.
    Browse,
    /// `GET /api/products/{id}` for a random product.
    ViewProduct,
    /// Log in (token cached per user), then `POST /api/checkout` of 1-2 items.
    Checkout,
    /// `GET /api/orders/{id}` of an order this generator placed (else browse).
    ViewOrder,
}

impl Journey {
    pub const ALL: [Journey; 4] = [
        Journey::Browse,
        Journey::ViewProduct,
        Journey::Checkout,
        Journey::ViewOrder,
    ];

    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            Journey::Browse => "browse",
            Journey::ViewProduct => "view_product",
            Journey::Checkout => "checkout",
            Journey::ViewOrder => "view_order",
        }
    }

    /// The root span's name, as trace views show it.
    pub fn span_name(self) -> &'static str {
        match self {
            Journey::Browse => "journey browse",
            Journey::ViewProduct => "journey view_product",
            Journey::Checkout => "journey checkout",
            Journey::ViewOrder => "journey view_order",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// How one journey ended, as the user would see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every step answered 2xx.
    Success,
    /// A 4xx that the journey does not expect (a 401 on checkout is expected
    /// once: the token is renewed and the call repeated).
    ClientError,
    /// A 5xx.
    ServerError,
    /// No answer within the client-side timeout.
    Timeout,
    /// Transport failure: refused, reset, bad body.
    Error,
    /// Not sent: the in-flight bound was reached at the arrival time.
    Dropped,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Success,
        Outcome::ClientError,
        Outcome::ServerError,
        Outcome::Timeout,
        Outcome::Error,
        Outcome::Dropped,
    ];

    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::ClientError => "client_error",
            Outcome::ServerError => "server_error",
            Outcome::Timeout => "timeout",
            Outcome::Error => "error",
            Outcome::Dropped => "dropped",
        }
    }

    /// The outcome of an HTTP status that the journey did not handle itself.
    pub fn from_status(status: u16) -> Outcome {
        match status {
            200..=299 => Outcome::Success,
            500..=599 => Outcome::ServerError,
            _ => Outcome::ClientError,
        }
    }

    /// Failed as the user sees it (everything but success).
    pub fn is_error(self) -> bool {
        !matches!(self, Outcome::Success | Outcome::Dropped)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

//! The outcomes of a journey the generator tells apart: label values of
//! `loadgen_requests_total{journey,outcome}`.

use serde::Serialize;

/// How one journey ended, as the user would see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every step answered what it expects (any 2xx by default).
    Success,
    /// A step answered a 4xx it does not expect (a 401 after a cached `once`
    /// step is retried once with the `once` steps played again).
    ClientError,
    /// A step answered a 5xx it does not expect.
    ServerError,
    /// No answer within the client-side timeout.
    Timeout,
    /// Transport failure (refused, reset), or an answer that is not what the
    /// step expects otherwise: another non-error status, a value to save missing.
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

    /// The outcome of a status that a step did not expect.
    pub fn unexpected(status: u16) -> Outcome {
        match status {
            500..=599 => Outcome::ServerError,
            400..=499 => Outcome::ClientError,
            _ => Outcome::Error,
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

//! The hooks an event consumer calls for the message fault kinds, each
//! recorded like every in-service fault (the `chaos.fault` event on the
//! consumer's `process` span, `chaos_injections_total`):
//!
//! ```text
//!  delivery ─> poisoned(subject, id)?  yes ─> the work fails (retried / dead-lettered)
//!                 │ no
//!                 └─> work ─ok─> redeliver(subject, delivered)?  yes ─> nak (the same message again)
//!                                                                no  ─> ack
//! ```
//!
//! A poisoned id stays poison only while its fault lasts: once the fault
//! ends (expired or removed) its next delivery is handled as any other.

use super::{Faults, spec};
use crate::faults::FaultSpec;
use rand::RngExt;
use tokio::time::Instant;

impl Faults {
    /// Whether the message `message_id` on `subject` is one the consumer
    /// cannot handle: already made poison by a `poison_message` fault still
    /// in force, or made poison now (a new id, while the fault has some of
    /// its `count` left).
    pub fn poisoned(&self, subject: &str, message_id: &str) -> bool {
        let now = Instant::now();
        let hit = self.read().iter().find_map(|a| match &a.spec {
            FaultSpec::PoisonMessage { subject: s, count }
                if a.expires > now && spec::matches(s, subject) =>
            {
                let mut ids = a.poisoned.lock().unwrap_or_else(|e| e.into_inner());
                if ids.iter().any(|i| i == message_id) {
                    return Some(a.id.clone());
                }
                if (ids.len() as u64) < *count {
                    ids.push(message_id.to_string());
                    return Some(a.id.clone());
                }
                None
            }
            _ => None,
        });
        match hit {
            Some(id) => {
                self.injected(&id, "poison_message");
                true
            }
            None => false,
        }
    }

    /// Whether a message the consumer just handled, delivered `delivered`
    /// times, is to be delivered again instead of acknowledged: only a
    /// first delivery, drawn against each `duplicate_delivery` fault's rate.
    pub fn redeliver(&self, subject: &str, delivered: i64) -> bool {
        if delivered > 1 {
            return false;
        }
        let now = Instant::now();
        let hit = self.read().iter().find_map(|a| match &a.spec {
            FaultSpec::DuplicateDelivery { subject: s, rate }
                if a.expires > now
                    && spec::matches(s, subject)
                    && rand::rng().random_bool(*rate) =>
            {
                Some(a.id.clone())
            }
            _ => None,
        });
        match hit {
            Some(id) => {
                self.injected(&id, "duplicate_delivery");
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn consumer() -> std::sync::Arc<Faults> {
        let f = Faults::new("shipments");
        f.set_consumer();
        f
    }

    #[tokio::test]
    async fn a_poison_fault_poisons_its_count_of_new_ids_until_it_ends() {
        let f = consumer();
        let view = f.add(
            FaultSpec::PoisonMessage {
                subject: Some("order.".into()),
                count: 1,
            },
            Duration::from_secs(60),
        );
        assert!(!f.poisoned("other.subject", "a"), "another subject");
        assert!(f.poisoned("order.placed", "a"));
        assert!(f.poisoned("order.placed", "a"), "every delivery of it");
        assert!(!f.poisoned("order.placed", "b"), "its count is used up");
        assert!(f.remove(&view.id));
        assert!(
            !f.poisoned("order.placed", "a"),
            "poison only while it lasts"
        );
    }

    #[tokio::test]
    async fn a_duplicate_delivery_fault_redelivers_first_deliveries_only() {
        let f = consumer();
        assert!(!f.redeliver("order.placed", 1), "no fault");
        let view = f.add(
            FaultSpec::DuplicateDelivery {
                subject: None,
                rate: 1.0,
            },
            Duration::from_secs(60),
        );
        assert!(f.redeliver("order.placed", 1));
        assert!(!f.redeliver("order.placed", 2), "one duplicate, not a loop");
        f.remove(&view.id);
        assert!(!f.redeliver("order.placed", 1));
    }

    #[tokio::test]
    async fn consumer_kinds_are_refused_by_a_service_that_consumes_none() {
        let spec = FaultSpec::DuplicateDelivery {
            subject: None,
            rate: 0.5,
        };
        let plain = Faults::new("payments");
        assert_eq!(
            plain.applies(&spec).unwrap_err(),
            "duplicate_delivery acts on a consumer of events, and this service consumes none"
        );
        assert!(consumer().applies(&spec).is_ok());
    }
}

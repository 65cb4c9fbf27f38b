//! Partial policy updates, as sent to `PUT /admin/resilience`.
//!
//! A [`PolicyPatch`] mirrors [`Policy`] with every field optional, so
//! `{"retry": {"enabled": false}}` turns retries off and leaves everything
//! else as it was. [`Policy::apply`] merges a patch onto a copy and validates
//! the result; on error the current policy is untouched.

use serde::{Deserialize, Serialize};

use crate::policy::{
    BreakerPolicy, BulkheadPolicy, FallbackPolicy, Policy, PolicyError, RetryPolicy, TimeoutPolicy,
};

/// Declares a patch struct whose fields are the optional twins of a policy
/// struct's fields, and the merge that copies the present ones over.
macro_rules! patch_struct {
    ($(#[$doc:meta])* $patch:ident for $target:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $patch {
            $(
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }

        impl $patch {
            fn merge_into(&self, target: &mut $target) {
                $(
                    if let Some(value) = &self.$field {
                        target.$field = value.clone();
                    }
                )*
            }
        }
    };
}

patch_struct! {
    /// Changes to [`TimeoutPolicy`].
    TimeoutPatch for TimeoutPolicy { enabled: bool, per_attempt_ms: u64 }
}

patch_struct! {
    /// Changes to [`RetryPolicy`].
    RetryPatch for RetryPolicy {
        enabled: bool,
        max_attempts: u32,
        base_delay_ms: u64,
        max_delay_ms: u64,
        budget_enabled: bool,
        budget_ratio: f64,
        budget_min_per_sec: u32,
        budget_window_ms: u64,
    }
}

patch_struct! {
    /// Changes to [`BreakerPolicy`].
    BreakerPatch for BreakerPolicy {
        enabled: bool,
        failure_rate_threshold: f64,
        window_size: u32,
        min_calls: u32,
        open_ms: u64,
        half_open_trials: u32,
    }
}

patch_struct! {
    /// Changes to [`BulkheadPolicy`].
    BulkheadPatch for BulkheadPolicy { enabled: bool, max_concurrent: u32 }
}

patch_struct! {
    /// Changes to [`FallbackPolicy`].
    FallbackPatch for FallbackPolicy { enabled: bool }
}

/// A partial [`Policy`]: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<TimeoutPatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker: Option<BreakerPatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulkhead: Option<BulkheadPatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<FallbackPatch>,
}

impl Policy {
    /// This policy with `patch` merged in, if the result is valid.
    pub fn apply(&self, patch: &PolicyPatch) -> Result<Policy, PolicyError> {
        let mut next = self.clone();
        if let Some(p) = &patch.timeout {
            p.merge_into(&mut next.timeout);
        }
        if let Some(p) = &patch.retry {
            p.merge_into(&mut next.retry);
        }
        if let Some(p) = &patch.breaker {
            p.merge_into(&mut next.breaker);
        }
        if let Some(p) = &patch.bulkhead {
            p.merge_into(&mut next.bulkhead);
        }
        if let Some(p) = &patch.fallback {
            p.merge_into(&mut next.fallback);
        }
        next.validate()?;
        Ok(next)
    }
}

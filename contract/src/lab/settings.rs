//! The services' settings, listed once: [`for_each_setting!`] holds each
//! setting's name and value type, and every place that needs the list takes
//! it from there: [`SettingsPatch`] (a lab file's or an experiment's
//! `settings`, with [`SettingsPatch::merge`] and [`SettingsPatch::apply`])
//! and the lab file's service tables and `--config` overlay, whose serde
//! structs get the same fields appended by [`with_settings!`] (so an unknown
//! key or a wrong type is still refused at its own line and column, which a
//! `#[serde(flatten)]` would lose).
//!
//! Adding a setting: its line here, its field and default in the admin API's
//! [`ServiceSettings`] (a test checks the two lists agree; `apply` does not
//! compile without the field), and its use in the service.

use crate::wire::admin::ServiceSettings;
use serde::Deserialize;

/// Calls `$then! { { $args } name: type, ... }` with every setting.
macro_rules! for_each_setting {
    ($then:ident! { $($args:tt)* }) => {
        $then! {
            { $($args)* }
            propagate_deadline: bool,
            request_deadline_ms: u64,
            honour_idempotency_keys: bool,
            dead_letter_queue: bool,
            time_scale: f64,
            max_concurrent_requests: u64,
            publish_via_outbox: bool,
            max_in_flight: u64,
        }
    };
}

/// A struct with every setting appended as an optional field, and a
/// `settings()` that reads them as a [`SettingsPatch`]:
/// `with_settings! { #[derive(Deserialize)] struct Raw { port: Option<u16>, } }`.
macro_rules! with_settings {
    ($($item:tt)*) => {
        for_each_setting!(append_settings! { $($item)* });
    };
}

/// [`with_settings!`]'s work, given the list.
macro_rules! append_settings {
    (
        { $(#[$meta:meta])* $vis:vis struct $name:ident { $($body:tt)* } }
        $($field:ident: $ty:ty,)*
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($body)*
            $(pub $field: Option<$ty>,)*
        }

        impl $name {
            /// The settings this table gives, as a patch.
            pub(crate) fn settings(&self) -> $crate::lab::settings::SettingsPatch {
                $crate::lab::settings::SettingsPatch {
                    $($field: self.$field,)*
                }
            }
        }
    };
}

/// [`SettingsPatch`] and its methods, given the list.
macro_rules! settings_patch {
    ({} $($field:ident: $ty:ty,)*) => {
        /// Settings a service takes from the lab file (and an experiment's
        /// `settings` step); `None` keeps its default. [`SettingsPatch::fields`]
        /// reads their names from this type, and `ServiceSettings` (the
        /// admin API's) must have the same (a test says so).
        #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct SettingsPatch {
            $(pub $field: Option<$ty>,)*
        }

        impl SettingsPatch {
            /// `over`'s settings over these (those it leaves out stay).
            pub fn merge(&mut self, over: &SettingsPatch) {
                $(if over.$field.is_some() {
                    self.$field = over.$field;
                })*
            }

            /// These settings over `to` (those left out stay as they are).
            pub fn apply(&self, to: &mut ServiceSettings) {
                $(if let Some(v) = self.$field {
                    to.$field = v.into();
                })*
            }
        }
    };
}

for_each_setting!(settings_patch! {});

impl SettingsPatch {
    /// The settings' names, read from this type's `Deserialize`.
    pub fn fields() -> &'static [&'static str] {
        crate::fields::names::<SettingsPatch>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_over_a_patch_keeps_what_the_top_one_leaves_out() {
        let mut base = SettingsPatch {
            propagate_deadline: Some(false),
            time_scale: Some(0.5),
            ..SettingsPatch::default()
        };
        base.merge(&SettingsPatch {
            time_scale: Some(2.0),
            max_concurrent_requests: Some(4),
            ..SettingsPatch::default()
        });
        assert_eq!(base.propagate_deadline, Some(false));
        assert_eq!(base.time_scale, Some(2.0));
        assert_eq!(base.max_concurrent_requests, Some(4));

        let mut settings = ServiceSettings::default();
        base.apply(&mut settings);
        assert!(!settings.propagate_deadline);
        assert_eq!(settings.time_scale, 2.0);
        assert_eq!(settings.max_concurrent_requests, Some(4));
        assert!(settings.honour_idempotency_keys, "left out: the default");
        assert_eq!(settings.request_deadline_ms, None);
    }
}

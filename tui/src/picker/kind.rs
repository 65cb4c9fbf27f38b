//! The kinds of fault the picker offers ([`FaultKind`]): their names (the
//! contract's for the toxics and the in-service kinds), their one
//! parameter with its presets, and the contract's [`FaultSpec`] an
//! in-service kind becomes.

use std::sync::LazyLock;

use chaoslab_contract::toxics::{self, ToxicDef};
use chaoslab_contract::wire::admin::FaultSpec;

/// What the picker can inject. The toxics are the registry's
/// (`chaoslab_contract::toxics`): every toxic is offered, with the first of
/// its attributes that has presets as the parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// A Toxiproxy toxic on a proxy.
    Toxic(&'static ToxicDef),
    /// HTTP fault: answer with a status instead of forwarding.
    HttpAbort,
    /// HTTP fault: hold each request.
    HttpDelay,
    /// Kill the service's process (the supervisor restarts it).
    Kill,
    /// Stop and start the service.
    Restart,
    /// SIGSTOP the service for the duration.
    Pause,
    /// In-service: answer 500 to a share of requests.
    ErrorRate,
    /// In-service: every storage call slower.
    SlowStorage,
    /// In-service: keep a thread busy.
    CpuBurn,
    /// In-service, on a consumer of events: have a share of the messages
    /// delivered twice.
    DuplicateDelivery,
    /// In-service, on a consumer of events: the next messages fail every
    /// delivery.
    PoisonMessage,
}

/// The kinds after the toxics, in picker order.
const OTHER_KINDS: [FaultKind; 10] = [
    FaultKind::HttpAbort,
    FaultKind::HttpDelay,
    FaultKind::Kill,
    FaultKind::Restart,
    FaultKind::Pause,
    FaultKind::ErrorRate,
    FaultKind::SlowStorage,
    FaultKind::CpuBurn,
    FaultKind::DuplicateDelivery,
    FaultKind::PoisonMessage,
];

static ALL: LazyLock<Vec<FaultKind>> = LazyLock::new(|| {
    toxics::REGISTRY
        .iter()
        .map(|def| FaultKind::Toxic(def))
        .chain(OTHER_KINDS)
        .collect()
});

impl FaultKind {
    /// Every kind, in picker order: the toxics first.
    pub fn all() -> &'static [FaultKind] {
        &ALL
    }

    /// Its name in the picker: the contract's for a toxic and an in-service
    /// kind.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Toxic(def) => def.name,
            FaultKind::HttpAbort => "http abort",
            FaultKind::HttpDelay => "http delay",
            FaultKind::Kill => "kill",
            FaultKind::Restart => "restart",
            FaultKind::Pause => "pause",
            FaultKind::ErrorRate
            | FaultKind::SlowStorage
            | FaultKind::CpuBurn
            | FaultKind::DuplicateDelivery
            | FaultKind::PoisonMessage => self
                .service_fault(self.first_preset())
                .map_or("", |spec| spec.kind()),
        }
    }

    /// Whether it acts on a service (its process or inside it) rather than
    /// on the proxy in front of it.
    pub fn targets_service(self) -> bool {
        matches!(
            self,
            FaultKind::Kill | FaultKind::Restart | FaultKind::Pause
        ) || self.service_fault(self.first_preset()).is_some()
    }

    /// Whether only a consumer of events takes it (the contract's
    /// [`FaultSpec::needs_consumer`]).
    pub fn needs_consumer(self) -> bool {
        self.service_fault(self.first_preset())
            .is_some_and(|spec| spec.needs_consumer())
    }

    /// The in-service fault for parameter value `p`, in the contract's
    /// type (its kind name and field rules); `None` for other kinds. Every
    /// field the picker does not set is left at the contract's default:
    /// no route or subject (every one), status 500, one thread.
    pub(super) fn service_fault(self, p: i64) -> Option<FaultSpec> {
        Some(match self {
            FaultKind::ErrorRate => FaultSpec::ErrorRate {
                route: None,
                rate: p as f64 / 100.0,
                status: 500,
            },
            FaultKind::SlowStorage => FaultSpec::SlowStorage {
                latency_ms: p as u64,
            },
            FaultKind::CpuBurn => FaultSpec::CpuBurn {
                threads: 1,
                percent: p as u8,
            },
            FaultKind::DuplicateDelivery => FaultSpec::DuplicateDelivery {
                subject: None,
                rate: p as f64 / 100.0,
            },
            FaultKind::PoisonMessage => FaultSpec::PoisonMessage {
                subject: None,
                count: p as u64,
            },
            FaultKind::Toxic(_)
            | FaultKind::HttpAbort
            | FaultKind::HttpDelay
            | FaultKind::Kill
            | FaultKind::Restart
            | FaultKind::Pause => return None,
        })
    }

    fn first_preset(self) -> i64 {
        self.param().2.first().copied().unwrap_or(0)
    }

    /// The toxic attribute the picker sets (the first with presets).
    pub(super) fn toxic_param(def: &'static ToxicDef) -> Option<&'static toxics::Attr> {
        def.attributes.iter().find(|a| !a.presets.is_empty())
    }

    /// The parameter's label, unit and preset values (empty: no parameter).
    pub fn param(self) -> (&'static str, &'static str, &'static [i64]) {
        match self {
            FaultKind::Toxic(def) => {
                Self::toxic_param(def).map_or(("", "", &[]), |a| (a.name, a.unit, a.presets))
            }
            FaultKind::HttpDelay => ("delay", "ms", &[100, 300, 1000, 3000, 50]),
            FaultKind::HttpAbort => ("status", "", &[503, 500, 429]),
            FaultKind::ErrorRate => ("share", "%", &[50, 20, 100, 5]),
            FaultKind::SlowStorage => ("latency", "ms", &[200, 1000, 50]),
            FaultKind::CpuBurn => ("busy", "%", &[100, 50]),
            FaultKind::DuplicateDelivery => ("share", "%", &[50, 100, 10]),
            FaultKind::PoisonMessage => ("count", "", &[1, 5, 20]),
            _ => ("", "", &[]),
        }
    }
}

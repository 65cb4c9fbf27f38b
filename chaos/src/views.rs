//! The JSON shapes of the control API: the contract's
//! (`chaoslab_contract::wire::agent`), which pins Toxiproxy's exact shape.

pub use chaoslab_contract::wire::agent::{
    Populated, ProxyMode, ProxyPatch, ProxySpec, ProxyView, ToxicPatch, ToxicSpec, ToxicView,
    Version,
};

//! The service kit: what every service of the shop shares, in one place.

pub mod names;

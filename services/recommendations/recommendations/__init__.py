"""recommendations: a small Flask service of the lab, with the telemetry and
the fault contract of the Rust services."""

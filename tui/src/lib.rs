//! chaoslab-tui

//! chaoslab-load (being written)

//! chaoslab-experiment (being written)

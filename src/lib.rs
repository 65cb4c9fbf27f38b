//! chaoslab: the lab's command line and its supervisor.

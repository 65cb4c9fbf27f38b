//! chaoslab-shop

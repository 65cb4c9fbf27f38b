//! The /chaos extensions.

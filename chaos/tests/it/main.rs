//! Integration tests of the chaos agent, on real sockets bound to 127.0.0.1:0.

mod api;
mod chaos_ext;
mod client;
mod fault_ends;
mod forwarding;
mod http_toxics;
mod http_upstream;
mod lab;
mod outages;
mod support;
mod toxics;

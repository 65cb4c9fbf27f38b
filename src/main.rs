//! The `chaoslab` command: parses arguments and hands over to the library.
//!
//! Every process of the lab is this binary, so its allocator is set here:
//! mimalloc, for the many short-lived allocations of requests and spans,
//! built without transparent huge pages (see ARCHITECTURE.md).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    chaoslab::cli::main()
}

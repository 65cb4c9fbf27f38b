//! The `chaoslab` command: parses arguments and hands over to the library.
fn main() -> std::process::ExitCode {
    chaoslab::cli::main()
}

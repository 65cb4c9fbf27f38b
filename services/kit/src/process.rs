//! Programs started so that they die with the process that started them:
//! under `setpriv --pdeathsig SIG` (util-linux) when it is installed, so the
//! kernel signals the program if its parent dies, even by SIGKILL. Used for
//! a lab file's commands (by the supervisor) and the bench's nginx.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `setpriv`, when util-linux is installed.
pub fn setpriv() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            ["/usr/bin/setpriv", "/bin/setpriv"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
        })
        .as_deref()
}

/// A command running `program` that gets `signal` (`"SIGKILL"`,
/// `"SIGTERM"`) when this process dies; a plain command without `setpriv`.
pub fn dying_with_parent(program: impl AsRef<OsStr>, signal: &str) -> tokio::process::Command {
    match setpriv() {
        Some(setpriv) => {
            let mut c = tokio::process::Command::new(setpriv);
            c.args(["--pdeathsig", signal, "--"]).arg(program);
            c
        }
        None => tokio::process::Command::new(program),
    }
}

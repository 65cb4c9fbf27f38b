//! One experiment at a time per lab: `experiment.lock` in the lab's state
//! directory holds the running runner's pid. A lock whose pid is gone is
//! stale and taken over; the lock is removed when the guard drops.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::RunError;

/// The lock file's name inside the state directory.
pub const LOCK_FILE: &str = "experiment.lock";

/// Held while a run lasts.
#[derive(Debug)]
pub struct LabLock {
    path: PathBuf,
}

impl LabLock {
    /// Takes the lab's lock, or says who holds it.
    pub fn acquire(state_dir: &Path) -> Result<Self, RunError> {
        let path = state_dir.join(LOCK_FILE);
        let fail = |e: std::io::Error| RunError::LockFile {
            lock: path.clone(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(state_dir).map_err(fail)?;
        for _ in 0..3 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id()).map_err(fail)?;
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    match text.trim().parse::<u32>() {
                        Ok(pid) if alive(pid) => return Err(RunError::Locked { pid, lock: path }),
                        // Stale (dead pid) or unreadable (a writer died
                        // mid-write): take it over.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(fail(e)),
            }
        }
        Err(RunError::LockFile {
            lock: path,
            reason: "could not take the lock".into(),
        })
    }

    /// Where the lock file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LabLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a process with this pid exists (signal 0 probes without sending).
fn alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    if raw <= 0 {
        return false;
    }
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), None) {
        Ok(()) => true,
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_stale_and_released() {
        let dir = tempfile::tempdir().unwrap();
        let lock = LabLock::acquire(dir.path()).unwrap();
        let again = LabLock::acquire(dir.path()).unwrap_err();
        assert!(matches!(again, RunError::Locked { pid, .. } if pid == std::process::id()));
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
        // A pid that cannot exist (above the kernel's pid_max) is stale.
        std::fs::write(dir.path().join(LOCK_FILE), "4194999\n").unwrap();
        let taken = LabLock::acquire(dir.path()).unwrap();
        let text = std::fs::read_to_string(taken.path()).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
    }
}

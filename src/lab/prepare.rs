//! Makes the environments of a lab's command services that have a set-up
//! step (`prepare` in the lab file): a Python venv from pinned, hashed
//! requirements, or `npm ci` from a `package-lock.json`. `chaoslab up` runs
//! it before anything starts, `chaoslab prepare` on its own (`.ci/envs.sh`).
//!
//! ```text
//!  lock file ──sha256──> same as the marker in the env? ──yes──> reuse it
//!                                  │ no
//!                                  └──> (re)make it, then write the marker
//! ```
//!
//! Markers: `<venv>/.requirements.sha256`, `node_modules/.package-lock.sha256`.
//! One lock file per environment (`<envs>/.<service>.lock`) keeps two labs
//! starting at once from making the same one twice. Progress goes to stderr,
//! each line prefixed with the service's name.

use chaoslab_contract::{Lab, Prepare, Service};
use sha2::{Digest, Sha256};
use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

/// Where environments go: `--envs`, else `$CHAOSLAB_ENVS`, else `<state
/// dir>/envs`; absolute, since commands run in their own folders.
pub fn envs_dir(flag: Option<&Path>, state_dir: &Path) -> PathBuf {
    let dir = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("CHAOSLAB_ENVS").map(PathBuf::from))
        .unwrap_or_else(|| state_dir.join("envs"));
    std::path::absolute(&dir).unwrap_or(dir)
}

/// What became of each service with a set-up step.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Its environment (the command's `{env}`), by service.
    pub ready: BTreeMap<String, PathBuf>,
    /// Why it cannot run here, by service: it is left out of the lab.
    pub left_out: BTreeMap<String, String>,
}

/// Prepares every service of `lab` that has a set-up step, in parallel.
pub fn prepare_lab(lab: &Lab, envs: &Path) -> Prepared {
    let services: Vec<&Service> = lab
        .services
        .values()
        .filter(|s| s.prepare().is_some())
        .collect();
    let results: Vec<(String, Result<PathBuf, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = services
            .iter()
            .map(|s| {
                let p = s.prepare().expect("filtered");
                scope.spawn(move || (s.name.clone(), ensure(&s.name, p, envs)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a prepare thread panicked"))
            .collect()
    });
    let mut out = Prepared::default();
    for (name, r) in results {
        match r {
            Ok(env) => {
                out.ready.insert(name, env);
            }
            Err(why) => {
                out.left_out.insert(name, why);
            }
        }
    }
    out
}

/// Makes `service`'s environment unless it is there for the same lock
/// file; its path, or why it cannot be made here.
pub fn ensure(service: &str, p: &Prepare, envs: &Path) -> Result<PathBuf, String> {
    let (programs, packages) = p.runtime();
    if let Some(missing) = programs.iter().find(|prog| !on_path(prog)) {
        return Err(format!(
            "`{missing}` not found on PATH (install {packages})"
        ));
    }
    let inputs = p.inputs();
    let bytes = std::fs::read(inputs)
        .map_err(|e| format!("cannot read its lock file {}: {e}", inputs.display()))?;
    let want = hex(&Sha256::digest(&bytes));
    let env = p.env_dir(envs, service);
    let marker = marker(p, &env);
    if is_current(p, &env, &marker, &want) {
        return Ok(env);
    }
    std::fs::create_dir_all(envs).map_err(|e| format!("cannot create {}: {e}", envs.display()))?;
    let lock_path = envs.join(format!(".{service}.lock"));
    let lock = std::fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    say(
        service,
        &format!("preparing its environment at {} …", env.display()),
    );
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    // Another lab may have made it while this one waited for the lock.
    if is_current(p, &env, &marker, &want) {
        say(service, "made meanwhile by another lab; reusing it");
        return Ok(env);
    }
    let started = Instant::now();
    let _ = std::fs::remove_file(&marker);
    match p {
        Prepare::PythonRequirements { requirements } => {
            if env.exists() {
                std::fs::remove_dir_all(&env)
                    .map_err(|e| format!("cannot remove the old {}: {e}", env.display()))?;
            }
            let venv = env.display().to_string();
            run(service, Command::new("python3").args(["-m", "venv", &venv]))?;
            run(
                service,
                Command::new(env.join("bin/pip"))
                    .args([
                        "install",
                        "--disable-pip-version-check",
                        "--progress-bar",
                        "off",
                        "--no-deps",
                        "--require-hashes",
                        "--only-binary=:all:",
                        "-r",
                    ])
                    .arg(requirements),
            )?;
        }
        Prepare::Npm { lock } => {
            let dir = lock.parent().unwrap_or(Path::new("."));
            run(
                service,
                Command::new("npm")
                    .args([
                        "ci",
                        "--no-audit",
                        "--no-fund",
                        "--ignore-scripts",
                        "--loglevel=error",
                    ])
                    .current_dir(dir),
            )?;
        }
    }
    if let Some(parent) = marker.parent() {
        // npm ci makes no node_modules for a package without dependencies.
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&marker, format!("{want}\n"))
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    say(
        service,
        &format!(
            "environment ready in {:.1} s",
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(env)
}

/// The file holding the hash of the lock file the environment was made from.
fn marker(p: &Prepare, env: &Path) -> PathBuf {
    match p {
        Prepare::PythonRequirements { .. } => env.join(".requirements.sha256"),
        Prepare::Npm { .. } => env.join(".package-lock.sha256"),
    }
}

fn is_current(p: &Prepare, env: &Path, marker: &Path, want: &str) -> bool {
    let same = std::fs::read_to_string(marker).is_ok_and(|s| s.trim() == want);
    let whole = match p {
        Prepare::PythonRequirements { .. } => env.join("bin/python").exists(),
        Prepare::Npm { .. } => env.is_dir(),
    };
    same && whole
}

/// Runs a set-up command, its output on stderr line by line under the
/// service's name; an error with the last lines when it fails.
fn run(service: &str, cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let stderr = child.stderr.take().expect("piped");
    let name = service.to_string();
    let errs = std::thread::spawn(move || {
        let mut tail = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            say(&name, &line);
            tail.push(line);
        }
        tail
    });
    for line in BufReader::new(child.stdout.take().expect("piped"))
        .lines()
        .map_while(Result::ok)
    {
        say(service, &line);
    }
    let status = child.wait().map_err(|e| format!("{shown}: {e}"))?;
    let tail = errs.join().unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        let last: Vec<&str> = tail
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(String::as_str)
            .collect();
        Err(format!("{shown} failed ({status}): {}", last.join(" / ")))
    }
}

fn say(service: &str, line: &str) {
    if line.trim().is_empty() {
        return;
    }
    eprintln!("  {service}: {line}");
}

fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            std::fs::metadata(d.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

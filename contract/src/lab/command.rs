//! A command service's placeholders (`{port}`, `{dep.NAME}`, `{env}`) and the check
//! that its program exists, run before anything starts.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

/// A command that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service {service}: {message}")]
pub struct CommandError {
    pub service: String,
    pub message: String,
}

/// The placeholder names a command may use, given its dependencies and
/// whether it has a set-up step (`{env}`).
pub(super) fn check_placeholders(s: &str, deps: &[String], prepared: bool) -> Result<(), String> {
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            return Err(format!("an unclosed `{{` in {s:?}"));
        };
        let name = &after[..j];
        match name.strip_prefix("dep.") {
            None if name == "port" => {}
            None if name == "env" && prepared => {}
            None if name == "env" => {
                return Err(
                    "`{env}` is the environment a `prepare` step makes, and this service has none"
                        .into(),
                );
            }
            Some(d) if deps.iter().any(|x| x == d) => {}
            Some(d) => {
                return Err(format!(
                    "`{{dep.{d}}}`: {d} is not in depends_on ({})",
                    if deps.is_empty() {
                        "empty".to_string()
                    } else {
                        deps.join(", ")
                    }
                ));
            }
            None => {
                return Err(format!(
                    "`{{{name}}}` is not a placeholder: use {{port}}, {{dep.NAME}} or {{env}}"
                ));
            }
        }
        rest = &after[j + 1..];
    }
    Ok(())
}

/// `s` with `{port}`, `{dep.NAME}` and `{env}` (when known) filled in.
pub(super) fn fill(
    s: &str,
    port: u16,
    deps: &BTreeMap<String, String>,
    env_dir: Option<&Path>,
) -> String {
    let mut out = s.replace("{port}", &port.to_string());
    if let Some(e) = env_dir {
        out = out.replace("{env}", &e.display().to_string());
    }
    for (d, url) in deps {
        out = out.replace(&format!("{{dep.{d}}}"), url);
    }
    out
}

/// An error when `program` is neither an executable path (relative to
/// `dir` when it has a `/`) nor a program on `PATH`.
pub(super) fn check_program(service: &str, program: &str, dir: &Path) -> Result<(), CommandError> {
    let err = |message: String| CommandError {
        service: service.to_string(),
        message,
    };
    if !dir.is_dir() {
        return Err(err(format!(
            "working directory {} does not exist",
            dir.display()
        )));
    }
    if program.contains('/') {
        let path = dir.join(program);
        return if executable(&path) {
            Ok(())
        } else {
            Err(err(format!(
                "command `{program}` not found or not executable ({})",
                path.display()
            )))
        };
    }
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| executable(&d.join(program))))
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(err(format!("command `{program}` not found on PATH")))
    }
}

fn executable(path: &PathBuf) -> bool {
    is_executable(path)
}

/// A file with an execute bit.
pub(super) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

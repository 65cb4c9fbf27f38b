//! `chaoslab prepare`: a set-up step makes its environment once, reuses it
//! while the lock file's hash is the same, remakes it when the lock file
//! changes, and says clearly why it cannot (no runtime, no lock file). Real
//! `npm ci` on a package without dependencies (no registry needed).

mod support;

use std::{path::Path, process::Command};

const LAB: &str = r#"
[services.tool]
command = ["node", "main.js", "--port", "{port}"]
prepare = { npm = "package-lock.json" }
"#;

const PACKAGE: &str = r#"{ "name": "tool", "version": "1.0.0", "private": true }"#;

fn lock(version: &str) -> String {
    format!(
        r#"{{ "name": "tool", "version": "{version}", "lockfileVersion": 3, "requires": true,
  "packages": {{ "": {{ "name": "tool", "version": "{version}" }} }} }}"#
    )
}

fn prepare(dir: &Path, path: Option<&str>) -> (i32, String) {
    let mut cmd = Command::new(support::exe());
    cmd.args([
        "prepare",
        "--lab",
        "lab.toml",
        "--envs",
        "envs",
        "--state-dir",
        "state",
    ])
    .current_dir(dir);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let out = cmd.output().expect("run chaoslab prepare");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn an_environment_is_made_once_per_lock_file() {
    if Command::new("npm").arg("--version").output().is_err() {
        support::polyglot::skip(
            "prepare",
            "no `npm` on PATH (install it with `bash .ci/envs.sh`)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab.toml"), LAB).unwrap();
    std::fs::write(dir.path().join("package.json"), PACKAGE).unwrap();
    std::fs::write(dir.path().join("package-lock.json"), lock("1.0.0")).unwrap();

    let (code, out) = prepare(dir.path(), None);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("tool: preparing its environment"),
        "first run makes it: {out}"
    );
    assert!(out.contains("environment ready in"), "{out}");
    let marker = dir.path().join("node_modules/.package-lock.sha256");
    assert!(marker.exists(), "the lock file's hash is kept with it");

    let (code, out) = prepare(dir.path(), None);
    assert_eq!(code, 0, "{out}");
    assert!(
        !out.contains("preparing"),
        "an unchanged lock file reuses it: {out}"
    );
    assert!(out.contains("tool: ready at"), "{out}");

    std::fs::write(dir.path().join("package-lock.json"), lock("1.0.1")).unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        PACKAGE.replace("1.0.0", "1.0.1"),
    )
    .unwrap();
    let (code, out) = prepare(dir.path(), None);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("preparing"),
        "a changed lock file remakes it: {out}"
    );
}

#[test]
fn a_step_that_cannot_run_here_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lab.toml"), LAB).unwrap();
    // No runtime on PATH.
    let empty = tempfile::tempdir().unwrap();
    let (code, out) = prepare(dir.path(), Some(&empty.path().display().to_string()));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("tool: cannot be prepared: `node` not found on PATH (install nodejs and npm)"),
        "{out}"
    );
    // No lock file.
    if Command::new("npm").arg("--version").output().is_ok() {
        let (code, out) = prepare(dir.path(), None);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("cannot read its lock file"), "{out}");
        assert!(out.contains("package-lock.json"), "names the file: {out}");
    }
}

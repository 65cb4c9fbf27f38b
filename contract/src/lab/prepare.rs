//! A command service's set-up step (`prepare = { ... }`): the environment
//! it needs before it can start, made from a committed lock file and kept
//! until that file changes.
//!
//! ```toml
//! [services.recommendations]
//! command = ["{env}/bin/python", "main.py", "--port", "{port}"]
//! dir = "../services/recommendations"
//! prepare = { python_requirements = "requirements.txt" }   # a venv, at {env}
//! ```
//!
//! This module is the model (what to make, from which file, with which
//! runtime); `chaoslab prepare` and `chaoslab up` make it
//! (`src/lab/prepare.rs`).

use std::path::{Path, PathBuf};

/// What a service needs made before it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepare {
    /// A Python venv at `<envs>/<service>`, from pinned requirements with
    /// hashes (`pip install --require-hashes --no-deps --only-binary=:all:`).
    PythonRequirements {
        /// The requirements file, absolute.
        requirements: PathBuf,
    },
    /// `npm ci` in the service's folder, from its `package-lock.json`.
    Npm {
        /// The lock file, absolute; `node_modules` is made beside it.
        lock: PathBuf,
    },
}

impl Prepare {
    /// The file whose hash keys the environment: a new hash, a new environment.
    pub fn inputs(&self) -> &Path {
        match self {
            Prepare::PythonRequirements { requirements } => requirements,
            Prepare::Npm { lock } => lock,
        }
    }

    /// The programs it needs on `PATH`, and the packages that bring them.
    pub fn runtime(&self) -> (&'static [&'static str], &'static str) {
        match self {
            Prepare::PythonRequirements { .. } => (&["python3"], "python3 and python3-venv"),
            Prepare::Npm { .. } => (&["node", "npm"], "nodejs and npm"),
        }
    }

    /// Where the environment is (the command's `{env}`): `<envs>/<service>`
    /// for a venv, the `node_modules` beside the lock file for npm.
    pub fn env_dir(&self, envs: &Path, service: &str) -> PathBuf {
        match self {
            Prepare::PythonRequirements { .. } => envs.join(service),
            Prepare::Npm { lock } => lock.parent().unwrap_or(Path::new(".")).join("node_modules"),
        }
    }

    /// `python_requirements` or `npm`: the lab file's key.
    pub fn kind(&self) -> &'static str {
        match self {
            Prepare::PythonRequirements { .. } => "python_requirements",
            Prepare::Npm { .. } => "npm",
        }
    }
}

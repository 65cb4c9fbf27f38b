//! `chaoslab deploy kubernetes`: a lab's Kubernetes manifests, from its lab
//! file, as one YAML stream on stdout or (`-o DIR`) a kustomize base.

use chaoslab_contract::Lab;
use chaoslab_deploy::kubernetes::{self, Options};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct DeployArgs {
    pub lab: PathBuf,
    pub out: Option<PathBuf>,
    pub options: Options,
}

pub fn kubernetes(args: DeployArgs) -> anyhow::Result<()> {
    let lab = Lab::load(&args.lab)?;
    let source = std::fs::read_to_string(&args.lab)?;
    let objects = kubernetes::render(&lab, &source, &args.options)?;
    match &args.out {
        None => {
            use std::io::Write;
            let stream = kubernetes::to_yaml_stream(&objects)?;
            match std::io::stdout().lock().write_all(stream.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e)?,
                _ => {}
            }
        }
        Some(dir) => {
            let files = kubernetes::base_files(&objects, &args.lab.display().to_string())?;
            kubernetes::write_dir(dir, &files)?;
            eprintln!(
                "wrote {} objects to {} (kubectl apply -k {})",
                objects.len(),
                dir.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

//! The bad-lab-file corpus: each file in `tests/bad-labs/` starts with
//! `# error: LINE:COLUMN: KEY: MESSAGE`, the error (after the file name) it
//! must be refused with.

use chaoslab_contract::Lab;
use std::path::Path;

#[test]
fn every_broken_lab_file_is_refused_with_its_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-labs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the corpus has {} files", files.len());
    let mut wrong = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# error: "))
            .unwrap_or_else(|| panic!("{} has no `# error:` first line", f.display()));
        let expected = format!("{}:{expected}", f.display());
        match Lab::load(f) {
            Ok(_) => wrong.push(format!("{}: accepted", f.display())),
            Err(e) if e.to_string() != expected => {
                wrong.push(format!("expected {expected}\n     got {e}"))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// `SHOW_LAB_ERRORS=1 cargo test -p chaoslab-contract --test bad_labs -- --nocapture show`
/// prints what each file gets, to write the corpus.
#[test]
fn show() {
    if std::env::var_os("SHOW_LAB_ERRORS").is_none() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-labs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        println!(
            "{}",
            Lab::load(&f)
                .err()
                .map(|e| e.to_string())
                .unwrap_or("ACCEPTED".into())
        );
    }
}

//! Each lesson's two files differ only in the knobs of its pattern (listed
//! once, in `experiments/lessons.toml`), so the pattern is the only thing
//! that can explain their opposite verdicts; and every pair the folder holds
//! is in the catalogue, with its page.

use std::path::Path;

use chaoslab::cmd::lesson::catalogue;
use chaoslab_experiment::pair::differences;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn each_pair_differs_only_in_its_patterns_knobs() {
    let dir = root().join("experiments");
    let lessons = catalogue(&dir).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(lessons.len() >= 11, "the catalogue lists every lesson");
    let mut problems = Vec::new();
    for l in &lessons {
        let [f, r] = l.files(&dir);
        let read = |p: &Path| {
            std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        let diffs = differences(&read(&f), &read(&r)).unwrap_or_else(|e| panic!("{e}"));
        if diffs.is_empty() {
            problems.push(format!("lesson {}: the two files do not differ", l.number));
        }
        for d in &diffs {
            if !l.knobs.iter().any(|k| d.under(k)) {
                problems.push(format!(
                    "lesson {}: {d} is not one of its knobs ({})",
                    l.number,
                    l.knobs.join(", ")
                ));
            }
        }
        for k in &l.knobs {
            if !diffs.iter().any(|d| d.under(k)) {
                problems.push(format!(
                    "lesson {}: knob {k} is the same in both files",
                    l.number
                ));
            }
        }
        assert!(
            root().join(l.page()).exists(),
            "lesson {}: page {}",
            l.number,
            l.page()
        );
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_pair_in_the_folder_is_in_the_catalogue() {
    let dir = root().join("experiments");
    let lessons = catalogue(&dir).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix("-fragile.yaml") {
            assert!(
                lessons.iter().any(|l| l.stem() == stem),
                "{name} has no entry in experiments/lessons.toml"
            );
        }
    }
}

/// The check catches what it is for: a second knob changed in one file.
#[test]
fn a_change_outside_the_knobs_is_caught() {
    let dir = root().join("experiments");
    let lessons = catalogue(&dir).unwrap();
    let l = lessons.iter().find(|l| l.number == 2).unwrap();
    let [f, r] = l.files(&dir);
    let fragile = std::fs::read_to_string(f).unwrap();
    let resilient = std::fs::read_to_string(r)
        .unwrap()
        .replace("rate: 0.8, status: 503", "rate: 0.5, status: 503");
    let diffs = differences(&fragile, &resilient).unwrap();
    let outside: Vec<String> = diffs
        .iter()
        .filter(|d| !l.knobs.iter().any(|k| d.under(k)))
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        outside,
        vec!["fault error_rate payments.params.rate: fragile 0.8 / resilient 0.5".to_string()]
    );
}

#[test]
fn a_bad_catalogue_names_its_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lessons.toml"), "[[lesson]]\nnumber = 1\n").unwrap();
    let e = format!("{:#}", catalogue(dir.path()).unwrap_err());
    assert!(e.contains("lessons.toml") && e.contains("slug"), "{e}");
}

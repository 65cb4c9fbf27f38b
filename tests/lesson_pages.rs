//! Every lesson page's numbers come from a real run it names: the page's
//! "Measured" section quotes the comparison `chaoslab lesson N --report`
//! wrote (kept under docs/lessons/runs/), with the run's date, time scale
//! and machine; and the direction the page claims holds in that run: the
//! fragile run failed and the resilient one held, and every probe the page
//! quotes as telling them apart is out in the fragile column and within
//! tolerance in the resilient one.

use std::path::Path;

use chaoslab::cmd::lesson::{Lesson, catalogue};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The page's table rows under `## Measured`.
fn measured(page: &str) -> Option<(String, Vec<String>)> {
    let at = page.find("\n## Measured")?;
    let section = &page[at + 1..];
    let section = match section[3..].find("\n## ") {
        Some(end) => &section[..end + 3],
        None => section,
    };
    let rows = section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| probe |"))
        .map(str::to_string)
        .collect();
    Some((section.to_string(), rows))
}

fn check(l: &Lesson) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |s: String| problems.push(format!("lesson {}: {s}", l.number));
    let page_path = root().join(l.page());
    let page = std::fs::read_to_string(&page_path).unwrap_or_default();
    let run_name = format!("runs/{}.md", l.stem());
    let run = match std::fs::read_to_string(root().join("docs/lessons").join(&run_name)) {
        Ok(r) => r,
        Err(e) => {
            problem(format!("docs/lessons/{run_name}: {e}"));
            return problems;
        }
    };
    if !(run.contains("| fragile |")
        && run
            .lines()
            .any(|r| r.starts_with("| fragile |") && r.contains("| failed |")))
    {
        problem(format!("{run_name}: the fragile run did not fail"));
    }
    if !run
        .lines()
        .any(|r| r.starts_with("| resilient |") && r.contains("| held |"))
    {
        problem(format!("{run_name}: the resilient run did not hold"));
    }
    let Some((section, rows)) = measured(&page) else {
        problem(format!("{} has no `## Measured` section", l.page()));
        return problems;
    };
    if !section.contains(&format!("({run_name})")) {
        problem(format!("the Measured section does not link {run_name}"));
    }
    match run.lines().find(|r| r.starts_with("Run: ")) {
        Some(prov) if section.contains(prov) => {}
        Some(prov) => problem(format!(
            "the Measured section does not name the run: {prov}"
        )),
        None => problem(format!("{run_name} does not say when and where it ran")),
    }
    let mut differing = 0;
    for row in &rows {
        if !run.lines().any(|r| r == row) {
            problem(format!("the page's row is not in the run: {row}"));
        }
        if row.starts_with("| **") {
            differing += 1;
            let cells: Vec<&str> = row.split(" | ").collect();
            let (f, r) = (cells[cells.len() - 2], cells[cells.len() - 1]);
            if !(f.ends_with(" OUT") && r.ends_with(" ok |")) {
                problem(format!("harm not in the fragile column alone: {row}"));
            }
        }
    }
    if differing == 0 {
        problem("the Measured section quotes no probe telling the runs apart".into());
    }
    problems
}

#[test]
fn every_page_quotes_a_run_it_names_and_its_direction_holds_there() {
    let lessons = catalogue(&root().join("experiments")).unwrap();
    let problems: Vec<String> = lessons.iter().flat_map(check).collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The check catches a page that drifted from its run.
#[test]
fn a_page_whose_numbers_are_not_in_its_run_is_caught() {
    let page = "# x\n\n## Measured\n\nFrom [r](runs/x.md)\n\n| probe | tolerance | phase | fragile | resilient |\n|---|---|---|---|---|\n| **a** | `<= 4` | during | 11 OUT | 1.4 ok |\n\n## Next\n";
    let (_, rows) = measured(page).unwrap();
    assert_eq!(rows, vec!["| **a** | `<= 4` | during | 11 OUT | 1.4 ok |"]);
    let run = "| **a** | `<= 4` | during | 7.61 OUT | 1.43 ok |";
    assert!(
        !run.lines().any(|r| r == rows[0]),
        "a drifted number does not match"
    );
}

//! `chaoslab lesson N`: a lesson's two experiments, fragile then resilient,
//! in one lab of their own (or, with `--attach`, the running lab), then both
//! verdicts and a side-by-side table of the probes that tell them apart,
//! with the dashboard screen that shows it; `--report FILE` writes the
//! comparison as Markdown. `chaoslab lesson --list` prints the catalogue
//! (`experiments/lessons.toml`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chaoslab_experiment::{Journal, RunOptions, Verdict, compare};
use serde::Deserialize;

use super::run::{Ran, RunArgs};

/// The catalogue file, in the experiments folder.
pub const CATALOGUE: &str = "lessons.toml";

/// One lesson of the catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub number: u32,
    pub slug: String,
    pub failure: String,
    pub pattern: String,
    /// What the fragile and resilient files may differ in.
    pub knobs: Vec<String>,
    /// Where the harm shows on the dashboard.
    pub screen: String,
}

impl Lesson {
    /// `NN-slug`.
    pub fn stem(&self) -> String {
        format!("{:02}-{}", self.number, self.slug)
    }

    /// The fragile and resilient files in `dir`.
    pub fn files(&self, dir: &Path) -> [PathBuf; 2] {
        ["fragile", "resilient"].map(|k| dir.join(format!("{}-{k}.yaml", self.stem())))
    }

    /// The lesson's page, relative to the repository.
    pub fn page(&self) -> String {
        format!("docs/lessons/{}.md", self.stem())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    lesson: Vec<Lesson>,
}

/// The lessons of `dir/lessons.toml`, in number order.
pub fn catalogue(dir: &Path) -> anyhow::Result<Vec<Lesson>> {
    let path = dir.join(CATALOGUE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the lesson catalogue {}", path.display()))?;
    let mut file: File =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    file.lesson.sort_by_key(|l| l.number);
    Ok(file.lesson)
}

/// What `chaoslab lesson` was asked.
#[derive(Debug, Clone)]
pub struct LessonArgs {
    pub number: Option<u32>,
    pub list: bool,
    /// The experiments folder (and its catalogue).
    pub dir: PathBuf,
    pub run: RunArgs,
}

/// Lists, or runs one lesson; the verdict is the exit code: held when the
/// fragile run failed and the resilient one held (the lesson shows).
pub async fn run(args: LessonArgs) -> anyhow::Result<Verdict> {
    let lessons = catalogue(&args.dir)?;
    if args.list {
        for l in &lessons {
            println!("{:>2}  {:<58}  {}", l.number, l.failure, l.pattern);
        }
        return Ok(Verdict::Held);
    }
    let Some(n) = args.number else {
        anyhow::bail!("name a lesson (chaoslab lesson N) or ask for --list");
    };
    let Some(lesson) = lessons.iter().find(|l| l.number == n) else {
        let known: Vec<String> = lessons.iter().map(|l| l.number.to_string()).collect();
        anyhow::bail!("no lesson {n}; the lessons are {}", known.join(", "));
    };
    let mut run = args.run.clone();
    run.files = lesson.files(&args.dir).to_vec();
    let report = run.options.report.take();
    println!(
        "Lesson {}: {} ({})",
        lesson.number, lesson.failure, lesson.pattern
    );
    println!("Watch: {}\n", lesson.screen);
    let journal = match super::run::run_journal(run).await? {
        Ran::Journal(j) => j,
        Ran::Not(v) => return Ok(v),
    };
    let verdict = summary(
        lesson,
        &journal,
        report.as_deref(),
        &args.run.options,
        args.run.attach,
    )?;
    Ok(verdict)
}

fn score(e: &chaoslab_experiment::journal::ExperimentRecord) -> String {
    e.score
        .as_ref()
        .map_or("-".into(), |s| format!("{}%", s.percent))
}

/// Which run the numbers come from: when, how, on what machine.
fn provenance(lesson: &Lesson, journal: &Journal, opts: &RunOptions, attach: bool) -> String {
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_millis(journal.started_unix_ms);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "Run: {} UTC, `chaoslab lesson {}{} --time-scale {}` ({}), on {} {} with {cores} cores ({} build).",
        humantime::format_rfc3339_seconds(when)
            .to_string()
            .trim_end_matches('Z')
            .replace('T', " "),
        lesson.number,
        if attach { " --attach" } else { "" },
        opts.time_scale,
        if attach {
            "attached to the running lab"
        } else {
            "in a lab of its own"
        },
        std::env::consts::OS,
        std::env::consts::ARCH,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    )
}

fn summary(
    lesson: &Lesson,
    journal: &Journal,
    report: Option<&Path>,
    opts: &RunOptions,
    attach: bool,
) -> anyhow::Result<Verdict> {
    let [Some(fragile), Some(resilient)] = [0, 1].map(|i| journal.experiments.get(i)) else {
        anyhow::bail!("the lesson's runs did not both happen");
    };
    let rows = compare::rows(fragile, resilient);
    println!(
        "\nLesson {}: fragile {} (expected failed), resilient {} (expected held)",
        lesson.number,
        fragile.verdict.as_str(),
        resilient.verdict.as_str()
    );
    print!("{}", compare::table(&rows));
    println!("Dashboard: {}\nPage: {}", lesson.screen, lesson.page());
    let shows = fragile.verdict == Verdict::Failed && resilient.verdict == Verdict::Held;
    if let Some(path) = report {
        let md = format!(
            "# Lesson {}: {}\n\nPattern: {}. Page: {}.\n\n{}\n\n| run | file | verdict | score |\n|---|---|---|---|\n| fragile | `{}` | {} | {} |\n| resilient | `{}` | {} | {} |\n\n{}\nDashboard: {}\n",
            lesson.number,
            lesson.failure,
            lesson.pattern,
            lesson.page(),
            provenance(lesson, journal, opts, attach),
            fragile.file.display(),
            fragile.verdict.as_str(),
            score(fragile),
            resilient.file.display(),
            resilient.verdict.as_str(),
            score(resilient),
            compare::markdown(&rows),
            lesson.screen
        );
        std::fs::write(path, md).with_context(|| format!("writing {}", path.display()))?;
    }
    let errored = [fragile.verdict, resilient.verdict].contains(&Verdict::Error);
    Ok(match (shows, errored) {
        (_, true) => Verdict::Error,
        (true, false) => Verdict::Held,
        (false, false) => Verdict::Failed,
    })
}

//! The resilience score of a run, in the spirit of Litmus' resilience score:
//! weighted probe success. Each probe counts with its `weight` (1 when not
//! given); it succeeded when every reading of it, in every phase, was
//! within tolerance. An experiment's score is the weight of the probes that
//! succeeded over the weight of all probes read, as a percentage; the run's
//! is the same over every experiment's probes. Probes never read (the
//! method stopped first) do not count; an experiment that read none has no
//! score. The journal, the JUnit properties and the Markdown report show it.

use serde::Serialize;

use crate::journal::Step;
use crate::model::Experiment;

/// One probe's part in the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeScore {
    pub probe: String,
    pub weight: f64,
    /// Every reading within tolerance.
    pub held: bool,
}

/// An experiment's (or a run's) score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// 0..=100.
    pub percent: f64,
    /// The weight of the probes that held.
    pub held_weight: f64,
    /// The weight of the probes read.
    pub total_weight: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeScore>,
}

fn percent(held: f64, total: f64) -> f64 {
    if total > 0.0 {
        // `+ 0.0`: an empty f64 sum is -0, which would print as "-0".
        (held / total * 1000.0).round() / 10.0 + 0.0
    } else {
        100.0
    }
}

/// The score of `exp`'s run from its checks, or `None` when no probe was read
/// (or every probe read weighs 0).
pub fn experiment(exp: &Experiment, steps: &[Step]) -> Option<Score> {
    let mut probes = Vec::new();
    for p in &exp.steady_state.probes {
        let name = p.value.name();
        if probes.iter().any(|s: &ProbeScore| s.probe == name) {
            continue;
        }
        let readings: Vec<bool> = steps
            .iter()
            .filter(|s| s.kind == "check")
            .flat_map(|s| s.observations.iter())
            .filter(|o| o.probe == name)
            .map(|o| o.ok)
            .collect();
        if readings.is_empty() {
            continue;
        }
        probes.push(ProbeScore {
            probe: name,
            weight: p.value.weight(),
            held: readings.iter().all(|ok| *ok),
        });
    }
    let total: f64 = probes.iter().map(|p| p.weight).sum();
    if total <= 0.0 {
        return None;
    }
    let held: f64 = probes
        .iter()
        .filter(|p| p.held)
        .map(|p| p.weight)
        .sum::<f64>()
        + 0.0;
    Some(Score {
        percent: percent(held, total),
        held_weight: held,
        total_weight: total,
        probes,
    })
}

/// The run's score over the experiments' scores.
pub fn run<'a>(scores: impl IntoIterator<Item = &'a Score>) -> Option<Score> {
    let (mut held, mut total) = (0.0, 0.0);
    for s in scores {
        held += s.held_weight;
        total += s.total_weight;
    }
    (total > 0.0).then(|| Score {
        percent: percent(held, total),
        held_weight: held,
        total_weight: total,
        probes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{StepPhase, StepStatus};
    use crate::observe::Observation;

    fn exp() -> Experiment {
        crate::parse::validate_str(
            "title: t\ndescription: d\nsteady_state:\n  probes:\n    - slo: { name: a, journey: browse, measure: p50_ms, tolerance: { max: 10 }, weight: 3 }\n    - slo: { name: b, journey: browse, measure: p95_ms, tolerance: { max: 10 } }\n    - slo: { name: c, journey: browse, measure: p99_ms, tolerance: { max: 10 }, weight: 2 }\nmethod:\n  - wait: 1s\n",
            std::path::Path::new("t.yaml"),
            &shop(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn shop() -> chaoslab_contract::Lab {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../labs/shop.toml");
        chaoslab_contract::Lab::load(&p).unwrap_or_else(|e| panic!("{e}"))
    }

    fn check(readings: &[(&str, bool)]) -> Step {
        Step {
            phase: StepPhase::During,
            kind: "check".into(),
            name: "x".into(),
            at_ms: 0,
            unix_ms: 0,
            duration_ms: 0,
            status: StepStatus::Ok,
            message: None,
            observations: readings
                .iter()
                .map(|(p, ok)| Observation {
                    probe: p.to_string(),
                    kind: "slo".into(),
                    value: serde_json::json!(1),
                    status: None,
                    tolerance: Default::default(),
                    tolerance_text: String::new(),
                    ok: *ok,
                    reason: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_probe_out_once_loses_its_weight_and_unread_probes_do_not_count() {
        let e = exp();
        // a held twice (3), b out once (1), c never read.
        let steps = [
            check(&[("a", true), ("b", true)]),
            check(&[("a", true), ("b", false)]),
        ];
        let s = experiment(&e, &steps).unwrap();
        assert_eq!((s.held_weight, s.total_weight, s.percent), (3.0, 4.0, 75.0));
        let all_out = [check(&[("a", false), ("b", false), ("c", false)])];
        let none_held = experiment(&e, &all_out).unwrap();
        assert_eq!(none_held.percent, 0.0);
        assert_eq!(format!("{}%", none_held.percent), "0%", "not -0%");
        assert!(experiment(&e, &[]).is_none(), "nothing read, no score");
        let r = run([&s, &experiment(&e, &all_out).unwrap()]).unwrap();
        assert_eq!((r.held_weight, r.total_weight), (3.0, 10.0));
        assert_eq!(r.percent, 30.0);
    }

    #[test]
    fn a_negative_weight_is_refused_where_it_is_written() {
        let e = crate::parse::validate_str(
            "title: t\ndescription: d\nsteady_state:\n  probes:\n    - slo: { journey: browse, measure: p50_ms, tolerance: { max: 10 }, weight: -1 }\nmethod:\n  - wait: 1s\n",
            std::path::Path::new("w.yaml"),
            &shop(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("w.yaml:5:") && e.contains("weight"), "{e}");
    }
}

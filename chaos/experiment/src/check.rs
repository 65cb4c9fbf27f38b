//! The checks an experiment passes before anything in the lab is touched:
//! services, proxies, dependencies and journeys the lab file names; fault
//! parameters the kind takes, with values checked by the very functions the
//! agent, the services and the resilience crate apply (no copy of their rules
//! here); policy and settings fields that exist; sane tolerances.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_saphyr::Spanned;

use crate::model::{
    Action, Experiment, FaultAction, FaultKind, Layer, Probe, ProcessAction, Tolerance, Weights,
};
use crate::names::one_of;
use crate::parse::Issue;
use chaoslab_contract::Lab;

mod fields;

type Checked = Result<(), Issue>;

/// Every check, in file order; the first issue found is returned.
pub fn experiment(exp: &Experiment, lab: &Lab) -> Checked {
    if exp.title.trim().is_empty() {
        return Err(Issue {
            line: 1,
            column: 1,
            field: "title".into(),
            message: "must not be empty".into(),
        });
    }
    if let Some(load) = &exp.load {
        rate(&load.value.rate, load, "load.rate")?;
        if let Some(w) = &load.value.weights {
            weights(w, "load.weights", lab)?;
        }
    }
    if let Some(every) = &exp.steady_state.every
        && every.0.is_zero()
    {
        return Err(Issue {
            line: 0,
            column: 0,
            field: "steady_state.every".into(),
            message: "must be longer than 0s".into(),
        });
    }
    if exp.steady_state.probes.is_empty() {
        return Err(Issue {
            line: 1,
            column: 1,
            field: "steady_state.probes".into(),
            message: "a hypothesis needs at least one probe".into(),
        });
    }
    for (i, probe) in exp.steady_state.probes.iter().enumerate() {
        self::probe(
            probe,
            &format!("steady_state.probes[{i}].{}", probe.value.kind()),
            lab,
        )?;
    }
    for (i, step) in exp.method.iter().enumerate() {
        action(step, &format!("method[{i}]"), false, lab)?;
    }
    for (i, step) in exp.rollbacks.iter().enumerate() {
        action(step, &format!("rollbacks[{i}]"), true, lab)?;
    }
    Ok(())
}

fn rate<T>(rate: &f64, at: &Spanned<T>, field: &str) -> Checked {
    if !rate.is_finite() || *rate < 0.0 || *rate > 100_000.0 {
        return Err(Issue::at(
            at,
            field,
            format!("must be from 0 to 100000 journeys per second (got {rate})"),
        ));
    }
    Ok(())
}

/// Journey weights: journeys the lab's load has, each weight >= 0 (what
/// the load generator refuses, refused here before the run).
fn weights(w: &Spanned<Weights>, field: &str, lab: &Lab) -> Checked {
    let names = lab.journey_names();
    if let Some(unknown) = w.value.0.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(Issue::at(
            w,
            format!("{field}.{unknown}"),
            format!("unknown journey `{unknown}`, expected {}", one_of(&names)),
        ));
    }
    // Checked as the generator checks them: over the lab's mix with these
    // changed (the ones left out keep theirs).
    let mut merged = Weights(
        lab.load
            .journeys
            .iter()
            .map(|j| (j.name.clone(), j.weight))
            .collect(),
    );
    merged.0.extend(w.value.0.clone());
    merged
        .validate()
        .map_err(|e| Issue::at(w, field, format!("journey weights: {e}")))
}

fn known(value: &Spanned<String>, names: &[&str], field: &str, what: &str) -> Checked {
    if names.contains(&value.value.as_str()) {
        return Ok(());
    }
    Err(Issue::at(
        value,
        field,
        format!(
            "unknown {what} `{}`, expected {}",
            value.value,
            one_of(names)
        ),
    ))
}

fn dependency(service: &Spanned<String>, dep: &Spanned<String>, base: &str, lab: &Lab) -> Checked {
    known(
        service,
        &lab.service_names(),
        &format!("{base}.service"),
        "target",
    )?;
    let deps = lab.dependencies_of(&service.value);
    if deps.is_empty() {
        return Err(Issue::at(
            service,
            format!("{base}.service"),
            format!(
                "unknown target `{}`: it calls no other service",
                service.value
            ),
        ));
    }
    known(
        dep,
        &deps,
        &format!("{base}.dependency"),
        &format!("dependency of {}", service.value),
    )
}

fn probe(p: &Spanned<Probe>, base: &str, lab: &Lab) -> Checked {
    let http = matches!(p.value, Probe::Http(_));
    let before = p.value.checked_in(crate::model::Phase::Before);
    tolerance(
        p.value.tolerance(),
        &format!("{base}.tolerance"),
        http,
        before,
    )?;
    if let Some(w) = p.value.weight_spanned()
        && !(w.value.is_finite() && w.value >= 0.0)
    {
        return Err(Issue::at(
            w,
            format!("{base}.weight"),
            format!("must be a number of 0 or more, got {}", w.value),
        ));
    }
    match &p.value {
        Probe::Slo(s) => known(
            &s.journey,
            &lab.journey_names(),
            &format!("{base}.journey"),
            "journey",
        )?,
        Probe::Metric(m) => {
            if m.metric.value.trim().is_empty() {
                return Err(Issue::at(
                    &m.metric,
                    format!("{base}.metric"),
                    "must not be empty",
                ));
            }
        }
        Probe::Http(h) => {
            if let Some(s) = &h.service {
                known(
                    s,
                    &lab.service_names(),
                    &format!("{base}.service"),
                    "target",
                )?;
            }
            if !h.path.value.starts_with('/') {
                return Err(Issue::at(
                    &h.path,
                    format!("{base}.path"),
                    "must start with `/`",
                ));
            }
            if let Some(m) = &h.method
                && reqwest::Method::from_bytes(m.as_bytes()).is_err()
            {
                return Err(Issue::at(
                    p,
                    format!("{base}.method"),
                    format!("`{m}` is not an HTTP method"),
                ));
            }
        }
        Probe::Resilience(r) => dependency(&r.service, &r.dependency, base, lab)?,
        Probe::Trace(t) => {
            if let Some(s) = &t.service {
                known(
                    s,
                    &lab.service_names(),
                    &format!("{base}.service"),
                    "target",
                )?;
            }
        }
    }
    Ok(())
}

fn tolerance(t: &Spanned<Tolerance>, field: &str, http: bool, before: bool) -> Checked {
    let v = &t.value;
    if v.is_empty() {
        return Err(Issue::at(
            t,
            field,
            "give at least one of max, min, equals, one_of, status, contains, unchanged, max_change",
        ));
    }
    if let (Some(min), Some(max)) = (v.min, v.max)
        && min > max
    {
        return Err(Issue::at(
            t,
            format!("{field}.min"),
            format!("min {min} is above max {max}"),
        ));
    }
    if (v.unchanged || v.max_change.is_some()) && !before {
        return Err(Issue::at(
            t,
            field,
            "unchanged and max_change compare with the reading before the method: the probe must be checked `before`",
        ));
    }
    if !http && (v.status.is_some() || v.contains.is_some()) {
        return Err(Issue::at(
            t,
            field,
            "status and contains only apply to http probes",
        ));
    }
    if let Some(status) = &v.status
        && let Some(bad) = status
            .codes()
            .into_iter()
            .find(|s| !(100..=599).contains(s))
    {
        return Err(Issue::at(
            t,
            format!("{field}.status"),
            format!("{bad} is not an HTTP status"),
        ));
    }
    Ok(())
}

fn action(step: &Spanned<Action>, base: &str, rollback: bool, lab: &Lab) -> Checked {
    let field = format!("{base}.{}", step.value.kind());
    match &step.value {
        Action::Fault(_) | Action::Check(_) if rollback => Err(Issue::at(
            step,
            field,
            format!(
                "`{}` cannot be a rollback: rollbacks only restore",
                step.value.kind()
            ),
        )),
        Action::Fault(f) => fault(f, step, &field, lab),
        Action::ClearFaults(_) | Action::Wait(_) => Ok(()),
        Action::Check(label) if label.trim().is_empty() => {
            Err(Issue::at(step, field, "give the check a label"))
        }
        Action::Check(_) => Ok(()),
        Action::Policy(p) => {
            dependency(&p.service, &p.dependency, &field, lab)?;
            fields::policy_patch(&p.set, &format!("{field}.set"))?;
            fields::policy_values(&p.set, &format!("{field}.set"))
        }
        Action::Settings(s) => {
            known(
                &s.service,
                &lab.service_names(),
                &format!("{field}.service"),
                "target",
            )?;
            fields::settings_patch(&s.set, &format!("{field}.set"))
        }
        Action::Process(p) => {
            known(
                &p.target,
                &lab.supervised(),
                &format!("{field}.target"),
                "target (a service the lab starts)",
            )?;
            let why = match p.action {
                ProcessAction::Pause => Some("a pause needs one so the process always resumes"),
                ProcessAction::Stop => Some("a stop needs one so the process always comes back"),
                _ => None,
            };
            if let (Some(why), None) = (why, p.duration) {
                return Err(Issue::at(
                    step,
                    format!("{field}.duration"),
                    format!("missing field `duration`: {why}"),
                ));
            }
            Ok(())
        }
        Action::Load(l) => {
            rate(&l.rate, step, &format!("{field}.rate"))?;
            match &l.weights {
                Some(w) => weights(w, &format!("{field}.weights"), lab),
                None => Ok(()),
            }
        }
    }
}

fn fault(f: &FaultAction, step: &Spanned<Action>, field: &str, lab: &Lab) -> Checked {
    let layer = f.layer.unwrap_or(f.kind.default_layer());
    let allowed = match (f.kind, layer) {
        // A toxic that is also an in-service fault (`latency`) lives on both.
        (FaultKind::Toxic(def), Layer::Service) => {
            chaoslab_kit::faults::spec::KINDS.contains(&def.name)
        }
        (k, l) => k.default_layer() == l,
    };
    if !allowed {
        return Err(Issue::at(
            step,
            format!("{field}.layer"),
            format!(
                "`{}` faults live on the {} layer",
                f.kind.as_str(),
                match f.kind.default_layer() {
                    Layer::Proxy => "proxy",
                    Layer::Service => "service",
                }
            ),
        ));
    }
    match layer {
        Layer::Proxy => known(
            &f.target,
            &lab.proxies(),
            &format!("{field}.target"),
            "target",
        )?,
        Layer::Service => known(
            &f.target,
            &lab.service_names(),
            &format!("{field}.target"),
            "target",
        )?,
    }
    if f.kind.needs_consumer() && lab.consumes_events(&f.target.value) == Some(false) {
        let consumers: Vec<&str> = lab
            .service_names()
            .into_iter()
            .filter(|s| lab.consumes_events(s) == Some(true))
            .collect();
        return Err(Issue::at(
            &f.target,
            format!("{field}.target"),
            format!(
                "`{}` acts on a consumer of events and `{}` consumes none; the lab's consumers: {}",
                f.kind.as_str(),
                f.target.value,
                if consumers.is_empty() {
                    "none".to_string()
                } else {
                    consumers.join(", ")
                }
            ),
        ));
    }
    if f.duration.0.is_zero() {
        return Err(Issue::at(
            step,
            format!("{field}.duration"),
            "bad duration `0s`: a fault must last longer than 0s",
        ));
    }
    if let Some(t) = f.toxicity
        && !(0.0..=1.0).contains(&t)
    {
        return Err(Issue::at(
            step,
            format!("{field}.toxicity"),
            format!("must be from 0 to 1 (got {t})"),
        ));
    }
    if (f.stream.is_some() || f.toxicity.is_some()) && !f.kind.is_toxic() {
        return Err(Issue::at(
            step,
            field,
            "stream and toxicity only apply to toxics",
        ));
    }
    let empty = BTreeMap::new();
    let params = f.params.as_ref().map(|p| &p.value).unwrap_or(&empty);
    let at = f
        .params
        .as_ref()
        .map(|p| p.referenced)
        .unwrap_or(step.referenced);
    let (required, optional) = fields::fault_params(f.kind, layer);
    for name in params.keys() {
        if !required.contains(&name.as_str()) && !optional.contains(&name.as_str()) {
            let mut known: Vec<&str> = required.iter().chain(&optional).copied().collect();
            known.sort();
            return Err(Issue::at_location(
                &at,
                format!("{field}.params.{name}"),
                format!(
                    "unknown parameter `{name}` for `{}`, expected {}",
                    f.kind.as_str(),
                    one_of(&known)
                ),
            ));
        }
    }
    if let Some(missing) = required.iter().find(|r| !params.contains_key(**r)) {
        return Err(Issue::at_location(
            &at,
            format!("{field}.params.{missing}"),
            format!(
                "missing field `{missing}` (the `{}` fault needs it)",
                f.kind.as_str()
            ),
        ));
    }
    let body = crate::act::fault_request(f, &params.clone().into_iter().collect(), f.duration.0);
    if let Err(why) = fields::fault_values(f.kind, layer, &body) {
        let name = params
            .keys()
            .find(|k| why.starts_with(k.as_str()) || why.starts_with(&format!("delay.{k}")))
            .or_else(|| {
                params
                    .keys()
                    .find(|k| why.contains(&format!("`{k}`")) || why.contains(k.as_str()))
            });
        let at_field = name.map_or(format!("{field}.params"), |n| format!("{field}.params.{n}"));
        return Err(Issue::at_location(&at, at_field, why));
    }
    if f.kind == FaultKind::Service("pool_shrink") {
        let dep = params
            .get("dependency")
            .and_then(Value::as_str)
            .unwrap_or("");
        let deps = lab.dependencies_of(&f.target.value);
        if !deps.contains(&dep) {
            return Err(Issue::at_location(
                &at,
                format!("{field}.params.dependency"),
                format!(
                    "unknown target `{dep}`: {} depends on {}",
                    f.target.value,
                    one_of(&deps)
                ),
            ));
        }
    }
    Ok(())
}

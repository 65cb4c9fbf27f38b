//! A lesson's two files, compared: a fragile and a resilient experiment may
//! differ only in the knobs of the pattern the lesson is about, so that the
//! pattern is the only thing that can explain the opposite verdicts.
//!
//! Both files are read as plain YAML values; `title`, `description` and
//! comments are prose and not compared. Method steps are named by what they
//! change (`policy orders->payments`, `settings payments`, `fault latency
//! payments`, `process orders`, `wait`...), so a difference reads
//! `policy orders->payments.set.retry.max_attempts: 5 / 3`. A knob allows
//! every difference under it: `policy orders->payments.set.retry` allows
//! any retry field of that policy step, `process orders` a step present in
//! one file only.

use serde_json::Value;

/// What differs between `fragile` and `resilient` (YAML text), one line per
/// difference, each with its path; an error when a file is not YAML.
pub fn differences(fragile: &str, resilient: &str) -> Result<Vec<Difference>, String> {
    let a: Value = serde_saphyr::from_str(fragile).map_err(|e| format!("fragile: {e}"))?;
    let b: Value = serde_saphyr::from_str(resilient).map_err(|e| format!("resilient: {e}"))?;
    let mut out = Vec::new();
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut top: Vec<String> = keys(&a);
    for k in keys(&b) {
        if !top.contains(&k) {
            top.push(k);
        }
    }
    for k in top {
        if k == "title" || k == "description" {
            continue;
        }
        if k == "method" {
            steps(&a["method"], &b["method"], &mut out);
        } else {
            compare(&k, &a[&k], &b[&k], &mut out);
        }
    }
    Ok(out)
}

/// One difference: where, and the two sides (`None`: absent on that side).
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub path: String,
    pub fragile: Option<Value>,
    pub resilient: Option<Value>,
}

impl Difference {
    /// Whether `knob` covers this difference (the path is the knob or lies under it).
    pub fn under(&self, knob: &str) -> bool {
        self.path == knob
            || self.path.starts_with(&format!("{knob}."))
            || self.path.starts_with(&format!("{knob}["))
    }
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = |v: &Option<Value>| v.as_ref().map_or("(absent)".to_string(), Value::to_string);
        write!(
            f,
            "{}: fragile {} / resilient {}",
            self.path,
            side(&self.fragile),
            side(&self.resilient)
        )
    }
}

/// A method step's name: its kind and what it acts on.
fn label(step: &Value) -> String {
    let Some((kind, body)) = step.as_object().and_then(|o| o.iter().next()) else {
        return "step".into();
    };
    let s = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    match kind.as_str() {
        "policy" => format!("policy {}->{}", s("service"), s("dependency")),
        "settings" => format!("settings {}", s("service")),
        "fault" => format!("fault {} {}", s("kind"), s("target")),
        "process" => format!("process {}", s("target")),
        other => other.to_string(),
    }
}

/// The method's steps, aligned by name (a longest common subsequence), so a
/// step only one file has shows as that step, not as every later one moved.
fn steps(a: &Value, b: &Value, out: &mut Vec<Difference>) {
    let empty = Vec::new();
    let a = a.as_array().unwrap_or(&empty);
    let b = b.as_array().unwrap_or(&empty);
    let (la, lb): (Vec<String>, Vec<String>) =
        (a.iter().map(label).collect(), b.iter().map(label).collect());
    let mut lcs = vec![vec![0usize; lb.len() + 1]; la.len() + 1];
    for i in (0..la.len()).rev() {
        for j in (0..lb.len()).rev() {
            lcs[i][j] = if la[i] == lb[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < la.len() || j < lb.len() {
        if i < la.len() && j < lb.len() && la[i] == lb[j] {
            let body = |s: &Value| s.as_object().and_then(|o| o.values().next()).cloned();
            compare(
                &la[i],
                &body(&a[i]).unwrap_or_default(),
                &body(&b[j]).unwrap_or_default(),
                out,
            );
            i += 1;
            j += 1;
        } else if j >= lb.len() || (i < la.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            one_sided(&la[i], &a[i], true, out);
            i += 1;
        } else {
            one_sided(&lb[j], &b[j], false, out);
            j += 1;
        }
    }
}

/// A step only one file has: a change (`set`) shows field by field, as if
/// the other file had the step with nothing set; any other step as itself.
fn one_sided(label: &str, step: &Value, in_fragile: bool, out: &mut Vec<Difference>) {
    let set = step
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|b| b.get("set"));
    let empty = Value::Object(Default::default());
    match set {
        Some(set) if in_fragile => compare(&format!("{label}.set"), set, &empty, out),
        Some(set) => compare(&format!("{label}.set"), &empty, set, out),
        None => out.push(Difference {
            path: label.to_string(),
            fragile: in_fragile.then(|| step.clone()),
            resilient: (!in_fragile).then(|| step.clone()),
        }),
    }
}

fn compare(path: &str, a: &Value, b: &Value, out: &mut Vec<Difference>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().collect();
            keys.extend(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => compare(&p, u, v, out),
                    (u, v) => out.push(Difference {
                        path: p,
                        fragile: u.cloned(),
                        resilient: v.cloned(),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (n, (u, v)) in x.iter().zip(y).enumerate() {
                compare(&format!("{path}[{n}]"), u, v, out);
            }
        }
        _ if a == b => {}
        _ => out.push(Difference {
            path: path.to_string(),
            fragile: (!a.is_null()).then(|| a.clone()),
            resilient: (!b.is_null()).then(|| b.clone()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "title: a\ndescription: b\nload: { rate: 10 }\nmethod:\n  - policy: { service: orders, dependency: payments, set: { retry: { max_attempts: 5 }, breaker: { enabled: false } } }\n  - wait: 5s\n";

    #[test]
    fn prose_is_not_compared_and_a_knob_shows_with_its_path() {
        let other = BASE
            .replace("title: a", "title: c")
            .replace("max_attempts: 5", "max_attempts: 3");
        let d = differences(BASE, &other).unwrap();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].path, "policy orders->payments.set.retry.max_attempts");
        assert!(d[0].under("policy orders->payments.set.retry"));
        assert!(!d[0].under("policy orders->payments.set.breaker"));
    }

    #[test]
    fn a_step_one_file_has_is_one_difference_and_other_changes_show_too() {
        let other = BASE
            .replace(
                "  - wait: 5s\n",
                "  - process: { target: orders, action: kill }\n  - wait: 5s\n",
            )
            .replace("rate: 10", "rate: 20");
        let d = differences(&other, BASE).unwrap();
        let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, vec!["load.rate", "process orders"], "{d:?}");
        assert!(d[1].resilient.is_none());
    }

    #[test]
    fn a_file_that_is_not_yaml_is_an_error() {
        assert!(
            differences("a: [", BASE)
                .unwrap_err()
                .starts_with("fragile")
        );
    }
}

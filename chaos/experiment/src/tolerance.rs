//! Judging an observed value against a [`Tolerance`], and writing the
//! tolerance the way reports show it (`<= 0.05`, `status 200`, `= null`).

use serde_json::Value;

use crate::model::Tolerance;

/// What a probe saw: the value judged, plus an HTTP status and body when the
/// probe is an HTTP one.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub value: Value,
    pub status: Option<u16>,
    pub body: Option<String>,
    /// What the same probe read before the method, for `unchanged` and
    /// `max_change` (none in the before phase itself, where they hold).
    pub baseline: Option<Value>,
}

/// `Ok(())` when every criterion holds, else why not.
pub fn judge(t: &Tolerance, seen: &Seen) -> Result<(), String> {
    if let Some(status) = &t.status {
        let codes = status.codes();
        match seen.status {
            Some(s) if codes.contains(&s) => {}
            Some(s) => return Err(format!("status {s}, expected {}", list(&codes))),
            None => return Err("no status".into()),
        }
    }
    if let Some(text) = &t.contains
        && !seen.body.as_deref().unwrap_or("").contains(text.as_str())
    {
        return Err(format!("body does not contain {text:?}"));
    }
    let v = &seen.value;
    if t.max.is_some() || t.min.is_some() {
        let Some(n) = v.as_f64() else {
            return Err(format!("{} is not a number", show(v)));
        };
        if let Some(max) = t.max
            && n > max
        {
            return Err(format!("{} is above {max}", num(n)));
        }
        if let Some(min) = t.min
            && n < min
        {
            return Err(format!("{} is below {min}", num(n)));
        }
    }
    if let Some(want) = &t.equals
        && !same(v, want)
    {
        return Err(format!("{} is not {}", show(v), show(want)));
    }
    if let Some(base) = &seen.baseline {
        if t.unchanged && !same(v, base) {
            return Err(format!("{} changed from {}", show(v), show(base)));
        }
        if let Some(limit) = t.max_change {
            match (v.as_f64(), base.as_f64()) {
                (Some(n), Some(b)) if (n - b).abs() <= limit => {}
                (Some(n), Some(b)) => {
                    return Err(format!(
                        "{} moved {} from {}",
                        num(n),
                        num((n - b).abs()),
                        num(b)
                    ));
                }
                _ => {
                    return Err(format!(
                        "{} or its baseline {} is not a number",
                        show(v),
                        show(base)
                    ));
                }
            }
        }
    }
    if let Some(options) = &t.one_of
        && !options.iter().any(|o| same(v, o))
    {
        return Err(format!(
            "{} is not one of {}",
            show(v),
            options.iter().map(show).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}

/// Numbers compare by value (`1` equals `1.0`); everything else exactly.
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => a == b,
    }
}

fn list(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A value for people: numbers rounded, strings bare.
pub fn show(v: &Value) -> String {
    match v {
        Value::Number(n) => n.as_f64().map(num).unwrap_or_else(|| n.to_string()),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A number with at most four significant decimals.
pub fn num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        let s = format!("{n:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The tolerance as reports show it.
pub fn describe(t: &Tolerance) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &t.status {
        parts.push(format!("status {}", list(&s.codes())));
    }
    if let Some(c) = &t.contains {
        parts.push(format!("body has {c:?}"));
    }
    if let Some(min) = t.min {
        parts.push(format!(">= {}", num(min)));
    }
    if let Some(max) = t.max {
        parts.push(format!("<= {}", num(max)));
    }
    if let Some(e) = &t.equals {
        parts.push(format!("= {}", show(e)));
    }
    if let Some(o) = &t.one_of {
        parts.push(format!(
            "one of {}",
            o.iter().map(show).collect::<Vec<_>>().join(", ")
        ));
    }
    if t.unchanged {
        parts.push("unchanged from before".into());
    }
    if let Some(m) = t.max_change {
        parts.push(format!("within {} of before", num(m)));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seen(v: Value) -> Seen {
        Seen {
            value: v,
            ..Seen::default()
        }
    }

    #[test]
    fn bounds_equality_and_status() {
        let t = Tolerance {
            max: Some(0.05),
            ..Default::default()
        };
        assert!(judge(&t, &seen(json!(0.01))).is_ok());
        assert_eq!(
            judge(&t, &seen(json!(0.5))).unwrap_err(),
            "0.5 is above 0.05"
        );
        assert!(
            judge(&t, &seen(Value::Null))
                .unwrap_err()
                .contains("not a number")
        );
        let t = Tolerance {
            equals: Some(Value::Null),
            ..Default::default()
        };
        assert!(judge(&t, &seen(Value::Null)).is_ok());
        assert!(judge(&t, &seen(json!(3))).is_err());
        let t = Tolerance {
            one_of: Some(vec![json!("closed"), json!("half_open")]),
            ..Default::default()
        };
        assert!(judge(&t, &seen(json!("half_open"))).is_ok());
        assert!(judge(&t, &seen(json!("open"))).is_err());
        let t = Tolerance {
            status: Some(crate::model::StatusSet::One(200)),
            ..Default::default()
        };
        let s = Seen {
            status: Some(502),
            ..Seen::default()
        };
        assert_eq!(judge(&t, &s).unwrap_err(), "status 502, expected 200");
        assert_eq!(
            describe(&Tolerance {
                max: Some(0.05),
                min: Some(0.0),
                ..Default::default()
            }),
            ">= 0, <= 0.05"
        );
    }
}

//! The load a lab file describes: an arrival rate and weighted journeys,
//! each a list of HTTP steps sent to the lab's entry service.
//!
//! A step's path, header values and JSON body strings are templates:
//! `{NAME}` is a value saved from an earlier step's JSON answer
//! (`save = { token = "token" }`, dotted paths reach inside: `"order.id"`),
//! `{seq}` a number unique within the run, `{random:1..20}` a whole number
//! drawn from the range (both ends included). A body string that is only one
//! placeholder takes the value's JSON type (a saved number stays a number).

use super::raw::{RawExpect, RawJourney, RawLoad, RawStep};
use crate::{FileError, error::Locator};
use serde_json::Value;
use toml::Spanned;

/// The load: how often journeys start, and which.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Load {
    /// Journeys started per second (open model); `chaoslab up --rate` overrides it.
    pub rate: Option<f64>,
    pub journeys: Vec<Journey>,
}

/// A user journey: steps played in order; the first failing step ends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    pub name: String,
    /// Share of arrivals, relative to the other journeys' weights.
    pub weight: f64,
    pub steps: Vec<Step>,
}

/// One HTTP request of a journey.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub method: String,
    pub path: Template,
    /// The path as written, placeholders and all: the step's route in spans.
    pub route: String,
    /// Statuses that count as success; empty: any 2xx.
    pub expect: Vec<u16>,
    pub headers: Vec<(String, Template)>,
    /// JSON body; its strings are templates.
    pub body: Option<Value>,
    /// Variable name and the dotted path of the value in the JSON answer.
    pub save: Vec<(String, Vec<String>)>,
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Text(String),
    /// A value saved by an earlier step.
    Var(String),
    /// A number unique within the run.
    Seq,
    /// A whole number from the range, both ends included.
    Random(u64, u64),
}

/// A string with placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

impl Template {
    /// Parses `{NAME}`, `{seq}`, `{random:A..B}`; `{{` and `}}` are braces.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let inner: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                    }
                    parts.push(placeholder(&inner)?);
                }
                '}' => return Err(format!("a lone `}}` in {s:?} (write `}}}}` for a brace)")),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Ok(Self { parts })
    }

    /// The variables it reads.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Var(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// Fills every placeholder with `value(part)` (a JSON string is used
    /// without quotes).
    pub fn render(&self, value: &mut dyn FnMut(&TemplatePart) -> Value) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                TemplatePart::Text(t) => out.push_str(t),
                other => match value(other) {
                    Value::String(s) => out.push_str(&s),
                    v => out.push_str(&v.to_string()),
                },
            }
        }
        out
    }

    /// The one placeholder the template consists of, if so.
    pub fn whole(&self) -> Option<&TemplatePart> {
        match self.parts.as_slice() {
            [p] if !matches!(p, TemplatePart::Text(_)) => Some(p),
            _ => None,
        }
    }
}

fn placeholder(inner: &str) -> Result<TemplatePart, String> {
    let inner = inner.trim();
    if inner == "seq" {
        return Ok(TemplatePart::Seq);
    }
    if let Some(range) = inner.strip_prefix("random:") {
        let bad = || format!("`{{{inner}}}`: write a range as `{{random:1..20}}`");
        let (a, b) = range.split_once("..").ok_or_else(bad)?;
        let (a, b): (u64, u64) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        if a > b {
            return Err(format!("`{{{inner}}}`: the range is empty ({a} > {b})"));
        }
        return Ok(TemplatePart::Random(a, b));
    }
    if inner.is_empty() || !inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "`{{{inner}}}` is not a placeholder: use {{NAME}} (saved by an earlier step), {{seq}} or {{random:A..B}}"
        ));
    }
    Ok(TemplatePart::Var(inner.to_string()))
}

/// Checks and resolves `[load]`.
pub(super) fn load(raw: Option<&Spanned<RawLoad>>, at: &Locator) -> Result<Load, FileError> {
    let Some(raw) = raw else {
        return Ok(Load::default());
    };
    let raw = raw.get_ref();
    let rate = match &raw.rate {
        Some(r) if !r.get_ref().is_finite() || *r.get_ref() < 0.0 => {
            return Err(at.error(
                Some(r.span()),
                "load.rate",
                format!(
                    "must be a number >= 0 (journeys per second), got {}",
                    r.get_ref()
                ),
            ));
        }
        r => r.as_ref().map(|r| *r.get_ref()),
    };
    let mut journeys: Vec<Journey> = Vec::new();
    for (i, j) in raw.journeys.iter().enumerate() {
        let journey = self::journey(j.get_ref(), i, at)?;
        if journeys.iter().any(|k| k.name == journey.name) {
            return Err(at.error(
                Some(j.get_ref().name.span()),
                format!("load.journeys[{i}].name"),
                format!("a journey named `{}` is already defined", journey.name),
            ));
        }
        journeys.push(journey);
    }
    Ok(Load { rate, journeys })
}

fn journey(raw: &RawJourney, i: usize, at: &Locator) -> Result<Journey, FileError> {
    let key = format!("load.journeys[{i}]");
    let name = raw.name.get_ref();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(at.error(
            Some(raw.name.span()),
            format!("{key}.name"),
            format!("`{name}`: a journey name is letters, digits and `_` (it is a metric label)"),
        ));
    }
    let weight = raw.weight.as_ref().map(|w| *w.get_ref()).unwrap_or(1.0);
    if !weight.is_finite() || weight <= 0.0 {
        return Err(at.error(
            raw.weight.as_ref().map(|w| w.span()),
            format!("{key}.weight"),
            format!("must be a number > 0, got {weight}"),
        ));
    }
    if raw.steps.get_ref().is_empty() {
        return Err(at.error(
            Some(raw.steps.span()),
            format!("{key}.steps"),
            "a journey needs at least one step",
        ));
    }
    let mut saved: Vec<String> = Vec::new();
    let mut steps = Vec::new();
    for (s, step) in raw.steps.get_ref().iter().enumerate() {
        let key = format!("{key}.steps[{s}]");
        steps.push(self::step(step, &key, &mut saved, at)?);
    }
    Ok(Journey {
        name: name.clone(),
        weight,
        steps,
    })
}

fn step(
    raw: &Spanned<RawStep>,
    key: &str,
    saved: &mut Vec<String>,
    at: &Locator,
) -> Result<Step, FileError> {
    let span = raw.span();
    let raw = raw.get_ref();
    let method = raw
        .method
        .as_ref()
        .map(|m| m.get_ref().clone())
        .unwrap_or_else(|| "GET".to_string());
    if method.is_empty() || !method.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(at.error(
            raw.method.as_ref().map(|m| m.span()),
            format!("{key}.method"),
            format!("`{method}` is not an HTTP method (GET, POST, PUT, DELETE, ...)"),
        ));
    }
    let route = raw.path.get_ref().clone();
    if !route.starts_with('/') {
        return Err(at.error(
            Some(raw.path.span()),
            format!("{key}.path"),
            format!("`{route}` must start with `/`"),
        ));
    }
    let template = |s: &Spanned<String>, k: String| -> Result<Template, FileError> {
        let t = Template::parse(s.get_ref()).map_err(|m| at.error(Some(s.span()), &k, m))?;
        if let Some(v) = t.vars().find(|v| !saved.iter().any(|x| x == v)) {
            return Err(at.error(Some(s.span()), &k, unsaved(v, saved)));
        }
        Ok(t)
    };
    let path = template(&raw.path, format!("{key}.path"))?;
    let mut headers = Vec::new();
    for (name, value) in &raw.headers {
        headers.push((
            name.clone(),
            template(value, format!("{key}.headers.{name}"))?,
        ));
    }
    let body = match &raw.body {
        None => None,
        Some(b) => {
            let json = serde_json::to_value(b.get_ref())
                .map_err(|e| at.error(Some(b.span()), format!("{key}.body"), e.to_string()))?;
            check_body(&json, saved)
                .map_err(|m| at.error(Some(b.span()), format!("{key}.body"), m))?;
            Some(json)
        }
    };
    let expect = match raw.expect.as_ref().map(|e| (e.span(), e.get_ref())) {
        None => Vec::new(),
        Some((sp, e)) => {
            let codes = match e {
                RawExpect::One(c) => vec![*c],
                RawExpect::Many(cs) => cs.clone(),
            };
            if let Some(bad) = codes.iter().find(|c| !(100..=599).contains(*c)) {
                return Err(at.error(
                    Some(sp),
                    format!("{key}.expect"),
                    format!("{bad} is not an HTTP status"),
                ));
            }
            codes.into_iter().map(|c| c as u16).collect()
        }
    };
    let mut save = Vec::new();
    for (var, from) in &raw.save {
        let k = format!("{key}.save.{var}");
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(at.error(
                Some(span.clone()),
                k,
                format!("`{var}`: a variable name is letters, digits and `_`"),
            ));
        }
        if matches!(var.as_str(), "seq") {
            return Err(at.error(Some(from.span()), k, "`seq` is a built-in placeholder"));
        }
        let fields: Vec<String> = from.get_ref().split('.').map(str::to_string).collect();
        if fields.iter().any(String::is_empty) {
            return Err(at.error(
                Some(from.span()),
                k,
                format!(
                    "`{}`: a dotted path into the JSON answer, like `order.id`",
                    from.get_ref()
                ),
            ));
        }
        save.push((var.clone(), fields));
    }
    saved.extend(save.iter().map(|(v, _)| v.clone()));
    Ok(Step {
        method,
        path,
        route,
        expect,
        headers,
        body,
        save,
    })
}

fn unsaved(var: &str, saved: &[String]) -> String {
    if saved.is_empty() {
        format!("`{{{var}}}` is not saved by an earlier step (no step before saves anything)")
    } else {
        format!(
            "`{{{var}}}` is not saved by an earlier step (saved: {})",
            saved.join(", ")
        )
    }
}

fn check_body(v: &Value, saved: &[String]) -> Result<(), String> {
    match v {
        Value::String(s) => {
            let t = Template::parse(s)?;
            match t.vars().find(|v| !saved.iter().any(|x| x == v)) {
                Some(v) => Err(unsaved(v, saved)),
                None => Ok(()),
            }
        }
        Value::Array(a) => a.iter().try_for_each(|x| check_body(x, saved)),
        Value::Object(o) => o.values().try_for_each(|x| check_body(x, saved)),
        _ => Ok(()),
    }
}

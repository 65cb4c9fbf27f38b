//! The load a lab file describes: an arrival rate and weighted journeys,
//! each a list of HTTP steps sent to the lab's entry service.
//!
//! A step's path, header values and JSON body strings are templates:
//! `{NAME}` is a value saved from an earlier step's JSON answer
//! (`save = { token = "token" }`, dotted paths reach inside: `"order.id"`),
//! `{seq}` a number unique within the run, `{random:1..20}` a whole number
//! drawn from the range (both ends included). A body string that is only one
//! placeholder takes the value's JSON type (a saved number stays a number).
//!
//! State across plays, kept small: `users` are virtual users whose fields are
//! variables (each arrival plays as one of them, picked at random); a step
//! with `once = true` is played once per user and journey and its saved
//! values reused (a cached login); a journey with `after = "checkout"` plays
//! with the values saved by an earlier successful `checkout` of the same user.

use super::raw::{RawExpect, RawJourney, RawLoad, RawStep};
use crate::{FileError, error::Locator};
use serde_json::Value;
use std::collections::BTreeMap;
use toml::Spanned;

/// The load: how often journeys start, and which.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Load {
    /// Journeys started per second (open model); `chaoslab up --rate` overrides it.
    pub rate: Option<f64>,
    pub journeys: Vec<Journey>,
    /// Virtual users: variable name to value; none: one user with no fields.
    pub users: Vec<Vec<(String, String)>>,
}

/// Variable names every journey can read: the users' fields.
fn user_fields(users: &[Vec<(String, String)>]) -> Vec<String> {
    users
        .first()
        .map(|u| u.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default()
}

/// A user journey: steps played in order; the first failing step ends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    pub name: String,
    /// Share of arrivals, relative to the other journeys' weights.
    pub weight: f64,
    /// The journey whose saved values (of its steps without `once`) this one
    /// plays with: one earlier successful play by the same user, at random.
    /// Until there is one, an arrival plays that journey instead.
    pub after: Option<String>,
    /// Its `once` steps come first.
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
    /// Played once per virtual user; its saved values are reused until a
    /// later step of the journey answers 401.
    pub once: bool,
}

impl Step {
    /// How the step is named in reports: `2 POST /api/checkout` (1-based).
    pub fn label(&self, index: usize) -> String {
        format!("{} {} {}", index + 1, self.method, self.route)
    }
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
    let users = self::users(raw.users.as_ref(), at)?;
    let fields = user_fields(&users);
    let mut journeys: Vec<Journey> = Vec::new();
    for (i, j) in raw.journeys.iter().enumerate() {
        let mut known = fields.clone();
        known.extend(after_saves(raw, j.get_ref(), i, at)?);
        let journey = self::journey(j.get_ref(), i, known, at)?;
        if journeys.iter().any(|k| k.name == journey.name) {
            return Err(at.error(
                Some(j.get_ref().name.span()),
                format!("load.journeys[{i}].name"),
                format!("a journey named `{}` is already defined", journey.name),
            ));
        }
        journeys.push(journey);
    }
    Ok(Load {
        rate,
        journeys,
        users,
    })
}

fn users(
    raw: Option<&Spanned<Vec<BTreeMap<String, String>>>>,
    at: &Locator,
) -> Result<Vec<Vec<(String, String)>>, FileError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let users: Vec<Vec<(String, String)>> = raw
        .get_ref()
        .iter()
        .map(|u| u.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .collect();
    let keys = |u: &Vec<(String, String)>| u.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    for (i, u) in users.iter().enumerate() {
        if let Some((bad, _)) = u.iter().find(|(k, _)| !is_var_name(k) || k == "seq") {
            return Err(at.error(
                Some(raw.span()),
                format!("load.users[{i}].{bad}"),
                format!("`{bad}`: a user field is letters, digits and `_` (not `seq`)"),
            ));
        }
        if keys(u) != keys(&users[0]) {
            return Err(at.error(
                Some(raw.span()),
                format!("load.users[{i}]"),
                format!(
                    "every user has the same fields: users[0] has {:?}, users[{i}] has {:?}",
                    keys(&users[0]),
                    keys(u)
                ),
            ));
        }
    }
    Ok(users)
}

fn is_var_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The variables a journey's `after` journey saves (in its steps without
/// `once`), which the journey can read from its first step.
fn after_saves(
    load: &RawLoad,
    raw: &RawJourney,
    i: usize,
    at: &Locator,
) -> Result<Vec<String>, FileError> {
    let Some(after) = &raw.after else {
        return Ok(Vec::new());
    };
    let key = format!("load.journeys[{i}].after");
    let name = after.get_ref();
    let names: Vec<&str> = load
        .journeys
        .iter()
        .map(|j| j.get_ref().name.get_ref().as_str())
        .collect();
    let Some(source) = load
        .journeys
        .iter()
        .map(|j| j.get_ref())
        .find(|j| j.name.get_ref() == name)
    else {
        return Err(at.error(
            Some(after.span()),
            key,
            format!("no journey named `{name}` (journeys: {})", names.join(", ")),
        ));
    };
    if name == raw.name.get_ref() {
        return Err(at.error(Some(after.span()), key, "a journey cannot follow itself"));
    }
    if source.after.is_some() {
        return Err(at.error(
            Some(after.span()),
            key,
            format!("`{name}` has an `after` itself; follow a journey that has none"),
        ));
    }
    Ok(source
        .steps
        .get_ref()
        .iter()
        .filter(|s| !s.get_ref().once)
        .flat_map(|s| s.get_ref().save.keys().cloned())
        .collect())
}

fn journey(
    raw: &RawJourney,
    i: usize,
    known: Vec<String>,
    at: &Locator,
) -> Result<Journey, FileError> {
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
    let mut saved = known;
    let mut steps: Vec<Step> = Vec::new();
    for (s, step) in raw.steps.get_ref().iter().enumerate() {
        let key = format!("{key}.steps[{s}]");
        let step = self::step(step, &key, &mut saved, at)?;
        if step.once && steps.last().is_some_and(|p| !p.once) {
            return Err(at.error(
                Some(raw.steps.get_ref()[s].span()),
                format!("{key}.once"),
                "`once` steps come first in a journey (they are played before the others)",
            ));
        }
        steps.push(step);
    }
    Ok(Journey {
        name: name.clone(),
        weight,
        after: raw.after.as_ref().map(|a| a.get_ref().clone()),
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
        once: raw.once,
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

//! What a PromQL expression refers to: metric names, label names and the
//! label values it matches on.
//!
//! Grafana's template variables (`$service`, `${dependency:regex}`,
//! `[[service]]`, `$__rate_interval`, ...) are substituted first with
//! [`substitute`], then the text is parsed by `promql-parser`, so that a name
//! is a metric only where PromQL's grammar says it is.

use std::collections::{BTreeMap, BTreeSet};

use promql_parser::label::{MatchOp, Matchers};
use promql_parser::parser::{self, Expr, LabelModifier};

/// Values for template variables, by name without the `$`.
pub type Vars = BTreeMap<String, String>;

/// Grafana's built-in interval variables, with values fit for an instant query.
pub fn builtin_vars() -> Vars {
    [
        ("__rate_interval", "1m"),
        ("__interval", "15s"),
        ("__interval_ms", "15000"),
        ("__range", "5m"),
        ("__range_s", "300"),
        ("__range_ms", "300000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Replaces `$name`, `${name}`, `${name:format}` and `[[name]]` with the value
/// from `vars`. Unknown variables are left as they are, so that the parser
/// reports them.
pub fn substitute(text: &str, vars: &Vars) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(['$', '[']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some((name, used)) = variable_at(tail)
            && let Some(value) = vars.get(name)
        {
            out.push_str(value);
            rest = &tail[used..];
            continue;
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The variable name at the start of `s` and how many bytes its reference
/// takes, for the three Grafana syntaxes.
fn variable_at(s: &str) -> Option<(&str, usize)> {
    let ident_len = |t: &str| {
        t.char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(t.len(), |(i, _)| i)
    };
    if let Some(t) = s.strip_prefix("${") {
        let close = t.find('}')?;
        let name = t[..close].split(':').next()?;
        return Some((name, close + 3));
    }
    if let Some(t) = s.strip_prefix("[[") {
        let close = t.find("]]")?;
        let name = t[..close].split(':').next()?;
        return Some((name, close + 4));
    }
    let t = s.strip_prefix('$')?;
    let n = ident_len(t);
    (n > 0).then(|| (&t[..n], n + 1))
}

/// One label matcher as written in a selector.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabelMatch {
    pub metric: String,
    pub label: String,
    /// `=`, `!=`, `=~` or `!~`.
    pub op: &'static str,
    pub value: String,
}

/// Everything an expression refers to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refs {
    /// Metric names of every selector.
    pub metrics: BTreeSet<String>,
    /// Label names used in matchers, `by`/`without` and `on`/`ignoring`.
    pub labels: BTreeSet<String>,
    /// Every label matcher, with the metric it belongs to.
    pub matches: Vec<LabelMatch>,
}

/// Parses `expr` (already substituted) and collects what it refers to.
pub fn refs(expr: &str) -> Result<Refs, String> {
    let ast = parser::parse(expr)?;
    let mut refs = Refs::default();
    walk(&ast, &mut refs);
    Ok(refs)
}

fn walk(e: &Expr, r: &mut Refs) {
    match e {
        Expr::Aggregate(a) => {
            add_modifier(a.modifier.as_ref(), r);
            walk(&a.expr, r);
            if let Some(p) = &a.param {
                walk(p, r);
            }
        }
        Expr::Unary(u) => walk(&u.expr, r),
        Expr::Binary(b) => {
            if let Some(m) = &b.modifier {
                add_modifier(m.matching.as_ref(), r);
            }
            walk(&b.lhs, r);
            walk(&b.rhs, r);
        }
        Expr::Paren(p) => walk(&p.expr, r),
        Expr::Subquery(s) => walk(&s.expr, r),
        Expr::VectorSelector(vs) => selector(vs.name.as_deref(), &vs.matchers, r),
        Expr::MatrixSelector(ms) => selector(ms.vs.name.as_deref(), &ms.vs.matchers, r),
        Expr::Call(c) => c.args.args.iter().for_each(|a| walk(a, r)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn add_modifier(m: Option<&LabelModifier>, r: &mut Refs) {
    if let Some(m) = m {
        r.labels.extend(m.labels().labels.iter().cloned());
    }
}

fn selector(name: Option<&str>, matchers: &Matchers, r: &mut Refs) {
    let all = matchers
        .matchers
        .iter()
        .chain(matchers.or_matchers.iter().flatten());
    let mut metric = name.map(str::to_string);
    for m in all.clone() {
        if m.name == "__name__" && matches!(m.op, MatchOp::Equal) {
            metric = Some(m.value.clone());
        }
    }
    let metric = metric.unwrap_or_default();
    if !metric.is_empty() {
        r.metrics.insert(metric.clone());
    }
    for m in all.filter(|m| m.name != "__name__") {
        r.labels.insert(m.name.clone());
        let op = match m.op {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Re(_) => "=~",
            MatchOp::NotRe(_) => "!~",
        };
        r.matches.push(LabelMatch {
            metric: metric.clone(),
            label: m.name.clone(),
            op,
            value: m.value.clone(),
        });
    }
}

/// A Grafana template-variable query in the Prometheus data source's
/// function syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableQuery {
    /// `label_values(selector, label)` or `label_values(label)`.
    LabelValues {
        selector: Option<String>,
        label: String,
    },
    /// `query_result(expr)`.
    QueryResult(String),
    /// Anything else, taken as plain PromQL.
    Expr(String),
}

/// Reads a variable query such as `label_values(up{job="x"}, service)`.
pub fn variable_query(text: &str) -> VariableQuery {
    let t = text.trim();
    if let Some(inner) = t
        .strip_prefix("label_values(")
        .and_then(|s| s.strip_suffix(')'))
    {
        return match inner.rsplit_once(',') {
            Some((sel, label)) => VariableQuery::LabelValues {
                selector: Some(sel.trim().to_string()),
                label: label.trim().to_string(),
            },
            None => VariableQuery::LabelValues {
                selector: None,
                label: inner.trim().to_string(),
            },
        };
    }
    if let Some(inner) = t
        .strip_prefix("query_result(")
        .and_then(|s| s.strip_suffix(')'))
    {
        return VariableQuery::QueryResult(inner.trim().to_string());
    }
    VariableQuery::Expr(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_every_syntax_and_leaves_unknown_ones() {
        let mut v = builtin_vars();
        v.insert("service".into(), "gateway".into());
        let s = substitute(
            r#"rate(x{a="$service",b="${service:regex}",c="[[service]]"}[$__rate_interval]) $nope"#,
            &v,
        );
        assert_eq!(
            s,
            r#"rate(x{a="gateway",b="gateway",c="gateway"}[1m]) $nope"#
        );
    }

    #[test]
    fn collects_metrics_labels_and_matchers() {
        let r = refs(
            r#"sum by (service, le) (rate(http_server_request_duration_seconds_bucket{http_route!="/x"}[1m])) / on (service) group_left up{job="gateway"}"#,
        )
        .unwrap();
        let metrics: Vec<_> = r.metrics.iter().map(String::as_str).collect();
        assert_eq!(
            metrics,
            ["http_server_request_duration_seconds_bucket", "up"]
        );
        assert!(
            r.labels.contains("le") && r.labels.contains("http_route") && r.labels.contains("job")
        );
        assert_eq!(r.matches[1].value, "gateway");
    }

    #[test]
    fn a_syntax_error_is_an_error() {
        assert!(refs("sum(rate(x[1m])").is_err());
    }

    #[test]
    fn reads_variable_queries() {
        assert_eq!(
            variable_query("label_values(resilience_calls_total{service=\"a\"}, dependency)"),
            VariableQuery::LabelValues {
                selector: Some("resilience_calls_total{service=\"a\"}".into()),
                label: "dependency".into()
            }
        );
        assert_eq!(
            variable_query("label_values(service)"),
            VariableQuery::LabelValues {
                selector: None,
                label: "service".into()
            }
        );
    }
}

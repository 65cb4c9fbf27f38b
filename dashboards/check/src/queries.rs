//! Every PromQL query a dashboard runs, flattened into one list: panel
//! targets, template-variable queries and annotation queries, each with the
//! place it comes from so that a problem can be reported by
//! dashboard / panel / query.

use std::fmt;

use crate::dashboard::Dashboard;
use crate::promql::{VariableQuery, Vars, builtin_vars, variable_query};

/// Where in a dashboard a query sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Panel {
        id: Option<u64>,
        title: String,
        ref_id: String,
    },
    Variable(String),
    Annotation(String),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Panel { id, title, ref_id } => {
                let id = id.map_or("?".to_string(), |i| i.to_string());
                write!(f, "panel {id} {title:?} query {ref_id}")
            }
            Place::Variable(n) => write!(f, "variable ${n}"),
            Place::Annotation(n) => write!(f, "annotation {n:?}"),
        }
    }
}

/// One query with its origin.
#[derive(Debug, Clone)]
pub struct Query {
    pub dashboard: String,
    pub place: Place,
    pub datasource: Option<String>,
    /// As written in the dashboard, variables unsubstituted.
    pub expr: String,
    pub exemplar: bool,
}

impl Query {
    /// The PromQL a variable query stands for (`label_values(sel, l)` asks
    /// for the series of `sel`), else the expression itself.
    pub fn promql(&self) -> Option<String> {
        match &self.place {
            Place::Variable(_) => match variable_query(&self.expr) {
                VariableQuery::LabelValues { selector, .. } => selector,
                VariableQuery::QueryResult(e) | VariableQuery::Expr(e) => Some(e),
            },
            _ => Some(self.expr.clone()),
        }
    }
}

/// Every PromQL query of `d`, in order: variables, annotations, panels.
pub fn of(d: &Dashboard) -> Vec<Query> {
    let mut out = Vec::new();
    let q = |place, datasource, expr: &str, exemplar| Query {
        dashboard: d.title.clone(),
        place,
        datasource,
        expr: expr.to_string(),
        exemplar,
    };
    for v in d.variables.iter().filter(|v| v.kind == "query") {
        if let Some(expr) = &v.query {
            out.push(q(
                Place::Variable(v.name.clone()),
                v.datasource.clone(),
                expr,
                false,
            ));
        }
    }
    for a in &d.annotations {
        if let Some(expr) = &a.expr {
            out.push(q(
                Place::Annotation(a.name.clone()),
                a.datasource.clone(),
                expr,
                false,
            ));
        }
    }
    for p in &d.panels {
        for t in &p.targets {
            let place = Place::Panel {
                id: p.id,
                title: p.title.clone(),
                ref_id: t.ref_id.clone(),
            };
            out.push(q(place, t.datasource.clone(), &t.expr, t.exemplar));
        }
    }
    out
}

/// Values for a static reading of `d`: each variable's saved value (or its
/// first option, or its "All" value), plus Grafana's built-ins.
pub fn static_vars(d: &Dashboard) -> Vars {
    let mut vars = builtin_vars();
    for v in &d.variables {
        let value = match v.current.as_deref() {
            Some("$__all") | None => v.all_value.clone().or_else(|| v.options.first().cloned()),
            Some(c) => Some(c.to_string()),
        };
        vars.insert(v.name.clone(), value.unwrap_or_else(|| ".*".to_string()));
    }
    vars
}

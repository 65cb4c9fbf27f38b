//! The journey executor: plays a lab file's journey (its steps, in order)
//! against the entry service as one virtual user.
//!
//! ```text
//!  vars = the user's fields + (after = J: one kept play of J by this user)
//!  once steps ── cached per journey and user (one play at a time per user) ──> vars
//!  steps ── fill placeholders ── HTTP + traceparent ── expect? ── save ──> vars
//!          └─ 401 after cached values: the once steps again, the step once more
//!  success ── values saved by the non-once steps kept (journeys that others follow)
//! ```
//!
//! The first step that fails ends the journey; the failure names the step.

mod request;

use crate::outcome::Outcome;
use chaoslab_contract::{Journey, Load};
use rand::{RngExt, rngs::SmallRng};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::Span;

/// Variables of one play: name to JSON value.
pub(crate) type Vars = HashMap<String, Value>;

/// How many successful plays are kept per user for the journeys that follow.
const KEPT: usize = 1000;

/// Why a play failed: its outcome and the step (`2 POST /orders`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub outcome: Outcome,
    pub step: String,
}

/// One step's failure before it is named; `status` when there was an answer.
struct StepError {
    outcome: Outcome,
    status: Option<u16>,
}

/// Plays the journeys of one load; shared by every arrival.
pub(crate) struct Player {
    pub(crate) journeys: Vec<Journey>,
    http: request::Http,
    users: Vec<Vars>,
    /// The journey each one follows, by index.
    after: Vec<Option<usize>>,
    /// `[journey][user]`: values saved by the journey's `once` steps. The
    /// async lock makes one play of the `once` steps per user at a time, so
    /// arrivals that need the same values (a login) wait for them instead of
    /// all playing the steps at once (a login storm).
    cached: Vec<Vec<tokio::sync::Mutex<Option<Vars>>>>,
    /// `[journey][user]`: values saved by recent successful plays, kept only
    /// for journeys that another one follows.
    kept: Vec<Vec<Mutex<VecDeque<Vars>>>>,
    followed: Vec<bool>,
    /// `{seq}`: from a random base, so two runs against one service do not
    /// share numbers (an idempotency key would replay the old request).
    seq: AtomicU64,
}

impl Player {
    /// A player of `load` against `base` (`None`: every step fails as `error`).
    pub(crate) fn new(
        load: &Load,
        base: Option<reqwest::Url>,
        max_in_flight: usize,
        timeout: Duration,
        seq_base: u64,
    ) -> Self {
        let journeys = load.journeys.clone();
        let mut users: Vec<Vars> = load
            .users
            .iter()
            .map(|u| {
                u.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect()
            })
            .collect();
        if users.is_empty() {
            users.push(Vars::new());
        }
        let index = |name: &str| journeys.iter().position(|j| j.name == name);
        let after: Vec<Option<usize>> = journeys
            .iter()
            .map(|j| j.after.as_deref().and_then(index))
            .collect();
        let followed = (0..journeys.len())
            .map(|i| after.contains(&Some(i)))
            .collect();
        fn per_user<T: Default>(journeys: usize, users: usize) -> Vec<Vec<T>> {
            (0..journeys)
                .map(|_| (0..users).map(|_| T::default()).collect())
                .collect()
        }
        Self {
            cached: per_user(journeys.len(), users.len()),
            kept: per_user(journeys.len(), users.len()),
            http: request::Http::new(base, max_in_flight, timeout),
            users,
            after,
            followed,
            journeys,
            seq: AtomicU64::new(seq_base),
        }
    }

    pub(crate) fn users(&self) -> usize {
        self.users.len()
    }

    /// The journey really played by `user` for an arrival of `journey`: one
    /// that follows another plays that one until it has a kept play.
    pub(crate) fn resolve(&self, journey: usize, user: usize) -> usize {
        match self.after[journey] {
            Some(a) if lock(&self.kept[a][user]).is_empty() => a,
            _ => journey,
        }
    }

    /// Plays journey `j` as `user` under `root`, drawing data from `rng`.
    pub(crate) async fn play(
        &self,
        j: usize,
        user: usize,
        root: &Span,
        rng: &mut SmallRng,
    ) -> Result<(), Failure> {
        let journey = &self.journeys[j];
        let mut vars = self.users[user].clone();
        if let Some(a) = self.after[j] {
            let kept = lock(&self.kept[a][user]);
            if !kept.is_empty() {
                vars.extend(kept[rng.random_range(0..kept.len())].clone());
            }
        }
        let once = journey.steps.iter().take_while(|s| s.once).count();
        let mut cached = if once > 0 {
            let c = self.cached(j, user, None, &vars, root, rng).await?;
            vars.extend(c.clone());
            Some(c)
        } else {
            None
        };
        let mut saved = Vars::new();
        for (i, step) in journey.steps.iter().enumerate().skip(once) {
            let mut result = self.step(i, j, &mut vars, root, rng).await;
            if let (
                Err(StepError {
                    status: Some(401), ..
                }),
                Some(used),
            ) = (&result, &cached)
            {
                let renewed = self.cached(j, user, Some(used), &vars, root, rng).await?;
                vars.extend(renewed.clone());
                cached = Some(renewed);
                result = self.step(i, j, &mut vars, root, rng).await;
            }
            match result {
                Ok(new) => saved.extend(new),
                Err(e) => {
                    return Err(Failure {
                        outcome: e.outcome,
                        step: step.label(i),
                    });
                }
            }
        }
        if self.followed[j] {
            let mut kept = lock(&self.kept[j][user]);
            if kept.len() >= KEPT {
                kept.pop_front();
            }
            kept.push_back(saved);
        }
        Ok(())
    }

    /// The values of journey `j`'s `once` steps for `user`: the cached ones
    /// unless they are `stale` (refused with a 401), else played now. Values
    /// renewed meanwhile by another arrival are used as they are.
    async fn cached(
        &self,
        j: usize,
        user: usize,
        stale: Option<&Vars>,
        vars: &Vars,
        root: &Span,
        rng: &mut SmallRng,
    ) -> Result<Vars, Failure> {
        let mut slot = self.cached[j][user].lock().await;
        match slot.as_ref() {
            Some(c) if Some(c) != stale => return Ok(c.clone()),
            _ => *slot = None,
        }
        let mut vars = vars.clone();
        let mut saved = Vars::new();
        let steps = &self.journeys[j].steps;
        for (i, step) in steps.iter().enumerate().take_while(|(_, s)| s.once) {
            match self.step(i, j, &mut vars, root, rng).await {
                Ok(new) => saved.extend(new),
                Err(e) => {
                    return Err(Failure {
                        outcome: e.outcome,
                        step: step.label(i),
                    });
                }
            }
        }
        *slot = Some(saved.clone());
        Ok(saved)
    }

    /// Step `i` of journey `j`: sent, checked, its values saved into `vars`
    /// (and returned).
    async fn step(
        &self,
        i: usize,
        j: usize,
        vars: &mut Vars,
        root: &Span,
        rng: &mut SmallRng,
    ) -> Result<Vars, StepError> {
        let step = &self.journeys[j].steps[i];
        let seq = &self.seq;
        let mut fill = |part: &chaoslab_contract::TemplatePart| {
            use chaoslab_contract::TemplatePart as P;
            match part {
                P::Var(v) => vars.get(v).cloned().unwrap_or(Value::Null),
                P::Seq => Value::from(seq.fetch_add(1, Ordering::Relaxed)),
                P::Random(a, b) => Value::from(rng.random_range(*a..=*b)),
                P::Text(t) => Value::String(t.clone()),
            }
        };
        let req = request::Request::build(step, &mut fill);
        let (status, body) = self.http.send(root, step, req).await?;
        let expected = if step.expect.is_empty() {
            (200..300).contains(&status)
        } else {
            step.expect.contains(&status)
        };
        if !expected {
            return Err(StepError {
                outcome: Outcome::unexpected(status),
                status: Some(status),
            });
        }
        let mut new = Vars::new();
        if !step.save.is_empty() {
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            for (var, path) in &step.save {
                let value = dig(&answer, path).ok_or(StepError {
                    outcome: Outcome::Error,
                    status: Some(status),
                })?;
                new.insert(var.clone(), value.clone());
            }
            vars.extend(new.clone());
        }
        Ok(new)
    }
}

/// The value at a dotted path (`order.id`, `items.0.id`) of a JSON answer.
fn dig<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, field| match v {
        Value::Object(o) => o.get(field),
        Value::Array(a) => a.get(field.parse::<usize>().ok()?),
        _ => None,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_reach_into_objects_and_arrays() {
        let v = json!({"order": {"id": 7, "items": [{"sku": "a"}]}});
        let p = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
        assert_eq!(dig(&v, &p("order.id")), Some(&json!(7)));
        assert_eq!(dig(&v, &p("order.items.0.sku")), Some(&json!("a")));
        assert_eq!(dig(&v, &p("order.missing")), None);
        assert_eq!(dig(&v, &p("order.items.x")), None);
    }
}

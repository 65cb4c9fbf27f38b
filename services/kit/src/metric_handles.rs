//! Metric handles kept per label set. A `metrics::histogram!(name, labels)`
//! builds a key (a list of owned label strings) and finds it in the
//! recorder's registry on every record; a request records a few, so the
//! server and client layers keep the handle of each label set they have
//! seen and find it again with one hash look-up of borrowed strings.
//!
//! Label sets are bounded (methods, route templates, statuses, error kinds,
//! one callee), as the registry's own are, and nothing is ever removed from
//! the recorder (no idle timeout), so a kept handle stays the live one.

use std::{cell::RefCell, collections::HashMap, sync::RwLock};

/// Handles of type `H` by label values.
#[derive(Debug)]
pub struct Handles<H> {
    map: RwLock<HashMap<Box<str>, H, foldhash::fast::RandomState>>,
}

impl<H> Default for Handles<H> {
    fn default() -> Self {
        Self {
            map: RwLock::new(HashMap::default()),
        }
    }
}

thread_local! {
    /// The look-up key, joined without an allocation once it has grown.
    static KEY: RefCell<String> = const { RefCell::new(String::new()) };
}

impl<H: Clone> Handles<H> {
    /// The handle for these label values, made by `make` the first time.
    pub fn get(&self, values: &[&str], make: impl FnOnce() -> H) -> H {
        KEY.with_borrow_mut(|key| {
            key.clear();
            for v in values {
                key.push_str(v);
                // A separator no label value of the lab contains.
                key.push('\u{1f}');
            }
            if let Some(h) = self
                .map
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(key.as_str())
            {
                return h.clone();
            }
            let h = make();
            self.map
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .entry(key.as_str().into())
                .or_insert(h)
                .clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_label_set_is_made_once_and_found_again() {
        let handles = Handles::<u32>::default();
        let made = Cell::new(0);
        let get = |values: &[&str], v: u32| {
            handles.get(values, || {
                made.set(made.get() + 1);
                v
            })
        };
        assert_eq!(get(&["GET", "/a", "200"], 1), 1);
        assert_eq!(get(&["GET", "/a", "200"], 2), 1);
        assert_eq!(made.get(), 1, "made once");
        // Other values, and values that only join alike, are other sets.
        assert_eq!(get(&["GET", "/a", "500"], 3), 3);
        assert_eq!(get(&["GET", "/a2", "00"], 4), 4);
        assert_eq!(get(&["GET", "/a", "200"], 5), 1);
        assert_eq!(made.get(), 3);
    }
}

//! Lists of names in messages. Which names exist comes from the lab file
//! ([`chaoslab_contract::Lab`]), never from here.

/// `a, b or c`, for messages.
pub fn one_of(names: &[&str]) -> String {
    match names {
        [] => "nothing".to_string(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

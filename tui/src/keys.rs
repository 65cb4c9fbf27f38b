//! Keys to [`Action`]s. What a key means depends on what is open: the help
//! overlay, the filter being typed, the fault picker, then the screen.
//!
//! | key | everywhere |
//! |---|---|
//! | `?` | help |
//! | Tab, Shift-Tab, `1`-`6` | screens |
//! | ↑↓ / `k` `j`, PgUp PgDn | move the selection |
//! | ←→ / `h` `l` | change pane |
//! | Enter | open (drill in) |
//! | Esc | back, close |
//! | `/` | filter traces |
//! | `f` | fault picker |
//! | `x` | clear every fault |
//! | `q`, Ctrl-C | quit |
//!
//! On the Overview: `c` shows the calls (edges with their numbers) where
//! the services table goes, on terminals too narrow for both.
//! On the Chaos screen: `d` or Delete removes the selected fault, `b`, `r`,
//! `t` toggle the selected dependency's breaker, retry or timeout.
//! On the Logs screen: `/` filters the text, `s` cycles the service, `v`
//! the lowest level shown, Space pauses or resumes following.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::action::Action;
use crate::screen::Screen;
use crate::state::AppState;

/// The action a key press asks for, if any.
pub fn handle_key_event(state: &AppState, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if state.input.is_some() {
        return match key.code {
            KeyCode::Enter => Some(Action::ApplyFilter),
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Char(c) => Some(Action::FilterChar(c)),
            _ => None,
        };
    }
    if state.help {
        return match key.code {
            KeyCode::Char('q') => Some(Action::Quit),
            _ => Some(Action::ToggleHelp),
        };
    }
    if state.chaos.picker.is_some() {
        return match key.code {
            KeyCode::Esc | KeyCode::Char('q') => Some(Action::Back),
            KeyCode::Enter => Some(Action::PickerSubmit),
            KeyCode::Up | KeyCode::Char('k') | KeyCode::BackTab => Some(Action::PickerField(-1)),
            KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => Some(Action::PickerField(1)),
            KeyCode::Left | KeyCode::Char('h') => Some(Action::PickerChange(-1)),
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') => {
                Some(Action::PickerChange(1))
            }
            _ => None,
        };
    }
    let global = match key.code {
        KeyCode::Char('q') => Some(Action::Quit),
        KeyCode::Char('?') => Some(Action::ToggleHelp),
        KeyCode::Tab => Some(Action::NextScreen),
        KeyCode::BackTab => Some(Action::PrevScreen),
        KeyCode::Char(c @ '1'..='6') => Screen::from_number(c.to_digit(10)?).map(Action::Show),
        KeyCode::Up | KeyCode::Char('k') => Some(Action::Move(-1)),
        KeyCode::Down | KeyCode::Char('j') => Some(Action::Move(1)),
        KeyCode::PageUp => Some(Action::Move(-10)),
        KeyCode::PageDown => Some(Action::Move(10)),
        KeyCode::Home | KeyCode::Char('g') => Some(Action::Move(i32::MIN / 2)),
        KeyCode::End | KeyCode::Char('G') => Some(Action::Move(i32::MAX / 2)),
        KeyCode::Left | KeyCode::Char('h') => Some(Action::Focus(-1)),
        KeyCode::Right | KeyCode::Char('l') => Some(Action::Focus(1)),
        KeyCode::Enter => Some(Action::Open),
        KeyCode::Esc => Some(Action::Back),
        KeyCode::Char('/') => Some(Action::StartFilter),
        KeyCode::Char('f') => Some(Action::OpenPicker),
        KeyCode::Char('x') => Some(Action::ClearFaults),
        KeyCode::Char('+') | KeyCode::Char('=') => Some(Action::ScaleLoad(2.0)),
        KeyCode::Char('-') => Some(Action::ScaleLoad(0.5)),
        _ => None,
    };
    if global.is_some() {
        return global;
    }
    match (state.screen, key.code) {
        (Screen::Logs, KeyCode::Char('s')) => Some(Action::LogsService(1)),
        (Screen::Logs, KeyCode::Char('v')) => Some(Action::LogsLevel(1)),
        (Screen::Logs, KeyCode::Char(' ')) => Some(Action::ToggleFollow),
        (Screen::Chaos, KeyCode::Char('d') | KeyCode::Delete) => Some(Action::RemoveSelectedFault),
        (Screen::Overview, KeyCode::Char('c')) => Some(Action::ToggleCalls),
        (Screen::Chaos | Screen::Service, KeyCode::Char('b')) => {
            Some(Action::TogglePolicy("breaker"))
        }
        (Screen::Chaos | Screen::Service, KeyCode::Char('r')) => {
            Some(Action::TogglePolicy("retry"))
        }
        (Screen::Chaos | Screen::Service, KeyCode::Char('t')) => {
            Some(Action::TogglePolicy("timeout"))
        }
        _ => None,
    }
}

/// Key labels for the footer of a screen: (key, what it does).
pub fn footer_keys(state: &AppState, screen: Screen) -> Vec<(&'static str, &'static str)> {
    if state.input.is_some() {
        return vec![
            ("Enter", "apply"),
            ("Esc", "cancel"),
            ("e.g.", "delta errors >500ms"),
        ];
    }
    if state.chaos.picker.is_some() {
        return vec![
            ("↑↓", "field"),
            ("←→", "value"),
            ("Enter", "add"),
            ("Esc", "cancel"),
        ];
    }
    let mut keys = vec![
        ("?", "help"),
        ("q", "quit"),
        ("Tab/1-6", "screen"),
        ("↑↓", "move"),
        ("/", "filter"),
        ("f", "fault"),
        ("x", "clear"),
    ];
    match screen {
        Screen::Overview => keys.extend([("Enter", "service"), ("c", "calls")]),
        Screen::Service => keys.extend([("Enter", "traces"), ("b", "breaker")]),
        Screen::Traces => keys.extend([("Enter", "open"), ("Esc", "back")]),
        Screen::Chaos => keys.extend([("d", "remove"), ("b/r/t", "policy")]),
        Screen::Experiment => {}
        Screen::Logs => keys.extend([("s", "service"), ("v", "level"), ("Space", "follow")]),
    }
    keys
}

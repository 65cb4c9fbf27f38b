//! Helpers for the dashboard's tests: key presses, finding text and styles
//! in a rendered buffer, and `eventually` instead of sleeps.

#![allow(dead_code)]

use chaoslab_tui::action::Command;
use chaoslab_tui::state::AppState;
use chaoslab_tui::{keys, update};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;

/// Presses one key: maps it to an action and applies it; returns the commands.
pub fn press(state: &mut AppState, code: KeyCode) -> Vec<Command> {
    press_mod(state, code, KeyModifiers::NONE)
}

/// Presses one key with modifiers.
pub fn press_mod(state: &mut AppState, code: KeyCode, mods: KeyModifiers) -> Vec<Command> {
    match keys::handle_key_event(state, KeyEvent::new(code, mods)) {
        Some(action) => update::update(state, action),
        None => Vec::new(),
    }
}

/// Types a string, one key per character.
pub fn type_text(state: &mut AppState, text: &str) -> Vec<Command> {
    text.chars()
        .flat_map(|c| press(state, KeyCode::Char(c)))
        .collect()
}

/// One row of the buffer as text (wide characters take one char).
pub fn row(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

/// Where `text` starts (cell coordinates), searching rows top to bottom.
pub fn find(buf: &Buffer, text: &str) -> Option<(u16, u16)> {
    for y in 0..buf.area.height {
        let cells: Vec<String> = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        let pattern: Vec<String> = text.chars().map(|c| c.to_string()).collect();
        if pattern.len() > cells.len() {
            continue;
        }
        for x in 0..=(cells.len() - pattern.len()) {
            if cells[x..x + pattern.len()] == pattern[..] {
                return Some((x as u16, y));
            }
        }
    }
    None
}

#[allow(unused_imports)]
pub use chaoslab_testkit::eventually;

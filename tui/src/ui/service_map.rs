//! The service map: services as boxes in columns by call depth, calls as
//! arrows routed through the gaps between the columns.
//!
//! ```text
//!                 ┌──────────────────────────┐
//! ┌─────────┐     │   ┌─────────┐       ┌────┴────┐
//! │  bravo  ├──┬──┼──▶│  alpha  ├───┬──▶│ charlie │
//! └─────────┘  │  │   └─────────┘   │   └─────────┘
//!              └─────▶│  delta  ├───┴─▶ ...
//! ```
//!
//! Layout: each service's column is its longest call path from a caller-less
//! service, so every arrow goes left to right; within a column services are
//! ordered by the mean position of their callers. An arrow that skips a
//! column runs along its own row above the boxes. Lines are drawn as
//! connection bits per cell and turned into box-drawing characters at the
//! end, so crossing and joining lines merge cleanly. A call with an active
//! fault is drawn red and bold, one with 5% errors or more yellow; messages
//! through a broker (asynchronous edges) are dashed (`╌`, `╎`) where no call
//! shares the line.

use std::collections::{BTreeSet, HashMap};

use chaoslab_contract::wire::hub::Health;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Widget};

use super::fmt;

/// A box on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapNode {
    pub name: String,
    pub health: Health,
}

/// An arrow on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEdge {
    pub from: String,
    pub to: String,
    /// A fault is active on the callee's proxy.
    pub fault: bool,
    /// The error ratio of the calls, 0..=1.
    pub error_ratio: f64,
    /// Messages through a broker, not calls: drawn dashed.
    pub asynchronous: bool,
}

/// The widget.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceMap {
    pub nodes: Vec<MapNode>,
    pub edges: Vec<MapEdge>,
}

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;
const BOX_H: u16 = 3;

/// Where each service sits.
#[derive(Debug, Clone)]
struct Layout {
    /// Services per column, top to bottom.
    columns: Vec<Vec<usize>>,
    /// Column of each service.
    layer: Vec<usize>,
}

impl ServiceMap {
    /// Rows the map needs to draw without squeezing.
    pub fn height_needed(&self) -> u16 {
        let (names, edges) = self.indexed();
        let l = layout(names.len(), &edges);
        let tall = l.columns.iter().map(Vec::len).max().unwrap_or(0) as u16;
        let bypass = edges
            .iter()
            .filter(|(a, b, _)| l.layer[*b] > l.layer[*a] + 1)
            .count() as u16;
        bypass + tall * BOX_H + tall.saturating_sub(1)
    }

    fn indexed(&self) -> (Vec<String>, Vec<(usize, usize, usize)>) {
        let mut names: BTreeSet<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
        for e in &self.edges {
            names.insert(&e.from);
            names.insert(&e.to);
        }
        let names: Vec<String> = names.into_iter().map(str::to_string).collect();
        let idx: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let edges = self
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.from != e.to)
            .map(|(k, e)| (idx[e.from.as_str()], idx[e.to.as_str()], k))
            .collect();
        (names, edges)
    }
}

fn layout(n: usize, edges: &[(usize, usize, usize)]) -> Layout {
    // Longest path from services nobody calls; capped so cycles end.
    let mut layer = vec![0usize; n];
    for _ in 0..n {
        let mut changed = false;
        for &(a, b, _) in edges {
            if layer[b] < layer[a] + 1 && layer[a] + 1 < n {
                layer[b] = layer[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let depth = layer.iter().copied().max().map_or(0, |m| m + 1);
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); depth];
    let mut pos = vec![0f64; n];
    for (c, column) in columns.iter_mut().enumerate() {
        let mut members: Vec<(f64, usize)> = (0..n)
            .filter(|&v| layer[v] == c)
            .map(|v| {
                let callers: Vec<f64> = edges
                    .iter()
                    .filter(|&&(a, b, _)| b == v && layer[a] < c)
                    .map(|&(a, _, _)| pos[a])
                    .collect();
                let bary = if callers.is_empty() {
                    0.0
                } else {
                    callers.iter().sum::<f64>() / callers.len() as f64
                };
                (bary, v)
            })
            .collect();
        members.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        for (i, &(_, v)) in members.iter().enumerate() {
            pos[v] = i as f64;
        }
        *column = members.into_iter().map(|(_, v)| v).collect();
    }
    Layout { columns, layer }
}

impl Widget for &ServiceMap {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (names, edges) = self.indexed();
        if names.is_empty() || area.width < 10 || area.height < BOX_H {
            return;
        }
        let l = layout(names.len(), &edges);
        let cols = l.columns.len() as u16;
        let long: Vec<&(usize, usize, usize)> = edges
            .iter()
            .filter(|(a, b, _)| l.layer[*b] > l.layer[*a] + 1)
            .collect();
        // Vertical segments per channel (between column c and c+1).
        let mut tracks: Vec<Vec<(usize, u8)>> = vec![Vec::new(); cols.saturating_sub(1) as usize];
        for (i, &(a, b, _)) in edges.iter().enumerate() {
            let (la, lb) = (l.layer[a], l.layer[b]);
            if lb <= la {
                continue; // drawn only in the edge table
            }
            tracks[la].push((i, 0));
            if lb > la + 1 {
                tracks[lb - 1].push((i, 1));
            }
        }
        // Widths: boxes as wide as the longest name, channels by track count.
        let name_w = names.iter().map(|n| n.chars().count()).max().unwrap_or(4) as u16;
        let gaps: Vec<u16> = tracks.iter().map(|t| 2 * t.len() as u16 + 3).collect();
        let want_box = name_w + 6;
        let gap_total: u16 = gaps.iter().sum();
        let box_w = ((area.width.saturating_sub(gap_total)) / cols.max(1))
            .clamp(name_w.min(8) + 2, want_box);
        let spare = area.width.saturating_sub(box_w * cols + gap_total);
        let pad = spare / (cols + 1).max(1);
        let mut col_x = Vec::new();
        let mut x = area.x + pad;
        for c in 0..cols as usize {
            col_x.push(x);
            x += box_w + gaps.get(c).copied().unwrap_or(0) + pad;
        }
        // Heights.
        let bypass_rows = long.len() as u16;
        let tall = l.columns.iter().map(Vec::len).max().unwrap_or(1) as u16;
        let room = area.height.saturating_sub(bypass_rows);
        let gap_y = if room >= tall * BOX_H + tall.saturating_sub(1) {
            1
        } else {
            0
        };
        let mut rect = vec![Rect::default(); names.len()];
        for (c, column) in l.columns.iter().enumerate() {
            let k = column.len() as u16;
            let h = k * BOX_H + k.saturating_sub(1) * gap_y;
            let top = area.y + bypass_rows + room.saturating_sub(h) / 2;
            for (i, &v) in column.iter().enumerate() {
                let y = top + i as u16 * (BOX_H + gap_y);
                rect[v] = Rect::new(col_x[c], y, box_w, BOX_H).intersection(area);
            }
        }
        // Lines as connection bits with the worst edge rank per cell, and
        // whether only messages (asynchronous edges) pass through it.
        let mut grid: HashMap<(u16, u16), (u8, u8, bool)> = HashMap::new();
        let mut arrows: Vec<((u16, u16), u8)> = Vec::new();
        let rank = |k: usize| {
            let e = &self.edges[k];
            if e.fault {
                2
            } else if e.error_ratio >= 0.05 {
                1
            } else {
                0
            }
        };
        let mut put = |x: u16, y: u16, bits: u8, r: u8, messages: bool| {
            let c = grid.entry((x, y)).or_insert((0, 0, true));
            c.0 |= bits;
            c.1 = c.1.max(r);
            c.2 &= messages;
        };
        let track_x = |c: usize, i: usize, part: u8| -> u16 {
            let pos = tracks[c].iter().position(|t| *t == (i, part)).unwrap_or(0) as u16;
            col_x[c] + box_w + 1 + 2 * pos
        };
        for (i, &(a, b, k)) in edges.iter().enumerate() {
            let (la, lb) = (l.layer[a], l.layer[b]);
            if lb <= la {
                continue;
            }
            let r = rank(k);
            let messages = self.edges[k].asynchronous;
            let (ra, rb) = (rect[a], rect[b]);
            let ya = ra.y + 1;
            let yb = rb.y + 1;
            let x_start = ra.x + ra.width;
            let x_end = rb.x.saturating_sub(1);
            let mut path: Vec<(u16, u16)> = vec![(x_start, ya)];
            let t1 = track_x(la, i, 0);
            path.push((t1, ya));
            if lb == la + 1 {
                path.push((t1, yb));
            } else {
                let row = area.y + long.iter().position(|e| e.2 == k).unwrap_or(0) as u16;
                path.push((t1, row));
                let t2 = track_x(lb - 1, i, 1);
                path.push((t2, row));
                path.push((t2, yb));
            }
            path.push((x_end, yb));
            put(x_start, ya, LEFT, r, messages);
            for w in path.windows(2) {
                let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                if y0 == y1 {
                    let (lo, hi) = (x0.min(x1), x0.max(x1));
                    for x in lo..hi {
                        put(x, y0, RIGHT, r, messages);
                        put(x + 1, y0, LEFT, r, messages);
                    }
                } else {
                    let (lo, hi) = (y0.min(y1), y0.max(y1));
                    for y in lo..hi {
                        put(x0, y, DOWN, r, messages);
                        put(x0, y + 1, UP, r, messages);
                    }
                }
            }
            arrows.push(((x_end, yb), r));
        }
        let style_of = |r: u8| match r {
            2 => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            1 => Style::new().fg(Color::Yellow),
            _ => Style::new().fg(Color::DarkGray),
        };
        for ((x, y), (bits, r, messages)) in &grid {
            if area.contains((*x, *y).into()) {
                buf[(*x, *y)]
                    .set_symbol(line_char(*bits, *messages))
                    .set_style(style_of(*r));
            }
        }
        for ((x, y), r) in arrows {
            let r = grid.get(&(x, y)).map_or(r, |c| c.1.max(r));
            if area.contains((x, y).into()) {
                buf[(x, y)].set_symbol("▶").set_style(style_of(r));
            }
        }
        // Boxes last, over any line.
        let health: HashMap<&str, Health> = self
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.health))
            .collect();
        for (v, name) in names.iter().enumerate() {
            let h = health
                .get(name.as_str())
                .copied()
                .unwrap_or(Health::Unknown);
            let color = fmt::health_color(h);
            let r = rect[v];
            if r.width < 3 || r.height < BOX_H {
                continue;
            }
            let border = if h == Health::Down {
                BorderType::Double
            } else {
                BorderType::Rounded
            };
            Block::bordered()
                .border_type(border)
                .border_style(Style::new().fg(color))
                .render(r, buf);
            let inner_w = r.width.saturating_sub(2) as usize;
            let label = if inner_w >= name.chars().count() + 2 {
                format!("● {name}")
            } else {
                fmt::fit(name, inner_w)
            };
            let lx = r.x + 1 + (inner_w.saturating_sub(label.chars().count()) / 2) as u16;
            buf.set_stringn(
                lx,
                r.y + 1,
                &label,
                inner_w,
                Style::new().fg(color).add_modifier(Modifier::BOLD),
            );
        }
    }
}

/// The line through a cell; straight runs of messages only are dashed.
fn line_char(bits: u8, messages: bool) -> &'static str {
    match bits {
        b if b == LEFT | RIGHT || b == LEFT || b == RIGHT => {
            if messages {
                "╌"
            } else {
                "─"
            }
        }
        b if b == UP | DOWN || b == UP || b == DOWN => {
            if messages {
                "╎"
            } else {
                "│"
            }
        }
        b if b == RIGHT | DOWN => "┌",
        b if b == LEFT | DOWN => "┐",
        b if b == RIGHT | UP => "└",
        b if b == LEFT | UP => "┘",
        b if b == LEFT | RIGHT | DOWN => "┬",
        b if b == LEFT | RIGHT | UP => "┴",
        b if b == UP | DOWN | RIGHT => "├",
        b if b == UP | DOWN | LEFT => "┤",
        _ => "┼",
    }
}

#[cfg(test)]
mod tests;

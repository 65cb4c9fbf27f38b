//! The map survives odd graphs and draws an arrow per call.

use super::*;

fn map(edges: &[(&str, &str)]) -> ServiceMap {
    ServiceMap {
        nodes: Vec::new(),
        edges: edges
            .iter()
            .map(|(a, b)| MapEdge {
                from: a.to_string(),
                to: b.to_string(),
                fault: false,
                error_ratio: 0.0,
                asynchronous: false,
            })
            .collect(),
    }
}

fn render(m: &ServiceMap, w: u16, h: u16) -> Buffer {
    let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
    m.render(buf.area, &mut buf);
    buf
}

#[test]
fn cycles_self_calls_and_crowds_do_not_break_it() {
    let cyclic = map(&[("a", "b"), ("b", "a"), ("b", "b"), ("b", "c")]);
    let _ = render(&cyclic, 80, 20);
    let names: Vec<String> = (0..14).map(|i| format!("svc{i}")).collect();
    let pairs: Vec<(&str, &str)> = names
        .windows(2)
        .map(|w| (w[0].as_str(), w[1].as_str()))
        .collect();
    let long = map(&pairs);
    for (w, h) in [(80, 24), (20, 5), (10, 3), (300, 80)] {
        let _ = render(&long, w, h);
    }
}

#[test]
fn every_call_gets_an_arrow() {
    let m = map(&[
        ("bravo", "foxtrot"),
        ("bravo", "delta"),
        ("delta", "foxtrot"),
    ]);
    let buf = render(&m, 80, 12);
    let arrows = buf.content.iter().filter(|c| c.symbol() == "▶").count();
    // foxtrot is reached by two calls on one row: their arrows share a cell.
    assert!(arrows >= 2, "{arrows}");
    assert!(m.height_needed() <= 12);
}

#[test]
fn messages_are_dashed_and_calls_are_solid() {
    let mut m = map(&[("bravo", "delta"), ("delta", "foxtrot")]);
    m.edges[1].asynchronous = true;
    let buf = render(&m, 80, 8);
    let row = |y: u16| -> String { (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect() };
    let text: Vec<String> = (0..8).map(row).collect();
    let line = text
        .iter()
        .find(|l| l.contains("delta") && l.contains("foxtrot"))
        .unwrap_or_else(|| panic!("{text:#?}"));
    let (left, right) = line.split_once("delta").unwrap();
    assert!(
        left.contains('─') && !left.contains('╌'),
        "the call: {line}"
    );
    assert!(
        right.contains('╌') && !right.contains('─'),
        "the messages: {line}"
    );
}

//! Prints every screen of the fixture lab at a given size: `cargo run -p
//! chaoslab-tui --example frames -- 120 40`.

fn main() {
    let args: Vec<u16> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (w, h) = (
        args.first().copied().unwrap_or(120),
        args.get(1).copied().unwrap_or(40),
    );
    let state = chaoslab_tui::fixtures::lab_state();
    for screen in chaoslab_tui::Screen::ALL {
        println!("=== {screen} {w}x{h}");
        print!("{}", chaoslab_tui::render_to_string(&state, screen, w, h));
    }
}

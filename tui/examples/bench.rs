//! Prints the render bench table: `cargo run --release -p chaoslab-tui --example bench`.

fn main() {
    print!("{}", chaoslab_tui::bench_render());
}

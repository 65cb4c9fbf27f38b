//! Prints the generator's top-rate table.
//!
//! ```text
//! cargo run --release -p chaoslab-load --example bench [SECS] [TARGET_URL]
//! cargo run --release -p chaoslab-load --example bench serve ADDR   # the stand-in target alone
//! ```

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let addr = args.get(1).map(String::as_str).unwrap_or("127.0.0.1:0");
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("http://{}", listener.local_addr()?);
        chaoslab_load::serve_products(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        return Ok(());
    }
    let secs = args.first().map(|s| s.parse()).transpose()?.unwrap_or(3);
    let target = args.get(1).cloned();
    println!("{}", chaoslab_load::bench(target, secs).await?);
    Ok(())
}

//! `+` and `-` change the load generator's rate, on a real generator.

use chaoslab_load::{LoadConfig, LoadGen};
use chaoslab_tui::{Action, Command, TuiConfig, app, fetch, keys, update};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;

#[tokio::test]
async fn plus_and_minus_double_and_halve_the_rate() {
    let mut cfg = LoadConfig::new("http://127.0.0.1:9", Default::default());
    cfg.rate = 4.0;
    let generator = LoadGen::new(cfg);
    let url = format!(
        "http://{}",
        chaoslab_testkit::serve(generator.router(None)).await
    );

    let tui = TuiConfig {
        hub_url: "http://127.0.0.1:9".into(),
        agent_url: None,
        services: vec![],
        loadgen_url: Some(url),
    };
    let (lab, mut state) = app::prepare(&tui).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);

    for (key, want) in [('+', 8.0), ('-', 4.0), ('-', 2.0)] {
        let action = keys::handle_key_event(
            &state,
            KeyEvent::new(KeyCode::Char(key), KeyModifiers::NONE),
        )
        .expect("mapped");
        assert!(matches!(action, Action::ScaleLoad(_)), "{key}: {action:?}");
        let cmds = update::update(&mut state, action);
        let cmd = cmds
            .into_iter()
            .find(|c| matches!(c, Command::ScaleLoad(_)))
            .expect("a load command");
        fetch::spawn_command(&lab, cmd, tx.clone());
        let event = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(
            format!("{event:?}").contains(&format!("→ {want}/s")),
            "{key}: {event:?}"
        );
        assert_eq!(generator.rate(), want, "after {key}");
    }
}

/// A `/load` that is not a load generator's report changes nothing and the
/// status line says what the answer lacks.
#[tokio::test]
async fn a_wrong_answer_from_the_load_generator_is_named_on_the_status_line() {
    let puts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = puts.clone();
    let partial = axum::Router::new().route(
        "/load",
        axum::routing::get(|| async { axum::Json(serde_json::json!({"rate": 4.0})) }).put(
            move || {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { axum::http::StatusCode::NO_CONTENT }
            },
        ),
    );
    let url = format!("http://{}", chaoslab_testkit::serve(partial).await);
    let tui = TuiConfig {
        hub_url: "http://127.0.0.1:9".into(),
        agent_url: None,
        services: vec![],
        loadgen_url: Some(url),
    };
    let (lab, _) = app::prepare(&tui).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    fetch::spawn_command(&lab, Command::ScaleLoad(2.0), tx);
    let event = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let text = format!("{event:?}");
    assert!(
        text.contains("load generator: unexpected answer: missing field `target`"),
        "{text}"
    );
    assert_eq!(
        puts.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no rate was set"
    );
}

use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exp { title: String, method: Vec<Action> }
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Action { Wait(Spanned<String>), Fault(Fault) }
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fault { target: Spanned<String>, duration: Spanned<String> }

fn try_parse(y: &str) {
    let r: Result<Exp, serde_saphyr::Error> = serde_saphyr::with_deserializer_from_str(y, |de| {
        match serde_path_to_error::deserialize::<_, Exp>(de) {
            Ok(v) => Ok(v),
            Err(e) => { let p = e.path().to_string(); let inner = e.into_inner(); println!("PATH {p} LOC {:?} MSG {}", inner.location(), inner); Err(inner) }
        }
    });
    match r { Ok(v) => println!("OK {v:?}"), Err(e) => println!("ERR loc={:?} display={e}", e.location()) }
}

#[test]
fn explore() {
    try_parse("title: x\nmethod:\n  - wait: 5s\n  - fault:\n      target: payments\n      duration: 10s\n");
    try_parse("title: x\nmethod:\n  - wait: 5s\n  - explode:\n      target: payments\n");
    try_parse("title: x\nmethod:\n  - wait: 5s\n  - fault:\n      target: payments\n");
    try_parse("title: x\nmethod:\n  - wait: 5s\n  - fault:\n      target: payments\n      duration: 10s\n      bogus: 1\n");
    try_parse("method:\n  - wait: 5s\n");
    try_parse("title: x\nmethod:\n  - wait: [1]\n");
}

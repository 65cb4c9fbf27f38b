use super::*;
use std::path::Path;

fn lab(text: &str) -> Lab {
    Lab::parse("test.toml", text, Path::new(".")).expect("a valid lab")
}

fn files_in(dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn embedded_files_are_the_repositorys() {
    let listed = |l: &[(&str, &str)]| l.iter().map(|(f, _)| f.to_string()).collect::<Vec<_>>();
    assert_eq!(
        listed(DASHBOARDS),
        files_in("dashboards/grafana/dashboards")
    );
    assert_eq!(listed(RULES), files_in("dashboards/prometheus/rules"));
}

const TWO: &str = r#"
[services.front]
builtin = "gateway"
port = 9000
depends_on = ["back_end"]
[services.back_end]
builtin = "users"
"#;

fn deployment<'a>(objects: &'a [Object], name: &str) -> &'a Deployment {
    objects
        .iter()
        .find_map(|o| match o {
            Object::Deployment(d) if o.name() == name => Some(d),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no deployment {name}"))
}

#[test]
fn a_lab_name_with_an_underscore_becomes_a_dns_name_and_its_callers_use_the_proxy() {
    let objects = render(&lab(TWO), "", &Options::default()).unwrap();
    let front = deployment(&objects, "front");
    let c = &front
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0];
    let args = c.args.as_ref().unwrap();
    assert!(
        args.windows(2)
            .any(|w| w == ["--dep", "back_end=http://back-end-proxy:18081"]),
        "{args:?}"
    );
    assert!(
        objects
            .iter()
            .any(|o| o.kind() == "Service" && o.name() == "back-end-proxy")
    );
    // A service without a port listens on the default one in its pod.
    let back = deployment(&objects, "back-end");
    let c = &back
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0];
    assert!(
        c.args
            .as_ref()
            .unwrap()
            .contains(&"0.0.0.0:8080".to_string())
    );
}

#[test]
fn the_stream_parses_back_into_the_same_objects() {
    let objects = render(&lab(TWO), "", &Options::default()).unwrap();
    let stream = to_yaml_stream(&objects).unwrap();
    let back: Vec<Object> = stream
        .split("\n---\n")
        .map(|doc| Object::from_yaml(doc).unwrap())
        .collect();
    assert_eq!(back, objects);
}

#[test]
fn a_service_named_like_one_of_the_labs_own_objects_is_refused() {
    let err = render(
        &lab("[services.prometheus]\nbuiltin = \"users\"\n"),
        "",
        &Options::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("`prometheus`"), "{err}");
    let err = render(
        &lab("entry = \"a_b\"\n[services.a_b]\nbuiltin = \"users\"\n[services.a-b]\nbuiltin = \"users\"\n"),
        "",
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("would both be named `a-b`"),
        "{err}"
    );
}

#[test]
fn a_command_service_needs_an_image_and_gets_its_dependencies_in_its_environment() {
    let text = r#"
[services.api]
command = ["python3", "api.py", "--port", "{port}", "--db", "{dep.db}"]
port = 7000
depends_on = ["db"]
[services.db]
builtin = "users"
"#;
    let err = render(&lab(text), "", &Options::default()).unwrap_err();
    assert!(
        err.to_string().contains("--service-image api=IMAGE"),
        "{err}"
    );
    let opts = Options {
        service_images: BTreeMap::from([("api".into(), "example/api:1".into())]),
        ..Options::default()
    };
    let objects = render(&lab(text), "", &opts).unwrap();
    let c = &deployment(&objects, "api")
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0];
    assert_eq!(c.image.as_deref(), Some("example/api:1"));
    assert_eq!(
        c.command.as_ref().unwrap(),
        &[
            "python3",
            "api.py",
            "--port",
            "7000",
            "--db",
            "http://db-proxy:18081"
        ]
    );
    let env = c.env.as_ref().unwrap();
    assert!(env.iter().any(
        |e| e.name == "CHAOSLAB_DEP_DB" && e.value.as_deref() == Some("http://db-proxy:18081")
    ));
    let wrong = Options {
        service_images: BTreeMap::from([("db".into(), "x".into())]),
        ..Options::default()
    };
    assert_eq!(
        render(&lab(text), "", &wrong).unwrap_err(),
        DeployError::UnknownImage("db".into())
    );
}

#[test]
fn a_bad_namespace_is_refused() {
    let opts = Options {
        namespace: "Lab One".into(),
        ..Options::default()
    };
    let err = render(&lab(TWO), "", &opts).unwrap_err();
    assert!(err.to_string().starts_with("--namespace"), "{err}");
}

#[test]
fn writing_a_base_again_removes_only_the_files_an_earlier_generation_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("deployment-gone.yaml");
    std::fs::write(
        &stale,
        format!("{GENERATED} --lab old.toml`\nkind: Deployment\n"),
    )
    .unwrap();
    let mine = dir.path().join("patch.yaml");
    std::fs::write(&mine, "kind: Deployment\n").unwrap();
    let objects = render(&lab(TWO), "", &Options::default()).unwrap();
    write_dir(dir.path(), &base_files(&objects, "two.toml").unwrap()).unwrap();
    assert!(
        !stale.exists(),
        "a file of an earlier generation is removed"
    );
    assert!(mine.exists(), "a file nobody generated is left alone");
    let k = std::fs::read_to_string(dir.path().join("kustomization.yaml")).unwrap();
    for o in &objects {
        assert!(dir.path().join(o.file_name()).exists());
        assert!(k.contains(&format!("- {}\n", o.file_name())));
    }
}

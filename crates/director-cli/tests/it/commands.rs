//! Commands other than verify: schema, directors, task, config, context.

use crate::support::*;
use serde_json::Value;

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn schema_prints_the_strict_verdict_schema_and_the_record_schema() {
    let dir = Dir::new();
    let text = stdout(&director(&dir.path()).arg("schema").output().unwrap());
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    insta::assert_snapshot!("verdict_schema", text);
    let record: Value = serde_json::from_str(&stdout(
        &director(&dir.path())
            .args(["schema", "--record"])
            .output()
            .unwrap(),
    ))
    .unwrap();
    assert!(record["properties"]["decision"].is_object());
    assert!(record["$id"].as_str().unwrap().contains("run-record-v1"));
}

#[test]
fn directors_list_and_show() {
    let dir = Dir::new();
    let list = stdout(
        &director(&dir.path())
            .args(["directors", "list", "--repo"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    insta::assert_snapshot!("directors_list", list);
    let show = stdout(
        &director(&dir.path())
            .args(["directors", "show", "infrastructure", "--repo"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    insta::assert_snapshot!("directors_show_infrastructure", show);
    dir.write(".director/personas/dirinfra_agent.md", "A repo persona.\n");
    let show = stdout(
        &director(&dir.path())
            .args(["directors", "show", "infrastructure", "--repo"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    assert!(
        show.contains("repo ") && show.contains("dirinfra_agent.md"),
        "{show}"
    );
}

#[test]
fn task_new_list_show() {
    let dir = Dir::new();
    let out = director(&dir.path())
        .args([
            "task",
            "new",
            "add-cache",
            "--title",
            "Add a Redis cache",
            "--criteria",
            "p99 under 50 ms",
            "--criteria",
            "cache survives a node loss",
            "--environment",
            "prod",
            "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(stdout(&out).contains("add-cache.toml"));
    let again = director(&dir.path())
        .args(["task", "new", "add-cache", "--title", "again", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "never overwrites");
    let list = stdout(
        &director(&dir.path())
            .args(["task", "list", "--repo"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    assert!(
        list.contains("add-cache") && list.contains("production"),
        "{list}"
    );
    let show = stdout(
        &director(&dir.path())
            .args(["task", "show", "add-cache", "--repo"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    assert!(show.contains("cache survives a node loss"), "{show}");
}

#[test]
fn config_show_names_sources() {
    let dir = Dir::new();
    dir.write(".director/config.toml", "[run]\ntimeout_secs = 42\n");
    let out = director(&dir.path())
        .args(["config", "show", "--repo"])
        .arg(dir.path())
        .env("DIRECTOR_MODEL", "local-model")
        .env("DIRECTOR_GATE__ON_INCOMPLETE", "pass-with-warning")
        .output()
        .unwrap();
    let text = stdout(&out);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap()
            .to_string()
    };
    assert!(
        line("run.timeout_secs").contains("42") && line("run.timeout_secs").contains("config.toml"),
        "{text}"
    );
    assert!(
        line("provider.model").contains("local-model")
            && line("provider.model").contains("environment"),
        "{text}"
    );
    assert!(
        line("gate.on_incomplete").contains("pass-with-warning"),
        "{text}"
    );
    assert!(line("run.max_output_tokens").contains("default"), "{text}");
    assert!(text.contains("api key: not set"));
}

#[test]
fn context_prints_the_packed_context_without_a_provider() {
    let dir = Dir::new();
    dir.write("src/lib.rs", "pub fn f() -> u32 {\n    41 + 1\n}\n")
        .write(".env", "DB_PASSWORD=hunter2hunter2\n")
        .write(
            ".director/tasks/t.toml",
            "id = \"t\"\ntitle = \"Answer\"\npaths = [\".\"]\n",
        );
    let text = stdout(
        &director(&dir.path())
            .args(["context", "--task", "t", "--repo"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    assert!(text.contains("41 + 1"), "{text}");
    assert!(!text.contains("hunter2hunter2"));
    assert!(
        text.contains("# context:") && text.contains("tokens"),
        "{text}"
    );
}

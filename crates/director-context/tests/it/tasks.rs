//! The task store on disk.

use director_context::{ContextError, TaskStore, parse_task_json};
use director_core::Task;

fn task(id: &str) -> Task {
    Task {
        id: id.into(),
        title: "Add RDS".into(),
        description: "Postgres for orders".into(),
        criteria: vec!["multi-AZ".into(), "backups kept 7 days".into()],
        ..Task::default()
    }
}

#[test]
fn create_load_list_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = TaskStore::new(dir.path());
    assert!(store.list().unwrap().is_empty());
    let path = store.create(&task("infra-2")).unwrap();
    assert_eq!(path, dir.path().join(".director/tasks/infra-2.toml"));
    store.create(&task("infra-1")).unwrap();
    assert_eq!(store.load("infra-2").unwrap(), task("infra-2"));
    let ids: Vec<String> = store.list().unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, vec!["infra-1", "infra-2"]);
    // No temporary files are left behind.
    let files = std::fs::read_dir(store.dir()).unwrap().count();
    assert_eq!(files, 2);
}

#[test]
fn create_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let store = TaskStore::new(dir.path());
    store.create(&task("t")).unwrap();
    let err = store.create(&task("t")).unwrap_err();
    assert!(matches!(err, ContextError::TaskExists { .. }), "{err}");
    assert!(err.hint().is_some());
}

#[test]
fn unknown_task_names_id_path_and_hint() {
    let dir = tempfile::tempdir().unwrap();
    let store = TaskStore::new(dir.path());
    let err = store.load("nope").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("`nope`") && msg.contains(".director/tasks/nope.toml"),
        "{msg}"
    );
    assert!(err.hint().unwrap().contains("director task list"));
    let err = store.load("../etc/passwd").unwrap_err();
    assert!(matches!(err, ContextError::InvalidTaskId { .. }));
}

#[test]
fn broken_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = TaskStore::new(dir.path());
    std::fs::create_dir_all(store.dir()).unwrap();
    std::fs::write(
        store.path_of("bad"),
        "id = \"bad\"\ntitle = \"t\"\ncriteria = [\"a\", 2]\n",
    )
    .unwrap();
    let err = store.list().unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("bad.toml"), "{msg}");
    assert!(msg.contains("criteria") && msg.contains("line 3"), "{msg}");
    assert!(!msg.contains('\n'));

    std::fs::write(store.path_of("bad"), "id = \"other\"\ntitle = \"t\"\n").unwrap();
    let err = store.load("bad").unwrap_err();
    assert!(matches!(err, ContextError::TaskIdMismatch { .. }), "{err}");
    assert!(err.hint().unwrap().contains("id = \"bad\""));

    std::fs::write(
        store.path_of("bad"),
        "id = \"bad\"\ntitle = \"t\"\nowner = \"me\"\n",
    )
    .unwrap();
    let msg = store.load("bad").unwrap_err().to_string();
    assert!(
        msg.contains("key `owner`") && msg.contains("line 3"),
        "{msg}"
    );
}

#[test]
fn json_tasks_from_pipelines() {
    let t = parse_task_json(
        r#"{"id": "ci-7", "title": "Ship it", "acceptance_criteria": ["tests pass"], "environment": "production", "paths": ["infra"]}"#,
        "<stdin>",
    )
    .unwrap();
    assert_eq!(t.criteria, vec!["tests pass"]);
    assert_eq!(t.paths, vec!["infra"]);
    let err = parse_task_json("{\"id\": \"x\", \"title\": 5}", "<stdin>").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("key `title`") && msg.contains("<stdin>"),
        "{msg}"
    );
    let err = parse_task_json("{not json", "<stdin>").unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
}

//! The task store: `.director/tasks/<id>.toml` files, and tasks passed as JSON by
//! pipelines. Parse errors name the key, the file and the line in one line, because
//! the person fixing them reads them in a terminal or a CI log.

use crate::error::ContextError;
use director_core::Task;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Tasks stored as TOML files under `<root>/.director/tasks/`.
#[derive(Debug, Clone)]
pub struct TaskStore {
    root: PathBuf,
}

impl TaskStore {
    /// A store for the repository at `repo_root`.
    pub fn new(repo_root: impl Into<PathBuf>) -> Self {
        TaskStore {
            root: repo_root.into(),
        }
    }

    /// The folder holding the task files.
    pub fn dir(&self) -> PathBuf {
        self.root
            .join(director_core::layout::DIR)
            .join(director_core::layout::TASKS)
    }

    /// The file a task with this id lives in (whether or not it exists).
    pub fn path_of(&self, id: &str) -> PathBuf {
        self.dir().join(format!("{id}.toml"))
    }

    /// Load and validate one task by id.
    pub fn load(&self, id: &str) -> Result<Task, ContextError> {
        check_id(id)?;
        let path = self.path_of(id);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ContextError::TaskNotFound {
                    id: id.to_string(),
                    path,
                });
            }
            Err(source) => return Err(ContextError::Read { path, source }),
        };
        load_file(&path, &text, id)
    }

    /// Every task, sorted by id. A file that does not parse is an error naming it.
    pub fn list(&self) -> Result<Vec<Task>, ContextError> {
        let dir = self.dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(ContextError::Read { path: dir, source }),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| ContextError::Read {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        let mut tasks = Vec::with_capacity(files.len());
        for path in files {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path).map_err(|source| ContextError::Read {
                path: path.clone(),
                source,
            })?;
            tasks.push(load_file(&path, &text, &stem)?);
        }
        tasks.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(tasks)
    }

    /// Write a new task file atomically; refuses to overwrite an existing task.
    pub fn create(&self, task: &Task) -> Result<PathBuf, ContextError> {
        check_id(&task.id)?;
        task.validate().map_err(|e| ContextError::InvalidTask {
            origin: format!("task `{}`", task.id),
            message: core_reason(e),
        })?;
        let dir = self.dir();
        let path = self.path_of(&task.id);
        if path.exists() {
            return Err(ContextError::TaskExists {
                id: task.id.clone(),
                path,
            });
        }
        std::fs::create_dir_all(&dir).map_err(|source| ContextError::Write {
            path: dir.clone(),
            source,
        })?;
        let text = task_to_toml(task);
        let mut tmp =
            tempfile::NamedTempFile::new_in(&dir).map_err(|source| ContextError::Write {
                path: dir.clone(),
                source,
            })?;
        tmp.write_all(text.as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|source| ContextError::Write {
                path: path.clone(),
                source,
            })?;
        match tmp.persist_noclobber(&path) {
            Ok(_) => Ok(path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(ContextError::TaskExists {
                    id: task.id.clone(),
                    path,
                })
            }
            Err(e) => Err(ContextError::Write {
                path,
                source: e.error,
            }),
        }
    }
}

/// Render a task as the TOML a task file holds.
pub fn task_to_toml(task: &Task) -> String {
    // Serialising a struct of strings, lists and a unit enum cannot fail; fall back
    // to a minimal document rather than panicking if the toml crate ever disagrees.
    toml::to_string_pretty(task).unwrap_or_else(|_| {
        format!(
            "id = {}\ntitle = {}\n",
            toml_string(&task.id),
            toml_string(&task.title)
        )
    })
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn load_file(path: &Path, text: &str, stem: &str) -> Result<Task, ContextError> {
    let origin = path.display().to_string();
    let task = parse_task_toml(text, &origin)?;
    if task.id != stem {
        return Err(ContextError::TaskIdMismatch {
            id: task.id,
            stem: stem.to_string(),
            path: path.to_path_buf(),
        });
    }
    Ok(task)
}

fn check_id(id: &str) -> Result<(), ContextError> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ContextError::InvalidTaskId { id: id.to_string() })
    }
}

fn core_reason(e: director_core::CoreError) -> String {
    match e {
        director_core::CoreError::InvalidTask { reason } => reason,
        other => other.to_string(),
    }
}

/// Parse a task from TOML. `origin` names the source (a file path) in errors.
pub fn parse_task_toml(text: &str, origin: &str) -> Result<Task, ContextError> {
    let deserializer = toml::Deserializer::new(text);
    let task: Task = serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let key = path_key(err.path());
        let inner = err.into_inner();
        let line = inner.span().map(|span| line_of(text, span.start));
        ContextError::InvalidTask {
            origin: origin.to_string(),
            message: describe(inner.message(), key, line, text),
        }
    })?;
    finish(task, origin)
}

/// Parse a task from JSON (`--task-json -`). `origin` names the source in errors.
pub fn parse_task_json(text: &str, origin: &str) -> Result<Task, ContextError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let task: Task = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let key = path_key(err.path());
        let inner = err.into_inner();
        let line = (inner.line() > 0).then_some(inner.line());
        // serde_json appends " at line L column C"; the line is reported separately.
        let message = inner.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        ContextError::InvalidTask {
            origin: origin.to_string(),
            message: describe(&message, key, line, ""),
        }
    })?;
    finish(task, origin)
}

fn finish(task: Task, origin: &str) -> Result<Task, ContextError> {
    task.validate().map_err(|e| ContextError::InvalidTask {
        origin: origin.to_string(),
        message: core_reason(e),
    })?;
    Ok(task)
}

/// The key a serde path points at, or `None` at the document root.
fn path_key(path: &serde_path_to_error::Path) -> Option<String> {
    let s = path.to_string();
    (s != "." && !s.is_empty() && s != "?").then_some(s)
}

/// One line: "key `x` at line N: message".
fn describe(message: &str, key: Option<String>, line: Option<usize>, text: &str) -> String {
    let flat = flatten(message);
    // Unknown and missing fields name the key in the message itself.
    let named = backticked_after(&flat, "unknown field `")
        .or_else(|| backticked_after(&flat, "missing field `"));
    // A missing key has no line of its own.
    let line = if flat.starts_with("missing field") {
        None
    } else {
        line
    };
    let key = named
        .or(key)
        .or_else(|| line.and_then(|l| key_on_or_above(text, l)));
    match (key, line) {
        (Some(k), Some(l)) => format!("key `{k}` at line {l}: {flat}"),
        (Some(k), None) => format!("key `{k}`: {flat}"),
        (None, Some(l)) => format!("line {l}: {flat}"),
        (None, None) => flat,
    }
}

/// Collapse a multi-line parser message into one line.
fn flatten(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
        .trim_end_matches(['.', ';'])
        .to_string()
}

fn backticked_after(message: &str, prefix: &str) -> Option<String> {
    let start = message.find(prefix)? + prefix.len();
    let end = message[start..].find('`')?;
    Some(message[start..start + end].to_string())
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The key assigned on `line` or the nearest line above it (for values of
/// multi-line arrays).
fn key_on_or_above(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let upto = line.min(lines.len());
    lines[..upto].iter().rev().find_map(|l| {
        let (key, _) = l.split_once('=')?;
        let key = key.trim().trim_matches(['"', '\'']);
        (!key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')))
        .then(|| key.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_task() {
        let text = r#"
id = "infra-42"
title = "Add RDS"
description = "Postgres for orders"
acceptance_criteria = ["multi-AZ", "backups"]
base = "main"
scope = ["infra/"]
environment = "prod"
"#;
        let task = parse_task_toml(text, "t.toml").unwrap();
        assert_eq!(task.id, "infra-42");
        assert_eq!(task.criteria.len(), 2);
        assert_eq!(
            task.environment,
            Some(director_core::Environment::Production)
        );
    }

    fn toml_err(text: &str) -> String {
        parse_task_toml(text, ".director/tasks/x.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unknown_key_is_named_with_line() {
        let e = toml_err("id = \"x\"\ntitle = \"t\"\ncolour = \"red\"\n");
        assert!(e.contains("key `colour`"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains(".director/tasks/x.toml"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn bad_type_is_named_with_line() {
        let e = toml_err("id = \"x\"\ntitle = \"t\"\ncriteria = \"one\"\n");
        assert!(e.contains("key `criteria`"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        let e = toml_err("id = \"x\"\ntitle = \"t\"\ncriteria = [\n  \"a\",\n  3,\n]\n");
        assert!(e.contains("criteria"), "{e}");
        assert!(e.contains("line 5"), "{e}");
        let e = toml_err("id = \"x\"\ntitle = \"t\"\nenvironment = \"mars\"\n");
        assert!(e.contains("key `environment`"), "{e}");
    }

    #[test]
    fn syntax_error_is_one_line() {
        let e = toml_err("id = \"x\"\ntitle = \"unterminated\n");
        assert!(!e.contains('\n'), "{e}");
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn missing_and_invalid_fields() {
        let e = toml_err("id = \"x\"\n");
        assert!(e.contains("key `title`"), "{e}");
        let e = toml_err("id = \"../x\"\ntitle = \"t\"\n");
        assert!(e.contains("key `id`"), "{e}");
    }

    #[test]
    fn json_errors_name_the_key() {
        let e = parse_task_json(r#"{"id":"x","title":"t","criteria":[1]}"#, "<stdin>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("key `criteria[0]`"), "{e}");
        assert!(e.contains("<stdin>"), "{e}");
        let e = parse_task_json(r#"{"id":"x","title":"t","extra":1}"#, "<stdin>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("key `extra`"), "{e}");
        let ok = parse_task_json(r#"{"id":"x","title":"t","criteria":["a"]}"#, "<stdin>");
        assert_eq!(ok.unwrap().criteria, vec!["a".to_string()]);
    }
}

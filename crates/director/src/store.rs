//! Run records on disk: `.director/runs/<task>/<run>.json`, written atomically
//! (temp file in the same folder, then rename) so a reader never sees half a record,
//! and read back by `director runs list/show`.

use crate::error::Error;
use director_core::RunRecord;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    tmp.write_all(bytes)
        .map_err(|e| Error::io("write", tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("sync", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("write", path, e.error))?;
    Ok(())
}

/// Folder holding every run record of a repository.
pub fn runs_dir(repo_root: &Path) -> PathBuf {
    repo_root
        .join(director_core::layout::DIR)
        .join(director_core::layout::RUNS)
}

/// Write a record to `.director/runs/<task>/<run>.json`.
pub fn save_record(repo_root: &Path, record: &RunRecord) -> Result<PathBuf, Error> {
    let path = runs_dir(repo_root)
        .join(&record.task.id)
        .join(format!("{}.json", record.run_id));
    let json = serde_json::to_vec_pretty(record).map_err(|e| Error::Internal(e.to_string()))?;
    write_atomic(&path, &json)?;
    Ok(path)
}

/// One stored run, as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredRun {
    /// Task id.
    pub task: String,
    /// Run id.
    pub run_id: String,
    /// Where it is.
    pub path: PathBuf,
}

/// List stored runs, newest first, optionally for one task.
pub fn list_runs(repo_root: &Path, task: Option<&str>) -> Result<Vec<StoredRun>, Error> {
    let root = runs_dir(repo_root);
    let mut runs = Vec::new();
    let tasks: Vec<String> = match task {
        Some(t) => vec![t.to_string()],
        None => match std::fs::read_dir(&root) {
            Ok(rd) => rd
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
            Err(e) => return Err(Error::io("read", &root, e)),
        },
    };
    for t in tasks {
        let dir = root.join(&t);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in rd.filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "json") {
                let run_id = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                runs.push(StoredRun {
                    task: t.clone(),
                    run_id,
                    path,
                });
            }
        }
    }
    // Run ids start with a UTC timestamp, so they sort by time.
    runs.sort_by(|a, b| b.run_id.cmp(&a.run_id));
    Ok(runs)
}

/// Read one record by run id (or `latest`, optionally within a task).
pub fn load_record(repo_root: &Path, run: &str, task: Option<&str>) -> Result<RunRecord, Error> {
    let runs = list_runs(repo_root, task)?;
    let found = if run == "latest" {
        runs.first()
    } else {
        runs.iter().find(|r| r.run_id == run)
    };
    let Some(found) = found else {
        return Err(Error::Input {
            message: format!(
                "no run record `{run}` under {}",
                runs_dir(repo_root).display()
            ),
            hint: "list them with `director runs list`".into(),
        });
    };
    read_record(&found.path)
}

/// Read one stored record file.
pub fn read_record(path: &Path) -> Result<RunRecord, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Input {
        message: format!("invalid run record {}: {e}", path.display()),
        hint: "records are written by `director verify`; do not edit them by hand".into(),
    })
}

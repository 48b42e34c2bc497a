//! Run records: where they are written and how `director runs list/show` reads them
//! back.
//!
//! Locally (the default) a record is `.director/runs/<task>/<run>.json`. With
//! `[store] records = true` (or `--store URL` for reading) it is
//! `<prefix>/records/<yyyy>/<mm>/<dd>/<run>.json` in object storage shared by a CI
//! fleet (`store/remote.rs`). Either way a record is written once, atomically and with
//! create-new semantics, so a run id collision can never overwrite a record. Run ids
//! are UUIDv7: unique without coordination, and sorted by time as strings.

mod remote;

use crate::error::Error;
use crate::remote::RemoteStore;
use director_context::atomic::{Mode, write_atomic as write_file};
use director_core::{Decision, RunRecord};
use std::path::{Path, PathBuf};

pub use remote::RemoteRecords;

/// Write `bytes` to `path` atomically (temp file, fsync, rename, fsync the folder),
/// creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_file(path, bytes, Mode::Replace).map_err(|e| Error::io("write", path, e))
}

/// A new run id for a run started at `now`: a UUIDv7 carrying that millisecond.
pub fn new_run_id(now: &chrono::DateTime<chrono::Utc>) -> String {
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        u64::try_from(now.timestamp()).unwrap_or(0),
        now.timestamp_subsec_nanos(),
    );
    uuid::Uuid::new_v7(ts).to_string()
}

/// When a run started, from its id: the UUIDv7 timestamp, or the UTC timestamp that
/// prefixes the ids of older versions (`20250102T030405.678Z-abc123`).
pub fn run_time(run_id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(id) = uuid::Uuid::parse_str(run_id)
        && id.get_version_num() == 7
    {
        let (secs, nanos) = id.get_timestamp()?.to_unix();
        return chrono::DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos);
    }
    let stamp = run_id.get(..20)?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.3fZ")
        .ok()
        .map(|t| t.and_utc())
}

/// A day as `--since`/`--until` take it: `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Result<chrono::NaiveDate, Error> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|e| Error::Input {
        message: format!("`{text}` is not a date ({e})"),
        hint: "write days as YYYY-MM-DD, e.g. --since 2025-06-01".into(),
    })
}

/// Folder holding every local run record of a repository.
pub fn runs_dir(repo_root: &Path) -> PathBuf {
    repo_root
        .join(director_core::layout::DIR)
        .join(director_core::layout::RUNS)
}

/// Write a record to `.director/runs/<task>/<run>.json`; never replaces a record.
pub fn save_record(repo_root: &Path, record: &RunRecord) -> Result<PathBuf, Error> {
    let path = runs_dir(repo_root)
        .join(&record.task.id)
        .join(format!("{}.json", record.run_id));
    let json = serde_json::to_vec_pretty(record).map_err(|e| Error::Internal(e.to_string()))?;
    match write_file(&path, &json, Mode::CreateNew) {
        Ok(()) => Ok(path),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Internal(format!(
            "run id collision: {} already exists and was left as it is",
            path.display()
        ))),
        Err(e) => Err(Error::io("write", &path, e)),
    }
}

/// Replace the local record of the same run (same task and run id) with `record`,
/// e.g. a stop hook noting its round cap in the reason. Only a record that exists is
/// replaced: a new run goes through [`save_record`], which never replaces.
pub fn amend_record(repo_root: &Path, record: &RunRecord) -> Result<PathBuf, Error> {
    let path = runs_dir(repo_root)
        .join(&record.task.id)
        .join(format!("{}.json", record.run_id));
    if !path.is_file() {
        return Err(Error::Internal(format!(
            "no record {} to amend",
            path.display()
        )));
    }
    let json = serde_json::to_vec_pretty(record).map_err(|e| Error::Internal(e.to_string()))?;
    write_atomic(&path, &json)?;
    Ok(path)
}

/// Which runs `director runs list` shows.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this task's runs.
    pub task: Option<String>,
    /// Only runs with this decision.
    pub decision: Option<Decision>,
    /// Only runs started on or after this day (UTC).
    pub since: Option<chrono::NaiveDate>,
    /// Only runs started on or before this day (UTC).
    pub until: Option<chrono::NaiveDate>,
    /// At most this many, newest first (0 = all).
    pub limit: usize,
}

impl RunFilter {
    fn day_in_range(&self, day: chrono::NaiveDate) -> bool {
        self.since.is_none_or(|s| day >= s) && self.until.is_none_or(|u| day <= u)
    }

    fn full(&self, n: usize) -> bool {
        self.limit != 0 && n >= self.limit
    }
}

/// One stored run, as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredRun {
    /// Task id.
    pub task: String,
    /// Run id.
    pub run_id: String,
    /// The decision, when the listing knows it without reading the record.
    pub decision: Option<Decision>,
    /// Where it is (a file, or a URL in object storage).
    pub path: PathBuf,
}

/// List local runs, newest first, optionally for one task.
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
                    decision: None,
                    path,
                });
            }
        }
    }
    // Newest first by the time in the id (old and new id formats mixed), then id.
    runs.sort_by(|a, b| (run_time(&b.run_id), &b.run_id).cmp(&(run_time(&a.run_id), &a.run_id)));
    Ok(runs)
}

/// Local runs matching `filter`, newest first, each with its decision.
pub fn list_local(repo_root: &Path, filter: &RunFilter) -> Result<Vec<StoredRun>, Error> {
    let mut out = Vec::new();
    for mut run in list_runs(repo_root, filter.task.as_deref())? {
        if filter.full(out.len()) {
            break;
        }
        let day = run_time(&run.run_id).map(|t| t.date_naive());
        if day.is_some_and(|d| !filter.day_in_range(d))
            || (day.is_none() && (filter.since.is_some() || filter.until.is_some()))
        {
            continue;
        }
        run.decision = read_record(&run.path).ok().map(|r| r.decision);
        if filter.decision.is_some() && run.decision != filter.decision {
            continue;
        }
        out.push(run);
    }
    Ok(out)
}

/// Read one local record by run id (or `latest`, optionally within a task).
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
    parse_record(&text, &path.display().to_string())
}

fn parse_record(text: &str, origin: &str) -> Result<RunRecord, Error> {
    serde_json::from_str(text).map_err(|e| Error::Input {
        message: format!("invalid run record {origin}: {e}"),
        hint: "records are written by `director verify`; do not edit them by hand".into(),
    })
}

/// Where run records are kept: a repository's `.director/runs/`, or object storage.
#[derive(Debug, Clone)]
pub enum RecordStore {
    /// `.director/runs/` under this repository root.
    Local(PathBuf),
    /// `records/` in a shared store.
    Remote(RemoteRecords),
}

impl RecordStore {
    /// Records in the shared store at `store`.
    pub fn remote(store: RemoteStore) -> RecordStore {
        RecordStore::Remote(RemoteRecords::new(store))
    }

    /// Write `record` (never replacing one); returns where it went.
    pub async fn save(&self, record: &RunRecord) -> Result<String, Error> {
        match self {
            RecordStore::Local(root) => {
                let (root, record) = (root.clone(), record.clone());
                let path = tokio::task::spawn_blocking(move || save_record(&root, &record))
                    .await
                    .map_err(|e| Error::Internal(format!("writing the run record: {e}")))??;
                Ok(path.display().to_string())
            }
            RecordStore::Remote(r) => r.save(record).await,
        }
    }

    /// Runs matching `filter`, newest first.
    pub async fn list(&self, filter: &RunFilter) -> Result<Vec<StoredRun>, Error> {
        match self {
            RecordStore::Local(root) => {
                let (root, filter) = (root.clone(), filter.clone());
                tokio::task::spawn_blocking(move || list_local(&root, &filter))
                    .await
                    .map_err(|e| Error::Internal(format!("listing run records: {e}")))?
            }
            RecordStore::Remote(r) => r.list(filter).await,
        }
    }

    /// One record by run id, or `latest` (optionally within a task).
    pub async fn load(&self, run: &str, task: Option<&str>) -> Result<RunRecord, Error> {
        match self {
            RecordStore::Local(root) => {
                let (root, run, task) = (root.clone(), run.to_string(), task.map(str::to_string));
                tokio::task::spawn_blocking(move || load_record(&root, &run, task.as_deref()))
                    .await
                    .map_err(|e| Error::Internal(format!("reading the run record: {e}")))?
            }
            RecordStore::Remote(r) => r.load(run, task).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_uuidv7_sorted_by_time_and_carry_it() {
        let t1 = chrono::DateTime::from_timestamp(1_750_000_000, 123_000_000).unwrap();
        let t2 = t1 + chrono::Duration::milliseconds(1);
        let (a, b) = (new_run_id(&t1), new_run_id(&t2));
        assert!(a < b, "{a} < {b}");
        assert_ne!(
            new_run_id(&t1),
            new_run_id(&t1),
            "random bits keep ids apart"
        );
        assert_eq!(run_time(&a), Some(t1));
        let legacy = run_time("20250102T030405.678Z-abc123").unwrap();
        assert_eq!(legacy.to_rfc3339(), "2025-01-02T03:04:05.678+00:00");
        assert_eq!(run_time("nonsense"), None);
    }

    #[test]
    fn a_colliding_run_id_never_overwrites_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut record: RunRecord =
            serde_json::from_str(include_str!("../tests/fixtures/record.json")).unwrap();
        record.run_id = new_run_id(&chrono::Utc::now());
        let path = save_record(dir.path(), &record).unwrap();
        let before = std::fs::read(&path).unwrap();
        record.reason = "a different run with the same id".into();
        let err = save_record(dir.path(), &record).unwrap_err();
        assert!(err.to_string().contains("collision"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}

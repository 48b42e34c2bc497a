//! Run records in object storage: `<prefix>/records/<yyyy>/<mm>/<dd>/<run>.json`,
//! written with `PutMode::Create`, plus an empty index object per record,
//! `<prefix>/index/<yyyy>/<mm>/<dd>/<run>.<decision>.<task>`, whose name carries what
//! `runs list` filters on. Listing never reads a record: it walks only the day
//! prefixes in the requested range, newest first, and stops at the limit — so it
//! stays fast at 100k records.

use super::{RunFilter, StoredRun, run_time};
use crate::error::Error;
use crate::remote::RemoteStore;
use chrono::{Datelike as _, NaiveDate};
use director_core::{Decision, RunRecord};
use futures::TryStreamExt as _;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt as _, PutMode, PutOptions};
use std::path::PathBuf;

/// Run records in a shared store.
#[derive(Debug, Clone)]
pub struct RemoteRecords {
    store: RemoteStore,
}

impl RemoteRecords {
    pub(crate) fn new(store: RemoteStore) -> Self {
        RemoteRecords { store }
    }

    fn failed(&self, e: &object_store::Error) -> Error {
        Error::Storage {
            url: self.store.url().to_string(),
            message: e.to_string(),
        }
    }

    fn record_path(&self, day: NaiveDate, run_id: &str) -> ObjectPath {
        self.store
            .path(&format!("records/{}/{run_id}.json", day_dir(day)))
    }

    /// Write the record, then its index entry. Returns the record's URL.
    pub(crate) async fn save(&self, record: &RunRecord) -> Result<String, Error> {
        let day = run_time(&record.run_id)
            .unwrap_or_else(chrono::Utc::now)
            .date_naive();
        let path = self.record_path(day, &record.run_id);
        let json = serde_json::to_vec_pretty(record).map_err(|e| Error::Internal(e.to_string()))?;
        let store = self.store.store();
        let create = || PutOptions::from(PutMode::Create);
        match store.put_opts(&path, json.into(), create()).await {
            Ok(_) => {}
            Err(object_store::Error::AlreadyExists { .. }) => {
                return Err(Error::Internal(format!(
                    "run id collision: {path} already exists in {} and was left as it is",
                    self.store.url()
                )));
            }
            Err(e) => return Err(self.failed(&e)),
        }
        let index = self.store.path(&format!(
            "index/{}/{}.{}.{}",
            day_dir(day),
            record.run_id,
            record.decision.as_str(),
            record.task.id
        ));
        match store.put_opts(&index, Vec::new().into(), create()).await {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(self.failed(&e)),
        }
        Ok(format!("{}/{path}", self.store.url().trim_end_matches('/')))
    }

    /// Runs matching `filter`, newest first.
    pub(crate) async fn list(&self, filter: &RunFilter) -> Result<Vec<StoredRun>, Error> {
        let mut out = Vec::new();
        let root = self.store.path("index");
        'days: for year in self.children(&root, 4, filter, Level::Year).await? {
            let year_dir = self.store.path(&format!("index/{year}"));
            for month in self
                .children(&year_dir, 2, filter, Level::Month(&year))
                .await?
            {
                let month_dir = self.store.path(&format!("index/{year}/{month}"));
                let days = self
                    .children(&month_dir, 2, filter, Level::Day(&year, &month))
                    .await?;
                for day in days {
                    let day_dir = self.store.path(&format!("index/{year}/{month}/{day}"));
                    let mut runs = self
                        .day(&day_dir, &format!("{year}/{month}/{day}"), filter)
                        .await?;
                    runs.sort_by(|a, b| b.run_id.cmp(&a.run_id));
                    for run in runs {
                        if filter.full(out.len()) {
                            break 'days;
                        }
                        out.push(run);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The sub-folders of `dir` (years, months or days) that can hold runs in the
    /// filter's range, newest first.
    async fn children(
        &self,
        dir: &ObjectPath,
        width: usize,
        filter: &RunFilter,
        level: Level<'_>,
    ) -> Result<Vec<String>, Error> {
        let listing = self
            .store
            .store()
            .list_with_delimiter(Some(dir))
            .await
            .map_err(|e| self.failed(&e))?;
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .filter(|n| n.len() == width && n.bytes().all(|b| b.is_ascii_digit()))
            .filter(|n| level.overlaps(n, filter))
            .collect();
        names.sort_unstable_by(|a, b| b.cmp(a));
        Ok(names)
    }

    /// The runs indexed under one day folder that pass the filter.
    async fn day(
        &self,
        dir: &ObjectPath,
        day: &str,
        filter: &RunFilter,
    ) -> Result<Vec<StoredRun>, Error> {
        let metas: Vec<_> = self
            .store
            .store()
            .list(Some(dir))
            .try_collect()
            .await
            .map_err(|e| self.failed(&e))?;
        let base = self.store.url().trim_end_matches('/').to_string();
        Ok(metas
            .iter()
            .filter_map(|m| {
                let name = m.location.filename()?;
                let mut parts = name.splitn(3, '.');
                let (run_id, decision, task) = (parts.next()?, parts.next()?, parts.next()?);
                let decision = parse_decision(decision)?;
                let keep = filter.task.as_deref().is_none_or(|t| t == task)
                    && filter.decision.is_none_or(|d| d == decision);
                keep.then(|| StoredRun {
                    task: task.to_string(),
                    run_id: run_id.to_string(),
                    decision: Some(decision),
                    path: PathBuf::from(format!(
                        "{base}/{}",
                        self.store.path(&format!("records/{day}/{run_id}.json"))
                    )),
                })
            })
            .collect())
    }

    /// One record by run id, or `latest` (optionally within a task).
    pub(crate) async fn load(&self, run: &str, task: Option<&str>) -> Result<RunRecord, Error> {
        let run_id = if run == "latest" {
            let filter = RunFilter {
                task: task.map(str::to_string),
                limit: 1,
                ..RunFilter::default()
            };
            match self.list(&filter).await?.into_iter().next() {
                Some(found) => found.run_id,
                None => return Err(self.missing(run)),
            }
        } else {
            run.to_string()
        };
        let day = run_time(&run_id)
            .ok_or_else(|| Error::Input {
                message: format!("`{run_id}` is not a run id"),
                hint: "run ids look like 01970f5e-8a3b-7c44-9d1e-2f6a5b4c3d21; list them with `director runs list --store URL`".into(),
            })?
            .date_naive();
        let path = self.record_path(day, &run_id);
        let got = match self.store.store().get(&path).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Err(self.missing(&run_id)),
            Err(e) => return Err(self.failed(&e)),
        };
        let bytes = got.bytes().await.map_err(|e| self.failed(&e))?;
        let text = String::from_utf8_lossy(&bytes);
        let record = super::parse_record(&text, path.as_ref())?;
        if task.is_some_and(|t| t != record.task.id) {
            return Err(self.missing(run));
        }
        Ok(record)
    }

    fn missing(&self, run: &str) -> Error {
        Error::Input {
            message: format!("no run record `{run}` in {}", self.store.url()),
            hint: "list them with `director runs list --store URL`".into(),
        }
    }
}

/// Which folder level of `index/` is being listed.
enum Level<'a> {
    Year,
    Month(&'a str),
    Day(&'a str, &'a str),
}

impl Level<'_> {
    /// True when the folder `name` at this level holds days inside the filter's range.
    fn overlaps(&self, name: &str, filter: &RunFilter) -> bool {
        let n: u32 = name.parse().unwrap_or(0);
        let (first, last) = match self {
            Level::Year => {
                let y = n as i32;
                (
                    NaiveDate::from_ymd_opt(y, 1, 1),
                    NaiveDate::from_ymd_opt(y, 12, 31),
                )
            }
            Level::Month(year) => {
                let y: i32 = year.parse().unwrap_or(0);
                let first = NaiveDate::from_ymd_opt(y, n, 1);
                let last = first.and_then(|f| {
                    let next = if n == 12 {
                        NaiveDate::from_ymd_opt(y + 1, 1, 1)
                    } else {
                        NaiveDate::from_ymd_opt(y, n + 1, 1)
                    };
                    next.and_then(|d| d.pred_opt()).or(Some(f))
                });
                (first, last)
            }
            Level::Day(year, month) => {
                let d = NaiveDate::from_ymd_opt(
                    year.parse().unwrap_or(0),
                    month.parse().unwrap_or(0),
                    n,
                );
                (d, d)
            }
        };
        let (Some(first), Some(last)) = (first, last) else {
            return false;
        };
        filter.since.is_none_or(|s| last >= s) && filter.until.is_none_or(|u| first <= u)
    }
}

fn day_dir(day: NaiveDate) -> String {
    format!("{:04}/{:02}/{:02}", day.year(), day.month(), day.day())
}

fn parse_decision(s: &str) -> Option<Decision> {
    match s {
        "pass" => Some(Decision::Pass),
        "block" => Some(Decision::Block),
        "incomplete" => Some(Decision::Incomplete),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_folders_in_range_are_walked() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let filter = RunFilter {
            since: d(2025, 2, 27),
            until: d(2025, 3, 2),
            ..RunFilter::default()
        };
        assert!(Level::Year.overlaps("2025", &filter));
        assert!(!Level::Year.overlaps("2024", &filter));
        assert!(!Level::Month("2025").overlaps("01", &filter));
        assert!(Level::Month("2025").overlaps("02", &filter));
        assert!(Level::Month("2025").overlaps("03", &filter));
        assert!(!Level::Month("2025").overlaps("04", &filter));
        assert!(!Level::Day("2025", "02").overlaps("26", &filter));
        assert!(Level::Day("2025", "02").overlaps("28", &filter));
        assert!(!Level::Day("2025", "03").overlaps("03", &filter));
        assert!(Level::Month("2025").overlaps("12", &RunFilter::default()));
    }
}

//! What outlives a run: `director runs list|show` (local records or a fleet's object
//! store) and `director cache prune`.

use crate::cli::{CacheCommand, DecisionArg, RunsCommand};
use crate::output::{emit, stdout_color};
use director::core::Decision;
use director::exit;
use director::store::{RunFilter, parse_day, run_time};
use std::path::Path;
use std::time::Duration;

/// `director runs list|show`
pub async fn runs(repo: &Path, cmd: RunsCommand) -> anyhow::Result<i32> {
    let root = director::project_root(repo)?;
    match cmd {
        RunsCommand::List {
            task,
            decision,
            since,
            until,
            limit,
            store,
        } => {
            let filter = RunFilter {
                task,
                decision: decision.map(|d| match d {
                    DecisionArg::Pass => Decision::Pass,
                    DecisionArg::Block => Decision::Block,
                    DecisionArg::Incomplete => Decision::Incomplete,
                }),
                since: since.as_deref().map(parse_day).transpose()?,
                until: until.as_deref().map(parse_day).transpose()?,
                limit,
            };
            let records = director::storage::record_store(&root, store.as_deref())?;
            let runs = records.list(&filter).await?;
            let mut out = String::new();
            for r in &runs {
                let started = run_time(&r.run_id)
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default();
                let decision = r.decision.map_or("unreadable", Decision::as_str);
                out.push_str(&format!(
                    "{:<36}  {:<19}  {:<10}  {}\n",
                    r.run_id, started, decision, r.task
                ));
            }
            if runs.is_empty() {
                out.push_str("no runs recorded yet\n");
            }
            emit(&out, None)?;
        }
        RunsCommand::Show {
            run,
            task,
            format,
            store,
        } => {
            let records = director::storage::record_store(&root, store.as_deref())?;
            let record = records.load(&run, task.as_deref()).await?;
            let format = super::verify::format(format);
            emit(
                &director::report::render(&record, format, stdout_color()),
                None,
            )?;
            super::verify::append_step_summary(std::slice::from_ref(&record), format)?;
        }
    }
    Ok(exit::PASS)
}

/// `director cache prune`
pub async fn cache(repo: &Path, cmd: CacheCommand) -> anyhow::Result<i32> {
    let root = director::project_root(repo)?;
    match cmd {
        CacheCommand::Prune { older_than, store } => {
            let (cache, ttl) = director::storage::cache_to_prune(&root, store.as_deref())?;
            let age = match older_than {
                Some(days) => Duration::from_secs(u64::from(days) * 86_400),
                None => ttl.ok_or_else(|| director::Error::Input {
                    message: "no age to prune by: [cache] ttl_days is 0 (no expiry)".into(),
                    hint: "pass --older-than DAYS".into(),
                })?,
            };
            let report = cache.prune(age).await?;
            emit(
                &format!(
                    "pruned {} of {} verdict cache entries older than {} days in {}\n",
                    report.removed,
                    report.scanned,
                    age.as_secs() / 86_400,
                    cache.location()
                ),
                None,
            )?;
        }
    }
    Ok(exit::PASS)
}

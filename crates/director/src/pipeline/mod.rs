//! The orchestrator: one verification from task to decision, as four named stages
//! with data types between them.
//!
//! 1. [`plan`] — validate the task, gather the change, run the deterministic
//!    evidence, route each Director, handle offline mode, pack one shared context,
//!    render every Director's messages and apply the budget → [`plan::Plan`].
//! 2. [`review`] — one `run_director` per planned Director (verdict cache, bounded
//!    concurrency, per-Director deadline, cancellation); a panic or an internal error
//!    of a Director task is that Director's failure → [`review::Reviewed`].
//! 3. [`judge`] — check every finding's quote against the code, inline
//!    suppressions, merge across Directors, baseline, gate → [`judge::Judgement`].
//! 4. [`record`] — the versioned run record, persisted atomically.
//!
//! Architecture Invariant: a Director that should have reviewed the change and did
//! not produce a valid verdict is `failed`, and a failed Director can only make the
//! decision `incomplete` or leave a `block` standing — never a silent `pass` (unless
//! the user chose `on_incomplete = "pass-with-warning"`, which the record states).

mod budget;
mod judge;
mod plan;
mod prompt;
mod record;
mod review;
mod route;

use crate::config::ResolvedConfig;
use crate::error::Error;
use crate::event::EventSink;
use crate::registry::Panel;
use director_core::record::ContextSummary;
use director_core::{RunRecord, Task};
use director_llm::{ChatModel, VerdictCache};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Per-run choices that are not configuration.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Base ref, overriding the task's.
    pub base: Option<String>,
    /// Head ref, overriding the task's.
    pub head: Option<String>,
    /// Review these paths whole, overriding the task's.
    pub paths: Vec<String>,
    /// Run exactly these Directors (overrides routing).
    pub directors: Vec<String>,
    /// Run every Director (overrides routing).
    pub all_directors: bool,
}

/// The packed context, as `director context` prints it.
#[derive(Debug, Clone)]
pub struct ContextPreview {
    /// The context text (fenced, redacted).
    pub text: String,
    /// Its tokens, budget, omissions and redactions, as the run record has them.
    pub summary: ContextSummary,
}

/// Everything a verification needs, shared by the runs of one process.
pub(crate) struct Engine {
    /// Token counts of rendered prompt parts, by content hash. Director prompts only
    /// change with the panel and environment, so a long-lived verifier (MCP server,
    /// agent framework, several tasks) counts each of them once.
    pub(crate) token_counts: Mutex<HashMap<u64, usize>>,
    pub(crate) repo_root: PathBuf,
    pub(crate) config: ResolvedConfig,
    pub(crate) panel: Arc<Panel>,
    pub(crate) model: Option<Arc<dyn ChatModel>>,
    pub(crate) cache: Option<Arc<VerdictCache>>,
}

impl Engine {
    /// Run one verification: plan → review → judge → record.
    pub(crate) async fn verify(
        &self,
        task: Task,
        options: &VerifyOptions,
        events: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<RunRecord, Error> {
        let mut plan = self.plan(task, options, events).await?;
        let requests = std::mem::take(&mut plan.requests);
        let reviewed = self.review(&plan, requests, events, cancel).await;
        let judgement = self.judge(&plan, reviewed, cancel.is_cancelled()).await?;
        self.record(plan, judgement, events).await
    }

    /// Tokens of `text`, counted once per distinct text.
    fn tokens(&self, text: &str) -> usize {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let key = h.finish();
        if let Some(n) = self
            .token_counts
            .lock()
            .ok()
            .and_then(|m| m.get(&key).copied())
        {
            return n;
        }
        let n = director_context::count_tokens(text);
        if let Ok(mut m) = self.token_counts.lock() {
            if m.len() > 4096 {
                m.clear();
            }
            m.insert(key, n);
        }
        n
    }
}

/// Run blocking work (filesystem, git, parsing) off the async workers; a panic in it
/// is an internal error naming `what`, never a lost result.
pub(crate) async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("{what}: {}", join_error_text(e))))
}

/// What a failed task says about itself: `panicked: <message>` or `cancelled`.
pub(crate) fn join_error_text(e: tokio::task::JoinError) -> String {
    if e.is_panic() {
        let payload = e.into_panic();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        format!("panicked: {message}")
    } else {
        "cancelled".into()
    }
}

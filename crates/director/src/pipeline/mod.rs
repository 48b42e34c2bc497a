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
pub(crate) mod fitting;
mod judge;
mod plan;
mod prompt;
mod record;
mod review;
mod route;

use crate::config::Overrides;
use crate::error::Error;
use crate::event::EventSink;
use crate::setup::{ProviderSpec, Setup};
use crate::trust::{Policy, TrustedPolicy};
use director_core::record::ContextSummary;
use director_core::{RunRecord, Task};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
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
    /// Rendered manifests and SARIF logs to add to the deterministic evidence.
    pub evidence: crate::evidence_inputs::ExtraEvidence,
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
    /// The project folder (holding `.director/`).
    pub(crate) repo_root: PathBuf,
    /// The command-line layer of configuration.
    pub(crate) overrides: Overrides,
    /// Whether the working tree's policy is trusted.
    pub(crate) trust_worktree: bool,
    /// The provider as the builder was given it.
    pub(crate) provider: Option<ProviderSpec>,
    /// The concurrency cap every provider request of this verifier draws from: shared
    /// on purpose (`share_limits_with`) or sized by the first trusted policy read.
    pub(crate) slots: std::sync::OnceLock<Arc<Semaphore>>,
    /// The setup of the default change (`Verifier::config`, `panel`), built when first
    /// asked for: a run over another range never reads (or validates) the default
    /// change's policy, which on a default branch is the head under review.
    pub(crate) default: std::sync::OnceLock<Arc<Setup>>,
    /// Setups of other trusted sources met since, by policy key.
    pub(crate) setups: Mutex<HashMap<String, Arc<Setup>>>,
    /// The user's cache home, when the builder chose one.
    pub(crate) cache_home: Option<PathBuf>,
    /// Tools of the embedder's own, offered beside the repository tools.
    pub(crate) extra_tools: Option<Arc<dyn director_llm::ToolExecutor>>,
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
        plan.tools.close().await;
        let judgement = self.judge(&plan, reviewed, cancel.is_cancelled()).await?;
        self.record(plan, judgement, events).await
    }

    /// The setup for a change from `base` to `head`: the policy of its trusted side,
    /// re-read for every run (a long-lived verifier sees new commits) and built once
    /// per distinct content.
    pub(crate) async fn setup_for(
        &self,
        base: Option<String>,
        head: Option<String>,
    ) -> Result<(Arc<Setup>, Vec<String>), Error> {
        let root = self.repo_root.clone();
        let worktree = self.trust_worktree;
        let default = base.is_none() && head.is_none();
        let (trusted, ignored) = blocking("reading the trusted policy", move || {
            let trusted =
                TrustedPolicy::resolve(&root, base.as_deref(), head.as_deref(), worktree)?;
            let ignored = trusted.ignored_changes(head.as_deref())?;
            Ok::<_, Error>((trusted, ignored))
        })
        .await??;
        let setup = self.setup_from(trusted, default)?;
        Ok((setup, ignored))
    }

    /// The setup of the default change (the working tree against its default base).
    pub(crate) fn default_setup(&self) -> Result<&Arc<Setup>, Error> {
        if let Some(setup) = self.default.get() {
            return Ok(setup);
        }
        let trusted = TrustedPolicy::resolve(&self.repo_root, None, None, self.trust_worktree)?;
        self.setup_from(trusted, true)?;
        self.default
            .get()
            .ok_or_else(|| Error::Internal("the default policy was not kept".into()))
    }

    /// The concurrency cap, for another verifier to share: sized by the default
    /// change's policy, or `[limits]`' default when that policy cannot be read.
    pub(crate) fn shared_slots(&self) -> Arc<Semaphore> {
        let _ = self.default_setup();
        self.slots
            .get_or_init(|| {
                let limits = crate::config::LimitsSection::default();
                Arc::new(Semaphore::new(limits.max_concurrency))
            })
            .clone()
    }

    /// The setup of a trusted policy, built once per distinct content.
    fn setup_from(&self, trusted: TrustedPolicy, default: bool) -> Result<Arc<Setup>, Error> {
        let key = trusted.key();
        let known = self
            .default
            .get()
            .filter(|d| d.policy.trusted.key() == key)
            .cloned()
            .or_else(|| self.setups.lock().ok().and_then(|m| m.get(&key).cloned()));
        let setup = match known {
            Some(found) => found,
            None => {
                let policy = Policy::load(trusted, &self.overrides)?;
                let slots = self.slots.get_or_init(|| {
                    Arc::new(Semaphore::new(
                        policy.config.config.limits.max_concurrency.max(1),
                    ))
                });
                let setup = Arc::new(Setup::build(
                    policy,
                    self.provider.as_ref(),
                    slots,
                    &self.repo_root,
                    self.cache_home.as_deref(),
                )?);
                if let Ok(mut m) = self.setups.lock() {
                    m.insert(key, setup.clone());
                }
                setup
            }
        };
        if default {
            let _ = self.default.set(setup.clone());
        }
        Ok(setup)
    }

    /// Tokens of `text`, counted once per distinct text.
    pub(crate) fn tokens(&self, text: &str) -> usize {
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

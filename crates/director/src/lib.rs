//! `director`: the verification orchestrator and its embedding API.
//!
//! A finished task goes in; a panel of Directors (LLM reviewers with their own
//! personas) and deterministic analyzers review the change in parallel; one
//! completion decision comes out, with a run record that every report is made from.
//!
//! ```no_run
//! # async fn example() -> Result<(), director::Error> {
//! let verifier = director::Verifier::builder()
//!     .repo(".")
//!     .provider("http://127.0.0.1:8080/v1")
//!     .build()?;
//! let task = verifier.load_task("infra-42")?;
//! let record = verifier.verify(task).await?;
//! println!("{} ({})", record.decision, record.reason);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod baseline;
pub mod cache;
pub mod config;
pub mod doctor;
mod error;
pub mod eval;
pub mod event;
mod evidence_inputs;
pub mod exit;
pub mod fit;
pub mod hook;
pub mod mcp;
mod pipeline;
pub mod policy;
pub mod registry;
mod related;
pub mod remote;
pub mod report;
mod setup;
pub mod storage;
pub mod store;
mod tools;
pub mod trust;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::{Config, Overrides, ResolvedConfig};
pub use director_core as core;
pub use director_core::{Decision, Finding, RunRecord, Task};
pub use error::Error;
pub use event::{EventSink, VerificationEvent};
pub use evidence_inputs::{ExtraEvidence, RenderedSource};
pub use pipeline::{ContextPreview, VerifyOptions};
pub use registry::Panel;
pub use tokio_util::sync::CancellationToken;

/// Tasks: the store under `.director/tasks/`, the parsers and the TOML writer.
pub mod tasks {
    pub use director_context::task::task_to_toml;
    pub use director_context::{TaskStore, discover_repo_root, parse_task_json, parse_task_toml};
}

/// The folder `director` works in for `start`: the nearest folder at or above it
/// (up to the git root) holding `.director/`, else the git root, else `start`.
pub fn project_root(start: &Path) -> Result<PathBuf, Error> {
    let start = std::fs::canonicalize(start).map_err(|e| Error::Input {
        message: format!("repository `{}` does not exist ({e})", start.display()),
        hint: "pass --repo PATH with an existing folder".into(),
    })?;
    let git = director_context::discover_repo_root(&start);
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        if d.join(director_core::layout::DIR).is_dir() {
            return Ok(d.to_path_buf());
        }
        if git.as_deref() == Some(d) {
            break;
        }
        dir = d.parent();
    }
    Ok(git.unwrap_or(start))
}

/// The current time, RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The JSON schema of the run record (`director schema --record`).
pub fn record_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(RunRecord).to_value();
    if let Some(map) = schema.as_object_mut() {
        map.insert(
            "$id".into(),
            serde_json::Value::String(format!(
                "https://director.dev/schemas/run-record-v{}.json",
                director_core::record::RECORD_VERSION
            )),
        );
    }
    schema
}

/// Run only the deterministic analyzers over `paths` (files or folders), like
/// `checkov -d`, and decide with the same gate. No task and no record file. Paths
/// outside `root` are analyzed in the project that holds them (see
/// [`project_root`]); `extra` adds rendered manifests, SARIF logs and a Terraform plan
/// (`terraform show -json`).
pub async fn evidence_record(
    root: &Path,
    paths: &[PathBuf],
    environment: Option<director_core::Environment>,
    extra: ExtraEvidence,
) -> Result<RunRecord, Error> {
    evidence_inputs::evidence_record(root, paths, environment, extra).await
}

use pipeline::Engine;
pub use setup::{ProviderSpec, provider_config};

/// Builds a [`Verifier`].
#[derive(Default)]
pub struct VerifierBuilder {
    repo: Option<PathBuf>,
    provider: Option<ProviderSpec>,
    overrides: Overrides,
    cache_home: Option<PathBuf>,
    tools: Option<Arc<dyn director_llm::ToolExecutor>>,
    slots: Option<Arc<tokio::sync::Semaphore>>,
}

impl std::fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("repo", &self.repo)
            .field("provider", &self.provider)
            .field("overrides", &self.overrides)
            .field("tools", &self.tools.as_ref().map(|t| t.specs().len()))
            .finish_non_exhaustive()
    }
}

impl VerifierBuilder {
    /// The repository (or folder) to verify in. Default: the current directory.
    pub fn repo(mut self, path: impl Into<PathBuf>) -> Self {
        self.repo = Some(path.into());
        self
    }

    /// The LLM provider: a base URL, a [`ChatModel`](director_llm::ChatModel), or [`ProviderSpec::Offline`].
    pub fn provider(mut self, provider: impl Into<ProviderSpec>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Configuration overrides (the command-line layer).
    pub fn overrides(mut self, overrides: Overrides) -> Self {
        self.overrides = overrides;
        self
    }

    /// The user's cache home (the default verdict cache and its key), instead of
    /// `DIRECTOR_CACHE_HOME` / `$XDG_CACHE_HOME/director` / `~/.cache/director`.
    pub fn cache_home(mut self, path: impl Into<PathBuf>) -> Self {
        self.cache_home = Some(path.into());
        self
    }

    /// Define an MCP server (`[mcp.servers.<name>]`) as trusted configuration; Directors
    /// whose definitions list `name` in `mcp` may call its tools.
    pub fn mcp_server(mut self, name: impl Into<String>, server: mcp::McpServerConfig) -> Self {
        self.overrides.mcp_servers.insert(name.into(), server);
        self
    }

    /// Tools of the embedder's own, offered to every Director beside the repository
    /// tools (when `run.tool_rounds > 0`). A panic inside them fails the Director
    /// (`internal`), which makes the run `incomplete`.
    pub fn tools(mut self, tools: Arc<dyn director_llm::ToolExecutor>) -> Self {
        self.tools = Some(tools);
        self
    }

    /// Draw provider requests from the same concurrency cap as `other` (several
    /// verifiers of one process sharing one `[limits] max_concurrency`).
    pub fn share_limits_with(mut self, other: &Verifier) -> Self {
        self.slots = Some(other.engine.shared_slots());
        self
    }

    /// Read the user's trust settings and build the verifier. The repository policy
    /// (configuration, panel, baseline) of each change is read from that change's
    /// trusted base when a run (or `config`, `panel`, `policy`) first needs it, so an
    /// invalid policy at the default base fails only the runs that would apply it.
    pub fn build(self) -> Result<Verifier, Error> {
        let start = match self.repo {
            Some(p) => p,
            None => std::env::current_dir().map_err(|e| Error::io("read", ".", e))?,
        };
        let repo_root = project_root(&start)?;
        let mut overrides = self.overrides;
        match &self.provider {
            Some(ProviderSpec::BaseUrl(url)) => overrides.base_url = Some(url.clone()),
            Some(ProviderSpec::Offline) => overrides.offline = Some(true),
            _ => {}
        }
        let trust = config::load_trust(&overrides)?;
        let slots = std::sync::OnceLock::new();
        if let Some(shared) = self.slots {
            let _ = slots.set(shared);
        }
        Ok(Verifier {
            engine: Arc::new(Engine {
                token_counts: Default::default(),
                repo_root,
                overrides,
                trust_worktree: trust.worktree_config,
                provider: self.provider,
                slots,
                default: std::sync::OnceLock::new(),
                setups: Default::default(),
                cache_home: self.cache_home,
                extra_tools: self.tools,
            }),
        })
    }
}

/// Verifies tasks in one repository. Cheap to clone; share it across tasks so they
/// share the provider's rate limits, concurrency cap and circuit breaker.
#[derive(Clone)]
pub struct Verifier {
    engine: Arc<Engine>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("repo_root", &self.engine.repo_root)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Start building a verifier.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// The repository root (or the folder, outside git).
    pub fn repo_root(&self) -> &Path {
        &self.engine.repo_root
    }

    /// The resolved configuration for the default change (its trusted policy), read
    /// when first asked for.
    pub fn config(&self) -> Result<&ResolvedConfig, Error> {
        Ok(&self.engine.default_setup()?.policy.config)
    }

    /// The Director panel for the default change.
    pub fn panel(&self) -> Result<&Panel, Error> {
        Ok(&self.engine.default_setup()?.policy.panel)
    }

    /// Where the default change's policy was read from, and the policy files the
    /// working tree (or head) alters that are therefore not applied.
    pub fn policy(&self) -> Result<&trust::TrustedPolicy, Error> {
        Ok(&self.engine.default_setup()?.policy.trusted)
    }

    /// Load `.director/tasks/<id>.toml`.
    pub fn load_task(&self, id: &str) -> Result<Task, Error> {
        Ok(director_context::TaskStore::new(&self.engine.repo_root).load(id)?)
    }

    /// Verify one task with default options and no progress events.
    pub async fn verify(&self, task: Task) -> Result<RunRecord, Error> {
        self.verify_with(
            task,
            &VerifyOptions::default(),
            &EventSink::none(),
            &CancellationToken::new(),
        )
        .await
    }

    /// Verify one task, emitting progress events; `cancel` stops in-flight calls.
    pub async fn verify_with(
        &self,
        task: Task,
        options: &VerifyOptions,
        events: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<RunRecord, Error> {
        self.engine.verify(task, options, events, cancel).await
    }

    /// The packed context the Directors would see for `task`, without any provider call.
    pub async fn context_preview(
        &self,
        task: Task,
        options: &VerifyOptions,
    ) -> Result<ContextPreview, Error> {
        self.engine.context_preview(&task, options).await
    }

    /// What director knows about the configured model and what it will do with it
    /// (`director doctor`): discovery, a tiny probe, every Director's fit.
    pub async fn doctor(&self) -> Result<doctor::DoctorReport, Error> {
        self.engine.doctor().await
    }

    /// Verify several tasks concurrently under the same limits; one result each, in order.
    pub async fn verify_many(
        &self,
        tasks: Vec<Task>,
        options: &VerifyOptions,
        events: &EventSink,
        cancel: &CancellationToken,
    ) -> Vec<Result<RunRecord, Error>> {
        let runs = tasks
            .into_iter()
            .map(|task| self.engine.verify(task, options, events, cancel));
        futures::future::join_all(runs).await
    }
}

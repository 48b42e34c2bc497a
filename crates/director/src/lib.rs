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
pub mod config;
mod error;
pub mod event;
pub mod exit;
pub mod mcp;
pub mod registry;
mod related;
pub mod report;
pub mod store;
mod tools;
mod verify;

use director_llm::{ChatModel, OpenAiProvider, ProviderConfig, VerdictCache};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use config::{Config, Overrides, ResolvedConfig};
pub use director_core as core;
pub use director_core::{Decision, Finding, RunRecord, Task};
pub use error::Error;
pub use event::{EventSink, VerificationEvent};
pub use registry::Panel;
pub use tokio_util::sync::CancellationToken;
pub use verify::{ContextPreview, VerifyOptions};

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
        if d.join(".director").is_dir() {
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
/// `checkov -d`, and decide with the same gate. No task and no record file.
pub async fn evidence_record(
    root: &Path,
    paths: &[PathBuf],
    environment: Option<director_core::Environment>,
) -> Result<RunRecord, Error> {
    let cwd = std::env::current_dir().map_err(|e| Error::io("read", ".", e))?;
    let mut rel = Vec::new();
    for p in paths {
        let abs = if p.is_absolute() {
            p.clone()
        } else {
            cwd.join(p)
        };
        let abs = std::fs::canonicalize(&abs).map_err(|e| Error::io("read", p, e))?;
        let r = abs.strip_prefix(root).map_err(|_| Error::Input {
            message: format!(
                "`{}` is outside the repository {}",
                p.display(),
                root.display()
            ),
            hint: "pass --repo with a folder that contains the paths".into(),
        })?;
        let r = r.to_string_lossy().replace('\\', "/");
        rel.push(if r.is_empty() { ".".to_string() } else { r });
    }
    let verifier = Verifier::builder()
        .repo(root)
        .provider(ProviderSpec::Offline)
        .overrides(Overrides {
            write_record: Some(false),
            ..Overrides::default()
        })
        .build()?;
    let task = Task {
        id: "evidence".into(),
        title: format!("deterministic evidence for {}", rel.join(", ")),
        paths: rel,
        environment,
        ..Task::default()
    };
    verifier.verify(task).await
}

use verify::Engine;

/// Where the Directors' replies come from.
#[derive(Clone)]
pub enum ProviderSpec {
    /// An OpenAI-compatible base URL; everything else from configuration.
    BaseUrl(String),
    /// A ready chat model (e.g. a custom `ChatModel` implementation).
    Model(Arc<dyn ChatModel>),
    /// No provider: deterministic evidence only.
    Offline,
}

impl std::fmt::Debug for ProviderSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProviderSpec::BaseUrl(u) => write!(f, "BaseUrl({u})"),
            ProviderSpec::Model(_) => f.write_str("Model(..)"),
            ProviderSpec::Offline => f.write_str("Offline"),
        }
    }
}

impl From<&str> for ProviderSpec {
    fn from(url: &str) -> Self {
        ProviderSpec::BaseUrl(url.to_string())
    }
}

impl From<String> for ProviderSpec {
    fn from(url: String) -> Self {
        ProviderSpec::BaseUrl(url)
    }
}

impl From<Arc<dyn ChatModel>> for ProviderSpec {
    fn from(model: Arc<dyn ChatModel>) -> Self {
        ProviderSpec::Model(model)
    }
}

/// Builds a [`Verifier`].
#[derive(Default)]
pub struct VerifierBuilder {
    repo: Option<PathBuf>,
    provider: Option<ProviderSpec>,
    overrides: Overrides,
    tools: Option<Arc<dyn director_llm::ToolExecutor>>,
}

impl std::fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("repo", &self.repo)
            .field("provider", &self.provider)
            .field("overrides", &self.overrides)
            .field("tools", &self.tools.as_ref().map(|t| t.specs().len()))
            .finish()
    }
}

impl VerifierBuilder {
    /// The repository (or folder) to verify in. Default: the current directory.
    pub fn repo(mut self, path: impl Into<PathBuf>) -> Self {
        self.repo = Some(path.into());
        self
    }

    /// The LLM provider: a base URL, a [`ChatModel`], or [`ProviderSpec::Offline`].
    pub fn provider(mut self, provider: impl Into<ProviderSpec>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Configuration overrides (the command-line layer).
    pub fn overrides(mut self, overrides: Overrides) -> Self {
        self.overrides = overrides;
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

    /// Resolve configuration, load the panel and set up the provider.
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
        let config = ResolvedConfig::load(Some(&repo_root), &overrides)?;
        let panel = Arc::new(Panel::load(Some(&repo_root))?);
        let model: Option<Arc<dyn ChatModel>> = match self.provider {
            Some(ProviderSpec::Model(m)) => Some(m),
            Some(ProviderSpec::Offline) => None,
            _ if config.provider_configured() => {
                let provider = provider_config(&config);
                let limiter = Arc::new(director_llm::Limiter::with_shared_concurrency(
                    provider.limits,
                    process_slots(provider.limits.max_concurrency),
                ));
                Some(Arc::new(
                    OpenAiProvider::with_limiter(provider, limiter).map_err(Error::Provider)?,
                ))
            }
            _ => None,
        };
        let cache = config.config.cache.enabled.then(|| {
            let dir = &config.config.cache.dir;
            let dir = if dir.is_absolute() {
                dir.clone()
            } else {
                repo_root.join(dir)
            };
            Arc::new(VerdictCache::new(dir, config.config.cache.max_entries))
        });
        Ok(Verifier {
            engine: Arc::new(Engine {
                token_counts: Default::default(),
                repo_root,
                config,
                panel,
                model,
                cache,
                extra_tools: self.tools,
            }),
        })
    }
}

/// The concurrency cap shared by every provider in the process: all verifiers, tasks
/// and Directors draw from one pool of `[limits] max_concurrency` slots (sized by the
/// first verifier built).
fn process_slots(size: usize) -> Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    SLOTS
        .get_or_init(|| Arc::new(tokio::sync::Semaphore::new(size.max(1))))
        .clone()
}

/// The provider settings from configuration.
pub fn provider_config(resolved: &ResolvedConfig) -> ProviderConfig {
    let p = &resolved.config.provider;
    let l = &resolved.config.limits;
    let mut cfg = ProviderConfig::new(
        p.base_url
            .clone()
            .unwrap_or_else(|| director_llm::DEFAULT_BASE_URL.into()),
        p.model.clone(),
    );
    cfg.api_key = resolved.api_key.clone();
    cfg.structured_output = match p.structured_output {
        config::StructuredOutputSetting::JsonSchema => director_llm::StructuredOutput::JsonSchema,
        config::StructuredOutputSetting::JsonObject => director_llm::StructuredOutput::JsonObject,
        config::StructuredOutputSetting::Text => director_llm::StructuredOutput::Text,
    };
    cfg.request_timeout = Duration::from_secs(p.request_timeout_secs.max(1));
    cfg.retry.max_retries = p.max_retries;
    cfg.retry.initial_backoff = Duration::from_millis(p.initial_backoff_ms);
    cfg.retry.max_retry_after = Duration::from_secs(p.max_retry_after_secs);
    cfg.limits.max_concurrency = l.max_concurrency.max(1);
    cfg.limits.requests_per_minute = l.requests_per_minute;
    cfg.limits.tokens_per_minute = l.tokens_per_minute;
    cfg.limits.circuit_breaker_threshold = l.circuit_breaker_threshold;
    cfg.limits.circuit_breaker_cooldown = Duration::from_secs(l.circuit_breaker_cooldown_secs);
    if let Some(version) = &p.azure_api_version {
        cfg.azure = Some(director_llm::AzureConfig {
            api_version: version.clone(),
            deployment: p
                .azure_deployment
                .clone()
                .unwrap_or_else(|| p.model.clone()),
        });
    }
    cfg
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

    /// The resolved configuration.
    pub fn config(&self) -> &ResolvedConfig {
        &self.engine.config
    }

    /// The Director panel.
    pub fn panel(&self) -> &Panel {
        &self.engine.panel
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

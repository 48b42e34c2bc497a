//! Configuration, resolved in one place from layers: built-in defaults < user file
//! (`$XDG_CONFIG_HOME/director/config.toml`) < repository `.director/config.toml`
//! **as of the trusted base** (see [`crate::trust`]) < environment (`OPENAI_API_KEY`,
//! `OPENAI_BASE_URL`, `DIRECTOR_MODEL`, `DIRECTOR_<SECTION>__<KEY>`) < command-line
//! flags. Unknown keys are errors that name the key and the layer it came from.
//! `director config show` prints the resolved values with their sources.
//!
//! `[trust]` decides what the repository may decide, so it is read from the user
//! file, the environment and flags only; a repository config holding it is an error.

use crate::error::Error;
use director_core::{Environment, GatePolicy};
use director_evidence::AnalyzerConfig;
use director_llm::PriceTable;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole resolved configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The OpenAI-compatible provider.
    pub provider: ProviderSection,
    /// Process-wide limits shared by every Director call.
    pub limits: LimitsSection,
    /// How one verification runs.
    pub run: RunSection,
    /// What the Directors are shown.
    pub context: ContextSection,
    /// The gate policy.
    pub gate: GatePolicy,
    /// Deterministic analyzer settings.
    pub evidence: AnalyzerConfig,
    /// The verdict cache.
    pub cache: CacheSection,
    /// Object storage shared by a fleet of runners (policy: trusted config only).
    pub store: StoreSection,
    /// Token and cost caps per run.
    pub budget: BudgetSection,
    /// Prices per model, for cost estimates.
    pub prices: PriceTable,
    /// Which Directors take part, and per-Director models.
    pub directors: DirectorsSection,
    /// MCP servers Directors may consult (policy: trusted config only).
    pub mcp: crate::mcp::McpSection,
    /// The stop-hook adapters' policy (`director hook`).
    pub hook: crate::hook::HookSection,
    /// Inline `director:ignore` suppressions.
    pub suppressions: SuppressionsSection,
    /// What the repository may decide (user config, environment and flags only).
    pub trust: TrustSection,
}

/// `[suppressions]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SuppressionsSection {
    /// Whether a `director:ignore` comment added by the reviewed change itself may
    /// silence a blocking finding of the same change. Off: such a comment still
    /// silences warnings, but a blocking finding stays blocking.
    pub allow_in_change: bool,
}

/// `[trust]`, read from the user configuration, the environment and flags only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustSection {
    /// Apply the working tree's `.director/` policy as it is (a developer's own
    /// machine), instead of the trusted base commit's.
    pub worktree_config: bool,
    /// Environment variables `provider.api_key_env` may name; the key is only ever
    /// read from one of these.
    pub api_key_envs: Vec<String>,
}

impl Default for TrustSection {
    fn default() -> Self {
        TrustSection {
            worktree_config: false,
            api_key_envs: vec![
                "OPENAI_API_KEY".into(),
                "AZURE_OPENAI_API_KEY".into(),
                "DIRECTOR_API_KEY".into(),
            ],
        }
    }
}

/// How replies are constrained to the verdict schema.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StructuredOutputSetting {
    /// Ask the server (discovery); `json-schema` for every OpenAI-compatible server
    /// director knows.
    #[default]
    Auto,
    /// `response_format: json_schema` with `strict: true` (OpenAI, Azure, vLLM, llama.cpp).
    JsonSchema,
    /// `response_format: json_object` plus the schema in the prompt.
    JsonObject,
    /// Plain text with the schema in the prompt; JSON is extracted from the reply.
    Text,
}

/// `[provider]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProviderSection {
    /// Base URL of the OpenAI-compatible API, e.g. `http://127.0.0.1:8080/v1`.
    /// Unset (and no API key) means offline: no LLM Director runs.
    pub base_url: Option<String>,
    /// Name of the environment variable that holds the API key. The key itself is
    /// never read from a file.
    pub api_key_env: String,
    /// Default model for every Director.
    pub model: String,
    /// Structured-output capability of the server (`auto` asks it).
    pub structured_output: StructuredOutputSetting,
    /// Per attempt, in seconds: with `stream`, the longest wait for the answer to
    /// start (prompt processing included); without, the whole answer.
    pub request_timeout_secs: u64,
    /// Ask for streamed answers, so that timeouts measure progress.
    pub stream: bool,
    /// With `stream`: the longest silence between two chunks of an answer, in seconds.
    pub stall_timeout_secs: u64,
    /// The model's context window in tokens, overriding what the server reports.
    pub context_window: Option<u32>,
    /// Requests in flight at once to the server, overriding its slot count.
    pub max_in_flight: Option<usize>,
    /// Ask the server about its window, slots and structured-output modes.
    pub discovery: bool,
    /// How long discovered facts are reused (cached under the user's cache folder), in seconds.
    pub discovery_ttl_secs: u64,
    /// Retries after the first attempt for 429, 5xx, resets and timeouts.
    pub max_retries: u32,
    /// First backoff, in milliseconds (doubles, with jitter).
    pub initial_backoff_ms: u64,
    /// Longest `Retry-After` honoured, in seconds.
    pub max_retry_after_secs: u64,
    /// Azure OpenAI `api-version`; set it to talk to an Azure deployment.
    pub azure_api_version: Option<String>,
    /// Azure OpenAI deployment id (defaults to the model).
    pub azure_deployment: Option<String>,
    /// Never call a provider, even if one is configured.
    pub offline: bool,
}

impl Default for ProviderSection {
    fn default() -> Self {
        ProviderSection {
            base_url: None,
            api_key_env: "OPENAI_API_KEY".into(),
            model: "gpt-4.1-mini".into(),
            structured_output: StructuredOutputSetting::Auto,
            request_timeout_secs: 120,
            stream: true,
            stall_timeout_secs: 60,
            context_window: None,
            max_in_flight: None,
            discovery: true,
            discovery_ttl_secs: 600,
            max_retries: 4,
            initial_backoff_ms: 500,
            max_retry_after_secs: 60,
            azure_api_version: None,
            azure_deployment: None,
            offline: false,
        }
    }
}

/// `[limits]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Requests in flight at once across the whole process (all tasks, all Directors).
    pub max_concurrency: usize,
    /// Requests per minute to the provider.
    pub requests_per_minute: Option<u32>,
    /// Tokens per minute to the provider.
    pub tokens_per_minute: Option<u32>,
    /// Consecutive failed calls that open the circuit (0 = never).
    pub circuit_breaker_threshold: u32,
    /// Seconds the circuit stays open.
    pub circuit_breaker_cooldown_secs: u64,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_concurrency: 64,
            requests_per_minute: None,
            tokens_per_minute: None,
            circuit_breaker_threshold: 5,
            circuit_breaker_cooldown_secs: 30,
        }
    }
}

/// `[run]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunSection {
    /// Directors reviewing at once in one run (0 = all of them).
    pub max_concurrency: usize,
    /// Total time one Director may take, retries included, in seconds.
    pub timeout_secs: u64,
    /// Output token budget of one reply.
    pub max_output_tokens: u32,
    /// Upper bound for the one retry after a truncated reply.
    pub max_output_tokens_cap: u32,
    /// Tool rounds (read_file, grep, list_dir) a Director may take; 0 disables tools.
    pub tool_rounds: u32,
    /// Prompt profile: `auto` (full when it fits the window, else compact), `full`, `compact`.
    pub prompt_profile: crate::fit::ProfileChoice,
    /// Parts one Director may review a change in, when it does not fit the window whole.
    pub max_parts: usize,
    /// Write the run record under `.director/runs/`.
    pub write_record: bool,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection {
            max_concurrency: 0,
            timeout_secs: 300,
            max_output_tokens: 4096,
            max_output_tokens_cap: 16384,
            tool_rounds: 4,
            prompt_profile: crate::fit::ProfileChoice::Auto,
            max_parts: 8,
            write_record: true,
        }
    }
}

/// `[context]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContextSection {
    /// Token budget of the packed repository context.
    pub max_tokens: usize,
    /// Lines of surrounding code around each hunk.
    pub context_lines: u32,
    /// Changed files up to this size (KiB) are shown whole.
    pub small_file_kib: u64,
    /// Files over this size (KiB) are listed, never inlined.
    pub max_file_kib: u64,
    /// Related files (modules, selecting objects) to add at most.
    pub related_files: usize,
    /// The environment when the task does not name one.
    pub environment: Option<Environment>,
}

impl Default for ContextSection {
    fn default() -> Self {
        ContextSection {
            max_tokens: 24_000,
            context_lines: 20,
            small_file_kib: 24,
            max_file_kib: 512,
            related_files: 20,
            environment: None,
        }
    }
}

/// `[cache]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSection {
    /// Reuse verdicts for identical input.
    pub enabled: bool,
    /// Cache folder (relative paths are under the repository root). Unset: the
    /// user's cache home (`DIRECTOR_CACHE_HOME`, `$XDG_CACHE_HOME/director` or
    /// `~/.cache/director`), `verdicts/` in it — outside any repository.
    pub dir: Option<PathBuf>,
    /// Entries kept in a local cache; the least recently used are evicted beyond this.
    pub max_entries: usize,
    /// Entries older than this many days are not used (0 = no expiry); also the
    /// default age for `director cache prune`.
    pub ttl_days: u32,
}

impl Default for CacheSection {
    fn default() -> Self {
        CacheSection {
            enabled: true,
            dir: None,
            max_entries: 2000,
            ttl_days: 30,
        }
    }
}

/// `[store]`: object storage shared by a CI fleet. This is policy — it decides where
/// verdicts are trusted from — so it belongs in trusted configuration (the user's
/// config, the base commit's `.director/config.toml`, `DIRECTOR_STORE__*`), never in
/// the change under review. Credentials come from the cloud's own environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// `s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix` or
    /// `file:///path`. Unset: everything stays local.
    pub url: Option<String>,
    /// Keep the verdict cache in the store (entries sealed with `DIRECTOR_CACHE_KEY`).
    pub cache: bool,
    /// Write run records to the store instead of `.director/runs/`.
    pub records: bool,
}

/// `[budget]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetSection {
    /// Most tokens one run may spend (estimate before the calls).
    pub max_tokens: Option<u64>,
    /// Most US dollars one run may spend (needs `[prices]`).
    pub max_usd: Option<f64>,
}

/// `[directors]`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectorsSection {
    /// Directors never to run.
    pub disabled: Vec<String>,
    /// Per-Director model overrides, e.g. `security = "gpt-4.1"`.
    pub models: BTreeMap<String, String>,
    /// Per-Director context windows in tokens, overriding the model's, e.g. `security = 8192`.
    pub context_windows: BTreeMap<String, u32>,
}

/// Command-line overrides, the top layer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    /// `--model`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `--base-url`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// `--max-concurrency`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<usize>,
    /// `--timeout`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// `--offline`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<bool>,
    /// `--no-cache`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_enabled: Option<bool>,
    /// `--budget-tokens`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_tokens: Option<u64>,
    /// `--budget-usd`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_usd: Option<f64>,
    /// Whether to write the run record (`director evidence` does not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_record: Option<bool>,
    /// `--on-incomplete`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_incomplete: Option<director_core::OnIncomplete>,
    /// `--store URL`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_url: Option<String>,
    /// `--no-mcp` (false): start no MCP server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_enabled: Option<bool>,
    /// MCP servers defined by the embedder ([`crate::VerifierBuilder::mcp_server`]),
    /// merged into `[mcp.servers]` as trusted configuration.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub mcp_servers: BTreeMap<String, crate::mcp::McpServerConfig>,
    /// `--trust-worktree-config`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_worktree_config: Option<bool>,
    /// `[provider] discovery` (off where the server is a recording, e.g. `director eval`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<bool>,
    /// `[provider] context_window` (a recording's window, replayed by `director eval`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u32>,
    /// `[provider] max_in_flight` (a recording's slots, replayed by `director eval`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<usize>,
    /// `--terraform-plan` (`[evidence.terraform] plan`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_plan: Option<String>,
}

impl Overrides {
    fn to_value(&self) -> serde_json::Value {
        let mut root = serde_json::Map::new();
        let mut put = |section: &str, key: &str, value: serde_json::Value| {
            let entry = root
                .entry(section.to_string())
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let serde_json::Value::Object(m) = entry {
                m.insert(key.to_string(), value);
            }
        };
        use serde_json::json;
        if let Some(v) = &self.model {
            put("provider", "model", json!(v));
        }
        if let Some(v) = &self.base_url {
            put("provider", "base_url", json!(v));
        }
        if let Some(v) = self.offline {
            put("provider", "offline", json!(v));
        }
        if let Some(v) = self.max_concurrency {
            put("run", "max_concurrency", json!(v));
        }
        if let Some(v) = self.timeout_secs {
            put("run", "timeout_secs", json!(v));
        }
        if let Some(v) = self.cache_enabled {
            put("cache", "enabled", json!(v));
        }
        if let Some(v) = self.budget_tokens {
            put("budget", "max_tokens", json!(v));
        }
        if let Some(v) = self.budget_usd {
            put("budget", "max_usd", json!(v));
        }
        if let Some(v) = self.write_record {
            put("run", "write_record", json!(v));
        }
        if let Some(v) = self.on_incomplete {
            put("gate", "on_incomplete", json!(v));
        }
        if let Some(v) = &self.store_url {
            put("store", "url", json!(v));
        }
        if let Some(v) = self.mcp_enabled {
            put("mcp", "enabled", json!(v));
        }
        if !self.mcp_servers.is_empty() {
            put("mcp", "servers", json!(self.mcp_servers));
        }
        if let Some(v) = self.discovery {
            put("provider", "discovery", json!(v));
        }
        if let Some(v) = self.context_window {
            put("provider", "context_window", json!(v));
        }
        if let Some(v) = self.max_in_flight {
            put("provider", "max_in_flight", json!(v));
        }
        if let Some(v) = self.trust_worktree_config {
            put("trust", "worktree_config", json!(v));
        }
        if let Some(v) = &self.terraform_plan {
            put("evidence", "terraform", json!({ "plan": v }));
        }
        serde_json::Value::Object(root)
    }
}

/// A resolved configuration with the layers it came from.
#[derive(Clone)]
pub struct ResolvedConfig {
    /// The values.
    pub config: Config,
    /// The API key read from the environment variable named by `provider.api_key_env`.
    /// Never serialized, never logged, never written to a record.
    pub api_key: Option<String>,
    figment: Figment,
}

impl std::fmt::Debug for ResolvedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never reaches logs, panics or `{:?}` output.
        f.debug_struct("ResolvedConfig")
            .field("config", &self.config)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// The user-level configuration file, if any.
pub fn user_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DIRECTOR_CONFIG_HOME") {
        return Some(PathBuf::from(dir).join("config.toml"));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("director").join("config.toml"))
}

/// The repository configuration file.
pub fn repo_config_path(repo_root: &Path) -> PathBuf {
    repo_root
        .join(director_core::layout::DIR)
        .join(director_core::layout::CONFIG)
}

/// The repository's configuration as read from its trusted side.
#[derive(Debug, Clone)]
pub struct RepoConfig {
    /// The TOML text.
    pub text: String,
    /// Where it came from, for `config show` and errors (e.g.
    /// `.director/config.toml at 1a2b3c4 (trusted base merge-base(HEAD, main))`).
    pub source: String,
}

/// A provider with a name of our choosing, so `config show` and errors name the
/// trusted source a value came from.
struct Named<P> {
    inner: P,
    name: &'static str,
    source: String,
}

impl<P: figment::Provider> figment::Provider for Named<P> {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named(self.name).source(figment::Source::Custom(self.source.clone()))
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        self.inner.data()
    }
}

fn env_layer() -> Env {
    // Only `DIRECTOR_<SECTION>__<KEY>` and the two short names are configuration;
    // other DIRECTOR_* variables (e.g. DIRECTOR_LOG, DIRECTOR_CONFIG_HOME) are not.
    Env::prefixed("DIRECTOR_").filter_map(|key| {
        let k = key.as_str().to_ascii_lowercase();
        match k.as_str() {
            "model" => Some("provider.model".into()),
            "base_url" => Some("provider.base_url".into()),
            "offline" => Some("provider.offline".into()),
            _ if k.contains("__") => Some(k.replace("__", ".").into()),
            _ => None,
        }
    })
}

/// The layers above the repository: environment and flags.
fn upper_layers(figment: Figment, overrides: &Overrides) -> Figment {
    let mut figment = figment;
    if let Some(url) = std::env::var("OPENAI_BASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    {
        figment = figment.merge(Serialized::defaults(OpenAiBaseUrlEnv {
            provider: BaseUrlOnly { base_url: url },
        }));
    }
    figment
        .merge(env_layer())
        .merge(Serialized::defaults(CommandLine(overrides.to_value())))
}

/// Defaults and the user file.
fn lower_layers() -> Figment {
    let figment = Figment::from(Serialized::defaults(Config::default()));
    match user_config_path().filter(|p| p.is_file()) {
        Some(path) => figment.merge(Toml::file_exact(path)),
        None => figment,
    }
}

/// `[trust]` from the user file, the environment and flags — never the repository.
pub fn load_trust(overrides: &Overrides) -> Result<TrustSection, Error> {
    upper_layers(lower_layers(), overrides)
        .extract_inner::<TrustSection>("trust")
        .map_err(|e| config_error(&e))
}

impl ResolvedConfig {
    /// Resolve every layer, with the repository's configuration as read from its
    /// trusted side (`None`: no repository configuration applies).
    pub fn load(repo: Option<&RepoConfig>, overrides: &Overrides) -> Result<ResolvedConfig, Error> {
        let mut figment = lower_layers();
        if let Some(repo) = repo {
            let table: toml::Table = toml::from_str(&repo.text).map_err(|e| Error::Config {
                message: format!(
                    "{}: {}",
                    repo.source,
                    crate::registry::one_line(&e.to_string())
                ),
                hint: "fix the TOML syntax of .director/config.toml".into(),
            })?;
            if table.contains_key("trust") {
                return Err(Error::Config {
                    message: format!(
                        "key `trust` is not allowed in the repository configuration ({})",
                        repo.source
                    ),
                    hint: "what a repository may decide is set in your user config \
                           ($XDG_CONFIG_HOME/director/config.toml), DIRECTOR_TRUST__* or flags"
                        .into(),
                });
            }
            figment = figment.merge(Named {
                inner: Toml::string(&repo.text),
                name: "repository",
                source: repo.source.clone(),
            });
        }
        let figment = upper_layers(figment, overrides);
        let config: Config = figment.extract().map_err(|e| config_error(&e))?;
        validate(&config)?;
        let api_key = std::env::var(&config.provider.api_key_env)
            .ok()
            .filter(|k| !k.trim().is_empty());
        Ok(ResolvedConfig {
            config,
            api_key,
            figment,
        })
    }

    /// True when an LLM provider is configured and not switched off.
    pub fn provider_configured(&self) -> bool {
        !self.config.provider.offline
            && (self.config.provider.base_url.is_some() || self.api_key.is_some())
    }

    /// Why no LLM Director runs, or None when a provider is configured.
    pub fn offline_reason(&self) -> Option<String> {
        if self.config.provider.offline {
            Some("offline mode is on (--offline or provider.offline)".into())
        } else if !self.provider_configured() {
            Some(format!(
                "no LLM provider is configured (set {} or OPENAI_BASE_URL, or [provider] base_url in .director/config.toml)",
                self.config.provider.api_key_env
            ))
        } else {
            None
        }
    }

    /// Every leaf key with its resolved value and the layer it came from, for
    /// `director config show`.
    pub fn show(&self) -> Vec<(String, String, String)> {
        let value = serde_json::to_value(&self.config).unwrap_or_default();
        let mut rows = Vec::new();
        flatten("", &value, &mut rows);
        rows.into_iter()
            .map(|(key, val)| {
                let source = self
                    .figment
                    .find_metadata(&key)
                    .map(source_name)
                    .unwrap_or_else(|| "default".into());
                (key, val, source)
            })
            .collect()
    }
}

/// Serialized layers are named after their Rust type; give them user-facing names.
fn source_name(meta: &figment::Metadata) -> String {
    let name = meta.name.as_ref();
    if name == "repository"
        && let Some(figment::Source::Custom(src)) = &meta.source
    {
        return format!("repository {src}");
    }
    if name.ends_with("CommandLine") {
        "command line".into()
    } else if name.ends_with("OpenAiBaseUrlEnv") {
        "environment variable OPENAI_BASE_URL".into()
    } else if name.ends_with("config::Config") {
        "default".into()
    } else {
        match &meta.source {
            Some(src) => format!("{name} {src}"),
            None => name.to_string(),
        }
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct CommandLine(serde_json::Value);

#[derive(Serialize)]
struct OpenAiBaseUrlEnv {
    provider: BaseUrlOnly,
}

#[derive(Serialize)]
struct BaseUrlOnly {
    base_url: String,
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn config_error(e: &figment::Error) -> Error {
    let mut message = e.to_string().replace('\n', " ");
    if let Some(meta) = &e.metadata {
        if let Some(src) = &meta.source {
            message = format!("{message} (in {src})");
        } else {
            message = format!("{message} (from {})", meta.name);
        }
    }
    Error::Config {
        message,
        hint: "see docs/configuration.md for every key; `director config show` prints the resolved values".into(),
    }
}

fn validate(config: &Config) -> Result<(), Error> {
    let key_env = &config.provider.api_key_env;
    if !config.trust.api_key_envs.iter().any(|v| v == key_env) {
        return Err(Error::Config {
            message: format!(
                "key `provider.api_key_env`: `{key_env}` is not an allow-listed key variable ({})",
                config.trust.api_key_envs.join(", ")
            ),
            hint: "a key is read only from a variable listed in [trust] api_key_envs of your \
                   user config (or DIRECTOR_TRUST__API_KEY_ENVS), never one a repository picks"
                .into(),
        });
    }
    if let Some(url) = &config.provider.base_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(Error::Config {
            message: format!("key `provider.base_url`: `{url}` is not an http(s) URL"),
            hint: "e.g. base_url = \"http://127.0.0.1:8080/v1\"".into(),
        });
    }
    if config.provider.model.trim().is_empty() {
        return Err(Error::Config {
            message: "key `provider.model` is empty".into(),
            hint: "set DIRECTOR_MODEL or [provider] model".into(),
        });
    }
    let bad_prices = config.prices.invalid_entries();
    if !bad_prices.is_empty() {
        return Err(Error::Config {
            message: format!(
                "key `prices`: negative or non-finite prices for {}",
                bad_prices.join(", ")
            ),
            hint: "prices are US dollars per million tokens, zero or more".into(),
        });
    }
    if let Err(message) = config.evidence.validate() {
        return Err(Error::Config {
            message,
            hint: "naming patterns are Rust regular expressions, e.g. aws_s3_bucket = \"^acme-(prod|dev)-[a-z0-9-]+$\"".into(),
        });
    }
    if config.gate.block_on_criteria.is_empty() && config.gate.block_on.is_empty() {
        return Err(Error::Config {
            message: "keys `gate.block_on` and `gate.block_on_criteria` are both empty: nothing could ever block".into(),
            hint: "leave block_on = [\"blocking\"] and list the Failure Criteria that should block".into(),
        });
    }
    if config.context.max_tokens < 1000 {
        return Err(Error::Config {
            message: format!(
                "key `context.max_tokens`: {} is too small to hold a task and any code",
                config.context.max_tokens
            ),
            hint: "use at least 1000".into(),
        });
    }
    crate::mcp::validate(&config.mcp)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_api_key() {
        let resolved = ResolvedConfig {
            config: Config::default(),
            api_key: Some("sk-secret-value".into()),
            figment: Figment::new(),
        };
        let shown = format!("{resolved:?}");
        assert!(!shown.contains("sk-secret-value"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}

//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use director::core::Environment;
use std::path::PathBuf;

/// director — a multi-agent verification gate for finished work.
#[derive(Debug, Parser)]
#[command(name = "director", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// The repository (or folder) to work in.
    #[arg(long, global = true, value_name = "PATH", default_value = ".")]
    pub repo: PathBuf,
    /// More logging on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Apply the working tree's .director/ policy (config, Directors, prompts,
    /// baseline) instead of the trusted base commit's: for your own checkout, never CI.
    #[arg(long, global = true)]
    pub trust_worktree_config: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify finished tasks and print one completion decision.
    Verify(VerifyArgs),
    /// Print the verdict JSON schema (or the run record schema).
    Schema {
        /// Print the run record's schema instead.
        #[arg(long)]
        record: bool,
    },
    /// Create, list and show tasks in .director/tasks/.
    #[command(subcommand)]
    Task(TaskCommand),
    /// List and show the Director panel.
    #[command(subcommand)]
    Directors(DirectorsCommand),
    /// Maintain .director/baseline.json.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// List and show stored run records.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Maintain the verdict cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Show the resolved configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the packed context the Directors would see, without calling a provider.
    Context(ContextArgs),
    /// Run the deterministic analyzers on files or folders (no task needed).
    Evidence(EvidenceArgs),
    /// Scaffold .director/ (config, a sample task, CI snippets) in the repository.
    Init(InitArgs),
    /// Serve the verify_task, list_directors and get_run tools over MCP on stdio.
    Mcp(McpArgs),
    /// Show the model's server (window, slots, structured output, speed) and how
    /// director will fit its requests to it.
    Doctor(DoctorArgs),
    /// Answer a coding agent's stop hook (payload on stdin, the harness's protocol on stdout).
    Hook(HookArgs),
    /// Score the Directors on a suite of cases: decisions, precision/recall, cost.
    Eval(EvalArgs),
}

/// `director doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Provider overrides.
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The coding agents `director hook` and `director init --agent` know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HarnessArg {
    /// Claude Code: Stop, SubagentStop and SessionStart hooks.
    ClaudeCode,
    /// OpenAI Codex CLI: Stop and SessionStart hooks.
    Codex,
    /// Cursor: the stop hook.
    Cursor,
    /// Gemini CLI: AfterAgent and SessionStart hooks.
    Gemini,
}

impl HarnessArg {
    /// The library's harness.
    pub fn harness(self) -> director::hook::Harness {
        match self {
            HarnessArg::ClaudeCode => director::hook::Harness::ClaudeCode,
            HarnessArg::Codex => director::hook::Harness::Codex,
            HarnessArg::Cursor => director::hook::Harness::Cursor,
            HarnessArg::Gemini => director::hook::Harness::Gemini,
        }
    }
}

/// `[hook] on_error` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnErrorArg {
    /// Let the agent stop, with a visible warning.
    Allow,
    /// Keep the agent going, saying what could not run.
    Block,
}

/// `director hook`
#[derive(Debug, Args)]
pub struct HookArgs {
    /// The coding agent whose hook payload arrives on stdin.
    #[arg(value_enum)]
    pub harness: HarnessArg,
    /// Verify this task (default: DIRECTOR_TASK, .director/current-task, or one derived from the session).
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// What a crash, a provider outage or a timeout does (default: [hook] on_error, else allow).
    #[arg(long, value_enum)]
    pub on_error: Option<OnErrorArg>,
    /// Blocks in a row before the agent is let stop (default: [hook] max_rounds, else 3).
    #[arg(long, value_name = "N")]
    pub max_rounds: Option<u32>,
    /// Seconds the hook may take (default: [hook] budget_secs, else the harness's hook timeout).
    #[arg(long, value_name = "SECS")]
    pub budget_secs: Option<u64>,
    /// Provider overrides.
    #[command(flatten)]
    pub provider: ProviderArgs,
}

/// `director eval`
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The suite folder (cases/<case>/ with task.toml, expected.toml, head/).
    #[arg(value_name = "SUITE_DIR")]
    pub suite: PathBuf,
    /// Provider overrides (--offline scores the deterministic evidence alone).
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Run and score this Director only.
    #[arg(long, value_name = "NAME")]
    pub director: Option<String>,
    /// Answer from the cassettes only (the default when the suite has any).
    #[arg(long, conflicts_with_all = ["record", "offline"])]
    pub replay: bool,
    /// Ask the live provider and write its answers to the cases' cassettes.
    #[arg(long, conflicts_with = "offline")]
    pub record: bool,
    /// Write the scores as JSON to FILE (atomically).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `director init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
    /// Instead, install director's stop hook in this coding agent's settings file.
    #[arg(long, value_enum, value_name = "HARNESS")]
    pub agent: Option<HarnessArg>,
    /// With --agent: print the hook configuration instead of writing it.
    #[arg(long, requires = "agent")]
    pub print: bool,
}

/// `director mcp`
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Provider overrides for every verification the server runs.
    #[command(flatten)]
    pub provider: ProviderArgs,
}

/// Where the change comes from.
#[derive(Debug, Clone, Args, Default)]
pub struct ChangeArgs {
    /// Base git ref (default: the task's, else merge-base with the default branch).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Head git ref (default: the task's, else the working tree).
    #[arg(long, value_name = "REF")]
    pub head: Option<String>,
    /// Review these files or folders whole instead of a git change.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub paths: Vec<String>,
}

/// Provider and configuration overrides.
#[derive(Debug, Clone, Args, Default)]
pub struct ProviderArgs {
    /// Default model for every Director.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// OpenAI-compatible base URL.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Do not call any LLM provider; decide on deterministic evidence.
    #[arg(long)]
    pub offline: bool,
    /// Start no MCP server: Directors review without MCP tools.
    #[arg(long)]
    pub no_mcp: bool,
}

/// `director verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Task id (`.director/tasks/<id>.toml`); repeat to verify several at once.
    #[arg(
        long = "task",
        value_name = "ID",
        required_unless_present = "task_json"
    )]
    pub tasks: Vec<String>,
    /// Read the task as JSON from a file, or `-` for stdin.
    #[arg(long, value_name = "FILE", conflicts_with = "tasks")]
    pub task_json: Option<String>,
    /// The change.
    #[command(flatten)]
    pub change: ChangeArgs,
    /// Run exactly these Directors (repeatable), overriding applicability.
    #[arg(long = "director", value_name = "NAME")]
    pub directors: Vec<String>,
    /// Run every Director, overriding applicability.
    #[arg(long, conflicts_with = "directors")]
    pub all_directors: bool,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Directors reviewing at once (default: all of them).
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
    /// Seconds one Director may take in total, retries included.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Provider overrides.
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Ignore the verdict cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Most tokens this run may spend; lower-priority Directors are skipped beyond it.
    #[arg(long, value_name = "N")]
    pub budget_tokens: Option<u64>,
    /// Most US dollars this run may spend (needs [prices] in the configuration).
    #[arg(long, value_name = "USD")]
    pub budget_usd: Option<f64>,
    /// What an incomplete verification decides.
    #[arg(long, value_enum)]
    pub on_incomplete: Option<OnIncompleteArg>,
    /// Progress on stderr.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    pub progress: Progress,
    /// No progress and no summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--on-incomplete`
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnIncompleteArg {
    /// Exit 3.
    Fail,
    /// Pass, with the reason stated.
    PassWithWarning,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Summary for people.
    Human,
    /// The run record.
    Json,
    /// Markdown for PR comments.
    Markdown,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions annotations (and the Markdown report appended to $GITHUB_STEP_SUMMARY).
    Github,
    /// JUnit XML for CI test reports.
    Junit,
    /// reviewdog's rdjson.
    Rdjson,
}

/// Progress styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Progress {
    /// Live lines on a terminal, plain lines otherwise.
    Auto,
    /// One line per event.
    Plain,
    /// Nothing.
    None,
}

/// `director task ...`
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Create .director/tasks/<id>.toml.
    New {
        /// Task id.
        id: String,
        /// One-line title.
        #[arg(long)]
        title: String,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
        /// Acceptance criterion (repeatable).
        #[arg(long = "criteria", value_name = "TEXT")]
        criteria: Vec<String>,
        /// Environment (production, staging, development, test, local, prototype).
        #[arg(long, value_parser = environment)]
        environment: Option<Environment>,
        /// Base ref.
        #[arg(long)]
        base: Option<String>,
        /// Head ref.
        #[arg(long)]
        head: Option<String>,
        /// Paths to review whole.
        #[arg(long, num_args = 1..)]
        paths: Vec<String>,
    },
    /// List tasks.
    List,
    /// Show one task.
    Show {
        /// Task id.
        id: String,
    },
}

/// `director directors ...`
#[derive(Debug, Subcommand)]
pub enum DirectorsCommand {
    /// List the resolved panel and where each piece came from.
    List,
    /// Show one Director in full.
    Show {
        /// Director name.
        name: String,
    },
}

/// `director baseline ...`
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Verify the task and accept its current findings as the baseline.
    Update {
        /// Task id.
        #[arg(long)]
        task: String,
        /// Why these findings are accepted.
        #[arg(long, default_value = "accepted with `director baseline update`")]
        reason: String,
        /// The change.
        #[command(flatten)]
        change: ChangeArgs,
        /// Provider overrides.
        #[command(flatten)]
        provider: ProviderArgs,
    },
    /// Show the baseline.
    Show,
}

/// `director runs ...`
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List stored runs, newest first.
    List {
        /// Only this task's runs.
        #[arg(long)]
        task: Option<String>,
        /// Only runs with this decision.
        #[arg(long, value_enum)]
        decision: Option<DecisionArg>,
        /// Only runs started on or after this day (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only runs started on or before this day (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// At most this many runs (0 = all).
        #[arg(long, value_name = "N", default_value_t = 100)]
        limit: usize,
        /// Read the records in this object store (s3://, gs://, az://, file://)
        /// instead of the configured place.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
    },
    /// Show one run (or `latest`).
    Show {
        /// Run id or `latest`.
        run: String,
        /// Within this task.
        #[arg(long)]
        task: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// Read the record from this object store instead of the configured place.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
    },
}

/// A decision, as a filter.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DecisionArg {
    /// Passed.
    Pass,
    /// Blocked.
    Block,
    /// Incomplete.
    Incomplete,
}

/// `director cache ...`
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Remove verdict cache entries older than the TTL (or --older-than).
    Prune {
        /// Remove entries not used (local) or not written (shared store) for this
        /// many days (default: [cache] ttl_days).
        #[arg(long, value_name = "DAYS")]
        older_than: Option<u32>,
        /// Prune the shared cache in this object store instead of the configured cache.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
    },
}

/// `director config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every resolved key with its value and source.
    Show,
}

/// `director context`
#[derive(Debug, Args)]
pub struct ContextArgs {
    /// Task id.
    #[arg(long)]
    pub task: String,
    /// The change.
    #[command(flatten)]
    pub change: ChangeArgs,
    /// Print only the token counts.
    #[arg(long)]
    pub stats: bool,
}

/// `director evidence`
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// Files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Environment (changes severities).
    #[arg(long, value_parser = environment)]
    pub environment: Option<Environment>,
    /// A Terraform plan as JSON (`terraform show -json <planfile>`): its values replace
    /// the static evaluation of the root module it belongs to, registry modules included.
    #[arg(long, value_name = "PLAN_JSON")]
    pub terraform_plan: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Rendered Kubernetes manifests to analyze (`helm template` / `kustomize build`
    /// output), a file or `-` for standard input; repeatable.
    #[arg(long, value_name = "FILE|-")]
    pub rendered: Vec<PathBuf>,
    /// Another scanner's SARIF 2.1.0 log to ingest as evidence; repeatable.
    #[arg(long = "evidence-sarif", value_name = "FILE")]
    pub evidence_sarif: Vec<PathBuf>,
}

/// Parse an environment name or alias (`prod`, `dev`, ...).
fn environment(name: &str) -> Result<Environment, String> {
    Environment::parse(name)
        .ok_or_else(|| "use production, staging, development, test, local or prototype".into())
}

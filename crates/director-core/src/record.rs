//! The run record: everything one verification decided and why, versioned. Every
//! output format (terminal, JSON, Markdown, SARIF, JUnit, annotations) is computed
//! from this record and nothing else.

use crate::files::{ChangeStatus, FileClass};
use crate::finding::Finding;
use crate::severity::{Decision, VerdictKind};
use crate::task::Task;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::AddAssign;

/// The version of the run record format. Bumped on any incompatible change.
pub const RECORD_VERSION: u32 = 1;

/// The full record of one verification run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunRecord {
    /// Record format version ([`RECORD_VERSION`]).
    pub version: u32,
    /// Unique id of this run: a UUIDv7, so ids sort by start time.
    pub run_id: String,
    /// Version of director that produced the record.
    pub tool_version: String,
    /// Start time, RFC 3339, UTC.
    pub started_at: String,
    /// Wall time of the whole run in milliseconds.
    pub duration_ms: u64,
    /// The task verified.
    pub task: Task,
    /// Where the change came from.
    pub repository: RepositoryInfo,
    /// The completion decision.
    pub decision: Decision,
    /// Why, in one sentence.
    pub reason: String,
    /// True when some applicable Director was skipped for budget reasons.
    pub partial: bool,
    /// True when the run was interrupted.
    pub cancelled: bool,
    /// Whether an LLM provider took part.
    pub llm: LlmInfo,
    /// Every Director of the panel: ran, skipped or failed, with reasons.
    pub directors: Vec<DirectorRun>,
    /// Merged findings, most severe first.
    pub findings: Vec<Finding>,
    /// The changed files and their classes.
    pub changes: Vec<ChangedFileSummary>,
    /// What the deterministic analyzers did.
    pub evidence: EvidenceSummary,
    /// What the Directors were shown.
    pub context: ContextSummary,
    /// Token usage and estimated cost of the run.
    pub usage: Usage,
    /// Things that went wrong without changing the decision (e.g. the verdict cache
    /// was unavailable and the run went without it), one sentence each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The MCP servers Directors opted into: started or not, tools offered and refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mcp_servers: Vec<McpServerRun>,
    /// Where director's own policy came from, and what the change tried to alter.
    #[serde(default)]
    pub policy: PolicyInfo,
}

/// Where the policy that judged the run came from (configuration, panel, baseline).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyInfo {
    /// The trusted source, e.g. `the trusted base 1a2b3c4d5e (merge-base(HEAD, main))`.
    pub source: String,
    /// Policy files (`.director/…`) the reviewed change alters; not applied.
    pub ignored_changes: Vec<String>,
}

impl RunRecord {
    /// Findings that block the gate.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.blocks)
    }

    /// The run of one Director by name.
    pub fn director(&self, name: &str) -> Option<&DirectorRun> {
        self.directors.iter().find(|d| d.name == name)
    }
}

/// How the change was gathered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeMode {
    /// Two git revisions.
    GitRange,
    /// A git revision against the working tree (including untracked files).
    WorkingTree,
    /// Files reviewed whole, no git involved.
    Paths,
}

/// The repository and revisions of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RepositoryInfo {
    /// Absolute path of the repository root.
    pub root: String,
    /// How the change was gathered.
    pub mode: ChangeMode,
    /// Base ref as given (or the default chosen).
    pub base: Option<String>,
    /// Head ref as given; null for the working tree.
    pub head: Option<String>,
    /// Resolved base commit id.
    pub base_commit: Option<String>,
    /// Resolved head commit id.
    pub head_commit: Option<String>,
}

/// Whether an LLM provider took part, and which.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LlmInfo {
    /// True when a provider was configured.
    pub configured: bool,
    /// Base URL of the provider (never the key).
    pub base_url: Option<String>,
    /// The default model.
    pub model: Option<String>,
    /// A sentence for the report, e.g. why no LLM Director ran.
    pub note: Option<String>,
    /// What director learnt about the model's server (discovery), when it asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerInfo>,
}

/// The model's server as discovery saw it, with the configured overrides applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServerInfo {
    /// The kind of server (`llama-server`, `ollama`, `vllm`, `openai`, …, `unknown`).
    pub kind: String,
    /// The context window requests were fitted into, in tokens.
    pub context_window: Option<u32>,
    /// Where the window came from.
    pub window_source: String,
    /// Requests sent at once at most.
    pub max_in_flight: Option<u32>,
    /// The structured-output mode used.
    pub structured_output: String,
}

/// What happened to one Director.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DirectorStatus {
    /// It reviewed the change and gave a valid verdict.
    Ran,
    /// It did not apply (or no provider / no budget); see the reason.
    Skipped,
    /// It should have reviewed the change but could not finish; see the reason.
    Failed,
}

/// One Director's part in the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DirectorRun {
    /// Short name, e.g. `infrastructure`.
    pub name: String,
    /// Display name, e.g. `Infrastructure Director`.
    pub display_name: String,
    /// The persona it spoke as, e.g. `DirInfra_Agent`.
    pub persona: String,
    /// Ran, skipped or failed.
    pub status: DirectorStatus,
    /// Its verdict, when it ran.
    pub verdict: Option<VerdictKind>,
    /// Its summary, when it ran.
    pub summary: Option<String>,
    /// Why it was skipped or failed, or why it applied.
    pub reason: Option<String>,
    /// The model used.
    pub model: Option<String>,
    /// Prompt tokens of its request as planned (shared prefix + its own messages),
    /// counted locally before sending; 0 when it did not run.
    pub prompt_tokens: u64,
    /// Tokens it used.
    pub usage: Option<Usage>,
    /// Wall time of its calls in milliseconds.
    pub elapsed_ms: u64,
    /// Provider requests made (retries and repair rounds included).
    pub attempts: u32,
    /// True when the verdict came from the verdict cache.
    pub from_cache: bool,
    /// Tool calls it made (read_file, grep, list_dir).
    pub tool_calls: u32,
    /// Findings it reported whose quote was found in the code.
    pub findings_verified: u32,
    /// Findings it reported that could not be verified.
    pub findings_unverified: u32,
    /// The start of its last reply when it failed (redacted, at most 4 KiB), so a looping
    /// or malformed answer can be diagnosed from the record alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_excerpt: Option<String>,
    /// The prompt profile it was rendered in (`full` or `compact`), when it was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_profile: Option<String>,
    /// Every provider request it made, with how it ended and the time it took
    /// (timed-out and cancelled ones included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempt_log: Vec<AttemptRecord>,
    /// The parts it reviewed the change in, when the change did not fit the window whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartRun>,
    /// Files it could not review because they fit no request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub omitted: Vec<Omission>,
    /// True when its findings were salvaged from a reply cut off by the output limit:
    /// they count, but the Director still failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// Every call it made to a tool of an MCP server, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mcp_calls: Vec<McpCall>,
}

/// One provider request of a Director.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AttemptRecord {
    /// How it ended: `ok`, `http 429`, `timeout`, `stalled`, `connection`, `cancelled`, …
    pub outcome: String,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
    /// The part it belonged to, when the review was split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

/// One part of a Director's review in parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PartRun {
    /// The part's label, e.g. `part 2 of 3: infra/`.
    pub label: String,
    /// The files it covered.
    pub files: Vec<String>,
    /// Ran or failed.
    pub status: DirectorStatus,
    /// Its verdict, when it ran.
    pub verdict: Option<VerdictKind>,
    /// Why it failed.
    pub reason: Option<String>,
    /// Findings it reported.
    pub findings: u32,
    /// Prompt tokens as planned.
    pub prompt_tokens: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
    /// Provider requests made.
    pub attempts: u32,
}

impl DirectorRun {
    /// A Director that did not run, with the reason.
    pub fn skipped(name: &str, display_name: &str, persona: &str, reason: String) -> DirectorRun {
        DirectorRun {
            name: name.to_string(),
            display_name: display_name.to_string(),
            persona: persona.to_string(),
            status: DirectorStatus::Skipped,
            verdict: None,
            summary: None,
            reason: Some(reason),
            model: None,
            prompt_tokens: 0,
            usage: None,
            elapsed_ms: 0,
            attempts: 0,
            from_cache: false,
            tool_calls: 0,
            findings_verified: 0,
            findings_unverified: 0,
            reply_excerpt: None,
            prompt_profile: None,
            attempt_log: Vec::new(),
            parts: Vec::new(),
            omitted: Vec::new(),
            partial: false,
            mcp_calls: Vec::new(),
        }
    }
}

/// How one MCP tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum McpCallOutcome {
    /// The tool answered.
    Ok,
    /// The tool answered with an error result (`isError: true`).
    ToolError,
    /// The call was refused before reaching the server (bad arguments, unknown tool).
    Refused,
    /// The server failed (crashed, closed the connection, answered with a protocol error).
    Failed,
    /// The per-call timeout passed.
    Timeout,
    /// The Director's deadline passed, or the run was cancelled, while the call was out.
    Cancelled,
}

/// One call a Director made to a tool of an MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpCall {
    /// The server's name under `[mcp.servers]`.
    pub server: String,
    /// The tool's name on that server.
    pub tool: String,
    /// The arguments sent, as JSON text (redacted, cut at 1 KiB).
    pub arguments: String,
    /// Bytes of the answer returned to the Director (after redaction and the size cap).
    pub bytes: u64,
    /// Wall time of the call in milliseconds.
    pub latency_ms: u64,
    /// How it ended.
    pub outcome: McpCallOutcome,
    /// What went wrong, when something did (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whether an MCP server could be used in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum McpServerStatus {
    /// Started and listed its tools; the tools offered are listed.
    Ready,
    /// Failed to start or to list its tools; none of its tools were offered.
    Failed,
    /// Named by a Director but not configured in trusted config; nothing was started.
    Unknown,
}

/// A tool of an MCP server that was not offered to the Directors, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefusedTool {
    /// The tool's name on the server.
    pub name: String,
    /// Why it was not offered (destructive, not read-only and not allow-listed, ...).
    pub reason: String,
}

/// What happened to one MCP server a Director opted into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct McpServerRun {
    /// The server's name under `[mcp.servers]`.
    pub name: String,
    /// `stdio` (a child process) or `http` (streamable HTTP); empty when unknown.
    pub transport: String,
    /// Ready, failed or unknown.
    pub status: McpServerStatus,
    /// The Directors that opted into it.
    pub directors: Vec<String>,
    /// The tools offered, by their name on the server.
    pub tools_offered: Vec<String>,
    /// The tools not offered, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools_refused: Vec<RefusedTool>,
    /// Why it failed, or a warning about it (redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Token usage, summed over requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Usage {
    /// Provider requests made.
    pub requests: u32,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Prompt tokens the provider served from its prompt cache.
    pub cached_prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Estimated cost in US dollars from the configured price table, if any.
    pub cost_usd: Option<f64>,
}

impl Usage {
    /// Prompt plus completion tokens.
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, rhs: Usage) {
        self.requests += rhs.requests;
        self.prompt_tokens += rhs.prompt_tokens;
        self.cached_prompt_tokens += rhs.cached_prompt_tokens;
        self.completion_tokens += rhs.completion_tokens;
        self.cost_usd = match (self.cost_usd, rhs.cost_usd) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }
}

/// One changed file in the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChangedFileSummary {
    /// Repository-relative path (the new path for renames).
    pub path: String,
    /// The old path of a rename or copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// How it changed.
    pub status: ChangeStatus,
    /// Its classes.
    pub classes: Vec<FileClass>,
    /// Source language, when it is source code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Lines added.
    pub added: u32,
    /// Lines removed.
    pub removed: u32,
    /// Binary content (listed, never inlined).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
}

/// What the deterministic analyzers did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EvidenceSummary {
    /// Files the analyzers read.
    pub files_analyzed: u32,
    /// Findings they produced (before merging).
    pub findings: u32,
    /// Files they could not parse, with the parser's message.
    pub parse_errors: Vec<String>,
    /// What they saw but could not look into, so no finding there means nothing (a
    /// Terraform module from a registry or git without a plan file, a Helm chart or
    /// Kustomize overlay without rendered input, a SARIF result that could not be placed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_evaluated: Vec<String>,
}

/// Something left out of the Directors' context, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Omission {
    /// What was left out (a path, or a section).
    pub item: String,
    /// Why (token budget, binary, size limit, secret file ...).
    pub reason: String,
}

/// What the Directors were shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContextSummary {
    /// Tokens of the packed repository context.
    pub tokens: u64,
    /// The token budget it was packed into.
    pub budget: u64,
    /// Tokens of the prefix every Director's request shares (frame + context).
    pub shared_prefix_tokens: u64,
    /// Share of each Director's prompt tokens that is the shared prefix (mean, 0..1).
    pub shared_prefix_share: f64,
    /// Files whose content (or hunks) were included.
    pub files_included: u32,
    /// What was cut, and why.
    pub omitted: Vec<Omission>,
    /// Secrets replaced before sending, by kind (never their values).
    pub redactions: BTreeMap<String, u32>,
}

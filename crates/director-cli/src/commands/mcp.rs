//! `director mcp`: a Model Context Protocol server on stdio (the `rmcp` crate), for
//! agent frameworks that call tools rather than shell out.
//!
//! Tools, all working on the repository given by `--repo` through one
//! `director::Verifier` (so concurrent calls share the provider's limits):
//! - `verify_task`: verify a task by id or an inline task object, optionally with
//!   `directors`, `all_directors`, `base`, `head`, `paths`; returns the decision,
//!   reason, exit code, Directors and findings as structured content plus a short
//!   text (decision and the new findings, one line each). The run record is stored
//!   under `.director/runs/` as with `director verify`. A cancelled request cancels
//!   the in-flight Director calls.
//! - `list_directors`: the resolved panel.
//! - `get_run`: a stored run record by run id or `latest`, optionally within a task.
//!
//! Stdout carries only the protocol; logs and progress go to stderr (`-v` for more).
//! A mistake the caller can fix (unknown task, invalid task object, bad ref) is a
//! tool result with `isError: true` and the hint, not a protocol error.

use crate::cli::McpArgs;
use director::core::record::{DirectorRun, DirectorStatus};
use director::core::{Decision, Finding, FindingStatus, VerdictKind};
use director::{
    CancellationToken, EventSink, Overrides, RunRecord, VerificationEvent, Verifier, VerifyOptions,
    exit,
};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{ErrorData, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

/// Arguments of `verify_task`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyTaskArgs {
    /// Id of a task in `.director/tasks/<id>.toml`. Give this or `task`.
    #[serde(default)]
    pub task_id: Option<String>,
    /// The task itself, with the fields of a task file (id, title, description,
    /// criteria, base, head, scope, paths, environment). Give this or `task_id`.
    #[serde(default)]
    #[schemars(with = "Option<director::Task>")]
    pub task: Option<serde_json::Value>,
    /// Run exactly these Directors, overriding applicability.
    #[serde(default)]
    pub directors: Vec<String>,
    /// Run every Director, overriding applicability.
    #[serde(default)]
    pub all_directors: bool,
    /// Base git ref, overriding the task's.
    #[serde(default)]
    pub base: Option<String>,
    /// Head git ref, overriding the task's (default: the working tree).
    #[serde(default)]
    pub head: Option<String>,
    /// Review these files or folders whole instead of a git change.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// One Director's part, as `verify_task` reports it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DirectorOutcome {
    /// Short name.
    pub name: String,
    /// Ran, skipped or failed.
    pub status: DirectorStatus,
    /// Its verdict, when it ran.
    pub verdict: Option<VerdictKind>,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
}

/// The result of `verify_task`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifyTaskOutput {
    /// Run id (for `get_run`).
    pub run_id: String,
    /// Task id.
    pub task: String,
    /// pass, block or incomplete.
    pub decision: Decision,
    /// Why, in one sentence.
    pub reason: String,
    /// The exit code `director verify` would have: 0 pass, 1 block, 3 incomplete.
    pub exit_code: i32,
    /// Every Director of the panel.
    pub directors: Vec<DirectorOutcome>,
    /// Merged findings, most severe first (known and suppressed ones included, marked).
    pub findings: Vec<Finding>,
}

/// Arguments of `get_run`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetRunArgs {
    /// Run id, or `latest` (the default).
    #[serde(default)]
    pub run: Option<String>,
    /// Look only at this task's runs.
    #[serde(default)]
    pub task: Option<String>,
}

/// One Director of the panel, as `list_directors` reports it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DirectorInfo {
    /// Short name, e.g. `infrastructure`.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// The persona it speaks as.
    pub persona: String,
    /// What it reviews.
    pub summary: String,
    /// Areas it owns.
    pub owns: Vec<String>,
    /// Higher runs first when a budget forces a choice.
    pub priority: i64,
    /// Whether its findings may block.
    pub may_block: bool,
}

/// The result of `list_directors`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DirectorList {
    /// The panel, in priority order.
    pub directors: Vec<DirectorInfo>,
}

/// The MCP server.
#[derive(Clone)]
pub struct DirectorMcp {
    verifier: Verifier,
    tool_router: ToolRouter<Self>,
}

impl std::fmt::Debug for DirectorMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectorMcp")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

fn structured<T: Serialize>(value: &T, text: String) -> Result<CallToolResult, ErrorData> {
    let value =
        serde_json::to_value(value).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
    let mut result = CallToolResult::structured(value);
    result.content = vec![ContentBlock::text(text)];
    Ok(result)
}

/// A mistake the caller can fix becomes a tool error with the hint; anything else
/// is an internal error.
fn tool_error(e: director::Error) -> Result<CallToolResult, ErrorData> {
    if e.is_user_error() {
        let mut text = format!("error: {e}");
        if let Some(hint) = e.hint() {
            let _ = write!(text, "\nhint: {hint}");
        }
        Ok(CallToolResult::error(vec![ContentBlock::text(text)]))
    } else {
        Err(ErrorData::internal_error(e.to_string(), None))
    }
}

fn finding_line(f: &Finding) -> String {
    let at = match (&f.path, f.lines()) {
        (Some(p), Some((s, e))) if s == e => format!("{p}:{s}"),
        (Some(p), Some((s, e))) => format!("{p}:{s}-{e}"),
        (Some(p), None) => p.clone(),
        (None, _) => "(no file)".into(),
    };
    let rule = f.rule_id.as_deref().unwrap_or(&f.category);
    format!(
        "- {}{} [{rule}] {at}: {} ({})",
        f.severity,
        if f.blocks { " (blocks)" } else { "" },
        f.title,
        f.directors.join(", ")
    )
}

fn summary_text(record: &RunRecord) -> String {
    let mut text = format!("decision: {} — {}\n", record.decision, record.reason);
    let new: Vec<&Finding> = record
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::New)
        .collect();
    let _ = writeln!(
        text,
        "run {} of task {}: {} new finding(s), {} known or suppressed",
        record.run_id,
        record.task.id,
        new.len(),
        record.findings.len() - new.len()
    );
    for f in new {
        let _ = writeln!(text, "{}", finding_line(f));
    }
    for d in record
        .directors
        .iter()
        .filter(|d| d.status == DirectorStatus::Failed)
    {
        let _ = writeln!(
            text,
            "! {} could not finish: {}",
            d.name,
            d.reason.as_deref().unwrap_or("")
        );
    }
    text
}

fn outcome(d: &DirectorRun) -> DirectorOutcome {
    DirectorOutcome {
        name: d.name.clone(),
        status: d.status,
        verdict: d.verdict,
        reason: d.reason.clone(),
    }
}

#[tool_router]
impl DirectorMcp {
    /// A server verifying tasks with `verifier`.
    pub fn new(verifier: Verifier) -> DirectorMcp {
        DirectorMcp {
            verifier,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Verify that a finished task is really complete: a panel of specialist reviewers \
                       (Directors) and deterministic analyzers review the change, and one gate decision \
                       comes back (pass, block or incomplete) with the findings to fix. Give `task_id` \
                       (a task in .director/tasks/) or an inline `task` object.",
        output_schema = schema_for_output::<VerifyTaskOutput>()
    )]
    async fn verify_task(
        &self,
        params: Parameters<VerifyTaskArgs>,
        cancel: CancellationToken,
    ) -> Result<CallToolResult, ErrorData> {
        let args = params.0;
        let task = match (&args.task_id, &args.task) {
            (Some(id), None) => match self.verifier.load_task(id) {
                Ok(t) => t,
                Err(e) => return tool_error(e),
            },
            (None, Some(value)) => {
                match director::tasks::parse_task_json(&value.to_string(), "the `task` argument") {
                    Ok(t) => t,
                    Err(e) => return tool_error(e.into()),
                }
            }
            _ => {
                return Err(ErrorData::invalid_params(
                    "give exactly one of `task_id` (a task in .director/tasks/) or `task` (an inline task object)",
                    None,
                ));
            }
        };
        let options = VerifyOptions {
            base: args.base,
            head: args.head,
            paths: args.paths,
            directors: args.directors,
            all_directors: args.all_directors,
            ..VerifyOptions::default()
        };
        let (sink, mut rx) = EventSink::channel();
        // Progress goes to the log on stderr, never to stdout (the protocol).
        let logger = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                log_event(&event);
            }
        });
        let result = self
            .verifier
            .verify_with(task, &options, &sink, &cancel)
            .await;
        drop(sink);
        let _ = logger.await;
        let record = match result {
            Ok(r) => r,
            Err(e) => return tool_error(e),
        };
        let output = VerifyTaskOutput {
            run_id: record.run_id.clone(),
            task: record.task.id.clone(),
            decision: record.decision,
            reason: record.reason.clone(),
            exit_code: exit::code_for(&record),
            directors: record.directors.iter().map(outcome).collect(),
            findings: record.findings.clone(),
        };
        structured(&output, summary_text(&record))
    }

    #[tool(
        description = "List the Director panel of this repository: each reviewer's name, persona, what it \
                       reviews, its priority and whether it may block.",
        output_schema = schema_for_output::<DirectorList>(),
        annotations(read_only_hint = true)
    )]
    async fn list_directors(&self) -> Result<CallToolResult, ErrorData> {
        let panel = match self.verifier.panel() {
            Ok(panel) => panel,
            Err(e) => return tool_error(e),
        };
        let list = DirectorList {
            directors: panel
                .directors()
                .iter()
                .map(|d| DirectorInfo {
                    name: d.name().to_string(),
                    display_name: d.def.display_name.clone(),
                    persona: d.def.persona.clone(),
                    summary: d.def.summary.clone(),
                    owns: d.def.owns.clone(),
                    priority: i64::from(d.def.priority),
                    may_block: d.def.may_block,
                })
                .collect(),
        };
        let mut text = String::new();
        for d in &list.directors {
            let _ = writeln!(text, "{} ({}): {}", d.name, d.persona, d.summary);
        }
        structured(&list, text)
    }

    #[tool(
        description = "Read a stored verification run (the full run record): by run id, or `latest` \
                       (the default), optionally within one task.",
        output_schema = schema_for_output::<RunRecord>(),
        annotations(read_only_hint = true)
    )]
    async fn get_run(&self, params: Parameters<GetRunArgs>) -> Result<CallToolResult, ErrorData> {
        let args = params.0;
        let run = args.run.as_deref().unwrap_or("latest");
        match director::store::load_record(self.verifier.repo_root(), run, args.task.as_deref()) {
            Ok(record) => structured(&record, summary_text(&record)),
            Err(e) => tool_error(e),
        }
    }
}

#[tool_handler(
    router = self.tool_router,
    name = "director",
    instructions = "director verifies that a coding task is really done. Call verify_task when you \
                    believe a task is complete; fix every finding with `blocks: true` and call it again \
                    until the decision is `pass`. `incomplete` means a reviewer could not finish: \
                    retry, it is never a pass."
)]
impl ServerHandler for DirectorMcp {}

fn log_event(event: &VerificationEvent) {
    match event {
        VerificationEvent::Started {
            task,
            directors,
            offline_reason,
            ..
        } => match offline_reason {
            Some(r) => tracing::info!(
                task,
                "no LLM Director will run ({r}); deciding on deterministic evidence"
            ),
            None => tracing::info!(
                task,
                "{} Director(s) reviewing: {}",
                directors.len(),
                directors.join(", ")
            ),
        },
        VerificationEvent::DirectorStarted {
            task,
            director,
            model,
        } => {
            tracing::info!(task, director, model, "Director started");
        }
        VerificationEvent::DirectorFinished { task, run } => {
            tracing::info!(task, director = run.name, status = ?run.status, verdict = ?run.verdict, "Director finished");
        }
        VerificationEvent::Finished { record } => {
            tracing::info!(task = record.task.id, decision = %record.decision, "{}", record.reason);
        }
        _ => {}
    }
}

/// Run `director mcp` until the client closes stdin.
pub async fn run(repo: &Path, args: McpArgs) -> anyhow::Result<i32> {
    let verifier = super::verifier(repo, &args.provider, Overrides::default())?;
    tracing::info!(repo = %verifier.repo_root().display(), "director MCP server on stdio");
    let service = DirectorMcp::new(verifier)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| anyhow::anyhow!("failed to start the MCP session: {e}"))?;
    let reason = service.waiting().await?;
    tracing::info!(?reason, "MCP session ended");
    Ok(exit::PASS)
}

//! Stop-hook adapters: `director hook <harness>` reads a coding agent's hook payload on
//! stdin and answers in that harness's protocol, so "the agent says it is done" goes
//! through the gate without glue. One module per harness protocol ([`claude`],
//! [`codex`], [`cursor`], [`gemini`]) turns its payload into a harness-neutral
//! [`Event`] and an [`Answer`] back into its JSON; the rest is common:
//!
//! - **What task**: `--task`, else `DIRECTOR_TASK`, else the task pinned when the
//!   session started, else `.director/current-task`, else one derived from the session
//!   (the transcript's first user prompt, the agent's last message, and the change
//!   since the session started — [`session`] — or since the merge-base).
//! - **Fast when nothing changed**: a fingerprint of the change ([`change`]) equal to
//!   the last pass's answers in milliseconds, without a provider call.
//! - **Budget**: the deterministic evidence runs first and the Directors get what
//!   remains of `[hook] budget_secs`; a Director cut by it fails, which is incomplete.
//! - **Loops**: `[hook] max_rounds` blocks in a row, then the agent may stop and is
//!   told so; `stop_hook_active = false` (or Cursor's `loop_count = 0`) starts a new
//!   series.
//! - **Failure policy**: `[hook] on_error` maps a crash, a provider outage, a timeout
//!   or an incomplete verification to "allow, with a visible warning" or "block".
//!
//! The hook never fails its harness: every outcome, errors included, is an answer in
//! the harness's protocol with exit code 0 (exit code 2 would hide stdout).

pub mod change;
pub mod claude;
pub mod codex;
pub mod cursor;
pub mod gemini;
pub mod message;
pub mod payload;
pub mod policy;
mod run;
pub mod session;
pub mod transcript;

pub use payload::{Answer, Event, EventKind};
pub use policy::{HookPolicy, HookSection, OnHookError};

use crate::{Overrides, ProviderSpec};
use std::path::PathBuf;

/// The coding agents director answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Harness {
    /// Claude Code (`Stop`, `SubagentStop`, `SessionStart`).
    ClaudeCode,
    /// OpenAI Codex CLI (`Stop`, `SessionStart`).
    Codex,
    /// Cursor (`stop`).
    Cursor,
    /// Gemini CLI (`AfterAgent`, `SessionStart`).
    Gemini,
}

impl Harness {
    /// Every harness.
    pub const ALL: [Harness; 4] = [
        Harness::ClaudeCode,
        Harness::Codex,
        Harness::Cursor,
        Harness::Gemini,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Harness::ClaudeCode => "claude-code",
            Harness::Codex => "codex",
            Harness::Cursor => "cursor",
            Harness::Gemini => "gemini",
        }
    }

    /// The harness's own default hook timeout, in seconds: the default budget.
    pub fn default_budget_secs(self) -> u64 {
        match self {
            Harness::ClaudeCode | Harness::Codex => 600,
            Harness::Cursor | Harness::Gemini => 60,
        }
    }

    /// Read this harness's payload.
    pub fn parse(self, bytes: &[u8]) -> Result<Event, payload::PayloadError> {
        let map = payload::parse_json(bytes)?;
        match self {
            Harness::ClaudeCode => claude::parse(&map),
            Harness::Codex => codex::parse(&map),
            Harness::Cursor => cursor::parse(&map),
            Harness::Gemini => gemini::parse(&map),
        }
    }

    /// This harness's JSON for `answer`, on one line.
    pub fn render(self, answer: &Answer) -> String {
        let value = match self {
            Harness::ClaudeCode => claude::render(answer),
            Harness::Codex => codex::render(answer),
            Harness::Cursor => cursor::render(answer),
            Harness::Gemini => gemini::render(answer),
        };
        payload::to_line(&value)
    }
}

/// Choices the hook's command line (or an embedding program) makes.
#[derive(Debug, Clone, Default)]
pub struct HookOptions {
    /// The project folder; default: the payload's `cwd` (Cursor: its first workspace root).
    pub repo: Option<PathBuf>,
    /// Verify this task (`.director/tasks/<id>.toml`).
    pub task: Option<String>,
    /// Overrides `[hook] on_error`.
    pub on_error: Option<OnHookError>,
    /// Overrides `[hook] max_rounds`.
    pub max_rounds: Option<u32>,
    /// Overrides `[hook] budget_secs`.
    pub budget_secs: Option<u64>,
    /// Provider and configuration overrides (the command-line layer).
    pub overrides: Overrides,
    /// A provider other than the configured one (embedding, tests).
    pub provider: Option<ProviderSpec>,
}

/// What the hook prints: `stdout` in the harness's protocol, `notes` on stderr.
#[derive(Debug, Clone, PartialEq)]
pub struct HookReply {
    /// One line of JSON for stdout.
    pub stdout: String,
    /// Lines for stderr (warnings for the person; never read by the harness).
    pub notes: Vec<String>,
    /// The harness-neutral answer.
    pub answer: Answer,
}

impl HookReply {
    fn new(harness: Harness, answer: Answer, mut notes: Vec<String>) -> HookReply {
        if let Some(note) = answer.note() {
            notes.push(note.to_string());
        }
        HookReply {
            stdout: harness.render(&answer),
            notes,
            answer,
        }
    }
}

/// Answer one hook call. Never fails: errors become the `on_error` policy's answer.
pub async fn run_hook(harness: Harness, payload: &[u8], options: &HookOptions) -> HookReply {
    run::run(harness, payload, options).await
}

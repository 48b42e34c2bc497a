//! `[hook]`: what the stop-hook adapters do when verification cannot decide, how many
//! blocking rounds in a row an agent gets, and how long a hook may take. This is gate
//! policy, so it belongs to trusted configuration (user file, environment, the hook's
//! own command line) — see docs/configuration.md.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a crash, a provider outage, a timeout or an incomplete verification does to
/// an agent that wants to stop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnHookError {
    /// Let the agent stop, with a visible warning (an agent that can never stop is
    /// worse than an unreviewed stop).
    #[default]
    Allow,
    /// Keep the agent going with a message saying what could not run.
    Block,
}

impl OnHookError {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OnHookError::Allow => "allow",
            OnHookError::Block => "block",
        }
    }
}

/// `[hook]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HookSection {
    /// What a director crash, a provider outage or a timeout does: `allow` or `block`.
    pub on_error: OnHookError,
    /// Blocks in a row after which the agent is let stop (and told so).
    pub max_rounds: u32,
    /// Seconds one hook call may take, whatever the harness (default: the harness's
    /// own hook timeout — 600 for Claude Code and Codex, 60 for Cursor and Gemini CLI).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_secs: Option<u64>,
}

impl Default for HookSection {
    fn default() -> Self {
        HookSection {
            on_error: OnHookError::Allow,
            max_rounds: 3,
            budget_secs: None,
        }
    }
}

/// The hook policy after the command line's overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct HookPolicy {
    /// `[hook] on_error`
    pub on_error: OnHookError,
    /// `[hook] max_rounds`
    pub max_rounds: u32,
    /// The whole hook call's time budget.
    pub budget: Duration,
}

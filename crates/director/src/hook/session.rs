//! Per-session state, `.director/sessions/<session-id>.json`: where the session
//! started (commit and working tree), the task pinned then, the count of blocking
//! rounds in a row and their findings, the change fingerprint of the last pass, and
//! a short history. It is director's own state, never part of a reviewed change.

use super::change::Snapshot;
use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the state file layout.
pub const STATE_VERSION: u32 = 1;
/// Rounds kept in the history.
const HISTORY: usize = 20;

/// One session's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionState {
    /// Layout version.
    pub version: u32,
    /// The harness's session id.
    pub session_id: String,
    /// `claude-code`, `codex`, `cursor` or `gemini`.
    pub harness: String,
    /// When the start was recorded.
    pub started_at: Option<String>,
    /// The working tree when the session started.
    pub start: Option<Snapshot>,
    /// The task pinned (`DIRECTOR_TASK`, `.director/current-task`) when the session started.
    pub pinned_task: Option<String>,
    /// Blocking rounds in a row.
    pub rounds: u32,
    /// Fingerprints of the blocking findings of the last round that blocked.
    pub last_findings: Vec<String>,
    /// The change fingerprint of the last pass.
    pub last_pass: Option<String>,
    /// The latest rounds, oldest first.
    pub history: Vec<Round>,
}

/// One hook call that decided something.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Round {
    /// When.
    pub at: String,
    /// `pass`, `block`, `incomplete`, `error`, `unchanged` (fast pass) or `cap` (let stop).
    pub outcome: String,
    /// What the hook answered: `allow` or `continue`.
    pub answer: String,
    /// The run record, relative to the project root.
    pub record: Option<String>,
    /// Blocking findings.
    pub blocking: usize,
    /// One line on why.
    pub note: Option<String>,
}

/// `.director/sessions/` under the project root.
pub fn sessions_dir(root: &Path) -> PathBuf {
    root.join(".director").join("sessions")
}

/// A file-name-safe form of a session id: `[A-Za-z0-9._-]`, at most 100 characters,
/// never starting with `.`.
pub fn safe_id(id: &str) -> String {
    let mut s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if s.starts_with('.') || s.is_empty() {
        s.insert(0, 's');
    }
    s
}

/// The state file of `key` (a safe session id).
pub fn state_path(root: &Path, key: &str) -> PathBuf {
    sessions_dir(root).join(format!("{key}.json"))
}

impl SessionState {
    /// Read the state, or a fresh one if there is none. A file that cannot be parsed
    /// is replaced (and said so in the log): it only holds counters.
    pub fn load(root: &Path, key: &str) -> SessionState {
        let path = state_path(root, key);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!("ignoring unreadable session state {}: {e}", path.display());
                SessionState::default()
            }),
            Err(_) => SessionState::default(),
        }
    }

    /// Write the state atomically.
    pub fn save(&mut self, root: &Path, key: &str) -> Result<(), Error> {
        self.version = STATE_VERSION;
        if self.history.len() > HISTORY {
            self.history.drain(..self.history.len() - HISTORY);
        }
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        crate::store::write_atomic(&state_path(root, key), &json)
    }

    /// Add a round to the history.
    pub fn push(&mut self, round: Round) {
        self.history.push(round);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_become_safe_file_names() {
        assert_eq!(safe_id("abc-123_x.y"), "abc-123_x.y");
        assert_eq!(safe_id("../../etc/passwd"), "s.._.._etc_passwd");
        assert_eq!(safe_id(""), "s");
        assert_eq!(safe_id(&"a".repeat(300)).len(), 100);
    }

    #[test]
    fn state_round_trips_and_keeps_a_short_history() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SessionState {
            session_id: "x".into(),
            rounds: 2,
            ..SessionState::default()
        };
        for _ in 0..30 {
            s.push(Round::default());
        }
        s.save(dir.path(), "x").unwrap();
        let back = SessionState::load(dir.path(), "x");
        assert_eq!(back.rounds, 2);
        assert_eq!(back.history.len(), 20);
        assert_eq!(back.version, STATE_VERSION);
        std::fs::write(state_path(dir.path(), "x"), "{oops").unwrap();
        assert_eq!(SessionState::load(dir.path(), "x").rounds, 0);
    }
}

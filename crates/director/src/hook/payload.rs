//! The harness-neutral view of one hook call: what event fired, in which session and
//! folder, what the agent last said, and whether the harness says the agent is
//! already continuing because of a stop hook. Each harness module turns its own
//! payload into an [`Event`] and an [`Answer`] back into its own JSON.

use serde_json::Value;
use std::path::PathBuf;

/// Which event fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The agent wants to stop (Claude Code `Stop`/`SubagentStop`, Codex `Stop`,
    /// Cursor `stop`, Gemini CLI `AfterAgent`).
    Stop,
    /// A session started (Claude Code, Codex and Gemini CLI `SessionStart`); `source`
    /// is `startup`, `resume`, `clear`, `compact`, … when the harness sends it.
    SessionStart {
        /// Why the session started.
        source: Option<String>,
    },
    /// An event director does not handle (answered with "no opinion").
    Other(String),
}

/// One hook call, harness-neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event.
    pub kind: EventKind,
    /// The harness's session (or conversation) id.
    pub session_id: String,
    /// The subagent, for Claude Code `SubagentStop`.
    pub agent_id: Option<String>,
    /// The folder the agent works in.
    pub cwd: Option<PathBuf>,
    /// The conversation transcript (JSONL, or JSON for Gemini CLI).
    pub transcript_path: Option<PathBuf>,
    /// The prompt of this turn, when the harness sends it (Gemini CLI).
    pub prompt: Option<String>,
    /// The agent's last message: what it claims to have done.
    pub last_message: Option<String>,
    /// True when the harness says the agent is already continuing because a stop hook
    /// blocked (`stop_hook_active`, Cursor's `loop_count > 0`); None when it does not say.
    pub continuing: Option<bool>,
}

/// What director answers, harness-neutral.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Let the agent stop; `note` is shown to the user where the harness can show it.
    Allow {
        /// A warning or notice for the person watching.
        note: Option<String>,
    },
    /// Keep the agent working; `reason` is its next instruction.
    Continue {
        /// The fix list, written for the agent.
        reason: String,
        /// A notice for the person watching.
        note: Option<String>,
    },
}

impl Answer {
    /// The note for the person, if any.
    pub fn note(&self) -> Option<&str> {
        match self {
            Answer::Allow { note } | Answer::Continue { note, .. } => note.as_deref(),
        }
    }
}

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError(pub String);

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parse the bytes on stdin as one JSON object, accepting a leading UTF-8 byte-order
/// mark (Cursor on Windows sends one) and surrounding whitespace.
pub fn parse_json(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, PayloadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|e| PayloadError(format!("the hook payload is not UTF-8 ({e})")))?;
    if text.trim().is_empty() {
        return Err(PayloadError("the hook payload on stdin is empty".into()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(PayloadError(format!(
            "the hook payload is JSON but not an object (found {})",
            kind_of(&other)
        ))),
        Err(e) => Err(PayloadError(format!("the hook payload is not JSON ({e})"))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string field, if present and a non-empty string.
pub fn string(map: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

/// A required string field.
pub fn required(map: &serde_json::Map<String, Value>, key: &str) -> Result<String, PayloadError> {
    string(map, key).ok_or_else(|| {
        PayloadError(format!(
            "the hook payload has no `{key}` string (fields present: {})",
            field_list(map)
        ))
    })
}

fn field_list(map: &serde_json::Map<String, Value>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    let mut keys: Vec<&str> = map.keys().map(String::as_str).take(12).collect();
    if map.len() > keys.len() {
        keys.push("…");
    }
    keys.join(", ")
}

/// A path field.
pub fn path(map: &serde_json::Map<String, Value>, key: &str) -> Option<PathBuf> {
    string(map, key).map(PathBuf::from)
}

/// A boolean field, if present.
pub fn boolean(map: &serde_json::Map<String, Value>, key: &str) -> Option<bool> {
    map.get(key).and_then(Value::as_bool)
}

/// The JSON text of `value` on one line.
pub fn to_line(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bom_and_whitespace_are_accepted() {
        let map = parse_json(b"\xEF\xBB\xBF \n{\"a\": 1}\n").unwrap();
        assert_eq!(map["a"], 1);
    }

    #[test]
    fn malformed_payloads_say_what_is_wrong() {
        assert!(parse_json(b"").unwrap_err().0.contains("empty"));
        assert!(parse_json(b"[1]").unwrap_err().0.contains("an array"));
        assert!(parse_json(b"{nope").unwrap_err().0.contains("not JSON"));
        assert!(parse_json(b"\xff\xfe").unwrap_err().0.contains("UTF-8"));
        let map = parse_json(b"{\"cwd\": \"/x\"}").unwrap();
        let err = required(&map, "session_id").unwrap_err();
        assert!(
            err.0.contains("`session_id`") && err.0.contains("cwd"),
            "{err}"
        );
    }
}

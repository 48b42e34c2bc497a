//! Codex CLI's hook protocol (<https://developers.openai.com/codex/hooks>, input and
//! output schemas in `codex-rs/hooks/schema/generated/`): `Stop` gets `session_id`,
//! `turn_id`, `cwd`, `transcript_path`, `model`, `permission_mode`,
//! `stop_hook_active` and `last_assistant_message`; `SessionStart` gets `source`. The
//! output object allows only `continue`, `decision` (`"block"`), `reason`,
//! `stopReason`, `suppressOutput` and `systemMessage`; `{}` lets the turn end. Codex
//! puts a block's `reason` into the next prompt and has no cap of its own on
//! consecutive blocks, so director's `[hook] max_rounds` is what ends a loop.

use super::payload::{self, Answer, Event, EventKind, PayloadError};
use serde_json::{Map, Value};

/// Read a Codex hook payload.
pub fn parse(map: &Map<String, Value>) -> Result<Event, PayloadError> {
    let name = payload::required(map, "hook_event_name")?;
    let kind = match name.as_str() {
        "Stop" => EventKind::Stop,
        "SessionStart" => EventKind::SessionStart {
            source: payload::string(map, "source"),
        },
        other => EventKind::Other(other.to_string()),
    };
    Ok(Event {
        kind,
        session_id: payload::required(map, "session_id")?,
        agent_id: None,
        cwd: payload::path(map, "cwd"),
        transcript_path: payload::path(map, "transcript_path"),
        prompt: None,
        last_message: payload::string(map, "last_assistant_message"),
        continuing: payload::boolean(map, "stop_hook_active"),
    })
}

/// Codex's answer: the same fields as Claude Code's.
pub fn render(answer: &Answer) -> Value {
    super::claude::render(answer)
}

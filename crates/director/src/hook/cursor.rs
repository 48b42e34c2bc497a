//! Cursor's hook protocol (<https://cursor.com/docs/agent/hooks>): every event gets
//! `conversation_id`, `generation_id`, `model`, `hook_event_name`, `cursor_version`,
//! `workspace_roots`, `user_email` and `transcript_path`; `stop` adds `status`
//! (`completed`, `aborted`, `error`) and `loop_count`. The payload may start with a
//! UTF-8 byte-order mark. `{"followup_message": …}` is sent as the next user message;
//! `{}` lets the agent stop. Cursor caps follow-ups itself (`loop_limit`, default 5).

use super::payload::{self, Answer, Event, EventKind, PayloadError};
use serde_json::{Map, Value, json};

/// Read a Cursor hook payload.
pub fn parse(map: &Map<String, Value>) -> Result<Event, PayloadError> {
    let name = payload::required(map, "hook_event_name")?;
    let status = payload::string(map, "status");
    let kind = match name.as_str() {
        // An aborted or failed loop was not a claim of "done": nothing to verify.
        "stop" if status.as_deref().is_none_or(|s| s == "completed") => EventKind::Stop,
        "stop" => EventKind::Other(format!("stop ({})", status.unwrap_or_default())),
        other => EventKind::Other(other.to_string()),
    };
    let cwd = map
        .get("workspace_roots")
        .and_then(Value::as_array)
        .and_then(|roots| roots.first())
        .and_then(Value::as_str)
        .map(std::path::PathBuf::from);
    let loop_count = map.get("loop_count").and_then(Value::as_u64);
    Ok(Event {
        kind,
        session_id: payload::required(map, "conversation_id")?,
        agent_id: None,
        cwd,
        transcript_path: payload::path(map, "transcript_path"),
        prompt: None,
        last_message: None,
        continuing: loop_count.map(|n| n > 0),
    })
}

/// Cursor's answer: a follow-up message keeps the agent going.
pub fn render(answer: &Answer) -> Value {
    match answer {
        Answer::Continue { reason, .. } => json!({ "followup_message": reason }),
        Answer::Allow { .. } => json!({}),
    }
}

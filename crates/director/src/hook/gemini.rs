//! Gemini CLI's hook protocol (<https://geminicli.com/docs/hooks/reference>): every
//! event gets `session_id`, `transcript_path` (a JSON file), `cwd`,
//! `hook_event_name` and `timestamp`; `AfterAgent` adds `prompt`, `prompt_response`
//! and `stop_hook_active`; `SessionStart` adds `source`. `{"decision": "deny",
//! "reason": …}` rejects the response and sends the reason to the agent as a new
//! prompt; `systemMessage` is shown to the user. Hook timeouts are in milliseconds
//! (default 60 000).

use super::payload::{self, Answer, Event, EventKind, PayloadError};
use serde_json::{Map, Value, json};

/// Read a Gemini CLI hook payload.
pub fn parse(map: &Map<String, Value>) -> Result<Event, PayloadError> {
    let name = payload::required(map, "hook_event_name")?;
    let kind = match name.as_str() {
        "AfterAgent" => EventKind::Stop,
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
        prompt: payload::string(map, "prompt"),
        last_message: payload::string(map, "prompt_response"),
        continuing: payload::boolean(map, "stop_hook_active"),
    })
}

/// Gemini CLI's answer.
pub fn render(answer: &Answer) -> Value {
    let mut out = Map::new();
    if let Answer::Continue { reason, .. } = answer {
        out.insert("decision".into(), json!("deny"));
        out.insert("reason".into(), json!(reason));
    }
    if let Some(note) = answer.note() {
        out.insert("systemMessage".into(), json!(note));
    }
    Value::Object(out)
}

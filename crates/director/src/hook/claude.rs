//! Claude Code's hook protocol (<https://code.claude.com/docs/en/hooks>): `Stop` and
//! `SubagentStop` get `session_id`, `transcript_path`, `cwd`, `hook_event_name`,
//! `stop_hook_active` and `last_assistant_message` (`SubagentStop` adds `agent_id`,
//! `agent_type`, `agent_transcript_path`); `SessionStart` adds `source`. To keep the
//! agent working the hook prints `{"decision":"block","reason":…}` and exits 0 —
//! never exit code 2, which ignores stdout and shows the hook's command line to the
//! model. `systemMessage` is shown to the user.

use super::payload::{self, Answer, Event, EventKind, PayloadError};
use serde_json::{Map, Value, json};

/// Read a Claude Code hook payload.
pub fn parse(map: &Map<String, Value>) -> Result<Event, PayloadError> {
    let name = payload::required(map, "hook_event_name")?;
    let subagent = name == "SubagentStop";
    let kind = match name.as_str() {
        "Stop" | "SubagentStop" => EventKind::Stop,
        "SessionStart" => EventKind::SessionStart {
            source: payload::string(map, "source"),
        },
        other => EventKind::Other(other.to_string()),
    };
    Ok(Event {
        kind,
        session_id: payload::required(map, "session_id")?,
        agent_id: subagent.then(|| payload::string(map, "agent_id")).flatten(),
        cwd: payload::path(map, "cwd"),
        // A subagent's own transcript holds the task it was given.
        transcript_path: subagent
            .then(|| payload::path(map, "agent_transcript_path"))
            .flatten()
            .or_else(|| payload::path(map, "transcript_path")),
        prompt: None,
        last_message: payload::string(map, "last_assistant_message"),
        continuing: payload::boolean(map, "stop_hook_active"),
    })
}

/// Claude Code's answer (also Codex's: the same fields).
pub fn render(answer: &Answer) -> Value {
    let mut out = Map::new();
    if let Answer::Continue { reason, .. } = answer {
        out.insert("decision".into(), json!("block"));
        out.insert("reason".into(), json!(reason));
    }
    if let Some(note) = answer.note() {
        out.insert("systemMessage".into(), json!(note));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn subagent_stops_read_the_subagents_own_transcript() {
        let e = parse(&map(
            json!({"session_id": "s", "transcript_path": "/t/main.jsonl",
            "cwd": "/r", "hook_event_name": "SubagentStop", "stop_hook_active": true,
            "agent_id": "a1", "agent_type": "reviewer", "agent_transcript_path": "/t/a1.jsonl",
            "last_assistant_message": "reviewed"}),
        ))
        .unwrap();
        assert_eq!(e.kind, EventKind::Stop);
        assert_eq!(e.agent_id.as_deref(), Some("a1"));
        assert_eq!(
            e.transcript_path.as_deref(),
            Some(std::path::Path::new("/t/a1.jsonl"))
        );
        assert_eq!(e.continuing, Some(true));
        let start = parse(&map(
            json!({"session_id": "s", "hook_event_name": "SessionStart", "source": "resume"}),
        ))
        .unwrap();
        assert_eq!(
            start.kind,
            EventKind::SessionStart {
                source: Some("resume".into())
            }
        );
    }

    #[test]
    fn answers_use_only_documented_fields() {
        assert_eq!(render(&Answer::Allow { note: None }), json!({}));
        assert_eq!(
            render(&Answer::Continue {
                reason: "fix".into(),
                note: None
            }),
            json!({"decision": "block", "reason": "fix"})
        );
    }
}

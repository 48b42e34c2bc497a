//! The first user prompt of a session, read from the harness's transcript: what the
//! agent was asked to do. Transcripts are JSONL (Claude Code, Codex, Cursor) or one
//! JSON document with a `messages` array (Gemini CLI); each harness nests the text
//! differently, so a message counts as the user's when its role (or type) is `user`
//! (or a Codex `user_message` event), and its text is the string content or the text
//! parts of an array content. Tool results and injected environment blocks are not
//! prompts. Only the head of a large transcript is read for the prompt; the agent's
//! last message is read from transcripts up to 32 MiB.

use serde_json::Value;
use std::io::Read as _;
use std::path::Path;

/// Bytes read from the start of a transcript at most.
const MAX_READ: u64 = 8 * 1024 * 1024;

/// The first user prompt in the transcript at `path`, if it can be read.
pub fn first_user_prompt(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    file.take(MAX_READ).read_to_string(&mut text).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // A one-line JSONL file is a JSON document too: only `messages` makes it Gemini's.
    if let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(text)
        && let Some(messages) = doc.get("messages").and_then(Value::as_array)
    {
        return messages.iter().find_map(user_text);
    }
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find_map(|v| user_text(&v))
}

/// The last assistant message in the transcript at `path` (for harnesses whose stop
/// payload does not carry it, such as Cursor).
pub fn last_assistant_message(path: &Path) -> Option<String> {
    // Whole-file read: only for transcripts of a reasonable size.
    if std::fs::metadata(path).ok()?.len() > 4 * MAX_READ {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let entries: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) if doc.get("messages").is_some_and(Value::is_array) => doc
            .get("messages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    };
    entries.iter().rev().find_map(assistant_text)
}

fn assistant_text(entry: &Value) -> Option<String> {
    let message = entry.get("message");
    let role = [
        entry.get("role"),
        entry.get("type"),
        message.and_then(|m| m.get("role")),
    ];
    if !role
        .into_iter()
        .flatten()
        .any(|r| r == "assistant" || r == "gemini")
    {
        return None;
    }
    let content = message
        .and_then(|m| m.get("content"))
        .or_else(|| entry.get("content"))?;
    content_text(content)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The user's text in one transcript entry.
fn user_text(entry: &Value) -> Option<String> {
    let payload = entry.get("payload");
    let message = entry.get("message");
    let is_user = [
        entry.get("role"),
        entry.get("type"),
        message.and_then(|m| m.get("role")),
        payload.and_then(|p| p.get("role")),
    ]
    .into_iter()
    .flatten()
    .any(|r| r == "user")
        || payload.and_then(|p| p.get("type")) == Some(&Value::from("user_message"));
    if !is_user || entry.get("isMeta") == Some(&Value::Bool(true)) {
        return None;
    }
    let content = message
        .and_then(|m| m.get("content").or(Some(m)))
        .or_else(|| entry.get("content"))
        .or_else(|| payload.and_then(|p| p.get("content").or_else(|| p.get("message"))))?;
    let text = content_text(content)?;
    let text = strip_tag(text.trim(), "user_query");
    let injected = [
        "<environment_context",
        "<user_instructions",
        "# AGENTS.md",
        "<command-",
    ];
    (!text.is_empty() && !injected.iter().any(|p| text.starts_with(p))).then(|| text.to_string())
}

fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter(|p| {
                    p.get("type")
                        .and_then(Value::as_str)
                        .is_none_or(|t| t == "text" || t == "input_text")
                })
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

fn strip_tag<'a>(text: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    text.strip_prefix(open.as_str())
        .and_then(|t| t.strip_suffix(close.as_str()))
        .map_or(text, str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        std::fs::write(&path, text).unwrap();
        first_user_prompt(&path)
    }

    #[test]
    fn claude_code_transcripts() {
        let t = concat!(
            "{\"type\":\"summary\",\"summary\":\"x\"}\n",
            "{\"type\":\"user\",\"isMeta\":true,\"message\":{\"role\":\"user\",\"content\":\"<local-command>\"}}\n",
            "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Add multi-AZ\"}]}}\n",
            "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"later\"}}\n"
        );
        assert_eq!(first(t).as_deref(), Some("Add multi-AZ"));
        let tool_result = "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"content\":\"x\"}]}}\n";
        assert_eq!(first(tool_result), None);
    }

    #[test]
    fn codex_cursor_and_gemini_transcripts() {
        let codex = concat!(
            "{\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"<environment_context>cwd</environment_context>\"}]}}\n",
            "{\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\"Fix the build\"}}\n"
        );
        assert_eq!(first(codex).as_deref(), Some("Fix the build"));
        let cursor = "{\"role\":\"user\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"<user_query>\\nRename it\\n</user_query>\"}]}}\n";
        assert_eq!(first(cursor).as_deref(), Some("Rename it"));
        let gemini = "{\"sessionId\":\"s\",\"messages\":[{\"type\":\"gemini\",\"content\":\"hi\"},{\"type\":\"user\",\"content\":\"Write tests\"}]}";
        assert_eq!(first(gemini).as_deref(), Some("Write tests"));
        assert_eq!(first("not json"), None);
        let one_line =
            "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"Only line\"}}";
        assert_eq!(first(one_line).as_deref(), Some("Only line"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::write(&path, format!("{cursor}{{\"role\":\"assistant\",\"message\":{{\"content\":[{{\"type\":\"text\",\"text\":\"Renamed.\"}}]}}}}\n")).unwrap();
        assert_eq!(last_assistant_message(&path).as_deref(), Some("Renamed."));
    }
}

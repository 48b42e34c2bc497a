//! `director init --agent <harness>`: install director's hooks in a coding agent's
//! project settings file — merged into an existing file without clobbering it (other
//! hooks and keys stay; an entry already running `director hook` is left alone) — or
//! print them with `--print`. An existing file that is not a JSON object is an input
//! error and nothing is written.
//!
//! | harness | file | events |
//! |---|---|---|
//! | Claude Code | `.claude/settings.json` | `Stop`, `SessionStart` |
//! | Codex CLI | `.codex/hooks.json` | `Stop`, `SessionStart` |
//! | Cursor | `.cursor/hooks.json` | `stop` |
//! | Gemini CLI | `.gemini/settings.json` | `AfterAgent`, `SessionStart` |

use crate::output::emit;
use director::exit;
use director::hook::Harness;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// The settings file of `harness`, relative to the project root.
pub fn settings_path(harness: Harness) -> &'static str {
    match harness {
        Harness::ClaudeCode => ".claude/settings.json",
        Harness::Codex => ".codex/hooks.json",
        Harness::Cursor => ".cursor/hooks.json",
        Harness::Gemini => ".gemini/settings.json",
    }
}

/// The hook entries to add: (event, entry).
pub fn entries(harness: Harness) -> Vec<(&'static str, Value)> {
    let command = format!("director hook {}", harness.name());
    // Claude Code and Codex: event → matcher groups → handlers; timeouts in seconds.
    let group = |timeout: u64| json!({"hooks": [{"type": "command", "command": command, "timeout": timeout}]});
    match harness {
        Harness::ClaudeCode | Harness::Codex => vec![
            ("Stop", group(harness.default_budget_secs())),
            ("SessionStart", group(30)),
        ],
        // Cursor: event → handlers; `loop_limit` left at Cursor's default.
        Harness::Cursor => vec![("stop", json!({"command": command}))],
        // Gemini CLI: timeouts in milliseconds.
        Harness::Gemini => {
            let handler = |name: &str, ms: u64| json!({"hooks": [{"type": "command", "name": name, "command": command, "timeout": ms}]});
            vec![
                (
                    "AfterAgent",
                    handler("director", harness.default_budget_secs() * 1000),
                ),
                ("SessionStart", handler("director-session-start", 30_000)),
            ]
        }
    }
}

/// True when `value` holds a handler whose command runs `director hook`.
fn has_director(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(k, v)| {
            (k == "command"
                && v.as_str()
                    .is_some_and(|c| c.trim_start().starts_with("director hook")))
                || has_director(v)
        }),
        Value::Array(items) => items.iter().any(has_director),
        _ => false,
    }
}

/// Merge director's entries into `settings`; returns the events added.
pub fn merge(
    harness: Harness,
    settings: &mut Map<String, Value>,
    origin: &str,
) -> Result<Vec<&'static str>, director::Error> {
    let bad = |what: &str| director::Error::Input {
        message: format!("`{origin}`: {what}"),
        hint:
            "fix the file by hand, or move it away and run the command again; nothing was written"
                .into(),
    };
    if harness == Harness::Cursor {
        settings.entry("version").or_insert(json!(1));
    }
    let hooks = settings
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| bad("`hooks` is not an object"))?;
    let mut added = Vec::new();
    for (event, entry) in entries(harness) {
        let list = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .ok_or_else(|| bad(&format!("`hooks.{event}` is not an array")))?;
        if !list.iter().any(has_director) {
            list.push(entry);
            added.push(event);
        }
    }
    Ok(added)
}

/// Run `director init --agent`.
pub fn install(root: &Path, harness: Harness, print: bool) -> anyhow::Result<i32> {
    let rel = settings_path(harness);
    if print {
        let mut settings = Map::new();
        merge(harness, &mut settings, rel)?;
        emit(
            &format!("{}\n", serde_json::to_string_pretty(&settings)?),
            None,
        )?;
        return Ok(exit::PASS);
    }
    let path = root.join(rel);
    let mut settings = match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => Map::new(),
        Ok(text) => match serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(director::Error::Input {
                    message: format!("`{rel}` is not a JSON object"),
                    hint: "fix the file by hand, or move it away and run the command again; nothing was written".into(),
                }
                .into());
            }
            Err(e) => {
                return Err(director::Error::Input {
                    message: format!("`{rel}` is not valid JSON ({e})"),
                    hint: "fix the file by hand, or move it away and run the command again; nothing was written".into(),
                }
                .into());
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(director::Error::io("read", &path, e).into()),
    };
    let added = merge(harness, &mut settings, rel)?;
    let mut out = String::new();
    if added.is_empty() {
        let _ = writeln!(
            out,
            "{rel} already runs `director hook {}`; nothing changed",
            harness.name()
        );
    } else {
        let text = format!("{}\n", serde_json::to_string_pretty(&settings)?);
        director::store::write_atomic(&path, text.as_bytes())?;
        let _ = writeln!(
            out,
            "updated {rel}: `director hook {}` on {}",
            harness.name(),
            added.join(", ")
        );
    }
    if harness == Harness::Codex {
        let _ = writeln!(
            out,
            "note: Codex runs hooks only with `[features] codex_hooks = true` in ~/.codex/config.toml or .codex/config.toml"
        );
    }
    let _ = writeln!(
        out,
        "next: pin a task with `echo <id> > .director/current-task` (optional; otherwise the task comes from the session) \
         and set [hook] on_error / max_rounds / budget_secs in your user configuration if the defaults do not fit"
    );
    emit(&out, None)?;
    Ok(exit::PASS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_other_hooks_and_is_idempotent() {
        let mut settings: Map<String, Value> = serde_json::from_str(
            r#"{"model": "x", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "./lint.sh"}]}]}}"#,
        )
        .unwrap();
        let added = merge(Harness::ClaudeCode, &mut settings, "s").unwrap();
        assert_eq!(added, ["Stop", "SessionStart"]);
        assert_eq!(settings["model"], "x");
        assert_eq!(settings["hooks"]["Stop"].as_array().unwrap().len(), 2);
        assert_eq!(
            settings["hooks"]["Stop"][0]["hooks"][0]["command"],
            "./lint.sh"
        );
        assert!(
            merge(Harness::ClaudeCode, &mut settings, "s")
                .unwrap()
                .is_empty()
        );
        let mut bad: Map<String, Value> = serde_json::from_str(r#"{"hooks": []}"#).unwrap();
        assert!(merge(Harness::Gemini, &mut bad, "s").is_err());
    }

    #[test]
    fn cursor_gets_a_version_and_a_flat_stop_entry() {
        let mut settings = Map::new();
        merge(Harness::Cursor, &mut settings, "s").unwrap();
        assert_eq!(
            Value::Object(settings),
            json!({"version": 1, "hooks": {"stop": [{"command": "director hook cursor"}]}})
        );
    }
}

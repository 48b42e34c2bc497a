//! Target `task`: task files (TOML) and pipeline tasks (JSON).
//!
//! The same text goes to [`parse_task_toml`] and [`parse_task_json`]. Invariants: an
//! error renders (message and hint) without panicking; a task that parses is
//! rendered by [`task_to_toml`] (what `director task new` writes) and as JSON, and
//! both parse back to the same task.

use director_context::task::task_to_toml;
use director_context::{parse_task_json, parse_task_toml};
use director_core::Task;

fn assert_round_trip(task: &Task) {
    let toml = task_to_toml(task);
    match parse_task_toml(&toml, "round-trip.toml") {
        Ok(again) => assert_eq!(&again, task, "task changed in a TOML round trip:\n{toml}"),
        Err(e) => panic!("a parsed task does not parse back from TOML: {e}\n{toml}"),
    }
    let json = serde_json::to_string(task).unwrap_or_default();
    match parse_task_json(&json, "round-trip.json") {
        Ok(again) => assert_eq!(&again, task, "task changed in a JSON round trip"),
        Err(e) => panic!("a parsed task does not parse back from JSON: {e}\n{json}"),
    }
}

/// Parse the input as a TOML task file and as a JSON task.
pub fn run(data: &[u8]) {
    let text = crate::text(data);
    for parsed in [
        parse_task_toml(&text, "fuzz.toml"),
        parse_task_json(&text, "fuzz.json"),
    ] {
        match parsed {
            Ok(task) => assert_round_trip(&task),
            Err(e) => {
                let _ = (e.to_string(), e.hint());
            }
        }
    }
}

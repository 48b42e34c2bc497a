//! The description of a tool a Director may call (function calling): one type shared
//! by the crate that implements the repository tools (`director-context`), the review
//! loop that offers tools to the model (`director-llm`) and the orchestrator that adds
//! tools of its own (MCP servers).

use serde::{Deserialize, Serialize};

/// A tool as offered to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Function name (`^[a-zA-Z0-9_-]{1,64}$`, as OpenAI-compatible servers require).
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON schema of the arguments.
    pub parameters: serde_json::Value,
}

/// True when `name` is a function name every OpenAI-compatible server accepts:
/// 1 to 64 ASCII letters, digits, `_` or `-`.
pub fn is_valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names() {
        assert!(is_valid_tool_name("read_file"));
        assert!(is_valid_tool_name("mcp__mon__list-monitors"));
        assert!(!is_valid_tool_name(""));
        assert!(!is_valid_tool_name("a.b"));
        assert!(!is_valid_tool_name(&"x".repeat(65)));
    }
}

//! Nesting limits for repository text handed to recursive parsers. YAML (and JSON
//! read as YAML) is parsed by `saphyr`, which builds and drops documents
//! recursively: a file nested a hundred thousand levels deep would exhaust the
//! stack. Every crate that parses YAML from the repository asks [`yaml_too_deep`]
//! first and treats a refused file as unparsable. (HCL needs no pre-check: `hcl-edit`
//! limits its own nesting; `serde_json` and `toml` do too.)
//!
//! The check is a cheap upper bound on the nesting, not a parser: it may refuse a
//! file whose brackets sit inside strings, never accept one that nests deeper.

/// Deepest block indentation accepted: leading columns of spaces and the `- ` / `? `
/// indicators that open a nested collection on the same line.
pub const MAX_LEADING_COLUMNS: usize = 256;

/// Deepest flow nesting (`[` / `{`) accepted.
pub const MAX_FLOW_DEPTH: usize = 64;

/// `Some(limit)` when `text` may nest deeper than the limits above (the limit it
/// exceeds), `None` when it certainly does not.
pub fn yaml_too_deep(text: &str) -> Option<usize> {
    let mut flow: usize = 0;
    for line in text.lines() {
        let leading = line
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'-' | b'?'))
            .count();
        if leading > MAX_LEADING_COLUMNS {
            return Some(MAX_LEADING_COLUMNS);
        }
        for b in line.bytes() {
            match b {
                b'[' | b'{' => {
                    flow += 1;
                    if flow > MAX_FLOW_DEPTH {
                        return Some(MAX_FLOW_DEPTH);
                    }
                }
                b']' | b'}' => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_documents_pass() {
        let manifest = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    args: [\"x\", {k: [1, 2]}]\n";
        assert_eq!(yaml_too_deep(manifest), None);
        assert_eq!(yaml_too_deep(&format!("a: {}", "[".repeat(64))), None);
    }

    #[test]
    fn deep_flow_and_block_nesting_is_refused() {
        assert_eq!(yaml_too_deep(&"[".repeat(100_000)), Some(MAX_FLOW_DEPTH));
        assert_eq!(
            yaml_too_deep(&format!("{{\"a\":{}", "{\"a\":".repeat(100))),
            Some(MAX_FLOW_DEPTH)
        );
        for opener in ["- ", "? ", " "] {
            assert_eq!(
                yaml_too_deep(&format!("{}x\n", opener.repeat(300))),
                Some(MAX_LEADING_COLUMNS),
                "{opener:?}"
            );
        }
        // Closing brackets bring the depth back down, across lines too.
        let balanced = "[1]\n".repeat(1000) + &"[".repeat(64);
        assert_eq!(yaml_too_deep(&balanced), None);
    }
}

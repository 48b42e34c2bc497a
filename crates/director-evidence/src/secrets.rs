//! Plaintext secrets in infrastructure definitions: credentials written into EC2
//! `user_data`, an ECS container's `environment` or a Kubernetes ConfigMap. Two kinds
//! of evidence count: a token whose shape is unmistakable (AWS access keys, GitHub,
//! Slack and Stripe tokens, private keys), and a literal value assigned to a
//! secret-like name (`DB_PASSWORD`, `api_key`, ...) that is not a reference,
//! placeholder, path or number.

use crate::source::SourceText;
use regex::Regex;
use std::sync::LazyLock;

/// Fixed-shape tokens: (what, pattern).
const TOKENS: &[(&str, &str)] = &[
    ("an AWS access key id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    (
        "an AWS secret access key",
        r#"(?i)aws_?secret_?access_?key\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b"#,
    ),
    (
        "a GitHub token",
        r"\b(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
    ),
    ("a Slack token", r"\bxox[baprs]-[A-Za-z0-9\-]{10,}"),
    ("a Stripe key", r"\b(?:sk|rk)_live_[A-Za-z0-9]{16,}"),
    (
        "a private key",
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----",
    ),
];

/// `NAME = value` / `NAME: value` where NAME is secret-like, in free text (scripts,
/// config files inside a ConfigMap).
const ASSIGNMENT: &str = r#"(?i)\b([A-Za-z0-9_.\-]*(?:password|passwd|secret|token|api_?key|apikey|access_?key|private_?key|credentials?)[A-Za-z0-9_.\-]*)["']?[ \t]*(?:=|:)[ \t]*["']?([^\s"'`;,#]+)"#;

/// Secret-like names.
const NAME: &str = r"(?i)(password|passwd|pwd|secret|token|api_?key|apikey|access_?key|private_?key|credentials?|auth)";

/// Name suffixes that say the value is not the secret itself but where to find it.
const INDIRECT_SUFFIXES: &[&str] = &[
    "_file", "_path", "_arn", "_name", "_id", "_url", "_uri", "_ref", "_env", "_key_id", "_ttl",
    "_expiry", "_timeout", "_length", "_header", "_type", "_enabled", "_version", "_region",
];

struct Patterns {
    tokens: Vec<(&'static str, Regex)>,
    assignment: Regex,
    name: Regex,
}

#[expect(
    clippy::expect_used,
    reason = "constant patterns; the unit tests compile every one"
)]
static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| Patterns {
    tokens: TOKENS
        .iter()
        .map(|(what, p)| (*what, Regex::new(p).expect("token pattern")))
        .collect(),
    assignment: Regex::new(ASSIGNMENT).expect("assignment pattern"),
    name: Regex::new(NAME).expect("name pattern"),
});

/// A secret found in a piece of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// What it is, for the finding's title (`an AWS access key id`, `a value for
    /// DB_PASSWORD`); never the value itself.
    pub what: String,
    /// A piece of the text that contains the secret, to locate its line in the file.
    pub needle: String,
}

/// True if `name` names a secret (and not a pointer to one, such as `SECRET_ARN`).
pub(crate) fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    PATTERNS.name.is_match(name) && !INDIRECT_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// True if `value` looks like a literal secret rather than a reference, placeholder,
/// path, number or switch.
pub(crate) fn is_literal_secret(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    v.len() >= 6
        && !v.starts_with('$')
        && !v.starts_with('<')
        && !v.contains("{{")
        && !v.contains("${")
        && !v.starts_with('/')
        && !v.starts_with("arn:")
        && (!v.contains("://") || v.contains('@'))
        && !v.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !matches!(lower.as_str(), "true" | "false" | "null" | "none")
        && !lower.starts_with("ssm:")
        && !lower.starts_with("secretsmanager:")
        && !lower.starts_with("vault:")
        && !v.chars().all(|c| c == '*' || c == 'x' || c == 'X')
}

/// A secret assigned to `name` (an environment variable or ConfigMap key).
pub(crate) fn in_assignment(name: &str, value: &str) -> Option<Found> {
    if let Some(found) = in_text(value) {
        return Some(found);
    }
    (is_secret_name(name) && is_literal_secret(value)).then(|| Found {
        what: format!("a literal value for `{name}`"),
        needle: value.trim().to_string(),
    })
}

/// The first secret in free text (a script, a config file).
pub(crate) fn in_text(text: &str) -> Option<Found> {
    for (what, re) in &PATTERNS.tokens {
        if let Some(m) = re.find(text) {
            return Some(Found {
                what: (*what).to_string(),
                needle: m.as_str().to_string(),
            });
        }
    }
    PATTERNS.assignment.captures_iter(text).find_map(|c| {
        let name = c.get(1)?.as_str();
        let value = c.get(2)?.as_str();
        let whole = c.get(0)?.as_str();
        (is_secret_name(name) && is_literal_secret(value)).then(|| Found {
            what: format!("a literal value for `{name}`"),
            needle: whole.to_string(),
        })
    })
}

/// The first line in `lines` (inclusive) of `src` that contains `needle` (or its first
/// line, for a needle spanning lines).
pub(crate) fn find_line(src: &SourceText<'_>, lines: (u32, u32), needle: &str) -> Option<u32> {
    let first = needle.lines().next().unwrap_or(needle).trim();
    if first.is_empty() {
        return None;
    }
    (lines.0..=lines.1).find(|&n| src.line(n).contains(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_and_find() {
        assert!(PATTERNS.tokens.len() == TOKENS.len());
        let f = in_text("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n").unwrap();
        assert_eq!(f.what, "an AWS access key id");
        assert_eq!(f.needle, "AKIAIOSFODNN7EXAMPLE");
        let f = in_text("#!/bin/bash\necho 'DB_PASSWORD=s3cr3t-Pa55' >> /etc/app.env\n").unwrap();
        assert!(f.what.contains("DB_PASSWORD"), "{f:?}");
        assert!(in_text("export DB_PASSWORD=$(aws ssm get-parameter ...)\n").is_none());
        assert!(in_text("TOKEN_TTL=3600\nSECRET_ARN=arn:aws:secretsmanager:x\n").is_none());
        assert!(in_text("-----BEGIN RSA PRIVATE KEY-----\nabc\n").is_some());
    }

    #[test]
    fn names_and_values() {
        assert!(in_assignment("DB_PASSWORD", "hunter2-hunter2").is_some());
        assert!(in_assignment("DB_PASSWORD", "${var.password}").is_none());
        assert!(in_assignment("DB_PASSWORD_FILE", "/run/secrets/db").is_none());
        assert!(in_assignment("API_KEY_ID", "abcdefgh").is_none());
        assert!(in_assignment("LOG_LEVEL", "debug").is_none());
        assert!(in_assignment("SESSION_TOKEN_TTL", "3600").is_none());
        assert!(in_assignment("GITHUB", "ghp_0123456789abcdefghijABCDEFGHIJ012345").is_some());
        assert!(in_assignment("PASSWORD", "short").is_none());
    }

    #[test]
    fn lines_are_located() {
        let src = SourceText::new("f", "a\nb = \"x\"\n  PASSWORD=abc123456\n");
        assert_eq!(find_line(&src, (1, 3), "PASSWORD=abc123456"), Some(3));
        assert_eq!(find_line(&src, (1, 2), "PASSWORD=abc123456"), None);
    }
}

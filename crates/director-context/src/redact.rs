//! Secret redaction: every piece of repository text is passed through [`redact`]
//! before it is packed into a Director's context or returned by a tool. Known secret
//! forms are replaced with `[REDACTED:<kind>]`; only counts per kind are kept, never
//! the values.
//!
//! Replacements keep every newline of the text they replace, so line numbers of the
//! redacted text match the file: a Director's citation still points at the right line.
//!
//! What is found: cloud and provider tokens by their fixed shapes (AWS access key
//! ids, GitHub, GitLab, Slack, Stripe, Google, OpenAI, Anthropic, npm, PyPI, SendGrid,
//! Hugging Face, Azure storage keys, JWTs), PEM private key blocks (whole block),
//! passwords in connection strings, Kubernetes `Secret` `data`/`stringData` values,
//! and values assigned to secret-like names: passwords always (when the value is a
//! literal), other secrets (token, api key, credential, auth, ...) when the value is
//! long and high-entropy, or always in `.env` files and tfvars.

use crate::text::shannon_entropy;
use regex::{Regex, RegexSet};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Text with its secrets replaced, and how many of each kind were replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redacted {
    /// The redacted text (same number of lines as the input).
    pub text: String,
    /// Replacements per kind, e.g. `{"aws-access-key-id": 1}`.
    pub counts: BTreeMap<String, u32>,
}

impl Redacted {
    /// Total number of replacements.
    pub fn total(&self) -> u32 {
        self.counts.values().sum()
    }
}

/// Add the counts of `from` into `into`.
pub fn merge_counts(into: &mut BTreeMap<String, u32>, from: &BTreeMap<String, u32>) {
    for (kind, n) in from {
        *into.entry(kind.clone()).or_default() += n;
    }
}

/// Minimum length of a value assigned to a secret-like name for the entropy rule.
const ENTROPY_MIN_LEN: usize = 16;
/// Minimum Shannon entropy (bits per character) for the entropy rule.
const ENTROPY_MIN_BITS: f64 = 3.0;

/// Fixed-shape tokens: (kind, pattern). Order is priority on ties.
const TOKEN_PATTERNS: &[(&str, &str)] = &[
    (
        "aws-access-key-id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
    ),
    (
        "github-token",
        r"\b(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
    ),
    ("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    ("slack-token", r"\bxox[baprs]-[A-Za-z0-9\-]{10,}"),
    (
        "slack-webhook",
        r"https://hooks\.slack\.com/services/[A-Za-z0-9_/\-]{20,}",
    ),
    ("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    (
        "openai-key",
        r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}",
    ),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi-token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),
    (
        "sendgrid-key",
        r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b",
    ),
    ("huggingface-token", r"\bhf_[A-Za-z0-9]{34,}\b"),
    ("azure-storage-key", r"(?i)AccountKey=[A-Za-z0-9+/=]{80,}"),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
    ),
];

struct Patterns {
    tokens: Vec<(&'static str, Regex)>,
    token_set: RegexSet,
    private_key: Regex,
    connection: Regex,
    assignment: Regex,
    key_material: Regex,
    doc_kind: Regex,
    reference: Regex,
}

#[expect(
    clippy::expect_used,
    reason = "constant patterns; every one is compiled by the unit tests"
)]
static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    Patterns {
    tokens: TOKEN_PATTERNS
        .iter()
        .map(|(k, p)| (*k, Regex::new(p).expect("token pattern")))
        .collect(),
    token_set: RegexSet::new(TOKEN_PATTERNS.iter().map(|(_, p)| *p)).expect("token set"),
    private_key: Regex::new(
        r"(?s)-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\z)",
    )
    .expect("private key pattern"),
    connection: Regex::new(
        r#"(?i)\b[a-z][a-z0-9+.\-]{1,30}://[^\s:/@'"<>]{1,256}:([^\s@/'"<>]{1,256})@"#,
    )
    .expect("connection pattern"),
    assignment: Regex::new(
        r#"(?m)(?P<key>[A-Za-z0-9_.\-]*(?i:pass|pwd|secret|token|key|cred|auth|bearer)[A-Za-z0-9_.\-]*)["']?[ \t]*(?:=>|:=|=|:)[ \t]*(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s"',;#})\]\[(]+))"#,
    )
    .expect("assignment pattern"),
    key_material: Regex::new(r"(?m)^[ \t]*([A-Za-z0-9+/]{60,}={0,2})[ \t]*\r?$")
        .expect("key material pattern"),
    doc_kind: Regex::new(r#"^kind:\s*["']?([A-Za-z]+)"#).expect("kind pattern"),
    reference: Regex::new(r#"^[A-Za-z_$][A-Za-z0-9_]*(?:(?:\.|::|->)[A-Za-z_][A-Za-z0-9_]*|\[[^\]]*\])+$"#)
        .expect("reference pattern"),
}
});

#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    kind: &'static str,
    priority: u8,
}

/// What sort of file the text comes from, for the assignment rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// `.env*` and `*.tfvars`: every value of a secret-like name is a secret.
    Strict,
    /// YAML, INI, TOML, properties: bare values are literals.
    Config,
    /// Code: bare values are expressions.
    Code,
}

fn file_kind(path: &str) -> FileKind {
    let name = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    if crate::text::is_dotenv_name(&name)
        || name.ends_with(".tfvars")
        || name.ends_with(".tfvars.json")
    {
        return FileKind::Strict;
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if matches!(
        ext,
        "yaml" | "yml" | "ini" | "cfg" | "conf" | "properties" | "toml" | "env" | "cnf"
    ) || matches!(
        name.as_str(),
        ".npmrc" | ".pypirc" | ".netrc" | ".pgpass" | "credentials" | ".dockercfg"
    ) {
        FileKind::Config
    } else {
        FileKind::Code
    }
}

/// Compile the patterns now (see [`crate::warm_up`]).
pub(crate) fn warm_up() {
    LazyLock::force(&PATTERNS);
}

/// Replace the secrets in `text` (from the file at `path`, which selects the rules
/// for `.env`, tfvars and YAML) with `[REDACTED:<kind>]`.
pub fn redact(text: &str, path: &str) -> Redacted {
    let p = &*PATTERNS;
    let mut spans: Vec<Span> = Vec::new();

    if text.contains("PRIVATE KEY") {
        for m in p.private_key.find_iter(text) {
            spans.push(span(m.start(), m.end(), "private-key", 0));
        }
    }
    for idx in p.token_set.matches(text).iter() {
        let (kind, re) = &p.tokens[idx];
        for m in re.find_iter(text) {
            spans.push(span(m.start(), m.end(), kind, 1 + idx as u8));
        }
    }
    if text.contains("://") {
        for c in p.connection.captures_iter(text) {
            if let Some(pw) = c.get(1)
                && !is_placeholder(pw.as_str())
            {
                spans.push(span(pw.start(), pw.end(), "connection-string-password", 40));
            }
        }
    }
    kubernetes_secret_spans(text, path, &mut spans);
    let kind = file_kind(path);
    // Matches are searched one by one rather than with `captures_iter`: a value may
    // itself be the name of the next assignment (`credentials: aws_secret_access_key =
    // …`), so the search resumes at its start; overlapping spans are settled by `apply`.
    let mut at = 0;
    while let Some(c) = p.assignment.captures_at(text, at) {
        let (Some(key), Some(whole)) = (c.name("key"), c.get(0)) else {
            break;
        };
        let (value, quoted) = match (c.name("dq"), c.name("sq"), c.name("bare")) {
            (Some(v), _, _) | (_, Some(v), _) => (v, true),
            (_, _, Some(v)) => (v, false),
            _ => break,
        };
        if let Some(found) = assignment_kind(key.as_str(), value.as_str(), quoted, kind) {
            spans.push(span(value.start(), value.end(), found, 60));
        }
        // The value starts after the key and its separator, so the search moves on.
        at = value.start().max(whole.start() + 1);
        while at < text.len() && !text.is_char_boundary(at) {
            at += 1;
        }
    }
    for c in p.key_material.captures_iter(text) {
        if let Some(m) = c.get(1) {
            let v = m.as_str();
            if v.bytes().any(|b| b.is_ascii_digit())
                && v.bytes().any(|b| b.is_ascii_uppercase())
                && v.bytes().any(|b| b.is_ascii_lowercase())
            {
                spans.push(span(m.start(), m.end(), "key-material", 80));
            }
        }
    }
    apply(text, spans)
}

fn span(start: usize, end: usize, kind: &'static str, priority: u8) -> Span {
    Span {
        start,
        end,
        kind,
        priority,
    }
}

/// Keep the earliest, longest, highest-priority span of every overlapping group and
/// write the replacements.
fn apply(text: &str, mut spans: Vec<Span>) -> Redacted {
    let mut counts = BTreeMap::new();
    if spans.is_empty() {
        return Redacted {
            text: text.to_string(),
            counts,
        };
    }
    spans.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(a.priority.cmp(&b.priority))
    });
    let mut out = String::with_capacity(text.len());
    let mut last = 0usize;
    for s in spans {
        if s.start < last || s.end <= s.start {
            continue;
        }
        out.push_str(&text[last..s.start]);
        out.push_str("[REDACTED:");
        out.push_str(s.kind);
        out.push(']');
        let replaced = &text[s.start..s.end];
        for _ in 0..replaced.bytes().filter(|&b| b == b'\n').count() {
            out.push('\n');
        }
        *counts.entry(s.kind.to_string()).or_default() += 1;
        last = s.end;
    }
    out.push_str(&text[last..]);
    Redacted { text: out, counts }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecretName {
    Password,
    Secret,
    AwsSecret,
}

/// Split an identifier into lowercase words: `DB_PASSWORD` → `db password`,
/// `clientSecret` → `client secret`.
fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Words that make a secret-like name describe something else (a length, a file,
/// a URL, a name ...).
const NOT_A_VALUE: &[&str] = &[
    "length",
    "len",
    "min",
    "max",
    "policy",
    "file",
    "path",
    "dir",
    "enabled",
    "enable",
    "required",
    "field",
    "prompt",
    "reset",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "rotation",
    "url",
    "uri",
    "endpoint",
    "name",
    "type",
    "format",
    "strength",
    "regex",
    "pattern",
    "label",
    "placeholder",
    "hint",
    "count",
    "age",
    "size",
    "id",
    "version",
    "header",
    "prefix",
    "suffix",
    "ref",
    "arn",
    "kms",
    "algorithm",
    "alg",
    "usage",
    "limit",
    "timeout",
    "duration",
    "lifetime",
    "provider",
    "mode",
    "source",
    "location",
    "param",
    "parameter",
    "input",
    "schema",
    "class",
    "description",
    "store",
    "manager",
    "method",
    "scheme",
    "env",
    "var",
    "variable",
    "key_name",
    "keys",
    "tokens",
    "secrets",
    "passwords",
];

fn secret_name(key: &str) -> Option<SecretName> {
    let w = words(key);
    if w.is_empty() || w.iter().any(|x| NOT_A_VALUE.contains(&x.as_str())) {
        return None;
    }
    let has = |s: &str| w.iter().any(|x| x == s);
    let pair = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
    if (has("aws") && has("secret")) || (pair("secret", "access") && has("key")) {
        return Some(SecretName::AwsSecret);
    }
    if has("password") || has("passwd") || has("pwd") || has("pass") || has("passphrase") {
        return Some(SecretName::Password);
    }
    let joined = w.concat();
    if has("secret")
        || has("token")
        || has("apikey")
        || has("credential")
        || has("credentials")
        || has("auth")
        || has("oauth")
        || has("authorization")
        || has("bearer")
        || pair("api", "key")
        || pair("access", "key")
        || pair("private", "key")
        || pair("secret", "key")
        || pair("signing", "key")
        || pair("encryption", "key")
        || pair("master", "key")
        || pair("license", "key")
        || joined.ends_with("apikey")
        || joined.ends_with("privatekey")
        || joined.ends_with("accesskey")
        || joined.ends_with("secretkey")
        || joined.ends_with("authtoken")
    {
        return Some(SecretName::Secret);
    }
    None
}

/// Values that are obviously not secrets: empty, templated, references to
/// environment variables, booleans, masks, earlier redactions.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if v.starts_with('$')
        || v.starts_with("{{")
        || v.starts_with('<')
        || v.starts_with('%')
        || v.starts_with("#{")
        || v.starts_with('!')
        || v.starts_with('&')
        || v.starts_with('*')
        || v.starts_with("[REDACTED")
        || lower.starts_with("your")
        || lower.starts_with("env(")
        || lower.contains("redacted")
    {
        return true;
    }
    if matches!(
        lower.as_str(),
        "null" | "none" | "nil" | "true" | "false" | "yes" | "no" | "|" | ">" | "|-" | ">-" | "~"
    ) {
        return true;
    }
    let mut chars = v.chars();
    let first = chars.next();
    v.len() >= 3 && chars.all(|c| Some(c) == first)
}

fn high_entropy(value: &str) -> bool {
    value.len() >= ENTROPY_MIN_LEN
        && !value.chars().any(char::is_whitespace)
        && shannon_entropy(value) >= ENTROPY_MIN_BITS
}

fn looks_like_locator(value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    (v.starts_with("http://") || v.starts_with("https://")) && !v.contains('@')
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || v.starts_with("arn:")
        || v.starts_with("projects/")
}

fn assignment_kind(key: &str, value: &str, quoted: bool, kind: FileKind) -> Option<&'static str> {
    let name = secret_name(key)?;
    if is_placeholder(value) {
        return None;
    }
    let literal = quoted || kind != FileKind::Code;
    if !literal && PATTERNS.reference.is_match(value) {
        return None;
    }
    match name {
        SecretName::AwsSecret => {
            let b64 = value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b'='));
            if value.len() == 40 && b64 {
                Some("aws-secret-access-key")
            } else if kind == FileKind::Strict || high_entropy(value) {
                Some("secret")
            } else {
                None
            }
        }
        SecretName::Password => {
            if literal && !looks_like_locator(value) || high_entropy(value) {
                Some("password")
            } else {
                None
            }
        }
        SecretName::Secret => {
            if kind == FileKind::Strict || (high_entropy(value) && !looks_like_locator(value)) {
                Some("secret")
            } else {
                None
            }
        }
    }
}

/// Values under `data:` / `stringData:` of Kubernetes `Secret` documents, found
/// line by line so templated or partial YAML (diff hunks) is handled too.
fn kubernetes_secret_spans(text: &str, path: &str, spans: &mut Vec<Span>) {
    let lower_path = path.to_ascii_lowercase();
    let yaml_path = lower_path.ends_with(".yaml") || lower_path.ends_with(".yml");
    if !(yaml_path || text.contains("kind: Secret")) {
        return;
    }
    if !(text.contains("data:") || text.contains("stringData:")) {
        return;
    }
    let file_says_secret = lower_path
        .rsplit('/')
        .next()
        .is_some_and(|n| n.contains("secret"));
    // (start offset, line) pairs, split into documents at `---`.
    let mut docs: Vec<Vec<(usize, &str)>> = vec![Vec::new()];
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if content.starts_with("---") {
            docs.push(Vec::new());
        } else if let Some(doc) = docs.last_mut() {
            doc.push((offset, content));
        }
        offset += line.len();
    }
    for doc in docs {
        let kind = doc
            .iter()
            .find_map(|(_, l)| PATTERNS.doc_kind.captures(l).map(|c| c[1].to_string()));
        let is_secret = match kind.as_deref() {
            Some(k) => k == "Secret",
            None => file_says_secret,
        };
        if is_secret {
            secret_doc_spans(&doc, spans);
        }
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

fn secret_doc_spans(doc: &[(usize, &str)], spans: &mut Vec<Span>) {
    const KIND: &str = "kubernetes-secret";
    let mut data_indent: Option<usize> = None;
    // An open block scalar: (indent of its key, start offset, end offset).
    let mut block: Option<(usize, usize, usize)> = None;
    for &(offset, line) in doc {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let ind = indent_of(line);
        if let Some((key_indent, start, end)) = block {
            if ind > key_indent {
                block = Some((key_indent, start, offset + line.len()));
                continue;
            }
            spans.push(span(start, end, KIND, 20));
            block = None;
        }
        if let Some(d) = data_indent
            && ind <= d
        {
            data_indent = None;
        }
        if trimmed == "data:" || trimmed == "stringData:" {
            data_indent = Some(ind);
            continue;
        }
        if data_indent.is_none() {
            continue;
        }
        let Some((_, value)) = trimmed.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if value.starts_with('|') || value.starts_with('>') {
            // The value is on the following, more indented lines.
            let next = offset + line.len();
            block = Some((ind, next, next));
            continue;
        }
        let value_start = offset + line.len() - line.trim_start().len();
        let value_start = value_start + trimmed.len() - value.len();
        let value_end = value_start + value.len();
        if !is_placeholder(value.trim_matches(['"', '\''])) {
            spans.push(span(value_start, value_end, KIND, 20));
        }
    }
    if let Some((_, start, end)) = block
        && end > start
    {
        spans.push(span(start, end, KIND, 20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, path: &str) -> (String, Vec<String>) {
        let r = redact(text, path);
        assert_eq!(
            r.text.lines().count(),
            text.lines().count(),
            "line count changed for {text:?}: {:?}",
            r.text
        );
        (r.text, r.counts.keys().cloned().collect())
    }

    #[test]
    fn patterns_compile() {
        let p = &*PATTERNS;
        assert_eq!(p.tokens.len(), TOKEN_PATTERNS.len());
    }

    #[test]
    fn provider_tokens() {
        let cases = [
            (
                "key = AKIAIOSFODNN7EXAMPLE",
                "aws-access-key-id",
                "AKIAIOSFODNN7EXAMPLE",
            ),
            (
                "ASIAY34FZKBOKMUTVV7A",
                "aws-access-key-id",
                "ASIAY34FZKBOKMUTVV7A",
            ),
            (
                "t: ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                "github-token",
                "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "github-token",
                "github_pat_11ABCDEFG",
            ),
            (
                "glpat-abcdefghij0123456789",
                "gitlab-token",
                "glpat-abcdefghij0123456789",
            ),
            (
                "xoxb-1234567890-abcdefghij",
                "slack-token",
                "xoxb-1234567890",
            ),
            (
                "sk_live_abcdefghijklmnop1234",
                "stripe-key",
                "sk_live_abcdefghij",
            ),
            (
                "rk_live_abcdefghijklmnop1234",
                "stripe-key",
                "rk_live_abcdefghij",
            ),
            (
                "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
                "google-api-key",
                "AIzaSyA-abcdefghij",
            ),
            (
                "OPENAI=sk-proj-abcdefghijklmnopqrstuvwxyz012345",
                "openai-key",
                "sk-proj-abcdefghij",
            ),
            (
                "x sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
                "anthropic-key",
                "sk-ant-api03-abcdefghij",
            ),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "jwt",
                "eyJhbGciOiJIUzI1NiJ9",
            ),
        ];
        for (text, kind, secret) in cases {
            let (out, found) = kinds(text, "src/config.py");
            assert!(
                found.contains(&kind.to_string()),
                "{kind} not found in {text}: {found:?}"
            );
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
    }

    #[test]
    fn private_key_block_keeps_lines() {
        let text = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1\nabcDEF123\n-----END RSA PRIVATE KEY-----\nafter\n";
        let r = redact(text, "id_rsa");
        assert_eq!(r.counts.get("private-key"), Some(&1));
        assert!(!r.text.contains("MIIEow"));
        assert!(r.text.starts_with("before\n[REDACTED:private-key]\n"));
        assert!(r.text.ends_with("after\n"));
        assert_eq!(r.text.lines().count(), text.lines().count());
        // Unterminated block (a hunk cut in the middle) is redacted to the end.
        let r = redact(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n",
            "k",
        );
        assert!(!r.text.contains("b3Blbn"));
    }

    #[test]
    fn pem_body_lines_without_header() {
        let line = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
        let (out, found) = kinds(&format!("{line}\n{line}\n"), "x.pem");
        assert!(!out.contains(line));
        assert_eq!(found, vec!["key-material".to_string()]);
    }

    #[test]
    fn assignments() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("db_password = \"hunter2\"", "main.tf", Some("hunter2")),
            ("password: hunter2", "values.yaml", Some("hunter2")),
            ("DB_PASSWORD=hunter2", ".env", Some("hunter2")),
            ("API_KEY=abc", ".env", Some("abc")),
            ("api_token = \"short\"", "prod.tfvars", Some("short")),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "credentials",
                Some("wJalrXUtnFEMI"),
            ),
            (
                "\"clientSecret\": \"q8Zr3TnW5yXc2Lp9Vb7Km4Hd\"",
                "app.json",
                Some("q8Zr3TnW5yXc2Lp9Vb7Km4Hd"),
            ),
            (
                "const apiKey = 'Zx9Qw8Er7Ty6Ui5Op4As3Df2'",
                "a.ts",
                Some("Zx9Qw8Er7Ty6Ui5Op4As3Df2"),
            ),
        ];
        for (text, path, secret) in cases {
            let (out, found) = kinds(text, path);
            if let Some(s) = secret {
                assert!(!out.contains(s), "{s} leaked from {text} ({path}): {out}");
                assert!(!found.is_empty());
            }
        }
    }

    #[test]
    fn non_secrets_are_left_alone() {
        let cases = [
            ("password = var.db_password", "main.tf"),
            ("password = getPassword()", "a.py"),
            ("password: ${DB_PASSWORD}", "compose.yaml"),
            ("password: \"{{ .Values.password }}\"", "t.yaml"),
            ("min_password_length = 12", "main.tf"),
            ("author = \"Jane Doe\"", "Cargo.toml"),
            (
                "token_url = \"https://auth.example.com/oauth/token\"",
                "a.toml",
            ),
            ("api_key = \"changeit\"", "a.py"),
            ("cache_key = \"users:all:by-created-at:v2\"", "a.py"),
            ("max_tokens = 4096", "a.py"),
            ("secret_name = \"db-credentials\"", "main.tf"),
            ("kind: ConfigMap\ndata:\n  LOG_LEVEL: debug\n", "cm.yaml"),
            ("postgres://app:${PGPASSWORD}@db:5432/app", "a.py"),
            ("password:\n  from_env: X", "a.yaml"),
        ];
        for (text, path) in cases {
            let r = redact(text, path);
            assert_eq!(r.text, text, "changed {text:?} in {path}");
            assert_eq!(r.total(), 0);
        }
    }

    #[test]
    fn connection_strings() {
        let (out, found) = kinds(
            "DATABASE_URL=postgres://app:s3cr3tPass@db.internal:5432/app",
            "settings.py",
        );
        assert!(!out.contains("s3cr3tPass"));
        assert!(out.contains("postgres://app:[REDACTED:connection-string-password]@db.internal"));
        assert_eq!(found, vec!["connection-string-password".to_string()]);
    }

    #[test]
    fn kubernetes_secret_data() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  username: YWRtaW4=\n  password: c3VwZXJzZWNyZXQ=\nstringData:\n  config.yaml: |\n    user: admin\n    token: abc\n  plain: hello-world\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n  mode: fast\n";
        let r = redact(text, "k8s/secret.yaml");
        assert_eq!(r.text.lines().count(), text.lines().count());
        for leaked in ["YWRtaW4=", "c3VwZXJzZWNyZXQ=", "user: admin", "hello-world"] {
            assert!(!r.text.contains(leaked), "{leaked} leaked: {}", r.text);
        }
        assert!(r.text.contains("mode: fast"));
        assert!(r.text.contains("name: db"));
        assert_eq!(r.counts.get("kubernetes-secret"), Some(&4));
    }

    #[test]
    fn a_value_that_names_the_next_secret_does_not_hide_it() {
        let text = "exporter credentials: aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Rk2Lw9d\n";
        let out = redact(text, "mcp:mon/list_monitors");
        assert!(!out.text.contains("wJalrXUtnFEMI"), "{}", out.text);
        assert!(
            out.text.ends_with("= [REDACTED:aws-secret-access-key]\n"),
            "{}",
            out.text
        );
    }

    #[test]
    fn redaction_is_idempotent_and_never_panics() {
        let text = "password = \"hunter2\"\nAKIAIOSFODNN7EXAMPLE\n";
        let once = redact(text, "a.tf").text;
        let twice = redact(&once, "a.tf");
        assert_eq!(twice.text, once);
        assert_eq!(twice.total(), 0);
        redact("\u{fffd}\u{fffd}password=\u{fffd}", ".env");
        redact("", "");
        redact("-----BEGIN PRIVATE KEY-----", "x");
    }

    #[test]
    fn words_split() {
        assert_eq!(words("DB_PASSWORD"), vec!["db", "password"]);
        assert_eq!(words("clientSecret"), vec!["client", "secret"]);
        assert_eq!(words("x-api-key"), vec!["x", "api", "key"]);
        assert_eq!(secret_name("author"), None);
        assert_eq!(secret_name("AUTH_TOKEN"), Some(SecretName::Secret));
        assert_eq!(secret_name("apiKey"), Some(SecretName::Secret));
        assert_eq!(secret_name("password_length"), None);
    }
}

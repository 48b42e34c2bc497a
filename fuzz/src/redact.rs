//! Target `redact`: secret redaction ([`director_context::redact`]), which everything
//! leaving the context crate goes through.
//!
//! Input: a selector byte (the file name, which picks the rules: `.env`, tfvars,
//! YAML, code …, and where a secret is planted), then the text.
//!
//! Invariants: redaction keeps every line (the packer splits redacted text back into
//! the original lines); a fake secret of a fixed shape planted in the text, between
//! spaces or on a line of its own, never survives, not even its tail.

use director_context::redact;

const PATHS: &[&str] = &[
    "src/main.rs",
    ".env",
    "prod.tfvars",
    "k8s/secret.yaml",
    "config.toml",
    "app.py",
    "README.md",
    "settings.json",
];

/// Fake secrets shaped like real ones (none is a live credential).
const SECRETS: &[&str] = &[
    "ghp_Zq8vN2mL5kT1xR7cW4pY9bH3jD6fG0sA2eUu",
    "AKIAQX7ZKD4M2RNB5TWE",
    "sk_live_9fK2mQ7xL4pR8tV1nB6cZ3wY",
    "glpat-7Hq2XvR9mK4tLp8ZwN3c",
    "xoxb-2716409931-Q9vK2mX7pL4tR8nB",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7qZ2vF9kLm3XpQ8tR4wN6yB1cH5jD0sG2eU\n-----END RSA PRIVATE KEY-----",
];

/// The part of a secret that must never be visible.
fn tail(secret: &str) -> &str {
    match secret.lines().nth(1) {
        Some(body) => body,
        None => &secret[secret.len() / 2..],
    }
}

/// `text` with `secret` planted at a char boundary near `at` (between spaces), or at
/// the start of a line near `at` (on its own line).
fn plant(text: &str, secret: &str, at: usize, own_line: bool) -> String {
    let mut cut = at.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    if own_line {
        cut = text[..cut].rfind('\n').map_or(0, |i| i + 1);
        format!("{}{secret}\n{}", &text[..cut], &text[cut..])
    } else {
        format!("{} {secret} {}", &text[..cut], &text[cut..])
    }
}

/// Redact the input, then the input with a planted secret.
pub fn run(data: &[u8]) {
    let (sel, rest) = crate::selector(data);
    let path = PATHS[usize::from(sel) % PATHS.len()];
    let text = crate::text(rest);

    let red = redact(&text, path);
    assert_eq!(
        red.text.split('\n').count(),
        text.split('\n').count(),
        "redaction changed the line count"
    );

    let secret = SECRETS[usize::from(sel >> 3) % SECRETS.len()];
    let own_line = sel & 0x80 != 0 || secret.contains('\n');
    let at = (usize::from(sel) * 131) % (text.len() + 1);
    let planted = plant(&text, secret, at, own_line);
    let red = redact(&planted, path);
    let hidden = tail(secret);
    assert!(
        red.text.matches(hidden).count() <= text.matches(hidden).count(),
        "a planted secret survived redaction ({path}):\n{}",
        red.text
    );
}

//! Stable finding fingerprints: the same problem on the next run has the same id.
//!
//! The fingerprint hashes the path, the category, the analyzer rule (if any) and the
//! quoted evidence with all whitespace collapsed and case folded. Line numbers are
//! left out on purpose so that edits above a finding do not change its identity.
//! Without evidence, the normalised title stands in for it.

use sha2::{Digest, Sha256};

/// Compute the 16-hex-digit fingerprint of a finding.
pub fn fingerprint(
    path: Option<&str>,
    category: &str,
    rule_id: Option<&str>,
    evidence: Option<&str>,
    title: &str,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.unwrap_or("").as_bytes());
    hasher.update([0]);
    hasher.update(normalize_category(category).as_bytes());
    hasher.update([0]);
    hasher.update(rule_id.unwrap_or("").as_bytes());
    hasher.update([0]);
    match evidence.map(normalize_code).filter(|e| !e.is_empty()) {
        Some(e) => {
            hasher.update(b"e:");
            hasher.update(e.as_bytes());
        }
        None => {
            hasher.update(b"t:");
            hasher.update(normalize_code(title).as_bytes());
        }
    }
    hex(&hasher.finalize()[..8])
}

/// Lower-case hexadecimal of `bytes` (digests, content addresses).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Collapse every run of whitespace to one space, trim, and fold case.
pub fn normalize_code(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Lowercase kebab-case: `Disaster Recovery` and `disaster_recovery` both become
/// `disaster-recovery`.
pub fn normalize_category(category: &str) -> String {
    let mut out = String::with_capacity(category.len());
    for c in category.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "general".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn whitespace_and_case_do_not_matter() {
        let a = fingerprint(Some("a.tf"), "cost", None, Some("x  =\n  1"), "t");
        let b = fingerprint(Some("a.tf"), "Cost", None, Some("X = 1"), "other title");
        assert_eq!(a, b);
        assert_ne!(
            a,
            fingerprint(Some("b.tf"), "cost", None, Some("x = 1"), "t")
        );
        assert_ne!(
            a,
            fingerprint(Some("a.tf"), "cost", Some("r"), Some("x = 1"), "t")
        );
    }

    #[test]
    fn categories_normalise() {
        assert_eq!(normalize_category("Disaster Recovery"), "disaster-recovery");
        assert_eq!(normalize_category("iac_quality"), "iac-quality");
        assert_eq!(normalize_category(" -- "), "general");
    }
}

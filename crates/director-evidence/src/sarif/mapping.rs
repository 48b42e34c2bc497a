//! How a scanner's result becomes a director finding: its severity, its Director and
//! category, and the native rule that already covers it.
//!
//! Severity, first match wins:
//! 1. `[evidence] sarif_severity` in trusted configuration, `"<tool>/<rule id>"` before
//!    `"<tool>"`;
//! 2. a native rule mapped to the result (its Checkov, Trivy or tfsec id): that rule's
//!    policy where the environment is unknown (judged as production);
//! 3. a numeric `security-severity` property (GitHub's convention, written by CodeQL,
//!    Trivy and others): 7.0 and above blocking, 4.0 and above warning, else info;
//! 4. the SARIF level (`result.level`, else the rule's `defaultConfiguration.level`,
//!    else SARIF's default `warning`): `error` blocking, `warning` warning, `note` and
//!    `none` info. Checkov writes `error` for every failed check whatever its weight, so
//!    its level is read as `warning`.
//!
//! Director and category: a native rule's when one is mapped; else from the rule's and
//! result's tags — performance tags go to the Performance Director (`performance`),
//! maintainability and correctness tags without a security tag go to the Code Quality
//! Director (`maintainability` / `correctness`), and everything else to the Security
//! Director (`security`).

use crate::AnalyzerConfig;
use crate::rules::{self, Rule};
use director_core::Severity;

/// Tools whose SARIF level is the same for every result, so it says nothing.
const FLAT_LEVEL_TOOLS: &[&str] = &["checkov", "bridgecrew"];

/// A tool name as a rule-id prefix: lowercase, runs of other characters as `-`
/// (`"Trivy Vulnerability Scanner"` -> `trivy-vulnerability-scanner`).
pub(crate) fn tool_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "sarif".into() } else { out }
}

/// An external check id in a comparable form: upper case, `AVD-` dropped, dashes
/// dropped and leading zeros of the number removed (`AVD-KSV-0008`, `KSV008` and
/// `KSV-8` all become `KSV8`).
pub(crate) fn normalise_id(id: &str) -> String {
    let upper = id.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("AVD-").unwrap_or(&upper);
    let joined: String = bare.chars().filter(|c| *c != '-').collect();
    let digits_at = joined
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let (head, number) = joined.split_at(digits_at);
    if number.is_empty() {
        return joined;
    }
    let number = number.trim_start_matches('0');
    format!("{head}{}", if number.is_empty() { "0" } else { number })
}

/// The native rule that reports the same check, if any.
pub(crate) fn native_rule(tool: &str, rule_id: &str) -> Option<&'static Rule> {
    let want = normalise_id(rule_id);
    let checkov_family = FLAT_LEVEL_TOOLS.contains(&tool);
    rules::ALL_RULES.iter().copied().find(|r| {
        let ids: &[&str] = if checkov_family {
            r.info.checkov
        } else {
            r.info.peers
        };
        ids.iter().any(|id| normalise_id(id) == want)
    })
}

/// What a result says about its own weight.
pub(crate) struct Signals<'a> {
    /// The SARIF level, if the result or its rule gives one.
    pub level: Option<&'a str>,
    /// A numeric `security-severity`.
    pub security_severity: Option<f64>,
}

/// The severity of a result (see the module documentation for the order).
pub(crate) fn severity(
    config: &AnalyzerConfig,
    tool: &str,
    rule_id: &str,
    native: Option<&Rule>,
    signals: &Signals<'_>,
) -> Severity {
    let by_rule = config.sarif_severity.get(&format!("{tool}/{rule_id}"));
    if let Some(s) = by_rule.or_else(|| config.sarif_severity.get(tool)) {
        return *s;
    }
    // A native rule's severity with the environment unknown (judged as production);
    // a criterion production does not judge falls through to the scanner's own level.
    if let Some(s) = native.and_then(|rule| rule.policy.severity(rule.info.criterion, None)) {
        return s;
    }
    if let Some(score) = signals.security_severity {
        return if score >= 7.0 {
            Severity::Blocking
        } else if score >= 4.0 {
            Severity::Warning
        } else {
            Severity::Info
        };
    }
    if FLAT_LEVEL_TOOLS.contains(&tool) {
        return Severity::Warning;
    }
    match signals.level.unwrap_or("warning") {
        "error" => Severity::Blocking,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

/// The Director and category of a result with these tags (and no native rule).
pub(crate) fn placement(tags: &[String]) -> (&'static str, &'static str) {
    let has = |words: &[&str]| {
        tags.iter().any(|t| {
            let t = t.to_ascii_lowercase();
            words
                .iter()
                .any(|w| t == *w || t.starts_with(&format!("{w}/")))
        })
    };
    let security = has(&[
        "security",
        "vulnerability",
        "secret",
        "secrets",
        "misconfiguration",
    ]) || tags.iter().any(|t| t.to_ascii_lowercase().contains("cwe"));
    if security {
        return ("security", "security");
    }
    if has(&["performance", "efficiency", "perf"]) {
        return ("performance", "performance");
    }
    if has(&["correctness", "bug", "reliability", "error-handling"]) {
        return ("code-quality", "correctness");
    }
    if has(&[
        "maintainability",
        "readability",
        "style",
        "code-quality",
        "quality",
        "best-practice",
        "best-practices",
        "useless-code",
        "duplicate-code",
    ]) {
        return ("code-quality", "maintainability");
    }
    ("security", "security")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_across_spellings() {
        assert_eq!(normalise_id("AVD-KSV-0008"), "KSV8");
        assert_eq!(normalise_id("KSV008"), "KSV8");
        assert_eq!(normalise_id("AVD-AWS-0028"), normalise_id("AWS-0028"));
        assert_eq!(
            normalise_id("aws-ec2-enforce-http-token-imds"),
            "AWSEC2ENFORCEHTTPTOKENIMDS"
        );
        assert_eq!(normalise_id("CKV_AWS_17"), "CKV_AWS_17");
        assert_eq!(
            tool_slug("Trivy Vulnerability Scanner"),
            "trivy-vulnerability-scanner"
        );
        assert_eq!(tool_slug("  "), "sarif");
    }

    #[test]
    fn native_rules_are_found_per_tool_family() {
        assert_eq!(
            native_rule("checkov", "CKV_AWS_17").unwrap().info.id,
            "sec.db.publicly-accessible"
        );
        assert!(native_rule("trivy", "CKV_AWS_17").is_none());
        assert_eq!(
            native_rule("trivy", "AWS-0028").unwrap().info.id,
            "sec.ec2.imdsv1"
        );
        assert_eq!(
            native_rule("tfsec", "aws-ec2-enforce-http-token-imds")
                .unwrap()
                .info
                .id,
            "sec.ec2.imdsv1"
        );
        assert!(native_rule("semgrep", "python.lang.eval").is_none());
    }

    #[test]
    fn severity_order() {
        let mut config = AnalyzerConfig::default();
        let s = |level: Option<&'static str>, score: Option<f64>| Signals {
            level,
            security_severity: score,
        };
        assert_eq!(
            severity(&config, "semgrep", "r", None, &s(Some("error"), None)),
            Severity::Blocking
        );
        assert_eq!(
            severity(&config, "semgrep", "r", None, &s(None, None)),
            Severity::Warning
        );
        assert_eq!(
            severity(&config, "semgrep", "r", None, &s(Some("note"), None)),
            Severity::Info
        );
        assert_eq!(
            severity(&config, "codeql", "r", None, &s(Some("warning"), Some(8.8))),
            Severity::Blocking
        );
        assert_eq!(
            severity(&config, "codeql", "r", None, &s(Some("error"), Some(5.0))),
            Severity::Warning
        );
        assert_eq!(
            severity(&config, "checkov", "CKV_X", None, &s(Some("error"), None)),
            Severity::Warning
        );
        config
            .sarif_severity
            .insert("checkov".into(), Severity::Info);
        config
            .sarif_severity
            .insert("checkov/CKV_X".into(), Severity::Blocking);
        assert_eq!(
            severity(&config, "checkov", "CKV_X", None, &s(Some("error"), None)),
            Severity::Blocking
        );
        assert_eq!(
            severity(&config, "checkov", "CKV_Y", None, &s(Some("error"), None)),
            Severity::Info
        );
    }

    #[test]
    fn placement_by_tags() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            placement(&t(&["security", "external/cwe/cwe-079"])),
            ("security", "security")
        );
        assert_eq!(
            placement(&t(&["performance"])),
            ("performance", "performance")
        );
        assert_eq!(
            placement(&t(&["maintainability", "useless-code"])),
            ("code-quality", "maintainability")
        );
        assert_eq!(
            placement(&t(&["reliability", "correctness"])),
            ("code-quality", "correctness")
        );
        assert_eq!(placement(&t(&[])), ("security", "security"));
        assert_eq!(
            placement(&t(&["performance", "security"])),
            ("security", "security")
        );
    }
}

//! The baseline ratchet (`.director/baseline.json`) and inline suppressions
//! (`director:ignore <category-or-rule> -- <reason>`).
//!
//! A finding whose fingerprint is in the baseline is reported as known and never
//! blocks; only new findings do. `director baseline update` rewrites the file from
//! the current findings, so fixed problems drop out and the ratchet only tightens.
//! An inline comment on the finding's first line, or on the line above it, suppresses
//! it with the recorded reason; a suppression without a reason does not suppress and
//! is reported as a warning of its own.

use crate::error::Error;
use director_core::{Finding, FindingStatus, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The baseline file format version.
pub const BASELINE_VERSION: u32 = 1;

/// `.director/baseline.json`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version.
    pub version: u32,
    /// Accepted findings by fingerprint.
    pub entries: BTreeMap<String, BaselineEntry>,
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// Why it is accepted.
    pub reason: String,
    /// Its title when accepted (for people reading the file).
    pub title: String,
    /// Its path when accepted.
    pub path: Option<String>,
    /// Its category.
    pub category: String,
    /// Its rule, for deterministic findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    /// The task it was accepted in.
    pub task: String,
    /// When, RFC 3339.
    pub added_at: String,
}

/// Where the baseline of a repository lives.
pub fn baseline_path(repo_root: &Path) -> PathBuf {
    repo_root
        .join(director_core::layout::DIR)
        .join(director_core::layout::BASELINE)
}

impl Baseline {
    /// Load the working tree's baseline (for `director baseline`, which maintains it);
    /// a missing file is an empty baseline, a broken one an error. A verification reads
    /// the baseline of its trusted side instead (`crate::trust`).
    pub fn load(repo_root: &Path) -> Result<Baseline, Error> {
        let path = baseline_path(repo_root);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Baseline::default()),
            Err(e) => return Err(Error::io("read", &path, e)),
        };
        Baseline::parse(&text, &path.display().to_string())
    }

    /// Parse a baseline's JSON text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Baseline, Error> {
        let baseline: Baseline = serde_json::from_str(text).map_err(|e| Error::Input {
            message: format!("invalid baseline {origin}: {e}"),
            hint: "regenerate it with `director baseline update --task <id>`".into(),
        })?;
        if baseline.version != BASELINE_VERSION {
            return Err(Error::Input {
                message: format!(
                    "baseline {origin} has version {}, expected {BASELINE_VERSION}",
                    baseline.version
                ),
                hint: "regenerate it with `director baseline update --task <id>`".into(),
            });
        }
        Ok(baseline)
    }

    /// Build a baseline from a run's findings (every finding that is not suppressed).
    pub fn from_findings(findings: &[Finding], task: &str, reason: &str, now: &str) -> Baseline {
        let entries = findings
            .iter()
            .filter(|f| f.status != FindingStatus::Suppressed)
            .map(|f| {
                (
                    f.fingerprint.clone(),
                    BaselineEntry {
                        reason: reason.to_string(),
                        title: f.title.clone(),
                        path: f.path.clone(),
                        category: f.category.clone(),
                        rule_id: f.rule_id.clone(),
                        task: task.to_string(),
                        added_at: now.to_string(),
                    },
                )
            })
            .collect();
        Baseline {
            version: BASELINE_VERSION,
            entries,
        }
    }

    /// Write atomically (temp file + rename).
    pub fn save(&self, repo_root: &Path) -> Result<PathBuf, Error> {
        let path = baseline_path(repo_root);
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        crate::store::write_atomic(&path, &json)?;
        Ok(path)
    }

    /// Mark findings in the baseline as known.
    pub fn apply(&self, findings: &mut [Finding]) {
        for f in findings.iter_mut() {
            if f.status == FindingStatus::New
                && let Some(entry) = self.entries.get(&f.fingerprint)
            {
                f.status = FindingStatus::Known;
                f.status_reason = Some(format!("in baseline: {}", entry.reason));
            }
        }
    }
}

/// An inline suppression found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// 1-based line of the comment.
    pub line: u32,
    /// The category or rule id it names (`*` for any).
    pub target: String,
    /// The reason after `--`, if given.
    pub reason: Option<String>,
}

static IGNORE: LazyLock<regex::Regex> = LazyLock::new(|| {
    // `director:ignore <target>` optionally followed by `-- <reason>`.
    #[expect(
        clippy::expect_used,
        reason = "a constant pattern, covered by the tests"
    )]
    regex::Regex::new(
        r"director:ignore(?:\s+([A-Za-z0-9_.*\-]+))?(?:\s+--\s*(.*?))?\s*(?:\*/|-->)?\s*$",
    )
    .expect("valid suppression pattern")
});

/// Every suppression comment in a file.
pub fn find_suppressions(content: &str) -> Vec<Suppression> {
    content
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let caps = IGNORE.captures(line)?;
            Some(Suppression {
                line: i as u32 + 1,
                target: caps.get(1).map_or("*", |m| m.as_str()).to_string(),
                reason: caps
                    .get(2)
                    .map(|m| m.as_str().trim().to_string())
                    .filter(|r| !r.is_empty()),
            })
        })
        .collect()
}

/// Who may suppress what.
#[derive(Debug, Clone, Copy)]
pub struct SuppressionPolicy<'a> {
    /// Whether a `director:ignore` the reviewed change itself added may silence a
    /// blocking finding (`[suppressions] allow_in_change`).
    pub allow_in_change: bool,
    /// The severities that block.
    pub blocking: &'a [Severity],
}

/// Apply the suppressions of the files (path → content at head) to the findings.
/// `added(path, line)` tells whether the change wrote that line. Returns extra
/// warnings: for suppressions that give no reason, and for suppressions the change
/// added that may not silence a blocking finding.
pub fn apply_suppressions(
    findings: &mut [Finding],
    files: &BTreeMap<String, &str>,
    added: &dyn Fn(&str, u32) -> bool,
    policy: SuppressionPolicy<'_>,
) -> Vec<Finding> {
    let mut cache: BTreeMap<&str, Vec<Suppression>> = BTreeMap::new();
    let mut warnings: BTreeMap<(String, u32), Finding> = BTreeMap::new();
    for f in findings.iter_mut() {
        let (Some(path), Some((start, end))) = (f.path.as_deref(), f.lines()) else {
            continue;
        };
        let Some((key, content)) = files.get_key_value(path) else {
            continue;
        };
        let sups = cache
            .entry(key.as_str())
            .or_insert_with(|| find_suppressions(content));
        let hit = sups.iter().find(|s| {
            let near = s.line + 1 == start || (s.line >= start && s.line <= end);
            let names = s.target == "*"
                || s.target == f.category
                || f.rule_id.as_deref() == Some(s.target.as_str());
            near && names
        });
        let Some(sup) = hit else { continue };
        let refused = !policy.allow_in_change
            && policy.blocking.contains(&f.severity)
            && added(path, sup.line);
        match &sup.reason {
            Some(_) if refused => {
                let quote = line_text(content, sup.line);
                warnings.entry((path.to_string(), sup.line)).or_insert_with(|| {
                    let mut w = Finding::evidence(
                        "director",
                        "director.suppression.added-by-change",
                        Severity::Warning,
                        "suppression",
                        format!(
                            "a suppression added by this change cannot silence a blocking finding: {}",
                            f.title
                        ),
                        vec![],
                        path,
                        (sup.line, sup.line),
                        quote,
                        "fix the finding, or accept it where policy is decided: \
                         `director baseline update` on the base branch, or \
                         [suppressions] allow_in_change = true in trusted config"
                            .into(),
                    );
                    w.verification = Some("suppression comment".into());
                    w
                });
            }
            Some(reason) => {
                f.status = FindingStatus::Suppressed;
                f.status_reason = Some(format!("director:ignore at line {}: {reason}", sup.line));
            }
            None => {
                let quote = line_text(content, sup.line);
                warnings.entry((path.to_string(), sup.line)).or_insert_with(|| {
                    let mut w = Finding::evidence(
                        "director",
                        "director.suppression.no-reason",
                        Severity::Warning,
                        "suppression",
                        format!("suppression without a reason does not apply: {}", f.title),
                        vec![],
                        path,
                        (sup.line, sup.line),
                        quote,
                        "add the reason after `--`: `director:ignore <category-or-rule> -- <why this is acceptable>`".into(),
                    );
                    w.verification = Some("suppression comment".into());
                    w
                });
            }
        }
    }
    warnings.into_values().collect()
}

/// Line `line` (1-based) of `content`, trimmed.
fn line_text(content: &str, line: u32) -> String {
    content
        .lines()
        .nth(line as usize - 1)
        .unwrap_or("")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use director_core::ReportedFinding;

    fn finding(category: &str, line: u32) -> Finding {
        let mut f = Finding::from_reported(
            "infrastructure",
            ReportedFinding {
                severity: Severity::Blocking,
                category: category.into(),
                title: "single AZ".into(),
                resources: vec![],
                path: Some("db.tf".into()),
                start_line: Some(line),
                end_line: Some(line),
                evidence: Some("multi_az = false".into()),
                recommendation: "r".into(),
            },
        );
        f.verified = true;
        f
    }

    #[test]
    fn parses_comment_styles() {
        let text = "# director:ignore reliability -- dev only\n// director:ignore infra.rds.single-az --  accepted risk \n/* director:ignore cost */\n<!-- director:ignore -->\nnothing here";
        let s = find_suppressions(text);
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].target, "reliability");
        assert_eq!(s[0].reason.as_deref(), Some("dev only"));
        assert_eq!(s[1].target, "infra.rds.single-az");
        assert_eq!(s[1].reason.as_deref(), Some("accepted risk"));
        assert_eq!(s[2].target, "cost");
        assert_eq!(s[2].reason, None);
        assert_eq!(s[3].target, "*");
    }

    #[test]
    fn suppresses_with_reason_and_warns_without() {
        let content = "resource {\n  # director:ignore reliability -- dev database\n  multi_az = false\n  # director:ignore cost\n  instance = big\n}";
        let files = BTreeMap::from([("db.tf".to_string(), content)]);
        let mut fs = vec![
            finding("reliability", 3),
            finding("cost", 5),
            finding("security", 3),
        ];
        fs[1].evidence = Some("instance = big".into());
        let policy = SuppressionPolicy {
            allow_in_change: false,
            blocking: &[Severity::Blocking],
        };
        let warnings = apply_suppressions(&mut fs, &files, &|_, _| false, policy);
        assert_eq!(fs[0].status, FindingStatus::Suppressed);
        assert!(
            fs[0]
                .status_reason
                .as_deref()
                .unwrap()
                .contains("dev database")
        );
        assert_eq!(
            fs[1].status,
            FindingStatus::New,
            "no reason, no suppression"
        );
        assert_eq!(fs[2].status, FindingStatus::New, "other category");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].severity, Severity::Warning);
        assert_eq!(warnings[0].start_line, Some(4));
    }

    #[test]
    fn a_suppression_the_change_added_cannot_silence_a_blocking_finding() {
        let content =
            "resource {\n  # director:ignore reliability -- it is fine\n  multi_az = false\n}";
        let files = BTreeMap::from([("db.tf".to_string(), content)]);
        let blocking = [Severity::Blocking];
        let added_line_2 = |p: &str, l: u32| p == "db.tf" && l == 2;
        let mut fs = vec![finding("reliability", 3)];
        let strict = SuppressionPolicy {
            allow_in_change: false,
            blocking: &blocking,
        };
        let warnings = apply_suppressions(&mut fs, &files, &added_line_2, strict);
        assert_eq!(fs[0].status, FindingStatus::New, "still blocks");
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].rule_id.as_deref(),
            Some("director.suppression.added-by-change")
        );
        assert_eq!(
            warnings[0].evidence.as_deref(),
            Some("# director:ignore reliability -- it is fine")
        );

        // A warning may be silenced by the change's own comment.
        let mut fs = vec![finding("reliability", 3)];
        fs[0].severity = Severity::Warning;
        let warnings = apply_suppressions(&mut fs, &files, &added_line_2, strict);
        assert_eq!(fs[0].status, FindingStatus::Suppressed);
        assert!(warnings.is_empty());

        // Trusted policy may allow it; a comment that predates the change always works.
        for (policy, added) in [
            (
                SuppressionPolicy {
                    allow_in_change: true,
                    blocking: &blocking,
                },
                &added_line_2 as &dyn Fn(&str, u32) -> bool,
            ),
            (strict, &|_: &str, _: u32| false),
        ] {
            let mut fs = vec![finding("reliability", 3)];
            let warnings = apply_suppressions(&mut fs, &files, added, policy);
            assert_eq!(fs[0].status, FindingStatus::Suppressed);
            assert!(warnings.is_empty());
        }
    }

    #[test]
    fn baseline_marks_known_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let fs = vec![finding("reliability", 3)];
        let b = Baseline::from_findings(&fs, "t1", "accepted", "2026-01-01T00:00:00Z");
        b.save(dir.path()).unwrap();
        let loaded = Baseline::load(dir.path()).unwrap();
        assert_eq!(loaded, b);
        let mut again = vec![finding("reliability", 30), finding("cost", 3)];
        again[1].evidence = Some("other".into());
        again[1].fingerprint = "new".into();
        loaded.apply(&mut again);
        assert_eq!(again[0].status, FindingStatus::Known);
        assert_eq!(again[1].status, FindingStatus::New);
        std::fs::write(baseline_path(dir.path()), "{").unwrap();
        assert!(
            Baseline::load(dir.path())
                .unwrap_err()
                .hint()
                .unwrap()
                .contains("baseline update")
        );
    }
}

//! Findings as the run record holds them: from a Director's verdict or from a
//! deterministic analyzer, fingerprinted, verified against the code, merged across
//! Directors and classified by the baseline.

use crate::fingerprint::{fingerprint, normalize_category};
use crate::severity::Severity;
use crate::verdict::ReportedFinding;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a finding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FindingSource {
    /// A deterministic analyzer (`director-evidence`): reproducible, cannot be overruled.
    Evidence,
    /// An LLM Director's verdict.
    Llm,
}

/// Whether a finding is new, already accepted in the baseline, or suppressed inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FindingStatus {
    /// Not seen before: counts for the gate.
    New,
    /// In `.director/baseline.json`: reported, never blocks.
    Known,
    /// Suppressed by a `director:ignore` comment with a reason: reported, never blocks.
    Suppressed,
}

/// One raiser's part in a merged finding: who said it, how severe, and whether what
/// they quoted was found. A merged finding's severity comes only from members that
/// carry weight (verified, or deterministic), so an unverifiable claim cannot raise a
/// verified finding's severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FindingMember {
    /// The Director (or `director` for the tool itself).
    pub director: String,
    /// Analyzer or LLM.
    pub source: FindingSource,
    /// The severity this member claimed.
    pub severity: Severity,
    /// Whether this member's quote was found (always true for analyzers).
    pub verified: bool,
}

impl FindingMember {
    /// True when this member's severity counts: deterministic, or verified.
    pub fn carries_weight(&self) -> bool {
        self.verified || self.source == FindingSource::Evidence
    }
}

/// One finding in the run record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable id: path + category (+ rule) + normalised evidence; not line numbers.
    pub fingerprint: String,
    /// The Director the finding belongs to (the first that raised it).
    pub director: String,
    /// Every Director that raised it, after cross-Director merging.
    pub directors: Vec<String>,
    /// How many independent sources (Directors, the analyzers) agree on it.
    pub agreement: u32,
    /// Deterministic analyzer or LLM. `evidence` wins when both raised it.
    pub source: FindingSource,
    /// Analyzer rule id such as `infra.rds.single-az`; null for LLM-only findings.
    pub rule_id: Option<String>,
    /// Effective severity after the gate policy (unverified findings are capped).
    pub severity: Severity,
    /// Severity as reported, when the policy changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_severity: Option<Severity>,
    /// kebab-case area of concern.
    pub category: String,
    /// One line naming the problem.
    pub title: String,
    /// Affected resources.
    pub resources: Vec<String>,
    /// Repository-relative path.
    pub path: Option<String>,
    /// First line, 1-based.
    pub start_line: Option<u32>,
    /// Last line, 1-based, inclusive.
    pub end_line: Option<u32>,
    /// The quoted code.
    pub evidence: Option<String>,
    /// The fix.
    pub recommendation: String,
    /// True when the quoted evidence was found in the file (or the finding is deterministic).
    pub verified: bool,
    /// Why the finding could not be verified, or where the quote was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<String>,
    /// New, known (baseline) or suppressed.
    pub status: FindingStatus,
    /// The baseline or suppression reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Whether this finding makes the gate block (set by the gate).
    pub blocks: bool,
    /// Every raiser of a merged finding, with the severity each claimed (empty for a
    /// finding nobody else raised).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<FindingMember>,
}

impl Finding {
    /// Turn one finding of a Director's verdict into a record finding (unverified
    /// until checked against the code).
    pub fn from_reported(director: &str, reported: ReportedFinding) -> Finding {
        let category = normalize_category(&reported.category);
        let path = reported
            .path
            .map(|p| normalize_path(&p))
            .filter(|p| !p.is_empty());
        let (start_line, end_line) = match (reported.start_line, reported.end_line) {
            (Some(s), Some(e)) if e < s => (Some(e), Some(s)),
            (Some(s), None) => (Some(s), Some(s)),
            (None, Some(e)) => (Some(e), Some(e)),
            other => other,
        };
        let evidence = reported.evidence.filter(|e| !e.trim().is_empty());
        let fingerprint = fingerprint(
            path.as_deref(),
            &category,
            None,
            evidence.as_deref(),
            &reported.title,
        );
        Finding {
            fingerprint,
            director: director.to_string(),
            directors: vec![director.to_string()],
            agreement: 1,
            source: FindingSource::Llm,
            rule_id: None,
            severity: reported.severity,
            reported_severity: None,
            category,
            title: reported.title.trim().to_string(),
            resources: reported.resources,
            path,
            start_line: start_line.filter(|l| *l > 0),
            end_line: end_line.filter(|l| *l > 0),
            evidence,
            recommendation: reported.recommendation.trim().to_string(),
            verified: false,
            verification: None,
            status: FindingStatus::New,
            status_reason: None,
            blocks: false,
            members: Vec::new(),
        }
    }

    /// Build a deterministic finding from an analyzer. Always verified: the analyzer
    /// read the lines it quotes.
    #[expect(
        clippy::too_many_arguments,
        reason = "a flat constructor of plain fields"
    )]
    pub fn evidence(
        director: &str,
        rule_id: &str,
        severity: Severity,
        category: &str,
        title: String,
        resources: Vec<String>,
        path: &str,
        lines: (u32, u32),
        evidence: String,
        recommendation: String,
    ) -> Finding {
        let category = normalize_category(category);
        let path = normalize_path(path);
        // The resources are part of a deterministic finding's identity: two Pods in one
        // file that both lack a probe quote the same lines but are two problems.
        let rule_key = format!("{rule_id}|{}", resources.join(","));
        let fingerprint = fingerprint(
            Some(&path),
            &category,
            Some(&rule_key),
            Some(&evidence),
            &title,
        );
        Finding {
            fingerprint,
            director: director.to_string(),
            directors: vec![director.to_string()],
            agreement: 1,
            source: FindingSource::Evidence,
            rule_id: Some(rule_id.to_string()),
            severity,
            reported_severity: None,
            category,
            title,
            resources,
            path: Some(path),
            start_line: Some(lines.0),
            end_line: Some(lines.1.max(lines.0)),
            evidence: Some(evidence),
            recommendation,
            verified: true,
            verification: Some("deterministic analyzer".into()),
            status: FindingStatus::New,
            status_reason: None,
            blocks: false,
            members: Vec::new(),
        }
    }

    /// This finding as one member of a merge.
    pub fn as_member(&self) -> FindingMember {
        FindingMember {
            director: self.director.clone(),
            source: self.source,
            severity: self.severity,
            verified: self.verified,
        }
    }

    /// The members of this finding: the recorded ones, or itself alone.
    pub fn raisers(&self) -> Vec<FindingMember> {
        if self.members.is_empty() {
            vec![self.as_member()]
        } else {
            self.members.clone()
        }
    }

    /// The line range, if the finding has one.
    pub fn lines(&self) -> Option<(u32, u32)> {
        match (self.start_line, self.end_line) {
            (Some(s), Some(e)) => Some((s, e.max(s))),
            (Some(s), None) => Some((s, s)),
            _ => None,
        }
    }
}

/// Normalise a repository path as Directors write it: forward slashes, no leading
/// `./`, no surrounding whitespace.
pub fn normalize_path(path: &str) -> String {
    let p = path.trim().replace('\\', "/");
    let mut p = p.as_str();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported() -> ReportedFinding {
        ReportedFinding {
            severity: Severity::Blocking,
            category: "Disaster Recovery".into(),
            title: " No backups ".into(),
            resources: vec!["aws_db_instance.main".into()],
            path: Some("./infra/db.tf".into()),
            start_line: Some(9),
            end_line: Some(4),
            evidence: Some("backup_retention_period = 0".into()),
            recommendation: "Set retention".into(),
        }
    }

    #[test]
    fn from_reported_normalises() {
        let f = Finding::from_reported("infrastructure", reported());
        assert_eq!(f.category, "disaster-recovery");
        assert_eq!(f.path.as_deref(), Some("infra/db.tf"));
        assert_eq!(f.lines(), Some((4, 9)));
        assert_eq!(f.title, "No backups");
        assert!(!f.verified);
        assert_eq!(f.fingerprint.len(), 16);
    }

    #[test]
    fn fingerprint_ignores_lines_and_director() {
        let a = Finding::from_reported("infrastructure", reported());
        let mut moved = reported();
        moved.start_line = Some(40);
        moved.end_line = Some(40);
        let b = Finding::from_reported("security", moved);
        assert_eq!(a.fingerprint, b.fingerprint);
        let mut other = reported();
        other.evidence = Some("multi_az = false".into());
        assert_ne!(
            a.fingerprint,
            Finding::from_reported("x", other).fingerprint
        );
    }
}

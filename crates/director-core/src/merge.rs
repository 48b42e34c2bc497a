//! Cross-Director merging: one problem raised by several Directors (or by a Director
//! and an analyzer) becomes one finding that lists everyone who raised it.
//!
//! Two findings are the same problem when their fingerprints are equal, or when
//! they sit in the same file, in the same category, on overlapping lines. Two
//! deterministic findings with different rules are never merged with each other:
//! each rule is its own check. When findings merge, a deterministic finding keeps its
//! rule, title and location, every raising Director is listed, the agreement count is
//! the number of distinct raisers, and every member is recorded with the severity it
//! claimed.
//!
//! Merging never launders severity: the merged severity is the highest severity of
//! the members that carry weight (deterministic, or verified). An unverified
//! blocking claim merged with a verified warning stays a warning (the claim is kept
//! in `reported_severity` and `members`); merged with an analyzer finding, the
//! analyzer's severity stands.

use crate::finding::{Finding, FindingSource};

/// Merge findings in place order: the first finding of a group is its anchor, except
/// that a deterministic finding always becomes the anchor of its group.
pub fn merge_findings(findings: Vec<Finding>) -> Vec<Finding> {
    // Deterministic findings first, so LLM findings fold into them.
    let (mut ordered, llm): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|f| f.source == FindingSource::Evidence);
    ordered.extend(llm);

    let mut merged: Vec<Finding> = Vec::with_capacity(ordered.len());
    for finding in ordered {
        match merged.iter_mut().find(|m| same_problem(m, &finding)) {
            Some(anchor) => absorb(anchor, finding),
            None => merged.push(finding),
        }
    }
    merged.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.start_line.cmp(&b.start_line))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    merged
}

fn same_problem(a: &Finding, b: &Finding) -> bool {
    if a.source == FindingSource::Evidence
        && b.source == FindingSource::Evidence
        && a.rule_id != b.rule_id
    {
        return false;
    }
    if a.fingerprint == b.fingerprint {
        return true;
    }
    if a.path.is_none() || a.path != b.path || a.category != b.category {
        return false;
    }
    match (a.lines(), b.lines()) {
        (Some((s1, e1)), Some((s2, e2))) => s1 <= e2 && s2 <= e1,
        _ => false,
    }
}

fn absorb(anchor: &mut Finding, other: Finding) {
    for director in &other.directors {
        if !anchor.directors.contains(director) {
            anchor.directors.push(director.clone());
        }
    }
    anchor.agreement += other.agreement;
    anchor.members = anchor.raisers();
    anchor.members.extend(other.raisers());
    let weighty = anchor
        .members
        .iter()
        .filter(|m| m.carries_weight())
        .map(|m| m.severity)
        .max();
    let claimed = anchor.members.iter().map(|m| m.severity).max();
    if let Some(severity) = weighty.or(claimed) {
        anchor.severity = severity;
    }
    if let Some(claimed) = claimed
        && claimed > anchor.severity
    {
        anchor.reported_severity = Some(claimed);
    }
    if !anchor.verified && other.verified {
        anchor.verified = true;
        anchor.verification = other.verification.clone();
        if anchor.source == FindingSource::Llm {
            // Take the verified location: it is the one that is really in the file.
            anchor.start_line = other.start_line;
            anchor.end_line = other.end_line;
            anchor.evidence = other.evidence.clone();
        }
    }
    for resource in other.resources {
        if !anchor.resources.contains(&resource) {
            anchor.resources.push(resource);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::severity::Severity;
    use crate::verdict::ReportedFinding;

    fn llm(director: &str, severity: Severity, lines: (u32, u32), evidence: &str) -> Finding {
        let mut f = Finding::from_reported(
            director,
            ReportedFinding {
                severity,
                category: "reliability".into(),
                title: format!("{director} says"),
                resources: vec![format!("{director}-res")],
                path: Some("k8s/app.yaml".into()),
                start_line: Some(lines.0),
                end_line: Some(lines.1),
                evidence: Some(evidence.into()),
                recommendation: "fix".into(),
            },
        );
        f.verified = true;
        f
    }

    #[test]
    fn same_fingerprint_merges_and_lists_directors() {
        let a = llm("infrastructure", Severity::Warning, (3, 3), "replicas: 1");
        let b = llm(
            "architecture",
            Severity::Blocking,
            (30, 30),
            "replicas:   1",
        );
        let merged = merge_findings(vec![a, b]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].directors, ["infrastructure", "architecture"]);
        assert_eq!(merged[0].agreement, 2);
        assert_eq!(merged[0].severity, Severity::Blocking);
        assert_eq!(merged[0].resources.len(), 2);
    }

    #[test]
    fn an_unverified_blocking_claim_cannot_raise_a_verified_warning() {
        let verified = llm("infrastructure", Severity::Warning, (3, 3), "replicas: 1");
        let mut claim = llm("architecture", Severity::Blocking, (3, 3), "replicas: 1");
        claim.verified = false;
        for order in [
            vec![verified.clone(), claim.clone()],
            vec![claim.clone(), verified.clone()],
        ] {
            let merged = merge_findings(order);
            assert_eq!(merged.len(), 1);
            let f = &merged[0];
            assert_eq!(f.severity, Severity::Warning, "the verified member decides");
            assert_eq!(f.reported_severity, Some(Severity::Blocking));
            assert!(f.verified);
            let by: Vec<(&str, Severity, bool)> = f
                .members
                .iter()
                .map(|m| (m.director.as_str(), m.severity, m.verified))
                .collect();
            assert!(
                by.contains(&("infrastructure", Severity::Warning, true)),
                "{by:?}"
            );
            assert!(
                by.contains(&("architecture", Severity::Blocking, false)),
                "{by:?}"
            );
        }
    }

    #[test]
    fn an_unverified_blocking_claim_on_evidence_keeps_the_evidence_severity() {
        let e = Finding::evidence(
            "infrastructure",
            "infra.k8s.no-pdb",
            Severity::Warning,
            "reliability",
            "No PDB".into(),
            vec![],
            "k8s/app.yaml",
            (3, 3),
            "replicas: 1".into(),
            "add a PDB".into(),
        );
        let mut claim = llm("security", Severity::Blocking, (3, 3), "invented");
        claim.verified = false;
        let merged = merge_findings(vec![claim, e]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].severity, Severity::Warning);
        assert_eq!(merged[0].source, FindingSource::Evidence);
        assert_eq!(merged[0].reported_severity, Some(Severity::Blocking));
    }

    #[test]
    fn overlapping_lines_same_category_merge() {
        let a = llm("infrastructure", Severity::Warning, (3, 8), "a");
        let b = llm("security", Severity::Warning, (6, 12), "b");
        let c = llm("performance", Severity::Warning, (20, 22), "c");
        let merged = merge_findings(vec![a, b, c]);
        assert_eq!(merged.len(), 2);
    }

    #[test]
    fn evidence_anchors_and_distinct_rules_stay_apart() {
        let e1 = Finding::evidence(
            "infrastructure",
            "infra.k8s.no-hpa",
            Severity::Blocking,
            "scalability",
            "No HPA".into(),
            vec!["Deployment/api".into()],
            "k8s/app.yaml",
            (5, 5),
            "replicas: 2".into(),
            "add an HPA".into(),
        );
        let mut e2 = e1.clone();
        e2.rule_id = Some("infra.k8s.other".into());
        e2.fingerprint = "different".into();
        let mut l = llm("infrastructure", Severity::Warning, (5, 6), "replicas: 2");
        l.category = "scalability".into();
        let merged = merge_findings(vec![l, e1, e2]);
        assert_eq!(merged.len(), 2);
        let anchored = merged
            .iter()
            .find(|f| f.rule_id.as_deref() == Some("infra.k8s.no-hpa"))
            .unwrap();
        assert_eq!(anchored.source, FindingSource::Evidence);
        assert_eq!(anchored.agreement, 2);
        assert_eq!(anchored.title, "No HPA");
    }
}

//! Cross-Director merging: one problem raised by several Directors (or by a Director
//! and an analyzer) becomes one finding that lists everyone who raised it.
//!
//! Two findings are the same problem when their fingerprints are equal, or when
//! they sit in the same file, in the same category, on overlapping lines. Two
//! deterministic findings with different rules are never merged with each other:
//! each rule is its own check. When findings merge, the highest severity wins, a
//! deterministic finding keeps its rule, title and location, every raising Director
//! is listed and the agreement count is the number of distinct raisers.

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
    if other.severity > anchor.severity {
        anchor.severity = other.severity;
    }
    // A deterministic anchor keeps its rule's criterion; an LLM anchor without one
    // takes the other's.
    if anchor.criterion.is_none() {
        anchor.criterion = other.criterion;
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

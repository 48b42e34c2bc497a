//! Shared helpers: where the fixtures are, and checking that every finding quotes its
//! file's lines exactly.

use director_evidence::{EvidenceReport, SourceFile};
use std::path::{Path, PathBuf};

/// The crate's fixture directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Assert that every finding's evidence equals the lines `start..=end` of its file
/// joined with `\n`, and that it names a known rule, Director and category.
pub fn assert_evidence_exact(report: &EvidenceReport, files: &[SourceFile]) {
    let rule_ids: Vec<&str> = director_evidence::rules().iter().map(|r| r.id).collect();
    for f in &report.findings {
        let path = f.path.as_deref().expect("finding has a path");
        let file = files
            .iter()
            .find(|s| s.path == path)
            .unwrap_or_else(|| panic!("finding on unknown file {path}"));
        let (start, end) = (f.start_line.unwrap(), f.end_line.unwrap());
        assert!(
            start >= 1 && end >= start,
            "bad lines {start}..{end} in {path}"
        );
        let lines: Vec<&str> = file.content.lines().collect();
        assert!(
            end as usize <= lines.len(),
            "{path}: line {end} beyond end ({})",
            lines.len()
        );
        let expected = lines[start as usize - 1..end as usize].join("\n");
        assert_eq!(
            f.evidence.as_deref(),
            Some(expected.as_str()),
            "evidence of {:?} at {path}:{start}-{end}",
            f.rule_id
        );
        let rule = f.rule_id.as_deref().unwrap();
        assert!(rule_ids.contains(&rule), "unknown rule {rule}");
        assert!(
            !f.resources.is_empty() && !f.resources[0].is_empty(),
            "{rule} has no resource"
        );
        assert!(!f.title.is_empty() && !f.recommendation.is_empty());
    }
}

/// The findings of `rule` in `report`.
pub fn of_rule<'r>(report: &'r EvidenceReport, rule: &str) -> Vec<&'r director_core::Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.rule_id.as_deref() == Some(rule))
        .collect()
}

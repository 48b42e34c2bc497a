//! Targets `terraform`, `kubernetes`, `dockerfile` and `compose`: the deterministic
//! analyzers ([`director_evidence::analyze`]) on a changed file of that kind.
//!
//! Input: a selector byte (the environment the analyzers assume; for Kubernetes also
//! YAML or JSON), then the file's text; Terraform takes a second, related file after
//! a `0xFF` byte (cross-file facts such as alarms and backup plans).
//!
//! Invariants (the evidence crate's Architecture Invariant): no panic on any input;
//! every finding is on the target file, with `1 <= start_line <= end_line <=` the
//! file's line count (at least 1), and its `evidence` is exactly the file's lines
//! `start_line..=end_line` (`str::lines`) joined with `\n`.

use director_core::Environment;
use director_evidence::{AnalyzerConfig, EvidenceReport, SourceFile, analyze};

fn config(sel: u8) -> AnalyzerConfig {
    AnalyzerConfig {
        environment: match sel % 4 {
            0 => None,
            1 => Some(Environment::Production),
            2 => Some(Environment::Development),
            _ => Some(Environment::Staging),
        },
        ..AnalyzerConfig::default()
    }
}

/// Check every finding of `report` against `file`.
fn check(report: &EvidenceReport, file: &SourceFile) {
    let lines: Vec<&str> = file.content.lines().collect();
    let count = u32::try_from(lines.len()).unwrap_or(u32::MAX).max(1);
    for f in &report.findings {
        assert_eq!(f.path.as_deref(), Some(file.path.as_str()), "{f:?}");
        let (Some(start), Some(end)) = (f.start_line, f.end_line) else {
            panic!("an evidence finding without lines: {f:?}");
        };
        assert!(
            1 <= start && start <= end && end <= count,
            "lines {start}..={end} outside a {count}-line file: {f:?}"
        );
        if let Some(evidence) = &f.evidence {
            let want = lines
                .get(start as usize - 1..end as usize)
                .map(|l| l.join("\n"))
                .unwrap_or_default();
            assert_eq!(evidence, &want, "evidence is not the file's lines: {f:?}");
        }
    }
}

fn analyze_one(path: &str, data: &[u8], related: Option<(&str, &[u8])>, sel: u8) {
    let file = SourceFile::new(path, crate::text(data));
    let related: Vec<SourceFile> = related
        .map(|(p, d)| SourceFile::new(p, crate::text(d)))
        .into_iter()
        .collect();
    let report = analyze(std::slice::from_ref(&file), &related, &config(sel));
    check(&report, &file);
}

/// A Terraform file, with a related one.
pub fn terraform(data: &[u8]) {
    let (sel, rest) = crate::selector(data);
    let parts = crate::parts(rest, 2);
    let related = parts.get(1).map(|d| ("infra/monitoring.tf", *d));
    analyze_one("infra/main.tf", parts[0], related, sel);
}

/// A Kubernetes manifest, as YAML or JSON.
pub fn kubernetes(data: &[u8]) {
    let (sel, rest) = crate::selector(data);
    let path = if sel & 0x80 == 0 {
        "k8s/app.yaml"
    } else {
        "k8s/app.json"
    };
    analyze_one(path, rest, None, sel);
}

/// A Dockerfile.
pub fn dockerfile(data: &[u8]) {
    let (sel, rest) = crate::selector(data);
    analyze_one("Dockerfile", rest, None, sel);
}

/// A Compose file.
pub fn compose(data: &[u8]) {
    let (sel, rest) = crate::selector(data);
    analyze_one("docker-compose.yml", rest, None, sel);
}

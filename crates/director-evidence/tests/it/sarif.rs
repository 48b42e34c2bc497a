//! Other scanners' SARIF as evidence (`tests/fixtures/sarif/`): a small repository and
//! logs in the shapes Checkov (its real output on `infra/db.tf`), Trivy, tfsec, KICS,
//! Semgrep, CodeQL, hadolint, kube-linter and gitleaks write. Every ingested finding
//! quotes the cited file's lines; results a native rule already reported are dropped;
//! results that cannot be placed are listed as not ingested.

use crate::common::fixtures;
use crate::files::read_dir;
use director_core::Severity;
use director_evidence::{AnalyzerConfig, Inputs, SarifInput, SarifLog, SourceFile, analyze_inputs};

/// The repository root the logs are resolved against (Trivy's absolute base names it).
const ROOT: &str = "/ci/checkout";

fn repo() -> Vec<SourceFile> {
    let root = fixtures().join("sarif");
    read_dir(&root, &root)
        .into_iter()
        .filter(|f| !f.path.starts_with("reports/"))
        .collect()
}

/// What the orchestrator does: parse each log, then hand it the files it cites.
fn inputs(files: &[SourceFile], names: &[&str]) -> Vec<SarifInput> {
    names
        .iter()
        .map(|name| {
            let label = format!("reports/{name}.sarif");
            let text = std::fs::read_to_string(fixtures().join("sarif").join(&label)).unwrap();
            let log = SarifLog::parse(&label, &text, ROOT).unwrap();
            let cited = log
                .cited_paths()
                .into_iter()
                .filter_map(|p| files.iter().find(|f| f.path == p).cloned())
                .collect();
            SarifInput { log, files: cited }
        })
        .collect()
}

const ALL: &[&str] = &[
    "checkov",
    "trivy",
    "tfsec",
    "kics",
    "semgrep",
    "codeql",
    "hadolint",
    "kube-linter",
    "gitleaks",
];

fn run(config: &AnalyzerConfig) -> director_evidence::EvidenceReport {
    let files = repo();
    let sarif = inputs(&files, ALL);
    let report = analyze_inputs(
        &Inputs {
            targets: &files,
            sarif: &sarif,
            ..Inputs::default()
        },
        config,
    );
    for f in &report.findings {
        let path = f.path.as_deref().unwrap();
        let file = files.iter().find(|s| s.path == path).unwrap();
        let lines: Vec<&str> = file.content.lines().collect();
        let (s, e) = (f.start_line.unwrap() as usize, f.end_line.unwrap() as usize);
        assert_eq!(
            f.evidence.as_deref().unwrap(),
            lines[s - 1..e].join("\n"),
            "{:?}",
            f.rule_id
        );
    }
    report
}

fn by_rule<'r>(
    report: &'r director_evidence::EvidenceReport,
    id: &str,
) -> Vec<&'r director_core::Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.rule_id.as_deref() == Some(id))
        .collect()
}

#[test]
fn every_tool_is_ingested_placed_and_routed() {
    let report = run(&AnalyzerConfig::default());
    let ids: Vec<&str> = report
        .findings
        .iter()
        .filter_map(|f| f.rule_id.as_deref())
        .filter(|id| id.contains('/'))
        .collect();

    // Checkov: CKV_AWS_17 and CKV_AWS_79 are native rules that fired at the same place.
    assert!(
        !ids.contains(&"checkov/CKV_AWS_17") && !ids.contains(&"checkov/CKV_AWS_79"),
        "{ids:?}"
    );
    let iam = by_rule(&report, "checkov/CKV_AWS_161");
    assert_eq!(iam.len(), 1);
    assert_eq!(
        iam[0].severity,
        Severity::Warning,
        "Checkov's flat `error` is read as warning"
    );
    assert_eq!((iam[0].start_line, iam[0].end_line), (Some(1), Some(11)));
    assert_eq!(iam[0].evidence.as_deref().unwrap().lines().count(), 11);

    // Trivy: IMDS (AVD-AWS-0028) is native; the IAM-auth note is kept as info (score
    // 2.0); the vulnerability in a file that is not in the repository is not ingested.
    assert!(!ids.iter().any(|i| i.ends_with("AVD-AWS-0028")), "{ids:?}");
    let note = by_rule(&report, "trivy/AVD-AWS-0176");
    assert_eq!(note.len(), 1);
    assert_eq!(note[0].severity, Severity::Info);
    assert!(
        report
            .not_evaluated
            .iter()
            .any(|n| n.contains("trivy CVE-2024-6345")
                && n.contains("`requirements.lock` was not found")),
        "{:?}",
        report.not_evaluated
    );

    // tfsec: the public database is native (sec.db.publicly-accessible at line 10).
    assert!(!ids.iter().any(|i| i.starts_with("tfsec/")), "{ids:?}");

    // KICS: `latest` is kept (no native mapping of its UUID); the suppressed result is not.
    assert_eq!(
        by_rule(&report, "kics/f45ea400-6bbe-4501-9fc7-1c3d75c32067").len(),
        1
    );
    assert!(by_rule(&report, "kics/ca469dbe-2c4b-4b4d-b1d1-0a3a1d1c9f0e").is_empty());

    // Semgrep: SQL injection is security and blocking (level error); the nested-loop
    // rule's performance tag routes it to the Performance Director; the stale result
    // beyond the end of the file is not ingested.
    let sql = by_rule(
        &report,
        "semgrep-oss/python.lang.security.audit.formatted-sql-query.formatted-sql-query",
    );
    assert_eq!(sql.len(), 1);
    assert_eq!(
        (sql[0].director.as_str(), sql[0].category.as_str()),
        ("security", "security")
    );
    assert_eq!(sql[0].severity, Severity::Blocking);
    let perf = by_rule(
        &report,
        "semgrep-oss/python.performance.nested-loop-recompute",
    );
    assert_eq!(perf.len(), 1);
    assert_eq!(
        (perf[0].director.as_str(), perf[0].category.as_str()),
        ("performance", "performance")
    );
    assert_eq!((perf[0].start_line, perf[0].end_line), (Some(12), Some(13)));
    assert!(
        report
            .not_evaluated
            .iter()
            .any(|n| n.contains("beyond the file's 14 lines")),
        "{:?}",
        report.not_evaluated
    );

    // CodeQL: location through `artifacts[index]`; security-severity 8.8 blocks; the
    // unused import is maintainability for the Code Quality Director.
    let injection = by_rule(&report, "codeql/py/sql-injection");
    assert_eq!(injection.len(), 1);
    assert_eq!(injection[0].path.as_deref(), Some("app/views.py"));
    assert_eq!(injection[0].severity, Severity::Blocking);
    let unused = by_rule(&report, "codeql/py/unused-import");
    assert_eq!(
        (unused[0].director.as_str(), unused[0].category.as_str()),
        ("code-quality", "maintainability")
    );
    assert_eq!(unused[0].severity, Severity::Info);

    // hadolint: DL3007 duplicates the native unpinned-base-image finding; DL3042 stays.
    assert!(by_rule(&report, "hadolint/DL3007").is_empty());
    assert!(
        !report
            .findings
            .iter()
            .filter(|f| f.rule_id.as_deref() == Some("infra.docker.unpinned-base-image"))
            .collect::<Vec<_>>()
            .is_empty()
    );
    assert_eq!(
        by_rule(&report, "hadolint/DL3042")[0].severity,
        Severity::Warning
    );

    // kube-linter: both checks name native rules on the same object (through its
    // logical location), so both are dropped.
    assert!(
        !ids.iter().any(|i| i.starts_with("kube-linter/")),
        "{ids:?}"
    );

    // gitleaks: no level, so SARIF's default `warning`; security by default.
    let leak = by_rule(&report, "gitleaks/generic-api-key");
    assert_eq!(leak.len(), 1);
    assert_eq!(
        (leak[0].start_line, leak[0].director.as_str()),
        (Some(3), "security")
    );
    assert_eq!(leak[0].severity, Severity::Warning);
}

#[test]
fn trusted_configuration_overrides_severity_per_tool_and_rule() {
    let mut config = AnalyzerConfig::default();
    config
        .sarif_severity
        .insert("gitleaks".into(), Severity::Blocking);
    config
        .sarif_severity
        .insert("hadolint/DL3042".into(), Severity::Info);
    let report = run(&config);
    assert_eq!(
        by_rule(&report, "gitleaks/generic-api-key")[0].severity,
        Severity::Blocking
    );
    assert_eq!(
        by_rule(&report, "hadolint/DL3042")[0].severity,
        Severity::Info
    );
}

#[test]
fn a_missing_cited_file_and_a_log_outside_the_repository_are_not_invented() {
    let files = repo();
    let mut sarif = inputs(&files, &["semgrep"]);
    sarif[0].files.clear();
    let report = analyze_inputs(
        &Inputs {
            sarif: &sarif,
            ..Inputs::default()
        },
        &AnalyzerConfig::default(),
    );
    assert!(report.findings.is_empty());
    assert_eq!(report.not_evaluated.len(), 3, "{:?}", report.not_evaluated);
    assert!(
        report
            .not_evaluated
            .iter()
            .all(|n| n.starts_with("not ingested: reports/semgrep.sarif: semgrep-oss "))
    );

    let log = SarifLog::parse(
        "x.sarif",
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"r","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"file:///etc/passwd"},"region":{"startLine":1}}}]}]}]}"#,
        ROOT,
    )
    .unwrap();
    assert!(log.cited_paths().is_empty());
    let report = analyze_inputs(
        &Inputs {
            sarif: &[SarifInput {
                log,
                files: Vec::new(),
            }],
            ..Inputs::default()
        },
        &AnalyzerConfig::default(),
    );
    assert_eq!(
        report.not_evaluated,
        vec!["not ingested: x.sarif: x r (`/etc/passwd` is outside the repository)"]
    );
}

//! The checklist rules, one folder each under `tests/fixtures/checklist/<rule id>/`: the
//! `bad/` tree must raise the rule at the severity `expect.json` names (with the
//! analyzer configuration it gives, if any), and the `good/` tree must not raise it.
//! A folder is a case; adding one needs no code.

use crate::common::{assert_evidence_exact, fixtures, of_rule};
use crate::files::read_dir;
use director_core::Severity;
use director_evidence::{AnalyzerConfig, analyze, rules};
use serde_json::Value;

#[test]
fn every_checklist_rule_fires_on_bad_and_not_on_good() {
    let root = fixtures().join("checklist");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 19, "{} cases", cases.len());
    for case in cases {
        let rule = case.file_name().unwrap().to_string_lossy().to_string();
        let info = rules()
            .iter()
            .find(|r| r.id == rule)
            .unwrap_or_else(|| panic!("fixture folder {rule} names no rule"));
        let expect: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expect.json")).unwrap())
                .unwrap();
        let config: AnalyzerConfig = match expect.get("config") {
            Some(c) => serde_json::from_value(c.clone()).unwrap(),
            None => AnalyzerConfig::default(),
        };
        let severity: Severity = serde_json::from_value(expect["severity"].clone()).unwrap();

        let bad = read_dir(&case.join("bad"), &case.join("bad"));
        let report = analyze(&bad, &[], &config);
        assert!(
            report.parse_errors.is_empty(),
            "{rule}: {:?}",
            report.parse_errors
        );
        assert_evidence_exact(&report, &bad);
        let hits = of_rule(&report, &rule);
        assert!(
            !hits.is_empty(),
            "{rule}: bad/ raised nothing: {:#?}",
            report.findings
        );
        for f in &hits {
            assert_eq!(f.severity, severity, "{rule}: {}", f.title);
            assert_eq!(f.criterion, info.criterion, "{rule}");
        }

        let good = read_dir(&case.join("good"), &case.join("good"));
        let report = analyze(&good, &[], &config);
        assert!(
            report.parse_errors.is_empty(),
            "{rule}: {:?}",
            report.parse_errors
        );
        assert!(
            of_rule(&report, &rule).is_empty(),
            "{rule}: good/ raised {:#?}",
            of_rule(&report, &rule)
        );
    }
}

#[test]
fn relaxed_criteria_and_unknown_environments() {
    // The same dev-class instance with no known environment is not judged as a
    // production tier mistake (a t3.micro of unknown environment is usually a sandbox).
    let src = "resource \"aws_instance\" \"api\" {\n  instance_type = \"t3.micro\"\n}\n";
    let files = vec![director_evidence::SourceFile::new("infra/api.tf", src)];
    let report = analyze(&files, &[], &AnalyzerConfig::default());
    assert!(of_rule(&report, "infra.tier.dev-class-in-production").is_empty());
    // With the task saying production, it is.
    let config = AnalyzerConfig {
        environment: Some(director_core::Environment::Production),
        ..AnalyzerConfig::default()
    };
    let report = analyze(&files, &[], &config);
    let hits = of_rule(&report, "infra.tier.dev-class-in-production");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Blocking);
}

#[test]
fn disabled_backups_block_only_when_no_backup_plan_covers_the_database() {
    let db = "resource \"aws_db_instance\" \"main\" {\n  identifier              = \"main\"\n  multi_az                = true\n  backup_retention_period = 0\n}\n";
    let plan = "resource \"aws_backup_plan\" \"daily\" {\n  name = \"daily\"\n  rule {\n    rule_name         = \"daily\"\n    target_vault_name = \"main\"\n    schedule          = \"cron(0 5 ? * * *)\"\n  }\n}\n\nresource \"aws_backup_selection\" \"main\" {\n  name         = \"main\"\n  plan_id      = aws_backup_plan.daily.id\n  iam_role_arn = \"arn:aws:iam::1:role/backup\"\n  resources    = [aws_db_instance.main.arn]\n}\n";
    let alone = vec![director_evidence::SourceFile::new("db.tf", db)];
    let report = analyze(&alone, &[], &AnalyzerConfig::default());
    let hits = of_rule(&report, "infra.db.backup-retention");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Blocking);
    let related = vec![director_evidence::SourceFile::new("backup.tf", plan)];
    let report = analyze(&alone, &related, &AnalyzerConfig::default());
    let hits = of_rule(&report, "infra.db.backup-retention");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Warning, "{}", hits[0].title);
    assert!(hits[0].title.contains("only AWS Backup covers it"));
}

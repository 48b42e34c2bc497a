//! Terraform as people write it: variables, module calls, variable files, JSON syntax
//! and plan files, on the RDS-module fixture (`tests/fixtures/terraform/rds-module`).

use crate::common::{assert_evidence_exact, fixtures};
use crate::files::read_dir;
use director_evidence::{AnalyzerConfig, EvidenceReport, SourceFile, analyze};

/// The fixture's files, split into targets (`targets` paths) and the rest.
fn split(targets: &[&str]) -> (Vec<SourceFile>, Vec<SourceFile>) {
    let root = fixtures().join("terraform/rds-module");
    let all = read_dir(&root, &root);
    all.into_iter()
        .filter(|f| {
            f.path.ends_with(".tf") || f.path.ends_with(".json") || f.path.ends_with(".tfvars")
        })
        .partition(|f| targets.contains(&f.path.as_str()))
}

fn run(targets: &[&str], config: &AnalyzerConfig) -> (EvidenceReport, Vec<SourceFile>) {
    let (t, r) = split(targets);
    let report = analyze(&t, &r, config);
    let all: Vec<SourceFile> = t.into_iter().chain(r).collect();
    assert_evidence_exact(&report, &all);
    (report, all)
}

fn show(report: &EvidenceReport) -> String {
    report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}-{} {:?} | {} | related {:?}\n",
                f.rule_id.as_deref().unwrap_or(""),
                f.path.as_deref().unwrap_or(""),
                f.start_line.unwrap_or(0),
                f.end_line.unwrap_or(0),
                f.resources,
                f.title,
                f.related
                    .iter()
                    .map(|l| format!("{}:{}", l.path, l.start_line))
                    .collect::<Vec<_>>()
            )
        })
        .collect()
}

/// `(rule, line)` of every finding.
fn rule_lines(report: &EvidenceReport) -> Vec<(String, u32)> {
    report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone().unwrap_or_default(),
                f.start_line.unwrap_or(0),
            )
        })
        .collect()
}

const DB: &str = "module.db.module.db_instance.aws_db_instance.this";

#[test]
fn rds_example_is_reported_at_the_call_site() {
    let (report, _) = run(&["examples/complete/main.tf"], &AnalyzerConfig::default());
    let found = rule_lines(&report);
    for (rule, line) in [
        // `backup_retention_period = 1`, `deletion_protection = false`, and `multi_az`
        // left at the module's default `false` (reported at the `module "db"` line).
        ("infra.db.backup-retention", 28),
        ("infra.db.no-deletion-protection", 29),
        ("infra.rds.single-az", 16),
    ] {
        assert!(
            found.contains(&(rule.to_string(), line)),
            "{rule} at line {line} missing:\n{}",
            show(&report)
        );
    }
    for f in &report.findings {
        assert_eq!(
            f.path.as_deref(),
            Some("examples/complete/main.tf"),
            "{}",
            show(&report)
        );
        assert_eq!(f.resources, vec![DB.to_string()]);
        // The resource inside the module is named as the related location.
        assert_eq!(f.related.len(), 1, "{}", show(&report));
        assert_eq!(f.related[0].path, "modules/db_instance/main.tf");
    }
    let retention = report
        .findings
        .iter()
        .find(|f| f.rule_id.as_deref() == Some("infra.db.backup-retention"))
        .unwrap();
    assert_eq!(
        retention.evidence.as_deref(),
        Some("  backup_retention_period = 1")
    );
    assert_eq!(
        retention.related[0].start_line, 15,
        "the attribute inside the module"
    );
    assert!(
        retention.title.contains("only 1 day(s)"),
        "{}",
        retention.title
    );
    // The VPC comes from the registry: listed as not evaluated, not silently clean.
    assert_eq!(report.not_evaluated.len(), 1, "{:?}", report.not_evaluated);
    assert!(
        report.not_evaluated[0].starts_with(
            "not evaluated: module `module.vpc` at examples/complete/main.tf:39: remote source"
        ),
        "{:?}",
        report.not_evaluated
    );
}

#[test]
fn safe_inputs_and_unknown_values_give_no_findings() {
    let (report, _) = run(&["examples/safe/main.tf"], &AnalyzerConfig::default());
    assert!(report.findings.is_empty(), "{}", show(&report));
    assert!(report.not_evaluated.is_empty());
}

#[test]
fn a_changed_module_is_reported_on_its_own_lines_with_the_caller_as_related() {
    let (report, _) = run(&["modules/db_instance/main.tf"], &AnalyzerConfig::default());
    let deletion: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id.as_deref() == Some("infra.db.no-deletion-protection"))
        .collect();
    // Only the complete example turns protection off; the safe one sets it.
    assert_eq!(deletion.len(), 1, "{}", show(&report));
    let f = deletion[0];
    assert_eq!(f.path.as_deref(), Some("modules/db_instance/main.tf"));
    assert_eq!(f.start_line, Some(16));
    assert_eq!(f.related[0].path, "examples/complete/main.tf");
    assert_eq!(f.related[0].start_line, 29);
}

#[test]
fn unchanged_files_yield_nothing() {
    let (report, _) = run(&[], &AnalyzerConfig::default());
    assert!(report.findings.is_empty());
    assert!(report.not_evaluated.is_empty());
}

#[test]
fn a_plan_file_evaluates_remote_modules_and_keeps_call_site_lines() {
    let mut config = AnalyzerConfig::default();
    config.terraform.plan = Some("examples/complete/plan.json".into());
    let (report, _) = run(&["examples/complete/main.tf"], &config);
    assert!(report.parse_errors.is_empty(), "{:?}", report.parse_errors);
    assert!(
        report.not_evaluated.is_empty(),
        "{:?}",
        report.not_evaluated
    );
    let found = rule_lines(&report);
    for (rule, line) in [
        ("infra.db.backup-retention", 28),
        ("infra.db.no-deletion-protection", 29),
        ("infra.rds.single-az", 16),
        // The registry VPC, known only through the plan, at its module call.
        ("infra.vpc.no-flow-logs", 39),
    ] {
        assert!(
            found.contains(&(rule.to_string(), line)),
            "{rule} at line {line} missing:\n{}",
            show(&report)
        );
    }
    let vpc = report
        .findings
        .iter()
        .find(|f| f.rule_id.as_deref() == Some("infra.vpc.no-flow-logs"))
        .unwrap();
    assert_eq!(vpc.resources, vec!["module.vpc.aws_vpc.this".to_string()]);
    // kms_key_id is known after apply: unknown, so no encryption finding.
    assert!(
        !found.iter().any(|(r, _)| r == "sec.db.unencrypted"),
        "{}",
        show(&report)
    );
}

/// Analyze in-memory files: `(path, text, is_target)`.
fn files(list: &[(&str, &str, bool)], config: &AnalyzerConfig) -> EvidenceReport {
    let targets: Vec<SourceFile> = list
        .iter()
        .filter(|f| f.2)
        .map(|f| SourceFile::new(f.0, f.1))
        .collect();
    let related: Vec<SourceFile> = list
        .iter()
        .filter(|f| !f.2)
        .map(|f| SourceFile::new(f.0, f.1))
        .collect();
    let report = analyze(&targets, &related, config);
    let all: Vec<SourceFile> = targets.into_iter().chain(related).collect();
    assert_evidence_exact(&report, &all);
    report
}

fn retention(report: &EvidenceReport) -> Vec<(String, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.rule_id.as_deref() == Some("infra.db.backup-retention"))
        .map(|f| (f.path.clone().unwrap(), f.title.clone()))
        .collect()
}

const DB_TF: &str = r#"variable "days" {
  default = 1
}

resource "aws_db_instance" "db" {
  multi_az                = true
  deletion_protection     = true
  storage_encrypted       = true
  backup_retention_period = var.days
}
"#;

#[test]
fn variable_values_follow_terraforms_order() {
    let mut config = AnalyzerConfig::default();
    let only = |extra: &[(&str, &str, bool)], config: &AnalyzerConfig| {
        let mut list = vec![("live/main.tf", DB_TF, true)];
        list.extend_from_slice(extra);
        retention(&files(&list, config))
    };
    // The default.
    assert!(only(&[], &config)[0].1.contains("only 1 day(s)"));
    // terraform.tfvars < terraform.tfvars.json < *.auto.tfvars (lexical).
    let tfvars = ("live/terraform.tfvars", "days = 2\n", false);
    let json = ("live/terraform.tfvars.json", "{\"days\": 3}\n", false);
    let auto_a = ("live/a.auto.tfvars", "days = 4\n", false);
    let auto_b = ("live/b.auto.tfvars", "days = 5\n", false);
    assert!(only(&[tfvars], &config)[0].1.contains("only 2 day(s)"));
    assert!(
        only(&[tfvars, json], &config)[0]
            .1
            .contains("only 3 day(s)")
    );
    assert!(
        only(&[auto_b, tfvars, auto_a, json], &config)[0]
            .1
            .contains("only 5 day(s)")
    );
    // A file elsewhere is not automatic.
    assert!(
        only(&[("other/terraform.tfvars", "days = 6\n", false)], &config)[0]
            .1
            .contains("only 1 day(s)")
    );
    // Configured var files come next, then configured values.
    config.terraform.var_files = vec!["envs/prod.tfvars".into()];
    let prod = ("envs/prod.tfvars", "days = 6\n", false);
    assert!(
        only(&[auto_b, prod], &config)[0]
            .1
            .contains("only 6 day(s)")
    );
    config
        .terraform
        .vars
        .insert("days".into(), serde_json::json!(30));
    assert!(
        only(&[auto_b, prod], &config).is_empty(),
        "30 days is enough"
    );
}

#[test]
fn a_changed_variable_file_is_where_the_finding_points() {
    let report = files(
        &[
            ("live/main.tf", DB_TF, false),
            ("live/terraform.tfvars", "# retention\ndays = 2\n", true),
        ],
        &AnalyzerConfig::default(),
    );
    let f = &report.findings;
    assert_eq!(f.len(), 1, "{}", show(&report));
    assert_eq!(f[0].path.as_deref(), Some("live/terraform.tfvars"));
    assert_eq!(f[0].start_line, Some(2));
    assert_eq!(f[0].evidence.as_deref(), Some("days = 2"));
    assert_eq!(f[0].related[0].path, "live/main.tf");
    assert_eq!(f[0].related[0].start_line, 9);
}

#[test]
fn unknown_values_do_not_fire_and_known_ones_do() {
    let tf = r#"variable "az" {}
variable "off" {
  default = false
}
locals {
  prod = true
}

resource "aws_db_instance" "unknown" {
  multi_az                = var.az
  deletion_protection     = local.prod ? true : var.az
  storage_encrypted       = coalesce(var.az, true)
  backup_retention_period = try(var.az.days, 7)
}

resource "aws_db_instance" "known" {
  multi_az                = var.off
  deletion_protection     = !local.prod
  storage_encrypted       = local.prod
  backup_retention_period = 14
}
"#;
    let config = AnalyzerConfig {
        disabled_rules: vec![
            "infra.rds.no-read-replica".into(),
            "infra.rds.no-cross-region-backup".into(),
            "infra.monitoring.no-alarm".into(),
            "infra.rds.no-log-exports".into(),
            "infra.rds.no-enhanced-monitoring".into(),
            "infra.rds.no-performance-insights".into(),
            "infra.tags.missing".into(),
            "infra.monitoring.no-alerting".into(),
            "infra.monitoring.no-dashboard".into(),
        ],
        ..AnalyzerConfig::default()
    };
    let report = files(&[("main.tf", tf, true)], &config);
    assert_eq!(
        rule_lines(&report),
        vec![
            ("infra.rds.single-az".to_string(), 17),
            ("infra.db.no-deletion-protection".to_string(), 18),
        ],
        "{}",
        show(&report)
    );
}

#[test]
fn count_and_for_each_are_judged_conservatively() {
    let tf = r#"variable "create" {
  default = false
}

resource "aws_db_instance" "never" {
  count    = var.create ? 1 : 0
  multi_az = false
}

resource "aws_db_instance" "same" {
  for_each = toset(["a", "b"])
  multi_az = false
}

resource "aws_db_instance" "differ" {
  for_each = { a = true, b = false }
  multi_az = each.value
}

resource "aws_db_instance" "by_index" {
  count    = 2
  multi_az = count.index == 0
}
"#;
    let report = files(&[("main.tf", tf, true)], &AnalyzerConfig::default());
    let single_az: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.rule_id.as_deref() == Some("infra.rds.single-az"))
        .map(|f| f.resources[0].as_str())
        .collect();
    // `never` is not created; `differ` and `by_index` differ per instance: unknown.
    assert_eq!(single_az, vec!["aws_db_instance.same"], "{}", show(&report));
}

#[test]
fn json_syntax_is_the_same_model_with_the_json_lines() {
    let json = r#"{
  "variable": {
    "az": { "default": false }
  },
  "resource": {
    "aws_db_instance": {
      "db": {
        "multi_az": "${var.az}",
        "deletion_protection": true,
        "storage_encrypted": true,
        "backup_retention_period": 14
      }
    }
  }
}
"#;
    let report = files(&[("cdk.tf.json", json, true)], &AnalyzerConfig::default());
    assert!(report.parse_errors.is_empty(), "{:?}", report.parse_errors);
    assert_eq!(report.files_analyzed, 1);
    let az = report
        .findings
        .iter()
        .find(|f| f.rule_id.as_deref() == Some("infra.rds.single-az"))
        .unwrap_or_else(|| panic!("{}", show(&report)));
    assert_eq!(az.start_line, Some(8));
    assert_eq!(
        az.evidence.as_deref(),
        Some(r#"        "multi_az": "${var.az}","#)
    );
    assert!(
        !rule_lines(&report)
            .iter()
            .any(|(r, _)| r == "infra.db.no-deletion-protection")
    );
}

#[test]
fn bad_plans_are_reported_not_trusted() {
    let mut config = AnalyzerConfig::default();
    config.terraform.plan = Some("plan.json".into());
    let db = ("main.tf", DB_TF, true);
    for (plan, expected) in [
        ("{ not json", "plan.json: invalid JSON at line 1"),
        (
            "{\"format_version\": \"9.0\"}",
            "not a Terraform plan in JSON",
        ),
        (
            "{\"format_version\": \"1.2\", \"resource_changes\": [{\"address\": \"aws_s3_bucket.other\", \"mode\": \"managed\", \"type\": \"aws_s3_bucket\", \"name\": \"other\", \"change\": {\"actions\": [\"create\"], \"after\": {}}}]}",
            "none of its resources or module calls",
        ),
    ] {
        let report = files(&[db, ("plan.json", plan, false)], &config);
        assert!(
            report.parse_errors.iter().any(|e| e.contains(expected)),
            "{expected}: {:?}",
            report.parse_errors
        );
        assert!(report.parse_errors.iter().all(|e| e.contains("hint")));
        // The static evaluation still stands.
        assert!(!retention(&report).is_empty());
    }
}

#[test]
fn local_modules_missing_from_the_files_are_listed() {
    let tf = "module \"net\" {\n  source = \"./modules/net\"\n}\n";
    let report = files(&[("main.tf", tf, true)], &AnalyzerConfig::default());
    assert_eq!(
        report.not_evaluated,
        vec!["not evaluated: module `module.net` at main.tf:1: local source `./modules/net` (folder `modules/net`) is not among the analyzed files".to_string()]
    );
}

#[test]
fn evaluation_can_be_switched_off() {
    let mut config = AnalyzerConfig::default();
    config.terraform.evaluate = false;
    let (report, _) = run(&["examples/complete/main.tf"], &config);
    assert!(report.findings.is_empty(), "{}", show(&report));
    assert!(report.not_evaluated.is_empty());
}

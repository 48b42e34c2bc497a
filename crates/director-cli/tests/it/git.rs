//! `director verify` on real git changes: the working tree against the default
//! branch, and an explicit commit range. Only the changed files are reviewed.

use crate::support::*;
use serde_json::Value;

fn git(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const GOOD_DB: &str = "resource \"aws_db_instance\" \"main\" {\n  engine                  = \"postgres\"\n  multi_az                = true\n  backup_retention_period = 14\n  deletion_protection     = true\n  storage_encrypted       = true\n  tags = {\n    Environment = \"production\"\n    Owner       = \"db\"\n    CostCenter  = \"cc-1\"\n  }\n}\n";

#[test]
fn working_tree_and_commit_ranges_review_only_the_change() {
    let dir = Dir::new();
    let root = dir.path();
    git(&root, &["init", "-q", "-b", "main"]);
    // The repository alerts on something, so the database's missing alarm is a warning
    // (Failure Criterion 5 blocks only when nothing alerts anywhere).
    dir.write("monitoring/alarms.tf", "resource \"aws_cloudwatch_metric_alarm\" \"errors\" {\n  alarm_name    = \"api-errors\"\n  alarm_actions = [\"arn:aws:sns:eu-west-1:123456789012:oncall\"]\n}\n")
        .write("infra/db.tf", GOOD_DB)
        .write("infra/legacy.tf", "resource \"aws_security_group\" \"old\" {\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\n")
        .write(".director/tasks/db.toml", "id = \"db\"\ntitle = \"Tune the database\"\nenvironment = \"production\"\n");
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    git(&root, &["checkout", "-q", "-b", "feature"]);
    // The change turns Multi-AZ off; the legacy open SSH rule is not part of it.
    dir.write(
        "infra/db.tf",
        &GOOD_DB.replace(
            "multi_az                = true",
            "multi_az                = false",
        ),
    );

    let run = |extra: &[&str]| -> Value {
        let out = director(&root)
            .args(["verify", "--task", "db", "--format", "json", "--repo"])
            .arg(&root)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let record = run(&[]);
    assert_eq!(record["repository"]["mode"], "working-tree");
    let changes: Vec<&str> = record["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["infra/db.tf"]);
    let rules: Vec<&str> = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(rules.contains(&"infra.rds.single-az"), "{rules:?}");
    assert!(
        !rules.contains(&"sec.sg.open-ssh"),
        "unchanged files are not reviewed: {rules:?}"
    );

    // A second run does not review the first run's record (an untracked file here).
    let again = run(&[]);
    let changes: Vec<&str> = again["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["infra/db.tf"]);

    git(&root, &["commit", "-qam", "single az"]);
    let record = run(&["--base", "main", "--head", "feature"]);
    assert_eq!(record["repository"]["mode"], "git-range");
    assert_eq!(record["repository"]["base"], "main");
    assert!(
        record["repository"]["head_commit"]
            .as_str()
            .is_some_and(|c| c.len() == 40)
    );
    let blocking: Vec<&str> = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["blocks"] == true)
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert_eq!(blocking, ["infra.rds.single-az"]);
    let finding = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "infra.rds.single-az")
        .unwrap();
    assert_eq!(finding["path"], "infra/db.tf");
    assert_eq!(finding["start_line"], 3);
}

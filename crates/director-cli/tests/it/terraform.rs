//! `director evidence` on module-based Terraform: findings at the module call with the
//! module's resource as a related location (JSON record and SARIF), registry modules
//! listed as not evaluated, `--terraform-plan`, and bad plan or var-file input.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

/// A repository holding the evidence crate's RDS-module fixture.
fn rds_repo(config: &str) -> Dir {
    let fixture = workspace().join("crates/director-evidence/tests/fixtures/terraform/rds-module");
    let dir = Dir::new();
    copy(&fixture, &fixture, &dir);
    dir.write(".director/config.toml", config);
    dir
}

fn copy(root: &Path, from: &Path, to: &Dir) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            copy(root, &path, to);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            to.write(&rel, &std::fs::read_to_string(&path).unwrap());
        }
    }
}

fn evidence(repo: &Dir, args: &[&str]) -> (Option<i32>, String, String) {
    let home = Dir::new();
    let out = director(&home.path())
        .current_dir(repo.path())
        .arg("evidence")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn finding<'r>(record: &'r Value, rule: &str) -> &'r Value {
    record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {record:#}"))
}

#[test]
fn module_inputs_are_reported_at_the_call_site() {
    let repo = rds_repo("");
    let (code, stdout, stderr) = evidence(&repo, &["examples/complete", "--format", "json"]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let record: Value = serde_json::from_str(&stdout).unwrap();
    let f = finding(&record, "infra.db.no-deletion-protection");
    assert_eq!(f["path"], "examples/complete/main.tf");
    assert_eq!(f["start_line"], 29);
    assert_eq!(f["evidence"], "  deletion_protection     = false");
    assert_eq!(
        f["resources"][0],
        "module.db.module.db_instance.aws_db_instance.this"
    );
    assert_eq!(f["related"][0]["path"], "modules/db_instance/main.tf");
    assert_eq!(f["related"][0]["start_line"], 16);
    assert_eq!(
        finding(&record, "infra.db.backup-retention")["start_line"],
        28
    );
    assert_eq!(finding(&record, "infra.rds.single-az")["start_line"], 16);
    let not_evaluated = record["evidence"]["not_evaluated"].as_array().unwrap();
    assert_eq!(not_evaluated.len(), 1);
    assert!(
        not_evaluated[0]
            .as_str()
            .unwrap()
            .contains("module `module.vpc`")
    );

    let (_, human, _) = evidence(&repo, &["examples/complete"]);
    assert!(
        human.contains("not evaluated: module `module.vpc`"),
        "{human}"
    );
    assert!(
        human.contains("see modules/db_instance/main.tf:16"),
        "{human}"
    );

    let (_, sarif, _) = evidence(&repo, &["examples/complete", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let related = results
        .iter()
        .find(|r| r["ruleId"] == "infra.db.no-deletion-protection")
        .map(|r| &r["relatedLocations"][0])
        .unwrap();
    assert_eq!(
        related["physicalLocation"]["artifactLocation"]["uri"],
        "modules/db_instance/main.tf"
    );
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 16);
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes.iter().any(|n| {
        n["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("not evaluated: module `module.vpc`")
    }));
}

#[test]
fn a_plan_file_covers_registry_modules() {
    let repo = rds_repo("");
    let (code, stdout, stderr) = evidence(
        &repo,
        &[
            "examples/complete",
            "--terraform-plan",
            "examples/complete/plan.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let record: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(record["evidence"].get("not_evaluated"), None, "{record:#}");
    let vpc = finding(&record, "infra.vpc.no-flow-logs");
    assert_eq!(vpc["path"], "examples/complete/main.tf");
    assert_eq!(vpc["start_line"], 39);
    assert_eq!(
        finding(&record, "infra.db.backup-retention")["start_line"],
        28
    );

    // The same plan from the trusted configuration.
    let repo = rds_repo("[evidence.terraform]\nplan = \"examples/complete/plan.json\"\n");
    let (_, stdout, _) = evidence(&repo, &["examples/complete", "--format", "json"]);
    let record: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(finding(&record, "infra.vpc.no-flow-logs")["start_line"], 39);
}

#[test]
fn bad_plans_and_var_files_are_input_errors() {
    let repo = rds_repo("");
    repo.write("binary.tfplan", "PK\u{3}\u{4}not json");
    repo.write("state.json", "{\"values\": {}}");
    for (plan, expected) in [
        ("missing.json", "failed to read `missing.json`"),
        ("binary.tfplan", "is not valid JSON"),
        ("state.json", "has no `format_version`"),
    ] {
        let (code, stdout, stderr) =
            evidence(&repo, &["examples/complete", "--terraform-plan", plan]);
        assert_eq!(code, Some(2), "{plan}: {stdout}\n{stderr}");
        assert!(stderr.contains(expected), "{plan}: {stderr}");
        assert!(stderr.contains("hint:"), "{plan}: {stderr}");
        assert!(stdout.is_empty(), "{plan}: {stdout}");
    }
    let repo = rds_repo("[evidence.terraform]\nvar_files = [\"envs/prod.tfvars\"]\n");
    let (code, _, stderr) = evidence(&repo, &["examples/complete"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("envs/prod.tfvars"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");

    // Once the file exists, the run goes ahead.
    repo.write("envs/prod.tfvars", "multi_az = true\n");
    let (code, stdout, stderr) = evidence(&repo, &["examples/complete", "--format", "json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(serde_json::from_str::<Value>(&stdout).is_ok());
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}");
}

#[test]
fn a_plan_the_change_rewrites_is_not_used() {
    let plan = |multi_az: bool| {
        format!(
            r#"{{"format_version": "1.2", "resource_changes": [{{"address": "aws_db_instance.main", "mode": "managed", "type": "aws_db_instance", "name": "main", "change": {{"actions": ["create"], "after": {{"multi_az": {multi_az}, "deletion_protection": true, "storage_encrypted": true, "backup_retention_period": 14}}, "after_unknown": {{}}}}}}]}}"#
        )
    };
    let db = "variable \"az\" {\n  default = false\n}\n\nresource \"aws_db_instance\" \"main\" {\n  multi_az                = var.az\n  deletion_protection     = true\n  storage_encrypted       = true\n  backup_retention_period = 14\n}\n";
    let dir = Dir::new();
    let root = dir.path();
    git(&root, &["init", "-q", "-b", "main"]);
    dir.write("infra/db.tf", "# placeholder\n")
        .write("plan.json", &plan(false))
        .write(
            ".director/config.toml",
            "[evidence.terraform]\nplan = \"plan.json\"\n",
        )
        .write(
            ".director/tasks/db.toml",
            "id = \"db\"\ntitle = \"Add the database\"\n",
        );
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    // The change adds a single-AZ database and rewrites the plan to say otherwise.
    dir.write("infra/db.tf", db).write("plan.json", &plan(true));
    let out = director(&root)
        .args([
            "verify",
            "--task",
            "db",
            "--offline",
            "--format",
            "json",
            "--repo",
        ])
        .arg(&root)
        .env("DIRECTOR_RUN__WRITE_RECORD", "false")
        .output()
        .unwrap();
    let record: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let notes = record["evidence"]["not_evaluated"].as_array().unwrap();
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .contains("plan `plan.json`: not used"),
        "{notes:?}"
    );
    let f = finding(&record, "infra.rds.single-az");
    assert_eq!(f["path"], "infra/db.tf");
    assert_eq!(f["start_line"], 6);
}

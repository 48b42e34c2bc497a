//! Pathologically nested files in a change (100k-deep YAML and JSON, deeply nested
//! HCL blocks and expressions, a deep Compose file) go through the real binary —
//! `director verify --offline` on a git change and `director evidence` on the files —
//! and end normally with each file reported as unparsable, never a stack overflow.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

const DEEP: usize = 100_000;

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

/// The deep files, each under the default 512 KiB inlining limit.
fn deep_files() -> Vec<(&'static str, String)> {
    let workload = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:";
    vec![
        (
            "k8s/flow.yaml",
            format!("{workload} {}\n", "[".repeat(DEEP)),
        ),
        (
            "k8s/block.yaml",
            format!("{workload}\n{}x\n", "- ".repeat(DEEP)),
        ),
        (
            "k8s/keys.yaml",
            format!("{workload}\n{}x\n", "? ".repeat(DEEP)),
        ),
        (
            "k8s/deep.json",
            format!(
                "{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{}}}\n",
                "{\"a\":".repeat(DEEP)
            ),
        ),
        ("infra/blocks.tf", "a {\n".repeat(DEEP)),
        (
            "infra/parens.tf",
            format!("x = {}1{}\n", "(".repeat(DEEP), ")".repeat(DEEP)),
        ),
        ("infra/lists.tf", format!("x = {}\n", "[".repeat(DEEP))),
        (
            "docker-compose.yml",
            format!("services: {}\n", "{a: ".repeat(DEEP)),
        ),
    ]
}

fn repo_with_deep_change() -> Dir {
    let dir = Dir::new();
    let root = dir.path();
    git(&root, &["init", "-q", "-b", "main"]);
    dir.write("README.md", "base\n").write(
        ".director/tasks/deep.toml",
        "id = \"deep\"\ntitle = \"Add deeply nested files\"\n",
    );
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    git(&root, &["checkout", "-q", "-b", "feature"]);
    for (path, text) in deep_files() {
        dir.write(path, &text);
    }
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "deep"]);
    dir
}

/// Every deep file is named among the parse errors.
fn assert_all_unparsable(parse_errors: &Value, context: &str) {
    let errors: Vec<&str> = parse_errors
        .as_array()
        .unwrap_or_else(|| panic!("no parse_errors in {context}"))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for (path, _) in deep_files() {
        assert!(
            errors.iter().any(|e| e.starts_with(path)),
            "{path} not reported as unparsable: {errors:#?}"
        );
    }
}

#[test]
fn verify_offline_survives_deeply_nested_files() {
    let dir = repo_with_deep_change();
    let root = dir.path();
    let out = director(&root)
        .args(["verify", "--offline", "--task", "deep", "--base", "main"])
        .args(["--head", "feature", "--format", "json", "--repo"])
        .arg(&root)
        .env("DIRECTOR_RUN__WRITE_RECORD", "false")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}\n{stderr}",
        out.status.code()
    );
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_all_unparsable(&record["evidence"]["parse_errors"], "the run record");
}

#[test]
fn evidence_command_survives_deeply_nested_files() {
    let dir = repo_with_deep_change();
    let root = dir.path();
    let out = director(&root)
        .current_dir(&root)
        .args([
            "evidence",
            "k8s",
            "infra",
            "docker-compose.yml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}\n{stderr}",
        out.status.code()
    );
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_all_unparsable(&record["evidence"]["parse_errors"], "the evidence record");
}

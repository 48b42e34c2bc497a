//! Every example under `examples/` is run: the README's main job.

use crate::support::*;

#[test]
fn orders_service_blocks_offline_on_evidence() {
    let root = workspace();
    let home = Dir::new();
    let repo = root.join("examples/orders-service");
    let out = director(&home.path())
        .args([
            "verify",
            "--task",
            "add-orders-db",
            "--progress",
            "plain",
            "--repo",
        ])
        .arg(&repo)
        .env("DIRECTOR_RUN__WRITE_RECORD", "false")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!("orders_service_offline", scrub(&stdout, &[&repo]));
}

#[test]
fn hardened_orders_service_passes_offline() {
    let root = workspace();
    let home = Dir::new();
    let repo = root.join("examples/orders-service-hardened");
    let out = director(&home.path())
        .args(["verify", "--task", "harden-orders-db", "--repo"])
        .arg(&repo)
        .env("DIRECTOR_RUN__WRITE_RECORD", "false")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("director: PASS"));
}

#[test]
fn evidence_command_scans_folders_like_checkov() {
    let root = workspace();
    let home = Dir::new();
    let repo = root.join("examples/orders-service");
    let out = director(&home.path())
        .current_dir(&repo)
        .args(["evidence", "infra", "k8s", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(!rules.is_empty());
    assert!(
        !repo.join(".director/runs/evidence").exists(),
        "no record for plain scans"
    );
}

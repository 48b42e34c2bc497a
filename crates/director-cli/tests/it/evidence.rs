//! `director evidence` with rendered manifests (`--rendered FILE|-`), other scanners'
//! SARIF (`--evidence-sarif`), the same inputs from trusted configuration, folders
//! outside the current repository, and the bad-input paths (exit 2, one-line error
//! with a hint, nothing written).

use crate::support::{Dir, director, workspace};

fn fixtures() -> std::path::PathBuf {
    workspace().join("crates/director-evidence/tests/fixtures")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn rules(record: &serde_json::Value) -> Vec<String> {
    record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str().map(str::to_string))
        .collect()
}

/// A scratch repository holding a copy of the Helm chart fixture.
fn chart_repo() -> Dir {
    let dir = Dir::new();
    let chart = fixtures().join("rendered/charts/shop");
    for name in [
        "Chart.yaml",
        "values.yaml",
        "templates/deployment.yaml",
        "templates/ingress.yaml",
    ] {
        let text = std::fs::read_to_string(chart.join(name)).unwrap();
        dir.write(&format!("charts/shop/{name}"), &text);
    }
    std::fs::create_dir_all(dir.path().join(".director")).unwrap();
    dir
}

#[test]
fn a_chart_without_rendered_input_is_listed_not_evaluated() {
    let repo = chart_repo();
    let home = Dir::new();
    let out = director(&home.path())
        .current_dir(repo.path())
        .args(["evidence", "charts", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let record = json(&out);
    assert_eq!(
        record["evidence"]["not_evaluated"],
        serde_json::json!([
            "not evaluated: Helm chart charts/shop (pass --rendered with `helm template` output)"
        ])
    );
    let human = director(&home.path())
        .current_dir(repo.path())
        .args(["evidence", "charts"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("not evaluated: Helm chart charts/shop")
    );
}

#[test]
fn rendered_from_stdin_maps_findings_to_the_chart_templates() {
    let repo = chart_repo();
    let home = Dir::new();
    let rendered = std::fs::read_to_string(fixtures().join("rendered/helm-template.yaml")).unwrap();
    let out = director(&home.path())
        .current_dir(repo.path())
        .args(["evidence", "charts", "--rendered", "-", "--format", "json"])
        .write_stdin(rendered)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record = json(&out);
    assert!(
        record["evidence"].get("not_evaluated").is_none(),
        "the chart was rendered"
    );
    let findings = record["findings"].as_array().unwrap();
    let host = findings
        .iter()
        .find(|f| f["rule_id"] == "sec.k8s.host-namespace")
        .unwrap();
    assert_eq!(host["path"], "charts/shop/templates/deployment.yaml");
    assert_eq!(host["start_line"], 16);
    let privileged = findings
        .iter()
        .find(|f| f["rule_id"] == "sec.k8s.privileged")
        .unwrap();
    assert_eq!(privileged["path"], "<stdin>");
}

#[test]
fn rendered_and_sarif_from_trusted_configuration() {
    let repo = chart_repo();
    let rendered = std::fs::read_to_string(fixtures().join("rendered/helm-template.yaml")).unwrap();
    repo.write("out/rendered.yaml", &rendered);
    repo.write(
        "app/views.py",
        &std::fs::read_to_string(fixtures().join("sarif/app/views.py")).unwrap(),
    );
    repo.write(
        "reports/semgrep.sarif",
        &std::fs::read_to_string(fixtures().join("sarif/reports/semgrep.sarif")).unwrap(),
    );
    repo.write(
        ".director/config.toml",
        "[evidence]\nsarif = [\"reports/semgrep.sarif\"]\n[evidence.sarif_severity]\n\"semgrep-oss\" = \"info\"\n[evidence.kubernetes]\nrendered = [\"out/rendered.yaml\"]\n",
    );
    let home = Dir::new();
    let out = director(&home.path())
        .current_dir(repo.path())
        .args(["evidence", "charts", "--format", "json"])
        .output()
        .unwrap();
    let record = json(&out);
    let ids = rules(&record);
    assert!(ids.iter().any(|r| r == "sec.k8s.host-namespace"), "{ids:?}");
    let sql = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule_id"]
                == "semgrep-oss/python.lang.security.audit.formatted-sql-query.formatted-sql-query"
        })
        .unwrap();
    assert_eq!(sql["severity"], "info", "trusted config lowered it");
    assert_eq!(sql["path"], "app/views.py");
    assert_eq!(
        sql["evidence"],
        "    query = \"SELECT * FROM orders WHERE customer = '%s'\" % customer"
    );
    let skipped = record["evidence"]["not_evaluated"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s.as_str().unwrap().contains("beyond the file's 14 lines")),
        "{skipped:?}"
    );
}

#[test]
fn a_folder_outside_the_current_repository_is_analyzed_in_its_own_project() {
    let outside = Dir::new();
    std::fs::create_dir_all(outside.path().join(".director")).unwrap();
    outside.write(
        "infra/db.tf",
        "resource \"aws_db_instance\" \"db\" {\n  publicly_accessible = true\n}\n",
    );
    let cwd = chart_repo();
    let home = Dir::new();
    let out = director(&home.path())
        .current_dir(cwd.path())
        .arg("evidence")
        .arg(outside.path().join("infra"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record = json(&out);
    let public = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "sec.db.publicly-accessible")
        .unwrap();
    assert_eq!(public["path"], "infra/db.tf");
    assert_eq!(public["evidence"], "  publicly_accessible = true");
}

#[test]
fn bad_evidence_inputs_exit_2_with_a_hint() {
    let repo = chart_repo();
    repo.write(
        "bad.sarif",
        "{\"version\":\"2.1.0\",\"runs\":[{\"results\":[]}]}",
    );
    let home = Dir::new();
    for args in [
        vec!["evidence", "charts", "--evidence-sarif", "missing.sarif"],
        vec!["evidence", "charts", "--evidence-sarif", "bad.sarif"],
        vec!["evidence", "charts", "--rendered", "nope.yaml"],
        vec!["evidence", "charts", "--rendered", "-", "--rendered", "-"],
    ] {
        let out = director(&home.path())
            .current_dir(repo.path())
            .args(&args)
            .write_stdin("")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains("hint:"), "{args:?}: {stderr}");
    }
    let out = director(&home.path())
        .current_dir(repo.path())
        .args(["evidence", "charts", "--evidence-sarif", "bad.sarif"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.sarif: not a SARIF 2.1.0 log"),
        "{stderr}"
    );
    assert!(stderr.contains("runs[0]"), "{stderr}");
    assert!(!repo.path().join(".director/runs").exists());
}

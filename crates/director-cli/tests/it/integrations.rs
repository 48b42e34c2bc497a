//! Issue 7 entry points through the real binary: every `--format` written with
//! `--output FILE`, the GitHub job summary, `runs show` in the CI formats, `director
//! init` (everything it writes parses and works), the composite action's script run
//! in a simulated GitHub Actions environment, and the progress/log flags.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use crate::support::*;
use saphyr::{LoadableYamlNode as _, Yaml};
use serde_json::Value;
use std::path::{Path, PathBuf};

const DB_TF: &str = r#"resource "aws_db_instance" "orders" {
  identifier              = "orders-prod"
  engine                  = "postgres"
  instance_class          = "db.r6g.large"
  allocated_storage       = 100
  multi_az                = false
  backup_retention_period = 7
  storage_encrypted       = true
  deletion_protection     = true
}
"#;

fn fixture() -> Dir {
    let dir = Dir::new();
    // Alerting elsewhere in the repository keeps the single-AZ database the one blocker.
    dir.write("monitoring/alarms.tf", "resource \"aws_cloudwatch_metric_alarm\" \"errors\" {\n  alarm_name    = \"api-errors\"\n  alarm_actions = [\"arn:aws:sns:eu-west-1:123456789012:oncall\"]\n}\n")
        .write("infra/db.tf", DB_TF)
        .write(
        ".director/tasks/orders.toml",
        "id = \"orders\"\ntitle = \"Orders database\"\npaths = [\"infra\"]\nenvironment = \"production\"\n",
    );
    dir
}

fn verify(dir: &Dir, extra: &[&str]) -> std::process::Output {
    director(&dir.path())
        .args(["verify", "--task", "orders", "--offline", "--repo"])
        .arg(dir.path())
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn every_format_is_written_to_a_file_with_output() {
    let dir = fixture();
    type Check = (&'static str, fn(&str));
    let checks: &[Check] = &[
        ("human", |t| assert!(t.contains("BLOCK"), "{t}")),
        ("json", |t| {
            assert_eq!(
                serde_json::from_str::<Value>(t).unwrap()["decision"],
                "block"
            )
        }),
        ("markdown", |t| {
            assert!(t.starts_with("## ⛔ director: **block**"), "{t}")
        }),
        ("sarif", |t| {
            let v: Value = serde_json::from_str(t).unwrap();
            assert_eq!(v["version"], "2.1.0");
            assert_eq!(v["runs"][0]["tool"]["driver"]["name"], "director");
            assert_eq!(v["runs"][0]["results"][0]["ruleId"], "infra.rds.single-az");
        }),
        ("github", |t| {
            assert!(t.lines().all(|l| l.starts_with("::")), "{t}");
            assert!(
                t.starts_with("::error file=infra/db.tf,line=6,endLine=6,"),
                "{t}"
            );
        }),
        ("junit", |t| {
            assert!(t.starts_with("<?xml"), "{t}");
            assert!(t.contains("<testsuite name=\"orders\""), "{t}");
            assert!(
                t.contains("<testcase name=\"deterministic-evidence\""),
                "{t}"
            );
        }),
        ("rdjson", |t| {
            let v: Value = serde_json::from_str(t).unwrap();
            assert_eq!(v["source"]["name"], "director");
            assert_eq!(v["diagnostics"][0]["severity"], "ERROR");
        }),
    ];
    for (format, check) in checks {
        let file = dir.path().join("out").join(format!("report.{format}"));
        let out = verify(
            &dir,
            &["--format", format, "--output", file.to_str().unwrap()],
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty(),
            "{format}: stdout stays empty with --output"
        );
        let text = std::fs::read_to_string(&file).unwrap();
        check(&text);
        // The same format straight to stdout is the same document (up to the run id and time).
        let direct = verify(&dir, &["--format", format]);
        let direct = String::from_utf8(direct.stdout).unwrap();
        let mask = |s: &str| scrub(s, &[]);
        assert_eq!(
            mask(&direct).lines().count(),
            mask(&text).lines().count(),
            "{format}"
        );
    }
    // Only the reports are in out/: the atomic write leaves no temporary files behind.
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        checks.len()
    );
}

#[test]
fn github_format_appends_the_markdown_report_to_the_job_summary() {
    let dir = fixture();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = director(&dir.path())
        .args([
            "verify",
            "--task",
            "orders",
            "--offline",
            "--format",
            "github",
            "--repo",
        ])
        .arg(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n## ⛔ director: **block** — Orders database"),
        "{text}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.contains("## "),
        "the Markdown goes to the summary, not among the annotations"
    );

    // Other formats leave the summary alone; `runs show` renders the stored record.
    let before = std::fs::read_to_string(&summary).unwrap();
    let sarif = director(&dir.path())
        .args(["runs", "show", "latest", "--format", "sarif", "--repo"])
        .arg(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert!(sarif.status.success());
    let v: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(
        v["runs"][0]["invocations"][0]["properties"]["decision"],
        "block"
    );
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), before);
    let shown = director(&dir.path())
        .args(["runs", "show", "latest", "--format", "github", "--repo"])
        .arg(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert!(shown.status.success());
    assert!(std::fs::read_to_string(&summary).unwrap().len() > before.len());
}

fn yaml(path: &Path) -> Yaml<'static> {
    let text: &'static str = Box::leak(std::fs::read_to_string(path).unwrap().into_boxed_str());
    let mut docs = Yaml::load_from_str(text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(docs.len(), 1, "{}", path.display());
    docs.remove(0)
}

#[test]
fn init_scaffolds_files_that_parse_and_work() {
    let dir = Dir::new();
    let out = director(&dir.path())
        .args(["init", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    for file in [
        ".director/config.toml",
        ".director/tasks/example.toml",
        ".director/ci/github-actions.yml",
        ".director/ci/gitlab-ci.yml",
    ] {
        assert!(stdout.contains(&format!("created {file}")), "{stdout}");
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    let config = director(&dir.path())
        .args(["config", "show", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        config.status.success(),
        "{}",
        String::from_utf8_lossy(&config.stderr)
    );
    assert!(
        String::from_utf8(config.stdout)
            .unwrap()
            .contains("provider.model")
    );
    let task = director(&dir.path())
        .args(["task", "show", "example", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        task.status.success(),
        "{}",
        String::from_utf8_lossy(&task.stderr)
    );
    assert!(
        String::from_utf8(task.stdout)
            .unwrap()
            .contains("id = \"example\"")
    );

    let gha = yaml(&dir.path().join(".director/ci/github-actions.yml"));
    let steps = gha["jobs"]["verify"]["steps"].as_vec().unwrap();
    assert!(steps.iter().any(|s| {
        s.as_mapping_get("uses")
            .and_then(|u| u.as_str())
            .is_some_and(|u| u.starts_with("director-dev/director@"))
    }));
    assert_eq!(
        gha["permissions"]["security-events"].as_str(),
        Some("write")
    );
    let gitlab = yaml(&dir.path().join(".director/ci/gitlab-ci.yml"));
    let script = gitlab["director"]["script"].as_vec().unwrap();
    assert!(
        script
            .iter()
            .any(|l| l.as_str().unwrap().contains("--format junit"))
    );
    assert_eq!(
        gitlab["director"]["artifacts"]["reports"]["junit"].as_str(),
        Some("director-junit.xml")
    );

    // The sample task verifies (offline here: nothing to review but the task itself).
    let verify = director(&dir.path())
        .args([
            "verify",
            "--task",
            "example",
            "--offline",
            "--paths",
            ".director/tasks",
            "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // A second init refuses, names the files, writes nothing; --force overwrites.
    std::fs::write(
        dir.path().join(".director/tasks/example.toml"),
        "id = \"example\"\ntitle = \"mine\"\n",
    )
    .unwrap();
    let again = director(&dir.path())
        .args(["init", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8(again.stderr).unwrap();
    assert!(
        err.contains(".director/config.toml") && err.contains("hint:") && err.contains("--force"),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(dir.path().join(".director/tasks/example.toml"))
            .unwrap()
            .contains("mine")
    );
    let forced = director(&dir.path())
        .args(["init", "--force", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0));
    assert!(
        String::from_utf8(forced.stdout)
            .unwrap()
            .contains("overwrote .director/tasks/example.toml")
    );
    assert!(
        !std::fs::read_to_string(dir.path().join(".director/tasks/example.toml"))
            .unwrap()
            .contains("mine")
    );
}

/// The directory holding the `director` binary under test.
fn bin_dir() -> PathBuf {
    assert_cmd::cargo::cargo_bin("director")
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Run the action's `Verify` step script with bash as GitHub Actions would: its `env`
/// block resolved from `inputs`, and the runner's files for outputs and the summary.
fn run_action_step(
    action: &Yaml<'_>,
    dir: &Dir,
    inputs: &[(&str, &str)],
) -> (std::process::Output, String, String) {
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let step = steps
        .iter()
        .find(|s| s.as_mapping_get("id").and_then(|i| i.as_str()) == Some("verify"))
        .unwrap();
    let script = step["run"].as_str().unwrap();
    let runner = dir.path().join("runner");
    std::fs::create_dir_all(&runner).unwrap();
    let output = runner.join("output");
    let summary = runner.join("summary");
    std::fs::write(&output, "").unwrap();
    std::fs::write(&summary, "").unwrap();
    let home = dir.path().join("home");
    let mut bash = std::process::Command::new("bash");
    bash.arg("-c").arg(script).current_dir(dir.path());
    for (key, _) in std::env::vars() {
        if key.starts_with("DIRECTOR_") || key.starts_with("OPENAI_") || key.starts_with("GITHUB_")
        {
            bash.env_remove(key);
        }
    }
    bash.env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("NO_COLOR", "1");
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    bash.env("PATH", path)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("RUNNER_TEMP", &runner)
        .env("GITHUB_HEAD_REF", "feature/orders-db")
        .env("DIRECTOR_SARIF", "director.sarif");
    for key in [
        "DIRECTOR_TASK",
        "DIRECTOR_TASK_TITLE",
        "DIRECTOR_TASK_DESCRIPTION",
        "DIRECTOR_TASK_CRITERIA",
        "DIRECTOR_TASK_ENVIRONMENT",
        "DIRECTOR_BASE",
        "DIRECTOR_HEAD",
        "DIRECTOR_ARGS",
    ] {
        assert!(
            step["env"][key].as_str().is_some(),
            "the step maps an input to {key}"
        );
        bash.env(key, "");
    }
    for (key, value) in inputs {
        bash.env(key, value);
    }
    let out = bash.output().unwrap();
    (
        out,
        std::fs::read_to_string(output).unwrap(),
        std::fs::read_to_string(summary).unwrap(),
    )
}

#[test]
fn the_composite_action_verifies_uploads_and_gates() {
    let action = yaml(&workspace().join("action.yml"));
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let steps = action["runs"]["steps"].as_vec().unwrap();
    let install = steps[0]["run"].as_str().unwrap();
    assert!(
        install.contains("cargo install --locked") && install.contains("crates/director-cli"),
        "{install}"
    );
    let upload = steps
        .iter()
        .find(|s| {
            s.as_mapping_get("uses")
                .and_then(|u| u.as_str())
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .unwrap();
    assert!(
        upload["with"]["sarif_file"]
            .as_str()
            .unwrap()
            .contains("sarif-path")
    );
    let gate = steps.last().unwrap()["run"].as_str().unwrap();
    assert!(gate.contains("exit \"$CODE\""), "{gate}");

    // A task id: the gate blocks, SARIF is written, annotations and the summary appear.
    let dir = fixture();
    let (out, outputs, summary) = run_action_step(
        &action,
        &dir,
        &[("DIRECTOR_TASK", "orders"), ("DIRECTOR_ARGS", "--offline")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the step itself succeeds; the Gate step fails the job: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        outputs.contains("exit-code=1\n") && outputs.contains("decision=block\n"),
        "{outputs}"
    );
    let sarif_path = outputs
        .lines()
        .find_map(|l| l.strip_prefix("sarif-path="))
        .unwrap();
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        stdout.contains("::error file=infra/db.tf,line=6"),
        "{stdout}"
    );
    assert!(summary.contains("director: **block**"), "{summary}");

    // An inline task from the pull request: the id comes from the branch.
    let dir = fixture();
    let (out, outputs, _) = run_action_step(
        &action,
        &dir,
        &[
            ("DIRECTOR_TASK_TITLE", "Add the orders database"),
            ("DIRECTOR_TASK_CRITERIA", "multi-AZ\nbackups"),
            ("DIRECTOR_TASK_ENVIRONMENT", "production"),
            ("DIRECTOR_ARGS", "--offline --paths infra"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        outputs.contains("decision=block\n"),
        "{outputs}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = std::fs::read_dir(dir.path().join(".director/runs")).unwrap();
    let tasks: Vec<String> = runs
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(tasks, ["pr-feature-orders-db"]);

    // A usage error (unknown task) is exit 2 and no SARIF to upload.
    let dir = fixture();
    let (_, outputs, _) = run_action_step(
        &action,
        &dir,
        &[("DIRECTOR_TASK", "missing"), ("DIRECTOR_ARGS", "--offline")],
    );
    assert!(
        outputs.contains("exit-code=2\n") && !outputs.contains("sarif-path="),
        "{outputs}"
    );
}

#[test]
fn progress_quiet_verbose_and_json_logs() {
    let dir = fixture();
    let plain = verify(&dir, &["--progress", "plain", "--format", "json"]);
    let err = String::from_utf8(plain.stderr).unwrap();
    assert!(
        err.contains("director: orders: deterministic analyzers:"),
        "{err}"
    );
    assert!(err.contains("director: orders: decision block"), "{err}");
    let record: Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(record["decision"], "block", "stdout carries only the data");

    for quiet in [&["--quiet"][..], &["--progress", "none"][..]] {
        let out = verify(&dir, quiet);
        assert!(
            out.stderr.is_empty(),
            "{quiet:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty());
    }
    // Not a terminal: `auto` falls back to plain lines.
    let auto = verify(&dir, &[]);
    assert!(
        String::from_utf8(auto.stderr)
            .unwrap()
            .contains("decision block")
    );

    // -v raises the log level; --log-format json makes every log line a JSON object.
    let quiet_logs = verify(&dir, &["--quiet"]);
    assert!(
        !String::from_utf8(quiet_logs.stderr)
            .unwrap()
            .contains("INFO")
    );
    let verbose = verify(
        &dir,
        &["-vv", "--quiet", "--log-format", "json", "--format", "json"],
    );
    let err = String::from_utf8(verbose.stderr).unwrap();
    let lines: Vec<Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!lines.is_empty(), "-vv logs something");
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["fields"].is_object()),
        "{err}"
    );
    assert!(lines.iter().any(|l| l["level"] == "DEBUG"), "{err}");
    serde_json::from_slice::<Value>(&verbose.stdout).unwrap();
    let text_verbose = verify(&dir, &["-v", "--quiet"]);
    let err = String::from_utf8(text_verbose.stderr).unwrap();
    assert!(err.contains("INFO") && !err.contains("DEBUG"), "{err}");
}

//! Scenarios: every folder under `tests/scenarios/` at the workspace root is one
//! end-to-end case, run through the real binary against a git repository built from
//! the folder and a wiremock provider that answers each Director with the folder's
//! verdict. No scenario has code of its own; adding a folder adds a case.
//!
//! A scenario folder holds:
//! - `scenario.toml`: `description`; `[task]` (written to `.director/tasks/<id>.toml`
//!   in the base commit, with `base` set to it and `head = "HEAD"`); `[expect]` with
//!   `decision`, optional `runs` (Directors that must run), `skips`, `reason_contains`
//!   (Director → text its routing reason holds), `reason_contains_decision`, and
//!   `[[expect.finding]]` / `[[expect.no_finding]]` tables whose keys (`director`,
//!   `source`, `rule_id`, `criterion`, `path`, `severity`, `reported_severity`,
//!   `verified`, `blocks`, `agreement`, `title_contains`, `verification_contains`) a
//!   record finding must match (or no finding may match);
//! - `base/` and `head/`: the files of the base commit and those the change writes;
//! - `config.toml` (optional): the repository's trusted `.director/config.toml`;
//! - `answers/<director>.json`: the verdict that Director answers (others pass).

use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The built-in Directors' personas: the instruction (user message) names its own.
const PERSONAS: &[(&str, &str)] = &[
    ("infrastructure", "DirInfra_Agent"),
    ("architecture", "DirArch_Agent"),
    ("code-quality", "DirQuality_Agent"),
    ("performance", "DirPerf_Agent"),
    ("security", "DirSec_Agent"),
    ("requirements", "DirReq_Agent"),
    ("testing", "DirTest_Agent"),
];

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
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copy every file under `from` into `to`.
fn copy_tree(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries {
        let p = entry.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&p, &target);
        } else {
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// Answers each Director with its scripted verdict, or a pass.
struct Answers(BTreeMap<String, String>);

impl Respond for Answers {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let user = body["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|x| x["role"] == "user"))
            .and_then(|x| x["content"].as_str())
            .unwrap_or("");
        let director = PERSONAS
            .iter()
            .find(|(_, persona)| user.contains(persona))
            .map_or("unknown", |(name, _)| name);
        let content = self.0.get(director).cloned().unwrap_or_else(|| {
            json!({"verdict": "pass", "summary": "Nothing in my field stands in the way.", "findings": []})
                .to_string()
        });
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-scenario", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}
        }))
    }
}

/// Build the repository of a scenario; returns its task id.
fn build_repo(case: &Path, spec: &toml::Value, root: &Path) -> String {
    git(root, &["init", "-q", "-b", "main"]);
    copy_tree(&case.join("base"), root);
    // A scenario without a [task] or task.id is a broken fixture: fail loudly.
    let mut task = spec["task"].as_table().unwrap().clone();
    let id = task["id"].as_str().unwrap().to_string();
    task.insert("base".into(), toml::Value::String("scenario-base".into()));
    task.insert("head".into(), toml::Value::String("HEAD".into()));
    let tasks = root.join(".director/tasks");
    std::fs::create_dir_all(&tasks).unwrap();
    std::fs::write(
        tasks.join(format!("{id}.toml")),
        toml::to_string(&task).unwrap(),
    )
    .unwrap();
    if let Ok(config) = std::fs::read_to_string(case.join("config.toml")) {
        std::fs::write(root.join(".director/config.toml"), config).unwrap();
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "base"]);
    git(root, &["tag", "scenario-base"]);
    copy_tree(&case.join("head"), root);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "the change under review"]);
    id
}

/// Does `finding` match every key of `want`?
fn matches(finding: &Value, want: &toml::Table) -> bool {
    want.iter().all(|(key, expected)| match key.as_str() {
        "director" => finding["directors"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x.as_str() == expected.as_str())),
        "title_contains" | "verification_contains" => {
            let field = key.trim_end_matches("_contains");
            let field = if field == "verification" {
                "verification"
            } else {
                "title"
            };
            finding[field]
                .as_str()
                .zip(expected.as_str())
                .is_some_and(|(have, want)| have.contains(want))
        }
        "agreement" => finding["agreement"].as_i64() == expected.as_integer(),
        "verified" | "blocks" => finding[key].as_bool() == expected.as_bool(),
        _ => finding[key].as_str() == expected.as_str(),
    })
}

async fn run_case(case: &Path) -> Result<(), String> {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let spec: toml::Value =
        toml::from_str(&std::fs::read_to_string(case.join("scenario.toml")).unwrap())
            .map_err(|e| format!("{name}: scenario.toml: {e}"))?;
    let dir = Dir::new();
    let root = dir.path();
    let id = build_repo(case, &spec, &root);

    let mut answers = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(case.join("answers")) {
        for entry in entries {
            let p = entry.unwrap().path();
            let director = p.file_stem().unwrap().to_string_lossy().to_string();
            answers.insert(director, std::fs::read_to_string(&p).unwrap());
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(Answers(answers))
        .mount(&server)
        .await;

    let out = director(&root)
        .args([
            "verify",
            "--task",
            &id,
            "--format",
            "json",
            "--no-cache",
            "--repo",
        ])
        .arg(&root)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.uri()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let record: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{name}: no JSON record ({e}); stderr: {stderr}"))?;
    let expect = spec["expect"]
        .as_table()
        .ok_or_else(|| format!("{name}: scenario.toml has no [expect] table"))?;
    let mut problems = Vec::new();

    let decision = expect["decision"].as_str().unwrap();
    if record["decision"] != decision {
        problems.push(format!(
            "decision {} ({}), expected {decision}",
            record["decision"], record["reason"]
        ));
    }
    let code = match decision {
        "pass" => 0,
        "block" => 1,
        _ => 3,
    };
    if out.status.code() != Some(code) {
        problems.push(format!(
            "exit code {:?}, expected {code}",
            out.status.code()
        ));
    }
    if let Some(want) = expect
        .get("reason_contains_decision")
        .and_then(|v| v.as_str())
        && !record["reason"].as_str().unwrap_or("").contains(want)
    {
        problems.push(format!("reason {} lacks {want:?}", record["reason"]));
    }
    let director_run = |d: &str| {
        record["directors"]
            .as_array()
            .and_then(|all| all.iter().find(|x| x["name"] == d))
            .cloned()
            .unwrap_or(Value::Null)
    };
    for (key, status) in [("runs", "ran"), ("skips", "skipped")] {
        for d in expect
            .get(key)
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let d = d.as_str().unwrap();
            let run = director_run(d);
            if run["status"] != status {
                problems.push(format!(
                    "{d} is {} ({}), expected {status}",
                    run["status"], run["reason"]
                ));
            }
        }
    }
    for (d, want) in expect
        .get("reason_contains")
        .and_then(|v| v.as_table())
        .into_iter()
        .flatten()
    {
        let run = director_run(d);
        let want = want.as_str().unwrap();
        if !run["reason"].as_str().unwrap_or("").contains(want) {
            problems.push(format!("{d}'s reason {} lacks {want:?}", run["reason"]));
        }
    }
    let findings = record["findings"].as_array().cloned().unwrap_or_default();
    for want in expect
        .get("finding")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let want = want.as_table().unwrap();
        if !findings.iter().any(|f| matches(f, want)) {
            problems.push(format!("no finding matches {want:?}"));
        }
    }
    for unwanted in expect
        .get("no_finding")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let unwanted = unwanted.as_table().unwrap();
        if let Some(f) = findings.iter().find(|f| matches(f, unwanted)) {
            problems.push(format!(
                "unexpected finding {} ({})",
                f["title"], f["rule_id"]
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let titles: Vec<String> = findings
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} blocks={} {}",
                    f["severity"], f["criterion"], f["rule_id"], f["blocks"], f["title"]
                )
            })
            .collect();
        Err(format!(
            "{name}:\n  {}\n  findings:\n    {}",
            problems.join("\n  "),
            titles.join("\n    ")
        ))
    }
}

/// Every scenario folder, or only those whose name contains `$SCENARIO` when set.
fn scenarios() -> Vec<PathBuf> {
    let root = workspace().join("tests/scenarios");
    let only = std::env::var("SCENARIO").ok();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("scenario.toml").is_file())
        .filter(|p| {
            only.as_deref()
                .is_none_or(|o| p.file_name().unwrap().to_string_lossy().contains(o))
        })
        .collect();
    cases.sort();
    cases
}

#[tokio::test(flavor = "multi_thread")]
async fn every_scenario_folder_runs_through_the_binary() {
    let cases = scenarios();
    let wanted = if std::env::var("SCENARIO").is_ok() {
        1
    } else {
        10
    };
    assert!(cases.len() >= wanted, "{} scenarios", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(case).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

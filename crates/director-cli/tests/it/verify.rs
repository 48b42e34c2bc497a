//! `director verify` against a wiremock OpenAI-compatible provider: exit codes, formats,
//! several tasks at once, progress on stderr and data on stdout.

use crate::support::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CODE: &str = "pub fn total(items: &[u64]) -> u64 {\n    let mut sum = 0;\n    for i in items {\n        sum += i;\n    }\n    sum\n}\n";

fn completion(content: &str) -> Value {
    json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
}

fn pass() -> Value {
    completion(&json!({"verdict": "pass", "summary": "fine", "findings": []}).to_string())
}

/// Blocks when the Code Quality Director asks, passes otherwise.
fn blocking_code_quality(req: &Request) -> ResponseTemplate {
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    let user = body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    if user.contains("DirQuality_Agent") {
        let verdict = json!({"verdict": "block", "summary": "overflow", "findings": [{
            "severity": "blocking", "category": "correctness", "title": "sum can overflow",
            "resources": [], "path": "src/sum.rs", "start_line": 4, "end_line": 4,
            "evidence": "sum += i;", "recommendation": "use checked_add"}]});
        ResponseTemplate::new(200).set_body_json(completion(&verdict.to_string()))
    } else {
        ResponseTemplate::new(200).set_body_json(pass())
    }
}

fn repo() -> Dir {
    let dir = Dir::new();
    dir.write("src/sum.rs", CODE)
        .write(
            ".director/tasks/sum.toml",
            "id = \"sum\"\ntitle = \"Sum items\"\npaths = [\"src\"]\n",
        )
        .write(
            ".director/tasks/sum2.toml",
            "id = \"sum2\"\ntitle = \"Sum items again\"\npaths = [\"src\"]\n",
        )
        .write(
            ".director/config.toml",
            "[provider]\nmax_retries = 1\ninitial_backoff_ms = 10\n[cache]\nenabled = false\n",
        );
    dir
}

async fn server(respond: impl wiremock::Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(respond)
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn pass_block_and_incomplete_exit_codes() {
    let dir = repo();
    let ok = server(ResponseTemplate::new(200).set_body_json(pass())).await;
    let out = director(&dir.path())
        .args(["verify", "--task", "sum", "--repo"])
        .arg(dir.path())
        .env("OPENAI_BASE_URL", format!("{}/v1", ok.uri()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("director: PASS"), "{stdout}");
    assert!(!stdout.contains("started"), "progress goes to stderr only");
    assert!(String::from_utf8_lossy(&out.stderr).contains("code-quality"));

    let blocking = server(blocking_code_quality).await;
    let out = director(&dir.path())
        .args(["verify", "--task", "sum", "--format", "json", "--repo"])
        .arg(dir.path())
        .env("OPENAI_BASE_URL", format!("{}/v1", blocking.uri()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["decision"], "block");
    assert_eq!(record["findings"][0]["directors"], json!(["code-quality"]));
    assert_eq!(record["version"], 1);

    let failing =
        server(ResponseTemplate::new(503).set_body_string("<html>overloaded</html>")).await;
    let out = director(&dir.path())
        .args(["verify", "--task", "sum", "--format", "markdown", "--repo"])
        .arg(dir.path())
        .env("OPENAI_BASE_URL", format!("{}/v1", failing.uri()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("**incomplete**") && md.contains("**failed**"),
        "{md}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn several_tasks_one_record_each_and_output_file() {
    let dir = repo();
    let blocking = server(blocking_code_quality).await;
    let out_file = dir.path().join("out/result.json");
    let out = director(&dir.path())
        .args([
            "verify", "--task", "sum", "--task", "sum2", "--format", "json", "--output",
        ])
        .arg(&out_file)
        .arg("--repo")
        .arg(dir.path())
        .env("OPENAI_BASE_URL", format!("{}/v1", blocking.uri()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "--output writes the file, not stdout"
    );
    let records: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(records.len(), 2);
    let runs = std::fs::read_dir(dir.path().join(".director/runs"))
        .unwrap()
        .count();
    assert_eq!(runs, 2, "one record folder per task");

    let list = director(&dir.path())
        .args(["runs", "list", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(list.status.code(), Some(0));
    let text = String::from_utf8_lossy(&list.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("block"));
    let show = director(&dir.path())
        .args([
            "runs", "show", "latest", "--task", "sum", "--format", "json", "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let record: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(record["task"]["id"], "sum");
}

#[tokio::test(flavor = "multi_thread")]
async fn task_json_on_stdin() {
    let dir = repo();
    let ok = server(ResponseTemplate::new(200).set_body_json(pass())).await;
    let task =
        json!({"id": "inline", "title": "Inline task", "paths": ["src"], "criteria": ["sums"]});
    let out = director(&dir.path())
        .args(["verify", "--task-json", "-", "--format", "json", "--repo"])
        .arg(dir.path())
        .env("OPENAI_BASE_URL", format!("{}/v1", ok.uri()))
        .write_stdin(task.to_string())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["task"]["id"], "inline");
    let bad = director(&dir.path())
        .args(["verify", "--task-json", "-", "--repo"])
        .arg(dir.path())
        .write_stdin("{\"id\": \"x\", \"title\": \"t\", \"colour\": 1}")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("colour"));
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_decides_on_evidence_and_says_so() {
    let dir = repo();
    let out = director(&dir.path())
        .args(["verify", "--task", "sum", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no LLM Director will run"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("no LLM Director ran"), "{stdout}");
}

/// Send `signal` to `director verify` while its reviews are in flight: the in-flight
/// calls are cancelled, the record is written and marked cancelled, and the process
/// exits with `code`.
#[cfg(unix)]
async fn a_signal_cancels_in_flight_reviews(signal: &str, code: i32) {
    let dir = repo();
    let slow = server(
        ResponseTemplate::new(200)
            .set_body_json(pass())
            .set_delay(std::time::Duration::from_secs(30)),
    )
    .await;
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("director"))
        .args(["verify", "--task", "sum", "--progress", "plain", "--repo"])
        .arg(dir.path())
        .env("OPENAI_BASE_URL", format!("{}/v1", slow.uri()))
        .env("HOME", dir.path())
        .env("NO_COLOR", "1")
        .env("DIRECTOR_TRUST__WORKTREE_CONFIG", "true")
        .env_remove("OPENAI_API_KEY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the reviews are in flight, then signal like a terminal or CI would.
    let started = std::time::Instant::now();
    while slow.received_requests().await.map_or(0, |r| r.len()) < 5 {
        assert!(
            started.elapsed().as_secs() < 20,
            "the reviews never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let killed = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{signal}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed().as_secs() < 25,
        "did not wait for the 30 s replies"
    );
    let runs = director(&dir.path())
        .args([
            "runs", "show", "latest", "--task", "sum", "--format", "json", "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let record: Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(record["cancelled"], true);
    assert_eq!(record["decision"], "incomplete");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_cancels_in_flight_reviews_writes_the_record_and_exits_130() {
    a_signal_cancels_in_flight_reviews("INT", 130).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_cancels_in_flight_reviews_writes_the_record_and_exits_143() {
    a_signal_cancels_in_flight_reviews("TERM", 143).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sighup_cancels_in_flight_reviews_writes_the_record_and_exits_129() {
    a_signal_cancels_in_flight_reviews("HUP", 129).await;
}

#[test]
fn a_task_with_an_input_error_does_not_discard_the_others() {
    let dir = repo();
    dir.write(
        ".director/tasks/broken.toml",
        "id = \"broken\"\ntitle = \"Bad ref\"\nbase = \"no-such-ref\"\n",
    );
    std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    let out = director(&dir.path())
        .args([
            "verify",
            "--task",
            "broken",
            "--task",
            "sum",
            "--task",
            "missing",
            "--offline",
            "--format",
            "json",
            "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: git ref `no-such-ref` does not resolve to a commit"),
        "{stderr}"
    );
    assert!(
        stderr.contains("caused by: revspec 'no-such-ref' not found"),
        "libgit2's own message is kept: {stderr}"
    );
    assert!(
        stderr.contains("error: task `missing` not found"),
        "{stderr}"
    );
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        record["task"]["id"], "sum",
        "the good task's record is reported"
    );
    let runs = director(&dir.path())
        .args(["runs", "list", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&runs.stdout).contains("sum"));
}

#[test]
fn baseline_update_accepts_current_findings_and_the_next_run_passes() {
    let dir = Dir::new();
    dir.write(
        "infra/db.tf",
        "resource \"aws_db_instance\" \"main\" {\n  engine   = \"postgres\"\n  multi_az = false\n  backup_retention_period = 1\n}\n",
    )
    .write(
        ".director/tasks/db.toml",
        "id = \"db\"\ntitle = \"Database\"\npaths = [\"infra\"]\nenvironment = \"production\"\n",
    );
    let first = director(&dir.path())
        .args(["verify", "--task", "db", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(1));
    let update = director(&dir.path())
        .args([
            "baseline",
            "update",
            "--task",
            "db",
            "--reason",
            "legacy database, migration planned",
            "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        update.status.success(),
        "{}",
        String::from_utf8_lossy(&update.stderr)
    );
    assert!(String::from_utf8_lossy(&update.stdout).contains("baseline.json"));
    let second = director(&dir.path())
        .args(["verify", "--task", "db", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{text}");
    assert!(text.contains("KNOWN"), "{text}");
    let show = director(&dir.path())
        .args(["baseline", "show", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&show.stdout).contains("legacy database"));
    // A new problem still blocks.
    dir.write(
        "infra/sg.tf",
        "resource \"aws_security_group\" \"ssh\" {\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\n",
    );
    let third = director(&dir.path())
        .args(["verify", "--task", "db", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        third.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&third.stdout)
    );
}

/// Issue 10 through the binary: a 429 with `Retry-After: 1e20` once panicked every
/// Director and the run exited 0. Now it is incomplete (exit 3): the wait is beyond
/// the cap, so the call fails with the provider's message.
#[tokio::test(flavor = "multi_thread")]
async fn an_absurd_retry_after_exits_incomplete_not_pass() {
    let dir = repo();
    for value in [
        "1e20",
        "18446744073709551616",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let limited = server(
            ResponseTemplate::new(429)
                .insert_header("retry-after", value)
                .set_body_json(json!({"error": {"message": "rate limited"}})),
        )
        .await;
        let out = director(&dir.path())
            .args(["verify", "--task", "sum", "--format", "json", "--repo"])
            .arg(dir.path())
            .env("OPENAI_BASE_URL", format!("{}/v1", limited.uri()))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{value}: {stderr}");
        let record: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(record["decision"], "incomplete", "{value}");
        let failed: Vec<&Value> = record["directors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"] == "failed")
            .collect();
        assert!(!failed.is_empty(), "{value}");
        for d in failed {
            assert!(
                d["reason"].as_str().unwrap().contains("429"),
                "{value}: {d}"
            );
            assert_eq!(d["attempt_log"][0]["outcome"], "http 429", "{value}: {d}");
        }
    }
}

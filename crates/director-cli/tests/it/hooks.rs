//! `director hook <harness>` end to end: the real binary, hook payloads on stdin in
//! each harness's documented shape, a git repository with a blocking change and a
//! clean one, and a wiremock OpenAI-compatible provider. Asserts the exact stdout
//! protocol, exit code 0, the round cap, the session state file, the BOM case, a
//! malformed payload under both failure policies, and the fast pass without a
//! provider call.

use crate::support::*;
use serde_json::{Value, json};
use std::path::Path;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

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

const GOOD_DB: &str = "resource \"aws_db_instance\" \"main\" {\n  engine                  = \"postgres\"\n  multi_az                = true\n  backup_retention_period = 14\n  deletion_protection     = true\n  storage_encrypted       = true\n  tags = {\n    Environment = \"production\"\n    Owner       = \"db\"\n    CostCenter  = \"cc-1\"\n  }\n}\n";
const OPEN_SSH: &str = "resource \"aws_security_group\" \"old\" {\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\n";

fn bad_db() -> String {
    GOOD_DB.replace(
        "multi_az                = true",
        "multi_az                = false",
    )
}

/// A committed repository with a good database; production by configuration.
fn repo() -> Dir {
    let dir = Dir::new();
    let root = dir.path();
    git(&root, &["init", "-q", "-b", "main"]);
    dir.write("infra/db.tf", GOOD_DB).write(
        ".director/config.toml",
        "[context]\nenvironment = \"production\"\n[provider]\nmax_retries = 0\ninitial_backoff_ms = 10\n",
    );
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    dir
}

fn completion(content: &str) -> Value {
    json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
}

async fn provider(status: u16) -> MockServer {
    let server = MockServer::start().await;
    let pass =
        completion(&json!({"verdict": "pass", "summary": "fine", "findings": []}).to_string());
    let response = if status == 200 {
        ResponseTemplate::new(200).set_body_json(pass)
    } else {
        ResponseTemplate::new(status).set_body_string("overloaded")
    };
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

async fn calls(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

struct Out {
    stdout: Value,
    raw: String,
    stderr: String,
}

/// Run `director hook <harness>` with `payload` on stdin; exit code 0 always.
fn hook(
    harness: &str,
    root: &Path,
    server: Option<&MockServer>,
    payload: &[u8],
    extra: &[&str],
) -> Out {
    let mut cmd = director(root);
    cmd.current_dir(root)
        .args(["hook", harness])
        .args(extra)
        .write_stdin(payload.to_vec());
    match server {
        Some(s) => cmd.env("OPENAI_BASE_URL", format!("{}/v1", s.uri())),
        None => cmd.arg("--offline"),
    };
    let out = cmd.output().unwrap();
    let raw = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {raw}\nstderr: {stderr}"
    );
    assert_eq!(raw.lines().count(), 1, "one line of JSON on stdout: {raw}");
    let stdout = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{e}: {raw}"));
    Out {
        stdout,
        raw,
        stderr,
    }
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

fn claude(event: &str, root: &Path, transcript: &Path, active: bool) -> Vec<u8> {
    let mut p = json!({"session_id": "0f3c-claude-1", "transcript_path": transcript, "cwd": root,
        "permission_mode": "default", "hook_event_name": event});
    if event == "SessionStart" {
        p["source"] = json!("startup");
        p["model"] = json!("claude-sonnet-4-5");
    } else {
        p["stop_hook_active"] = json!(active);
        p["last_assistant_message"] = json!("I tuned the database; all done.");
    }
    p.to_string().into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_code_session_rounds_cap_fix_and_fast_pass() {
    let dir = repo();
    let root = dir.path();
    let side = Dir::new();
    side.write(
        "t.jsonl",
        "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"Tune the production database for cost\"}}\n",
    );
    let transcript = side.path().join("t.jsonl");
    // Dirty before the session: not the session's work, never reviewed.
    dir.write("infra/legacy.tf", OPEN_SSH);
    let server = provider(200).await;

    let start = hook(
        "claude-code",
        &root,
        Some(&server),
        &claude("SessionStart", &root, &transcript, false),
        &[],
    );
    assert_eq!(start.raw, "{}\n");
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".director/sessions/0f3c-claude-1.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["harness"], "claude-code");
    assert_eq!(state["start"]["head"].as_str().unwrap().len(), 40);
    assert!(
        state["start"]["files"]["infra/legacy.tf"].is_string(),
        "{state}"
    );

    dir.write("infra/db.tf", &bad_db());
    let mut reasons = Vec::new();
    for round in 1..=3 {
        let out = hook(
            "claude-code",
            &root,
            Some(&server),
            &claude("Stop", &root, &transcript, round > 1),
            &[],
        );
        assert_eq!(
            keys(&out.stdout),
            ["decision", "reason", "systemMessage"],
            "{}",
            out.raw
        );
        assert_eq!(out.stdout["decision"], "block");
        reasons.push(out.stdout["reason"].as_str().unwrap().to_string());
        assert!(
            out.stderr.contains(&format!("round {round} of 3")),
            "{}",
            out.stderr
        );
    }
    let first = &reasons[0];
    assert!(
        first.starts_with("director: BLOCK — 1 blocking finding must be fixed"),
        "{first}"
    );
    assert!(
        first.contains("1. infra/db.tf:") && first.contains("[infra.rds.single-az]"),
        "{first}"
    );
    assert!(first.contains("   fix: "), "{first}");
    assert!(
        !first.contains("open-ssh"),
        "pre-existing changes are not the session's: {first}"
    );
    assert!(
        first.contains("Full record: .director/runs/session-0f3c-claude-1/"),
        "{first}"
    );
    assert!(!first.contains("The same"), "{first}");
    assert!(
        reasons[1].contains("The same 1 finding remains as in the previous round"),
        "{}",
        reasons[1]
    );

    // The fourth block in a row: the agent may stop, and everyone is told.
    let capped = hook(
        "claude-code",
        &root,
        Some(&server),
        &claude("Stop", &root, &transcript, true),
        &[],
    );
    assert_eq!(keys(&capped.stdout), ["systemMessage"], "{}", capped.raw);
    let msg = capped.stdout["systemMessage"].as_str().unwrap();
    assert!(
        msg.contains("after 3 blocking rounds in a row ([hook] max_rounds = 3)"),
        "{msg}"
    );
    let record_path = msg.rsplit("See ").next().unwrap();
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join(record_path)).unwrap()).unwrap();
    assert!(
        record["reason"]
            .as_str()
            .unwrap()
            .contains("max_rounds = 3"),
        "{record}"
    );
    assert_eq!(
        record["task"]["title"],
        "Tune the production database for cost"
    );
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".director/sessions/0f3c-claude-1.json")).unwrap(),
    )
    .unwrap();
    let outcomes: Vec<&str> = state["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["block", "block", "block", "cap"]);

    // Fixed: a pass is `{}`; a second stop with nothing changed makes no provider call.
    dir.write(
        "infra/db.tf",
        &GOOD_DB.replace("Owner       = \"db\"", "Owner       = \"dba\""),
    );
    let passed = hook(
        "claude-code",
        &root,
        Some(&server),
        &claude("Stop", &root, &transcript, false),
        &[],
    );
    assert_eq!(passed.raw, "{}\n", "{}", passed.stderr);
    let before = calls(&server).await;
    assert!(before > 0, "the Directors were asked");
    let started = std::time::Instant::now();
    let again = hook(
        "claude-code",
        &root,
        Some(&server),
        &claude("Stop", &root, &transcript, false),
        &[],
    );
    assert_eq!(again.raw, "{}\n");
    assert_eq!(
        calls(&server).await,
        before,
        "no provider call when nothing changed"
    );
    eprintln!(
        "fast pass took {:?} (process start included)",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn codex_passes_a_clean_change_and_blocks_a_bad_one() {
    let dir = repo();
    let root = dir.path();
    let server = provider(200).await;
    let stop = |msg: &str| {
        json!({"session_id": "019a-codex", "turn_id": "turn-1", "cwd": root, "transcript_path": null,
            "model": "gpt-5-codex", "permission_mode": "default", "hook_event_name": "Stop",
            "stop_hook_active": false, "last_assistant_message": msg})
        .to_string()
        .into_bytes()
    };
    dir.write("infra/db.tf", &GOOD_DB.replace("cc-1", "cc-2"));
    let clean = hook(
        "codex",
        &root,
        Some(&server),
        &stop("Renamed the cost center."),
        &[],
    );
    assert_eq!(clean.raw, "{}\n", "{}", clean.stderr);
    dir.write("infra/db.tf", &bad_db());
    let bad = hook("codex", &root, Some(&server), &stop("Done."), &[]);
    assert_eq!(keys(&bad.stdout), ["decision", "reason", "systemMessage"]);
    assert_eq!(bad.stdout["decision"], "block");
    assert!(
        bad.stdout["reason"]
            .as_str()
            .unwrap()
            .contains("infra.rds.single-az")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_accepts_a_bom_and_answers_with_a_followup_message() {
    let dir = repo();
    let root = dir.path();
    let server = provider(200).await;
    dir.write("infra/db.tf", &bad_db());
    let payload = json!({"conversation_id": "c-77", "generation_id": "g-1", "model": "gpt-5",
        "hook_event_name": "stop", "cursor_version": "1.7.2", "workspace_roots": [root],
        "user_email": null, "transcript_path": null, "status": "completed", "loop_count": 0});
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(payload.to_string().into_bytes());
    let out = hook("cursor", &root, Some(&server), &bytes, &[]);
    assert_eq!(keys(&out.stdout), ["followup_message"], "{}", out.raw);
    assert!(
        out.stdout["followup_message"]
            .as_str()
            .unwrap()
            .starts_with("director: BLOCK")
    );
    // An aborted loop is no claim of "done": nothing to verify.
    let mut aborted = payload.clone();
    aborted["status"] = json!("aborted");
    let out = hook(
        "cursor",
        &root,
        Some(&server),
        aborted.to_string().as_bytes(),
        &[],
    );
    assert_eq!(out.raw, "{}\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn gemini_denies_with_a_reason() {
    let dir = repo();
    let root = dir.path();
    let server = provider(200).await;
    dir.write("infra/db.tf", &bad_db());
    let payload = json!({"session_id": "g-1", "transcript_path": "/nonexistent/t.json", "cwd": root,
        "hook_event_name": "AfterAgent", "timestamp": "2026-01-01T00:00:00Z",
        "prompt": "Turn off multi-AZ? No: tune the database", "prompt_response": "Done.", "stop_hook_active": false});
    let out = hook(
        "gemini",
        &root,
        Some(&server),
        payload.to_string().as_bytes(),
        &[],
    );
    assert_eq!(
        keys(&out.stdout),
        ["decision", "reason", "systemMessage"],
        "{}",
        out.raw
    );
    assert_eq!(out.stdout["decision"], "deny");
}

#[test]
fn a_malformed_payload_follows_the_failure_policy() {
    let dir = repo();
    let root = dir.path();
    let allowed = hook("claude-code", &root, None, b"this is not json", &[]);
    assert_eq!(keys(&allowed.stdout), ["systemMessage"]);
    assert!(
        allowed
            .stderr
            .contains("claude-code hook payload: the hook payload is not JSON"),
        "{}",
        allowed.stderr
    );
    assert!(
        allowed
            .stderr
            .contains("hint: configure the hook with `director init --agent claude-code`"),
        "{}",
        allowed.stderr
    );
    assert!(
        allowed.stderr.contains("on_error = \"allow\""),
        "{}",
        allowed.stderr
    );
    let blocked = hook(
        "claude-code",
        &root,
        None,
        b"{\"cwd\": \"/\"}",
        &["--on-error", "block"],
    );
    assert_eq!(blocked.stdout["decision"], "block");
    assert!(
        blocked.stdout["reason"]
            .as_str()
            .unwrap()
            .contains("no `hook_event_name` string"),
        "{}",
        blocked.raw
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_outage_is_incomplete_and_follows_the_failure_policy() {
    let dir = repo();
    let root = dir.path();
    let down = provider(503).await;
    dir.write("infra/db.tf", &GOOD_DB.replace("cc-1", "cc-3"));
    let stop = |id: &str| {
        json!({"session_id": id, "transcript_path": null, "cwd": root, "hook_event_name": "Stop",
            "stop_hook_active": false, "last_assistant_message": "done"})
        .to_string()
        .into_bytes()
    };
    let allowed = hook("claude-code", &root, Some(&down), &stop("s-allow"), &[]);
    assert_eq!(keys(&allowed.stdout), ["systemMessage"], "{}", allowed.raw);
    let msg = allowed.stdout["systemMessage"].as_str().unwrap();
    assert!(
        msg.contains("could not finish verifying") && msg.contains("let stop unreviewed"),
        "{msg}"
    );
    let blocked = hook(
        "claude-code",
        &root,
        Some(&down),
        &stop("s-block"),
        &["--on-error", "block"],
    );
    assert_eq!(blocked.stdout["decision"], "block");
    let reason = blocked.stdout["reason"].as_str().unwrap();
    assert!(
        reason.contains("Could not run:") && reason.contains("changing the code will not help"),
        "{reason}"
    );
}

#[test]
fn init_agent_merges_into_existing_settings_and_prints() {
    let dir = Dir::new();
    dir.write(
        ".claude/settings.json",
        "{\"permissions\": {\"allow\": [\"Bash(ls)\"]}}",
    );
    let run = |args: &[&str]| {
        let out = director(&dir.path())
            .arg("--repo")
            .arg(dir.path())
            .arg("init")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = run(&["--agent", "claude-code"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains(
            "updated .claude/settings.json: `director hook claude-code` on Stop, SessionStart"
        ),
        "{out}"
    );
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(settings["permissions"]["allow"][0], "Bash(ls)");
    assert_eq!(
        settings["hooks"]["Stop"][0]["hooks"][0]["command"],
        "director hook claude-code"
    );
    let (_, again, _) = run(&["--agent", "claude-code"]);
    assert!(again.contains("nothing changed"), "{again}");
    let (code, printed, _) = run(&["--agent", "gemini", "--print"]);
    assert_eq!(code, Some(0));
    let printed: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(
        printed["hooks"]["AfterAgent"][0]["hooks"][0]["timeout"],
        60000
    );
    assert!(
        !dir.path().join(".gemini").exists(),
        "--print writes nothing"
    );
    dir.write(".cursor/hooks.json", "{broken");
    let (code, _, err) = run(&["--agent", "cursor"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("`.cursor/hooks.json` is not valid JSON") && err.contains("hint: "),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".cursor/hooks.json")).unwrap(),
        "{broken"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_budget_cuts_the_directors_and_follows_the_failure_policy() {
    let dir = repo();
    let root = dir.path();
    let slow = MockServer::start().await;
    let pass =
        completion(&json!({"verdict": "pass", "summary": "fine", "findings": []}).to_string());
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(pass)
                .set_delay(std::time::Duration::from_secs(20)),
        )
        .mount(&slow)
        .await;
    dir.write("infra/db.tf", &GOOD_DB.replace("cc-1", "cc-4"));
    let payload = json!({"session_id": "budget", "transcript_path": null, "cwd": root,
        "hook_event_name": "Stop", "stop_hook_active": false, "last_assistant_message": "done"});
    let started = std::time::Instant::now();
    let out = hook(
        "claude-code",
        &root,
        Some(&slow),
        payload.to_string().as_bytes(),
        &["--budget-secs", "8"],
    );
    // Within the budget (plus process start on a loaded machine), long before the provider answers.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(14),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(keys(&out.stdout), ["systemMessage"], "{}", out.raw);
    let msg = out.stdout["systemMessage"].as_str().unwrap();
    // Cut by the Directors' share of the budget or cancelled at the hook's soft deadline
    // (incomplete, with the record), or on a very slow machine abandoned at its hard
    // deadline: either way the agent may stop, with the reason shown.
    assert!(
        (msg.contains("could not finish verifying")
            && (msg.contains("deadline") || msg.contains("cancelled")))
            || msg.contains("did not finish within the hook's 8 s budget"),
        "{msg}"
    );
    assert!(msg.contains("let stop unreviewed"), "{msg}");
}

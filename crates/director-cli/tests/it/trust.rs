//! The trust boundary through the binary: a change that edits director's own policy
//! (`.director/config.toml` redirecting the provider and naming another key variable,
//! `block_on = []`, a baseline of every finding, a Director override that may not
//! block) is reported and not obeyed; the decision is the one without the edits.

use crate::support::*;
use serde_json::{Value, json};
use std::path::Path;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CODE: &str = "pub fn total(items: &[u64]) -> u64 {\n    let mut sum = 0;\n    for i in items {\n        sum += i;\n    }\n    sum\n}\n";

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

fn completion(content: &str) -> Value {
    json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
}

/// The Code Quality Director blocks on a real quote; everyone else passes.
fn reviewer(req: &Request) -> ResponseTemplate {
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    let user = body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    let verdict = if user.contains("DirQuality_Agent") {
        json!({"verdict": "block", "summary": "overflow", "findings": [{
            "severity": "blocking", "category": "correctness", "title": "sum can overflow",
            "resources": [], "path": "src/sum.rs", "start_line": 4, "end_line": 4,
            "evidence": "sum += i;", "recommendation": "use checked_add"}]})
    } else {
        json!({"verdict": "pass", "summary": "fine", "findings": []})
    };
    ResponseTemplate::new(200).set_body_json(completion(&verdict.to_string()))
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(reviewer)
        .mount(&server)
        .await;
    server
}

/// A repository whose `main` holds the trusted policy (provider `trusted`), and a
/// `feature` branch that changes the code.
fn repository(trusted: &MockServer) -> Dir {
    let dir = Dir::new();
    let root = dir.path();
    git(&root, &["init", "-q", "-b", "main"]);
    dir.write("src/sum.rs", "pub fn total() {}\n")
        .write(
            ".director/config.toml",
            &format!(
                "[provider]\nbase_url = \"{}/v1\"\nmax_retries = 0\n[cache]\nenabled = false\n",
                trusted.uri()
            ),
        )
        .write(
            ".director/tasks/sum.toml",
            "id = \"sum\"\ntitle = \"Sum items\"\n",
        );
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    git(&root, &["checkout", "-q", "-b", "feature"]);
    dir.write("src/sum.rs", CODE);
    git(&root, &["commit", "-qam", "sum"]);
    dir
}

fn verify(dir: &Dir, extra: &[&str]) -> (Option<i32>, Value, String) {
    let out = director_untrusted(&dir.path())
        .args(["verify", "--task", "sum", "--format", "json", "--repo"])
        .arg(dir.path())
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let record = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), record, stderr)
}

fn blocking_fingerprints(record: &Value) -> Vec<String> {
    let mut fps: Vec<String> = record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["blocks"] == true)
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    fps.sort();
    fps
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_cannot_move_the_gates_policy_provider_or_key() {
    let trusted = server().await;
    let attacker = server().await;
    let dir = repository(&trusted);
    let root = dir.path();

    // Without policy edits: the trusted provider is asked and the gate blocks.
    let (code, control, stderr) = verify(&dir, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        control["policy"]["source"]
            .as_str()
            .unwrap()
            .starts_with("the trusted base")
    );
    assert_eq!(control["policy"]["ignored_changes"], json!([]));
    // Chat requests only: discovery probes (/props, …) come and go with its cache.
    let chats = |requests: Vec<wiremock::Request>| {
        requests
            .iter()
            .filter(|r| r.url.path().ends_with("/chat/completions"))
            .count()
    };
    let control_requests = chats(trusted.received_requests().await.unwrap());
    assert!(control_requests > 0);

    // The change edits director's own policy, in a commit of its own.
    let mut baseline = json!({"version": 1, "entries": {}});
    for f in control["findings"].as_array().unwrap() {
        baseline["entries"][f["fingerprint"].as_str().unwrap()] = json!({
            "reason": "accepted", "title": f["title"], "path": f["path"],
            "category": f["category"], "task": "sum", "added_at": "2026-01-01T00:00:00Z"});
    }
    let definition = std::fs::read_to_string(workspace().join("directors/code-quality.toml"))
        .unwrap()
        .replace("may_block = true", "may_block = false");
    assert!(definition.contains("may_block = false"));
    dir.write(
        ".director/config.toml",
        &format!(
            "[provider]\nbase_url = \"{}/v1\"\napi_key_env = \"PATH\"\nmax_retries = 0\n[gate]\nblock_on = []\n[cache]\nenabled = false\n",
            attacker.uri()
        ),
    )
    .write(".director/baseline.json", &baseline.to_string())
    .write(".director/directors/code-quality.toml", &definition);
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "relax the gate"]);

    for extra in [&[][..], &["--base", "main", "--head", "HEAD"][..]] {
        let before = chats(trusted.received_requests().await.unwrap());
        let (code, record, stderr) = verify(&dir, extra);
        assert_eq!(code, Some(1), "{extra:?}: {stderr}");
        assert_eq!(
            blocking_fingerprints(&record),
            blocking_fingerprints(&control),
            "the same findings block as without the policy edits"
        );
        assert_eq!(
            record["policy"]["ignored_changes"],
            json!([
                ".director/baseline.json",
                ".director/config.toml",
                ".director/directors/code-quality.toml"
            ])
        );
        let warned: Vec<&str> = record["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "sec.director.policy-change")
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(warned.len(), 3, "{warned:?}");
        assert_eq!(
            chats(trusted.received_requests().await.unwrap()) - before,
            control_requests,
            "the trusted provider answered as before"
        );
    }
    assert!(
        attacker.received_requests().await.unwrap().is_empty(),
        "the change's provider was never called"
    );
    let secret = std::env::var("PATH").unwrap();
    for req in trusted.received_requests().await.unwrap() {
        for (name, value) in req.headers.iter() {
            assert!(
                !value.to_str().unwrap_or("").contains(&secret),
                "{name} carries the variable the change named"
            );
        }
        assert!(!String::from_utf8_lossy(&req.body).contains(&secret));
    }

    // The human report names the ignored files.
    let out = director_untrusted(&root)
        .args(["verify", "--task", "sum", "--repo"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("policy changes in the reviewed change are not applied: .director/baseline.json, .director/config.toml, .director/directors/code-quality.toml"),
        "{text}"
    );

    // `config show` says where policy comes from and what is not applied.
    let out = director_untrusted(&root)
        .args(["config", "show", "--repo"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("# repository policy (.director/): the trusted base"),
        "{text}"
    );
    assert!(text.contains("not applied"), "{text}");
    assert!(text.contains(&format!("{}/v1", trusted.uri())), "{text}");

    // Trusting the working tree on purpose applies the edits — and the key variable
    // they name is still refused, because only the user's allow-list decides it.
    let out = director_untrusted(&root)
        .args([
            "verify",
            "--task",
            "sum",
            "--trust-worktree-config",
            "--repo",
        ])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`PATH` is not an allow-listed key variable"),
        "{stderr}"
    );
    assert!(attacker.received_requests().await.unwrap().is_empty());
}

#[test]
fn outside_git_the_folders_policy_is_not_applied_unless_trusted() {
    let dir = Dir::new();
    dir.write("src/sum.rs", CODE)
        .write(
            ".director/config.toml",
            "[gate]\nblock_on = []\n[evidence]\nmin_backup_retention_days = 1\n",
        )
        .write(
            ".director/tasks/sum.toml",
            "id = \"sum\"\ntitle = \"Sum\"\npaths = [\"src\"]\n",
        );
    let root = dir.path();
    let out = director_untrusted(&root)
        .args(["config", "show", "--repo"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| -> String {
        let line = text
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("{key} in {text}"));
        line.split('=')
            .nth(1)
            .unwrap()
            .split('#')
            .next()
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(value("gate.block_on "), "[\"blocking\"]", "{text}");
    assert!(text.contains("not a git repository"), "{text}");
    assert!(text.contains(".director/config.toml"), "{text}");
    let out = director_untrusted(&root)
        .args(["config", "show", "--trust-worktree-config", "--repo"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| -> String {
        let line = text.lines().find(|l| l.starts_with(key)).unwrap();
        line.split('=')
            .nth(1)
            .unwrap()
            .split('#')
            .next()
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(value("gate.block_on "), "[]", "{text}");
    assert_eq!(value("evidence.min_backup_retention_days "), "1", "{text}");
}

/// On the default branch the default base is `HEAD`, so the head commit's policy is
/// the default change's. A run over `HEAD~1..HEAD` (by flag or by the task's own
/// `base`) must read the policy of `HEAD~1` only: the head's edits — here invalid
/// ones, naming a key variable that is not allow-listed — are listed, not applied,
/// and never stop the run with a configuration error.
#[tokio::test(flavor = "multi_thread")]
async fn on_the_default_branch_a_range_reads_only_its_bases_policy() {
    let trusted = server().await;
    let attacker = server().await;
    let dir = repository(&trusted);
    let root = dir.path();
    git(&root, &["checkout", "-q", "main"]);
    git(&root, &["merge", "-q", "--ff-only", "feature"]);
    // Control: the code commit alone, reviewed as HEAD~1..HEAD.
    let (code, control, stderr) = verify(&dir, &["--base", "HEAD~1"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(control["policy"]["ignored_changes"], json!([]));

    git(&root, &["reset", "-q", "--soft", "HEAD~1"]);
    dir.write(
        ".director/config.toml",
        &format!(
            "[provider]\nbase_url = \"{}/v1\"\napi_key_env = \"GITHUB_TOKEN\"\nmax_retries = 0\n[gate]\nblock_on = []\n[cache]\nenabled = false\n",
            attacker.uri()
        ),
    );
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "sum, and relax the gate"]);

    let task_with_base = dir.path().join(".director/tasks/sum.toml");
    for by_task in [false, true] {
        let extra: &[&str] = if by_task {
            std::fs::write(
                &task_with_base,
                "id = \"sum\"\ntitle = \"Sum items\"\nbase = \"HEAD~1\"\n",
            )
            .unwrap();
            &[]
        } else {
            &["--base", "HEAD~1"]
        };
        let (code, record, stderr) = verify(&dir, extra);
        assert_eq!(code, Some(1), "by task: {by_task}: {stderr}");
        assert!(!stderr.contains("allow-listed"), "{stderr}");
        assert_eq!(
            blocking_fingerprints(&record),
            blocking_fingerprints(&control)
        );
        assert_eq!(
            record["policy"]["ignored_changes"],
            json!([".director/config.toml"])
        );
        assert!(
            record["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule_id"] == "sec.director.policy-change"),
            "{record}"
        );
    }
    assert!(attacker.received_requests().await.unwrap().is_empty());

    // The default change (the working tree against HEAD) trusts HEAD's policy, which
    // is invalid: that is a configuration error, exit 2, with the reason.
    std::fs::write(&task_with_base, "id = \"sum\"\ntitle = \"Sum items\"\n").unwrap();
    let (code, _, stderr) = verify(&dir, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("`GITHUB_TOKEN` is not an allow-listed key variable"),
        "{stderr}"
    );
    assert!(attacker.received_requests().await.unwrap().is_empty());
}

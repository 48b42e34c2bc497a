//! Issue 11 at the orchestrator: `examples/orders-service` reviewed through a mock of
//! llama-server that behaves like the real one where it matters — `/props` with the
//! context of one slot and the slot count, `/tokenize`, and a chat endpoint that
//! rejects a prompt larger than the slot with llama-server's exact error body and
//! processes one request per slot at a time.
//!
//! - A 4096-token slot: every routed Director still answers (compact prompts, the
//!   change in parts), and no request is rejected for size or could be cut short by
//!   the context.
//! - One slot: director never has two requests in flight.
//! - A window smaller than the fixed part: every Director fails before sending with
//!   `context-too-small: needs ≥ N tokens, model has M` and the server flag to change.

use crate::support::*;
use director::core::record::DirectorStatus;
use director::{Decision, Overrides};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Tokens of a text for the mock server: one per 4.3 bytes, about 10-15% more than
/// director's own count on its prompts, as Gemma's tokenizer counted on the real run.
fn mock_tokens(text: &str) -> usize {
    (text.len() * 10).div_ceil(43)
}

/// What the mock saw.
#[derive(Default)]
struct Seen {
    /// (prompt tokens, max_tokens) of every chat request.
    requests: Vec<(usize, u64)>,
    /// Requests rejected for size.
    rejected: usize,
    /// When the replies of earlier requests leave at the earliest: a request whose
    /// reply has not left yet is surely still in flight (a client cannot have its
    /// answer), so counting those never over-counts on a loaded machine.
    replies_leave: Vec<std::time::Instant>,
    /// The most requests seen in flight at once.
    peak: usize,
}

/// llama-server's chat endpoint with `n_ctx` tokens per slot.
#[derive(Clone)]
struct Slots {
    n_ctx: usize,
    delay: Duration,
    seen: Arc<Mutex<Seen>>,
}

impl Respond for Slots {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let prompt: usize = body["messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|x| mock_tokens(x["content"].as_str().unwrap_or("")))
                    .sum()
            })
            .unwrap_or(0)
            + 20;
        let max_tokens = body["max_tokens"].as_u64().unwrap_or(0);
        let mut seen = self.seen.lock().unwrap();
        seen.requests.push((prompt, max_tokens));
        if prompt > self.n_ctx {
            seen.rejected += 1;
            // llama-server's body for a prompt larger than the slot, byte for byte.
            let error = format!(
                r#"{{"error":{{"code":400,"message":"request ({prompt} tokens) exceeds the available context size ({} tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":{prompt},"n_ctx":{}}}}}"#,
                self.n_ctx, self.n_ctx
            );
            return ResponseTemplate::new(400).set_body_raw(error, "application/json");
        }
        let now = std::time::Instant::now();
        seen.replies_leave.retain(|t| *t > now);
        seen.replies_leave.push(now + self.delay);
        seen.peak = seen.peak.max(seen.replies_leave.len());
        let delay = self.delay;
        let verdict = json!({"verdict": "pass", "summary": "Nothing in my field stands in the way.", "findings": []});
        ResponseTemplate::new(200)
            .set_body_json(completion(&verdict.to_string(), "stop"))
            .set_delay(delay)
    }
}

/// A mock llama-server: `/props`, `/tokenize` and the chat endpoint.
async fn llama_server(
    n_ctx: usize,
    slots: usize,
    delay: Duration,
) -> (MockServer, Arc<Mutex<Seen>>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/props"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "default_generation_settings": {"n_ctx": n_ctx},
            "total_slots": slots,
            "build_info": "b6500-mock"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/tokenize"))
        .respond_with(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let n = mock_tokens(body["content"].as_str().unwrap_or(""));
            ResponseTemplate::new(200).set_body_json(json!({"tokens": vec![0; n]}))
        })
        .mount(&server)
        .await;
    let seen = Arc::new(Mutex::new(Seen::default()));
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(Slots {
            n_ctx,
            delay,
            seen: Arc::clone(&seen),
        })
        .mount(&server)
        .await;
    (server, seen)
}

/// A private copy of `examples/orders-service`, with discovery never cached.
fn orders_service() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/orders-service");
    copy_dir(&from, dir.path());
    let config = dir.path().join(".director/config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[provider]\ndiscovery_ttl_secs = 0\n[cache]\nenabled = false\n");
    std::fs::write(config, text).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

async fn verify(repo: &Path, server: &MockServer) -> director::RunRecord {
    let verifier = director::Verifier::builder()
        .repo(repo)
        .provider(format!("{}/v1", server.uri()))
        .overrides(Overrides {
            write_record: Some(false),
            // The copy's .director/config.toml (discovery never cached: each mock is a
            // new server, maybe on a port an earlier one used) is the test's own.
            trust_worktree_config: Some(true),
            ..Overrides::default()
        })
        .build()
        .unwrap();
    let task = verifier.load_task("add-orders-db").unwrap();
    verifier.verify(task).await.unwrap()
}

#[tokio::test]
async fn a_4096_token_slot_gets_compact_prompts_in_parts_and_no_request_is_rejected() {
    let repo = orders_service();
    let (server, seen) = llama_server(4096, 2, Duration::from_millis(50)).await;
    let record = verify(repo.path(), &server).await;
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.rejected, 0,
        "requests rejected for size: {:?}",
        seen.requests
    );
    for (prompt, max_tokens) in &seen.requests {
        assert!(
            *prompt as u64 + max_tokens <= 4096,
            "prompt {prompt} + max_tokens {max_tokens} could run out of context"
        );
    }
    let server_info = record.llm.server.as_ref().unwrap();
    assert_eq!(server_info.kind, "llama-server");
    assert_eq!(server_info.context_window, Some(4096));
    let routed: Vec<_> = record
        .directors
        .iter()
        .filter(|d| d.status != DirectorStatus::Skipped)
        .collect();
    assert!(routed.len() >= 3, "{routed:?}");
    for d in &routed {
        assert_eq!(d.status, DirectorStatus::Ran, "{}: {:?}", d.name, d.reason);
        assert_eq!(d.prompt_profile.as_deref(), Some("compact"), "{}", d.name);
    }
    assert!(
        routed.iter().any(|d| d.parts.len() > 1),
        "the change does not fit one 4096-token request: parts expected"
    );
    assert!(seen.peak <= 2, "more requests than slots: {}", seen.peak);
    // Every file of the change is shown to every Director in some part: a file
    // larger than a part is reviewed in windows of its line ranges, never dropped.
    let changed: Vec<&str> = record.changes.iter().map(|c| c.path.as_str()).collect();
    for d in &routed {
        for path in &changed {
            assert!(
                d.parts.iter().any(|p| p.files.iter().any(|f| f == path)),
                "{}: {path} is in no part: {:?} omitted {:?}",
                d.name,
                d.parts.iter().map(|p| &p.label).collect::<Vec<_>>(),
                d.omitted
            );
        }
        assert!(
            d.omitted
                .iter()
                .all(|o| !o.reason.contains("context tokens alone")),
            "{}: {:?}",
            d.name,
            d.omitted
        );
    }
    let infra = routed.iter().find(|d| d.name == "infrastructure").unwrap();
    assert!(
        infra
            .parts
            .iter()
            .any(|p| p.label.contains("infra/database.tf pieces 1-")),
        "{:?}",
        infra.parts.iter().map(|p| &p.label).collect::<Vec<_>>()
    );
    // The deterministic findings still decide: a production database on one AZ.
    assert_eq!(record.decision, Decision::Block);
}

#[tokio::test]
async fn a_single_slot_server_gets_one_request_at_a_time() {
    let repo = orders_service();
    let (server, seen) = llama_server(32_768, 1, Duration::from_millis(150)).await;
    let record = verify(repo.path(), &server).await;
    let seen = seen.lock().unwrap();
    assert!(seen.requests.len() >= 3);
    assert_eq!(seen.peak, 1, "two requests in flight on a one-slot server");
    assert_eq!(seen.rejected, 0);
    for d in record
        .directors
        .iter()
        .filter(|d| d.status != DirectorStatus::Skipped)
    {
        assert_eq!(d.status, DirectorStatus::Ran, "{}: {:?}", d.name, d.reason);
        assert_eq!(d.prompt_profile.as_deref(), Some("full"), "{}", d.name);
        assert!(d.parts.is_empty());
    }
}

#[tokio::test]
async fn a_window_smaller_than_the_fixed_part_fails_before_sending() {
    let repo = orders_service();
    let (server, seen) = llama_server(1024, 1, Duration::ZERO).await;
    let started = Instant::now();
    let record = verify(repo.path(), &server).await;
    assert!(seen.lock().unwrap().requests.is_empty(), "nothing was sent");
    // The deterministic blocking findings stand; the failed Directors are named.
    assert_eq!(record.decision, Decision::Block);
    assert!(
        record.reason.contains("could not finish"),
        "{}",
        record.reason
    );
    let routed: Vec<_> = record
        .directors
        .iter()
        .filter(|d| d.status != DirectorStatus::Skipped)
        .collect();
    assert!(!routed.is_empty());
    for d in routed {
        assert_eq!(d.status, DirectorStatus::Failed, "{}", d.name);
        let reason = d.reason.as_deref().unwrap_or("");
        assert!(
            reason.starts_with("context-too-small: needs ≥ ") && reason.contains("model has 1024"),
            "{reason}"
        );
        assert!(
            reason.contains("-c "),
            "the hint names llama-server's flag: {reason}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// A git change — a new 50-line module, which is one hunk, and a test file — with
/// acceptance criteria, against a 4096-token slot. The Directors with the longest
/// checklists (Security, Infrastructure) have a few hundred context tokens per request:
/// the new file's one hunk is cut into line windows, so every Director answers and
/// sees every line, instead of failing `context-too-small` (found running the eval
/// suite against the real llama-server).
#[tokio::test]
async fn a_new_file_larger_than_a_part_is_reviewed_in_windows_of_its_one_hunk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(root.join("app")).unwrap();
    std::fs::write(root.join("app/__init__.py"), "").unwrap();
    std::fs::create_dir_all(root.join(".director/tasks")).unwrap();
    std::fs::write(
        root.join(".director/config.toml"),
        "[provider]\ndiscovery_ttl_secs = 0\n[cache]\nenabled = false\n",
    )
    .unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "base"]);
    let module: String = (1..=25)
        .map(|i| {
            format!(
                "def limit_{i}(attempts, window=60):\n    return attempts <= {i} and window > 0\n"
            )
        })
        .collect();
    std::fs::write(root.join("app/limits.py"), &module).unwrap();
    std::fs::create_dir_all(root.join("tests")).unwrap();
    std::fs::write(
        root.join("tests/test_limits.py"),
        "from app.limits import limit_5\n\ndef test_limit():\n    assert limit_5(5)\n",
    )
    .unwrap();
    std::fs::write(
        root.join(".director/tasks/limits.toml"),
        "id = \"limits\"\ntitle = \"Rate-limit login attempts\"\nenvironment = \"production\"\ncriteria = [\"Login attempts are limited to 5 per minute per client IP\", \"A limited request gets HTTP 429 with Retry-After\"]\n",
    )
    .unwrap();
    let (server, seen) = llama_server(4096, 2, Duration::from_millis(10)).await;
    let verifier = director::Verifier::builder()
        .repo(root)
        .provider(format!("{}/v1", server.uri()))
        .overrides(Overrides {
            write_record: Some(false),
            trust_worktree_config: Some(true),
            ..Overrides::default()
        })
        .build()
        .unwrap();
    let task = verifier.load_task("limits").unwrap();
    let options = director::VerifyOptions {
        all_directors: true,
        ..director::VerifyOptions::default()
    };
    let record = verifier
        .verify_with(
            task,
            &options,
            &director::EventSink::none(),
            &director::CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().rejected, 0);
    let ran: Vec<_> = record
        .directors
        .iter()
        .filter(|d| d.status != DirectorStatus::Skipped)
        .collect();
    assert!(ran.len() >= 7, "{ran:?}");
    for d in &ran {
        assert_eq!(
            d.status,
            DirectorStatus::Ran,
            "{}: {:?} {:?}",
            d.name,
            d.reason,
            d.omitted
        );
        assert!(d.omitted.is_empty(), "{}: {:?}", d.name, d.omitted);
        for path in ["app/limits.py", "tests/test_limits.py"] {
            assert!(
                d.parts.iter().any(|p| p.files.iter().any(|f| f == path)),
                "{}: {path} is in no part",
                d.name
            );
        }
    }
    let security = ran.iter().find(|d| d.name == "security").unwrap();
    assert!(
        security
            .parts
            .iter()
            .any(|p| p.label.contains("app/limits.py pieces 3-")),
        "{:?}",
        security.parts.iter().map(|p| &p.label).collect::<Vec<_>>()
    );
    assert_eq!(record.decision, Decision::Pass, "{}", record.reason);
}

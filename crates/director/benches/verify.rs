//! Issue-2 benchmark: one verification with five Directors against a local mock
//! provider (wiremock speaking the OpenAI API).
//!
//! 1. Fan-out: every reply takes 200 ms; wall time with `max_concurrency = 5` vs `1`
//!    (target ratio ≤ 0.25).
//! 2. Orchestrator overhead: replies are immediate; wall time of one verification of a
//!    50-file change in paths mode (no git), median of many runs (target ≤ 20 ms).
//!
//! Run: `cargo bench -p director --bench verify`. Figures are printed, not asserted.

#![expect(clippy::expect_used, reason = "a benchmark aborts on a setup failure")]

use director::{Overrides, Verifier};
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn reply() -> ResponseTemplate {
    let verdict = json!({"verdict": "pass", "summary": "fine", "findings": []}).to_string();
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": verdict}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 20, "total_tokens": 1020}
    }))
}

async fn server(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(reply().set_delay(delay))
        .mount(&server)
        .await;
    server
}

/// A 50-file source change that five Directors review.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..50 {
        let file = dir.path().join(format!("src/module_{i:02}.rs"));
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        let body: String = (0..40)
            .map(|l| format!("pub fn f_{i}_{l}(x: u64) -> u64 {{ x.wrapping_mul({l}) + {i} }}\n"))
            .collect();
        std::fs::write(file, body).expect("write");
    }
    std::fs::create_dir_all(dir.path().join(".director/tasks")).expect("mkdir");
    std::fs::write(
        dir.path().join(".director/tasks/bench.toml"),
        "id = \"bench\"\ntitle = \"Benchmark change\"\npaths = [\"src\"]\n",
    )
    .expect("task");
    std::fs::write(
        dir.path().join(".director/config.toml"),
        "[cache]\nenabled = false\n[run]\nwrite_record = false\ntool_rounds = 0\n",
    )
    .expect("config");
    dir
}

fn verifier(repo: &tempfile::TempDir, server: &MockServer, concurrency: usize) -> Verifier {
    Verifier::builder()
        .repo(repo.path())
        .provider(format!("{}/v1", server.uri()))
        .overrides(Overrides {
            max_concurrency: Some(concurrency),
            ..Overrides::default()
        })
        .build()
        .expect("verifier")
}

async fn once(v: &Verifier) -> Duration {
    let task = v.load_task("bench").expect("task");
    let start = Instant::now();
    let record = v.verify(task).await.expect("verify");
    let elapsed = start.elapsed();
    let ran = record
        .directors
        .iter()
        .filter(|d| d.status == director::core::DirectorStatus::Ran)
        .count();
    assert_eq!(ran, 5, "five Directors review the change");
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let repo = repo();
        let slow = server(Duration::from_millis(200)).await;
        let parallel = verifier(&repo, &slow, 5);
        let serial = verifier(&repo, &slow, 1);
        once(&parallel).await; // warm up: tokenizer, templates, connections
        let mut p = Vec::new();
        let mut s = Vec::new();
        // Interleave the two so machine noise hits both alike.
        for _ in 0..5 {
            p.push(once(&parallel).await);
            s.push(once(&serial).await);
        }
        let (p, s) = (median(p), median(s));
        println!("fan-out, 5 Directors, 200 ms replies:");
        println!("  max_concurrency 5: {:>8.1} ms", p.as_secs_f64() * 1e3);
        println!("  max_concurrency 1: {:>8.1} ms", s.as_secs_f64() * 1e3);
        println!(
            "  ratio: {:.3} (target <= 0.25)",
            p.as_secs_f64() / s.as_secs_f64()
        );

        let fast = server(Duration::ZERO).await;
        let v = verifier(&repo, &fast, 5);
        once(&v).await;
        let runs: Vec<Duration> = {
            let mut out = Vec::new();
            for _ in 0..40 {
                out.push(once(&v).await);
            }
            out
        };
        let med = median(runs.clone());
        let min = runs.iter().min().copied().unwrap_or_default();
        println!("orchestrator overhead, 50-file change, zero-delay mock, 5 Directors:");
        println!(
            "  median {:.1} ms, min {:.1} ms per verification (target <= 20 ms)",
            med.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3
        );
    });
}

//! Issue-6 figures: 100 tasks × 5 Directors through the whole orchestrator
//! (`Verifier::verify_many`) against a local mock provider answering after 200 ms,
//! with a process-wide concurrency cap of 64.
//!
//! Cold: wall time against the ideal (500 calls / 64 slots × 0.2 s = 1.5625 s) and peak
//! memory. Warm: the same 100 tasks again with the verdict cache filled — provider
//! requests (target 0) and wall time.
//!
//! Run: `cargo bench -p director --bench many`. Figures are printed, not asserted.

#![expect(clippy::expect_used, reason = "a benchmark aborts on a setup failure")]

use director::core::record::DirectorStatus;
use director::{CancellationToken, EventSink, Overrides, Verifier, VerifyOptions};
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TASKS: usize = 100;
const DELAY: Duration = Duration::from_millis(200);
const CAP: usize = 64;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let verdict = json!({"verdict": "pass", "summary": "fine", "findings": []}).to_string();
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({
                        "id": "c", "object": "chat.completion", "created": 1, "model": "m",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": verdict}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1000, "completion_tokens": 20, "total_tokens": 1020}
                    }))
                    .set_delay(DELAY),
            )
            .mount(&server)
            .await;

        let repo = tempfile::tempdir().expect("tmp");
        let root = repo.path();
        std::fs::create_dir_all(root.join("src")).expect("mkdir");
        std::fs::write(root.join("src/lib.rs"), "pub fn add(a: u64, b: u64) -> u64 {\n    a.saturating_add(b)\n}\n").expect("write");
        std::fs::create_dir_all(root.join(".director/tasks")).expect("mkdir");
        std::fs::write(
            root.join(".director/config.toml"),
            format!("[limits]\nmax_concurrency = {CAP}\n[run]\ntool_rounds = 0\nwrite_record = true\n"),
        )
        .expect("config");
        for i in 0..TASKS {
            std::fs::write(
                root.join(format!(".director/tasks/t{i:03}.toml")),
                format!("id = \"t{i:03}\"\ntitle = \"Saturating add, variant {i}\"\npaths = [\"src\"]\n"),
            )
            .expect("task");
        }
        let v = Verifier::builder()
            .repo(root)
            .cache_home(root.join(".bench-cache-home"))
            .provider(format!("{}/v1", server.uri()))
            .overrides(Overrides::default())
            .build()
            .expect("verifier");
        let tasks: Vec<_> = (0..TASKS).map(|i| v.load_task(&format!("t{i:03}")).expect("task")).collect();
        // Load the tokenizer and templates outside the timed region.
        let warm = v.context_preview(tasks[0].clone(), &VerifyOptions::default()).await;
        assert!(warm.is_ok());

        let start = Instant::now();
        let results = v.verify_many(tasks.clone(), &VerifyOptions::default(), &EventSink::none(), &CancellationToken::new()).await;
        let cold = start.elapsed();
        let requests = server.received_requests().await.map_or(0, |r| r.len());
        let ran: usize = results
            .iter()
            .map(|r| r.as_ref().expect("verified").directors.iter().filter(|d| d.status == DirectorStatus::Ran).count())
            .sum();
        let ideal = (ran as f64 / CAP as f64) * DELAY.as_secs_f64();
        println!("cold: {TASKS} tasks, {ran} Director calls, {requests} provider requests");
        println!("  wall {:.3} s, ideal {:.4} s, ratio {:.3} (target <= 1.25)", cold.as_secs_f64(), ideal, cold.as_secs_f64() / ideal);
        println!("  peak memory (VmHWM) {:.1} MiB", peak_rss_kib() as f64 / 1024.0);

        let start = Instant::now();
        let results = v.verify_many(tasks, &VerifyOptions::default(), &EventSink::none(), &CancellationToken::new()).await;
        let warm = start.elapsed();
        let after = server.received_requests().await.map_or(0, |r| r.len());
        let cached: usize = results
            .iter()
            .map(|r| r.as_ref().expect("verified").directors.iter().filter(|d| d.from_cache).count())
            .sum();
        println!("warm cache: {} provider requests (target 0), {cached} verdicts from cache, wall {:.3} s", after - requests, warm.as_secs_f64());
        println!("  peak memory (VmHWM) {:.1} MiB", peak_rss_kib() as f64 / 1024.0);
    });
}

//! Fan-out benchmark: 100 tasks × 5 Directors = 500 `review` calls through
//! `OpenAiProvider` against a local wiremock provider that answers after 200 ms,
//! under a global concurrency cap of 64. Reports wall time against the ideal
//! (500 / 64 × 0.2 s), peak memory (VmHWM of the whole process, the in-process mock
//! server included). (The warm verdict cache is measured through the real verifier by
//! the `director` crate's `many` bench.)
//!
//! `cargo bench -p director-llm --bench fanout` runs the full size. Without
//! `--bench` (as under `cargo test --all-targets`) it runs a tiny smoke version.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark fails loudly on broken fixtures"
)]
#![expect(clippy::print_stderr, reason = "a benchmark reports its figures")]

use director_llm::{
    ChatMessage, OpenAiProvider, ProviderConfig, RateLimits, RetryPolicy, ReviewRequest, review,
};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers every request the same way and counts them.
struct Counting {
    served: Arc<AtomicUsize>,
    response: ResponseTemplate,
}

impl Respond for Counting {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        self.served.fetch_add(1, Ordering::SeqCst);
        self.response.clone()
    }
}

const DIRECTORS: [&str; 5] = [
    "infrastructure",
    "architecture",
    "code-quality",
    "performance",
    "security",
];

struct Size {
    tasks: usize,
    delay: Duration,
    concurrency: usize,
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let size = if full {
        Size {
            tasks: 100,
            delay: Duration::from_millis(200),
            concurrency: 64,
        }
    } else {
        Size {
            tasks: 4,
            delay: Duration::from_millis(10),
            concurrency: 8,
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(size));
}

async fn bench(size: Size) {
    // Recording every request body would put the mock's memory into the figure;
    // a counting responder is all the benchmark needs.
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    let verdict = json!({"verdict": "pass", "summary": "Nothing to report.", "findings": []});
    let body = json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "bench-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": verdict.to_string()}}],
        "usage": {"prompt_tokens": 6000, "completion_tokens": 40, "total_tokens": 6040,
                  "prompt_tokens_details": {"cached_tokens": 5000}}
    });
    let served = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(Counting {
            served: Arc::clone(&served),
            response: ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(size.delay),
        })
        .mount(&server)
        .await;
    let provider = Arc::new(
        OpenAiProvider::new(ProviderConfig {
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy {
                max_retries: 2,
                ..RetryPolicy::default()
            },
            limits: RateLimits {
                max_concurrency: size.concurrency,
                ..RateLimits::default()
            },
            ..ProviderConfig::new(format!("{}/v1", server.uri()), "bench-model")
        })
        .unwrap(),
    );
    let baseline_kib = vm_hwm_kib();

    let calls = size.tasks * DIRECTORS.len();
    let cpu_before = cpu_seconds();
    let cold = fan_out(&provider, size.tasks).await;
    let cold_cpu = cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let cold_requests = served.load(Ordering::SeqCst);
    let peak_kib = vm_hwm_kib();
    let ideal = calls as f64 / size.concurrency as f64 * size.delay.as_secs_f64();
    let waves = calls.div_ceil(size.concurrency) as f64 * size.delay.as_secs_f64();

    eprintln!(
        "fan-out: {} tasks x {} Directors = {calls} review calls, provider delay {:?}, concurrency cap {}",
        size.tasks,
        DIRECTORS.len(),
        size.delay,
        size.concurrency
    );
    eprintln!(
        "  cold run:  {:.3} s wall, ideal {:.4} s (ratio {:.3}; {:.3} s is the floor with whole waves), {} verdicts, {} provider requests",
        cold.wall.as_secs_f64(),
        ideal,
        cold.wall.as_secs_f64() / ideal,
        waves,
        cold.verdicts,
        cold_requests
    );
    eprintln!(
        "  cpu time of the cold run (client and mock server): {:.3} s",
        cold_cpu.unwrap_or(0.0)
    );
    eprintln!(
        "  peak memory (VmHWM): {} KiB ({} KiB before the run; mock server in-process)",
        peak_kib.unwrap_or(0),
        baseline_kib.unwrap_or(0)
    );
    assert_eq!(cold.verdicts, calls, "every cold call must yield a verdict");
}

struct RunFigures {
    wall: Duration,
    verdicts: usize,
}

/// One verification per task, each fanning out to every Director, all at once.
async fn fan_out(provider: &Arc<OpenAiProvider>, tasks: usize) -> RunFigures {
    let started = Instant::now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        // The shared context every Director of a task sees (about 20 KB).
        let context = Arc::new(format!(
            "Task {task}: add a read replica.\n{}",
            "resource \"aws_db_instance\" \"main\" { multi_az = false }\n".repeat(350)
        ));
        for director in DIRECTORS {
            let provider = Arc::clone(provider);
            let context = Arc::clone(&context);
            handles.push(tokio::spawn(async move {
                let messages = vec![
                    ChatMessage::System(context.to_string()),
                    ChatMessage::System(format!(
                        "You are the {director} Director. {}",
                        "Review carefully. ".repeat(200)
                    )),
                    ChatMessage::User("Review the change and answer with your verdict.".into()),
                ];
                let request = ReviewRequest::new(director, "bench-model", messages);
                let outcome =
                    review(provider.as_ref(), request, None, &CancellationToken::new()).await;
                match outcome.result {
                    Ok(_) => true,
                    Err(failure) => {
                        eprintln!("{director} failed: {failure}");
                        false
                    }
                }
            }));
        }
    }
    let mut verdicts = 0;
    for handle in handles {
        if handle.await.unwrap() {
            verdicts += 1;
        }
    }
    RunFigures {
        wall: started.elapsed(),
        verdicts,
    }
}

/// User + system CPU time of this process, from /proc (Linux, 100 ticks per second).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are 14th and 15th overall.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Peak resident set size of this process, from /proc (Linux only).
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

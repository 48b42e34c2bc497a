//! Streamed answers against a loopback server that speaks server-sent events the way
//! llama-server and OpenAI do, chunk by chunk with real pauses (wiremock sends a body
//! all at once, so it cannot show progress): an answer that keeps coming is never
//! cut off and re-sent however long it takes; a silent stream is noticed within the
//! stall timeout and retried; a stream cut short never yields a verdict; and every
//! attempt is in the journal with how it ended.

use crate::support::*;
use director_llm::FailureKind;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What one connection of the SSE server does.
#[derive(Clone)]
enum Script {
    /// Send these events, `gap` apart, then `[DONE]`.
    Events { events: Vec<Value>, gap: Duration },
    /// Send these events, then go silent for `silence` (connection kept open).
    Stall {
        events: Vec<Value>,
        silence: Duration,
    },
}

/// A loopback HTTP server answering each connection with the next script (the last
/// one repeats); it records every request body.
async fn sse_server(scripts: Vec<Script>) -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let bodies = seen.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let script = scripts[n.min(scripts.len() - 1)].clone();
            n += 1;
            let bodies = bodies.clone();
            tokio::spawn(async move {
                let request = read_request(&mut socket).await;
                let body = request.split_once("\r\n\r\n").map_or("", |(_, b)| b);
                bodies
                    .lock()
                    .unwrap()
                    .push(serde_json::from_str(body).unwrap_or(Value::Null));
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let (events, gap, silence) = match script {
                    Script::Events { events, gap } => (events, gap, None),
                    Script::Stall { events, silence } => (events, Duration::ZERO, Some(silence)),
                };
                for event in events {
                    tokio::time::sleep(gap).await;
                    if send(&mut socket, &format!("data: {event}\n\n"))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                if let Some(silence) = silence {
                    tokio::time::sleep(silence).await;
                    return;
                }
                let _ = send(&mut socket, "data: [DONE]\n\n").await;
                let _ = socket.write_all(b"0\r\n\r\n").await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{address}/v1"), seen)
}

async fn send(socket: &mut tokio::net::TcpStream, text: &str) -> std::io::Result<()> {
    let chunk = format!("{:x}\r\n{text}\r\n", text.len());
    socket.write_all(chunk.as_bytes()).await?;
    socket.flush().await
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    while let Ok(n) = socket.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buffer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&buffer).into_owned()
}

/// The chunks of a streamed answer carrying `text` in `pieces` deltas, then the
/// finish reason and a usage chunk, as llama-server sends them.
fn chunks(text: &str, pieces: usize, finish: &str) -> Vec<Value> {
    let size = text.len().div_ceil(pieces).max(1);
    let mut out = vec![
        json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": null}, "finish_reason": null}], "model": "gemma"}),
    ];
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = size.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (piece, tail) = rest.split_at(cut);
        out.push(
            json!({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]}),
        );
        rest = tail;
    }
    out.push(json!({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}));
    out.push(json!({"choices": [], "usage": {"prompt_tokens": 900, "completion_tokens": 60, "total_tokens": 960}}));
    out
}

fn streaming(base_url: &str, attempt: Duration, stall: Duration) -> director_llm::OpenAiProvider {
    let mut config = config(base_url);
    config.request_timeout = attempt;
    config.stall_timeout = stall;
    director_llm::OpenAiProvider::new(config).unwrap()
}

#[tokio::test]
async fn an_answer_that_keeps_coming_is_never_cut_off() {
    // 12 pieces 250 ms apart: 3 s in all, three times the 1 s per-attempt timeout.
    let text = verdict_json().to_string();
    let (base_url, bodies) = sse_server(vec![Script::Events {
        events: chunks(&text, 12, "stop"),
        gap: Duration::from_millis(250),
    }])
    .await;
    let provider = streaming(&base_url, Duration::from_secs(1), Duration::from_secs(1));
    let outcome = run_default(&provider).await;
    expect_verdict(&outcome);
    assert_eq!(outcome.attempts, 1, "never cancelled and re-sent");
    assert_eq!(outcome.attempt_log.len(), 1);
    assert_eq!(outcome.attempt_log[0].outcome, "ok");
    assert!(outcome.attempt_log[0].elapsed >= Duration::from_secs(3));
    assert_eq!(
        outcome.usage.prompt_tokens, 900,
        "usage from the final chunk"
    );
    let body = &bodies.lock().unwrap()[0];
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn a_stream_that_goes_silent_is_stalled_and_retried() {
    let text = verdict_json().to_string();
    let (base_url, bodies) = sse_server(vec![
        Script::Stall {
            events: chunks(&text, 6, "stop")[..3].to_vec(),
            silence: Duration::from_secs(10),
        },
        Script::Events {
            events: chunks(&text, 3, "stop"),
            gap: Duration::from_millis(20),
        },
    ])
    .await;
    let provider = streaming(
        &base_url,
        Duration::from_secs(2),
        Duration::from_millis(400),
    );
    let started = std::time::Instant::now();
    let outcome = run_default(&provider).await;
    expect_verdict(&outcome);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stall was noticed"
    );
    let outcomes: Vec<&str> = outcome
        .attempt_log
        .iter()
        .map(|a| a.outcome.as_str())
        .collect();
    assert_eq!(outcomes, ["stalled", "ok"]);
    assert_eq!(outcome.usage.requests, 2);
    assert_eq!(bodies.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_stream_that_never_starts_times_out_per_attempt() {
    let (base_url, _) = sse_server(vec![Script::Stall {
        events: vec![],
        silence: Duration::from_secs(10),
    }])
    .await;
    let provider = {
        let mut config = config(&base_url);
        config.request_timeout = Duration::from_millis(300);
        config.retry.max_retries = 1;
        director_llm::OpenAiProvider::new(config).unwrap()
    };
    let outcome = run_default(&provider).await;
    expect_failure(&outcome, FailureKind::Timeout);
    assert_eq!(outcome.attempts, 2);
    assert!(outcome.attempt_log.iter().all(|a| a.outcome == "timeout"));
    assert_eq!(outcome.usage.requests, 2, "timed-out attempts count");
}

#[tokio::test]
async fn a_stream_cut_before_its_finish_never_yields_a_verdict() {
    let text = verdict_json().to_string();
    let mut events = chunks(&text, 4, "stop");
    // The whole text arrives, but no finish reason and no usage: the connection ends.
    events.truncate(events.len() - 2);
    let (base_url, _) = sse_server(vec![Script::Events {
        events,
        gap: Duration::from_millis(10),
    }])
    .await;
    let provider = streaming(&base_url, Duration::from_secs(2), Duration::from_secs(1));
    let outcome = run_default(&provider).await;
    let message = expect_failure(&outcome, FailureKind::AbnormalFinish);
    assert!(message.contains("finish_reason"), "{message}");
}

#[tokio::test]
async fn complete_findings_of_a_cut_answer_are_kept_as_partial_never_as_a_verdict() {
    let finding = verdict_json()["findings"][0].clone();
    let looping = format!(
        "{{\"verdict\": \"pass\", \"summary\": \"s\", \"findings\": [{finding}, {finding}, {{\"severity\": \"warning\", \"category\": \"reli"
    );
    let (base_url, _) = sse_server(vec![Script::Events {
        events: chunks(&looping, 5, "length"),
        gap: Duration::from_millis(5),
    }])
    .await;
    let provider = streaming(&base_url, Duration::from_secs(2), Duration::from_secs(1));
    let mut request = request();
    request.max_output_tokens_cap = request.max_output_tokens;
    let outcome = run(&provider, request).await;
    expect_failure(&outcome, FailureKind::Truncated);
    let partial = outcome.partial.expect("the complete findings are kept");
    assert_eq!(partial.findings.len(), 2);
}

/// A server that keeps a connection alive after answering, then closes it on the
/// next request without answering — as llama-server (cpp-httplib) does once a
/// connection reaches its keep-alive limit (5 requests or 5 idle seconds). Returns
/// the base URL and the number of connections accepted.
async fn keep_alive_limited_server(text: String) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(Mutex::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            *count.lock().unwrap() += 1;
            let text = text.clone();
            tokio::spawn(async move {
                let _ = read_request(&mut socket).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for event in chunks(&text, 3, "stop") {
                    if send(&mut socket, &format!("data: {event}\n\n"))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                let _ = send(&mut socket, "data: [DONE]\n\n").await;
                let _ = socket.write_all(b"0\r\n\r\n").await;
                let _ = socket.flush().await;
                // The limit is reached: the next request on this connection is read
                // and the connection closed without an answer.
                let _ = read_request(&mut socket).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{address}/v1"), accepted)
}

#[tokio::test]
async fn a_self_hosted_server_closing_kept_alive_connections_costs_no_attempt() {
    let (base_url, accepted) = keep_alive_limited_server(verdict_json().to_string()).await;
    let mut config = config(&base_url);
    config.retry.max_retries = 0;
    let provider = director_llm::OpenAiProvider::new(config).unwrap();
    for round in 0..3 {
        let outcome = run_default(&provider).await;
        expect_verdict(&outcome);
        assert_eq!(outcome.attempts, 1, "round {round}: no attempt lost");
    }
    // Each request had a connection of its own (discovery probes included).
    assert!(*accepted.lock().unwrap() >= 3);
}

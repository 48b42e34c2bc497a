//! The fault-injection suite: every way a provider misbehaves ends in a recovered
//! verdict or an explicit failure, each asserted through the real HTTP path. No test
//! here accepts a verdict from a Director that did not really answer.

use crate::support::*;
use director_llm::{FailureKind, LlmError};
use serde_json::json;
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn rate_limited_with_retry_after_seconds_then_success() {
    let server = failing_then_ok([ResponseTemplate::new(429)
        .insert_header("retry-after", "1")
        .set_body_json(json!({"error": {"message": "Rate limit reached", "type": "requests"}}))])
    .await;
    let started = Instant::now();
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    assert_eq!(outcome.attempts, 2);
    assert_eq!(requests(&server).await.len(), 2);
    // The backoff alone is at most 40 ms; only the header explains a 1 s wait.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After ignored"
    );
}

#[tokio::test]
async fn rate_limited_with_retry_after_http_date_then_success() {
    // Timed from before the date is taken, so starting the mock cannot eat into the wait.
    let started = Instant::now();
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    let server =
        failing_then_ok([ResponseTemplate::new(429).insert_header("retry-after", when.as_str())])
            .await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    assert_eq!(outcome.attempts, 2);
    // The date has one-second resolution: the wait is between 1 and 2 s.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "HTTP-date Retry-After ignored"
    );
}

#[tokio::test]
async fn retry_after_beyond_the_cap_fails_at_once() {
    let server = serving(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "3600")
            .set_body_json(json!({"error": {"message": "You exceeded your current quota"}})),
    )
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    let message = expect_failure(&outcome, FailureKind::Http);
    assert!(
        message.contains("3600s") && message.contains("quota"),
        "{message}"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn rate_limited_with_a_non_openai_body_then_success() {
    let server = failing_then_ok([
        ResponseTemplate::new(429).set_body_raw(
            "<html><body><h1>429 Too Many Requests</h1></body></html>",
            "text/html",
        ),
        ResponseTemplate::new(429).set_body_raw("slow down", "text/plain"),
    ])
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    assert_eq!(outcome.attempts, 3);
}

#[tokio::test]
async fn server_error_then_success() {
    let server =
        failing_then_ok([ResponseTemplate::new(500).set_body_string("Internal Server Error")])
            .await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    assert_eq!(outcome.attempts, 2);
    // Both requests count, the failed one too; tokens only from the one that answered.
    assert_eq!(outcome.usage.requests, 2);
    assert_eq!(outcome.usage.prompt_tokens, 120);
    assert_eq!(outcome.usage.cached_prompt_tokens, 100);
}

#[tokio::test]
async fn server_error_forever_fails_after_max_retries() {
    let server = serving(
        ResponseTemplate::new(500).set_body_json(json!({"error": {"message": "model crashed"}})),
    )
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    let message = expect_failure(&outcome, FailureKind::Http);
    assert!(
        message.contains("500") && message.contains("4 attempt(s)"),
        "{message}"
    );
    assert!(message.contains("model crashed"), "{message}");
    assert_eq!(
        requests(&server).await.len(),
        4,
        "1 attempt + max_retries 3"
    );
    assert_eq!(outcome.attempts, 4);
}

#[tokio::test]
async fn bad_gateway_and_unavailable_then_success() {
    let server = failing_then_ok([
        ResponseTemplate::new(502).set_body_raw("<html>Bad Gateway</html>", "text/html"),
        ResponseTemplate::new(503).set_body_string("upstream unavailable"),
    ])
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    assert_eq!(outcome.attempts, 3);
}

/// A raw TCP server: the first `resets` connections are dropped right after the
/// request arrives; later ones get a valid chat completion.
async fn flaky_server(resets: usize) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let request = read_http_request(&mut socket).await;
                if n < resets {
                    // SO_LINGER 0 turns the close into a TCP reset.
                    let _ = socket.set_zero_linger();
                    drop(socket);
                    return;
                }
                assert!(
                    request.starts_with("POST /v1/chat/completions"),
                    "{request}"
                );
                let body = good_completion().to_string();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{address}/v1"), connections)
}

async fn read_http_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
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

#[tokio::test]
async fn connection_reset_then_success() {
    let (base_url, connections) = flaky_server(2).await;
    let provider = provider_at(&base_url);
    let outcome = run(&provider, request()).await;
    expect_verdict(&outcome);
    assert_eq!(outcome.attempts, 3);
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test]
async fn connection_reset_forever_fails_as_connection() {
    let (base_url, connections) = flaky_server(usize::MAX).await;
    let provider = provider_at(&base_url);
    let outcome = run(&provider, request()).await;
    let message = expect_failure(&outcome, FailureKind::Connection);
    assert!(message.contains("4 attempt(s)"), "{message}");
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 4);
}

#[tokio::test]
async fn connection_refused_fails_as_connection() {
    // Bind then drop to get a port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let provider = provider_at(&format!("http://127.0.0.1:{port}/v1"));
    let outcome = run(&provider, request()).await;
    expect_failure(&outcome, FailureKind::Connection);
    assert_eq!(outcome.attempts, 4);
}

#[tokio::test]
async fn slow_response_is_retried_then_succeeds() {
    let server = failing_then_ok([ok().set_delay(Duration::from_secs(2))]).await;
    let provider = provider_with(&server, |c| c.request_timeout = Duration::from_millis(200));
    let outcome = run_default(&provider).await;
    expect_verdict(&outcome);
    assert_eq!(outcome.attempts, 2);
}

#[tokio::test]
async fn slow_response_forever_fails_as_timeout() {
    let server = serving(ok().set_delay(Duration::from_secs(2))).await;
    let provider = provider_with(&server, |c| {
        c.request_timeout = Duration::from_millis(100);
        c.retry.max_retries = 2;
    });
    let outcome = run_default(&provider).await;
    let message = expect_failure(&outcome, FailureKind::Timeout);
    assert!(message.contains("3 attempt(s)"), "{message}");
    assert_eq!(outcome.attempts, 3);
}

#[tokio::test]
async fn slow_response_beyond_the_deadline_fails_as_deadline() {
    let server = serving(ok().set_delay(Duration::from_secs(3))).await;
    let provider = provider_with(&server, |c| c.request_timeout = Duration::from_secs(10));
    let outcome = run(
        &provider,
        director_llm::ReviewRequest {
            deadline: Duration::from_millis(200),
            ..request()
        },
    )
    .await;
    let message = expect_failure(&outcome, FailureKind::Deadline);
    assert!(message.contains("deadline"), "{message}");
    assert_eq!(outcome.attempts, 1, "the cut-off request still counts");
    assert!(outcome.elapsed < Duration::from_secs(3));
}

#[tokio::test]
async fn cancellation_stops_the_review() {
    let server = serving(ok().set_delay(Duration::from_secs(3))).await;
    let provider = provider_for(&server);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let outcome = director_llm::review(&provider, request(), None, &cancel).await;
    expect_failure(&outcome, FailureKind::Cancelled);
}

#[tokio::test]
async fn non_json_body_with_status_200_fails() {
    let server = serving(
        ResponseTemplate::new(200)
            .set_body_raw("<html><body>Welcome to nginx!</body></html>", "text/html"),
    )
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    let message = expect_failure(&outcome, FailureKind::BadResponse);
    assert!(message.contains("nginx"), "{message}");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn schema_invalid_reply_is_repaired() {
    let invalid = json!({"verdict": "maybe", "summary": "s", "findings": []}).to_string();
    let server = failing_then_ok([json_response(completion(&invalid, "stop"))]).await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    assert_eq!(outcome.attempts, 2);
    assert_eq!(outcome.usage.requests, 2);
    let bodies = bodies(&server).await;
    let messages = bodies[1]["messages"].as_array().unwrap();
    let n = messages.len();
    assert_eq!(messages[n - 2]["role"], "assistant");
    assert_eq!(messages[n - 2]["content"], invalid.as_str());
    assert_eq!(messages[n - 1]["role"], "user");
    let repair = messages[n - 1]["content"].as_str().unwrap();
    assert!(
        repair.contains("/verdict") && repair.contains("corrected JSON"),
        "{repair}"
    );
}

#[tokio::test]
async fn non_json_reply_is_repaired() {
    let server = failing_then_ok([json_response(completion("Looks fine to me!", "stop"))]).await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    let repair = bodies(&server).await[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(repair.contains("not valid JSON"), "{repair}");
}

#[tokio::test]
async fn schema_invalid_twice_fails() {
    let missing_summary = json!({"verdict": "pass", "findings": []}).to_string();
    let server = serving(json_response(completion(&missing_summary, "stop"))).await;
    let outcome = run_default(&provider_for(&server)).await;
    let message = expect_failure(&outcome, FailureKind::SchemaInvalid);
    assert!(message.contains("summary"), "{message}");
    assert_eq!(requests(&server).await.len(), 2, "exactly one repair round");
    assert_eq!(outcome.raw_reply.as_deref(), Some(missing_summary.as_str()));
}

#[tokio::test]
async fn non_json_twice_fails_as_invalid_json() {
    let server = serving(json_response(completion("I approve.", "stop"))).await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_failure(&outcome, FailureKind::InvalidJson);
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn json_in_prose_is_recovered_in_text_mode() {
    let prose = format!(
        "Here is my review.\n{}\nLet me know if you need more.",
        verdict_json()
    );
    let server = serving(json_response(completion(&prose, "stop"))).await;
    let outcome = run_default(&provider_with(&server, text_mode)).await;
    expect_verdict(&outcome);
    let body = &bodies(&server).await[0];
    assert!(body.get("response_format").is_none(), "{body}");
    let last = body["messages"].as_array().unwrap().last().unwrap();
    assert_eq!(last["role"], "user");
    let text = last["content"].as_str().unwrap();
    assert!(
        text.starts_with("Review the change") && text.contains("\"findings\""),
        "{text}"
    );
}

#[tokio::test]
async fn json_in_a_code_fence_is_recovered_in_text_mode() {
    let fenced = format!("```json\n{:#}\n```", verdict_json());
    let server = serving(json_response(completion(&fenced, "stop"))).await;
    let outcome = run_default(&provider_with(&server, text_mode)).await;
    expect_verdict(&outcome);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn json_object_mode_sends_json_object_and_the_schema() {
    let server = serving(ok()).await;
    let provider = provider_with(&server, |c| {
        c.structured_output = Some(director_llm::StructuredOutput::JsonObject);
    });
    let outcome = run_default(&provider).await;
    expect_verdict(&outcome);
    let body = &bodies(&server).await[0];
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
    let last = body["messages"].as_array().unwrap().last().unwrap();
    assert!(
        last["content"]
            .as_str()
            .unwrap()
            .contains("\"additionalProperties\"")
    );
}

#[tokio::test]
async fn truncated_reply_is_retried_with_a_larger_budget() {
    let server = failing_then_ok([json_response(completion(
        r#"{"verdict":"pass","summary":"Revie"#,
        "length",
    ))])
    .await;
    let outcome = run(
        &provider_for(&server),
        director_llm::ReviewRequest {
            max_output_tokens: 1000,
            max_output_tokens_cap: 16000,
            ..request()
        },
    )
    .await;
    expect_verdict(&outcome);
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["max_tokens"], 1000);
    assert_eq!(bodies[1]["max_tokens"], 2000);
    assert_eq!(
        bodies[0]["messages"], bodies[1]["messages"],
        "same conversation, larger budget"
    );
}

#[tokio::test]
async fn truncated_twice_fails_even_if_the_partial_text_parses() {
    // A complete, valid verdict — but the server says it was cut off.
    let server = serving(json_response(completion(
        &verdict_json().to_string(),
        "length",
    )))
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    let message = expect_failure(&outcome, FailureKind::Truncated);
    assert!(message.contains("8192"), "{message}");
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[1]["max_tokens"], 8192);
}

#[tokio::test]
async fn truncated_at_the_cap_is_not_retried() {
    let server = serving(json_response(completion("{", "length"))).await;
    let outcome = run(
        &provider_for(&server),
        director_llm::ReviewRequest {
            max_output_tokens: 500,
            max_output_tokens_cap: 500,
            ..request()
        },
    )
    .await;
    expect_failure(&outcome, FailureKind::Truncated);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn empty_choices_fail() {
    let server = serving(json_response(json!({
        "id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [],
        "usage": {"prompt_tokens": 10, "completion_tokens": 0, "total_tokens": 10}
    })))
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_failure(&outcome, FailureKind::EmptyChoices);
    assert_eq!(
        outcome.usage.prompt_tokens, 10,
        "the tokens were still paid for"
    );
}

#[tokio::test]
async fn missing_usage_is_estimated_and_flagged() {
    let mut body = good_completion();
    body.as_object_mut().unwrap().remove("usage");
    let server = serving(json_response(body)).await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    assert!(outcome.usage_estimated);
    assert_eq!(outcome.usage.requests, 1);
    assert!(outcome.usage.prompt_tokens > 0 && outcome.usage.completion_tokens > 0);
    assert_eq!(outcome.usage.cached_prompt_tokens, 0);
}

#[tokio::test]
async fn unauthorized_is_not_retried_and_hides_the_key() {
    let server = serving(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "message": format!("Incorrect API key provided: {KEY}. You can find your API key at the dashboard."),
            "type": "invalid_request_error",
            "code": "invalid_api_key"
        }}))).await;
    let provider = provider_for(&server);
    let outcome = run_default(&provider).await;
    let message = expect_failure(&outcome, FailureKind::Http);
    assert!(
        message.contains("401") && message.contains("Incorrect API key provided"),
        "{message}"
    );
    assert!(message.contains("[redacted]"), "{message}");
    assert_eq!(requests(&server).await.len(), 1, "401 is not retried");
    assert_eq!(outcome.attempts, 1);
    assert!(!format!("{outcome:?}").contains(KEY));
    assert!(!format!("{provider:?}").contains(KEY));
}

#[tokio::test]
async fn not_found_with_a_plain_text_body_is_not_retried() {
    let server =
        serving(ResponseTemplate::new(404).set_body_string("model 'llama9' not found")).await;
    let outcome = run_default(&provider_for(&server)).await;
    let message = expect_failure(&outcome, FailureKind::Http);
    assert!(message.contains("model 'llama9' not found"), "{message}");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn refusal_fails() {
    let server = serving(json_response(json!({
        "id": "x", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": null, "refusal": "I can't help with that."
        }}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    })))
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    let message = expect_failure(&outcome, FailureKind::Refusal);
    assert!(message.contains("can't help"), "{message}");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn content_filter_and_unknown_finish_reasons_fail() {
    for (reason, kind) in [
        ("content_filter", FailureKind::ContentFilter),
        ("abort", FailureKind::AbnormalFinish),
    ] {
        let server = serving(json_response(completion(
            &verdict_json().to_string(),
            reason,
        )))
        .await;
        let outcome = run_default(&provider_for(&server)).await;
        expect_failure(&outcome, kind);
    }
}

#[tokio::test]
async fn tool_calls_finish_without_tool_calls_fails() {
    // A full, valid verdict, but the server claims it stopped to call tools.
    let server = serving(json_response(completion(
        &verdict_json().to_string(),
        "tool_calls",
    )))
    .await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_failure(&outcome, FailureKind::AbnormalFinish);
}

#[tokio::test]
async fn circuit_breaker_opens_and_fails_fast_without_requests() {
    let server = serving(ResponseTemplate::new(503).set_body_string("overloaded")).await;
    let provider = provider_with(&server, |c| {
        c.retry.max_retries = 1;
        c.limits.circuit_breaker_threshold = 2;
        c.limits.circuit_breaker_cooldown = Duration::from_secs(60);
    });
    for _ in 0..2 {
        let outcome = run_default(&provider).await;
        expect_failure(&outcome, FailureKind::Http);
    }
    assert_eq!(requests(&server).await.len(), 4);
    assert!(provider.limiter().circuit_open());
    let outcome = run_default(&provider).await;
    let message = expect_failure(&outcome, FailureKind::CircuitOpen);
    assert!(message.contains("2 consecutive"), "{message}");
    assert_eq!(outcome.attempts, 0);
    assert_eq!(
        requests(&server).await.len(),
        4,
        "an open circuit makes zero requests"
    );
}

#[tokio::test]
async fn circuit_breaker_closes_after_cooldown_on_success() {
    let server = failing_then_ok([ResponseTemplate::new(500)]).await;
    let provider = provider_with(&server, |c| {
        c.retry.max_retries = 0;
        c.limits.circuit_breaker_threshold = 1;
        c.limits.circuit_breaker_cooldown = Duration::from_millis(50);
    });
    expect_failure(&run_default(&provider).await, FailureKind::Http);
    expect_failure(&run_default(&provider).await, FailureKind::CircuitOpen);
    tokio::time::sleep(Duration::from_millis(80)).await;
    expect_verdict(&run_default(&provider).await);
    assert!(!provider.limiter().circuit_open());
}

#[tokio::test]
async fn provider_errors_keep_their_attempt_counts() {
    // The ChatModel level, without the review loop: a 500 forever is an LlmError::Http.
    use director_llm::{ChatMessage, ChatModel, ChatRequest, ResponseMode};
    let server = serving(ResponseTemplate::new(500)).await;
    let provider = provider_with(&server, |c| c.retry.max_retries = 1);
    let request = ChatRequest {
        model: String::new(),
        messages: vec![ChatMessage::User("hi".into())],
        response_format: ResponseMode::Text,
        max_tokens: None,
        temperature: None,
        tools: vec![],
    };
    let error = provider.complete(&request).await.unwrap_err();
    assert!(
        matches!(
            error,
            LlmError::Http {
                status: 500,
                attempts: 2,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

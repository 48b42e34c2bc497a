//! The provider as a hostile or broken party (issue 10): absurd `Retry-After`
//! values, endless bodies, redirects to another host; and the journal that counts
//! every attempt, the ones that timed out or were cut off included.

use crate::support::*;
use director_llm::FailureKind;
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The `Retry-After` values issue 10 names, and a few more.
pub const HOSTILE_RETRY_AFTER: &[&str] = &[
    "1e20",
    "NaN",
    "-1",
    "18446744073709551616",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "inf",
    "1e308",
    "soon",
];

#[tokio::test]
async fn hostile_retry_after_values_recover_or_fail_never_panic() {
    for value in HOSTILE_RETRY_AFTER {
        let server = failing_then_ok([ResponseTemplate::new(429)
            .insert_header("retry-after", *value)
            .set_body_json(json!({"error": {"message": "slow down"}}))])
        .await;
        // A task of its own: a panic would surface as a JoinError here.
        let provider = provider_for(&server);
        let outcome = tokio::spawn(async move { run_default(&provider).await })
            .await
            .unwrap_or_else(|e| panic!("Retry-After {value:?} panicked: {e}"));
        match &outcome.result {
            // Unparsable or negative: the backoff decides, and the retry succeeds.
            Ok(_) => expect_verdict(&outcome),
            // Absurdly long (capped, still beyond max_retry_after): fails at once.
            Err(failure) => {
                assert_eq!(failure.kind, FailureKind::Http, "{value}: {failure}");
                assert!(failure.message.contains("cap"), "{value}: {failure}");
                assert_eq!(outcome.attempts, 1, "{value}");
            }
        }
    }
}

#[tokio::test]
async fn a_body_beyond_the_cap_is_response_too_large() {
    let huge = "x".repeat(2 * 1024 * 1024);
    let server = serving(ResponseTemplate::new(200).set_body_json(completion(&huge, "stop"))).await;
    let provider = provider_with(&server, |c| {
        c.max_response_bytes = 256 * 1024;
        c.retry.max_retries = 0;
    });
    let outcome = run_default(&provider).await;
    let message = expect_failure(&outcome, FailureKind::ResponseTooLarge);
    assert!(message.contains("262144 bytes"), "{message}");
    assert_eq!(outcome.attempt_log[0].outcome, "response-too-large");
}

#[tokio::test]
async fn the_key_never_follows_a_redirect_to_another_host() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(good_completion()))
        .mount(&elsewhere)
        .await;
    let configured = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CHAT_PATH))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "location",
            format!("{}/v1/chat/completions", elsewhere.uri()),
        ))
        .mount(&configured)
        .await;
    let outcome = run_default(&provider_for(&configured)).await;
    let message = expect_failure(&outcome, FailureKind::Http);
    assert!(
        message.contains("redirected") && message.contains("base_url"),
        "{message}"
    );
    let leaked: Vec<_> = requests(&elsewhere)
        .await
        .into_iter()
        .filter(|r| r.headers.get("authorization").is_some())
        .collect();
    assert!(leaked.is_empty(), "the second host saw the key");
    assert!(requests(&elsewhere).await.is_empty(), "not followed at all");
}

#[tokio::test]
async fn a_redirect_on_the_same_host_is_followed_with_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CHAT_PATH))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/v2/chat/completions", server.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(good_completion()))
        .mount(&server)
        .await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    let followed = requests(&server)
        .await
        .into_iter()
        .find(|r| r.url.path() == "/v2/chat/completions")
        .unwrap();
    assert_eq!(
        followed.headers.get("authorization").unwrap(),
        &format!("Bearer {KEY}")
    );
}

#[tokio::test]
async fn every_timed_out_attempt_is_counted_with_its_time() {
    let server = serving(ok().set_delay(Duration::from_secs(3))).await;
    let provider = provider_with(&server, |c| {
        c.request_timeout = Duration::from_millis(250);
        c.retry.max_retries = 2;
    });
    let outcome = run_default(&provider).await;
    expect_failure(&outcome, FailureKind::Timeout);
    assert_eq!(outcome.attempts, 3);
    assert_eq!(outcome.usage.requests, 3, "requests: 0 no more");
    assert_eq!(outcome.attempt_log.len(), 3);
    for attempt in &outcome.attempt_log {
        assert_eq!(attempt.outcome, "timeout");
        assert!(attempt.elapsed >= Duration::from_millis(240), "{attempt:?}");
    }
}

#[tokio::test]
async fn an_attempt_cut_off_by_the_deadline_is_counted_as_cancelled() {
    let server = serving(ok().set_delay(Duration::from_secs(5))).await;
    let provider = provider_for(&server);
    let mut request = request();
    request.deadline = Duration::from_millis(400);
    let outcome = run(&provider, request).await;
    expect_failure(&outcome, FailureKind::Deadline);
    assert_eq!(outcome.attempts, 1);
    assert_eq!(outcome.usage.requests, 1);
    assert_eq!(outcome.attempt_log[0].outcome, "cancelled");
    assert!(outcome.attempt_log[0].elapsed >= Duration::from_millis(350));
}

#[tokio::test]
async fn a_retry_that_would_pass_the_deadline_is_not_started() {
    let server = serving(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "3")
            .set_body_json(json!({"error": {"message": "busy"}})),
    )
    .await;
    let provider = provider_for(&server);
    let mut request = request();
    request.deadline = Duration::from_secs(1);
    let outcome = run(&provider, request).await;
    let message = expect_failure(&outcome, FailureKind::Http);
    assert!(message.contains("deadline"), "{message}");
    assert_eq!(requests(&server).await.len(), 1);
}

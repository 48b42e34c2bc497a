//! Shared helpers: a provider pointed at a mock server with short backoffs, chat
//! completion bodies, a review request, and failure assertions that also prove no
//! verdict leaked out of a failed review.

use director_llm::{
    ChatMessage, FailureKind, OpenAiProvider, ProviderConfig, RateLimits, RetryPolicy,
    ReviewOutcome, ReviewRequest, StructuredOutput, ToolExecutor, ToolFailure, ToolSpec, review,
};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

pub const KEY: &str = "sk-test-SECRET-0123456789";
pub const CHAT_PATH: &str = "/v1/chat/completions";

/// A valid verdict document.
pub fn verdict_json() -> Value {
    json!({
        "verdict": "warn",
        "summary": "Reviewed the Terraform change; one warning.",
        "findings": [{
            "severity": "warning",
            "category": "reliability",
            "title": "Single-AZ database",
            "resources": ["aws_db_instance.main"],
            "path": "main.tf",
            "start_line": 3,
            "end_line": 3,
            "evidence": "multi_az = false",
            "recommendation": "Set multi_az = true."
        }]
    })
}

/// A chat completion with one choice.
pub fn completion(content: &str, finish_reason: &str) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": finish_reason
        }],
        "usage": {
            "prompt_tokens": 120,
            "completion_tokens": 30,
            "total_tokens": 150,
            "prompt_tokens_details": {"cached_tokens": 100}
        }
    })
}

/// A completion carrying a valid verdict.
pub fn good_completion() -> Value {
    completion(&verdict_json().to_string(), "stop")
}

pub fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(good_completion())
}

pub fn json_response(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// A mock provider answering every chat request with `responder` (a fixed
/// `ResponseTemplate` or a scripted `Respond`).
pub async fn serving(responder: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CHAT_PATH))
        .respond_with(responder)
        .with_priority(5)
        .mount(&server)
        .await;
    server
}

/// A mock provider answering the first requests with `failures`, one each in
/// order, then every later one with a valid verdict.
pub async fn failing_then_ok(failures: impl IntoIterator<Item = ResponseTemplate>) -> MockServer {
    let server = serving(ok()).await;
    for response in failures {
        Mock::given(method("POST"))
            .and(path(CHAT_PATH))
            .respond_with(response)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    server
}

pub fn config(base_url: &str) -> ProviderConfig {
    ProviderConfig {
        api_key: Some(KEY.to_string()),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(5),
            jitter: true,
        },
        limits: RateLimits {
            circuit_breaker_threshold: 0,
            ..RateLimits::default()
        },
        ..ProviderConfig::new(base_url, "test-model")
    }
}

pub fn provider_for(server: &MockServer) -> OpenAiProvider {
    provider_at(&format!("{}/v1", server.uri()))
}

/// A provider for any base URL (raw TCP servers, closed ports).
pub fn provider_at(base_url: &str) -> OpenAiProvider {
    OpenAiProvider::new(config(base_url)).unwrap()
}

pub fn provider_with(
    server: &MockServer,
    tweak: impl FnOnce(&mut ProviderConfig),
) -> OpenAiProvider {
    let mut config = config(&format!("{}/v1", server.uri()));
    tweak(&mut config);
    OpenAiProvider::new(config).unwrap()
}

pub fn text_mode(config: &mut ProviderConfig) {
    config.structured_output = Some(StructuredOutput::Text);
}

pub fn request() -> ReviewRequest {
    ReviewRequest {
        deadline: Duration::from_secs(20),
        ..ReviewRequest::new(
            "infrastructure",
            "test-model",
            vec![
                ChatMessage::System("You review infrastructure changes.".into()),
                ChatMessage::System("You are DirInfra_Agent.".into()),
                ChatMessage::User("Review the change and answer with your verdict.".into()),
            ],
        )
    }
}

pub async fn run(provider: &OpenAiProvider, request: ReviewRequest) -> ReviewOutcome {
    review(provider, request, None, &CancellationToken::new()).await
}

pub async fn run_default(provider: &OpenAiProvider) -> ReviewOutcome {
    run(provider, request()).await
}

/// Assert the review failed with `kind` (and so produced no verdict); return the message.
pub fn expect_failure(outcome: &ReviewOutcome, kind: FailureKind) -> String {
    match &outcome.result {
        Ok(verdict) => panic!("expected a {kind} failure, got a verdict: {verdict:?}"),
        Err(failure) => {
            assert_eq!(failure.kind, kind, "wrong failure: {failure}");
            assert!(
                !failure.message.contains(KEY),
                "the API key leaked: {failure}"
            );
            failure.message.clone()
        }
    }
}

/// Assert the review produced the expected verdict.
pub fn expect_verdict(outcome: &ReviewOutcome) {
    match &outcome.result {
        Ok(verdict) => assert_eq!(
            serde_json::to_value(verdict).unwrap(),
            verdict_json(),
            "verdict differs"
        ),
        Err(failure) => panic!("expected a verdict, got {failure}"),
    }
}

pub async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

pub async fn bodies(server: &MockServer) -> Vec<Value> {
    requests(server)
        .await
        .iter()
        .map(|r| r.body_json::<Value>().unwrap())
        .collect()
}

/// A tool executor with one `read_file` tool that records what it was asked; with
/// `panics` set, the tool panics instead of answering.
#[derive(Default)]
pub struct FakeTools {
    pub calls: std::sync::Mutex<Vec<(String, String)>>,
    pub panics: bool,
}

impl ToolExecutor for FakeTools {
    fn specs(&self) -> Vec<ToolSpec> {
        vec![ToolSpec {
            name: "read_file".into(),
            description: "Read a file of the repository.".into(),
            parameters: json!({
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
                "additionalProperties": false
            }),
        }]
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments_json: &'a str,
    ) -> BoxFuture<'a, Result<String, ToolFailure>> {
        Box::pin(async move {
            self.calls
                .lock()
                .unwrap()
                .push((name.to_string(), arguments_json.to_string()));
            // Yield once, so the panic happens inside a future that was already polled.
            tokio::task::yield_now().await;
            if self.panics {
                panic!("index out of bounds in the fake tool");
            }
            Ok("resource \"aws_db_instance\" \"main\" {\n  multi_az = false\n}".to_string())
        })
    }
}

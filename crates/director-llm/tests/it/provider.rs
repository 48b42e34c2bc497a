//! What the provider puts on the wire (json_schema strict, temperature 0, auth
//! headers, Azure routing, extra headers), the tool-call round trip and the global
//! concurrency cap, all observed from the mock server's side.

use crate::support::*;
use director_llm::{AzureConfig, Limiter, OpenAiProvider, RateLimits, review};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[tokio::test]
async fn request_carries_strict_json_schema_temperature_zero_and_the_key() {
    let server = serving(ok()).await;
    let outcome = run_default(&provider_for(&server)).await;
    expect_verdict(&outcome);
    let recorded = requests(&server).await;
    assert_eq!(recorded.len(), 1);
    let auth = recorded[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(auth, format!("Bearer {KEY}"));
    let body: serde_json::Value = recorded[0].body_json().unwrap();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["max_tokens"], 4096);
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        body["response_format"]["json_schema"]["name"],
        "director_verdict"
    );
    assert_eq!(
        body["response_format"]["json_schema"]["schema"],
        *director_core::verdict::verdict_schema()
    );
    let roles: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["system", "user"],
        "the two system messages are joined"
    );
    assert_eq!(
        body["messages"][0]["content"],
        "You review infrastructure changes.\n\nYou are DirInfra_Agent."
    );
    assert!(body.get("tools").is_none(), "no tools without an executor");
    assert_eq!(outcome.model.as_deref(), Some("test-model"));
}

#[tokio::test]
async fn keyless_servers_get_no_authorization_header() {
    let server = serving(ok()).await;
    let provider = provider_with(&server, |c| c.api_key = None);
    expect_verdict(&run_default(&provider).await);
    let recorded = requests(&server).await;
    assert!(recorded[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn extra_headers_are_sent_on_every_attempt() {
    let server = failing_then_ok([ResponseTemplate::new(500)]).await;
    let provider = provider_with(&server, |c| {
        c.extra_headers = vec![("x-gateway-tenant".into(), "team-a".into())];
    });
    expect_verdict(&run_default(&provider).await);
    let recorded = requests(&server).await;
    assert_eq!(recorded.len(), 2, "the 500 was retried");
    for request in recorded {
        assert_eq!(request.headers.get("x-gateway-tenant").unwrap(), "team-a");
    }
}

#[tokio::test]
async fn azure_routes_by_deployment_with_api_key_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/openai/deployments/reviewer/chat/completions"))
        .and(query_param("api-version", "2024-10-21"))
        .and(header("api-key", KEY))
        .respond_with(ok())
        .mount(&server)
        .await;
    let provider = OpenAiProvider::new(director_llm::ProviderConfig {
        azure: Some(AzureConfig {
            api_version: "2024-10-21".into(),
            deployment: "reviewer".into(),
        }),
        ..config(&server.uri())
    })
    .unwrap();
    expect_verdict(&run_default(&provider).await);
    let body: serde_json::Value = requests(&server).await[0].body_json().unwrap();
    assert_eq!(
        body["max_completion_tokens"], 4096,
        "Azure takes max_completion_tokens"
    );
    assert!(
        requests(&server).await[0]
            .headers
            .get("authorization")
            .is_none()
    );
}

/// Answers with a tool call first, then with the verdict once the tool result is in.
struct ToolConversation;

impl Respond for ToolConversation {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: serde_json::Value = request.body_json().unwrap();
        let has_tool_result = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["role"] == "tool");
        if has_tool_result {
            return ok();
        }
        json_response(json!({
            "id": "x", "object": "chat.completion", "created": 1, "model": "test-model",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [{"id": "call_7", "type": "function",
                    "function": {"name": "read_file", "arguments": "{\"path\":\"main.tf\"}"}}]
            }}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60}
        }))
    }
}

#[tokio::test]
async fn tool_call_round_trip() {
    let server = serving(ResponseTemplate::new(500)).await;
    Mock::given(method("POST"))
        .and(path(CHAT_PATH))
        .respond_with(ToolConversation)
        .with_priority(1)
        .mount(&server)
        .await;
    let tools = FakeTools::default();
    let outcome = review(
        &provider_for(&server),
        request(),
        Some(&tools),
        &CancellationToken::new(),
    )
    .await;
    expect_verdict(&outcome);
    assert_eq!(outcome.tool_calls, 1);
    assert_eq!(
        *tools.calls.lock().unwrap(),
        [(
            "read_file".to_string(),
            "{\"path\":\"main.tf\"}".to_string()
        )]
    );
    assert_eq!(outcome.usage.prompt_tokens, 50 + 120);
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["tools"][0]["function"]["name"], "read_file");
    let messages = bodies[1]["messages"].as_array().unwrap();
    let assistant = &messages[messages.len() - 2];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["tool_calls"][0]["id"], "call_7");
    let tool = messages.last().unwrap();
    assert_eq!(tool["role"], "tool");
    assert_eq!(tool["tool_call_id"], "call_7");
    assert!(
        tool["content"]
            .as_str()
            .unwrap()
            .contains("multi_az = false")
    );
}

/// A tool that panics fails the Director as `internal`, naming the tool and the
/// panic, and no verdict comes out (issue 10: never a silent pass).
#[tokio::test]
async fn a_panicking_tool_fails_the_director_as_internal() {
    let server = serving(ResponseTemplate::new(500)).await;
    Mock::given(method("POST"))
        .and(path(CHAT_PATH))
        .respond_with(ToolConversation)
        .with_priority(1)
        .mount(&server)
        .await;
    let tools = FakeTools {
        panics: true,
        ..FakeTools::default()
    };
    let outcome = review(
        &provider_for(&server),
        request(),
        Some(&tools),
        &CancellationToken::new(),
    )
    .await;
    expect_failure(&outcome, director_llm::FailureKind::Internal);
    let failure = outcome.result.unwrap_err();
    assert_eq!(
        failure.to_string(),
        "internal: tool read_file panicked: index out of bounds in the fake tool"
    );
    assert_eq!(outcome.tool_calls, 1);
    assert_eq!(bodies(&server).await.len(), 1, "no request after the panic");
}

/// Always asks for another tool call.
struct EndlessTools;

impl Respond for EndlessTools {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        json_response(json!({
            "choices": [{"finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": null,
                "tool_calls": [{"id": "c", "type": "function",
                    "function": {"name": "read_file", "arguments": "{\"path\":\"x\"}"}}]
            }}]
        }))
    }
}

#[tokio::test]
async fn tool_rounds_are_bounded_then_one_request_without_tools() {
    let server = serving(EndlessTools).await;
    let tools = FakeTools::default();
    let outcome = review(
        &provider_for(&server),
        director_llm::ReviewRequest {
            max_tool_rounds: 2,
            ..request()
        },
        Some(&tools),
        &CancellationToken::new(),
    )
    .await;
    expect_failure(&outcome, director_llm::FailureKind::ToolLoop);
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 3, "two tool rounds, then one final request");
    assert!(bodies[1].get("tools").is_some());
    assert!(
        bodies[2].get("tools").is_none(),
        "the final request offers no tools"
    );
    assert_eq!(outcome.tool_calls, 2);
}

/// Records when each request arrived; answers after a fixed delay.
struct Recorder {
    arrivals: Arc<Mutex<Vec<Instant>>>,
    delay: Duration,
}

impl Respond for Recorder {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        ok().set_delay(self.delay)
    }
}

/// A mock provider that answers every request with a verdict after `delay` and
/// records when each request arrived.
async fn recording_server(delay: Duration) -> (MockServer, Arc<Mutex<Vec<Instant>>>) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let server = serving(Recorder {
        arrivals: Arc::clone(&arrivals),
        delay,
    })
    .await;
    (server, arrivals)
}

/// Largest number of requests whose [arrival, arrival + delay) windows overlap.
fn peak_overlap(arrivals: &[Instant], delay: Duration) -> usize {
    arrivals
        .iter()
        .map(|&start| {
            arrivals
                .iter()
                .filter(|&&other| other <= start && start < other + delay)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn global_concurrency_cap_is_never_exceeded() {
    let delay = Duration::from_millis(150);
    let (server, arrivals) = recording_server(delay).await;
    // Two providers (say two models) sharing one limiter: the cap is global.
    let limiter = Arc::new(Limiter::new(RateLimits {
        max_concurrency: 2,
        circuit_breaker_threshold: 0,
        ..RateLimits::default()
    }));
    let base_url = format!("{}/v1", server.uri());
    let a = Arc::new(OpenAiProvider::with_limiter(config(&base_url), limiter.clone()).unwrap());
    let b = Arc::new(OpenAiProvider::with_limiter(config(&base_url), limiter).unwrap());
    let mut tasks = Vec::new();
    for i in 0..6 {
        let provider = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move { run_default(&provider).await }));
    }
    for task in tasks {
        expect_verdict(&task.await.unwrap());
    }
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 6);
    assert_eq!(
        peak_overlap(&arrivals, delay),
        2,
        "at most 2 in flight, and the cap is used"
    );
}

#[tokio::test]
async fn directors_run_concurrently_without_a_tight_cap() {
    let delay = Duration::from_millis(300);
    let (server, arrivals) = recording_server(delay).await;
    let provider = Arc::new(provider_for(&server));
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { run_default(&provider).await })
        })
        .collect();
    for task in tasks {
        expect_verdict(&task.await.unwrap());
    }
    assert_eq!(peak_overlap(&arrivals.lock().unwrap(), delay), 5);
}

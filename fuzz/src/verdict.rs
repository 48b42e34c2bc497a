//! Target `verdict`: the reply parser and the repair round of the review loop.
//!
//! Input: a selector byte (the provider's structured-output capability), then the
//! first reply and the second reply separated by `0xFF`. The real
//! [`director_llm::review`] loop talks to a scripted [`ChatModel`] that gives those two
//! replies, so the extraction of JSON from prose or code fences, the schema
//! validation and the one repair round all run.
//!
//! Invariants: the loop ends in a verdict exactly when one of the replies parses on
//! its own ([`parse_verdict`]), the first that does; a failure after the repair round
//! is `invalid-json` or `schema-invalid`; at most two requests are made; a parsed
//! verdict serialises to JSON that parses back to the same verdict.

use director_core::Verdict;
use director_core::verdict::parse_verdict;
use director_llm::model::{
    ChatModel, ChatRequest, ChatResponse, FinishReason, ProviderInfo, StructuredOutput,
};
use director_llm::{FailureKind, LlmError, ReviewRequest, review};
use futures::future::BoxFuture;
use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};
use tokio_util::sync::CancellationToken;

/// A model that answers with the given replies in order (then with empty text).
struct Scripted {
    replies: Mutex<VecDeque<String>>,
    capability: StructuredOutput,
}

impl ChatModel for Scripted {
    fn complete<'a>(
        &'a self,
        _request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, LlmError>> {
        let reply = self
            .replies
            .lock()
            .map(|mut r| r.pop_front().unwrap_or_default())
            .unwrap_or_default();
        Box::pin(async move {
            Ok(ChatResponse {
                content: Some(reply),
                refusal: None,
                tool_calls: Vec::new(),
                finish_reason: Some(FinishReason::Stop),
                usage: None,
                model: Some("scripted".into()),
                choices: 1,
                attempts: 1,
            })
        })
    }

    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            base_url: "http://127.0.0.1:9/v1".into(),
            default_model: "scripted".into(),
            structured_output: self.capability,
        }
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        #[expect(clippy::expect_used, reason = "a harness without a runtime cannot run")]
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread tokio runtime")
    })
}

/// A verdict must survive its own JSON serialisation.
fn assert_round_trip(verdict: &Verdict) {
    let json = serde_json::to_string(verdict).unwrap_or_default();
    match parse_verdict(&json) {
        Ok(again) => assert_eq!(&again, verdict, "verdict changed in a JSON round trip"),
        Err(e) => panic!("a parsed verdict does not parse back: {e}\n{json}"),
    }
}

/// Drive the review loop with two scripted replies.
pub fn run(data: &[u8]) {
    let (sel, rest) = crate::selector(data);
    let capability = match sel % 3 {
        0 => StructuredOutput::JsonSchema,
        1 => StructuredOutput::JsonObject,
        _ => StructuredOutput::Text,
    };
    let parts = crate::parts(rest, 2);
    let first = crate::text(parts[0]);
    let second = parts.get(1).map(|p| crate::text(p)).unwrap_or_default();

    let direct = [parse_verdict(&first), parse_verdict(&second)];
    for verdict in direct.iter().flatten() {
        assert_round_trip(verdict);
    }
    let model = Scripted {
        replies: Mutex::new(VecDeque::from([first, second])),
        capability,
    };
    let request = ReviewRequest::new(
        "fuzz",
        "scripted",
        vec![director_llm::model::ChatMessage::User("review".into())],
    );
    let outcome = runtime().block_on(review(&model, request, None, &CancellationToken::new()));
    assert!(
        outcome.attempts <= 2,
        "{} requests for two replies",
        outcome.attempts
    );
    let expected = direct.iter().find_map(|r| r.as_ref().ok());
    match (&outcome.result, expected) {
        (Ok(got), Some(want)) => assert_eq!(got, want, "the loop kept another verdict"),
        (Ok(got), None) => panic!("a verdict from replies that do not parse: {got:?}"),
        (Err(failure), Some(_)) => panic!("a parsable reply failed the review: {failure}"),
        (Err(failure), None) => assert!(
            matches!(
                failure.kind,
                FailureKind::InvalidJson | FailureKind::SchemaInvalid
            ),
            "unexpected failure kind: {failure}"
        ),
    }
}

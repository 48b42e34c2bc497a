//! Discovery against mocks of llama-server, vLLM and Ollama answering with the
//! shapes those servers document: the window, the slots and the structured-output
//! mode come out right, the configuration wins, results are cached in the file and
//! reused, and a provider that knows its server has one slot never sends two
//! requests at once.

use crate::support::*;
use director_llm::{ChatModel, OpenAiProvider, ServerKind, StructuredOutput};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

async fn mount(server: &MockServer, verb: &str, at: &str, body: serde_json::Value) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// llama-server's `/props` (abridged) with `n_ctx` per slot and `total_slots`.
pub async fn llama_props(server: &MockServer, n_ctx: u32, slots: u32) {
    mount(
        server,
        "GET",
        "/props",
        json!({
            "default_generation_settings": {"n_ctx": n_ctx, "params": {"n_predict": -1}},
            "total_slots": slots,
            "model_path": "/models/gemma-3-270m-q4_k_m.gguf",
            "chat_template": "{{ bos_token }}",
            "build_info": "b6500-test"
        }),
    )
    .await;
}

#[tokio::test]
async fn llama_server_reports_its_slot_window_slots_and_tokenizer() {
    let server = MockServer::start().await;
    llama_props(&server, 4096, 2).await;
    mount(
        &server,
        "POST",
        "/tokenize",
        json!({"tokens": vec![1; 300]}),
    )
    .await;
    let provider = provider_for(&server);
    let profile = provider.profile("").await;
    assert_eq!(profile.facts.kind, ServerKind::LlamaCpp);
    assert_eq!(profile.context_window, Some(4096));
    assert!(
        profile.window_source.contains("/props"),
        "{}",
        profile.window_source
    );
    assert_eq!(profile.max_in_flight, Some(2));
    assert_eq!(profile.facts.sample_tokens, Some(300));
    assert_eq!(profile.structured_output, StructuredOutput::JsonSchema);
    assert!(
        profile.schema_max_length,
        "llama.cpp grammars honour maxLength"
    );
    // Asked once: a second profile() is served from memory.
    provider.profile("").await;
    let props = requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path() == "/props")
        .count();
    assert_eq!(props, 1);
    // The key went along (same origin), as llama-server --api-key needs.
    let probe = &requests(&server).await[0];
    assert_eq!(
        probe.headers.get("authorization").unwrap(),
        &format!("Bearer {KEY}")
    );
}

#[tokio::test]
async fn vllm_reports_max_model_len() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/v1/models",
        json!({"object": "list", "data": [{"id": "test-model", "object": "model", "owned_by": "vllm", "max_model_len": 16384}]}),
    )
    .await;
    let profile = provider_for(&server).profile("test-model").await;
    assert_eq!(profile.facts.kind, ServerKind::Vllm);
    assert_eq!(profile.context_window, Some(16384));
    assert_eq!(profile.max_in_flight, None);
}

#[tokio::test]
async fn ollama_reports_num_ctx_or_its_default() {
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/v1/models",
        json!({"object": "list", "data": [{"id": "gemma3:270m", "object": "model", "owned_by": "library"}]}),
    )
    .await;
    mount(
        &server,
        "POST",
        "/api/show",
        json!({
            "modelfile": "FROM gemma3:270m",
            "parameters": "stop \"<end_of_turn>\"\nnum_ctx 8192",
            "model_info": {"general.architecture": "gemma3", "gemma3.context_length": 32768}
        }),
    )
    .await;
    let profile = provider_for(&server).profile("gemma3:270m").await;
    assert_eq!(profile.facts.kind, ServerKind::Ollama);
    assert_eq!(profile.context_window, Some(8192));
    assert_eq!(profile.facts.trained_window, Some(32768));
    assert!(profile.window_hint().contains("num_ctx"));

    let bare = MockServer::start().await;
    mount(
        &bare,
        "POST",
        "/api/show",
        json!({"model_info": {"gemma3.context_length": 32768}}),
    )
    .await;
    let profile = provider_for(&bare).profile("gemma3:270m").await;
    assert_eq!(
        profile.context_window,
        Some(4096),
        "Ollama's default num_ctx"
    );
}

#[tokio::test]
async fn an_unknown_server_stays_unknown_and_the_configuration_wins() {
    let server = MockServer::start().await;
    let profile = provider_for(&server).profile("").await;
    assert_eq!(profile.facts.kind, ServerKind::Unknown);
    assert_eq!(profile.context_window, None);
    assert!(!profile.facts.notes.is_empty(), "the notes say what failed");
    assert!(!profile.schema_max_length);

    llama_props(&server, 4096, 4).await;
    let provider = provider_with(&server, |c| {
        c.discovery.context_window = Some(2048);
        c.discovery.max_in_flight = Some(1);
        c.structured_output = Some(StructuredOutput::JsonObject);
    });
    let profile = provider.profile("").await;
    assert_eq!(profile.context_window, Some(2048));
    assert!(profile.window_source.starts_with("configured"));
    assert_eq!(profile.max_in_flight, Some(1));
    assert_eq!(profile.structured_output, StructuredOutput::JsonObject);
}

#[tokio::test]
async fn discovered_facts_are_cached_in_the_file_and_reused() {
    let cache = tempfile::tempdir().unwrap();
    let server = MockServer::start().await;
    llama_props(&server, 8192, 1).await;
    let with_cache = |c: &mut director_llm::ProviderConfig| {
        c.discovery.cache_dir = Some(cache.path().to_path_buf());
    };
    let first = provider_with(&server, with_cache).profile("").await;
    assert!(!first.from_cache);
    let second = provider_with(&server, with_cache).profile("").await;
    assert!(second.from_cache);
    assert_eq!(second.context_window, Some(8192));
    let probes = requests(&server)
        .await
        .iter()
        .filter(|r| r.url.path() == "/props")
        .count();
    assert_eq!(probes, 1, "the second provider read the cache file");
    assert!(cache.path().join("providers.json").is_file());
}

/// A chat endpoint that records when each request arrived and answered.
#[derive(Clone, Default)]
struct Timed {
    spans: Arc<Mutex<Vec<(Instant, Instant)>>>,
}

impl Respond for Timed {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let now = Instant::now();
        let delay = Duration::from_millis(300);
        self.spans.lock().unwrap().push((now, now + delay));
        ok().set_delay(delay)
    }
}

#[tokio::test]
async fn a_single_slot_server_never_gets_two_requests_at_once() {
    let server = MockServer::start().await;
    llama_props(&server, 32768, 1).await;
    let timed = Timed::default();
    Mock::given(method("POST"))
        .and(path(CHAT_PATH))
        .respond_with(timed.clone())
        .mount(&server)
        .await;
    let provider: Arc<OpenAiProvider> = Arc::new(provider_for(&server));
    assert_eq!(provider.profile("").await.max_in_flight, Some(1));
    let reviews = (0..3).map(|_| {
        let provider = Arc::clone(&provider);
        tokio::spawn(async move { run_default(&provider).await })
    });
    for review in futures::future::join_all(reviews).await {
        expect_verdict(&review.unwrap());
    }
    let mut spans = timed.spans.lock().unwrap().clone();
    spans.sort();
    assert_eq!(spans.len(), 3);
    for pair in spans.windows(2) {
        assert!(
            pair[1].0 >= pair[0].1,
            "two requests in flight at once: {spans:?}"
        );
    }
}

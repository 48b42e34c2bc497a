//! One verification end to end: parallel Directors, the request shape, the gate.

use crate::support::*;
use director::core::record::DirectorStatus;
use director::{Decision, Overrides};
use serde_json::Value;
use std::time::Duration;
use wiremock::ResponseTemplate;

const SOURCE: &str =
    "pub fn charge(amount: u64) -> u64 {\n    let fee = amount / 100;\n    amount + fee\n}\n";

/// A source change that five of the seven Directors review (not infrastructure, which
/// skips plain code, and not requirements, which needs criteria).
fn five_director_repo() -> Repo {
    let repo = Repo::new();
    repo.write("src/billing.rs", SOURCE)
        .write(
            ".director/config.toml",
            "[provider]\nmax_retries = 1\ninitial_backoff_ms = 10\n",
        )
        .task("t1", &["src"], "");
    repo
}

fn ran(record: &director::RunRecord) -> Vec<String> {
    record
        .directors
        .iter()
        .filter(|d| d.status != DirectorStatus::Skipped)
        .map(|d| d.name.clone())
        .collect()
}

#[tokio::test]
async fn directors_review_concurrently_and_each_gets_its_own_prompt() {
    let repo = Repo::new();
    repo.write("src/billing.rs", SOURCE)
        .write(
            "infra/main.tf",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n}\n",
        )
        .task("t1", &["src", "infra"], "criteria = [\"fees are charged\"]");
    let provider = Provider::start(Duration::from_millis(400)).await;
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Pass, "{}", record.reason);
    let ran = ran(&record);
    assert_eq!(ran.len(), 7, "every Director applies: {ran:?}");
    assert_eq!(provider.requests(), 7);
    assert_eq!(
        provider.peak_concurrency(),
        7,
        "all requests in flight at once"
    );

    let bodies = provider.bodies();
    // Consecutive system messages go out joined (chat templates such as Gemma's accept
    // one); the shared frame and context still come first, byte for byte.
    let firsts: Vec<&str> = bodies
        .iter()
        .map(|b| b["messages"][0]["content"].as_str().unwrap())
        .collect();
    let common = firsts.iter().skip(1).fold(firsts[0].len(), |n, other| {
        firsts[0]
            .bytes()
            .zip(other.bytes())
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    let shared = &firsts[0][..common];
    assert!(
        shared.contains("fee = amount / 100"),
        "the shared prefix carries the code"
    );
    for body in &bodies {
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2, "system (frame + Director), user");
        assert_eq!(messages[0]["role"], "system");
        assert_eq!(messages[1]["role"], "user");
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(body["response_format"]["json_schema"]["strict"], true);
        // The bounded form of the verdict schema: the canonical one plus maxItems
        // (no maxLength for a server not known to honour it).
        let sent = &body["response_format"]["json_schema"]["schema"];
        assert!(sent["properties"]["findings"]["maxItems"].as_u64().unwrap() >= 2);
        assert!(!sent.to_string().contains("maxLength"));
        let mut canonical = sent.clone();
        canonical["properties"]["findings"]
            .as_object_mut()
            .unwrap()
            .remove("maxItems");
        canonical["properties"]["findings"]["items"]["properties"]["resources"]
            .as_object_mut()
            .unwrap()
            .remove("maxItems");
        assert_eq!(canonical, *director::core::verdict::verdict_schema());
        assert!(
            body["max_tokens"].as_u64().unwrap() <= 4096,
            "sized to the bound"
        );
        assert_eq!(body["temperature"], 0.0);
    }
    let infra = bodies
        .iter()
        .find(|b| director_of(b) == "infrastructure")
        .unwrap();
    let own = &infra["messages"][0]["content"].as_str().unwrap()[common..];
    assert!(own.contains("DirInfra_Agent"));
    assert!(own.to_lowercase().contains("single points of failure"));
    let security = bodies
        .iter()
        .find(|b| director_of(b) == "security")
        .unwrap();
    let own = &security["messages"][0]["content"].as_str().unwrap()[common..];
    assert!(own.contains("DirSec_Agent"));
    assert!(record.context.shared_prefix_share > 0.0);
}

#[tokio::test]
async fn max_concurrency_one_serialises() {
    let repo = five_director_repo();
    let provider = Provider::start(Duration::from_millis(150)).await;
    let v = verifier_with(
        &repo,
        Some(&provider),
        Overrides {
            max_concurrency: Some(1),
            ..Overrides::default()
        },
    );
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert_eq!(ran(&record).len(), 5, "{:?}", ran(&record));
    assert_eq!(provider.peak_concurrency(), 1);
}

#[tokio::test]
async fn one_blocking_finding_blocks() {
    let repo = five_director_repo();
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "code-quality",
        verdict_reply(&finding_verdict(
            "blocking",
            "correctness",
            "src/billing.rs",
            2,
            "let fee = amount / 100;",
        )),
    );
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Block, "{}", record.reason);
    assert_eq!(director::exit::code_for(&record), 1);
    let f = &record.findings[0];
    assert!(f.blocks && f.verified);
    assert_eq!(f.directors, ["code-quality"]);
}

#[tokio::test]
async fn a_failing_provider_makes_the_run_incomplete() {
    let repo = five_director_repo();
    let provider = Provider::start(Duration::ZERO).await;
    for _ in 0..3 {
        provider.reply(
            "security",
            ResponseTemplate::new(500).set_body_string("upstream exploded"),
        );
    }
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Incomplete, "{}", record.reason);
    assert_eq!(director::exit::code_for(&record), 3);
    let sec = record.director("security").unwrap();
    assert_eq!(sec.status, DirectorStatus::Failed);
    assert!(
        sec.reason.as_deref().unwrap().contains("500"),
        "{:?}",
        sec.reason
    );
    assert!(record.reason.contains("security"));
}

#[tokio::test]
async fn schema_invalid_and_truncated_replies_fail_the_director() {
    let repo = five_director_repo();
    let provider = Provider::start(Duration::ZERO).await;
    let invalid = serde_json::json!({"verdict": "maybe", "summary": "?", "findings": []});
    for _ in 0..2 {
        provider.reply("security", verdict_reply(&invalid));
    }
    for _ in 0..2 {
        provider.reply(
            "testing",
            ResponseTemplate::new(200)
                .set_body_json(completion(&pass_verdict().to_string(), "length")),
        );
    }
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Incomplete);
    for name in ["security", "testing"] {
        let d = record.director(name).unwrap();
        assert_eq!(d.status, DirectorStatus::Failed, "{name}: {:?}", d.reason);
    }
    let excerpt = record.director("security").unwrap().reply_excerpt.clone();
    assert!(
        excerpt.as_deref().is_some_and(|r| r.contains("maybe")),
        "the failed reply is kept for diagnosis: {excerpt:?}"
    );
    // A truncated answer is never a pass, even when the partial text parses.
    assert!(record.director("testing").unwrap().verdict.is_none());
}

#[tokio::test]
async fn offline_runs_without_provider_and_says_why() {
    let repo = five_director_repo();
    let v = verifier(&repo, None);
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Pass);
    assert!(
        record
            .directors
            .iter()
            .all(|d| d.status == DirectorStatus::Skipped)
    );
    let note = record.llm.note.clone().unwrap();
    assert!(note.contains("no LLM Director ran"), "{note}");
    assert!(record.reason.contains("deterministic evidence only"));
}

#[tokio::test]
async fn record_is_written_and_readable() {
    let repo = five_director_repo();
    let provider = Provider::start(Duration::ZERO).await;
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    let stored = director::store::load_record(&repo.root(), "latest", Some("t1")).unwrap();
    assert_eq!(stored, record);
    let json: Value = serde_json::to_value(&stored).unwrap();
    for key in [
        "version",
        "task",
        "decision",
        "directors",
        "findings",
        "usage",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
}

#[tokio::test]
async fn a_block_still_says_which_directors_could_not_finish() {
    let repo = five_director_repo();
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "code-quality",
        verdict_reply(&finding_verdict(
            "blocking",
            "correctness",
            "src/billing.rs",
            2,
            "let fee = amount / 100;",
        )),
    );
    for _ in 0..3 {
        provider.reply("security", ResponseTemplate::new(500));
    }
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Block);
    assert!(
        record.reason.contains("security could not finish"),
        "{}",
        record.reason
    );
}

#[tokio::test]
async fn a_chat_model_handed_to_the_builder_runs_without_provider_settings() {
    let repo = five_director_repo();
    let provider = Provider::start(Duration::ZERO).await;
    let model: std::sync::Arc<dyn director_llm::ChatModel> = std::sync::Arc::new(
        director_llm::OpenAiProvider::new(director_llm::ProviderConfig::new(
            provider.base_url(),
            "custom-model",
        ))
        .unwrap(),
    );
    let v = director::Verifier::builder()
        .repo(repo.path())
        .provider(model)
        .build()
        .unwrap();
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert!(record.llm.configured);
    assert_eq!(record.llm.note, None);
    assert_eq!(provider.requests(), 5, "{}", record.reason);
}

#[tokio::test]
async fn servers_without_json_schema_get_the_schema_once_in_the_prompt() {
    let repo = five_director_repo();
    repo.write(
        ".director/config.toml",
        "[provider]\nstructured_output = \"text\"\n",
    );
    let provider = Provider::start(Duration::ZERO).await;
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Pass, "{}", record.reason);
    for body in provider.bodies() {
        assert!(body.get("response_format").is_none());
        let copies: usize = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                m["content"]
                    .as_str()
                    .unwrap_or("")
                    .matches("DirectorVerdict")
                    .count()
            })
            .sum();
        assert_eq!(
            copies, 1,
            "the instruction quotes the schema; nothing adds a second copy"
        );
    }
}

/// A chat model that panics on every call: a bug in an embedder's `ChatModel`.
struct PanickingModel;

impl director_llm::ChatModel for PanickingModel {
    fn complete<'a>(
        &'a self,
        _request: &'a director_llm::ChatRequest,
    ) -> futures::future::BoxFuture<'a, Result<director_llm::ChatResponse, director_llm::LlmError>>
    {
        Box::pin(async { panic!("model exploded") })
    }

    fn info(&self) -> director_llm::ProviderInfo {
        director_llm::ProviderInfo {
            base_url: "http://127.0.0.1:9/v1".into(),
            default_model: "boom".into(),
            structured_output: director_llm::StructuredOutput::JsonSchema,
        }
    }
}

#[tokio::test]
async fn a_panicking_chat_model_fails_its_directors_and_the_run_is_incomplete() {
    let repo = five_director_repo();
    let model: std::sync::Arc<dyn director_llm::ChatModel> = std::sync::Arc::new(PanickingModel);
    let v = director::Verifier::builder()
        .repo(repo.path())
        .provider(model)
        .overrides(director::Overrides {
            cache_enabled: Some(false),
            ..Default::default()
        })
        .build()
        .unwrap();
    let record = v.verify(v.load_task("t1").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Incomplete, "{}", record.reason);
    assert_eq!(
        director::exit::code_for(&record),
        director::exit::INCOMPLETE
    );
    let ran = ran(&record);
    assert_eq!(ran.len(), 5, "the five routed Directors were attempted");
    for d in record
        .directors
        .iter()
        .filter(|d| d.status != DirectorStatus::Skipped)
    {
        assert_eq!(d.status, DirectorStatus::Failed, "{}", d.name);
        let reason = d.reason.as_deref().unwrap_or("");
        assert!(
            reason.starts_with("internal: panicked: model exploded"),
            "{}: {reason}",
            d.name
        );
    }
}

//! Issue 6 fault-injection suite at the gate: every provider failure mode ends in a
//! recovered verdict or an `incomplete` decision with a reason, and no run passes
//! when a Director did not really answer.

use crate::support::*;
use director::core::record::DirectorStatus;
use director::{Decision, Overrides};
use serde_json::json;
use std::time::Duration;
use wiremock::ResponseTemplate;

const CODE: &str = "pub fn total(items: &[u64]) -> u64 {\n    items.iter().sum()\n}\n";

/// What a fault must lead to.
#[derive(Debug, PartialEq)]
enum Expect {
    /// The Director still answers (after retries or repair): the decision is not incomplete.
    Recovered,
    /// The Director fails and the decision is incomplete, with this in the reason.
    Incomplete(&'static str),
}

fn ok_body() -> serde_json::Value {
    completion(&pass_verdict().to_string(), "stop")
}

fn faults() -> Vec<(&'static str, Vec<ResponseTemplate>, Expect)> {
    let ok = || ResponseTemplate::new(200).set_body_json(ok_body());
    let mut no_usage = ok_body();
    no_usage.as_object_mut().unwrap().remove("usage");
    let fenced = format!("Here you go:\n```json\n{}\n```\nDone.", pass_verdict());
    let empty = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": [],
        "usage": {"prompt_tokens": 1, "completion_tokens": 0, "total_tokens": 1}});
    vec![
        ("429 with Retry-After", vec![ResponseTemplate::new(429).insert_header("retry-after", "1"), ok()], Expect::Recovered),
        ("429 with a non-OpenAI body", vec![ResponseTemplate::new(429).set_body_string("<html>slow down</html>"), ok()], Expect::Recovered),
        ("500 forever", (0..3).map(|_| ResponseTemplate::new(500).set_body_string("boom")).collect(), Expect::Incomplete("500")),
        ("502 then 503 then success", vec![ResponseTemplate::new(502), ResponseTemplate::new(503), ok()], Expect::Recovered),
        ("slow beyond the timeout", (0..3).map(|_| ok().set_delay(Duration::from_secs(5))).collect(), Expect::Incomplete("time")),
        ("non-JSON body", vec![ResponseTemplate::new(200).set_body_string("<html>gateway</html>")], Expect::Incomplete("security")),
        ("schema-invalid JSON twice", (0..2).map(|_| verdict_reply(&json!({"verdict": "ok"}))).collect(), Expect::Incomplete("schema")),
        ("schema-invalid then repaired", vec![verdict_reply(&json!({"verdict": "ok"})), ok()], Expect::Recovered),
        ("JSON wrapped in prose and fences", vec![ResponseTemplate::new(200).set_body_json(completion(&fenced, "stop"))], Expect::Recovered),
        ("finish_reason length twice", (0..2).map(|_| ResponseTemplate::new(200).set_body_json(completion(&pass_verdict().to_string(), "length"))).collect(), Expect::Incomplete("trunc")),
        ("empty choices", vec![ResponseTemplate::new(200).set_body_json(empty)], Expect::Incomplete("choices")),
        ("missing usage", vec![ResponseTemplate::new(200).set_body_json(no_usage)], Expect::Recovered),
        ("401", vec![ResponseTemplate::new(401).set_body_json(json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}))], Expect::Incomplete("401")),
    ]
}

#[tokio::test]
async fn every_fault_ends_in_a_verdict_or_incomplete_never_a_false_pass() {
    let mut false_passes = Vec::new();
    let mut table = Vec::new();
    for (name, replies, expect) in faults() {
        let repo = Repo::new();
        repo.write("src/sum.rs", CODE)
            .write(
                ".director/config.toml",
                "[provider]\nmax_retries = 2\ninitial_backoff_ms = 5\nrequest_timeout_secs = 1\nmax_retry_after_secs = 2\n[run]\ntimeout_secs = 6\n[cache]\nenabled = false\n",
            )
            .task("t", &["src"], "");
        let provider = Provider::start(Duration::ZERO).await;
        for r in replies {
            provider.reply("security", r);
        }
        let v = verifier_with(
            &repo,
            Some(&provider),
            Overrides {
                write_record: Some(false),
                ..Overrides::default()
            },
        );
        let record = v.verify(v.load_task("t").unwrap()).await.unwrap();
        let security = record.director("security").unwrap();
        let answered = security.status == DirectorStatus::Ran;
        if record.decision == Decision::Pass && !answered {
            false_passes.push(name);
        }
        match &expect {
            Expect::Recovered => {
                assert!(
                    answered,
                    "{name}: expected a recovered verdict, got {:?}",
                    security.reason
                );
                assert_ne!(record.decision, Decision::Incomplete, "{name}");
            }
            Expect::Incomplete(needle) => {
                assert_eq!(security.status, DirectorStatus::Failed, "{name}");
                assert_eq!(record.decision, Decision::Incomplete, "{name}");
                let reason = format!(
                    "{} | {}",
                    security.reason.as_deref().unwrap_or(""),
                    record.reason
                )
                .to_lowercase();
                assert!(
                    reason.contains(needle),
                    "{name}: reason {reason:?} lacks {needle:?}"
                );
            }
        }
        table.push(format!(
            "{name:<36} {:<10} {}",
            record.decision,
            security.reason.clone().unwrap_or_else(|| "answered".into())
        ));
    }
    println!("{}", table.join("\n"));
    assert!(
        false_passes.is_empty(),
        "runs that passed without an answer: {false_passes:?}"
    );
}

#[tokio::test]
async fn pass_with_warning_policy_is_explicit() {
    let repo = Repo::new();
    repo.write("src/sum.rs", CODE)
        .write(
            ".director/config.toml",
            "[provider]\nmax_retries = 0\n[gate]\non_incomplete = \"pass-with-warning\"\n",
        )
        .task("t", &["src"], "");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply("security", ResponseTemplate::new(500));
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("t").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Pass);
    assert!(
        record.reason.contains("could not finish") && record.reason.contains("pass-with-warning"),
        "{}",
        record.reason
    );
}

#[tokio::test]
async fn warm_cache_makes_zero_requests_and_says_so() {
    let repo = Repo::new();
    repo.write("src/sum.rs", CODE).task("t", &["src"], "");
    let provider = Provider::start(Duration::ZERO).await;
    let v = verifier(&repo, Some(&provider));
    let first = v.verify(v.load_task("t").unwrap()).await.unwrap();
    let calls = provider.requests();
    assert_eq!(calls, 5);
    let second = v.verify(v.load_task("t").unwrap()).await.unwrap();
    assert_eq!(provider.requests(), calls, "no request on unchanged input");
    assert!(
        second
            .directors
            .iter()
            .filter(|d| d.status == DirectorStatus::Ran)
            .all(|d| d.from_cache)
    );
    assert_eq!(first.decision, second.decision);
    repo.write("src/sum.rs", &CODE.replace("sum()", "sum::<u64>()"));
    v.verify(v.load_task("t").unwrap()).await.unwrap();
    assert_eq!(
        provider.requests(),
        calls * 2,
        "changed input misses the cache"
    );
    let no_cache = verifier_with(
        &repo,
        Some(&provider),
        Overrides {
            cache_enabled: Some(false),
            ..Overrides::default()
        },
    );
    no_cache
        .verify(no_cache.load_task("t").unwrap())
        .await
        .unwrap();
    assert_eq!(provider.requests(), calls * 3, "--no-cache always asks");
}

#[tokio::test]
async fn token_budget_skips_lower_priority_directors_and_marks_the_run_partial() {
    let repo = Repo::new();
    repo.write("src/sum.rs", CODE).task("t", &["src"], "");
    let provider = Provider::start(Duration::ZERO).await;
    let probe = verifier_with(
        &repo,
        Some(&provider),
        Overrides {
            cache_enabled: Some(false),
            ..Overrides::default()
        },
    );
    let full = probe.verify(probe.load_task("t").unwrap()).await.unwrap();
    let estimate = |name: &str| full.director(name).unwrap().prompt_tokens + 4096;
    let budget = estimate("security") + estimate("architecture") + 1;
    let v = verifier_with(
        &repo,
        Some(&provider),
        Overrides {
            cache_enabled: Some(false),
            budget_tokens: Some(budget),
            ..Overrides::default()
        },
    );
    let record = v.verify(v.load_task("t").unwrap()).await.unwrap();
    assert!(record.partial);
    assert!(record.reason.contains("partial"), "{}", record.reason);
    let ran: Vec<_> = record
        .directors
        .iter()
        .filter(|d| d.status == DirectorStatus::Ran)
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(ran, ["security", "architecture"], "highest priority first");
    let budget_skips = record
        .directors
        .iter()
        .filter(|d| d.reason.as_deref().is_some_and(|r| r.contains("budget")))
        .count();
    assert_eq!(budget_skips, 3);
}

#[tokio::test]
async fn cancellation_marks_the_record_cancelled() {
    let repo = Repo::new();
    repo.write("src/sum.rs", CODE).task("t", &["src"], "");
    // Replies take a minute; a run that ends well before it was cancelled in flight
    // (the margin absorbs a loaded machine's slow start).
    let provider = Provider::start(Duration::from_secs(60)).await;
    let v = verifier(&repo, Some(&provider));
    let cancel = director::CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let started = std::time::Instant::now();
    let record = v
        .verify_with(
            v.load_task("t").unwrap(),
            &Default::default(),
            &director::EventSink::none(),
            &cancel,
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "in-flight calls were cancelled"
    );
    assert!(record.cancelled);
    assert_eq!(record.decision, Decision::Incomplete);
    assert_eq!(director::exit::code_for(&record), 130);
    let stored = director::store::load_record(&repo.root(), "latest", Some("t")).unwrap();
    assert!(stored.cancelled);
}

/// Issue 10: a provider answering 429 with an absurd `Retry-After` once made every
/// Director task panic (`Duration::from_secs_f64(1e20)`) and the run pass. Each value
/// now ends in a recovered verdict or an incomplete run, never a pass without answers.
#[tokio::test]
async fn hostile_retry_after_values_end_incomplete_or_recovered_never_pass() {
    let values = [
        "1e20",
        "NaN",
        "-1",
        "18446744073709551616",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ];
    for value in values {
        let repo = Repo::new();
        repo.write("src/sum.rs", CODE)
            .write(
                ".director/config.toml",
                "[provider]\nmax_retries = 2\ninitial_backoff_ms = 5\nmax_retry_after_secs = 2\n[cache]\nenabled = false\n",
            )
            .task("t", &["src"], "");
        let provider = Provider::start(Duration::ZERO).await;
        provider.reply(
            "security",
            ResponseTemplate::new(429)
                .insert_header("retry-after", value)
                .set_body_json(json!({"error": {"message": "slow down"}})),
        );
        let v = verifier_with(
            &repo,
            Some(&provider),
            Overrides {
                write_record: Some(false),
                ..Overrides::default()
            },
        );
        let record = v.verify(v.load_task("t").unwrap()).await.unwrap();
        let security = record.director("security").unwrap();
        match security.status {
            DirectorStatus::Ran => assert_ne!(record.decision, Decision::Incomplete, "{value}"),
            DirectorStatus::Failed => {
                assert_eq!(record.decision, Decision::Incomplete, "{value}");
                let reason = security.reason.as_deref().unwrap_or("");
                assert!(
                    reason.contains("429") && reason.contains("cap"),
                    "{value}: {reason}"
                );
            }
            DirectorStatus::Skipped => {
                panic!("{value}: security was skipped: {:?}", security.reason)
            }
        }
        assert!(
            !security.attempt_log.is_empty(),
            "{value}: the attempts are in the record"
        );
    }
}

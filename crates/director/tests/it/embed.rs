//! The embedding example (`examples/embed.rs`, the `embed` example of this crate)
//! compiled into this test binary and run against wiremock: the same source that
//! `cargo run --example embed` builds, driven through its `run` function so its
//! output can be checked.

#[path = "../../../../examples/embed.rs"]
#[expect(dead_code, reason = "the example's `main` is not called from the test")]
mod example;

use crate::support::*;
use director::Decision;
use std::time::Duration;

#[test]
fn arguments_come_from_flags_then_the_environment() {
    let env = |name: &str| match name {
        "DIRECTOR_TASK" => Some("from-env".to_string()),
        "OPENAI_BASE_URL" => Some("http://127.0.0.1:9/v1".to_string()),
        _ => None,
    };
    let flags = ["--repo", "/r", "--task", "t1", "--base-url", "http://x/v1"].map(String::from);
    let args = example::Args::parse(flags.into_iter(), env).unwrap();
    assert_eq!(args.repo, std::path::PathBuf::from("/r"));
    assert_eq!(args.task, "t1");
    assert_eq!(args.base_url.as_deref(), Some("http://x/v1"));
    let args = example::Args::parse(std::iter::empty(), env).unwrap();
    assert_eq!(
        (args.repo.to_str(), args.task.as_str()),
        (Some("."), "from-env")
    );
    assert_eq!(args.base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
    assert!(example::Args::parse(std::iter::empty(), |_| None).is_err());
    assert!(example::Args::parse(["--bogus".to_string()].into_iter(), |_| None).is_err());
}

#[tokio::test]
async fn the_example_verifies_through_wiremock_and_reports_progress() {
    let repo = Repo::new();
    repo.write(
        "src/billing.rs",
        "pub fn charge(amount: u64) -> u64 {\n    let fee = amount / 100;\n    amount + fee\n}\n",
    )
    .write(".director/config.toml", "[cache]\nenabled = false\n")
    .task("t1", &["src"], "");
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
    let args = example::Args {
        repo: repo.root(),
        task: "t1".into(),
        base_url: Some(provider.base_url()),
    };
    let mut out: Vec<u8> = Vec::new();
    let record = example::run(&args, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(record.decision, Decision::Block, "{text}");
    assert!(provider.requests() >= 1, "the real HTTP path was used");
    assert!(text.contains("[t1] reviewing with: "), "{text}");
    assert!(
        text.contains("[t1] code-quality started (gpt-4.1-mini)"),
        "{text}"
    );
    assert!(text.contains("[t1] code-quality finished: block"), "{text}");
    assert!(
        text.contains("[t1] blocking: correctness problem"),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with(&format!("decision: block — {}", record.reason)),
        "{text}"
    );
    // One "started" and one "finished" line per Director that ran.
    let ran = record
        .directors
        .iter()
        .filter(|d| d.status == director::core::record::DirectorStatus::Ran)
        .count();
    assert_eq!(text.matches(" started (").count(), ran, "{text}");
    assert_eq!(text.matches(" finished: ").count(), ran, "{text}");
}

#[tokio::test]
async fn the_example_runs_offline_without_a_provider() {
    let repo = Repo::new();
    repo.write("README.md", "# docs\n")
        .task("docs", &["README.md"], "");
    let args = example::Args {
        repo: repo.root(),
        task: "docs".into(),
        base_url: None,
    };
    let mut out: Vec<u8> = Vec::new();
    let record = example::run(&args, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(record.decision, Decision::Pass, "{text}");
    assert!(
        text.trim_end()
            .ends_with(&format!("decision: pass — {}", record.reason)),
        "{text}"
    );
    if std::env::var_os("OPENAI_API_KEY").is_none() && std::env::var_os("OPENAI_BASE_URL").is_none()
    {
        assert!(text.contains("[docs] no LLM Director will run"), "{text}");
    }
    let missing = example::Args {
        task: "nope".into(),
        ..args
    };
    let err = example::run(&missing, &mut Vec::new()).await.unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

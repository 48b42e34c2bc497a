//! Issue 3: routing before any call, the evidence contract, dedupe, baseline,
//! Directors added by the repository.

use crate::support::*;
use director::Decision;
use director::core::record::DirectorStatus;
use director::core::{FindingSource, FindingStatus};
use serde_json::json;
use std::time::Duration;

const TF: &str = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n\n  tags = {\n    Environment = \"dev\"\n  }\n}\n";
const CODE: &str = "pub fn total(items: &[u64]) -> u64 {\n    let mut sum = 0;\n    for i in items {\n        sum += i;\n    }\n    sum\n}\n";

fn statuses(record: &director::RunRecord) -> Vec<(String, DirectorStatus)> {
    record
        .directors
        .iter()
        .map(|d| (d.name.clone(), d.status))
        .collect()
}

#[tokio::test]
async fn docs_only_change_makes_zero_requests_and_passes() {
    let repo = Repo::new();
    repo.write("README.md", "# Shop\n\nHow to run it.\n")
        .write("docs/guide.md", "## Guide\n")
        .task(
            "docs",
            &["README.md", "docs"],
            "criteria = [\"the guide explains setup\"]",
        );
    let provider = Provider::start(Duration::ZERO).await;
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("docs").unwrap()).await.unwrap();
    assert_eq!(provider.requests(), 0);
    assert_eq!(record.decision, Decision::Pass);
    assert_eq!(record.directors.len(), 7);
    for d in &record.directors {
        assert_eq!(d.status, DirectorStatus::Skipped, "{}", d.name);
        assert!(
            d.reason.as_deref().unwrap().contains("docs"),
            "{}: {:?}",
            d.name,
            d.reason
        );
    }
}

#[tokio::test]
async fn terraform_change_runs_infrastructure_and_security_only() {
    let repo = Repo::new();
    repo.write("infra/logs.tf", TF)
        .task("tf", &["infra"], "criteria = [\"logs are kept\"]");
    let provider = Provider::start(Duration::ZERO).await;
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("tf").unwrap()).await.unwrap();
    assert_eq!(provider.directors_called(), ["infrastructure", "security"]);
    assert_eq!(provider.requests(), 2);
    let skipped: Vec<_> = statuses(&record)
        .into_iter()
        .filter(|(_, s)| *s == DirectorStatus::Skipped)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(skipped.len(), 5, "{skipped:?}");
    for d in record
        .directors
        .iter()
        .filter(|d| d.status == DirectorStatus::Skipped)
    {
        assert!(!d.reason.as_deref().unwrap_or("").is_empty());
    }
}

#[tokio::test]
async fn director_flags_override_routing() {
    let repo = Repo::new();
    repo.write("README.md", "# Docs\n")
        .task("docs", &["README.md"], "");
    let provider = Provider::start(Duration::ZERO).await;
    let v = verifier(&repo, Some(&provider));
    let options = director::VerifyOptions {
        directors: vec!["security".into()],
        ..Default::default()
    };
    let record = v
        .verify_with(
            v.load_task("docs").unwrap(),
            &options,
            &director::EventSink::none(),
            &director::CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(provider.directors_called(), ["security"]);
    assert_eq!(
        record.director("security").unwrap().status,
        DirectorStatus::Ran
    );
    let all = director::VerifyOptions {
        all_directors: true,
        ..Default::default()
    };
    v.verify_with(
        v.load_task("docs").unwrap(),
        &all,
        &director::EventSink::none(),
        &director::CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(provider.requests(), 8);
    let unknown = director::VerifyOptions {
        directors: vec!["nobody".into()],
        ..Default::default()
    };
    let err = v
        .verify_with(
            v.load_task("docs").unwrap(),
            &unknown,
            &director::EventSink::none(),
            &director::CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nobody") && err.hint().unwrap().contains("security"));
}

fn code_repo() -> Repo {
    let repo = Repo::new();
    repo.write("src/sum.rs", CODE).task("code", &["src"], "");
    repo
}

#[tokio::test]
async fn invented_quote_cannot_block_but_drifted_real_quote_does() {
    let repo = code_repo();
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "code-quality",
        verdict_reply(&finding_verdict(
            "blocking",
            "correctness",
            "src/sum.rs",
            3,
            "let total = items.iter().sum();",
        )),
    );
    let no_cache = director::Overrides {
        cache_enabled: Some(false),
        ..Default::default()
    };
    let v = verifier_with(&repo, Some(&provider), no_cache);
    let record = v.verify(v.load_task("code").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Pass, "{}", record.reason);
    let f = &record.findings[0];
    assert!(!f.verified && !f.blocks);
    assert_eq!(
        f.reported_severity,
        Some(director::core::Severity::Blocking)
    );
    let cq = record.director("code-quality").unwrap();
    assert_eq!((cq.findings_verified, cq.findings_unverified), (0, 1));

    // The real line 4 (`sum += i;`) cited as line 1: found within the drift, verified.
    provider.reply(
        "code-quality",
        verdict_reply(&finding_verdict(
            "blocking",
            "correctness",
            "src/sum.rs",
            1,
            "        sum += i;",
        )),
    );
    let record = v.verify(v.load_task("code").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Block, "{}", record.reason);
    let f = record.findings.iter().find(|f| f.blocks).unwrap();
    assert_eq!(f.start_line, Some(4), "moved to where the quote really is");
}

#[tokio::test]
async fn findings_outside_the_change_cannot_block() {
    let repo = code_repo();
    repo.write("src/other.rs", "fn untouched() {}\n");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "security",
        verdict_reply(&finding_verdict(
            "blocking",
            "security",
            "../etc/passwd",
            1,
            "root:x:0:0",
        )),
    );
    provider.reply(
        "architecture",
        verdict_reply(&finding_verdict(
            "blocking",
            "coupling",
            "src/missing.rs",
            1,
            "fn nothing_here() {}",
        )),
    );
    let v = verifier(&repo, Some(&provider));
    let mut task = v.load_task("code").unwrap();
    task.paths = vec!["src/sum.rs".into()];
    let record = v.verify(task).await.unwrap();
    assert_eq!(record.decision, Decision::Pass);
    let reasons: Vec<_> = record
        .findings
        .iter()
        .map(|f| f.verification.clone().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("outside the repository")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("outside the change")),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn two_directors_reporting_one_problem_give_one_finding() {
    let repo = code_repo();
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "code-quality",
        verdict_reply(&finding_verdict(
            "warning",
            "correctness",
            "src/sum.rs",
            4,
            "sum += i;",
        )),
    );
    provider.reply(
        "performance",
        verdict_reply(&finding_verdict(
            "blocking",
            "correctness",
            "src/sum.rs",
            4,
            "  sum  += i;",
        )),
    );
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("code").unwrap()).await.unwrap();
    assert_eq!(record.findings.len(), 1, "{:#?}", record.findings);
    let f = &record.findings[0];
    let mut who = f.directors.clone();
    who.sort();
    assert_eq!(who, ["code-quality", "performance"]);
    assert_eq!(f.agreement, 2);
    assert_eq!(
        f.severity,
        director::core::Severity::Blocking,
        "highest severity wins"
    );
    assert_eq!(record.decision, Decision::Block);
}

#[tokio::test]
async fn baseline_makes_known_findings_pass_and_new_ones_still_block() {
    let repo = code_repo();
    let provider = Provider::start(Duration::ZERO).await;
    let first = finding_verdict("blocking", "correctness", "src/sum.rs", 4, "sum += i;");
    provider.reply("code-quality", verdict_reply(&first));
    let v = verifier_with(
        &repo,
        Some(&provider),
        director::Overrides {
            cache_enabled: Some(false),
            ..Default::default()
        },
    );
    let record = v.verify(v.load_task("code").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Block);
    let baseline = director::baseline::Baseline::from_findings(
        &record.findings,
        "code",
        "legacy loop",
        "2026-11-23T00:00:00Z",
    );
    baseline.save(&repo.root()).unwrap();

    provider.reply("code-quality", verdict_reply(&first));
    let record = v.verify(v.load_task("code").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Pass, "{}", record.reason);
    assert_eq!(record.findings[0].status, FindingStatus::Known);

    let mut second = first.clone();
    second["findings"]
        .as_array_mut()
        .unwrap()
        .push(json!({"severity": "blocking", "category": "correctness", "title": "new", "resources": [],
            "path": "src/sum.rs", "start_line": 2, "end_line": 2, "evidence": "let mut sum = 0;", "recommendation": "r"}));
    provider.reply("code-quality", verdict_reply(&second));
    let record = v.verify(v.load_task("code").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Block);
    assert_eq!(record.blocking().count(), 1);
    assert_eq!(record.blocking().next().unwrap().title, "new");
}

#[tokio::test]
async fn inline_suppression_with_reason_does_not_block() {
    let repo = Repo::new();
    repo.write(
        "src/sum.rs",
        "pub fn total(items: &[u64]) -> u64 {\n    // director:ignore correctness -- overflow is impossible: items are cents of one order\n    items.iter().sum()\n}\n",
    )
    .task("code", &["src"], "");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "code-quality",
        verdict_reply(&finding_verdict(
            "blocking",
            "correctness",
            "src/sum.rs",
            3,
            "items.iter().sum()",
        )),
    );
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("code").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Pass, "{}", record.reason);
    assert_eq!(record.findings[0].status, FindingStatus::Suppressed);
    assert!(
        record.findings[0]
            .status_reason
            .as_deref()
            .unwrap()
            .contains("cents of one order")
    );
}

const CUSTOM_DEF: &str = r#"name = "compliance"
display_name = "Compliance Director"
persona = "DirCompliance_Agent"
persona_file = "compliance.md"
prompt_file = "compliance.tera"
summary = "audit trails and data retention"
owns = ["compliance"]
may_block = true
priority = 80

[applicability]
classes = ["source"]
"#;

#[tokio::test]
async fn a_director_added_by_the_repository_runs_without_rebuilding() {
    let repo = code_repo();
    repo.write(".director/directors/compliance.toml", CUSTOM_DEF)
        .write(".director/personas/compliance.md", "You care about audit trails.\n")
        .write(
            ".director/prompts/directors/compliance.tera",
            "You are {{ director.persona }} ({{ director.display_name }}).\n{{ persona_text }}\nCheck retention. Environment: {{ environment }}.",
        );
    let provider = Provider::start(Duration::ZERO).await;
    let v = verifier(&repo, Some(&provider));
    assert_eq!(v.panel().unwrap().directors().len(), 8);
    let d = v.panel().unwrap().get("compliance").unwrap();
    assert!(matches!(
        d.definition_origin,
        director::registry::Origin::Repo(_)
    ));
    let record = v.verify(v.load_task("code").unwrap()).await.unwrap();
    assert_eq!(
        record.director("compliance").unwrap().status,
        DirectorStatus::Ran
    );
    let body = provider
        .bodies()
        .into_iter()
        .find(|b| {
            b["messages"][1]["content"]
                .as_str()
                .unwrap_or("")
                .contains("DirCompliance_Agent")
        })
        .expect("the compliance Director was called");
    assert!(
        body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("You care about audit trails.")
    );
}

#[test]
fn a_broken_director_definition_names_file_and_key() {
    let repo = code_repo();
    repo.write(
        ".director/directors/bad.toml",
        &CUSTOM_DEF.replace("priority = 80", "priority = \"high\""),
    );
    let err = director::registry::Panel::load(Some(
        &director::trust::TrustedPolicy::worktree(&repo.root()).unwrap(),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("bad.toml") && err.contains("priority"),
        "{err}"
    );

    let repo = code_repo();
    repo.write(
        ".director/directors/bad.toml",
        &CUSTOM_DEF.replace("summary =", "colour = \"red\"\nsummary ="),
    );
    let err = director::registry::Panel::load(Some(
        &director::trust::TrustedPolicy::worktree(&repo.root()).unwrap(),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("bad.toml") && err.contains("colour"), "{err}");

    let repo = code_repo();
    repo.write(".director/directors/compliance.toml", CUSTOM_DEF)
        .write(".director/personas/compliance.md", "p")
        .write(
            ".director/prompts/directors/compliance.tera",
            "line one\n{% if director.name %}\nunclosed",
        );
    let err = director::registry::Panel::load(Some(
        &director::trust::TrustedPolicy::worktree(&repo.root()).unwrap(),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("compliance.tera"), "{err}");

    let repo = code_repo();
    repo.write(".director/directors/compliance.toml", CUSTOM_DEF);
    let err = director::registry::Panel::load(Some(
        &director::trust::TrustedPolicy::worktree(&repo.root()).unwrap(),
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("compliance.toml") && err.contains("prompt_file"),
        "{err}"
    );
}

#[tokio::test]
async fn evidence_findings_cannot_be_downgraded_by_directors() {
    let repo = Repo::new();
    repo.write(
        "k8s/app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: api\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      containers:\n        - name: api\n          image: api:latest\n",
    )
    .task("k8s", &["k8s"], "environment = \"production\"");
    let provider = Provider::start(Duration::ZERO).await;
    let v = verifier(&repo, Some(&provider));
    let record = v.verify(v.load_task("k8s").unwrap()).await.unwrap();
    let evidence: Vec<_> = record
        .findings
        .iter()
        .filter(|f| f.source == FindingSource::Evidence)
        .collect();
    assert!(
        !evidence.is_empty(),
        "the analyzers flag a single-replica production Deployment"
    );
    assert_eq!(
        record.decision,
        Decision::Block,
        "every Director said pass; the evidence still blocks"
    );
}

#[tokio::test]
async fn an_unmet_criterion_quoting_the_task_can_block_an_invented_one_cannot() {
    let repo = Repo::new();
    repo.write("src/sum.rs", CODE).task(
        "req",
        &["src"],
        "criteria = [\"Totals are returned in cents\", \"Empty input returns zero\"]",
    );
    let provider = Provider::start(Duration::ZERO).await;
    let unmet = |evidence: &str| {
        json!({"verdict": "block", "summary": "A criterion is unmet.", "findings": [{
            "severity": "blocking", "category": "acceptance-criteria", "title": "criterion 1 unmet",
            "resources": ["criterion 1"], "path": null, "start_line": null, "end_line": null,
            "evidence": evidence, "recommendation": "Convert totals to cents."}]})
    };
    provider.reply(
        "requirements",
        verdict_reply(&unmet("Totals are returned in cents")),
    );
    let no_cache = director::Overrides {
        cache_enabled: Some(false),
        ..Default::default()
    };
    let v = verifier_with(&repo, Some(&provider), no_cache);
    let record = v.verify(v.load_task("req").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Block, "{}", record.reason);
    assert_eq!(
        record.findings[0].verification.as_deref(),
        Some("quotes the task")
    );

    provider.reply(
        "requirements",
        verdict_reply(&unmet("Totals are returned in euros with VAT")),
    );
    let record = v.verify(v.load_task("req").unwrap()).await.unwrap();
    assert_eq!(record.decision, Decision::Pass, "{}", record.reason);
    assert!(!record.findings[0].verified);
}

//! Output formats (issue 7) made from real run records: an offline run over a small
//! repository with Terraform (deterministic findings, one suppressed inline, one
//! accepted in the baseline), a run through wiremock where Directors raise findings,
//! agree with an analyzer and fail, and an incomplete run. SARIF is validated against
//! the official SARIF 2.1.0 JSON schema (`tests/fixtures/sarif-2.1.0.json`, the OASIS
//! schema as shipped inside the `serde-sarif` crate), JUnit is parsed back with
//! quick-xml, GitHub annotations are snapshot-tested, rdjson is checked field by field.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

use crate::support::*;
use director::RunRecord;
use director::baseline::Baseline;
use director::core::record::DirectorStatus;
use director::core::{Decision, FindingSource, FindingStatus, Severity};
use director::report::{Format, render, render_many};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use wiremock::ResponseTemplate;

const DB_TF: &str = r#"resource "aws_db_instance" "orders" {
  identifier              = "orders-prod"
  engine                  = "postgres"
  instance_class          = "db.r6g.large"
  allocated_storage       = 100
  multi_az                = false
  backup_retention_period = 7
  storage_encrypted       = true
  deletion_protection     = true
}

resource "aws_security_group" "admin" {
  name = "admin"
  ingress {
    # director:ignore sec.sg.open-ssh -- the bastion is replaced next sprint
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

const APP_JS: &str = "const express = require(\"express\");\nconst app = express();\napp.get(\"/orders/:id\", (req, res) => {\n  db.query(\"SELECT * FROM orders WHERE id = \" + req.params.id);\n});\n";

fn orders_repo() -> Repo {
    let repo = Repo::new();
    repo.write("infra/db.tf", DB_TF)
        .write("src/app.js", APP_JS)
        .write(
            ".director/config.toml",
            "[provider]\nmax_retries = 0\ninitial_backoff_ms = 5\n[cache]\nenabled = false\n",
        )
        .task(
            "orders-42",
            &["infra", "src"],
            "environment = \"production\"\ncriteria = [\"orders are stored durably\"]",
        );
    repo
}

/// Offline: the analyzers decide. One warning is accepted in the baseline first.
async fn offline_record() -> RunRecord {
    let repo = orders_repo();
    let v = verifier(&repo, None);
    let first = v.verify(v.load_task("orders-42").unwrap()).await.unwrap();
    let accepted: Vec<_> = first
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning && f.status == FindingStatus::New)
        .take(1)
        .cloned()
        .collect();
    assert_eq!(accepted.len(), 1, "the fixture has a warning to accept");
    Baseline::from_findings(
        &accepted,
        "orders-42",
        "accepted for the test",
        "2026-01-01T00:00:00Z",
    )
    .save(&repo.root())
    .unwrap();
    let record = v.verify(v.load_task("orders-42").unwrap()).await.unwrap();
    // Keep the repository alive only as long as needed: the record is self-contained.
    drop(repo);
    record
}

/// Through wiremock: security raises a blocking injection, infrastructure agrees with
/// the single-AZ analyzer finding, performance cannot authenticate.
async fn llm_record() -> RunRecord {
    let repo = orders_repo();
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "security",
        verdict_reply(&finding_verdict(
            "blocking",
            "injection",
            "src/app.js",
            4,
            "db.query(\"SELECT * FROM orders WHERE id = \" + req.params.id);",
        )),
    );
    provider.reply(
        "infrastructure",
        verdict_reply(&finding_verdict(
            "blocking",
            "reliability",
            "infra/db.tf",
            6,
            "multi_az                = false",
        )),
    );
    provider.reply(
        "performance",
        ResponseTemplate::new(401)
            .set_body_json(json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})),
    );
    // A finding about the task itself names no file.
    provider.reply(
        "requirements",
        verdict_reply(&json!({"verdict": "warn", "summary": "One criterion is not shown.", "findings": [{
            "severity": "warning", "category": "requirements", "title": "durability is not demonstrated",
            "resources": [], "path": null, "start_line": null, "end_line": null,
            "evidence": "orders are stored durably", "recommendation": "Show the backup configuration."
        }]})),
    );
    let v = verifier(&repo, Some(&provider));
    v.verify(v.load_task("orders-42").unwrap()).await.unwrap()
}

/// A source-only change where one Director fails: nothing blocks, so it is incomplete.
async fn incomplete_record() -> RunRecord {
    let repo = Repo::new();
    repo.write("src/app.js", APP_JS)
        .write(
            ".director/config.toml",
            "[provider]\nmax_retries = 0\n[cache]\nenabled = false\n",
        )
        .task("orders-43", &["src"], "");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "testing",
        ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": "no key", "type": "invalid_request_error"}}),
        ),
    );
    let v = verifier(&repo, Some(&provider));
    v.verify(v.load_task("orders-43").unwrap()).await.unwrap()
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sarif-2.1.0.json"
    ))
    .unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    // The official 2.1.0 schema has one pattern that is not a valid ECMA 262 regex
    // (`language` of `run` and `toolComponent`, a stray `]`), so the meta-schema check
    // refuses to compile it. Only that pattern is replaced, in memory, by its evident
    // intent; director never writes `language`. The fixture file stays as published.
    for definition in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][definition]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid_sarif(validator: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
}

fn sarif_of(record: &RunRecord) -> Value {
    serde_json::from_str(&render(record, Format::Sarif, false)).unwrap()
}

#[tokio::test]
async fn sarif_is_valid_against_the_official_schema() {
    let validator = sarif_validator();
    let records = [
        offline_record().await,
        llm_record().await,
        incomplete_record().await,
    ];
    for r in &records {
        let doc = sarif_of(r);
        assert_valid_sarif(&validator, &doc);
        let inv = &doc["runs"][0]["invocations"][0];
        for key in ["startTimeUtc", "endTimeUtc"] {
            let t = inv[key].as_str().unwrap();
            assert!(
                t.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(t).is_ok(),
                "{key}: {t}"
            );
        }
        // GitHub code scanning rejects a whole log if any result has no location.
        for result in doc["runs"][0]["results"].as_array().unwrap() {
            let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or_else(|| panic!("every result has a location: {result:#}"));
            assert!(
                !uri.starts_with('/') && !uri.contains(' ') && !uri.contains(':'),
                "{uri}"
            );
        }
    }
    let many: Value = serde_json::from_str(&render_many(&records, Format::Sarif, false)).unwrap();
    assert_valid_sarif(&validator, &many);
    assert_eq!(many["runs"].as_array().unwrap().len(), 3);

    // The validator really checks: a broken log is rejected.
    let mut broken = sarif_of(&records[0]);
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&broken));
    let mut broken = sarif_of(&records[0]);
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    assert!(!validator.is_valid(&broken));
}

#[tokio::test]
async fn sarif_carries_rules_fingerprints_levels_locations_and_suppressions() {
    let record = offline_record().await;
    assert_eq!(record.decision, Decision::Block, "{}", record.reason);
    let doc = sarif_of(&record);
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "director");
    assert_eq!(driver["version"], record.tool_version);

    // One rule per distinct rule id, with the analyzer's help text and no helpUri.
    let rules = driver["rules"].as_array().unwrap();
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let distinct: BTreeSet<&str> = record
        .findings
        .iter()
        .map(|f| f.rule_id.as_deref().unwrap())
        .collect();
    assert_eq!(rule_ids.len(), distinct.len());
    assert_eq!(rule_ids.iter().copied().collect::<BTreeSet<_>>(), distinct);
    for rule in rules {
        let info = director_evidence::rules()
            .iter()
            .find(|i| i.id == rule["id"])
            .unwrap();
        assert_eq!(rule["help"]["text"], info.help);
        assert_eq!(rule["shortDescription"]["text"], info.title);
        assert!(rule.get("helpUri").is_none());
    }

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), record.findings.len());
    for (r, f) in results.iter().zip(&record.findings) {
        assert_eq!(r["ruleId"], f.rule_id.clone().unwrap());
        assert_eq!(
            rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            r["ruleId"]
        );
        assert_eq!(
            r["partialFingerprints"]["directorFingerprint/v1"],
            f.fingerprint
        );
        let level = match f.severity {
            Severity::Blocking => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        assert_eq!(r["level"], level);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], f.path.clone().unwrap());
        assert_eq!(loc["region"]["startLine"], f.start_line.unwrap());
        assert_eq!(loc["region"]["endLine"], f.end_line.unwrap());
        assert_eq!(r["properties"]["directors"], json!(f.directors));
        assert_eq!(r["properties"]["agreement"], f.agreement);
        assert_eq!(r["properties"]["verified"], true);
        match f.status {
            FindingStatus::New => assert!(r.get("suppressions").is_none()),
            FindingStatus::Known => {
                assert_eq!(r["suppressions"][0]["kind"], "external");
                let why = r["suppressions"][0]["justification"].as_str().unwrap();
                assert!(why.contains("accepted for the test"), "{why}");
            }
            FindingStatus::Suppressed => {
                assert_eq!(r["suppressions"][0]["kind"], "inSource");
                assert!(
                    r["suppressions"][0]["justification"]
                        .as_str()
                        .unwrap()
                        .contains("bastion")
                );
            }
        }
    }
    for status in [FindingStatus::Known, FindingStatus::Suppressed] {
        assert!(
            record.findings.iter().any(|f| f.status == status),
            "{status:?}"
        );
    }
    let ssh = record
        .findings
        .iter()
        .find(|f| f.rule_id.as_deref() == Some("sec.sg.open-ssh"))
        .unwrap();
    assert_eq!(ssh.status, FindingStatus::Suppressed);

    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    assert_eq!(inv["exitCode"], 1);
    assert_eq!(inv["properties"]["decision"], "block");
    assert_eq!(inv["properties"]["reason"], record.reason);
    // Offline: the note that no LLM Director ran is a notification.
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(notes.iter().any(|n| {
        n["message"]["text"]
            .as_str()
            .unwrap()
            .contains("no LLM Director ran")
    }));
}

#[tokio::test]
async fn sarif_of_llm_findings_and_incomplete_runs() {
    let record = llm_record().await;
    assert_eq!(record.decision, Decision::Block, "{}", record.reason);
    let doc = sarif_of(&record);
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let injection = rules
        .iter()
        .find(|r| r["id"] == "director/security/injection")
        .unwrap();
    assert!(
        injection["help"]["text"]
            .as_str()
            .unwrap()
            .contains("security Director")
    );
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "director/security/injection")
        .unwrap();
    assert_eq!(result["level"], "error");
    assert_eq!(result["properties"]["directors"], json!(["security"]));
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );
    // A finding that names no file is shown on the task's file.
    let unlocated = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "director/requirements/requirements")
        .unwrap();
    let loc = &unlocated["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        ".director/tasks/orders-42.toml"
    );
    assert!(loc["physicalLocation"].get("region").is_none());
    assert_eq!(
        unlocated["properties"]["verified"], true,
        "it quotes the task"
    );
    // The analyzer finding the infrastructure Director agreed with.
    let single_az = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "infra.rds.single-az")
        .unwrap();
    assert_eq!(single_az["properties"]["agreement"], 2, "{single_az:#}");
    // The Director that could not authenticate is a notification; a block still completed.
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["properties"]["director"] == "performance" && n["level"] == "error")
    );

    let incomplete = incomplete_record().await;
    assert_eq!(
        incomplete.decision,
        Decision::Incomplete,
        "{}",
        incomplete.reason
    );
    let doc = sarif_of(&incomplete);
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(inv["exitCode"], 3);
    assert_eq!(inv["properties"]["decision"], "incomplete");
    assert_eq!(inv["properties"]["reason"], incomplete.reason);
}

/// Element and attribute counts of a JUnit document.
#[derive(Debug, Default)]
struct Junit {
    suites: Vec<BTreeMap<String, String>>,
    /// (suite index, case name, outcome, message)
    cases: Vec<(usize, String, String, String)>,
}

fn parse_junit(xml: &str) -> Junit {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Junit::default();
    let attrs = |e: &quick_xml::events::BytesStart<'_>| -> BTreeMap<String, String> {
        e.attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect()
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let a = attrs(&e);
                match name.as_str() {
                    "testsuite" => out.suites.push(a),
                    "testcase" => {
                        let suite = out.suites.len() - 1;
                        out.cases
                            .push((suite, a["name"].clone(), "success".into(), String::new()));
                    }
                    "failure" | "error" | "skipped" => {
                        let case = out.cases.last_mut().unwrap();
                        assert_eq!(case.2, "success", "one outcome per test case");
                        case.2 = name;
                        case.3 = a.get("message").cloned().unwrap_or_default();
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn junit_parses_back_with_one_case_per_director_and_the_right_counts() {
    let records = [llm_record().await, offline_record().await];
    let xml = render_many(&records, Format::Junit, false);
    let junit = parse_junit(&xml);
    assert_eq!(junit.suites.len(), 2);
    for (i, (suite, record)) in junit.suites.iter().zip(&records).enumerate() {
        let task = &record.task.id;
        assert_eq!(&suite["name"], task);
        let cases: Vec<_> = junit.cases.iter().filter(|c| c.0 == i).collect();
        // One case per Director, plus the analyzers.
        assert_eq!(cases.len(), record.directors.len() + 1);
        let names: Vec<&str> = cases.iter().map(|c| c.1.as_str()).collect();
        let mut expected: Vec<&str> = record.directors.iter().map(|d| d.name.as_str()).collect();
        expected.push("deterministic-evidence");
        assert_eq!(names, expected);
        let count = |outcome: &str| cases.iter().filter(|c| c.2 == outcome).count();
        for (attr, outcome) in [
            ("failures", "failure"),
            ("errors", "error"),
            ("skipped", "skipped"),
        ] {
            assert_eq!(suite[attr], count(outcome).to_string(), "{task}: {attr}");
        }
        assert_eq!(suite["tests"], cases.len().to_string());
        assert_eq!(
            count("skipped"),
            record
                .directors
                .iter()
                .filter(|d| d.status == DirectorStatus::Skipped)
                .count()
        );
        assert_eq!(
            count("error"),
            record
                .directors
                .iter()
                .filter(|d| d.status == DirectorStatus::Failed)
                .count()
        );
    }

    // The wiremock run: security and infrastructure fail on their blocking findings,
    // performance errors, the analyzers fail on theirs.
    let llm = &records[0];
    let outcome = |name: &str| {
        junit
            .cases
            .iter()
            .find(|c| c.0 == 0 && c.1 == name)
            .map(|c| (c.2.clone(), c.3.clone()))
            .unwrap()
    };
    assert_eq!(outcome("security").0, "failure");
    assert!(
        outcome("security").1.starts_with("1 blocking finding(s)"),
        "{:?}",
        outcome("security")
    );
    assert_eq!(
        outcome("infrastructure").0,
        "failure",
        "it agreed with the blocking single-AZ finding"
    );
    assert_eq!(outcome("performance").0, "error");
    assert!(
        outcome("performance").1.contains("401"),
        "{:?}",
        outcome("performance")
    );
    assert_eq!(outcome("code-quality").0, "success");
    let evidence = outcome("deterministic-evidence");
    let evidence_blocking = llm
        .findings
        .iter()
        .filter(|f| f.source == FindingSource::Evidence && f.blocks)
        .count();
    assert_eq!(evidence.0, "failure");
    assert!(
        evidence
            .1
            .starts_with(&format!("{evidence_blocking} blocking finding(s)")),
        "{evidence:?}"
    );

    // Offline: every Director is skipped, the analyzers decide.
    assert!(
        junit
            .cases
            .iter()
            .filter(|c| c.0 == 1 && c.1 != "deterministic-evidence")
            .all(|c| c.2 == "skipped" && c.3.contains("offline"))
    );
}

/// Replace the run id and timings in the annotations.
fn scrub_run(text: &str, record: &RunRecord) -> String {
    text.replace(&record.run_id, "[RUN]")
}

#[tokio::test]
async fn github_annotations_snapshot() {
    let record = offline_record().await;
    let text = render(&record, Format::Github, false);
    for line in text.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "{line}"
        );
    }
    let new = record
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::New)
        .count();
    assert_eq!(
        text.lines().count(),
        new + 1,
        "one annotation per new finding plus the summary"
    );
    insta::assert_snapshot!("github_offline", scrub_run(&text, &record));

    let llm = llm_record().await;
    let text = render(&llm, Format::Github, false);
    let injection = text.lines().find(|l| l.contains("injection")).unwrap();
    assert!(
        injection.starts_with(
            "::error file=src/app.js,line=4,endLine=4,title=director injection (security)::"
        ),
        "{injection}"
    );
    // The quote's `"` and `:` stay in the message; a `:` in a property is encoded.
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("::error title=director%3A block (task orders-42)::")
    );
}

#[tokio::test]
async fn rdjson_has_reviewdogs_structure() {
    let record = llm_record().await;
    let doc: Value = serde_json::from_str(&render(&record, Format::Rdjson, false)).unwrap();
    assert_eq!(doc["source"]["name"], "director");
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    let new: Vec<_> = record
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::New)
        .collect();
    assert_eq!(diagnostics.len(), new.len());
    for (d, f) in diagnostics.iter().zip(&new) {
        assert!(d["message"].as_str().unwrap().starts_with(&f.title));
        let severity = match f.severity {
            Severity::Blocking => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        };
        assert_eq!(d["severity"], severity);
        assert_eq!(d["source"]["name"], "director");
        assert_eq!(
            d["code"]["value"],
            f.rule_id.clone().unwrap_or_else(|| f.category.clone())
        );
        match &f.path {
            Some(path) => {
                assert_eq!(d["location"]["path"], path.as_str());
                let range = &d["location"]["range"];
                assert_eq!(range["start"]["line"], f.start_line.unwrap());
                assert_eq!(range["end"]["line"], f.end_line.unwrap());
            }
            None => assert!(d.get("location").is_none(), "{d:#}"),
        }
        let allowed: BTreeSet<&str> = [
            "message",
            "location",
            "severity",
            "source",
            "code",
            "original_output",
        ]
        .into();
        assert!(
            d.as_object()
                .unwrap()
                .keys()
                .all(|k| allowed.contains(k.as_str())),
            "{d:#}"
        );
    }
    assert!(
        diagnostics
            .iter()
            .any(|d| d["code"]["value"] == "injection" && d["severity"] == "ERROR")
    );
    assert!(
        diagnostics.iter().any(|d| d.get("location").is_none()),
        "the finding about the task has no location"
    );
}

#[tokio::test]
async fn several_records_make_one_document_per_format() {
    let records = [offline_record().await, incomplete_record().await];
    let json: Value = serde_json::from_str(&render_many(&records, Format::Json, false)).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    let rd: Value = serde_json::from_str(&render_many(&records, Format::Rdjson, false)).unwrap();
    let new = records
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.status == FindingStatus::New)
        .count();
    assert_eq!(rd["diagnostics"].as_array().unwrap().len(), new);
    let gh = render_many(&records, Format::Github, false);
    assert_eq!(
        gh.lines()
            .filter(|l| l.starts_with("::") && l.contains("title=director%3A"))
            .count(),
        2
    );
}

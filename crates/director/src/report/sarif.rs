//! SARIF 2.1.0 (via `serde-sarif`), for GitHub code scanning and other SARIF viewers.
//!
//! One SARIF run per run record. The tool driver is `director` with its version; it
//! lists one rule per distinct rule among the findings: deterministic analyzer rules
//! carry their id, title and help text from `director_evidence::rules()`, findings of
//! an LLM Director get the rule `director/<director>/<category>` with a generic help.
//! Each finding becomes a result with a level from its severity (blocking → `error`,
//! warning → `warning`, info → `note`), its fingerprint under
//! `partialFingerprints["directorFingerprint/v1"]`, a physical location with a region
//! when the finding has them (a finding that names no file is anchored at its task's
//! file, since GitHub rejects a log with an unlocated result), and `suppressions`
//! when the baseline (`external`) or a
//! `director:ignore` comment (`inSource`) accepted it. The invocation records whether
//! the verification completed (`executionSuccessful` is false for `incomplete` and
//! interrupted runs), the exit code, and the decision and reason in its properties;
//! Directors that could not finish become tool execution notifications.

use director_core::record::DirectorStatus;
use director_core::{Decision, Finding, FindingSource, FindingStatus, RunRecord, Severity};
use serde_json::{Value, json};
use serde_sarif::sarif;
use std::collections::BTreeMap;

/// The `$schema` URI written into every SARIF log.
pub const SARIF_SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of the finding fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "directorFingerprint/v1";

/// The SARIF rule id of a finding: the analyzer rule, or `director/<director>/<category>`.
pub fn rule_id(f: &Finding) -> String {
    match &f.rule_id {
        Some(id) => id.clone(),
        None => format!("director/{}/{}", f.director, f.category),
    }
}

/// The SARIF log of one or more run records.
pub fn sarif_log(records: &[RunRecord]) -> sarif::Sarif {
    sarif::Sarif::builder()
        .schema(SARIF_SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(records.iter().map(sarif_run).collect::<Vec<_>>())
        .build()
}

/// Render the SARIF log as pretty JSON.
pub fn render_sarif(records: &[RunRecord]) -> String {
    let mut s = serde_json::to_string_pretty(&sarif_log(records))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

fn bag(entries: impl IntoIterator<Item = (&'static str, Value)>) -> sarif::PropertyBag {
    sarif::PropertyBag::builder()
        .additional_properties(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<BTreeMap<_, _>>(),
        )
        .build()
}

fn text(s: impl Into<String>) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(s.into())
        .build()
}

/// Property-bag tags: distinct, in order (the schema requires unique items).
fn tags<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.iter().any(|t| t == item) {
            out.push(item.to_string());
        }
    }
    out
}

fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Blocking => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Info => sarif::ResultLevel::Note,
    }
}

fn rule_descriptor(id: &str, f: &Finding) -> sarif::ReportingDescriptor {
    let known = (f.source == FindingSource::Evidence)
        .then(|| director_evidence::rules().iter().find(|r| r.id == id))
        .flatten();
    match known {
        Some(rule) => {
            let tags = tags([rule.category, rule.director, "deterministic"]);
            sarif::ReportingDescriptor::builder()
                .id(id)
                .short_description(text(rule.title))
                .full_description(text(rule.help))
                .help(text(rule.help))
                .properties(
                    sarif::PropertyBag::builder()
                        .tags(tags)
                        .additional_properties(BTreeMap::from([
                            ("director".to_string(), json!(rule.director)),
                            ("category".to_string(), json!(rule.category)),
                            ("checkov".to_string(), json!(rule.checkov)),
                        ]))
                        .build(),
                )
                .build()
        }
        None if f.source == FindingSource::Evidence => sarif::ReportingDescriptor::builder()
            .id(id)
            .short_description(text(f.title.clone()))
            .help(text(if f.recommendation.is_empty() {
                "A deterministic check of director.".to_string()
            } else {
                f.recommendation.clone()
            }))
            .properties(
                sarif::PropertyBag::builder()
                    .tags(tags([f.category.as_str(), "deterministic"]))
                    .additional_properties(BTreeMap::from([
                        ("director".to_string(), json!(f.director)),
                        ("category".to_string(), json!(f.category)),
                    ]))
                    .build(),
            )
            .build(),
        None => sarif::ReportingDescriptor::builder()
            .id(id)
            .short_description(text(format!("{} Director: {}", f.director, f.category)))
            .help(text(format!(
                "Raised by the {} Director (an LLM reviewer) in the area `{}`. Each result carries \
                 the problem, the quoted code and the recommended fix; `properties.verified` says \
                 whether the quote was found in the file. Unverified findings never block.",
                f.director, f.category
            )))
            .properties(
                sarif::PropertyBag::builder()
                    .tags(tags([f.category.as_str(), f.director.as_str(), "llm"]))
                    .additional_properties(BTreeMap::from([
                        ("director".to_string(), json!(f.director)),
                        ("category".to_string(), json!(f.category)),
                    ]))
                    .build(),
            )
            .build(),
    }
}

/// Where a finding that names no file is shown: the task definition, whose criteria
/// such findings are about. GitHub code scanning rejects a whole log when any result
/// lacks a location, so every result gets one.
pub fn task_anchor(task_id: &str) -> String {
    format!(".director/tasks/{task_id}.toml")
}

fn location(f: &Finding, task_id: &str) -> sarif::Location {
    let Some(path) = f.path.as_deref() else {
        let artifact = sarif::ArtifactLocation::builder()
            .uri(uri_of(&task_anchor(task_id)))
            .build();
        return sarif::Location::builder()
            .physical_location(
                sarif::PhysicalLocation::builder()
                    .artifact_location(artifact)
                    .build(),
            )
            .message(
                sarif::Message::builder()
                    .text("the finding names no file; it is about the task")
                    .build(),
            )
            .build();
    };
    let artifact = sarif::ArtifactLocation::builder().uri(uri_of(path)).build();
    let physical = match f.lines() {
        Some((start, end)) => {
            let mut region = sarif::Region::builder()
                .start_line(i64::from(start))
                .end_line(i64::from(end))
                .build();
            if let Some(e) = &f.evidence {
                region.snippet = Some(sarif::ArtifactContent::builder().text(e.clone()).build());
            }
            sarif::PhysicalLocation::builder()
                .artifact_location(artifact)
                .region(region)
                .build()
        }
        None => sarif::PhysicalLocation::builder()
            .artifact_location(artifact)
            .build(),
    };
    sarif::Location::builder()
        .physical_location(physical)
        .build()
}

/// A related place (the resource inside a module, the module call that creates it).
fn related_location(id: usize, l: &director_core::Location) -> sarif::Location {
    let region = sarif::Region::builder()
        .start_line(i64::from(l.start_line))
        .end_line(i64::from(l.end_line))
        .build();
    let mut location = sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(
                    sarif::ArtifactLocation::builder()
                        .uri(uri_of(&l.path))
                        .build(),
                )
                .region(region)
                .build(),
        )
        .message(sarif::Message::builder().text(l.message.clone()).build())
        .build();
    location.id = i64::try_from(id).ok();
    location
}

/// A repository-relative path as a relative URI reference: characters outside the
/// unreserved set (and `/`) are percent-encoded.
fn uri_of(path: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(path, KEEP).to_string()
}

fn suppression(f: &Finding) -> Option<sarif::Suppression> {
    let kind = match f.status {
        FindingStatus::New => return None,
        FindingStatus::Known => "external",
        FindingStatus::Suppressed => "inSource",
    };
    let mut s = sarif::Suppression::builder()
        .kind(json!(kind))
        .status(json!("accepted"))
        .build();
    s.justification = f.status_reason.clone();
    Some(s)
}

fn message(f: &Finding) -> String {
    let mut m = f.title.clone();
    if !f.recommendation.is_empty() {
        m.push_str("\nFix: ");
        m.push_str(&f.recommendation);
    }
    m
}

fn result(f: &Finding, rule_index: usize, task_id: &str) -> sarif::Result {
    let mut properties = vec![
        ("director", json!(f.director)),
        ("directors", json!(f.directors)),
        ("agreement", json!(f.agreement)),
        ("verified", json!(f.verified)),
        ("source", json!(f.source)),
        ("severity", json!(f.severity)),
        ("category", json!(f.category)),
        ("blocks", json!(f.blocks)),
        ("status", json!(f.status)),
    ];
    if !f.resources.is_empty() {
        properties.push(("resources", json!(f.resources)));
    }
    if let Some(v) = &f.verification {
        properties.push(("verification", json!(v)));
    }
    if let Some(r) = f.reported_severity {
        properties.push(("reportedSeverity", json!(r)));
    }
    if let Some(c) = f.criterion {
        properties.push(("failureCriterion", json!(c)));
    }
    let mut r = sarif::Result::builder()
        .rule_id(rule_id(f))
        .rule_index(rule_index as i64)
        .level(level(f.severity))
        .message(sarif::Message::builder().text(message(f)).build())
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            f.fingerprint.clone(),
        )]))
        .properties(bag(properties))
        .build();
    r.locations = Some(vec![location(f, task_id)]);
    if !f.related.is_empty() {
        r.related_locations = Some(
            f.related
                .iter()
                .enumerate()
                .map(|(i, l)| related_location(i, l))
                .collect(),
        );
    }
    r.suppressions = suppression(f).map(|s| vec![s]);
    r
}

fn end_time(record: &RunRecord) -> Option<String> {
    let start = chrono::DateTime::parse_from_rfc3339(&record.started_at).ok()?;
    let end = start + chrono::Duration::milliseconds(i64::try_from(record.duration_ms).ok()?);
    Some(
        end.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

fn invocation(record: &RunRecord) -> sarif::Invocation {
    let mut notifications: Vec<sarif::Notification> = record
        .directors
        .iter()
        .filter(|d| d.status == DirectorStatus::Failed)
        .map(|d| {
            sarif::Notification::builder()
                .level(json!("error"))
                .message(
                    sarif::Message::builder()
                        .text(format!(
                            "{} could not finish: {}",
                            d.display_name,
                            d.reason.as_deref().unwrap_or("no reason recorded")
                        ))
                        .build(),
                )
                .properties(bag([("director", json!(d.name))]))
                .build()
        })
        .collect();
    for item in &record.evidence.not_evaluated {
        notifications.push(
            sarif::Notification::builder()
                .level(json!("warning"))
                .message(sarif::Message::builder().text(item.clone()).build())
                .build(),
        );
    }
    if let Some(note) = &record.llm.note {
        notifications.push(
            sarif::Notification::builder()
                .level(json!("note"))
                .message(sarif::Message::builder().text(note.clone()).build())
                .build(),
        );
    }
    let successful = record.decision != Decision::Incomplete && !record.cancelled;
    let mut inv = sarif::Invocation::builder()
        .execution_successful(successful)
        .exit_code(i64::from(crate::exit::code_for(record)))
        .exit_code_description(format!("{}: {}", record.decision, record.reason))
        .start_time_utc(record.started_at.clone())
        .properties(bag([
            ("decision", json!(record.decision)),
            ("reason", json!(record.reason)),
            ("runId", json!(record.run_id)),
            ("task", json!(record.task.id)),
            ("partial", json!(record.partial)),
            ("cancelled", json!(record.cancelled)),
        ]))
        .build();
    inv.end_time_utc = end_time(record);
    if !notifications.is_empty() {
        inv.tool_execution_notifications = Some(notifications);
    }
    inv
}

fn sarif_run(record: &RunRecord) -> sarif::Run {
    // One rule per distinct rule id, in order of first appearance.
    let mut rules: Vec<sarif::ReportingDescriptor> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::with_capacity(record.findings.len());
    for f in &record.findings {
        let id = rule_id(f);
        let i = *index.entry(id.clone()).or_insert_with(|| {
            rules.push(rule_descriptor(&id, f));
            rules.len() - 1
        });
        results.push(result(f, i, &record.task.id));
    }
    let mut driver = sarif::ToolComponent::builder()
        .name("director")
        .version(record.tool_version.clone())
        .semantic_version(record.tool_version.clone())
        .build();
    driver.rules = Some(rules);
    let directors: Vec<Value> = record
        .directors
        .iter()
        .map(|d| json!({"name": d.name, "status": d.status, "verdict": d.verdict, "reason": d.reason}))
        .collect();
    let mut run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .invocations(vec![invocation(record)])
        .results(results)
        .properties(bag([
            ("task", json!(record.task.id)),
            ("runId", json!(record.run_id)),
            ("decision", json!(record.decision)),
            ("reason", json!(record.reason)),
            ("directors", Value::Array(directors)),
        ]))
        .build();
    let props = run
        .properties
        .get_or_insert_with(sarif::PropertyBag::default);
    for (key, commit) in [
        ("baseCommit", &record.repository.base_commit),
        ("headCommit", &record.repository.head_commit),
    ] {
        if let Some(c) = commit {
            props.additional_properties.insert(key.into(), json!(c));
        }
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded_relative_references() {
        assert_eq!(uri_of("infra/main.tf"), "infra/main.tf");
        assert_eq!(uri_of("my dir/a#b.tf"), "my%20dir/a%23b.tf");
        assert_eq!(uri_of("ünï/x.tf"), "%C3%BCn%C3%AF/x.tf");
    }
}

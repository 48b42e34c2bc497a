//! JUnit XML (via `quick-junit`), for CI systems that show test reports (GitLab,
//! Jenkins, Azure Pipelines, Buildkite).
//!
//! One `<testsuite>` per run record, named after the task. One `<testcase>` per
//! Director of the panel (classname `director.<task>`): a skipped Director is
//! `<skipped>` with the reason; a Director that could not finish is an `<error>`
//! with the reason; a Director that ran passes unless it raised blocking findings,
//! in which case it is a `<failure>` whose message counts them and whose text lists
//! every one (location, quoted code, fix). JUnit gives a test case one outcome, so
//! a Director's N blocking findings are N entries of its one failure. One more test
//! case, `deterministic-evidence`, does the same for the analyzers' findings. Known
//! and suppressed findings never block and so never fail a test case.

use super::location;
use director_core::record::{DirectorRun, DirectorStatus};
use director_core::{Finding, FindingSource, RunRecord};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write as _;
use std::time::Duration;

/// The name of the test case that carries the deterministic analyzers' findings.
pub const EVIDENCE_CASE: &str = "deterministic-evidence";

/// Whether the Director `name` raised `f` itself. An LLM finding lists its raisers
/// in `directors`. A deterministic finding lists the rule's Director first whether
/// or not that Director's review also raised it; merging adds one to `agreement`
/// per raiser, so an agreement beyond the listed names means the first one did.
pub fn raised_by(f: &Finding, name: &str) -> bool {
    match f.source {
        FindingSource::Llm => f.directors.iter().any(|d| d == name),
        FindingSource::Evidence => {
            f.directors.iter().skip(1).any(|d| d == name)
                || (f.directors.first().is_some_and(|d| d == name)
                    && f.agreement as usize > f.directors.len())
        }
    }
}

fn describe(findings: &[&Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let rule = f.rule_id.as_deref().unwrap_or(&f.category);
        let _ = writeln!(out, "[{rule}] {} at {}", f.title, location(f));
        if let Some(e) = &f.evidence {
            for line in e.lines() {
                let _ = writeln!(out, "    | {line}");
            }
        }
        if !f.recommendation.is_empty() {
            let _ = writeln!(out, "    fix: {}", f.recommendation);
        }
        if !f.verified {
            let _ = writeln!(out, "    (unverified)");
        }
    }
    out
}

fn failing(findings: &[&Finding]) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let titles: Vec<&str> = findings.iter().map(|f| f.title.as_str()).collect();
    status
        .set_type("blocking")
        .set_message(format!(
            "{} blocking finding(s): {}",
            findings.len(),
            titles.join("; ")
        ))
        .set_description(describe(findings));
    status
}

fn director_case(record: &RunRecord, d: &DirectorRun, classname: &str) -> TestCase {
    let status = match d.status {
        DirectorStatus::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(d.reason.clone().unwrap_or_else(|| "skipped".into()));
            s
        }
        DirectorStatus::Failed => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type("incomplete").set_message(
                d.reason
                    .clone()
                    .unwrap_or_else(|| "could not finish".into()),
            );
            s
        }
        DirectorStatus::Ran => {
            let blocking: Vec<&Finding> = record
                .blocking()
                .filter(|f| raised_by(f, &d.name))
                .collect();
            if blocking.is_empty() {
                TestCaseStatus::success()
            } else {
                failing(&blocking)
            }
        }
    };
    let mut case = TestCase::new(d.name.as_str(), status);
    case.set_classname(classname)
        .set_time(Duration::from_millis(d.elapsed_ms));
    if let Some(summary) = &d.summary {
        case.set_system_out(summary.as_str());
    }
    if let Some(v) = d.verdict {
        case.add_property(Property::new("verdict", v.as_str()));
    }
    if let Some(m) = &d.model {
        case.add_property(Property::new("model", m.as_str()));
    }
    case
}

fn evidence_case(record: &RunRecord, classname: &str) -> TestCase {
    let evidence: Vec<&Finding> = record
        .findings
        .iter()
        .filter(|f| f.source == FindingSource::Evidence)
        .collect();
    let blocking: Vec<&Finding> = evidence.iter().copied().filter(|f| f.blocks).collect();
    let status = if blocking.is_empty() {
        TestCaseStatus::success()
    } else {
        failing(&blocking)
    };
    let mut case = TestCase::new(EVIDENCE_CASE, status);
    case.set_classname(classname);
    case.set_system_out(format!(
        "{} file(s) analyzed, {} finding(s) ({} blocking){}",
        record.evidence.files_analyzed,
        evidence.len(),
        blocking.len(),
        if record.evidence.parse_errors.is_empty() {
            String::new()
        } else {
            format!(
                "; could not parse: {}",
                record.evidence.parse_errors.join("; ")
            )
        }
    ));
    case
}

fn suite(record: &RunRecord) -> TestSuite {
    let classname = format!("director.{}", record.task.id);
    let mut suite = TestSuite::new(record.task.id.as_str());
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&record.started_at) {
        suite.set_timestamp(t);
    }
    suite.set_time(Duration::from_millis(record.duration_ms));
    suite.add_properties([
        Property::new("decision", record.decision.as_str()),
        Property::new("reason", record.reason.as_str()),
        Property::new("run_id", record.run_id.as_str()),
        Property::new("tool_version", record.tool_version.as_str()),
    ]);
    for d in &record.directors {
        suite.add_test_case(director_case(record, d, &classname));
    }
    suite.add_test_case(evidence_case(record, &classname));
    suite
}

/// The JUnit report of one or more run records.
pub fn junit_report(records: &[RunRecord]) -> Report {
    let mut report = Report::new("director");
    if let Some(t) = records
        .first()
        .and_then(|r| chrono::DateTime::parse_from_rfc3339(&r.started_at).ok())
    {
        report.set_timestamp(t);
    }
    report.set_time(Duration::from_millis(
        records.iter().map(|r| r.duration_ms).max().unwrap_or(0),
    ));
    report.add_test_suites(records.iter().map(suite));
    report
}

/// Render the JUnit XML.
pub fn render_junit(records: &[RunRecord]) -> String {
    junit_report(records)
        .to_string()
        .unwrap_or_else(|e| format!("<!-- failed to write JUnit XML: {e} -->\n"))
}

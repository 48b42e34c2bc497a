//! reviewdog's Diagnostic format, rdjson (`--format rdjson`), for
//! `reviewdog -f=rdjson` to post review comments on any code host it supports.
//!
//! One `DiagnosticResult` with `source.name = "director"` and one diagnostic per
//! new finding of every record: the message (title, fix, who raised it), the
//! location (`path` and a `range` of start/end lines) when the finding has one,
//! severity `ERROR`/`WARNING`/`INFO` from the finding's severity, `code.value` the
//! analyzer rule id or else the category, and `original_output` the quoted code.
//! Findings accepted by the baseline or a `director:ignore` comment are left out:
//! reviewdog has no notion of a suppressed diagnostic.

use director_core::{Finding, FindingStatus, RunRecord, Severity};
use serde::Serialize;

/// reviewdog's `DiagnosticResult`.
#[derive(Debug, Serialize)]
pub struct DiagnosticResult {
    /// The tool.
    pub source: Source,
    /// One per finding.
    pub diagnostics: Vec<Diagnostic>,
}

/// reviewdog's `Source`.
#[derive(Debug, Serialize)]
pub struct Source {
    /// Tool name.
    pub name: String,
}

/// reviewdog's `Diagnostic`.
#[derive(Debug, Serialize)]
pub struct Diagnostic {
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where, when the finding names a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// `ERROR`, `WARNING` or `INFO`.
    pub severity: &'static str,
    /// The tool.
    pub source: Source,
    /// The rule id or category.
    pub code: Code,
    /// The quoted code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_output: Option<String>,
}

/// reviewdog's `Location`.
#[derive(Debug, Serialize)]
pub struct Location {
    /// Repository-relative path.
    pub path: String,
    /// The lines, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
}

/// reviewdog's `Range`.
#[derive(Debug, Serialize)]
pub struct Range {
    /// First line.
    pub start: Position,
    /// Last line.
    pub end: Position,
}

/// reviewdog's `Position` (1-based line; columns are not known).
#[derive(Debug, Serialize)]
pub struct Position {
    /// Line, 1-based.
    pub line: u32,
}

/// reviewdog's `Code`.
#[derive(Debug, Serialize)]
pub struct Code {
    /// Rule id or category.
    pub value: String,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Blocking => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

fn diagnostic(f: &Finding) -> Diagnostic {
    let mut message = f.title.clone();
    if !f.recommendation.is_empty() {
        message.push_str("\nFix: ");
        message.push_str(&f.recommendation);
    }
    message.push_str(&format!(
        "\n(director: {}{})",
        f.directors.join(", "),
        if f.verified { "" } else { "; unverified" }
    ));
    Diagnostic {
        message,
        location: f.path.as_ref().map(|path| Location {
            path: path.clone(),
            range: f.lines().map(|(start, end)| Range {
                start: Position { line: start },
                end: Position { line: end },
            }),
        }),
        severity: severity(f.severity),
        source: Source {
            name: "director".into(),
        },
        code: Code {
            value: f.rule_id.clone().unwrap_or_else(|| f.category.clone()),
        },
        original_output: f.evidence.clone(),
    }
}

/// The diagnostics of one or more run records.
pub fn rdjson_result(records: &[RunRecord]) -> DiagnosticResult {
    DiagnosticResult {
        source: Source {
            name: "director".into(),
        },
        diagnostics: records
            .iter()
            .flat_map(|r| r.findings.iter())
            .filter(|f| f.status == FindingStatus::New)
            .map(diagnostic)
            .collect(),
    }
}

/// Render rdjson.
pub fn render_rdjson(records: &[RunRecord]) -> String {
    let mut s = serde_json::to_string_pretty(&rdjson_result(records))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

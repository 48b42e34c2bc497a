//! Output formats. Every format is a pure function of the run record: none computes
//! findings or decisions of its own. Stdout carries only the chosen format; progress
//! and logs go to stderr (see the CLI's progress reporter).

pub mod github;
mod human;
pub mod junit;
mod markdown;
pub mod rdjson;
pub mod sarif;

pub use github::render_github;
pub use human::render_human;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use rdjson::render_rdjson;
pub use sarif::render_sarif;

use director_core::RunRecord;

/// The output formats of `director verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A summary for people at a terminal.
    Human,
    /// The run record as JSON.
    Json,
    /// A Markdown report for pull-request comments.
    Markdown,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions workflow-command annotations.
    Github,
    /// JUnit XML for CI test reports.
    Junit,
    /// reviewdog's rdjson.
    Rdjson,
}

/// Render one record in a format. `color` only affects `Human`.
pub fn render(record: &RunRecord, format: Format, color: bool) -> String {
    match format {
        Format::Human => render_human(record, color),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(record)
                .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            s.push('\n');
            s
        }
        Format::Markdown => render_markdown(record),
        Format::Sarif => render_sarif(std::slice::from_ref(record)),
        Format::Github => render_github(record),
        Format::Junit => render_junit(std::slice::from_ref(record)),
        Format::Rdjson => render_rdjson(std::slice::from_ref(record)),
    }
}

/// Render several records (one `director verify` with several tasks) as one
/// document: a JSON array, one SARIF log with a run each, one JUnit report with a
/// suite each, one rdjson result; the text formats are concatenated.
pub fn render_many(records: &[RunRecord], format: Format, color: bool) -> String {
    if let [one] = records {
        return render(one, format, color);
    }
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(records)
                .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            s.push('\n');
            s
        }
        Format::Sarif => render_sarif(records),
        Format::Junit => render_junit(records),
        Format::Rdjson => render_rdjson(records),
        Format::Human | Format::Markdown | Format::Github => records
            .iter()
            .map(|r| render(r, format, color))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// `path:start-end`, `path:line` or `path`, for people.
pub(crate) fn location(f: &director_core::Finding) -> String {
    match (&f.path, f.lines()) {
        (Some(p), Some((s, e))) if s == e => format!("{p}:{s}"),
        (Some(p), Some((s, e))) => format!("{p}:{s}-{e}"),
        (Some(p), None) => p.clone(),
        (None, _) => "(no file)".into(),
    }
}

//! Output formats. Every format is a pure function of the run record: none computes
//! findings or decisions of its own. Stdout carries only the chosen format; progress
//! and logs go to stderr (see the CLI's progress reporter).

mod human;
mod markdown;

pub use human::render_human;
pub use markdown::render_markdown;

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
}

impl Format {
    /// Every format name, for help texts.
    pub const NAMES: &'static [&'static str] = &["human", "json", "markdown"];

    /// Parse a format name.
    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "human" | "text" => Format::Human,
            "json" => Format::Json,
            "markdown" | "md" => Format::Markdown,
            _ => return None,
        })
    }
}

/// Render one record in a format. `color` only affects `Human`.
pub fn render(record: &RunRecord, format: Format, color: bool) -> String {
    match format {
        Format::Human => render_human(record, color),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(record).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            s.push('\n');
            s
        }
        Format::Markdown => render_markdown(record),
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

//! File classes for routing, as [`director_core::classify`] computes them (the same
//! call that picks a file's analyzer). These wrappers keep the `(classes, language)`
//! shape the context crate's callers use.

use director_core::FileClass;
pub use director_core::classify::{AnalyzerKind, Classification};

/// Classes and source language of a file from its path and (optional) content.
pub fn classify(path: &str, content: Option<&str>) -> (Vec<FileClass>, Option<String>) {
    classify_with_chart(path, content, None)
}

/// Like [`classify`], with the folder of the Helm chart the file belongs to (the
/// nearest ancestor holding a `Chart.yaml`, `""` for the repository root), if any.
pub fn classify_with_chart(
    path: &str,
    content: Option<&str>,
    chart_dir: Option<&str>,
) -> (Vec<FileClass>, Option<String>) {
    let c = director_core::classify::classify(path, content, chart_dir);
    (c.classes, c.language)
}

//! The error type of `director-evidence`. Analysis never fails as a whole: a file that
//! cannot be parsed becomes one of these, rendered into `EvidenceReport::parse_errors`,
//! and the other files are still analyzed.

use thiserror::Error;

/// A problem with one input file.
#[derive(Debug, Error)]
pub(crate) enum EvidenceError {
    /// The file is not valid in its format; findings for it may be incomplete.
    #[error(
        "{path}: invalid {format} at line {line}: {message} (hint: fix the syntax; the analyzers skipped the unparsable part)"
    )]
    Syntax {
        /// Repository-relative path.
        path: String,
        /// `HCL`, `YAML`, `JSON` or `Dockerfile`.
        format: &'static str,
        /// 1-based line of the error.
        line: u32,
        /// What the parser said.
        message: String,
    },
    /// The file nests deeper than the analyzers follow (a guard against stack exhaustion).
    #[error(
        "{path}: {format} nesting is deeper than {limit} levels; file skipped (hint: this is almost certainly not a real manifest)"
    )]
    TooDeep {
        /// Repository-relative path.
        path: String,
        /// The format.
        format: &'static str,
        /// The limit that was exceeded.
        limit: usize,
    },
}

//! The error type of `director-evidence`. Analysis never fails as a whole: a file that
//! cannot be parsed becomes one of these, rendered into `EvidenceReport::parse_errors`,
//! and the other files are still analyzed. The one error a caller sees is a SARIF log
//! that is not SARIF 2.1.0 ([`crate::SarifLog::parse`]): the user named that file, so it
//! is bad input, not a finding.

use thiserror::Error;

/// A problem with one input file.
#[derive(Debug, Error)]
pub enum EvidenceError {
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
    /// A Terraform plan file that cannot be used.
    #[error("{path}: {message} (hint: {hint})")]
    Plan {
        /// The plan file's path as configured.
        path: String,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: &'static str,
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
    /// A SARIF log given as evidence is not valid SARIF 2.1.0.
    #[error("{label}: not a SARIF 2.1.0 log: {message} (at {at})")]
    InvalidSarif {
        /// The log's path as the user gave it.
        label: String,
        /// Where in the document: `line L column C, <JSON path>`.
        at: String,
        /// What the parser said.
        message: String,
    },
}

impl EvidenceError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            EvidenceError::Syntax { .. } => {
                "fix the syntax; the analyzers skipped the unparsable part"
            }
            EvidenceError::TooDeep { .. } => "this is almost certainly not a real manifest",
            EvidenceError::Plan { hint, .. } => hint,
            EvidenceError::InvalidSarif { .. } => {
                "pass the scanner's SARIF output (e.g. `checkov -o sarif`, `trivy --format sarif`, `semgrep --sarif`) unmodified"
            }
        }
    }
}

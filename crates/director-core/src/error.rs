//! The error type of `director-core`.

use thiserror::Error;

/// Errors raised by the pure functions of this crate.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A Director's reply does not follow the verdict schema.
    #[error("reply does not match the verdict schema: {details}")]
    SchemaViolation {
        /// Every violation, one per line, with its JSON path.
        details: String,
    },
    /// A Director's reply is not JSON at all.
    #[error("reply is not valid JSON")]
    NotJson(#[source] serde_json::Error),
    /// A glob in an applicability rule does not parse.
    #[error("invalid glob `{glob}`")]
    InvalidGlob {
        /// The glob as written.
        glob: String,
        /// What the glob parser said.
        #[source]
        source: globset::Error,
    },
    /// A task field holds a value the task format does not allow.
    #[error("invalid task: {reason}")]
    InvalidTask {
        /// What is wrong, naming the key.
        reason: String,
    },
}

//! The error type of the `director` crate. Every variant a user can cause names the
//! thing at fault and carries a hint; `is_user_error` separates those from
//! unexpected failures for the exit-code mapping.

use thiserror::Error;

/// Errors of a verification, before any decision could be made.
#[derive(Debug, Error)]
pub enum Error {
    /// Configuration is invalid (unknown key, bad value).
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong, naming the key and the layer.
        message: String,
        /// What to do.
        hint: String,
    },
    /// The task or change could not be resolved (unknown task, bad ref, ...).
    #[error(transparent)]
    Context(#[from] director_context::ContextError),
    /// A Director definition, prompt template or persona is invalid.
    #[error("invalid Director `{director}`: {message}")]
    Director {
        /// The Director (or template) at fault.
        director: String,
        /// What is wrong, naming the file and key or line.
        message: String,
        /// What to do.
        hint: String,
    },
    /// Input given on the command line or through the API is invalid.
    #[error("{message}")]
    Input {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// The LLM provider could not be set up.
    #[error("failed to set up the LLM provider")]
    Provider(#[source] director_llm::LlmError),
    /// A file could not be read or written.
    #[error("failed to {action} `{path}`")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Object storage (`[store] url`, `--store`) could not be read or written.
    #[error("object storage {url}: {message}")]
    Storage {
        /// The store URL.
        url: String,
        /// What the storage said.
        message: String,
    },
    /// A background task panicked or was aborted.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Config { hint, .. }
            | Error::Director { hint, .. }
            | Error::Input { hint, .. } => Some(hint.clone()),
            Error::Context(e) => e.hint(),
            Error::Provider(_) => {
                Some("check [provider] in .director/config.toml and OPENAI_BASE_URL".into())
            }
            Error::Io { .. } => Some("check the path and its permissions".into()),
            Error::Storage { .. } => Some(
                "check the bucket and the credentials in the environment (AWS_*, GOOGLE_*, AZURE_*); see \"Running in a fleet\" in docs/configuration.md".into(),
            ),
            Error::Internal(_) => None,
        }
    }

    /// True for errors caused by input or configuration (exit code 2).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Internal(_))
    }

    /// Shorthand for an I/O error on a path.
    pub fn io(
        action: &'static str,
        path: impl AsRef<std::path::Path>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

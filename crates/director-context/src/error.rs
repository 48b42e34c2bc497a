//! The error type of `director-context`. Every variant a user can cause names the
//! thing (task id, file, key, ref, path) in a one-line message and offers a hint
//! through [`ContextError::hint`] that the CLI prints under it.

use std::path::PathBuf;
use thiserror::Error;

/// Errors of the task store, change gathering and packing.
#[derive(Debug, Error)]
pub enum ContextError {
    /// No task file exists for the id.
    #[error("task `{id}` not found: no file {}", path.display())]
    TaskNotFound {
        /// The id asked for.
        id: String,
        /// Where the task file was expected.
        path: PathBuf,
    },
    /// A task id that cannot name a file (`../x`, empty, ...).
    #[error("invalid task id `{id}`: use letters, digits, `.`, `_` or `-`, not starting with `.`")]
    InvalidTaskId {
        /// The id as given.
        id: String,
    },
    /// A task file or JSON document that does not parse or does not validate.
    #[error("invalid task in {origin}: {message}")]
    InvalidTask {
        /// The file (or `<stdin>`) the task came from.
        origin: String,
        /// What is wrong, one line, naming the key and line.
        message: String,
    },
    /// The `id` inside a task file differs from the file name.
    #[error("task id `{id}` in {} does not match the file name `{stem}`", path.display())]
    TaskIdMismatch {
        /// The id written in the file.
        id: String,
        /// The file stem.
        stem: String,
        /// The task file.
        path: PathBuf,
    },
    /// `create` was asked to overwrite an existing task.
    #[error("task `{id}` already exists at {}", path.display())]
    TaskExists {
        /// The id.
        id: String,
        /// The existing file.
        path: PathBuf,
    },
    /// A file or folder could not be read.
    #[error("failed to read {}", path.display())]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("failed to write {}", path.display())]
    Write {
        /// What could not be written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A git range was asked for outside a git repository.
    #[error("{} is not inside a git repository", path.display())]
    NotARepository {
        /// Where the repository was looked for.
        path: PathBuf,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
    /// The repository has no working tree but the working tree was asked for.
    #[error("repository at {} is bare: there is no working tree to review", path.display())]
    BareRepository {
        /// The repository path.
        path: PathBuf,
    },
    /// A base or head ref that does not resolve to a commit.
    #[error("git ref `{reference}` does not resolve to a commit")]
    UnknownRef {
        /// The ref as given.
        reference: String,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
    /// Any other libgit2 failure.
    #[error("git failed to {action}")]
    Git {
        /// What was being done, e.g. `diff the working tree`.
        action: String,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
    /// A path to review does not exist.
    #[error("path `{path}` does not exist under {}", root.display())]
    PathNotFound {
        /// The path as given.
        path: String,
        /// The root it is relative to.
        root: PathBuf,
    },
    /// A path to review lies outside the root.
    #[error("path `{path}` is outside {}", root.display())]
    PathOutsideRoot {
        /// The path as given.
        path: String,
        /// The root.
        root: PathBuf,
    },
    /// A scope entry that is neither a path nor a valid glob.
    #[error("invalid scope glob `{glob}`")]
    InvalidScope {
        /// The glob as written.
        glob: String,
        /// What the glob parser said.
        #[source]
        source: globset::Error,
    },
}

impl ContextError {
    /// What the user can do about it, printed by the CLI under the error.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            ContextError::TaskNotFound { id, path } => format!(
                "run `director task list` to see the tasks, or create {} (`director task new {id} --title ...`)",
                path.display()
            ),
            ContextError::InvalidTaskId { .. } => {
                "task ids look like `infra-42` or `add_rds.v2`".to_string()
            }
            ContextError::InvalidTask { origin, .. } => format!(
                "fix {origin}; allowed keys: id, title, description, criteria, base, head, scope, paths, environment"
            ),
            ContextError::TaskIdMismatch { id, stem, path } => format!(
                "set `id = \"{stem}\"` in {} or rename the file to `{id}.toml`",
                path.display()
            ),
            ContextError::TaskExists { path, .. } => {
                format!("choose another id, or edit {} instead", path.display())
            }
            ContextError::Read { .. } => "check that the path exists and is readable".to_string(),
            ContextError::Write { .. } => {
                "check that the folder exists and is writable".to_string()
            }
            ContextError::NotARepository { .. } => {
                "run inside a git repository, or review files whole with `--paths` (or `paths = [..]` in the task)"
                    .to_string()
            }
            ContextError::BareRepository { .. } => {
                "pass both `--base` and `--head` to review a range of commits".to_string()
            }
            ContextError::UnknownRef { .. } => {
                "list the refs with `git branch -a` (run `git fetch` first for remote branches)"
                    .to_string()
            }
            ContextError::Git { .. } => return None,
            ContextError::PathNotFound { root, .. } => {
                format!("paths are relative to {}", root.display())
            }
            ContextError::PathOutsideRoot { .. } => {
                "review paths inside the repository (or the current folder outside git)".to_string()
            }
            ContextError::InvalidScope { .. } => {
                "scope entries are folders, files or globs such as `infra/**/*.tf`".to_string()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_hinted() {
        let errors = [
            ContextError::TaskNotFound {
                id: "x".into(),
                path: ".director/tasks/x.toml".into(),
            },
            ContextError::InvalidTaskId { id: "../x".into() },
            ContextError::TaskExists {
                id: "x".into(),
                path: "a".into(),
            },
            ContextError::UnknownRef {
                reference: "nope".into(),
                source: git2::Error::from_str("not found"),
            },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(!text.contains('\n'), "{text}");
            assert_eq!(text, text.trim());
            assert!(e.hint().is_some());
        }
    }
}

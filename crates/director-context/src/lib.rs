//! Everything a Director is shown, and everything it may look at: the task store
//! (`.director/tasks/<id>.toml`, JSON from pipelines), the change gathered from git
//! (or whole files outside git), file classes for routing, secret redaction, the
//! token-budgeted context with untrusted text fenced, and the read-only repository
//! tools Directors call.
//!
//! Architecture Invariant: nothing leaves this crate unredacted. Every piece of
//! repository text that [`pack::pack`] puts into the context and every
//! [`tools::RepoTools`] answer passes through [`redact::redact`] first, and `.env*`
//! files are never inlined or read.
//!
//! Architecture Invariant: this crate never follows a symlink out of the repository
//! and never enters a submodule. Symlinks are listed as such; tool paths are
//! canonicalised and checked against the root.

#![warn(missing_docs)]

pub mod atomic;
pub mod changes;
pub mod classify;
pub mod error;
mod o200k;
pub mod pack;
pub mod policy;
pub mod redact;
mod related;
pub mod signals;
#[cfg(unix)]
mod status;
pub mod task;
mod text;
pub mod tools;
pub mod walk;

pub use changes::{
    ChangeRequest, ChangeSet, ChangedFile, DEFAULT_MAX_FILE_BYTES, Hunk, HunkLine,
    discover_repo_root, gather, is_tracked, resolve_base,
};
pub use classify::{AnalyzerKind, Classification, classify, classify_with_chart};
pub use error::ContextError;
pub use pack::{PackInput, PackedContext, count_tokens, pack};
pub use redact::{Redacted, redact};
pub use related::{RelatedFile, find_related};
pub use signals::signals;
pub use task::{TaskStore, parse_task_json, parse_task_toml};
pub use tools::{RepoTools, ToolOutput, ToolSpec, untrusted_tool_output};
pub use walk::{RepoScan, repo_walker};

/// Build, on a thread of its own, the tables a run that packs a context builds on
/// first use — the redaction patterns, the o200k split pattern and the routing-signal
/// patterns (about 10 ms together, measured) — so they are ready when gathering the
/// change and packing reach them, instead of costing that time on the run's path.
/// Started at most once per process; a run that never packs should not call it.
pub fn warm_up() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("director-warm-up".into())
            .spawn(|| {
                redact::warm_up();
                pack::warm_up();
                signals::warm_up();
            });
        if let Err(e) = spawned {
            // Not fatal: each table is built on its first use instead.
            tracing::debug!("could not start the warm-up thread: {e}");
        }
    });
}

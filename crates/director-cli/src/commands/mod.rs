//! One module per command group.

pub mod agent;
pub mod baseline;
pub mod directors;
pub mod doctor;
pub mod eval;
pub mod evidence_flags;
pub mod fleet;
pub mod hook;
pub mod init;
pub mod mcp;
pub mod misc;
pub mod task;
pub mod verify;

use crate::cli::{ChangeArgs, OnIncompleteArg, ProviderArgs};
use director::{Overrides, Verifier, VerifyOptions};
use std::path::Path;

/// Build a verifier for `repo` with the provider flags applied.
pub fn verifier(
    repo: &Path,
    provider: &ProviderArgs,
    mut overrides: Overrides,
) -> Result<Verifier, director::Error> {
    if TRUST_WORKTREE.get() == Some(&true) {
        overrides.trust_worktree_config = Some(true);
    }
    overrides.model = provider.model.clone();
    overrides.base_url = provider.base_url.clone();
    if provider.offline {
        overrides.offline = Some(true);
    }
    if provider.no_mcp {
        overrides.mcp_enabled = Some(false);
    }
    Verifier::builder().repo(repo).overrides(overrides).build()
}

/// `--trust-worktree-config`, a global flag every command's verifier honours.
static TRUST_WORKTREE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Record the global `--trust-worktree-config` flag (once, before any command runs).
pub fn trust_worktree(on: bool) {
    let _ = TRUST_WORKTREE.set(on);
}

/// A verifier that never calls a provider, for commands that only inspect.
pub fn offline_verifier(repo: &Path) -> Result<Verifier, director::Error> {
    let provider = ProviderArgs {
        offline: true,
        ..ProviderArgs::default()
    };
    verifier(repo, &provider, Overrides::default())
}

/// Comment lines saying where the repository policy comes from and which policy
/// files of the working tree are not applied.
pub fn policy_lines(verifier: &Verifier) -> String {
    let policy = match verifier.policy() {
        Ok(policy) => policy,
        Err(e) => return format!("# repository policy (.director/): could not be read: {e}\n"),
    };
    let mut out = format!("# repository policy (.director/): {}\n", policy.source);
    match policy.ignored_changes(None) {
        Ok(ignored) if !ignored.is_empty() => out.push_str(&format!(
            "# not applied (not in the trusted policy; --trust-worktree-config applies them): {}\n",
            ignored.join(", ")
        )),
        Ok(_) => {}
        Err(e) => out.push_str(&format!(
            "# could not compare the working tree's policy: {e}\n"
        )),
    }
    out
}

/// The per-run options from the change flags.
pub fn options(change: &ChangeArgs) -> VerifyOptions {
    VerifyOptions {
        base: change.base.clone(),
        head: change.head.clone(),
        paths: change.paths.clone(),
        ..VerifyOptions::default()
    }
}

/// Map the flag to the policy value.
pub fn on_incomplete(arg: Option<OnIncompleteArg>) -> Option<director::core::OnIncomplete> {
    arg.map(|a| match a {
        OnIncompleteArg::Fail => director::core::OnIncomplete::Fail,
        OnIncompleteArg::PassWithWarning => director::core::OnIncomplete::PassWithWarning,
    })
}

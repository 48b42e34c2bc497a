//! One module per command group.

pub mod baseline;
pub mod directors;
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

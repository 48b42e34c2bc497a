//! `director hook <harness>`: read the hook payload on stdin, let the library decide
//! (`director::hook`), print the harness's JSON on stdout and notes on stderr, and
//! exit 0 whatever happened — a hook's errors are answers in its protocol.

use crate::cli::{HookArgs, OnErrorArg};
use crate::output::emit;
use director::hook::{HookOptions, OnHookError, run_hook};
use director::{Overrides, exit};
use std::io::Read as _;
use std::path::Path;

/// Largest payload read from stdin; a hook payload is a few kilobytes.
const MAX_PAYLOAD: u64 = 16 * 1024 * 1024;

/// Run `director hook`.
pub async fn run(repo: &Path, args: HookArgs) -> anyhow::Result<i32> {
    let mut payload = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_PAYLOAD).read_to_end(&mut payload) {
        // An unreadable stdin is an empty payload: the library answers with on_error.
        eprintln!("director: could not read the hook payload on stdin: {e}");
        payload.clear();
    }
    let options = HookOptions {
        // `--repo` defaults to `.`; only an explicit folder overrides the payload's cwd.
        repo: (repo != Path::new(".")).then(|| repo.to_path_buf()),
        task: args.task,
        on_error: args.on_error.map(|a| match a {
            OnErrorArg::Allow => OnHookError::Allow,
            OnErrorArg::Block => OnHookError::Block,
        }),
        max_rounds: args.max_rounds,
        budget_secs: args.budget_secs,
        overrides: Overrides {
            model: args.provider.model,
            base_url: args.provider.base_url,
            offline: args.provider.offline.then_some(true),
            ..Overrides::default()
        },
        provider: None,
    };
    let reply = run_hook(args.harness.harness(), &payload, &options).await;
    for note in &reply.notes {
        eprintln!("{note}");
    }
    emit(&format!("{}\n", reply.stdout), None)?;
    Ok(exit::PASS)
}

//! The trust boundary. The tree under review is untrusted input, its `.director/`
//! included: everything that decides *how* director judges — repository
//! configuration (provider, key variable, gate, budgets, prices, evidence settings),
//! Director definitions, prompts, personas and the baseline — is read from a trusted
//! source only:
//!
//! - in a git repository, the **base commit** of the change (the task's or
//!   `--base`, else the merge-base of the head with the default branch) — what the
//!   change is compared against, so already accepted;
//! - the working tree only when the user opts in (`--trust-worktree-config`, or
//!   `[trust] worktree_config = true` in the *user* config or environment) — for a
//!   developer's own machine;
//! - otherwise (outside git) no repository policy at all: built-in defaults, the user
//!   config, the environment and flags.
//!
//! What the change does to policy files is compared with the trusted side and
//! reported ("policy changes in the reviewed change are not applied: …"), never
//! obeyed; each such file is also a warning finding owned by the Security Director.

use crate::baseline::{BASELINE_VERSION, Baseline};
use crate::config::{Overrides, RepoConfig, ResolvedConfig};
use crate::error::Error;
use crate::registry::Panel;
use director_context::policy::{PolicyFiles, policy_at_commit, policy_in_worktree};
use director_core::layout;
use director_core::{Finding, Severity};
use std::path::{Path, PathBuf};

/// Where the repository's policy was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    /// `.director/` as of a commit: the base of the change.
    Commit {
        /// The commit id.
        commit: String,
        /// How it was chosen (`merge-base(HEAD, main)`, `origin/main`, …).
        label: String,
    },
    /// The working tree, trusted on purpose.
    Worktree,
    /// No repository policy applies; why.
    None(String),
}

impl std::fmt::Display for PolicySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicySource::Commit { commit, label } => {
                write!(f, "the trusted base {} ({label})", short(commit))
            }
            PolicySource::Worktree => {
                f.write_str("the working tree (trusted by --trust-worktree-config)")
            }
            PolicySource::None(why) => write!(f, "none ({why})"),
        }
    }
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

/// The repository's policy files as read from the trusted side.
#[derive(Debug, Clone)]
pub struct TrustedPolicy {
    /// Where they came from.
    pub source: PolicySource,
    /// The files (empty when no repository policy applies).
    pub files: PolicyFiles,
    /// The project folder (holding `.director/`).
    pub root: PathBuf,
}

impl TrustedPolicy {
    /// Read the policy of the project at `root` for a change from `base` to `head`
    /// (`None`: the defaults `verify` uses). `worktree` trusts the working tree.
    pub fn resolve(
        root: &Path,
        base: Option<&str>,
        head: Option<&str>,
        worktree: bool,
    ) -> Result<TrustedPolicy, Error> {
        let policy = |source, files| TrustedPolicy {
            source,
            files,
            root: root.to_path_buf(),
        };
        if worktree {
            return Ok(policy(PolicySource::Worktree, policy_in_worktree(root)?));
        }
        if director_context::discover_repo_root(root).is_none() {
            return Ok(policy(
                PolicySource::None(
                    "not a git repository, so there is no trusted base to read .director/ from"
                        .into(),
                ),
                PolicyFiles::default(),
            ));
        }
        match director_context::resolve_base(root, base, head)? {
            Some((label, commit)) => {
                let files = policy_at_commit(root, &commit)?;
                Ok(policy(PolicySource::Commit { commit, label }, files))
            }
            None => Ok(policy(
                PolicySource::None("the repository has no commits yet".into()),
                PolicyFiles::default(),
            )),
        }
    }

    /// Identifies this policy's content: equal keys, equal policy.
    pub(crate) fn key(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.source.to_string().as_bytes());
        for (path, file) in &self.files.files {
            h.update(path.as_bytes());
            h.update([0]);
            h.update(file.digest);
        }
        director_core::fingerprint::hex(&h.finalize())
    }

    /// The working tree's policy, trusted on purpose (a developer's own checkout).
    pub fn worktree(root: &Path) -> Result<TrustedPolicy, Error> {
        TrustedPolicy::resolve(root, None, None, true)
    }

    /// The repository configuration, if the trusted side has one.
    pub fn repo_config(&self) -> Option<RepoConfig> {
        let text = self.files.text(layout::CONFIG)?.to_string();
        Some(RepoConfig {
            text,
            source: format!("{}/{} from {}", layout::DIR, layout::CONFIG, self.source),
        })
    }

    /// The baseline of the trusted side (empty when it has none).
    pub fn baseline(&self) -> Result<Baseline, Error> {
        match self.files.text(layout::BASELINE) {
            Some(text) => {
                Baseline::parse(text, &format!("{} from {}", layout::BASELINE, self.source))
            }
            None => Ok(Baseline {
                version: BASELINE_VERSION,
                ..Baseline::default()
            }),
        }
    }

    /// Policy files the reviewed change alters relative to the trusted side (as
    /// `.director/<path>`, relative to the project). Empty when the working tree is
    /// trusted. `head`: the head ref of a range, `None` for the working tree.
    pub fn ignored_changes(&self, head: Option<&str>) -> Result<Vec<String>, Error> {
        let head_side = match (&self.source, head) {
            (PolicySource::Worktree, _) => return Ok(Vec::new()),
            (_, Some(spec)) => policy_at_commit(&self.root, spec)?,
            (_, None) => policy_in_worktree(&self.root)?,
        };
        Ok(self
            .files
            .differences(&head_side)
            .into_iter()
            .map(|p| format!("{}/{p}", layout::DIR))
            .collect())
    }
}

/// Everything that decides how one verification judges, from the trusted side.
pub(crate) struct Policy {
    /// Its files and their source.
    pub trusted: TrustedPolicy,
    /// The resolved configuration.
    pub config: ResolvedConfig,
    /// The panel.
    pub panel: std::sync::Arc<Panel>,
    /// The baseline.
    pub baseline: Baseline,
}

impl Policy {
    /// Resolve configuration, panel and baseline from `trusted`.
    pub(crate) fn load(trusted: TrustedPolicy, overrides: &Overrides) -> Result<Policy, Error> {
        let config = ResolvedConfig::load(trusted.repo_config().as_ref(), overrides)?;
        let panel = std::sync::Arc::new(Panel::load(Some(&trusted))?);
        let baseline = trusted.baseline()?;
        Ok(Policy {
            trusted,
            config,
            panel,
            baseline,
        })
    }
}

/// The warning finding for one policy file the change tried to alter: a change that
/// edits the gate's own policy deserves a human's review.
pub(crate) fn policy_change_finding(path: &str, source: &PolicySource) -> Finding {
    let mut f = Finding::evidence(
        "security",
        "sec.director.policy-change",
        Severity::Warning,
        "security",
        format!("policy changes in the reviewed change are not applied: {path}"),
        vec![],
        path,
        (1, 1),
        String::new(),
        format!(
            "director reads its policy from {source}; review this change to director's own \
             policy, and let it take effect by merging it to the base branch"
        ),
    );
    f.start_line = None;
    f.end_line = None;
    f.evidence = None;
    f.verification = Some("compared with the trusted base".into());
    f
}

//! director's policy files — `.director/config.toml`, `baseline.json` and the panel
//! overrides under `directors/`, `prompts/`, `personas/` (see
//! [`director_core::layout`]) — read as they are at a commit (the trusted base, or the
//! head of a range) or in the working tree. The orchestrator reads policy from the
//! trusted side only and compares both sides to report what a change tried to alter.
//!
//! Reading is bounded (file count and size) because the working-tree side is
//! untrusted; symlinks are never followed.

use crate::error::ContextError;
use director_core::layout;
use git2::{ObjectType, Repository, TreeWalkMode, TreeWalkResult};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Policy files larger than this are compared by digest only, never parsed.
pub const MAX_POLICY_FILE_BYTES: usize = 1024 * 1024;
/// At most this many policy files are read from one side.
const MAX_POLICY_FILES: usize = 2000;

/// One policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFile {
    /// SHA-256 of the bytes, for comparison.
    pub digest: [u8; 32],
    /// The text, when UTF-8 and not oversized.
    pub text: Option<String>,
}

/// The policy files of one side, by path relative to `.director/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyFiles {
    /// Files by relative path (`config.toml`, `directors/x.toml`, …).
    pub files: BTreeMap<String, PolicyFile>,
}

impl PolicyFiles {
    /// Add a file; `bytes` of an oversized file stand for it in comparisons only.
    fn add(&mut self, rel: String, bytes: &[u8], oversized: bool) {
        if self.files.len() >= MAX_POLICY_FILES || !layout::is_policy(&rel) {
            return;
        }
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        let text = (!oversized && bytes.len() <= MAX_POLICY_FILE_BYTES)
            .then(|| String::from_utf8(bytes.to_vec()).ok())
            .flatten();
        self.files.insert(rel, PolicyFile { digest, text });
    }

    /// The text of a policy file, if present and readable.
    pub fn text(&self, rel: &str) -> Option<&str> {
        self.files.get(rel).and_then(|f| f.text.as_deref())
    }

    /// Paths (relative to `.director/`) that differ between `self` and `other`: added,
    /// removed or changed.
    pub fn differences(&self, other: &PolicyFiles) -> Vec<String> {
        let mut out: Vec<String> = self
            .files
            .iter()
            .filter(|(p, f)| other.files.get(*p).map(|o| o.digest) != Some(f.digest))
            .map(|(p, _)| p.clone())
            .chain(
                other
                    .files
                    .keys()
                    .filter(|p| !self.files.contains_key(*p))
                    .cloned(),
            )
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The repository-relative prefix of `project_root`'s `.director/` folder inside the
/// git repository that contains it, e.g. `examples/app/.director`.
fn director_prefix(repo: &Repository, project_root: &Path) -> Result<String, ContextError> {
    let workdir = repo.workdir().ok_or_else(|| ContextError::BareRepository {
        path: project_root.to_path_buf(),
    })?;
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let rel = canon(project_root)
        .strip_prefix(canon(workdir))
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let rel = rel.to_string_lossy().replace('\\', "/");
    Ok(if rel.is_empty() {
        layout::DIR.to_string()
    } else {
        format!("{}/{}", rel.trim_end_matches('/'), layout::DIR)
    })
}

/// The policy files of the project at `project_root` as of commit `commit` (an id or
/// a ref) of the repository containing it.
pub fn policy_at_commit(project_root: &Path, commit: &str) -> Result<PolicyFiles, ContextError> {
    let git = |action: &str| {
        let action = action.to_string();
        move |source| ContextError::Git { action, source }
    };
    let repo =
        Repository::discover(project_root).map_err(|source| ContextError::NotARepository {
            path: project_root.to_path_buf(),
            source,
        })?;
    let prefix = director_prefix(&repo, project_root)?;
    let tree = repo
        .revparse_single(commit)
        .and_then(|o| o.peel_to_tree())
        .map_err(|source| ContextError::UnknownRef {
            reference: commit.to_string(),
            source,
        })?;
    let mut out = PolicyFiles::default();
    let Ok(entry) = tree.get_path(Path::new(&prefix)) else {
        return Ok(out);
    };
    let Ok(dir) = entry.to_object(&repo).and_then(|o| o.peel_to_tree()) else {
        return Ok(out);
    };
    let mut blobs = Vec::new();
    dir.walk(TreeWalkMode::PreOrder, |parent, entry| {
        // Blobs only: symlinks (mode 120000) and submodules are not policy.
        if entry.kind() == Some(ObjectType::Blob)
            && entry.filemode() & 0o170000 == 0o100000
            && let Ok(name) = entry.name()
        {
            blobs.push((format!("{parent}{name}"), entry.id()));
        }
        if blobs.len() >= MAX_POLICY_FILES {
            TreeWalkResult::Abort
        } else {
            TreeWalkResult::Ok
        }
    })
    .map_err(git("walk the policy folder"))?;
    for (rel, id) in blobs {
        if !layout::is_policy(&rel) {
            continue;
        }
        let blob = repo.find_blob(id).map_err(git("read a policy file"))?;
        out.add(rel, blob.content(), false);
    }
    Ok(out)
}

/// The policy files of the project at `project_root` as they are in the working tree.
pub fn policy_in_worktree(project_root: &Path) -> Result<PolicyFiles, ContextError> {
    let dir = project_root.join(layout::DIR);
    let mut out = PolicyFiles::default();
    let mut pending: Vec<(PathBuf, String)> = vec![(dir, String::new())];
    while let Some((folder, rel_prefix)) = pending.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(ContextError::Read {
                    path: folder,
                    source,
                });
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{rel_prefix}{name}");
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                // Only descend where policy can live; runs/ and cache/ can be large.
                let top = rel.split('/').next().unwrap_or("");
                if layout::POLICY_DIRS.contains(&top) && rel.matches('/').count() < 8 {
                    pending.push((entry.path(), format!("{rel}/")));
                }
            } else if kind.is_file() && layout::is_policy(&rel) {
                let path = entry.path();
                let size = entry.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
                if size > MAX_POLICY_FILE_BYTES as u64 {
                    // Compared by size only, never read or parsed.
                    out.add(rel, format!("oversized:{size}").as_bytes(), true);
                } else {
                    let bytes = std::fs::read(&path).map_err(|source| ContextError::Read {
                        path: path.clone(),
                        source,
                    })?;
                    out.add(rel, &bytes, false);
                }
            }
        }
    }
    Ok(out)
}

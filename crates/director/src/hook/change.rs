//! What the working tree looks like, cheaply: the head commit plus every changed or
//! untracked file with its status and a content hash (git2 status, no diff). Two uses:
//! the session start point (`SessionStart` records it) and the change fingerprint
//! that lets a stop with nothing changed since the last pass return in milliseconds.
//! director's own state (`.director/runs/`, `cache/`, `sessions/`) is never part of it.

use director_core::fingerprint::hex;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The working tree at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The commit HEAD points at (None on an unborn branch).
    pub head: Option<String>,
    /// Changed and untracked files: path → status bits and content hash.
    pub files: BTreeMap<String, String>,
}

/// Take a snapshot of the git working tree containing `root`; None outside git.
pub fn snapshot(root: &Path) -> Option<Snapshot> {
    let repo = git2::Repository::discover(root).ok()?;
    let workdir = repo.workdir()?.to_path_buf();
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|o| o.to_string());
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo.statuses(Some(&mut opts)).ok()?;
    let mut files = BTreeMap::new();
    for entry in statuses.iter() {
        let Ok(path) = entry.path() else { continue };
        if is_director_state(path) {
            continue;
        }
        let hash = content_hash(&workdir.join(path));
        files.insert(
            path.to_string(),
            format!("{:x}:{hash}", entry.status().bits()),
        );
    }
    Some(Snapshot { head, files })
}

/// director's own state, never part of a change (the same rule as director-context's).
fn is_director_state(path: &str) -> bool {
    [".director/runs/", ".director/cache/", ".director/sessions/"]
        .iter()
        .any(|own| {
            path.match_indices(own)
                .any(|(at, _)| at == 0 || path.as_bytes()[at - 1] == b'/')
        })
}

/// The SHA-256 of a file's bytes (of a symlink's target text; `-` when unreadable or gone).
fn content_hash(path: &Path) -> String {
    let bytes = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::read_link(path)
            .map(|t| t.to_string_lossy().into_owned().into_bytes())
            .ok(),
        Ok(m) if m.is_file() => std::fs::read(path).ok(),
        _ => None,
    };
    bytes.map_or_else(|| "-".into(), |b| hex(&Sha256::digest(&b)))
}

impl Snapshot {
    /// A fingerprint of this state of the change for the task `key`.
    pub fn fingerprint(&self, key: &str) -> String {
        let mut h = Sha256::new();
        h.update(key.as_bytes());
        h.update([0]);
        h.update(self.head.as_deref().unwrap_or("-").as_bytes());
        for (path, state) in &self.files {
            h.update([0]);
            h.update(path.as_bytes());
            h.update([1]);
            h.update(state.as_bytes());
        }
        hex(&h.finalize())
    }
}

/// Files that changed since `start`: committed since its head, or changed in the
/// working tree now and not identical to how they were at the start. `None` when the
/// start head is gone from the repository (rebased away) and no answer can be given.
pub fn changed_since(root: &Path, start: &Snapshot, now: &Snapshot) -> Option<Vec<String>> {
    let repo = git2::Repository::discover(root).ok()?;
    let mut changed: std::collections::BTreeSet<String> = now
        .files
        .iter()
        .filter(|(path, state)| start.files.get(*path) != Some(*state))
        .map(|(path, _)| path.clone())
        .collect();
    // A file dirty at the start and clean now was changed (reverted or committed).
    changed.extend(
        start
            .files
            .keys()
            .filter(|p| !now.files.contains_key(*p))
            .cloned(),
    );
    if start.head != now.head {
        let tree = |oid: Option<&String>| -> Option<Option<git2::Tree<'_>>> {
            match oid {
                None => Some(None),
                Some(o) => {
                    let oid = git2::Oid::from_str(o).ok()?;
                    Some(Some(repo.find_commit(oid).ok()?.tree().ok()?))
                }
            }
        };
        let old = tree(start.head.as_ref())?;
        let new = tree(now.head.as_ref())?;
        let diff = repo
            .diff_tree_to_tree(old.as_ref(), new.as_ref(), None)
            .ok()?;
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(p) = file.path().and_then(|p| p.to_str())
                    && !is_director_state(p)
                {
                    changed.insert(p.replace('\\', "/"));
                }
            }
        }
    }
    Some(changed.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn director_state_is_not_part_of_the_change() {
        assert!(is_director_state(".director/sessions/abc.json"));
        assert!(is_director_state("svc/.director/runs/t/1.json"));
        assert!(!is_director_state(".director/config.toml"));
        assert!(!is_director_state("my.director/sessions/x"));
    }

    #[test]
    fn fingerprints_change_with_the_task_head_and_files() {
        let a = Snapshot {
            head: Some("abc".into()),
            files: BTreeMap::from([("a.rs".into(), "1:ff".into())]),
        };
        let mut b = a.clone();
        assert_eq!(a.fingerprint("t"), b.fingerprint("t"));
        assert_ne!(a.fingerprint("t"), a.fingerprint("u"));
        b.files.insert("a.rs".into(), "1:fe".into());
        assert_ne!(a.fingerprint("t"), b.fingerprint("t"));
        let c = Snapshot {
            head: Some("abd".into()),
            ..a.clone()
        };
        assert_ne!(a.fingerprint("t"), c.fingerprint("t"));
    }
}

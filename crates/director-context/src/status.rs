//! Which paths of a working tree can differ from its index and base, found on all
//! cores, so libgit2's status walk (single-threaded: a full-path `lstat` of every
//! tracked file and a directory read of every folder) only looks at those.
//!
//! The candidates are a superset of what libgit2 reports, by the stat-based rule git
//! and libgit2 use, made stricter: a tracked file whose `lstat` matches its index
//! entry in every field libgit2 records (type and executable bit, size, mtime and ctime
//! to the nanosecond, inode, owner) and is not racily clean (modified no earlier than
//! the index was written) is unchanged; everything else is a candidate — files that
//! differ or are gone, entries in conflict, intent-to-add, skip-worktree or submodules,
//! every folder entry the index does not hold (untracked or ignored: libgit2 decides),
//! tracked folders that are no longer folders, and every path the base tree and the
//! index disagree on (staged changes, computed by libgit2 meanwhile). libgit2 then
//! diffs exactly those paths with its own rules, so the change it reports is the one a
//! full walk reports (the tests compare the two on every kind of change).
//!
//! When the prefilter cannot help or cannot be sure — a small index, a folder it
//! cannot read in full, too many candidates — it says so ([`None`]) and the full walk
//! runs; off Unix it is not built and the full walk always runs.

use git2::{DiffOptions, Index, Repository, Tree};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Below this many index entries the full walk is as fast as the prefilter.
pub(crate) const MIN_ENTRIES: usize = 2_000;

/// Past this share of the index (1 in N entries) as candidates, the full walk is
/// cheaper than a long path list.
const MAX_CANDIDATE_SHARE: usize = 4;

/// An index entry's stage bits (`GIT_INDEX_ENTRY_STAGEMASK`): non-zero in a conflict.
const STAGE_MASK: u16 = 0x3000;
/// Extended flags that change how status treats an entry (intent-to-add,
/// skip-worktree).
const SPECIAL_EXTENDED: u16 = git2::IndexEntryExtendedFlag::INTENT_TO_ADD.bits()
    | git2::IndexEntryExtendedFlag::SKIP_WORKTREE.bits();
/// The mode of a submodule entry.
const GITLINK: u32 = 0o160_000;

/// What the prefilter keeps of an index entry.
struct Entry {
    path: Vec<u8>,
    mode: u32,
    size: u32,
    mtime: (u32, u32),
    ctime: (u32, u32),
    ino: u32,
    uid: u32,
    gid: u32,
    /// Conflicted, intent-to-add, skip-worktree or a submodule: always a candidate.
    special: bool,
}

/// The paths (repository-relative bytes) a working-tree diff against `base` must look
/// at, or `None` when the full walk must run. `index` is the repository's index (read
/// once; libgit2's diff reuses it).
pub(crate) fn candidates(
    repo: &Repository,
    index: &Index,
    base: Option<&Tree<'_>>,
    workdir: &Path,
) -> Option<Vec<Vec<u8>>> {
    if index.len() < MIN_ENTRIES {
        return None;
    }
    let index_mtime = index_written(index)?;
    let entries: Vec<Entry> = index
        .iter()
        .map(|e| Entry {
            special: e.flags & STAGE_MASK != 0
                || e.flags_extended & SPECIAL_EXTENDED != 0
                || e.mode == GITLINK,
            mode: e.mode,
            size: e.file_size,
            mtime: (e.mtime.seconds() as u32, e.mtime.nanoseconds()),
            ctime: (e.ctime.seconds() as u32, e.ctime.nanoseconds()),
            ino: e.ino,
            uid: e.uid,
            gid: e.gid,
            path: e.path,
        })
        .collect();
    let limit = entries.len() / MAX_CANDIDATE_SHARE;
    // The working tree on all cores while libgit2 compares the base with the index
    // on this thread.
    let (worktree, staged) = std::thread::scope(|s| {
        let worktree = s.spawn(|| worktree_candidates(&entries, workdir, index_mtime, limit));
        let staged = staged_paths(repo, index, base, limit);
        (worktree.join().ok().flatten(), staged)
    });
    let mut paths = worktree?;
    paths.extend(staged?);
    paths.sort_unstable();
    paths.dedup();
    (paths.len() <= limit).then_some(paths)
}

/// When the index file was last written (seconds, nanoseconds), for the racy check.
fn index_written(index: &Index) -> Option<(u32, u32)> {
    let meta = std::fs::metadata(index.path()?).ok()?;
    let since = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some((since.as_secs() as u32, since.subsec_nanos()))
}

/// Paths on which the base tree and the index differ (both sides of each delta).
fn staged_paths(
    repo: &Repository,
    index: &Index,
    base: Option<&Tree<'_>>,
    limit: usize,
) -> Option<Vec<Vec<u8>>> {
    let mut opts = DiffOptions::new();
    opts.include_typechange(true);
    let diff = repo
        .diff_tree_to_index(base, Some(index), Some(&mut opts))
        .ok()?;
    if diff.deltas().len() > limit {
        return None;
    }
    let mut paths = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(path) = file.path_bytes() {
                paths.push(path.to_vec());
            }
        }
    }
    Some(paths)
}

/// The index as the working-tree workers see it.
struct Tracked<'a> {
    workdir: &'a Path,
    entries: &'a [Entry],
    /// Tracked file path → its entry.
    files: HashMap<&'a [u8], usize>,
    /// Every folder holding a tracked path, the root (empty) included.
    folders: HashSet<&'a [u8]>,
    index_mtime: (u32, u32),
    /// Entries found in their folder's listing.
    seen: Vec<std::sync::atomic::AtomicBool>,
}

/// Working-tree paths that may differ from the index: every tracked folder is read and
/// its tracked files `lstat`ed, the folders shared out over the cores.
fn worktree_candidates(
    entries: &[Entry],
    workdir: &Path,
    index_mtime: (u32, u32),
    limit: usize,
) -> Option<Vec<Vec<u8>>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let mut folders: HashSet<&[u8]> = HashSet::new();
    folders.insert(b"");
    for e in entries {
        let mut path = e.path.as_slice();
        while let Some(slash) = path.iter().rposition(|&b| b == b'/') {
            path = &path[..slash];
            if !folders.insert(path) {
                break;
            }
        }
    }
    let tracked = Tracked {
        workdir,
        entries,
        files: entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.path.as_slice(), i))
            .collect(),
        folders,
        index_mtime,
        seen: entries.iter().map(|_| AtomicBool::new(false)).collect(),
    };
    let folder_list: Vec<&[u8]> = tracked.folders.iter().copied().collect();
    let next = AtomicUsize::new(0);
    let found = AtomicUsize::new(0);
    let give_up = AtomicBool::new(false);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let lists: Vec<Vec<Vec<u8>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    while let Some(folder) = folder_list.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if give_up.load(Ordering::Relaxed) {
                            break;
                        }
                        let before = out.len();
                        let read = tracked.read_folder(folder, &mut out);
                        let added = out.len() - before;
                        let total = found.fetch_add(added, Ordering::Relaxed) + added;
                        if read.is_none() || total > limit {
                            give_up.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    if give_up.load(Ordering::Relaxed) || lists.len() != workers {
        return None;
    }
    let mut out: Vec<Vec<u8>> = lists.into_iter().flatten().collect();
    for (e, seen) in entries.iter().zip(&tracked.seen) {
        // Gone, or in a folder that is gone or no longer a folder.
        if e.special || !seen.load(Ordering::Relaxed) {
            out.push(e.path.clone());
        }
    }
    Some(out)
}

impl Tracked<'_> {
    /// Read one tracked folder: candidates among its entries go to `out`, tracked
    /// files found are marked seen. `None` when the folder exists but cannot be read.
    fn read_folder(&self, folder: &[u8], out: &mut Vec<Vec<u8>>) -> Option<()> {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        use std::sync::atomic::Ordering;

        let dir = self.workdir.join(OsStr::from_bytes(folder));
        let listing = match std::fs::read_dir(&dir) {
            Ok(listing) => listing,
            // Gone or replaced by a file: its tracked files stay unseen, so they are
            // candidates, and the parent's listing names the path itself.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Some(());
            }
            Err(_) => return None,
        };
        let mut rel = folder.to_vec();
        if !rel.is_empty() {
            rel.push(b'/');
        }
        let prefix = rel.len();
        for entry in listing {
            let entry = entry.ok()?;
            let name = entry.file_name();
            if folder.is_empty() && name == ".git" {
                continue;
            }
            rel.truncate(prefix);
            rel.extend_from_slice(name.as_bytes());
            if let Some(&i) = self.files.get(rel.as_slice()) {
                self.seen[i].store(true, Ordering::Relaxed);
                // `lstat` relative to the open folder: no walk of the full path.
                let unchanged = entry
                    .metadata()
                    .is_ok_and(|meta| stat_matches(&self.entries[i], &meta, self.index_mtime));
                if !unchanged {
                    out.push(rel.clone());
                }
            } else {
                // A folder of tracked files is read on its own (and named here if it
                // is no longer a folder); anything else the index does not hold is
                // untracked or ignored, which libgit2 decides.
                let tracked_folder = entry.file_type().is_ok_and(|t| t.is_dir())
                    && self.folders.contains(rel.as_slice());
                if !tracked_folder {
                    out.push(rel.clone());
                }
            }
        }
        Some(())
    }
}

/// The stat-based "unchanged" rule of git (see the module documentation).
fn stat_matches(e: &Entry, meta: &std::fs::Metadata, index_mtime: (u32, u32)) -> bool {
    use std::os::unix::fs::MetadataExt;
    let kind = meta.file_type();
    let mode = if kind.is_symlink() {
        0o120_000
    } else if kind.is_file() {
        if meta.mode() & 0o100 != 0 {
            0o100_755
        } else {
            0o100_644
        }
    } else {
        return false;
    };
    let mtime = (meta.mtime() as u32, meta.mtime_nsec() as u32);
    let ctime = (meta.ctime() as u32, meta.ctime_nsec() as u32);
    e.mode == mode
        && e.size == meta.size() as u32
        && e.mtime == mtime
        && e.ctime == ctime
        && e.ino == meta.ino() as u32
        && e.uid == meta.uid()
        && e.gid == meta.gid()
        // Racily clean: written in the same instant as the index or later, so the
        // stat cannot tell (git's rule).
        && e.mtime < index_mtime
}

//! Gathering the change under review: a git range, a git revision against the
//! working tree (index, workdir and untracked files), or whole files and folders
//! named by the task (which works outside git). Each changed file gets its hunks, its
//! text at head (when it is safe and small enough to inline), and its classes.
//!
//! Safety rules: symlinks are listed, never read through; submodules are listed,
//! never entered; binary files, files over the size limit and `.env*` files are
//! listed without content; non-UTF-8 bytes are decoded lossily.

use crate::error::ContextError;
use crate::text::{decode_lossy, is_dotenv_path, looks_binary, normalize_rel, rel_path_string};
use crate::walk::repo_walker;
use director_core::classify::{AnalyzerKind, Classification, classify};
use director_core::record::{ChangeMode, ChangedFileSummary, RepositoryInfo};
use director_core::{ChangeStatus, FileClass};
use git2::{Delta, DiffFindOptions, DiffLineType, DiffOptions, FileMode, Oid, Repository};
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Files larger than this are listed but not inlined (512 KiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 512 * 1024;

/// Past this much loaded content in one change, further files are listed without
/// content: a context is a few hundred KiB, so more would only cost memory.
const MAX_TOTAL_CONTENT_BYTES: u64 = 128 * 1024 * 1024;

/// Context lines libgit2 puts around each hunk; packing widens them from content.
const DIFF_CONTEXT_LINES: u32 = 3;

/// What to gather.
#[derive(Debug, Clone, Copy)]
pub struct ChangeRequest<'a> {
    /// Base revision; default: merge-base of HEAD with the default branch.
    pub base: Option<&'a str>,
    /// Head revision; `None` means the working tree (index + workdir + untracked).
    pub head: Option<&'a str>,
    /// Only files under these paths or matching these globs.
    pub scope: &'a [String],
    /// Review these files or folders whole instead of a git change.
    pub paths: &'a [String],
    /// Files larger than this are listed but not inlined.
    pub max_file_bytes: u64,
}

impl Default for ChangeRequest<'_> {
    fn default() -> Self {
        ChangeRequest {
            base: None,
            head: None,
            scope: &[],
            paths: &[],
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// The gathered change.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    /// Absolute repository root (or the folder the paths are relative to).
    pub root: PathBuf,
    /// How the change was gathered.
    pub mode: ChangeMode,
    /// Base ref as given, or a description of the default chosen.
    pub base: Option<String>,
    /// Head ref as given; `None` for the working tree.
    pub head: Option<String>,
    /// Resolved base commit id.
    pub base_commit: Option<String>,
    /// Resolved head commit id.
    pub head_commit: Option<String>,
    /// The changed files, sorted by path.
    pub files: Vec<ChangedFile>,
    /// The run's one scan of the repository beyond the change (walked on first use),
    /// shared by every copy of this change set.
    pub scan: std::sync::Arc<crate::walk::RepoScan>,
}

/// One changed (or reviewed) file.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedFile {
    /// Repository-relative path with `/` separators (the new path of a rename).
    pub path: String,
    /// The old path of a rename or copy.
    pub old_path: Option<String>,
    /// How it changed.
    pub status: ChangeStatus,
    /// Its classes.
    pub classes: Vec<FileClass>,
    /// What the file's code does that routing acts on (database clients, payment
    /// paths, cloud SDK calls), computed once with its classes.
    pub signals: Vec<director_core::Signal>,
    /// Its source language, if any.
    pub language: Option<String>,
    /// The analyzer that reads it, if any, from the same classification as its
    /// classes.
    pub analyzer: Option<AnalyzerKind>,
    /// Binary content: listed, never inlined.
    pub binary: bool,
    /// Larger than the size limit: listed, never inlined.
    pub too_large: bool,
    /// A symlink: listed with its target never read.
    pub is_symlink: bool,
    /// A submodule (or nested repository): listed, never entered.
    pub submodule: bool,
    /// Old and new file mode when they differ, e.g. `(0o100644, 0o100755)`.
    pub mode_change: Option<(u32, u32)>,
    /// Lines added.
    pub added: u32,
    /// Lines removed.
    pub removed: u32,
    /// The diff hunks (empty for reviewed files, binaries and pure renames).
    pub hunks: Vec<Hunk>,
    /// Text at head (working tree or head commit); `None` if deleted, binary, too
    /// large, a symlink or submodule, or a `.env*` file.
    pub content: Option<String>,
    /// Why the content was not loaded, when that is not obvious from the flags.
    pub content_note: Option<String>,
}

impl ChangedFile {
    /// True when line `line` (1-based, at head) was written by the change: every line
    /// of an added file, the `+` lines of a modified one. A modified file whose hunks
    /// were not kept counts as written by the change, since nothing shows otherwise
    /// (fail closed). Whole reviewed files (`paths` tasks) are not a change: nothing
    /// in them was written by one.
    pub fn added_line(&self, line: u32) -> bool {
        match self.status {
            ChangeStatus::Reviewed => false,
            ChangeStatus::Added => true,
            _ if self.hunks.is_empty() => self.added > 0,
            _ => self.hunks.iter().any(|h| {
                h.lines
                    .iter()
                    .any(|l| l.origin == '+' && l.new_lineno == Some(line))
            }),
        }
    }

    /// True for `.env*` files, which are never inlined.
    pub fn is_dotenv(&self) -> bool {
        self.classes.contains(&FileClass::Dotenv) || is_dotenv_path(&self.path)
    }

    /// The record summary of this file.
    pub fn summary(&self) -> ChangedFileSummary {
        ChangedFileSummary {
            path: self.path.clone(),
            old_path: self.old_path.clone(),
            status: self.status,
            classes: self.classes.clone(),
            language: self.language.clone(),
            added: self.added,
            removed: self.removed,
            binary: self.binary,
        }
    }
}

/// One diff hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// First line in the old file.
    pub old_start: u32,
    /// Lines in the old file.
    pub old_lines: u32,
    /// First line in the new file.
    pub new_start: u32,
    /// Lines in the new file.
    pub new_lines: u32,
    /// The `@@ ... @@ context` header line.
    pub header: String,
    /// Its lines.
    pub lines: Vec<HunkLine>,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkLine {
    /// `+` added, `-` removed, ` ` context.
    pub origin: char,
    /// Line number in the old file.
    pub old_lineno: Option<u32>,
    /// Line number in the new file.
    pub new_lineno: Option<u32>,
    /// The text without its line terminator.
    pub text: String,
}

impl ChangeSet {
    /// The record summaries of all files.
    pub fn summaries(&self) -> Vec<ChangedFileSummary> {
        self.files.iter().map(ChangedFile::summary).collect()
    }

    /// Lines added and removed over all files.
    pub fn line_totals(&self) -> (u64, u64) {
        self.files.iter().fold((0, 0), |(a, r), f| {
            (a + u64::from(f.added), r + u64::from(f.removed))
        })
    }

    /// The file with this path, if it changed.
    pub fn file(&self, path: &str) -> Option<&ChangedFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The repository part of the run record.
    pub fn repository_info(&self) -> RepositoryInfo {
        RepositoryInfo {
            root: self.root.display().to_string(),
            mode: self.mode,
            base: self.base.clone(),
            head: self.head.clone(),
            base_commit: self.base_commit.clone(),
            head_commit: self.head_commit.clone(),
        }
    }
}

/// The working-tree root of the git repository containing `start`; `None` outside
/// git or for a bare repository.
pub fn discover_repo_root(start: &Path) -> Option<PathBuf> {
    let repo = Repository::discover(start).ok()?;
    repo.workdir().map(clean_dir)
}

/// True when `rel` (a `/`-separated path under the repository at `repo_root`) is
/// tracked by git: in the index or in the HEAD commit. False outside git.
pub fn is_tracked(repo_root: &Path, rel: &str) -> bool {
    let Ok(repo) = Repository::open(repo_root) else {
        return false;
    };
    let in_index = repo
        .index()
        .is_ok_and(|index| index.get_path(Path::new(rel), 0).is_some());
    let in_head = repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .is_ok_and(|tree| tree.get_path(Path::new(rel)).is_ok());
    in_index || in_head
}

fn clean_dir(p: &Path) -> PathBuf {
    p.components().collect()
}

/// Gather the change described by `request` in the repository (or folder) at
/// `repo_root`.
pub fn gather(repo_root: &Path, request: &ChangeRequest) -> Result<ChangeSet, ContextError> {
    gather_within(repo_root, request, MAX_TOTAL_CONTENT_BYTES)
}

/// [`gather`] with `cap` bytes of content and hunks loaded at most.
fn gather_within(
    repo_root: &Path,
    request: &ChangeRequest,
    cap: u64,
) -> Result<ChangeSet, ContextError> {
    let scope = Scope::new(request.scope)?;
    let mut budget = ContentBudget::new(cap);
    if !request.paths.is_empty() {
        return gather_paths(repo_root, request, &scope, &mut budget);
    }
    let repo = Repository::discover(repo_root).map_err(|source| ContextError::NotARepository {
        path: repo_root.to_path_buf(),
        source,
    })?;
    GitGather::new(&repo, request, &scope).run(&mut budget)
}

/// The repository's default branch: `origin/HEAD`'s target, else `main`, else
/// `master` (local, then `origin/`).
fn default_branch(repo: &Repository) -> Option<(String, Oid)> {
    if let Ok(r) = repo.find_reference("refs/remotes/origin/HEAD")
        && let Ok(resolved) = r.resolve()
        && let Some(oid) = resolved.target()
    {
        let name = resolved
            .shorthand()
            .map(str::to_string)
            .unwrap_or_else(|_| "origin/HEAD".to_string());
        return Some((name, oid));
    }
    for name in ["main", "master", "origin/main", "origin/master"] {
        let full = if name.starts_with("origin/") {
            format!("refs/remotes/{name}")
        } else {
            format!("refs/heads/{name}")
        };
        if let Ok(r) = repo.find_reference(&full)
            && let Ok(resolved) = r.resolve()
            && let Some(oid) = resolved.target()
        {
            return Some((name.to_string(), oid));
        }
    }
    None
}

/// Default base for `head` (a commit, or HEAD for the working tree; `head_spec` is the
/// head ref as given, `None` for the working tree): the merge-base with the default
/// branch; HEAD itself when HEAD is the default branch or there is none.
fn default_base(
    repo: &Repository,
    head: Option<&git2::Commit<'_>>,
    head_spec: Option<&str>,
) -> Option<(String, Oid)> {
    let head = head?;
    let Some((branch, branch_oid)) = default_branch(repo) else {
        return Some(("HEAD".to_string(), head.id()));
    };
    let current = repo
        .head()
        .ok()
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    let branch_short = branch.strip_prefix("origin/").unwrap_or(&branch);
    if head_spec.is_none() && current.as_deref() == Some(branch_short) {
        return Some(("HEAD".to_string(), head.id()));
    }
    let head_name = head_spec.unwrap_or("HEAD");
    match repo.merge_base(head.id(), branch_oid) {
        Ok(mb) => Some((format!("merge-base({head_name}, {branch})"), mb)),
        // Unrelated histories or a shallow clone: compare with the branch tip
        // rather than silently reviewing nothing.
        Err(_) => Some((
            format!("{branch} (no merge-base with {head_name})"),
            branch_oid,
        )),
    }
}

/// The base a change would be compared against — `base` as given, else the default
/// (the merge-base of the head with the default branch) — as `(label, commit id)`;
/// `None` for a repository without commits. The same resolution [`gather`] uses, so
/// a caller can read what the base holds before gathering.
pub fn resolve_base(
    repo_root: &Path,
    base: Option<&str>,
    head: Option<&str>,
) -> Result<Option<(String, String)>, ContextError> {
    let repo = Repository::discover(repo_root).map_err(|source| ContextError::NotARepository {
        path: repo_root.to_path_buf(),
        source,
    })?;
    let resolve = |spec: &str| {
        repo.revparse_single(spec)
            .and_then(|o| o.peel_to_commit())
            .map_err(|source| ContextError::UnknownRef {
                reference: spec.to_string(),
                source,
            })
    };
    if let Some(spec) = base {
        return Ok(Some((spec.to_string(), resolve(spec)?.id().to_string())));
    }
    let head_commit = match head {
        Some(spec) => Some(resolve(spec)?),
        None => repo.head().ok().and_then(|h| h.peel_to_commit().ok()),
    };
    Ok(default_base(&repo, head_commit.as_ref(), head).map(|(l, oid)| (l, oid.to_string())))
}

/// Scope filter: plain entries match the path and everything under it; entries with
/// glob characters match as globs.
struct Scope {
    prefixes: Vec<String>,
    globs: Option<GlobSet>,
}

impl Scope {
    fn new(entries: &[String]) -> Result<Scope, ContextError> {
        let mut prefixes = Vec::new();
        let mut builder = GlobSetBuilder::new();
        let mut any_glob = false;
        for entry in entries {
            let e = normalize_rel(entry);
            if e.contains(['*', '?', '[', '{']) {
                let glob = Glob::new(&e).map_err(|source| ContextError::InvalidScope {
                    glob: entry.clone(),
                    source,
                })?;
                builder.add(glob);
                any_glob = true;
            } else {
                prefixes.push(e);
            }
        }
        let globs = if any_glob {
            Some(
                builder
                    .build()
                    .map_err(|source| ContextError::InvalidScope {
                        glob: entries.join(", "),
                        source,
                    })?,
            )
        } else {
            None
        };
        Ok(Scope { prefixes, globs })
    }

    fn is_empty(&self) -> bool {
        self.prefixes.is_empty() && self.globs.is_none()
    }

    fn matches(&self, path: &str) -> bool {
        if director_core::layout::is_director_path(path) {
            return false;
        }
        if self.is_empty() {
            return true;
        }
        self.prefixes.iter().any(|p| {
            p.is_empty()
                || path == p
                || (path.starts_with(p.as_str()) && path.as_bytes().get(p.len()) == Some(&b'/'))
        }) || self.globs.as_ref().is_some_and(|g| g.is_match(path))
    }
}

/// Path bytes from git as a `/`-separated string (lossy for non-UTF-8 names).
fn git_path(bytes: Option<&[u8]>) -> Option<String> {
    bytes.map(|b| String::from_utf8_lossy(b).into_owned())
}

fn mode_bits(mode: FileMode) -> u32 {
    match mode {
        FileMode::Unreadable => 0,
        FileMode::Tree => 0o040000,
        FileMode::Blob => 0o100644,
        FileMode::BlobGroupWritable => 0o100664,
        FileMode::BlobExecutable => 0o100755,
        FileMode::Link => 0o120000,
        FileMode::Commit => 0o160000,
    }
}

/// What reading a file at head found.
pub(crate) enum HeadText {
    Missing,
    Symlink,
    Submodule,
    TooLarge,
    Binary,
    Text(String),
}

/// Where the head side of the change lives.
enum HeadSide<'r> {
    Workdir {
        root: PathBuf,
        canonical_root: PathBuf,
    },
    Tree(git2::Tree<'r>),
}

impl HeadSide<'_> {
    fn read(&self, repo: &Repository, path: &str, max: u64) -> HeadText {
        match self {
            HeadSide::Workdir {
                root,
                canonical_root,
            } => read_workdir_file(root, canonical_root, path, max),
            HeadSide::Tree(tree) => {
                let Ok(entry) = tree.get_path(Path::new(path)) else {
                    return HeadText::Missing;
                };
                match entry.filemode() {
                    0o120000 => return HeadText::Symlink,
                    0o160000 => return HeadText::Submodule,
                    _ => {}
                }
                let Ok(blob) = entry.to_object(repo).and_then(|o| o.peel_to_blob()) else {
                    return HeadText::Missing;
                };
                if blob.size() as u64 > max {
                    HeadText::TooLarge
                } else if blob.is_binary() || looks_binary(blob.content()) {
                    HeadText::Binary
                } else {
                    HeadText::Text(decode_lossy(blob.content()))
                }
            }
        }
    }

    fn exists(&self, path: &str) -> bool {
        match self {
            HeadSide::Workdir { root, .. } => root.join(path).is_file(),
            HeadSide::Tree(tree) => tree.get_path(Path::new(path)).is_ok(),
        }
    }
}

/// Read a working-tree file without following symlinks anywhere on its path.
pub(crate) fn read_workdir_file(
    root: &Path,
    canonical_root: &Path,
    rel: &str,
    max: u64,
) -> HeadText {
    let full = root.join(rel);
    let Ok(meta) = std::fs::symlink_metadata(&full) else {
        return HeadText::Missing;
    };
    if meta.file_type().is_symlink() {
        return HeadText::Symlink;
    }
    if meta.is_dir() {
        return HeadText::Submodule;
    }
    // FIFOs, sockets and devices have no text to show (and reading a FIFO blocks).
    if !meta.is_file() {
        return HeadText::Missing;
    }
    // A parent folder that is a symlink could lead out of the repository.
    let parent_inside = full
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .is_some_and(|p| p.starts_with(canonical_root));
    if !parent_inside {
        return HeadText::Symlink;
    }
    if meta.len() > max {
        return HeadText::TooLarge;
    }
    read_workdir_bytes(&full)
}

/// A file's text (lossy), or that it is binary or unreadable.
pub(crate) fn read_workdir_bytes(full: &Path) -> HeadText {
    match std::fs::read(full) {
        Ok(bytes) if looks_binary(&bytes) => HeadText::Binary,
        Ok(bytes) => HeadText::Text(decode_lossy(&bytes)),
        Err(_) => HeadText::Missing,
    }
}

/// Finds the Helm chart folder a file belongs to, caching per folder.
struct ChartFinder {
    cache: HashMap<String, bool>,
}

impl ChartFinder {
    fn new() -> ChartFinder {
        ChartFinder {
            cache: HashMap::new(),
        }
    }

    fn chart_dir(&mut self, path: &str, head: &HeadSide<'_>) -> Option<String> {
        let lower = path.to_ascii_lowercase();
        let relevant = lower.ends_with(".yaml")
            || lower.ends_with(".yml")
            || lower.ends_with(".tpl")
            || lower.ends_with(".txt")
            || lower.ends_with(".json");
        if !relevant {
            return None;
        }
        let mut dir = path;
        while let Some(i) = dir.rfind('/') {
            dir = &dir[..i];
            if self.has_chart(dir, head) {
                return Some(dir.to_string());
            }
        }
        self.has_chart("", head).then(String::new)
    }

    fn has_chart(&mut self, dir: &str, head: &HeadSide<'_>) -> bool {
        if let Some(&known) = self.cache.get(dir) {
            return known;
        }
        let chart = if dir.is_empty() {
            "Chart.yaml".to_string()
        } else {
            format!("{dir}/Chart.yaml")
        };
        let found = head.exists(&chart);
        self.cache.insert(dir.to_string(), found);
        found
    }
}

/// Loads content and hunks for files in order until the total cap is reached. Hunks
/// count with their text and their per-line bookkeeping, so a change of huge diffs
/// is held to the same cap as one of huge files.
struct ContentBudget {
    used: u64,
    cap: u64,
}

impl ContentBudget {
    fn new(cap: u64) -> ContentBudget {
        ContentBudget { used: 0, cap }
    }

    fn over_cap(&self) -> String {
        format!(
            "the change holds more than {} of text",
            if self.cap >= 1024 * 1024 {
                format!("{} MiB", self.cap / (1024 * 1024))
            } else {
                format!("{} bytes", self.cap)
            }
        )
    }

    /// Take `cost` bytes if they fit.
    fn take(&mut self, cost: u64) -> bool {
        if self.used.saturating_add(cost) > self.cap {
            return false;
        }
        self.used += cost;
        true
    }

    fn admit(&mut self, text: String) -> (Option<String>, Option<String>) {
        if !self.take(text.len() as u64) {
            return (
                None,
                Some(format!("content not loaded: {}", self.over_cap())),
            );
        }
        (Some(text), None)
    }

    /// Read the hunks of `patch` if they fit; otherwise none and the reason.
    fn admit_hunks(&mut self, patch: &git2::Patch<'_>) -> Result<Option<Vec<Hunk>>, git2::Error> {
        if !self.take(hunks_cost(patch)?) {
            return Ok(None);
        }
        hunks_of(patch).map(Some)
    }
}

/// What the hunks of `patch` cost once read: their text plus a [`Hunk`] per hunk and
/// a [`HunkLine`] per line, computed without reading them.
fn hunks_cost(patch: &git2::Patch<'_>) -> Result<u64, git2::Error> {
    let mut lines = 0u64;
    for h in 0..patch.num_hunks() {
        lines += patch.num_lines_in_hunk(h)? as u64;
    }
    let text = patch.size(true, true, false) as u64;
    let hunks = patch.num_hunks() as u64;
    Ok(text
        + hunks * std::mem::size_of::<Hunk>() as u64
        + lines * std::mem::size_of::<HunkLine>() as u64)
}

struct GitGather<'r, 'a> {
    repo: &'r Repository,
    request: &'a ChangeRequest<'a>,
    scope: &'a Scope,
    root: PathBuf,
    /// Let libgit2 walk the whole working tree (no prefilter): for the tests that
    /// compare the two.
    full_status: bool,
}

impl<'r, 'a> GitGather<'r, 'a> {
    fn new(repo: &'r Repository, request: &'a ChangeRequest<'a>, scope: &'a Scope) -> Self {
        let root = clean_dir(repo.workdir().unwrap_or_else(|| repo.path()));
        GitGather {
            repo,
            request,
            scope,
            root,
            full_status: false,
        }
    }

    fn resolve(&self, spec: &str) -> Result<git2::Commit<'r>, ContextError> {
        self.repo
            .revparse_single(spec)
            .and_then(|o| o.peel_to_commit())
            .map_err(|source| ContextError::UnknownRef {
                reference: spec.to_string(),
                source,
            })
    }

    fn run(self, budget: &mut ContentBudget) -> Result<ChangeSet, ContextError> {
        let git_err = |action: &str| {
            let action = action.to_string();
            move |source| ContextError::Git { action, source }
        };
        // A head ref means a range between two commits; without one, the working
        // tree is compared against a base derived from HEAD.
        let range_head = match self.request.head {
            Some(spec) => Some(self.resolve(spec)?),
            None => None,
        };
        let head_commit = match &range_head {
            Some(c) => Some(c.clone()),
            None => self.repo.head().ok().and_then(|h| h.peel_to_commit().ok()),
        };
        let (base_label, base_commit) = match self.request.base {
            Some(spec) => {
                let c = self.resolve(spec)?;
                (Some(spec.to_string()), Some(c))
            }
            None => match default_base(self.repo, head_commit.as_ref(), self.request.head) {
                Some((label, oid)) => {
                    let c = self
                        .repo
                        .find_commit(oid)
                        .map_err(git_err("read the base commit"))?;
                    (Some(label), Some(c))
                }
                None => (None, None),
            },
        };
        let base_tree = match &base_commit {
            Some(c) => Some(c.tree().map_err(git_err("read the base tree"))?),
            None => None,
        };

        let mut opts = DiffOptions::new();
        opts.include_typechange(true)
            .context_lines(DIFF_CONTEXT_LINES)
            .max_size(i64::try_from(self.request.max_file_bytes).unwrap_or(i64::MAX));
        let (mode, diff, head_side) = match &range_head {
            Some(commit) => {
                let tree = commit.tree().map_err(git_err("read the head tree"))?;
                let diff = self
                    .repo
                    .diff_tree_to_tree(base_tree.as_ref(), Some(&tree), Some(&mut opts))
                    .map_err(git_err("diff the two revisions"))?;
                (ChangeMode::GitRange, diff, HeadSide::Tree(tree))
            }
            None => {
                if self.repo.is_bare() {
                    return Err(ContextError::BareRepository {
                        path: self.root.clone(),
                    });
                }
                opts.include_untracked(true)
                    .recurse_untracked_dirs(true)
                    .show_untracked_content(true);
                let diff = self
                    .workdir_diff(base_tree.as_ref(), &mut opts)
                    .map_err(git_err("diff the working tree"))?;
                let canonical_root = self
                    .root
                    .canonicalize()
                    .unwrap_or_else(|_| self.root.clone());
                (
                    ChangeMode::WorkingTree,
                    diff,
                    HeadSide::Workdir {
                        root: self.root.clone(),
                        canonical_root,
                    },
                )
            }
        };
        // A change the analyzers may read needs the repository scan for cross-file
        // facts: walk it on the other cores while the diff's patches are made here.
        let scan = crate::walk::RepoScan::new(&self.root);
        let analyzable = diff.deltas().any(|d| {
            d.new_file()
                .path()
                .and_then(Path::to_str)
                .is_some_and(crate::walk::may_be_analyzable)
        });
        if analyzable {
            let early = std::sync::Arc::clone(&scan);
            // Without a thread the scan simply happens on first use.
            let _ = std::thread::Builder::new()
                .name("director-scan".into())
                .spawn(move || {
                    early.files();
                });
        }
        let mut diff = diff;
        let mut find = DiffFindOptions::new();
        find.renames(true).for_untracked(true);
        diff.find_similar(Some(&mut find))
            .map_err(git_err("detect renames"))?;

        let mut files = Vec::new();
        let mut charts = ChartFinder::new();
        for idx in 0..diff.deltas().len() {
            let Some(delta) = diff.get_delta(idx) else {
                continue;
            };
            if let Some(file) = self.file_of(&diff, idx, &delta, &head_side, &mut charts, budget)? {
                files.push(file);
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(ChangeSet {
            root: self.root.clone(),
            mode,
            base: base_label,
            head: self.request.head.map(str::to_string),
            base_commit: base_commit.map(|c| c.id().to_string()),
            head_commit: range_head.map(|c| c.id().to_string()),
            files,
            scan,
        })
    }

    /// The base compared with the working tree through the index. On a large
    /// repository the paths that can differ are found first on all cores
    /// ([`crate::status`]) and libgit2 diffs only those; otherwise (or when the
    /// prefilter cannot be sure) libgit2 walks the whole tree.
    fn workdir_diff(
        &self,
        base: Option<&git2::Tree<'_>>,
        opts: &mut DiffOptions,
    ) -> Result<git2::Diff<'r>, git2::Error> {
        if self.full_status {
            return self.repo.diff_tree_to_workdir_with_index(base, Some(opts));
        }
        let index = self.repo.index()?;
        #[cfg(unix)]
        let candidates = crate::status::candidates(self.repo, &index, base, &self.root);
        #[cfg(not(unix))]
        let candidates: Option<Vec<Vec<u8>>> = None;
        match candidates {
            Some(paths) if paths.is_empty() => {
                // Nothing can differ: an empty diff (an empty path list would mean all).
                self.repo.diff_tree_to_tree(None, None, Some(opts))
            }
            Some(paths) => {
                tracing::debug!("working-tree status: {} candidate paths", paths.len());
                for path in paths {
                    opts.pathspec(path);
                }
                opts.disable_pathspec_match(true);
                self.repo.diff_tree_to_workdir_with_index(base, Some(opts))
            }
            None => self.repo.diff_tree_to_workdir_with_index(base, Some(opts)),
        }
    }

    fn file_of(
        &self,
        diff: &git2::Diff<'_>,
        idx: usize,
        delta: &git2::DiffDelta<'_>,
        head: &HeadSide<'r>,
        charts: &mut ChartFinder,
        budget: &mut ContentBudget,
    ) -> Result<Option<ChangedFile>, ContextError> {
        let status = match delta.status() {
            Delta::Added | Delta::Untracked => ChangeStatus::Added,
            Delta::Deleted => ChangeStatus::Deleted,
            Delta::Modified | Delta::Typechange | Delta::Conflicted => ChangeStatus::Modified,
            Delta::Renamed => ChangeStatus::Renamed,
            Delta::Copied => ChangeStatus::Copied,
            Delta::Unmodified | Delta::Ignored | Delta::Unreadable => return Ok(None),
        };
        let old = delta.old_file();
        let new = delta.new_file();
        let old_path_raw = git_path(old.path_bytes());
        let Some(raw_path) = git_path(new.path_bytes()).or_else(|| old_path_raw.clone()) else {
            return Ok(None);
        };
        let path = raw_path.trim_end_matches('/').to_string();
        let in_scope = self.scope.matches(&path)
            || old_path_raw
                .as_deref()
                .is_some_and(|o| self.scope.matches(o));
        if !in_scope {
            return Ok(None);
        }
        let old_path = match status {
            ChangeStatus::Renamed | ChangeStatus::Copied => old_path_raw,
            _ => None,
        };
        let side_mode = if status == ChangeStatus::Deleted {
            old.mode()
        } else {
            new.mode()
        };
        let submodule = side_mode == FileMode::Commit
            || old.mode() == FileMode::Commit && status == ChangeStatus::Deleted
            || raw_path.ends_with('/');
        let is_symlink = side_mode == FileMode::Link;
        let mode_change = (matches!(
            status,
            ChangeStatus::Modified | ChangeStatus::Renamed | ChangeStatus::Copied
        ) && old.mode() != new.mode())
        .then(|| (mode_bits(old.mode()), mode_bits(new.mode())));

        let max = self.request.max_file_bytes;
        let mut hunks = Vec::new();
        let (mut added, mut removed) = (0u32, 0u32);
        let mut binary = false;
        let mut hunks_dropped = false;
        let mut too_large = old.size() > max || new.size() > max;
        if !submodule {
            let patch = git2::Patch::from_diff(diff, idx).map_err(|source| ContextError::Git {
                action: format!("diff `{path}`"),
                source,
            })?;
            match patch {
                Some(patch) => {
                    let d = patch.delta();
                    too_large |= d.old_file().size() > max || d.new_file().size() > max;
                    binary = d.flags().is_binary() && !too_large;
                    if !binary && !too_large {
                        match budget.admit_hunks(&patch) {
                            Ok(Some(read)) => hunks = read,
                            Ok(None) => {
                                hunks_dropped = true;
                                if let Ok((_, plus, minus)) = patch.line_stats() {
                                    added = u32::try_from(plus).unwrap_or(u32::MAX);
                                    removed = u32::try_from(minus).unwrap_or(u32::MAX);
                                }
                            }
                            Err(source) => {
                                return Err(ContextError::Git {
                                    action: format!("read the hunks of `{path}`"),
                                    source,
                                });
                            }
                        }
                    }
                }
                None => {
                    binary = delta.flags().is_binary() && !too_large;
                }
            }
            for h in &hunks {
                for l in &h.lines {
                    match l.origin {
                        '+' => added += 1,
                        '-' => removed += 1,
                        _ => {}
                    }
                }
            }
        }
        let status = if status == ChangeStatus::Modified
            && hunks.is_empty()
            && !hunks_dropped
            && mode_change.is_some()
        {
            ChangeStatus::ModeChanged
        } else {
            status
        };

        let dotenv = is_dotenv_path(&path);
        let mut content = None;
        let mut content_note =
            hunks_dropped.then(|| format!("diff not loaded: {}", budget.over_cap()));
        let mut is_symlink = is_symlink;
        let mut submodule = submodule;
        if status != ChangeStatus::Deleted && !submodule && !is_symlink && !dotenv && !binary {
            match head.read(self.repo, &path, max) {
                HeadText::Text(text) => {
                    let (loaded, note) = budget.admit(text);
                    content = loaded;
                    content_note = content_note.or(note);
                }
                HeadText::Binary => binary = true,
                HeadText::TooLarge => too_large = true,
                HeadText::Symlink => is_symlink = true,
                HeadText::Submodule => submodule = true,
                HeadText::Missing => {}
            }
        }
        if is_symlink || submodule {
            hunks.clear();
        }

        let side = match content {
            Some(_) => None,
            None => side_text(&hunks, status == ChangeStatus::Deleted),
        };
        let sample = content.as_deref().or(side.as_deref());
        let chart = charts.chart_dir(&path, head);
        let Classification {
            classes,
            language,
            analyzer,
        } = classify(&path, sample, chart.as_deref());
        let signals = crate::signals::signals(&path, sample, &classes);
        Ok(Some(ChangedFile {
            path,
            old_path,
            status,
            classes,
            signals,
            language,
            analyzer,
            binary,
            too_large,
            is_symlink,
            submodule,
            mode_change,
            added,
            removed,
            hunks,
            content,
            content_note,
        }))
    }
}

/// The text of one side of the hunks (old side for deletions), for classification
/// of files whose content is not loaded.
fn side_text(hunks: &[Hunk], old_side: bool) -> Option<String> {
    if hunks.is_empty() {
        return None;
    }
    let mut out = String::new();
    for h in hunks {
        for l in &h.lines {
            let keep = if old_side {
                l.origin != '+'
            } else {
                l.origin != '-'
            };
            if keep {
                out.push_str(&l.text);
                out.push('\n');
            }
        }
    }
    Some(out)
}

fn hunks_of(patch: &git2::Patch<'_>) -> Result<Vec<Hunk>, git2::Error> {
    let mut hunks = Vec::with_capacity(patch.num_hunks());
    for h in 0..patch.num_hunks() {
        let (hunk, n) = patch.hunk(h)?;
        let mut lines = Vec::with_capacity(n);
        for i in 0..n {
            let line = patch.line_in_hunk(h, i)?;
            let origin = match line.origin_value() {
                DiffLineType::Addition => '+',
                DiffLineType::Deletion => '-',
                DiffLineType::Context => ' ',
                _ => continue,
            };
            let mut text = decode_lossy(line.content());
            while text.ends_with('\n') || text.ends_with('\r') {
                text.pop();
            }
            lines.push(HunkLine {
                origin,
                old_lineno: line.old_lineno(),
                new_lineno: line.new_lineno(),
                text,
            });
        }
        hunks.push(Hunk {
            old_start: hunk.old_start(),
            old_lines: hunk.old_lines(),
            new_start: hunk.new_start(),
            new_lines: hunk.new_lines(),
            header: decode_lossy(hunk.header()).trim_end().to_string(),
            lines,
        });
    }
    Ok(hunks)
}

/// Review whole files and folders (no git involved).
fn gather_paths(
    root: &Path,
    request: &ChangeRequest,
    scope: &Scope,
    budget: &mut ContentBudget,
) -> Result<ChangeSet, ContextError> {
    let canonical_root = root.canonicalize().map_err(|source| ContextError::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let mut found: BTreeSet<String> = BTreeSet::new();
    for entry in request.paths {
        let rel = normalize_rel(entry);
        let full = if Path::new(&rel).is_absolute() {
            PathBuf::from(&rel)
        } else {
            canonical_root.join(&rel)
        };
        let meta = std::fs::symlink_metadata(&full).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ContextError::PathNotFound {
                    path: entry.clone(),
                    root: canonical_root.clone(),
                }
            } else {
                ContextError::Read {
                    path: full.clone(),
                    source,
                }
            }
        })?;
        // The entry itself may be a symlink (listed, not followed); its folder must
        // lie inside the root.
        let located = if meta.file_type().is_symlink() || rel.is_empty() {
            full.parent()
                .and_then(|p| p.canonicalize().ok())
                .map(|p| match full.file_name() {
                    Some(name) if !rel.is_empty() => p.join(name),
                    _ => canonical_root.clone(),
                })
        } else {
            full.canonicalize().ok()
        };
        let Some(located) = located.filter(|p| p.starts_with(&canonical_root)) else {
            return Err(ContextError::PathOutsideRoot {
                path: entry.clone(),
                root: canonical_root.clone(),
            });
        };
        if meta.is_dir() {
            walk_dir(&located, &canonical_root, &mut found)?;
        } else if let Ok(r) = located.strip_prefix(&canonical_root) {
            found.insert(rel_path_string(r));
        }
    }

    let mut files = Vec::new();
    let max = request.max_file_bytes;
    for rel in found.into_iter().filter(|p| scope.matches(p)) {
        let mut file = ChangedFile {
            path: rel.clone(),
            old_path: None,
            status: ChangeStatus::Reviewed,
            classes: Vec::new(),
            signals: Vec::new(),
            language: None,
            analyzer: None,
            binary: false,
            too_large: false,
            is_symlink: false,
            submodule: false,
            mode_change: None,
            added: 0,
            removed: 0,
            hunks: Vec::new(),
            content: None,
            content_note: None,
        };
        if !is_dotenv_path(&rel) {
            match read_workdir_file(&canonical_root, &canonical_root, &rel, max) {
                HeadText::Text(text) => (file.content, file.content_note) = budget.admit(text),
                HeadText::Binary => file.binary = true,
                HeadText::TooLarge => file.too_large = true,
                HeadText::Symlink => file.is_symlink = true,
                HeadText::Submodule => file.submodule = true,
                HeadText::Missing => {}
            }
        }
        let c = classify(&rel, file.content.as_deref(), None);
        file.signals = crate::signals::signals(&rel, file.content.as_deref(), &c.classes);
        file.classes = c.classes;
        file.language = c.language;
        file.analyzer = c.analyzer;
        files.push(file);
    }
    Ok(ChangeSet {
        scan: crate::walk::RepoScan::new(&canonical_root),
        root: canonical_root,
        mode: ChangeMode::Paths,
        base: None,
        head: None,
        base_commit: None,
        head_commit: None,
        files,
    })
}

/// Walk a folder honouring `.gitignore` (also outside git), without following
/// symlinks and without entering `.git`.
fn walk_dir(dir: &Path, root: &Path, found: &mut BTreeSet<String>) -> Result<(), ContextError> {
    for entry in repo_walker(dir).build() {
        let entry = entry.map_err(|e| ContextError::Read {
            path: dir.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let Some(ft) = entry.file_type() else {
            continue;
        };
        if ft.is_dir() {
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(root) {
            found.insert(rel_path_string(rel));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Add every file of the working tree to the index and commit it as HEAD.
    fn commit_all(repo: &Repository, add: git2::IndexAddOption) {
        let mut index = repo.index().unwrap();
        index.add_all(["*"], add, None).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("Test", "test@example.com").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "base", &tree, &[])
            .unwrap();
    }

    /// A repository with `files` committed files of `lines` lines each, every line
    /// then rewritten in the working tree.
    fn rewritten_repo(files: usize, lines: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let write = |tag: &str| {
            for f in 0..files {
                let text: String = (0..lines).map(|l| format!("{tag} {f} {l}\n")).collect();
                std::fs::write(dir.path().join(format!("f{f}.txt")), text).unwrap();
            }
        };
        write("old");
        commit_all(&repo, git2::IndexAddOption::DEFAULT);
        write("new");
        dir
    }

    fn hunk_bytes(f: &ChangedFile) -> u64 {
        f.hunks
            .iter()
            .map(|h| {
                (h.header.len() + std::mem::size_of::<Hunk>()) as u64
                    + h.lines
                        .iter()
                        .map(|l| (l.text.len() + std::mem::size_of::<HunkLine>()) as u64)
                        .sum::<u64>()
            })
            .sum()
    }

    #[test]
    fn hunks_count_against_the_content_cap() {
        let dir = rewritten_repo(8, 200);
        let request = ChangeRequest::default();
        let all = gather(dir.path(), &request).unwrap();
        assert_eq!(all.files.len(), 8);
        for f in &all.files {
            assert!(!f.hunks.is_empty() && f.content.is_some(), "{f:?}");
        }
        let one_file: u64 = hunk_bytes(&all.files[0]) + 200 * 12;

        let cap = one_file * 3;
        let capped = gather_within(dir.path(), &request, cap).unwrap();
        let loaded: u64 = capped
            .files
            .iter()
            .map(|f| hunk_bytes(f) + f.content.as_ref().map_or(0, |c| c.len() as u64))
            .sum();
        assert!(loaded <= cap, "{loaded} bytes loaded under a cap of {cap}");
        let dropped: Vec<&ChangedFile> =
            capped.files.iter().filter(|f| f.hunks.is_empty()).collect();
        assert!(
            dropped.len() >= 4,
            "{} files lost their hunks",
            dropped.len()
        );
        for f in dropped {
            // Listed, counted and explained even without their diff.
            assert_eq!((f.added, f.removed), (200, 200), "{}", f.path);
            assert_eq!(f.status, ChangeStatus::Modified);
            let note = f.content_note.as_deref().unwrap_or_default();
            assert!(
                note.starts_with("diff not loaded: the change holds more than"),
                "{note}"
            );
            assert!(
                f.added_line(1),
                "a file without hunks counts as written by the change"
            );
        }
    }

    #[cfg(unix)]
    /// A committed repository of `files` small files in 40 folders (more than the
    /// status prefilter's minimum), their times set in the past so no entry is racily
    /// clean, plus a `.gitignore`d folder holding one tracked file.
    fn large_repo(files: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let repo = Repository::init(root).unwrap();
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(past).unwrap();
        };
        for i in 0..files {
            write(
                &format!("d{}/f{i}.txt", i % 40),
                &format!("file {i}\nline two\n"),
            );
        }
        write(".gitignore", "ignored/\n*.log\n");
        write("ignored/tracked.txt", "tracked although ignored\n");
        commit_all(&repo, git2::IndexAddOption::FORCE);
        dir
    }

    #[cfg(unix)]
    /// The working-tree change gathered with the status prefilter and with libgit2's
    /// full walk, as comparable text.
    fn prefiltered_and_full(root: &Path) -> (String, String) {
        let repo = Repository::open(root).unwrap();
        let request = ChangeRequest::default();
        let scope = Scope::new(&[]).unwrap();
        let run = |full_status: bool| {
            let mut gather = GitGather::new(&repo, &request, &scope);
            gather.full_status = full_status;
            let set = gather
                .run(&mut ContentBudget::new(MAX_TOTAL_CONTENT_BYTES))
                .unwrap();
            format!("{:#?}", set.files)
        };
        (run(false), run(true))
    }

    #[cfg(unix)]
    fn status_candidates(root: &Path) -> Option<Vec<String>> {
        let repo = Repository::open(root).unwrap();
        let index = repo.index().unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        crate::status::candidates(&repo, &index, Some(&head), root).map(|paths| {
            paths
                .into_iter()
                .map(|p| String::from_utf8(p).unwrap())
                .collect()
        })
    }

    #[cfg(unix)]
    #[test]
    fn the_status_prefilter_narrows_an_unchanged_tree_to_nothing() {
        let dir = large_repo(2_400);
        assert_eq!(status_candidates(dir.path()), Some(Vec::new()));
        let (prefiltered, full) = prefiltered_and_full(dir.path());
        assert_eq!(prefiltered, "[]");
        assert_eq!(prefiltered, full);
    }

    #[cfg(unix)]
    #[test]
    fn the_status_prefilter_reports_what_the_full_walk_reports() {
        let dir = large_repo(2_400);
        let root = dir.path();
        let repo = Repository::open(root).unwrap();
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        // Same size, and the old mtime put back: only ctime and the content differ.
        std::fs::write(root.join("d1/f1.txt"), "FILE 1\nline two\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(root.join("d1/f1.txt"))
            .unwrap()
            .set_modified(past)
            .unwrap();
        // Grown, deleted, a deleted folder, a renamed file.
        std::fs::write(root.join("d2/f2.txt"), "file 2\nline two\nline three\n").unwrap();
        std::fs::remove_file(root.join("d3/f3.txt")).unwrap();
        std::fs::remove_dir_all(root.join("d4")).unwrap();
        std::fs::rename(root.join("d5/f5.txt"), root.join("d6/renamed.txt")).unwrap();
        // Untracked: a file beside tracked ones, a new folder tree, a task file.
        std::fs::write(root.join("d7/new.txt"), "new\n").unwrap();
        std::fs::create_dir_all(root.join("fresh/deeper")).unwrap();
        std::fs::write(root.join("fresh/deeper/x.txt"), "x\n").unwrap();
        std::fs::create_dir_all(root.join(".director/tasks")).unwrap();
        std::fs::write(root.join(".director/tasks/t.toml"), "id = \"t\"\n").unwrap();
        // Ignored: a new file in the ignored folder, a log beside tracked files; and
        // the tracked file inside the ignored folder modified.
        std::fs::write(root.join("ignored/new.txt"), "ignored\n").unwrap();
        std::fs::write(root.join("d8/debug.log"), "log\n").unwrap();
        std::fs::write(root.join("ignored/tracked.txt"), "changed\n").unwrap();
        // Type changes: a file becomes a symlink, a folder a file, a file a folder;
        // the executable bit; an untracked symlink.
        std::fs::remove_file(root.join("d9/f9.txt")).unwrap();
        std::os::unix::fs::symlink("f49.txt", root.join("d9/f9.txt")).unwrap();
        std::fs::remove_dir_all(root.join("d10")).unwrap();
        std::fs::write(root.join("d10"), "now a file\n").unwrap();
        std::fs::remove_file(root.join("d11/f11.txt")).unwrap();
        std::fs::create_dir_all(root.join("d11/f11.txt")).unwrap();
        std::fs::write(root.join("d11/f11.txt/inner.txt"), "inner\n").unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            let path = root.join("d12/f12.txt");
            let mut perms = std::fs::metadata(&path).unwrap().permissions();
            perms.set_mode(0o755);
            std::fs::set_permissions(&path, perms).unwrap();
        }
        std::os::unix::fs::symlink("d13", root.join("link-to-d13")).unwrap();
        // A tracked folder replaced by a symlink to a copy of it (same names, same
        // sizes): its files are reached only through the link.
        std::fs::remove_dir_all(root.join("d17")).unwrap();
        std::fs::create_dir_all(root.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink("elsewhere", root.join("d17")).unwrap();
        for i in (17..2_400).step_by(40) {
            std::fs::write(
                root.join(format!("elsewhere/f{i}.txt")),
                format!("file {i}\nline two\n"),
            )
            .unwrap();
        }
        // Staged: a change added to the index, then the working tree put back; a new
        // file staged; a staged deletion.
        std::fs::write(root.join("d14/f14.txt"), "staged\n").unwrap();
        std::fs::write(root.join("d15/staged-new.txt"), "staged new\n").unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("d14/f14.txt")).unwrap();
        index.add_path(Path::new("d15/staged-new.txt")).unwrap();
        index.remove_path(Path::new("d16/f16.txt")).unwrap();
        index.write().unwrap();
        std::fs::write(root.join("d14/f14.txt"), "file 14\nline two\n").unwrap();

        let candidates = status_candidates(root).expect("the prefilter applies");
        // The changed paths (three folders of 60 files gone among them), not the 2,400.
        assert!(candidates.len() < 300, "{candidates:?}");
        for path in [
            "d1/f1.txt",
            "d3/f3.txt",
            "d6/renamed.txt",
            "fresh",
            "d10",
            "d16/f16.txt",
        ] {
            assert!(
                candidates.iter().any(|c| c == path),
                "{path} in {candidates:?}"
            );
        }
        let (prefiltered, full) = prefiltered_and_full(root);
        assert_eq!(prefiltered, full);
        for path in [
            "d1/f1.txt",
            "d2/f2.txt",
            "d3/f3.txt",
            "d4/f4.txt",
            "d6/renamed.txt",
            "d7/new.txt",
            "fresh/deeper/x.txt",
            "ignored/tracked.txt",
            "d9/f9.txt",
            "d10",
            "d11/f11.txt/inner.txt",
            "d12/f12.txt",
            "link-to-d13",
            "d17",
            // Renamed: the copy holds the same text.
            "elsewhere/f17.txt",
            "d15/staged-new.txt",
            "d16/f16.txt",
        ] {
            assert!(
                full.contains(&format!("path: \"{path}\"")),
                "{path} in {full}"
            );
        }
        for path in ["ignored/new.txt", "d8/debug.log", ".director/tasks/t.toml"] {
            assert!(
                !full.contains(&format!("path: \"{path}\"")),
                "{path} in {full}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_status_prefilter_stands_aside_when_it_cannot_help() {
        // A small index: libgit2's walk is as fast.
        let small = large_repo(100);
        assert_eq!(status_candidates(small.path()), None);
        // A change touching more than a quarter of the files.
        let dir = large_repo(2_400);
        for i in 0..700 {
            std::fs::write(dir.path().join(format!("d{}/f{i}.txt", i % 40)), "x\n").unwrap();
        }
        assert_eq!(status_candidates(dir.path()), None);
        let (prefiltered, full) = prefiltered_and_full(dir.path());
        assert_eq!(prefiltered, full);
    }

    #[test]
    fn director_state_is_never_part_of_a_change() {
        // Records, cache, tasks and policy alike: policy edits are reported by the
        // trust check, not reviewed as code (see director_core::layout).
        let all = Scope::new(&[]).unwrap();
        assert!(!all.matches(".director/runs/t/1.json"));
        assert!(!all.matches("svc/.director/cache/ab.json"));
        assert!(!all.matches(".director/sessions/abc-123.json"));
        assert!(!all.matches(".director/config.toml"));
        assert!(!all.matches(".director/tasks/t.toml"));
        assert!(all.matches("src/runs/cache/x.rs"));
        assert!(all.matches("my.director/runs/x"));
    }

    #[test]
    fn scope_matching() {
        let s = Scope::new(&["infra".into(), "**/*.yaml".into()]).unwrap();
        assert!(s.matches("infra/main.tf"));
        assert!(s.matches("infra"));
        assert!(!s.matches("infrastructure/x.tf"));
        assert!(s.matches("k8s/app/deploy.yaml"));
        assert!(!s.matches("src/main.rs"));
        assert!(Scope::new(&[]).unwrap().matches("anything"));
        assert!(Scope::new(&["[".into()]).is_err());
    }

    #[test]
    fn side_text_picks_a_side() {
        let hunks = vec![Hunk {
            old_start: 1,
            old_lines: 1,
            new_start: 1,
            new_lines: 1,
            header: String::new(),
            lines: vec![
                HunkLine {
                    origin: '-',
                    old_lineno: Some(1),
                    new_lineno: None,
                    text: "old".into(),
                },
                HunkLine {
                    origin: '+',
                    old_lineno: None,
                    new_lineno: Some(1),
                    text: "new".into(),
                },
            ],
        }];
        assert_eq!(side_text(&hunks, true).as_deref(), Some("old\n"));
        assert_eq!(side_text(&hunks, false).as_deref(), Some("new\n"));
        assert_eq!(side_text(&[], false), None);
    }
}

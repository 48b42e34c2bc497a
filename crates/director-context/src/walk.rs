//! The one way the workspace walks a repository: changed folders of a `paths` task,
//! related-file discovery, the `grep` tool, the scan for cross-file analyzer facts and
//! the Helm chart index all start from [`repo_walker`], so they all see the same files.
//!
//! Hidden-file policy: hidden files and folders are walked. Infrastructure review needs
//! them (`.github/workflows/`, `.gitlab-ci.yml`, `.circleci/`, `.terraform.lock.hcl`,
//! `.helmignore`), and `.gitignore` already says what a repository does not hold. Two
//! hidden folders are never entered: `.git/` (git's own store, not the repository's
//! content) and `.director/` (director's own policy, tasks, records and sessions, which
//! are not part of any change under review and may hold earlier runs' output).

use crate::changes::{HeadText, read_workdir_bytes};
use crate::text::{is_dotenv_path, rel_path_string};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Files a scan lists at most; of a larger repository, this many are listed (which
/// ones is unspecified: the walk is parallel).
const MAX_SCAN_FILES: usize = 500_000;
/// The largest file a scan reads (the largest any of its readers wants).
const MAX_TEXT_BYTES: u64 = 512 * 1024;

/// A walk of `dir` with the workspace's one configuration: `.gitignore` honoured (also
/// outside git, but not the user's global ignore file), hidden files included,
/// symlinks not followed, `.git/` and `.director/` never entered. Callers add their
/// own limits (`max_filesize`, sorting) to the builder.
pub fn repo_walker(dir: &Path) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(dir);
    builder
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .follow_links(false)
        .filter_entry(|e| !never_walked(&e.file_name().to_string_lossy()));
    builder
}

/// One scan of a repository per run, shared by everything that looks beyond the
/// change: related-file discovery (Kubernetes selectors, in the shared context and in
/// every part of a Director's sub-reviews), the analyzers' cross-file facts, and the
/// Helm chart index. The walk ([`repo_walker`]) happens on first use, or in the
/// background as soon as the change is known to hold a file an analyzer may read
/// ([`may_be_analyzable`]) — a run that never looks beyond its change never walks — and
/// each file's text is read once, then handed out to every reader.
pub struct RepoScan {
    root: PathBuf,
    canonical: PathBuf,
    files: OnceLock<Vec<String>>,
    texts: Mutex<HashMap<String, Option<Arc<str>>>>,
    /// Folders (repository-relative) known to stay inside the repository.
    folders: Mutex<HashMap<String, bool>>,
}

impl std::fmt::Debug for RepoScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoScan")
            .field("root", &self.root)
            .field("files", &self.files.get().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl RepoScan {
    /// A scan of `root` (nothing is read until it is asked for).
    pub fn new(root: &Path) -> Arc<RepoScan> {
        let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        Arc::new(RepoScan {
            root: root.to_path_buf(),
            canonical,
            files: OnceLock::new(),
            texts: Mutex::new(HashMap::new()),
            folders: Mutex::new(HashMap::new()),
        })
    }

    /// The folder scanned.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The repository's files (repository-relative, `/`-separated, sorted), regular
    /// files only. Walked on all cores (the walk is the scan's cost: a directory read
    /// and a file type per entry), then sorted once.
    pub fn files(&self) -> &[String] {
        self.files.get_or_init(|| {
            let lists = Mutex::new(Vec::new());
            let listed = AtomicUsize::new(0);
            repo_walker(&self.root)
                .build_parallel()
                .visit(&mut ScanVisitors {
                    root: &self.root,
                    listed: &listed,
                    lists: &lists,
                });
            if listed.load(Ordering::Relaxed) > MAX_SCAN_FILES {
                tracing::debug!(
                    "repository scan stopped at {MAX_SCAN_FILES} files under {}",
                    self.root.display()
                );
            }
            let lists = lists.into_inner().unwrap_or_else(|e| e.into_inner());
            let mut out: Vec<String> = lists.into_iter().flatten().collect();
            // One sort of the paths is cheaper than the walk's per-folder sorting.
            out.sort_unstable();
            out
        })
    }

    /// The text of the repository file `rel` when it is a regular text file of at
    /// most `max` bytes inside the repository (symlinks are not followed; `.env`
    /// files are never read). Read once per scan.
    pub fn text(&self, rel: &str, max: u64) -> Option<Arc<str>> {
        if is_dotenv_path(rel) {
            return None;
        }
        let cached = self.texts.lock().ok().and_then(|m| m.get(rel).cloned());
        let text = match cached {
            Some(text) => text,
            None => {
                let text = self.read_text(rel).map(Arc::<str>::from);
                if let Ok(mut m) = self.texts.lock() {
                    m.insert(rel.to_string(), text.clone());
                }
                text
            }
        };
        // Lossy decoding can make the text longer than the file.
        text.filter(|t| t.len() as u64 <= max)
    }

    /// A regular text file of the repository (not a symlink, in a folder that stays
    /// inside the repository once symlinks are resolved — checked once per folder).
    fn read_text(&self, rel: &str) -> Option<String> {
        let full = self.root.join(rel);
        let meta = std::fs::symlink_metadata(&full).ok()?;
        if !meta.file_type().is_file() || meta.len() > MAX_TEXT_BYTES {
            return None;
        }
        let parent = rel.rsplit_once('/').map_or("", |(dir, _)| dir);
        let known = self
            .folders
            .lock()
            .ok()
            .and_then(|m| m.get(parent).copied());
        let inside = match known {
            Some(inside) => inside,
            None => {
                let inside = full
                    .parent()
                    .and_then(|p| p.canonicalize().ok())
                    .is_some_and(|p| p.starts_with(&self.canonical));
                if let Ok(mut m) = self.folders.lock() {
                    m.insert(parent.to_string(), inside);
                }
                inside
            }
        };
        if !inside {
            return None;
        }
        match read_workdir_bytes(&full) {
            HeadText::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// The scan's walkers: each thread lists the regular files it meets in its own list,
/// handed over when the walk is done (no lock per file).
#[derive(Clone, Copy)]
struct ScanVisitors<'s> {
    root: &'s Path,
    listed: &'s AtomicUsize,
    lists: &'s Mutex<Vec<Vec<String>>>,
}

impl<'s> ignore::ParallelVisitorBuilder<'s> for ScanVisitors<'s> {
    fn build(&mut self) -> Box<dyn ignore::ParallelVisitor + 's> {
        Box::new(ScanVisitor {
            shared: *self,
            found: Vec::new(),
        })
    }
}

/// One thread's walker: what all share, and its own list.
struct ScanVisitor<'s> {
    shared: ScanVisitors<'s>,
    found: Vec<String>,
}

impl ignore::ParallelVisitor for ScanVisitor<'_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> ignore::WalkState {
        let Ok(entry) = entry else {
            return ignore::WalkState::Continue;
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            return ignore::WalkState::Continue;
        }
        let Some(rel) = rel_under(self.shared.root, entry.path()) else {
            return ignore::WalkState::Continue;
        };
        if self.shared.listed.fetch_add(1, Ordering::Relaxed) >= MAX_SCAN_FILES {
            return ignore::WalkState::Quit;
        }
        self.found.push(rel);
        ignore::WalkState::Continue
    }
}

impl Drop for ScanVisitor<'_> {
    fn drop(&mut self) {
        let found = std::mem::take(&mut self.found);
        if let Ok(mut lists) = self.shared.lists.lock() {
            lists.push(found);
        }
    }
}

/// `path` (a walk of `root` joined it) relative to `root`, `/`-separated. On Unix the
/// walk's own bytes are kept when they are UTF-8 (the common case, no per-component
/// work); anything else goes through [`rel_path_string`].
fn rel_under(root: &Path, path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let root = root.as_os_str().as_bytes();
        let fast = path
            .as_os_str()
            .as_bytes()
            .strip_prefix(root)
            .and_then(|rest| {
                if root.ends_with(b"/") {
                    Some(rest)
                } else {
                    rest.strip_prefix(b"/")
                }
            })
            .filter(|rest| {
                !rest.is_empty()
                    && !rest.starts_with(b"/")
                    && !rest.ends_with(b"/")
                    && !rest.windows(2).any(|w| w == b"//")
                    && !rest.split(|&b| b == b'/').any(|c| c == b"." || c == b"..")
            })
            .and_then(|rest| std::str::from_utf8(rest).ok());
        if let Some(text) = fast {
            return Some(text.to_string());
        }
    }
    Some(rel_path_string(path.strip_prefix(root).ok()?))
}

/// Whether an analyzer may understand the file at `path` (by name: Terraform, YAML
/// and JSON manifests, Dockerfiles; the content decides the rest). A change holding
/// one needs the repository scan for cross-file facts, so the scan starts early.
pub fn may_be_analyzable(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    let ext = Path::new(&name).extension().and_then(|e| e.to_str());
    matches!(ext, Some("tf" | "tfvars" | "yaml" | "yml" | "json"))
        || name.starts_with("dockerfile")
        || name.ends_with(".dockerfile")
        || name == "containerfile"
}

/// Folders no walk enters, by name.
fn never_walked(name: &str) -> bool {
    name == ".git" || name == director_core::layout::DIR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyzable_names() {
        for path in [
            "main.tf",
            "env/prod.tfvars",
            "k8s/Deploy.YAML",
            "a/b.yml",
            "chart/values.json",
            "Dockerfile",
            "svc/dockerfile.prod",
            "svc/api.Dockerfile",
            "Containerfile",
            "ops/CONTAINERFILE",
            "ci/Build.DockerFile",
            "k8s/über.Yml",
        ] {
            assert!(may_be_analyzable(path), "{path}");
        }
        for path in [
            "src/main.rs",
            "README.md",
            ".yaml",
            "tf",
            "docs/yaml.txt",
            "docker",
            "a.tf.bak",
            "Containerfile.old",
        ] {
            assert!(!may_be_analyzable(path), "{path}");
        }
    }

    #[test]
    fn a_walked_path_relative_to_its_root_is_what_the_component_rule_gives() {
        let component_rule =
            |root: &str, path: &str| Path::new(path).strip_prefix(root).ok().map(rel_path_string);
        for (root, path) in [
            ("/x/repo", "/x/repo/a/main.tf"),
            ("/x/repo/", "/x/repo/a/main.tf"),
            ("repo", "repo/.github/workflows/ci.yml"),
            ("/x/repo", "/x/repo/é/ü.yaml"),
            ("/x/repo", "/x/repository/a.tf"),
            ("/x/repo", "/x/repo"),
            ("/x/repo", "/x/repo/./a.tf"),
            ("/x/repo", "/x/repo//a.tf"),
            (".", "./a/b.tf"),
        ] {
            assert_eq!(
                rel_under(Path::new(root), Path::new(path)),
                component_rule(root, path),
                "{root} {path}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_non_utf8_name_is_made_lossy_like_everywhere_else() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/r/dir/\xff.tf"));
        assert_eq!(
            rel_under(Path::new("/r"), path).as_deref(),
            Some("dir/\u{fffd}.tf")
        );
    }

    #[test]
    fn a_scan_lists_the_walks_files_and_reads_each_text_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for (p, text) in [
            ("b/svc.yaml", "kind: Service\n"),
            ("a/main.tf", "resource \"x\" \"y\" {}\n"),
            (".env", "SECRET=1\n"),
            (".git/config", "x"),
            ("ignored/x.yaml", "x"),
        ] {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
        }
        std::fs::write(root.join(".gitignore"), "ignored/\n").expect("write");
        let scan = RepoScan::new(root);
        assert_eq!(
            scan.files(),
            [".env", ".gitignore", "a/main.tf", "b/svc.yaml"]
        );
        let first = scan.text("b/svc.yaml", 1024).expect("text");
        // The second reader gets the same text without reading the file again.
        std::fs::write(root.join("b/svc.yaml"), "changed").expect("write");
        let second = scan.text("b/svc.yaml", 1024).expect("text");
        assert!(Arc::ptr_eq(&first, &second));
        // A reader's own size limit still applies; `.env` is never read.
        assert!(scan.text("b/svc.yaml", 4).is_none());
        assert!(scan.text(".env", 1024).is_none());
        assert!(scan.text("missing.tf", 1024).is_none());
    }

    #[test]
    fn hidden_files_are_walked_but_not_git_or_director() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for p in [
            ".github/workflows/ci.yml",
            ".gitlab-ci.yml",
            ".git/config",
            ".director/runs/r.json",
            "sub/.director/tasks/t.toml",
            "src/main.rs",
            "ignored/x.txt",
        ] {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, "x").expect("write");
        }
        std::fs::write(root.join(".gitignore"), "ignored/\n").expect("write");
        let mut seen: Vec<String> = repo_walker(root)
            .build()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .filter_map(|e| {
                let rel = e.path().strip_prefix(root).ok()?;
                Some(crate::text::rel_path_string(rel))
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                ".github/workflows/ci.yml",
                ".gitignore",
                ".gitlab-ci.yml",
                "src/main.rs"
            ]
        );
    }
}

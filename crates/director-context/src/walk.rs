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

use std::path::Path;

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

/// Folders no walk enters, by name.
fn never_walked(name: &str) -> bool {
    name == ".git" || name == director_core::layout::DIR
}

#[cfg(test)]
mod tests {
    use super::*;

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

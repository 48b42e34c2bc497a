//! Eval suites on disk, and each case made into a real git repository.
//!
//! ```text
//! SUITE/cases/<case>/
//!   task.toml        the task, in the `.director/tasks/<id>.toml` format
//!   expected.toml    decision, optional Directors expected to run, expected findings
//!   base/            the tree at the base commit (optional: without it the base is empty)
//!   head/            the tree at the head commit (what the agent handed in)
//!   cassette.jsonl   stored provider answers (optional)
//! ```
//!
//! A case is materialised into a fresh repository named after the case, with a
//! `base` and a `head` branch committed at a fixed date by a fixed author, so commit
//! ids, the packed context and therefore cassette keys are the same on every run and
//! machine. The working tree holds `head/`. A task with `paths` is reviewed in
//! paths mode instead (whole files, no git change).

use super::score::{Expectation, ExpectedFinding};
use crate::error::Error;
use director_core::{Decision, Task};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A suite: a folder whose `cases/` holds one folder per case.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The suite folder.
    pub root: PathBuf,
    /// The cases, by folder name.
    pub cases: Vec<Case>,
}

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Folder name.
    pub name: String,
    /// The case folder.
    pub dir: PathBuf,
    /// The task.
    pub task: Task,
    /// The expected outcome.
    pub expected: Expected,
}

impl Case {
    /// `cassette.jsonl` in the case folder.
    pub fn cassette_path(&self) -> PathBuf {
        self.dir.join("cassette.jsonl")
    }
}

/// The expected outcome of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The decision the gate should reach.
    pub decision: Decision,
    /// The Directors that should review (ran or failed), when the case checks routing.
    pub directors: Option<Vec<String>>,
    /// The findings.
    pub findings: Vec<ExpectedFinding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFile {
    decision: Decision,
    #[serde(default)]
    directors: Option<Vec<String>>,
    #[serde(default)]
    finding: Vec<FindingFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingFile {
    category: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    lines: Option<[u32; 2]>,
    #[serde(default)]
    expect: Expectation,
    #[serde(default)]
    director: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

impl Suite {
    /// Read every case under `root/cases/`, sorted by name.
    pub fn load(root: &Path) -> Result<Suite, Error> {
        let cases_dir = root.join("cases");
        let listing = std::fs::read_dir(&cases_dir).map_err(|e| Error::Input {
            message: format!("`{}` is not an eval suite ({e})", root.display()),
            hint: "a suite is a folder with cases/<case>/{task.toml,expected.toml,head/}; see docs/evals.md".into(),
        })?;
        let mut dirs: Vec<PathBuf> = listing
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        if dirs.is_empty() {
            return Err(Error::Input {
                message: format!("suite `{}` has no cases", root.display()),
                hint: "add a folder under cases/ with task.toml, expected.toml and head/".into(),
            });
        }
        let cases = dirs
            .iter()
            .map(|d| Case::load(d))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Suite {
            root: root.to_path_buf(),
            cases,
        })
    }
}

impl Case {
    /// Read one case folder.
    pub fn load(dir: &Path) -> Result<Case, Error> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let task_path = dir.join("task.toml");
        let text = read(&task_path)?;
        let task = director_context::parse_task_toml(&text, &task_path.display().to_string())?;
        task.validate().map_err(|e| Error::Input {
            message: format!("case `{name}`: {e}"),
            hint: format!("fix {}", task_path.display()),
        })?;
        if !dir.join("head").is_dir() {
            return Err(Error::Input {
                message: format!("case `{name}` has no head/ folder"),
                hint: "put the files as the agent left them under head/ (and the earlier state under base/)".into(),
            });
        }
        let expected = parse_expected(&dir.join("expected.toml"))?;
        Ok(Case {
            name,
            dir: dir.to_path_buf(),
            task,
            expected,
        })
    }

    /// Make the case a git repository at `parent/<case>`; returns its root.
    pub fn materialize(&self, parent: &Path) -> Result<PathBuf, Error> {
        let root = parent.join(&self.name);
        std::fs::create_dir_all(&root).map_err(|e| Error::io("create", &root, e))?;
        let repo = git2::Repository::init(&root).map_err(|e| git_error(&root, &e))?;
        let base_dir = self.dir.join("base");
        if base_dir.is_dir() {
            copy_tree(&base_dir, &root)?;
        }
        let base = commit(&repo, &root, "base", None)?;
        clear_worktree(&root)?;
        copy_tree(&self.dir.join("head"), &root)?;
        let head = commit(&repo, &root, "head", Some(base))?;
        for (name, oid) in [("base", base), ("head", head)] {
            repo.reference(&format!("refs/heads/{name}"), oid, true, "director eval")
                .map_err(|e| git_error(&root, &e))?;
        }
        repo.set_head("refs/heads/head")
            .map_err(|e| git_error(&root, &e))?;
        Ok(root)
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))
}

fn parse_expected(path: &Path) -> Result<Expected, Error> {
    let text = read(path)?;
    let bad = |message: String| {
        Error::Input {
        message: format!("`{}`: {message}", path.display()),
        hint: "expected.toml holds `decision`, optional `directors` and [[finding]] tables (category, path, lines = [start, end], expect = \"must\"|\"may\"); see docs/evals.md".into(),
    }
    };
    let file: ExpectedFile = toml::from_str(&text).map_err(|e| bad(e.message().to_string()))?;
    let mut findings = Vec::new();
    for (i, f) in file.finding.into_iter().enumerate() {
        if let Some([start, end]) = f.lines
            && (start == 0 || end < start)
        {
            return Err(bad(format!(
                "finding {}: lines [{start}, {end}] must be 1-based with start <= end",
                i + 1
            )));
        }
        if f.lines.is_some() && f.path.is_none() {
            return Err(bad(format!("finding {}: `lines` needs a `path`", i + 1)));
        }
        findings.push(ExpectedFinding {
            category: director_core::fingerprint::normalize_category(&f.category),
            path: f.path,
            lines: f.lines.map(|[s, e]| (s, e)),
            expect: f.expect,
            director: f.director,
            note: f.note,
        });
    }
    Ok(Expected {
        decision: file.decision,
        directors: file.directors,
        findings,
    })
}

fn git_error(root: &Path, e: &git2::Error) -> Error {
    Error::Internal(format!(
        "failed to build the case repository at {}: {}",
        root.display(),
        e.message()
    ))
}

/// Copy the files under `from` into `to`, keeping relative paths.
fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(from).map_err(|e| Error::io("read", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if src.is_dir() {
            std::fs::create_dir_all(&dst).map_err(|e| Error::io("create", &dst, e))?;
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| Error::io("copy", &src, e))?;
        }
    }
    Ok(())
}

/// Remove everything in the working tree but `.git`.
fn clear_worktree(root: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(root).map_err(|e| Error::io("read", root, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io("read", root, e))?.path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| Error::io("remove", &path, e))?;
    }
    Ok(())
}

/// Commit the whole working tree (exactly: files gone from it leave the index).
fn commit(
    repo: &git2::Repository,
    root: &Path,
    message: &str,
    parent: Option<git2::Oid>,
) -> Result<git2::Oid, Error> {
    let fail = |e: git2::Error| git_error(root, &e);
    let mut index = repo.index().map_err(fail)?;
    index.clear().map_err(fail)?;
    index
        .add_all(["*"], git2::IndexAddOption::FORCE, None)
        .map_err(fail)?;
    index.write().map_err(fail)?;
    let tree = repo
        .find_tree(index.write_tree().map_err(fail)?)
        .map_err(fail)?;
    // A fixed author and date: the same case gives the same commit ids everywhere.
    let when = git2::Time::new(1_700_000_000, 0);
    let sig =
        git2::Signature::new("director eval", "eval@director.invalid", &when).map_err(fail)?;
    let parents = match parent {
        Some(p) => vec![repo.find_commit(p).map_err(fail)?],
        None => Vec::new(),
    };
    let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
    repo.commit(None, &sig, &sig, message, &tree, &parents)
        .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn case(dir: &Path) -> PathBuf {
        let c = dir.join("cases").join("c1");
        write(&c, "task.toml", "id = \"c1\"\ntitle = \"Add b\"\n");
        write(
            &c,
            "expected.toml",
            "decision = \"block\"\n[[finding]]\ncategory = \"Cost\"\npath = \"b.tf\"\nlines = [1, 2]\n",
        );
        write(&c, "base/a.tf", "a\n");
        write(&c, "base/gone.tf", "x\n");
        write(&c, "head/a.tf", "a\n");
        write(&c, "head/b.tf", "b\n");
        c
    }

    #[test]
    fn a_case_becomes_the_same_two_commits_everywhere() {
        let tmp = tempfile::tempdir().unwrap();
        case(tmp.path());
        let suite = Suite::load(tmp.path()).unwrap();
        let c = &suite.cases[0];
        assert_eq!(c.expected.findings[0].category, "cost");
        assert_eq!(c.expected.findings[0].lines, Some((1, 2)));
        let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
        let ids: Vec<String> = [&one, &two]
            .iter()
            .map(|p| {
                let root = c.materialize(p).unwrap();
                assert!(!root.join("gone.tf").exists());
                assert!(root.join("b.tf").exists());
                let repo = git2::Repository::open(&root).unwrap();
                let head = repo
                    .revparse_single("head")
                    .unwrap()
                    .peel_to_commit()
                    .unwrap();
                let tree = head.tree().unwrap();
                assert!(tree.get_name("gone.tf").is_none(), "deleted at head");
                assert_eq!(head.parent(0).unwrap().tree().unwrap().len(), 2);
                head.id().to_string()
            })
            .collect();
        assert_eq!(ids[0], ids[1]);
    }

    #[test]
    fn bad_expectations_name_the_file_and_the_finding() {
        let tmp = tempfile::tempdir().unwrap();
        let c = case(tmp.path());
        write(
            &c,
            "expected.toml",
            "decision = \"block\"\n[[finding]]\ncategory = \"cost\"\npath = \"b.tf\"\nlines = [5, 2]\n",
        );
        let err = Suite::load(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("expected.toml") && err.contains("finding 1"),
            "{err}"
        );
        write(&c, "expected.toml", "decision = \"maybe\"\n");
        let err = Suite::load(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("expected.toml"), "{err}");
        std::fs::remove_dir_all(c.join("head")).unwrap();
        let err = Suite::load(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("no head/"), "{err}");
        let err = Suite::load(&tmp.path().join("nope"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an eval suite"), "{err}");
    }
}

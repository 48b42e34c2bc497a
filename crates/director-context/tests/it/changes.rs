//! Gathering changes from real git repositories and from plain folders.

use crate::repo::TestRepo;
use director_context::{ChangeRequest, ContextError, discover_repo_root, gather};
use director_core::record::ChangeMode;
use director_core::{ChangeStatus, FileClass};

fn base_repo() -> TestRepo {
    let r = TestRepo::new();
    r.write("README.md", "# demo\n");
    r.write(
        "infra/main.tf",
        "resource \"aws_db_instance\" \"main\" {\n  engine = \"postgres\"\n  multi_az = true\n}\n",
    );
    r.write("src/lib.rs", "pub fn a() -> u32 {\n    1\n}\n");
    r.write("scripts/run.sh", "#!/bin/sh\necho run\n");
    r.write(
        "old/name.py",
        "def f():\n    return 1\n\n\ndef g():\n    return 2\n",
    );
    r.write("gone.txt", "bye\n");
    r.commit("base");
    r
}

#[test]
fn working_tree_change_covers_every_kind() {
    let r = base_repo();
    // modified
    r.write(
        "infra/main.tf",
        "resource \"aws_db_instance\" \"main\" {\n  engine = \"postgres\"\n  multi_az = false\n}\n",
    );
    // deleted
    r.remove("gone.txt");
    // renamed (plain mv, the new path untracked)
    r.rename("old/name.py", "new/name.py");
    // mode change only
    r.chmod_exec("scripts/run.sh");
    // untracked files of several kinds
    r.write("src/new.rs", "pub fn b() {}\n");
    r.write("assets/logo.bin", [0u8, 1, 2, 3, 0, 255, 254]);
    r.write("latin1.txt", b"caf\xe9 cr\xe8me\n");
    r.write("big.txt", "x".repeat(2048));
    r.write(".env", "DB_PASSWORD=hunter2\n");
    r.symlink("/etc/passwd", "escape");
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"odd-\xff-name.txt");
        std::fs::write(r.dir.path().join(name), "x\n").unwrap();
    }

    let request = ChangeRequest {
        max_file_bytes: 1024,
        ..ChangeRequest::default()
    };
    let set = gather(&r.root(), &request).unwrap();
    assert_eq!(set.mode, ChangeMode::WorkingTree);
    assert_eq!(set.base.as_deref(), Some("HEAD"));
    assert!(set.base_commit.is_some());
    assert_eq!(set.root, r.root());

    let file = |p: &str| {
        set.file(p).unwrap_or_else(|| {
            panic!(
                "{p} missing from {:?}",
                set.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
    };
    let tf = file("infra/main.tf");
    assert_eq!(tf.status, ChangeStatus::Modified);
    assert_eq!(tf.classes, vec![FileClass::Terraform]);
    assert_eq!((tf.added, tf.removed), (1, 1));
    assert_eq!(tf.hunks.len(), 1);
    assert!(tf.content.as_deref().unwrap().contains("multi_az = false"));
    let plus: Vec<_> = tf.hunks[0]
        .lines
        .iter()
        .filter(|l| l.origin == '+')
        .collect();
    assert_eq!(plus[0].text, "  multi_az = false");
    assert_eq!(plus[0].new_lineno, Some(3));

    let gone = file("gone.txt");
    assert_eq!(gone.status, ChangeStatus::Deleted);
    assert!(gone.content.is_none());

    let renamed = file("new/name.py");
    assert_eq!(renamed.status, ChangeStatus::Renamed);
    assert_eq!(renamed.old_path.as_deref(), Some("old/name.py"));
    assert!(set.file("old/name.py").is_none());

    let sh = file("scripts/run.sh");
    assert_eq!(sh.status, ChangeStatus::ModeChanged);
    assert_eq!(sh.mode_change, Some((0o100644, 0o100755)));

    let new_rs = file("src/new.rs");
    assert_eq!(new_rs.status, ChangeStatus::Added);
    assert_eq!(new_rs.language.as_deref(), Some("rust"));
    assert_eq!(new_rs.added, 1);

    let bin = file("assets/logo.bin");
    assert!(bin.binary);
    assert!(bin.content.is_none() && bin.hunks.is_empty());

    let latin = file("latin1.txt");
    assert!(!latin.binary);
    assert_eq!(latin.content.as_deref(), Some("caf\u{fffd} cr\u{fffd}me\n"));

    let big = file("big.txt");
    assert!(big.too_large);
    assert!(big.content.is_none() && big.hunks.is_empty());

    let env = file(".env");
    assert_eq!(env.classes, vec![FileClass::Dotenv]);
    assert!(env.content.is_none());

    let link = file("escape");
    assert!(link.is_symlink);
    assert!(link.content.is_none());
    assert!(link.hunks.is_empty());

    assert!(
        set.file("README.md").is_none(),
        "unchanged files are not listed"
    );
    let summaries = set.summaries();
    let paths: Vec<&str> = summaries.iter().map(|s| s.path.as_str()).collect();
    let expected: Vec<&str> = set.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, expected);
    let tf = summaries
        .iter()
        .find(|s| s.path == "infra/main.tf")
        .unwrap();
    assert_eq!(tf.status, ChangeStatus::Modified);
    assert_eq!(tf.classes, vec![FileClass::Terraform]);
    assert_eq!((tf.added, tf.removed), (1, 1));
    let renamed = summaries.iter().find(|s| s.path == "new/name.py").unwrap();
    assert_eq!(renamed.old_path.as_deref(), Some("old/name.py"));
    assert!(
        summaries
            .iter()
            .any(|s| s.path == "assets/logo.bin" && s.binary)
    );
}

#[test]
fn range_between_commits_reads_head_tree() {
    let r = base_repo();
    r.branch_and_switch("feature");
    r.rename("old/name.py", "new/name.py");
    r.remove("gone.txt");
    r.write(
        "k8s/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
    );
    r.commit("feature work");
    // A later working-tree edit must not show in a commit range.
    r.write("src/lib.rs", "changed in the working tree\n");

    let request = ChangeRequest {
        base: Some("main"),
        head: Some("feature"),
        ..ChangeRequest::default()
    };
    let set = gather(&r.root(), &request).unwrap();
    assert_eq!(set.mode, ChangeMode::GitRange);
    assert_eq!(set.head.as_deref(), Some("feature"));
    assert!(set.head_commit.is_some());
    let paths: Vec<&str> = set.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["gone.txt", "k8s/deploy.yaml", "new/name.py"]);
    let k8s = set.file("k8s/deploy.yaml").unwrap();
    assert_eq!(k8s.classes, vec![FileClass::Kubernetes]);
    assert!(k8s.content.as_deref().unwrap().contains("kind: Deployment"));
    let renamed = set.file("new/name.py").unwrap();
    assert_eq!(renamed.status, ChangeStatus::Renamed);
    assert_eq!(renamed.old_path.as_deref(), Some("old/name.py"));
    assert_eq!(set.file("gone.txt").unwrap().status, ChangeStatus::Deleted);
}

#[test]
fn default_base_is_the_merge_base_with_main() {
    let r = base_repo();
    let fork = r.repo.head().unwrap().target().unwrap();
    r.branch_and_switch("feature");
    r.write("src/feature.rs", "pub fn feature() {}\n");
    r.commit("feature commit");
    // main moves on after the fork.
    r.switch("main");
    r.write("src/main_only.rs", "pub fn m() {}\n");
    r.commit("main moves");
    r.switch("feature");
    r.write("src/wip.rs", "pub fn wip() {}\n");

    let set = gather(&r.root(), &ChangeRequest::default()).unwrap();
    assert_eq!(set.base.as_deref(), Some("merge-base(HEAD, main)"));
    assert_eq!(set.base_commit.as_deref(), Some(fork.to_string().as_str()));
    let paths: Vec<&str> = set.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["src/feature.rs", "src/wip.rs"]);

    // A head ref without a base: the merge-base of that ref with main.
    let head_only = ChangeRequest {
        head: Some("feature"),
        ..ChangeRequest::default()
    };
    let set = gather(&r.root(), &head_only).unwrap();
    assert_eq!(set.base.as_deref(), Some("merge-base(feature, main)"));
    assert_eq!(
        set.files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>(),
        vec!["src/feature.rs"]
    );

    // On main itself, the working tree is reviewed against HEAD.
    r.switch("main");
    r.write("src/edit.rs", "x\n");
    let set = gather(&r.root(), &ChangeRequest::default()).unwrap();
    assert_eq!(set.base.as_deref(), Some("HEAD"));
    assert_eq!(
        set.files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>(),
        vec!["src/edit.rs"]
    );
}

#[test]
fn unrelated_history_compares_with_the_default_branch_tip() {
    let r = base_repo();
    let main_tip = r.repo.head().unwrap().target().unwrap();
    r.write("orphan.txt", "o\n");
    let mut index = r.repo.index().unwrap();
    index.clear().unwrap();
    index.add_path(std::path::Path::new("orphan.txt")).unwrap();
    let tree = r.repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("T", "t@example.com").unwrap();
    r.repo
        .commit(Some("refs/heads/orphan"), &sig, &sig, "orphan", &tree, &[])
        .unwrap();
    r.switch("orphan");
    let set = gather(&r.root(), &ChangeRequest::default()).unwrap();
    assert_eq!(set.base.as_deref(), Some("main (no merge-base with HEAD)"));
    assert_eq!(
        set.base_commit.as_deref(),
        Some(main_tip.to_string().as_str())
    );
    assert!(!set.files.is_empty());
}

#[test]
fn repository_without_commits_lists_everything_as_added() {
    let r = TestRepo::new();
    r.write("a.txt", "a\n");
    r.write("dir/b.rs", "fn b() {}\n");
    let set = gather(&r.root(), &ChangeRequest::default()).unwrap();
    assert!(set.base_commit.is_none());
    assert_eq!(set.files.len(), 2);
    assert!(set.files.iter().all(|f| f.status == ChangeStatus::Added));
}

#[test]
fn scope_filters_files() {
    let r = base_repo();
    r.write("infra/main.tf", "# changed\n");
    r.write("src/lib.rs", "// changed\n");
    r.write("docs/x.md", "new\n");
    let scope = vec!["infra".to_string(), "**/*.md".to_string()];
    let request = ChangeRequest {
        scope: &scope,
        ..ChangeRequest::default()
    };
    let set = gather(&r.root(), &request).unwrap();
    let paths: Vec<&str> = set.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["docs/x.md", "infra/main.tf"]);
}

#[test]
fn bad_refs_and_missing_repositories_are_clear_errors() {
    let r = base_repo();
    let request = ChangeRequest {
        base: Some("no-such-branch"),
        ..ChangeRequest::default()
    };
    let err = gather(&r.root(), &request).unwrap_err();
    assert!(matches!(err, ContextError::UnknownRef { .. }));
    let msg = err.to_string();
    assert!(msg.contains("`no-such-branch`"), "{msg}");
    assert!(!msg.contains('\n'));
    assert!(err.hint().unwrap().contains("git branch -a"));

    let plain = tempfile::tempdir().unwrap();
    let err = gather(plain.path(), &ChangeRequest::default()).unwrap_err();
    assert!(matches!(err, ContextError::NotARepository { .. }), "{err}");
    assert!(err.hint().unwrap().contains("--paths"));
    assert_eq!(discover_repo_root(plain.path()), None);
    assert_eq!(discover_repo_root(&r.root().join("src")), Some(r.root()));
}

#[test]
fn paths_mode_works_outside_git() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let w = |p: &str, c: &str| {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, c).unwrap();
    };
    w("infra/main.tf", "resource \"x\" \"y\" {}\n");
    w("infra/.gitignore", "ignored.tf\n");
    w("infra/ignored.tf", "secret stuff\n");
    w("infra/.env", "A=b\n");
    w("other/file.txt", "not asked for\n");
    std::os::unix::fs::symlink("/etc/passwd", root.join("infra/passwd")).unwrap();

    let paths = vec!["infra".to_string()];
    let request = ChangeRequest {
        paths: &paths,
        ..ChangeRequest::default()
    };
    let set = gather(&root, &request).unwrap();
    assert_eq!(set.mode, ChangeMode::Paths);
    let listed: Vec<&str> = set.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        listed,
        vec![
            "infra/.env",
            "infra/.gitignore",
            "infra/main.tf",
            "infra/passwd"
        ]
    );
    let tf = set.file("infra/main.tf").unwrap();
    assert_eq!(tf.status, ChangeStatus::Reviewed);
    assert!(tf.hunks.is_empty());
    assert!(tf.content.is_some());
    assert!(set.file("infra/.env").unwrap().content.is_none());
    let link = set.file("infra/passwd").unwrap();
    assert!(link.is_symlink && link.content.is_none());

    let missing = vec!["nope".to_string()];
    let err = gather(
        &root,
        &ChangeRequest {
            paths: &missing,
            ..ChangeRequest::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, ContextError::PathNotFound { .. }), "{err}");
    let outside = vec!["../".to_string()];
    let err = gather(
        &root.join("infra"),
        &ChangeRequest {
            paths: &outside,
            ..ChangeRequest::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, ContextError::PathOutsideRoot { .. }), "{err}");
}

#[test]
fn submodule_entries_are_listed_not_entered() {
    let r = base_repo();
    let head = r.repo.head().unwrap().target().unwrap();
    r.branch_and_switch("with-sub");
    // A gitlink entry pointing at some commit, as `git submodule add` records it.
    let mut index = r.repo.index().unwrap();
    let entry = git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o160000,
        uid: 0,
        gid: 0,
        file_size: 0,
        id: head,
        flags: 0,
        flags_extended: 0,
        path: b"vendor/lib".to_vec(),
    };
    index.add(&entry).unwrap();
    let tree = index.write_tree().unwrap();
    r.commit_tree(tree, "add submodule");
    let request = ChangeRequest {
        base: Some("main"),
        head: Some("with-sub"),
        ..ChangeRequest::default()
    };
    let set = gather(&r.root(), &request).unwrap();
    let sub = set.file("vendor/lib").unwrap();
    assert!(sub.submodule);
    assert!(sub.content.is_none() && sub.hunks.is_empty());
}

#[test]
fn helm_chart_files_are_found_through_chart_yaml() {
    let r = base_repo();
    r.write("deploy/web/Chart.yaml", "apiVersion: v2\nname: web\n");
    r.write("deploy/web/values.yaml", "replicas: 1\n");
    r.write(
        "deploy/web/templates/svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
    );
    let set = gather(&r.root(), &ChangeRequest::default()).unwrap();
    for p in [
        "deploy/web/Chart.yaml",
        "deploy/web/values.yaml",
        "deploy/web/templates/svc.yaml",
    ] {
        assert_eq!(set.file(p).unwrap().classes, vec![FileClass::Helm], "{p}");
    }
}

#[test]
fn a_fifo_under_review_is_listed_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("infra")).unwrap();
    std::fs::write(root.join("infra/main.tf"), "resource \"x\" \"y\" {}\n").unwrap();
    // Reading a FIFO nobody writes to would block forever.
    let status = std::process::Command::new("mkfifo")
        .arg(root.join("infra/pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let paths = vec!["infra".to_string()];
    let request = ChangeRequest {
        paths: &paths,
        ..ChangeRequest::default()
    };
    let set = gather(&root, &request).unwrap();
    let pipe = set.file("infra/pipe").unwrap();
    assert!(pipe.content.is_none());
    assert!(set.file("infra/main.tf").unwrap().content.is_some());
}

//! Bad input: one line naming the problem, a hint, exit code 2, nothing written.

use crate::support::*;

fn assert_usage_error(out: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    // One error line, its causes (`caused by: …`, one line each), one hint.
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() >= 2, "an error line and a hint: {stderr}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(needle),
        "{stderr}"
    );
    let (hint, causes) = lines[1..].split_last().unwrap();
    assert!(hint.starts_with("hint: "), "{stderr}");
    assert!(
        causes.iter().all(|c| c.starts_with("caused by: ")),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_git_error_keeps_libgit2s_message_as_its_cause() {
    let dir = Dir::new();
    std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    dir.write(".director/tasks/t.toml", "id = \"t\"\ntitle = \"x\"\n");
    let out = director(&dir.path())
        .args([
            "verify",
            "--base",
            "no-such-branch",
            "--task",
            "t",
            "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_usage_error(&out, "no-such-branch");
    assert!(
        stderr.contains("caused by: revspec 'no-such-branch' not found"),
        "{stderr}"
    );
}

#[test]
fn unknown_task() {
    let dir = Dir::new();
    let out = director(&dir.path())
        .args(["verify", "--task", "nope", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "nope");
    assert!(
        !dir.path().join(".director/runs").exists(),
        "nothing half-written"
    );
}

#[test]
fn malformed_task_toml() {
    let dir = Dir::new();
    dir.write(
        ".director/tasks/t.toml",
        "id = \"t\"\ntitle = \"x\"\ncriteria = \"not a list\"\n",
    );
    let out = director(&dir.path())
        .args(["verify", "--task", "t", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "criteria");
    dir.write(
        ".director/tasks/t.toml",
        "id = \"t\"\ntitle = \"x\"\ncolour = \"red\"\n",
    );
    let out = director(&dir.path())
        .args(["verify", "--task", "t", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "colour");
    dir.write(".director/tasks/t.toml", "id = \"t\"\ntitle = \"x\n");
    let out = director(&dir.path())
        .args(["verify", "--task", "t", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "t.toml");
}

#[test]
fn git_range_outside_a_repository() {
    let dir = Dir::new();
    dir.write(".director/tasks/t.toml", "id = \"t\"\ntitle = \"x\"\n");
    let out = director(&dir.path())
        .args(["verify", "--task", "t", "--base", "main", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "git");
}

#[test]
fn bad_ref_in_a_repository() {
    let dir = Dir::new();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    dir.write("a.txt", "a\n")
        .write(".director/tasks/t.toml", "id = \"t\"\ntitle = \"x\"\n");
    git(&["add", "."]);
    git(&["commit", "-qm", "init"]);
    let out = director(&dir.path())
        .args([
            "verify",
            "--task",
            "t",
            "--base",
            "no-such-branch",
            "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "no-such-branch");
}

#[test]
fn unknown_config_key() {
    let dir = Dir::new();
    dir.write(".director/config.toml", "[provider]\nmodle = \"gpt\"\n")
        .write(
            ".director/tasks/t.toml",
            "id = \"t\"\ntitle = \"x\"\npaths = [\".\"]\n",
        );
    let out = director(&dir.path())
        .args(["verify", "--task", "t", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "modle");
    dir.write(
        ".director/config.toml",
        "[prices.\"gpt-4.1\"]\ninput_per_mtok = -2.0\noutput_per_mtok = 8.0\n",
    );
    let out = director(&dir.path())
        .args(["verify", "--task", "t", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "gpt-4.1");
}

#[test]
fn unknown_director_and_missing_repo() {
    let dir = Dir::new();
    dir.write(
        ".director/tasks/t.toml",
        "id = \"t\"\ntitle = \"x\"\npaths = [\".\"]\n",
    );
    let out = director(&dir.path())
        .args(["verify", "--task", "t", "--director", "nobody", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_usage_error(&out, "nobody");
    let out = director(&dir.path())
        .args(["verify", "--task", "t", "--repo", "/definitely/not/here"])
        .output()
        .unwrap();
    assert_usage_error(&out, "/definitely/not/here");
}

#[test]
fn clap_usage_errors_exit_2() {
    let dir = Dir::new();
    let out = director(&dir.path()).args(["verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = director(&dir.path()).args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

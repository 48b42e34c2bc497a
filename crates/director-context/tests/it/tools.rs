//! The read-only repository tools: confinement, redaction, caps.

use director_context::{RepoTools, ToolOutput};
use std::path::Path;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let w = |p: &str, c: &str| {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, c).unwrap();
    };
    let long: String = (1..=500).map(|i| format!("line {i}\n")).collect();
    w("src/long.txt", &long);
    w("src/a.rs", "fn main() {\n    let needle = 1;\n}\n");
    w("target/gen.rs", "let needle = 2;\n");
    w(".gitignore", "target/\n");
    w(".env", "DB_PASSWORD=hunter2hunter2\n");
    w(
        "config/app.yaml",
        "db:\n  password: s3cr3t-Passw0rd-value\n  needle: yes\n",
    );
    w(".git/config", "[core]\n");
    w("bin.dat", "\0\0\0binary");
    std::os::unix::fs::symlink("/etc/passwd", root.join("passwd_link")).unwrap();
    std::os::unix::fs::symlink("/etc", root.join("etc_link")).unwrap();
    std::os::unix::fs::symlink("src/a.rs", root.join("inside_link")).unwrap();
    std::os::unix::fs::symlink(".env", root.join("env_link")).unwrap();
    dir
}

fn read(t: &RepoTools, path: &str, start: Option<i64>, end: Option<i64>) -> ToolOutput {
    let args = serde_json::json!({"path": path, "start_line": start, "end_line": end});
    t.call("read_file", &args.to_string())
}

#[test]
fn escapes_are_refused() {
    let dir = setup();
    let t = RepoTools::new(dir.path());
    for path in [
        "../../etc/passwd",
        "src/../../etc/passwd",
        "/etc/passwd",
        "passwd_link",
        "etc_link/passwd",
        ".env",
        "env_link",
        ".git/config",
    ] {
        let out = read(&t, path, None, None);
        assert!(!out.ok, "{path} was read: {}", out.content);
        assert!(
            out.content.starts_with("refused"),
            "{path}: {}",
            out.content
        );
        assert!(!out.content.contains("root:"), "{path}");
        assert!(!out.content.contains("hunter2"), "{path}");
    }
    let out = read(&t, "passwd_link", None, None);
    assert!(
        out.content.contains("outside the repository"),
        "{}",
        out.content
    );
    let out = t.call("list_dir", "{\"path\": \"etc_link\"}");
    assert!(!out.ok);
    let out = t.call("list_dir", "{\"path\": \"../\"}");
    assert!(!out.ok);
}

#[test]
fn reads_work_across_rounds() {
    let dir = setup();
    let t = RepoTools::new(dir.path());
    let first = read(&t, "src/long.txt", None, None);
    assert!(first.ok);
    assert!(
        first
            .content
            .starts_with("src/long.txt (lines 1-400 of 500)"),
        "{}",
        &first.content[..80]
    );
    assert!(first.content.contains("  400| line 400\n"));
    assert!(first.content.contains("ask for start_line 401"));
    let second = read(&t, "src/long.txt", Some(401), None);
    assert!(second.ok);
    assert!(
        second.content.contains("  401| line 401\n")
            && second.content.contains("  500| line 500\n")
    );
    let range = read(&t, "src/long.txt", Some(10), Some(12));
    assert_eq!(
        range.content,
        "src/long.txt (lines 10-12 of 500)\n   10| line 10\n   11| line 11\n   12| line 12\n"
    );
    assert!(read(&t, "inside_link", None, None).ok);
    assert!(!read(&t, "src/long.txt", Some(900), None).ok);
    assert!(!read(&t, "src", None, None).ok);
    assert!(!read(&t, "bin.dat", None, None).ok);
    assert!(!read(&t, "missing.txt", None, None).ok);
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let fifo = read(&t, "pipe", None, None);
    assert!(
        !fifo.ok && fifo.content.contains("not a regular file"),
        "{}",
        fifo.content
    );
    let secret = read(&t, "config/app.yaml", None, None);
    assert!(secret.ok && !secret.content.contains("s3cr3t-Passw0rd-value"));
}

#[test]
fn grep_honours_gitignore_globs_and_redaction() {
    let dir = setup();
    let t = RepoTools::new(dir.path());
    let out = t.call("grep", "{\"pattern\": \"needle\", \"path_glob\": null}");
    assert!(out.ok);
    assert!(
        out.content.contains("src/a.rs:2:     let needle = 1;"),
        "{}",
        out.content
    );
    assert!(
        out.content.contains("config/app.yaml:3:"),
        "{}",
        out.content
    );
    assert!(!out.content.contains("target/gen.rs"), "{}", out.content);
    let out = t.call("grep", "{\"pattern\": \"needle\", \"path_glob\": \"*.rs\"}");
    assert!(out.content.contains("src/a.rs") && !out.content.contains("app.yaml"));
    let out = t.call("grep", "{\"pattern\": \"password\", \"path_glob\": null}");
    assert!(
        out.content.contains("config/app.yaml:2:"),
        "{}",
        out.content
    );
    assert!(!out.content.contains("s3cr3t") && !out.content.contains("hunter2"));
    let out = t.call("grep", "{\"pattern\": \"x\", \"path_glob\": \"../**\"}");
    assert!(!out.ok);
    let out = t.call(
        "grep",
        "{\"pattern\": \"zzz-not-there\", \"path_glob\": null}",
    );
    assert!(out.ok && out.content.starts_with("no matches"));
}

#[test]
fn list_dir_marks_links_and_hides_git() {
    let dir = setup();
    let t = RepoTools::new(dir.path());
    let out = t.call("list_dir", "{\"path\": \".\"}");
    assert!(out.ok, "{}", out.content);
    assert!(out.content.contains("\nsrc/\n"));
    assert!(out.content.contains("passwd_link@ (symlink, not followed)"));
    assert!(
        out.content
            .contains(".env (environment file, not readable)")
    );
    assert!(!out.content.contains(".git/"));
    let out = t.call("list_dir", "{\"path\": \"src\"}");
    assert!(out.content.contains("a.rs") && out.content.contains("long.txt"));
}

#[test]
fn output_is_capped() {
    let dir = setup();
    let t = RepoTools::new(dir.path()).with_max_output_bytes(1000);
    let out = read(&t, "src/long.txt", None, None);
    assert!(out.ok);
    assert!(out.content.len() < 1100);
    assert!(out.content.contains("[output truncated at 1000 bytes"));
    assert_eq!(t.root(), Path::new(dir.path()).canonicalize().unwrap());
}

/// Issue 10's grep oracle: whether `grep` matches is decided on the redacted text,
/// so probing a secret's prefixes answers exactly as probing a random string of the
/// same length does, and the answer never contains the secret.
#[test]
fn grep_cannot_be_used_as_an_oracle_for_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let secret_key = "AKIAZ7Q3M9XK2LPD4WQE";
    let password = "Tr0ub4dor-and-3-more-words";
    std::fs::write(
        dir.path().join("deploy.tf"),
        format!(
            "provider \"aws\" {{\n  access_key = \"{secret_key}\"\n}}\n\ndb_password = \"{password}\"\n"
        ),
    )
    .unwrap();
    let t = RepoTools::new(dir.path());
    let grep = |pattern: &str| {
        let args = serde_json::json!({"pattern": pattern, "path_glob": null});
        let out = t.call("grep", &args.to_string());
        // The answer quotes the pattern back; compare what is left.
        let rest = out.content.replace(pattern, "<pattern>");
        assert!(
            !rest.contains(secret_key) && !rest.contains(password),
            "{rest}"
        );
        (out.ok, rest)
    };
    let random = "QWXZVBNMRTYUIOPLKJHG";
    for secret in [secret_key, password] {
        for len in [4, 6, 10, secret.len() - 1, secret.len()] {
            let prefix = regex::escape(&secret[..len]);
            let control = regex::escape(&random[..len.min(random.len())]);
            assert_eq!(
                grep(&prefix),
                grep(&control),
                "grep for a {len}-character prefix of a secret answers differently from a random string"
            );
            assert_eq!(grep(&prefix).1, "no matches for `<pattern>`\n");
        }
    }
    // Anchored probes on the secret's line answer from the redacted line too.
    assert_eq!(grep(r"access_key = .AKIA"), grep(r"access_key = .QWXZ"));
    // The rest of the file is searchable as usual.
    let (ok, out) = grep("access_key");
    assert!(ok && out.contains("deploy.tf:2:"), "{out}");
}

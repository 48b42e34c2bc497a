//! Running the binary in a clean environment, and snapshot filters.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The workspace root (for `examples/`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// `director` with no provider settings inherited from the developer's shell. The
/// scratch folders of these tests are the test's own, so their `.director/` policy is
/// trusted on purpose (`DIRECTOR_TRUST__WORKTREE_CONFIG`); `trust.rs` tests the
/// default, untrusted behaviour with [`director_untrusted`].
pub fn director(home: &Path) -> Command {
    let mut cmd = director_untrusted(home);
    cmd.env("DIRECTOR_TRUST__WORKTREE_CONFIG", "true");
    cmd
}

/// `director` as CI runs it: the working tree's policy is not trusted.
pub fn director_untrusted(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("director").unwrap();
    for (key, _) in std::env::vars() {
        if key.starts_with("DIRECTOR_") || key.starts_with("OPENAI_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    cmd
}

/// Replace run-specific text (temp paths, run ids, timings) for snapshots.
pub fn scrub(text: &str, paths: &[&Path]) -> String {
    let mut out = text.to_string();
    for p in paths {
        out = out.replace(&p.display().to_string(), "[PATH]");
    }
    let patterns = [
        (r"\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{6}", "[RUN]"),
        (r"\b\d+(\.\d+)?s\b", "[TIME]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[DATE]"),
        (r"127\.0\.0\.1:\d+", "[HOST]"),
    ];
    for (pattern, with) in patterns {
        out = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

/// A scratch folder with files.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.tmp.path().canonicalize().unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) -> &Dir {
        let p = self.tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }
}

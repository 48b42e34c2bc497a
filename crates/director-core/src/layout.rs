//! The `.director/` folder, known in one place. Everything under it is director's own
//! state or policy and is never part of a reviewed change:
//!
//! | path | what | trusted from |
//! |---|---|---|
//! | `config.toml` | repository configuration | the trusted base |
//! | `directors/`, `prompts/`, `personas/` | panel additions and overrides | the trusted base |
//! | `baseline.json` | accepted findings | the trusted base |
//! | `tasks/<id>.toml` | task definitions | (input, read at the working tree) |
//! | `current-task` | the pinned task of an agent session | (input) |
//! | `runs/`, `cache/`, `sessions/` | records, verdict cache, hook sessions | (director's own state) |
//!
//! Policy is what decides *how* director judges; the change under review cannot
//! alter it (see `docs/security.md`).

/// The folder's name.
pub const DIR: &str = ".director";
/// Repository configuration (policy).
pub const CONFIG: &str = "config.toml";
/// The accepted-findings baseline (policy).
pub const BASELINE: &str = "baseline.json";
/// Task definitions.
pub const TASKS: &str = "tasks";
/// Run records.
pub const RUNS: &str = "runs";
/// The verdict cache, when configured to live in the repository.
pub const CACHE: &str = "cache";
/// Agent hook sessions.
pub const SESSIONS: &str = "sessions";
/// The task an agent session pinned.
pub const CURRENT_TASK: &str = "current-task";
/// Folders of panel overrides (policy).
pub const POLICY_DIRS: &[&str] = &["directors", "prompts", "personas"];

/// True when a repository-relative path (`/`-separated) lies under a `.director/`
/// folder at any depth: director's own state or policy, never part of a change.
pub fn is_director_path(path: &str) -> bool {
    path.split('/').any(|c| c == DIR)
}

/// True when a path relative to `.director/` is policy: configuration, the baseline
/// or a file of the panel overrides.
pub fn is_policy(rel: &str) -> bool {
    rel == CONFIG
        || rel == BASELINE
        || POLICY_DIRS
            .iter()
            .any(|d| rel.strip_prefix(d).is_some_and(|r| r.starts_with('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn director_paths_at_any_depth() {
        assert!(is_director_path(".director/tasks/t.toml"));
        assert!(is_director_path("examples/a/.director/runs/x/y.json"));
        assert!(!is_director_path("src/director/mod.rs"));
        assert!(!is_director_path("docs/.directory"));
    }

    #[test]
    fn policy_files() {
        for p in [
            "config.toml",
            "baseline.json",
            "directors/x.toml",
            "prompts/frame.tera",
            "prompts/directors/infrastructure.tera",
            "personas/p.md",
        ] {
            assert!(is_policy(p), "{p}");
        }
        for p in [
            "tasks/t.toml",
            "runs/a/b.json",
            "cache/k.json",
            "directorsx",
            "directors",
        ] {
            assert!(!is_policy(p), "{p}");
        }
    }
}

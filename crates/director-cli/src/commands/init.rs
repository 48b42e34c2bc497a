//! `director init`: scaffold `.director/` in a repository — `config.toml` with every
//! built-in default commented out (generated from `director::Config::default()`, so it
//! cannot drift from the code) and provider examples for OpenAI, Azure OpenAI, Ollama
//! and llama.cpp; a sample task `tasks/example.toml`; and CI snippets for GitHub
//! Actions and GitLab CI under `ci/`. Existing files are never overwritten without
//! `--force`: the command then exits 2 and names them, having written nothing.

use crate::cli::InitArgs;
use crate::output::emit;
use director::exit;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The files `director init` writes, relative to the repository root.
pub const FILES: &[&str] = &[
    ".director/config.toml",
    ".director/tasks/example.toml",
    ".director/ci/github-actions.yml",
    ".director/ci/gitlab-ci.yml",
];

const CONFIG_HEADER: &str = "\
# director configuration for this repository.
#
# Layers, lowest first: built-in defaults < $XDG_CONFIG_HOME/director/config.toml <
# this file < environment (OPENAI_API_KEY, OPENAI_BASE_URL, DIRECTOR_MODEL,
# DIRECTOR_<SECTION>__<KEY>) < command-line flags. Unknown keys are errors.
# `director config show` prints every resolved value and where it came from.
#
# With no provider (no base_url and no API key) director runs offline: the
# deterministic analyzers decide and the report says that no LLM Director ran.
# API keys are never read from this file, only from the variable named by
# `provider.api_key_env`.
";

const PROVIDERS: &str = r#"
# Keys with no default (unset unless you set them):
#   [provider] base_url, azure_api_version, azure_deployment
#   [limits] requests_per_minute, tokens_per_minute
#   [context] environment        (when a task names none)
#   [budget] max_tokens, max_usd (max_usd needs [prices."<model>"] input_per_mtok, output_per_mtok)
#   [directors.models] <director> = "<model>"
# ---------------------------------------------------------------------------
# Provider examples: uncomment one [provider] block (and delete the commented
# defaults' [provider] section above if you uncomment that too).
#
# OpenAI (the key comes from $OPENAI_API_KEY; the default model is gpt-4.1-mini):
# [provider]
# model = "gpt-4.1"
#
# Azure OpenAI (the deployment serves the model; key from $AZURE_OPENAI_API_KEY):
# [provider]
# base_url = "https://my-resource.openai.azure.com/openai"
# model = "gpt-4.1-mini"
# azure_api_version = "2024-10-21"
# azure_deployment = "gpt-4-1-mini"
# api_key_env = "AZURE_OPENAI_API_KEY"
#
# Ollama on this machine (`ollama serve`; no key needed):
# [provider]
# base_url = "http://127.0.0.1:11434/v1"
# model = "qwen2.5-coder:7b"
# structured_output = "json-schema"
#
# llama.cpp's llama-server on this machine (`llama-server -m model.gguf --port 8080`):
# [provider]
# base_url = "http://127.0.0.1:8080/v1"
# model = "local"
# structured_output = "json-schema"
# request_timeout_secs = 600
"#;

const DEFAULTS_MARK: &str =
    "# --- built-in defaults: every key with its value; uncomment a line to change it ---\n";

/// The text of `.director/config.toml`.
pub fn config_text() -> anyhow::Result<String> {
    let defaults = toml::to_string_pretty(&director::Config::default())?;
    let mut out = String::from(CONFIG_HEADER);
    out.push('\n');
    out.push_str(DEFAULTS_MARK);
    for line in defaults.lines() {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {line}");
        }
    }
    out.push_str(PROVIDERS);
    Ok(out)
}

const EXAMPLE_TASK: &str = r#"# A task director can verify: `director verify --task example`.
# Tasks live in .director/tasks/<id>.toml; the id must match the file name.
id = "example"
title = "Example: describe the finished change in one line"
description = """
What was asked for, in prose. The Directors read this together with the change,
so say what the change is meant to achieve and any constraint that matters.
"""
# Each criterion must be met for the work to count as complete; the Requirements
# Director checks them one by one.
criteria = [
    "The change does what the title says",
    "New behaviour is covered by tests",
]
# production, staging, development, test, local or prototype: it changes severities
# (a single replica blocks in production and is fine in a prototype).
environment = "production"
# The change is git diff base..head. Without `base` director uses the merge-base with
# the default branch; without `head` it reviews the working tree.
# base = "origin/main"
# head = "HEAD"
# Only changes under these paths (or globs) are reviewed:
# scope = ["infra/", "src/"]
# Or review these files or folders whole, without git:
# paths = ["infra/"]
"#;

const GITHUB_ACTIONS: &str = r#"# GitHub Actions: verify every pull request with director.
# Copy to .github/workflows/director.yml. The action installs director, runs
# `director verify` against the pull request's base, uploads SARIF to code
# scanning, annotates the diff, writes the Markdown report to the job summary and
# fails the job when the gate blocks (exit 1) or the verification is incomplete (3).
name: director
on:
  pull_request:
permissions:
  contents: read
  security-events: write # SARIF upload to code scanning
jobs:
  verify:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # the base commit must be present for the diff
      - uses: director-dev/director@main
        with:
          task: example
        env:
          OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}
"#;

const GITLAB_CI: &str = r#"# GitLab CI: verify every merge request with director.
# Include this job in .gitlab-ci.yml. It reports JUnit (one test case per
# Director) to the merge request widget, keeps the SARIF log as an artifact, and
# fails when the gate blocks (exit 1) or the verification is incomplete (exit 3).
director:
  image: rust:1
  stage: test
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  variables:
    GIT_DEPTH: "0"
  script:
    - cargo install --locked --git https://github.com/director-dev/director director-cli
    - director verify --task example --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --progress plain --format junit --output director-junit.xml
  after_script:
    - director runs show latest --format sarif > director.sarif || true
    - director runs show latest --format markdown || true
  artifacts:
    when: always
    reports:
      junit: director-junit.xml
    paths:
      - director.sarif
"#;

/// The content of each file `director init` writes.
pub fn scaffold() -> anyhow::Result<Vec<(&'static str, String)>> {
    Ok(vec![
        (FILES[0], config_text()?),
        (FILES[1], EXAMPLE_TASK.to_string()),
        (FILES[2], GITHUB_ACTIONS.to_string()),
        (FILES[3], GITLAB_CI.to_string()),
    ])
}

/// Run `director init`.
pub fn run(repo: &Path, args: InitArgs) -> anyhow::Result<i32> {
    let root: PathBuf = std::fs::canonicalize(repo).map_err(|e| director::Error::Input {
        message: format!("folder `{}` does not exist ({e})", repo.display()),
        hint: "pass --repo PATH with an existing folder".into(),
    })?;
    if let Some(agent) = args.agent {
        return super::agent::install(&root, agent.harness(), args.print);
    }
    let files = scaffold()?;
    let existing: Vec<&str> = files
        .iter()
        .map(|(rel, _)| *rel)
        .filter(|rel| root.join(rel).exists())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(director::Error::Input {
            message: format!(
                "{} already exist(s): {}",
                existing.len(),
                existing.join(", ")
            ),
            hint: "nothing was written; pass --force to overwrite them".into(),
        }
        .into());
    }
    let mut out = String::new();
    for (rel, text) in &files {
        director::store::write_atomic(&root.join(rel), text.as_bytes())?;
        let verb = if existing.contains(rel) {
            "overwrote"
        } else {
            "created"
        };
        let _ = writeln!(out, "{verb} {rel}");
    }
    let _ = writeln!(
        out,
        "next: edit .director/tasks/example.toml, then `director verify --task example` \
         (set a provider in .director/config.toml, or it runs offline on deterministic evidence)"
    );
    emit(&out, None)?;
    Ok(exit::PASS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Provider example blocks in [`PROVIDERS`], uncommented (for tests).
    fn provider_examples() -> Vec<String> {
        PROVIDERS
            .split("\n#\n")
            .filter_map(|block| {
                let toml: Vec<&str> = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("# "))
                    .skip_while(|l| !l.starts_with('['))
                    .collect();
                (!toml.is_empty()).then(|| toml.join("\n"))
            })
            .collect()
    }

    /// The commented defaults, uncommented (for tests): `[section]` and `key = value` lines.
    fn defaults_toml(config_text: &str) -> String {
        let start = config_text.find(DEFAULTS_MARK).unwrap() + DEFAULTS_MARK.len();
        // The block ends at the first empty line (its own blank lines are `#`).
        let end = config_text[start..]
            .find("\n\n")
            .map_or(config_text.len(), |i| start + i);
        config_text[start..end]
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn commented_defaults_are_the_real_defaults() {
        let text = config_text().unwrap();
        assert!(
            text.lines().all(|l| l.is_empty() || l.starts_with('#')),
            "everything is commented"
        );
        let config: director::Config = toml::from_str(&defaults_toml(&text)).unwrap();
        assert_eq!(config, director::Config::default());
    }

    #[test]
    fn every_provider_example_is_valid_configuration() {
        let examples = provider_examples();
        assert_eq!(examples.len(), 4, "{examples:#?}");
        for example in &examples {
            let config: director::Config =
                toml::from_str(example).unwrap_or_else(|e| panic!("{example}\n{e}"));
            assert_ne!(
                config.provider,
                director::Config::default().provider,
                "{example}"
            );
        }
        assert!(examples[1].contains("azure_api_version"));
    }

    #[test]
    fn the_sample_task_parses() {
        let task = director::tasks::parse_task_toml(EXAMPLE_TASK, "example.toml").unwrap();
        assert_eq!(task.id, "example");
        assert_eq!(task.criteria.len(), 2);
    }
}

//! The MCP client: Directors consult the Model Context Protocol servers the role card
//! recommends (aws, datadog, pagerduty, terraform, jira, ...) through tools.
//!
//! Stages: [`McpSection`] (`[mcp]` and `[mcp.servers.<name>]`, trusted config only)
//! → `session::McpSession::start` starts the servers the running Directors opted into
//! (`mcp = [...]` in their definitions), as stdio child processes or streamable HTTP
//! connections, lists their tools and keeps the ones `catalog` allows → each
//! Director's tool executor offers its servers' tools as `mcp__<server>__<tool>` and
//! calls them through the session, which redacts, caps and fences every answer and
//! records every call → the session is closed at the end of the run.
//!
//! Why the client lives here, in the orchestrator, and not in `director-llm`: which
//! servers exist is policy (trusted config), a server's answer must go through the
//! repository crate's redaction and fencing, and the calls end up in the run record;
//! `director-llm` only sees a [`director_llm::ToolExecutor`].
//!
//! Trust: `[mcp.servers]` is policy. Like the rest of the configuration it is read
//! from trusted layers only (`crate::trust`): the user's config, the environment,
//! flags, the embedder ([`crate::VerifierBuilder::mcp_server`]) and the repository's
//! `.director/config.toml` as of the trusted base commit, never as the reviewed change
//! leaves it. A Director definition can only opt into servers that are configured;
//! naming an unknown one starts nothing (`unknown` in the record). A child process
//! gets only the environment variables its `env` allow-list names (plus `set_env`);
//! nothing else of director's environment leaks to it.
//!
//! Failure policy: a server that fails to start or to list its tools is a warning in
//! the log and in the record (`mcp_servers`, status `failed`); its tools are not
//! offered and the Director still reviews with the others. A call that hangs ends at
//! the per-call timeout (`call_timeout_secs`) or the Director's deadline, whichever
//! comes first; a server that crashes makes that call answer `error: …` to the model,
//! which can still give its verdict.

pub(crate) mod catalog;
pub(crate) mod session;

pub use director_core::record::{McpCall, McpCallOutcome, McpServerRun, McpServerStatus};

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[mcp]`: the MCP servers Directors may consult, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct McpSection {
    /// Start MCP servers at all (`--no-mcp` turns this off; offline mode never starts any).
    pub enabled: bool,
    /// Serve a Director that has live MCP tools from the verdict cache. Off by default:
    /// what a live system answers can change while the code does not.
    pub cache: bool,
    /// Seconds a server may take to start and list its tools.
    pub startup_timeout_secs: u64,
    /// Seconds one tool call may take (the Director's own deadline still applies).
    pub call_timeout_secs: u64,
    /// Largest answer of one tool call handed to a Director, in bytes.
    pub max_output_bytes: usize,
    /// The servers, by name (`[mcp.servers.<name>]`); names are `[a-z0-9-]`, at most 24.
    pub servers: BTreeMap<String, McpServerConfig>,
}

impl Default for McpSection {
    fn default() -> Self {
        McpSection {
            enabled: true,
            cache: false,
            startup_timeout_secs: 60,
            call_timeout_secs: 60,
            max_output_bytes: 16 * 1024,
            servers: BTreeMap::new(),
        }
    }
}

/// `[mcp.servers.<name>]`: one server, either a command (stdio) or a URL (streamable HTTP).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerConfig {
    /// Program to start (looked up on director's `PATH` when it has no `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Names of environment variables passed to the child (e.g. `PATH`, `HOME`,
    /// `AWS_PROFILE`); no other variable reaches it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Fixed environment values for the child (not for secrets: `config show` prints them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set_env: BTreeMap<String, String>,
    /// Streamable HTTP endpoint, e.g. `https://mcp.example.com/mcp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Name of the environment variable holding the bearer token sent to `url` (and
    /// nowhere else: redirects are not followed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token_env: Option<String>,
    /// Other headers sent to `url`, by header name, each taken from the environment
    /// variable named (e.g. Datadog's `DD_API_KEY = "DD_API_KEY"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers_env: BTreeMap<String, String>,
    /// Tools to offer, by their name on the server. Unset: every tool annotated
    /// `readOnlyHint: true`. Set: exactly these. A tool annotated
    /// `destructiveHint: true` is never offered either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
}

impl McpServerConfig {
    /// `stdio` or `http`.
    pub fn transport(&self) -> &'static str {
        if self.url.is_some() { "http" } else { "stdio" }
    }
}

/// Longest server name: `mcp__<server>__<tool>` must stay within 64 characters.
const MAX_SERVER_NAME: usize = 24;

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Check `[mcp]`, naming the key at fault.
pub(crate) fn validate(section: &McpSection) -> Result<(), Error> {
    let bad = |key: String, message: String, hint: &str| Error::Config {
        message: format!("key `{key}`: {message}"),
        hint: hint.to_string(),
    };
    for (key, value) in [
        ("startup_timeout_secs", section.startup_timeout_secs),
        ("call_timeout_secs", section.call_timeout_secs),
    ] {
        if value == 0 {
            return Err(bad(
                format!("mcp.{key}"),
                "must be at least 1".into(),
                "give a number of seconds, e.g. 60",
            ));
        }
    }
    for (name, server) in &section.servers {
        let key = format!("mcp.servers.{name}");
        let name_ok = !name.is_empty()
            && name.len() <= MAX_SERVER_NAME
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            return Err(bad(
                key,
                format!("`{name}` is not a usable server name"),
                "server names are 1 to 24 lowercase letters, digits and `-`, e.g. [mcp.servers.datadog]",
            ));
        }
        let hint = "give either command = \"...\" (stdio) or url = \"https://...\" (streamable HTTP); see docs/configuration.md#mcp";
        match (&server.command, &server.url) {
            (Some(_), Some(_)) => {
                return Err(bad(key, "has both `command` and `url`".into(), hint));
            }
            (None, None) => return Err(bad(key, "has neither `command` nor `url`".into(), hint)),
            (Some(command), None) => {
                if command.trim().is_empty() {
                    return Err(bad(format!("{key}.command"), "is empty".into(), hint));
                }
                if server.auth_token_env.is_some() || !server.headers_env.is_empty() {
                    return Err(bad(
                        format!("{key}.auth_token_env"),
                        "`auth_token_env` and `headers_env` apply to `url` servers only".into(),
                        "pass a stdio server its token through `env = [\"NAME\"]`",
                    ));
                }
            }
            (None, Some(url)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(bad(
                        format!("{key}.url"),
                        format!("`{url}` is not an http(s) URL"),
                        hint,
                    ));
                }
                if !server.args.is_empty() || !server.env.is_empty() || !server.set_env.is_empty() {
                    return Err(bad(
                        key,
                        "`args`, `env` and `set_env` apply to `command` servers only".into(),
                        hint,
                    ));
                }
            }
        }
        for header in server.headers_env.keys() {
            if http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(bad(
                    format!("{key}.headers_env"),
                    format!("`{header}` is not an HTTP header name"),
                    "header names are letters, digits, `-` and `_`, e.g. DD_API_KEY",
                ));
            }
        }
        let names = server
            .env
            .iter()
            .chain(server.set_env.keys())
            .chain(server.auth_token_env.iter())
            .chain(server.headers_env.values());
        for var in names {
            if !is_env_name(var) {
                return Err(bad(
                    key.clone(),
                    format!("`{var}` is not an environment variable name"),
                    "names are letters, digits and `_`, e.g. AWS_PROFILE",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &str, server: McpServerConfig) -> McpSection {
        let mut s = McpSection::default();
        s.servers.insert(name.into(), server);
        s
    }

    #[test]
    fn valid_servers_pass() {
        let stdio = McpServerConfig {
            command: Some("npx".into()),
            args: vec!["-y".into(), "@datadog/mcp".into()],
            env: vec!["PATH".into(), "DD_API_KEY".into()],
            ..Default::default()
        };
        assert!(validate(&with("datadog", stdio)).is_ok());
        let http = McpServerConfig {
            url: Some("https://mcp.example.com/mcp".into()),
            auth_token_env: Some("MON_TOKEN".into()),
            ..Default::default()
        };
        assert!(validate(&with("mon", http)).is_ok());
    }

    #[test]
    fn mistakes_name_the_key() {
        let cases = [
            (
                "Bad_Name",
                McpServerConfig {
                    command: Some("x".into()),
                    ..Default::default()
                },
                "mcp.servers.Bad_Name",
            ),
            ("a", McpServerConfig::default(), "neither"),
            (
                "a",
                McpServerConfig {
                    command: Some("x".into()),
                    url: Some("http://h".into()),
                    ..Default::default()
                },
                "both",
            ),
            (
                "a",
                McpServerConfig {
                    url: Some("ftp://h".into()),
                    ..Default::default()
                },
                "mcp.servers.a.url",
            ),
            (
                "a",
                McpServerConfig {
                    command: Some("x".into()),
                    env: vec!["NOT-A-NAME".into()],
                    ..Default::default()
                },
                "NOT-A-NAME",
            ),
            (
                "a",
                McpServerConfig {
                    command: Some("x".into()),
                    auth_token_env: Some("T".into()),
                    ..Default::default()
                },
                "auth_token_env",
            ),
            (
                "a",
                McpServerConfig {
                    url: Some("http://h".into()),
                    args: vec!["x".into()],
                    ..Default::default()
                },
                "command` servers only",
            ),
        ];
        for (name, server, expected) in cases {
            let e = validate(&with(name, server)).unwrap_err();
            assert!(e.to_string().contains(expected), "{e}");
            assert!(e.hint().is_some());
        }
        let s = McpSection {
            call_timeout_secs: 0,
            ..McpSection::default()
        };
        assert!(
            validate(&s)
                .unwrap_err()
                .to_string()
                .contains("mcp.call_timeout_secs")
        );
    }
}

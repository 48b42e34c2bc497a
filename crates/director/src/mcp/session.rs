//! The MCP servers of one run: started when the run needs them, called by the
//! Directors' tool executors, closed when the run ends.
//!
//! A stdio server is a child process with a cleared environment (only the variables
//! its `env` allow-list names, plus `set_env`); its stderr is kept (the last lines)
//! for the warning when it fails to start. An HTTP server gets its bearer token from
//! the named environment variable, sent to its URL only (redirects are not followed).
//! Every answer goes through `director_context::untrusted_tool_output` (redacted,
//! capped, fenced) and every call is recorded as a [`McpCall`].

use super::catalog::{self, OfferedTool};
use super::{McpSection, McpServerConfig};
use director_core::record::{McpCall, McpCallOutcome, McpServerRun, McpServerStatus};
use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock, ResourceContents};
use rmcp::service::{Peer, RoleClient, RunningService};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt as _;

/// Longest argument text kept in the record, in bytes.
const MAX_RECORDED_ARGUMENTS: usize = 1024;
/// Lines of a child's stderr kept for a startup warning.
const STDERR_LINES: usize = 8;
/// Time allowed to close each server at the end of a run.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

type Client = RunningService<RoleClient, ()>;

/// One server that started and listed its tools.
pub(crate) struct LiveServer {
    name: String,
    peer: Peer<RoleClient>,
    service: tokio::sync::Mutex<Option<Client>>,
    tools: Vec<OfferedTool>,
    call_timeout: Duration,
    max_output_bytes: usize,
}

/// The servers of one run, and what happened to each.
#[derive(Default)]
pub(crate) struct McpSession {
    servers: BTreeMap<String, Arc<LiveServer>>,
    report: Vec<McpServerRun>,
}

impl McpSession {
    /// Start every server in `wanted` (server name → the Directors that opted in) that
    /// the configuration defines, concurrently, each within `startup_timeout_secs`.
    /// Never fails: a server that cannot start is reported (and logged as a warning)
    /// and offers no tools.
    pub(crate) async fn start(section: &McpSection, wanted: BTreeMap<String, Vec<String>>) -> Self {
        let startup = Duration::from_secs(section.startup_timeout_secs.max(1));
        let starts = wanted.into_iter().map(|(name, directors)| async move {
            let mut run = McpServerRun {
                name: name.clone(),
                transport: String::new(),
                status: McpServerStatus::Failed,
                directors,
                tools_offered: Vec::new(),
                tools_refused: Vec::new(),
                message: None,
            };
            let Some(config) = section.servers.get(&name) else {
                run.status = McpServerStatus::Unknown;
                run.message = Some(format!(
                    "no [mcp.servers.{name}] in the configuration; a Director definition can only opt into configured servers"
                ));
                return (run, None);
            };
            run.transport = config.transport().to_string();
            let started = Instant::now();
            let outcome = tokio::time::timeout(startup, start_one(&name, config)).await;
            match outcome {
                Ok(Ok((service, tools))) => {
                    let selection = catalog::select(&name, &tools, config.tools.as_deref());
                    run.status = McpServerStatus::Ready;
                    run.tools_offered = selection.offered.iter().map(|t| t.remote.clone()).collect();
                    run.tools_refused = selection.refused;
                    if !selection.missing.is_empty() {
                        run.message = Some(format!(
                            "the `tools` allow-list names tools the server does not have: {}",
                            selection.missing.join(", ")
                        ));
                    }
                    tracing::info!(
                        server = %name,
                        tools = run.tools_offered.len(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "MCP server ready"
                    );
                    let live = LiveServer {
                        name: name.clone(),
                        peer: service.peer().clone(),
                        service: tokio::sync::Mutex::new(Some(service)),
                        tools: selection.offered,
                        call_timeout: Duration::from_secs(section.call_timeout_secs.max(1)),
                        max_output_bytes: section.max_output_bytes,
                    };
                    (run, Some(Arc::new(live)))
                }
                Ok(Err(message)) => {
                    run.message = Some(redacted(&message));
                    (run, None)
                }
                Err(_) => {
                    run.message = Some(format!(
                        "did not start and list its tools within {} s (mcp.startup_timeout_secs)",
                        startup.as_secs()
                    ));
                    (run, None)
                }
            }
        });
        let mut session = McpSession::default();
        for (run, live) in futures::future::join_all(starts).await {
            if run.status != McpServerStatus::Ready {
                tracing::warn!(
                    "MCP server `{}` is not available, its tools are not offered ({}); the Directors review without them",
                    run.name,
                    run.message.as_deref().unwrap_or("unknown reason")
                );
            }
            if let Some(live) = live {
                session.servers.insert(run.name.clone(), live);
            }
            session.report.push(run);
        }
        session
    }

    /// A started server by name.
    pub(crate) fn server(&self, name: &str) -> Option<Arc<LiveServer>> {
        self.servers.get(name).cloned()
    }

    /// What happened to each wanted server, for the record.
    pub(crate) fn report(&self) -> Vec<McpServerRun> {
        self.report.clone()
    }

    /// Close every server (a child gets its stdin closed, then SIGTERM, then a kill).
    pub(crate) async fn close(&self) {
        let closes = self.servers.values().map(|server| async move {
            if let Some(mut service) = server.service.lock().await.take() {
                let _ = service.close_with_timeout(CLOSE_TIMEOUT).await;
            }
        });
        futures::future::join_all(closes).await;
    }
}

impl LiveServer {
    /// The tools this server offers.
    pub(crate) fn tools(&self) -> &[OfferedTool] {
        &self.tools
    }

    /// The server's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Call the tool `remote` with the model's JSON arguments. The answer for the
    /// model is always text (failures are `error: …`), already redacted, capped and
    /// fenced with the run's `nonce`; the call is described for the record.
    pub(crate) async fn call(
        &self,
        remote: &str,
        arguments_json: &str,
        nonce: &str,
    ) -> (String, McpCall) {
        let started = Instant::now();
        let mut record = McpCall {
            server: self.name.clone(),
            tool: remote.to_string(),
            arguments: recorded_arguments(arguments_json),
            bytes: 0,
            latency_ms: 0,
            outcome: McpCallOutcome::Ok,
            error: None,
        };
        let (outcome, text) = match parse_arguments(arguments_json) {
            Err(why) => (McpCallOutcome::Refused, format!("error: {why}")),
            Ok(arguments) => {
                let mut params = CallToolRequestParams::new(remote.to_string());
                params.arguments = arguments;
                match tokio::time::timeout(self.call_timeout, self.peer.call_tool(params)).await {
                    Ok(Ok(result)) if result.is_error == Some(true) => (
                        McpCallOutcome::ToolError,
                        format!("error: {}", result_text(&result)),
                    ),
                    Ok(Ok(result)) => (McpCallOutcome::Ok, result_text(&result)),
                    Ok(Err(e)) => (
                        McpCallOutcome::Failed,
                        format!(
                            "error: MCP server `{}` failed during the call ({e}); its tools may not answer again",
                            self.name
                        ),
                    ),
                    Err(_) => (
                        McpCallOutcome::Timeout,
                        format!(
                            "error: MCP tool `{remote}` did not answer within {} s (mcp.call_timeout_secs)",
                            self.call_timeout.as_secs()
                        ),
                    ),
                }
            }
        };
        let label = format!("mcp:{}/{remote}", self.name);
        let answer =
            director_context::untrusted_tool_output(&label, &text, self.max_output_bytes, nonce);
        record.outcome = outcome;
        if outcome != McpCallOutcome::Ok {
            record.error = Some(redacted(text.trim_start_matches("error: ")));
        }
        record.bytes = answer.len() as u64;
        record.latency_ms = started.elapsed().as_millis() as u64;
        tracing::debug!(server = %self.name, tool = remote, outcome = ?outcome, bytes = record.bytes, "MCP tool call");
        (answer, record)
    }
}

/// Connect to one server and list its tools.
async fn start_one(
    name: &str,
    config: &McpServerConfig,
) -> Result<(Client, Vec<rmcp::model::Tool>), String> {
    let service = match (&config.command, &config.url) {
        (Some(command), _) => start_stdio(command, config).await?,
        (None, Some(url)) => start_http(url, config).await?,
        (None, None) => {
            return Err(format!(
                "[mcp.servers.{name}] has neither `command` nor `url`"
            ));
        }
    };
    let tools = service
        .peer()
        .list_all_tools()
        .await
        .map_err(|e| format!("started, but listing its tools failed: {e}"))?;
    Ok((service, tools))
}

async fn start_stdio(command: &str, config: &McpServerConfig) -> Result<Client, String> {
    let program = resolve_program(command)
        .ok_or_else(|| format!("command `{command}` was not found on PATH"))?;
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(&config.args).env_clear().kill_on_drop(true);
    for name in &config.env {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd.envs(&config.set_env);
    let (transport, stderr) = rmcp::transport::TokioChildProcess::builder(cmd)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{command}`: {e}"))?;
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    if let Some(stderr) = stderr {
        let tail = tail.clone();
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() == STDERR_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line.chars().take(300).collect::<String>());
                }
            }
        });
    }
    match ().serve(transport).await {
        Ok(service) => Ok(service),
        Err(e) => {
            // Let the reader catch the child's last words before quoting them.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let last: Vec<String> = tail
                .lock()
                .map(|t| t.iter().cloned().collect())
                .unwrap_or_default();
            let mut message = format!("`{command}` started but the MCP handshake failed: {e}");
            if !last.is_empty() {
                message.push_str(&format!("; its stderr ended with: {}", last.join(" | ")));
            }
            Err(message)
        }
    }
}

async fn start_http(url: &str, config: &McpServerConfig) -> Result<Client, String> {
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    let mut transport_config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
    if let Some(var) = &config.auth_token_env {
        let token = std::env::var(var)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| format!("environment variable {var} (auth_token_env) is not set"))?;
        transport_config = transport_config.auth_header(token);
    }
    let mut headers = std::collections::HashMap::new();
    for (header, var) in &config.headers_env {
        let value = std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                format!("environment variable {var} (headers_env.{header}) is not set")
            })?;
        let name = http::HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| format!("`{header}` is not an HTTP header name"))?;
        let mut value = http::HeaderValue::from_str(&value).map_err(|_| {
            format!("environment variable {var} holds characters not allowed in an HTTP header")
        })?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    if !headers.is_empty() {
        transport_config = transport_config.custom_headers(headers);
    }
    install_crypto_provider();
    // No redirects: the bearer token goes to the configured URL and nowhere else.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let transport =
        rmcp::transport::StreamableHttpClientTransport::with_client(http, transport_config);
    ().serve(transport)
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))
}

/// reqwest is built with `rustls-no-provider`; install ring once (an error only means
/// some other part of the process installed a provider first).
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `command` itself when it names a path, else the first executable of that name on
/// director's own `PATH` (the child's `PATH` is whatever its `env` allow-list passes).
fn resolve_program(command: &str) -> Option<std::path::PathBuf> {
    if command.contains('/') {
        return Some(std::path::PathBuf::from(command));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(command))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The model's arguments as a JSON object (none for an empty text).
fn parse_arguments(
    text: &str,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err("the arguments must be a JSON object".into()),
        Err(e) => Err(format!("the arguments are not valid JSON: {e}")),
    }
}

/// The text of a tool result: its text blocks, text resources, placeholders for
/// binary content, or the structured content when there is no text.
fn result_text(result: &CallToolResult) -> String {
    let mut parts: Vec<String> = Vec::new();
    for block in &result.content {
        match block {
            ContentBlock::Text(t) => parts.push(t.text.clone()),
            ContentBlock::Resource(r) => match &r.resource {
                ResourceContents::TextResourceContents { uri, text, .. } => {
                    parts.push(format!("[resource {uri}]\n{text}"));
                }
                ResourceContents::BlobResourceContents { uri, .. } => {
                    parts.push(format!("[binary resource {uri} omitted]"));
                }
                _ => parts.push("[resource omitted]".into()),
            },
            ContentBlock::Image(_) => parts.push("[image omitted]".into()),
            ContentBlock::Audio(_) => parts.push("[audio omitted]".into()),
            _ => parts.push("[content omitted]".into()),
        }
    }
    if parts.is_empty()
        && let Some(value) = &result.structured_content
    {
        parts.push(value.to_string());
    }
    if parts.is_empty() {
        return "(the tool returned nothing)".into();
    }
    parts.join("\n")
}

fn redacted(text: &str) -> String {
    director_context::redact(text, "mcp").text
}

/// The model's arguments as the record keeps them: redacted, cut at 1 KiB.
pub(crate) fn recorded_arguments(arguments_json: &str) -> String {
    let mut text = redacted(arguments_json);
    if text.len() > MAX_RECORDED_ARGUMENTS {
        let mut cut = MAX_RECORDED_ARGUMENTS;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_must_be_an_object() {
        assert_eq!(parse_arguments("  ").unwrap(), None);
        assert!(parse_arguments(r#"{"a":1}"#).unwrap().is_some());
        assert!(parse_arguments("[1]").unwrap_err().contains("JSON object"));
        assert!(parse_arguments("{").unwrap_err().contains("not valid JSON"));
    }

    #[test]
    fn results_become_text() {
        let r = CallToolResult::success(vec![ContentBlock::text("a"), ContentBlock::text("b")]);
        assert_eq!(result_text(&r), "a\nb");
        let r = CallToolResult::structured(serde_json::json!({"ok": true}));
        assert!(result_text(&r).contains("ok"));
        assert_eq!(
            result_text(&CallToolResult::success(vec![])),
            "(the tool returned nothing)"
        );
    }

    #[test]
    fn recorded_arguments_are_redacted_and_cut() {
        let args = format!(
            r#"{{"password": "hunter2-is-not-a-password", "q": "{}"}}"#,
            "x".repeat(3000)
        );
        let kept = recorded_arguments(&args);
        assert!(!kept.contains("hunter2"), "{kept}");
        assert!(kept.len() <= MAX_RECORDED_ARGUMENTS + '…'.len_utf8());
    }

    #[test]
    fn programs_resolve_on_path() {
        assert!(resolve_program("sh").is_some());
        assert!(resolve_program("no-such-program-for-director").is_none());
        assert_eq!(
            resolve_program("./x"),
            Some(std::path::PathBuf::from("./x"))
        );
    }
}

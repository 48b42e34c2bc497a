//! Issue 13's MCP client through the real paths: the `fake-monitoring` example (a real
//! rmcp server, started as a stdio child process), wiremock speaking the OpenAI API
//! (it scripts the Director's tool calls and records every request), and the gate.

use crate::support::*;
use director::core::record::{DirectorStatus, McpCallOutcome, McpServerStatus};
use director::mcp::McpServerConfig;
use director::{CancellationToken, Decision, EventSink, Overrides, RunRecord, VerifyOptions};
use director_llm::{ToolExecutor, ToolFailure, ToolSpec};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use wiremock::ResponseTemplate;

/// The fake AWS secret in `list_monitors`' answer (see the example's source).
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Rk2Lw9d";

/// The change: code the analyzers have nothing to say about, so the gate's decision is
/// the Director's alone.
const PAYMENTS: &str = "def charge(amount):\n    if amount <= 0:\n        raise ValueError(amount)\n    return gateway.charge(amount)\n";

/// The `fake-monitoring` example binary, built beside this test binary by `cargo test`.
fn fake_server() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = dir.join("examples").join("fake-monitoring");
    assert!(
        bin.is_file(),
        "{} is missing; hint: run `cargo test -p director` (it builds the examples) or `cargo build -p director --example fake-monitoring`",
        bin.display()
    );
    bin
}

/// `[mcp.servers.mon]` starting the fake server, which notes its start in `marker`.
fn mon(marker: &Path) -> McpServerConfig {
    McpServerConfig {
        command: Some(fake_server().display().to_string()),
        env: vec!["PATH".into()],
        set_env: [("FAKE_MCP_MARKER".to_string(), marker.display().to_string())].into(),
        ..McpServerConfig::default()
    }
}

/// A repository with a change, whose `.director/directors/infrastructure.toml`
/// holds only `mcp = [...]`: a partial override of the built-in Director.
fn repo(servers: &str, config: &str) -> Repo {
    let repo = Repo::new();
    repo.write("src/payments.py", PAYMENTS)
        .write(
            ".director/directors/infrastructure.toml",
            &format!("mcp = [{servers}]\n"),
        )
        .write(".director/config.toml", config)
        .task("t", &["src"], "environment = \"production\"");
    repo
}

/// A chat completion asking for one tool call.
fn tool_call(name: &str, arguments: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-tool", "object": "chat.completion", "created": 1, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": name, "arguments": arguments.to_string()}}]
        }}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
    }))
}

/// A verifier for the test's own folder, whose `.director/` is trusted on purpose
/// (the trust boundary for MCP is tested in a git repository below).
fn builder(repo: &Repo, provider: &Provider, overrides: Overrides) -> director::VerifierBuilder {
    director::Verifier::builder()
        .repo(repo.path())
        .provider(provider.base_url())
        .overrides(Overrides {
            write_record: Some(false),
            trust_worktree_config: Some(true),
            ..overrides
        })
}

async fn verify_infrastructure(v: &director::Verifier) -> RunRecord {
    let options = VerifyOptions {
        directors: vec!["infrastructure".into()],
        ..VerifyOptions::default()
    };
    v.verify_with(
        v.load_task("t").unwrap(),
        &options,
        &EventSink::none(),
        &CancellationToken::new(),
    )
    .await
    .unwrap()
}

/// The tools offered in a request, by name.
fn offered(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|t| t["function"]["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The content of the last tool message of a request.
fn tool_answer(body: &Value) -> String {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn marker_lines(marker: &Path) -> Vec<String> {
    std::fs::read_to_string(marker)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_director_calls_an_allowed_tool_and_reads_its_redacted_fenced_answer() {
    let repo = repo("\"mon\"", "");
    let marker = repo.path().join("mon.marker");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "infrastructure",
        tool_call("mcp__mon__list_monitors", &json!({"service": "payments"})),
    );
    let v = builder(&repo, &provider, Overrides::default())
        .mcp_server("mon", mon(&marker))
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;

    let bodies = provider.bodies();
    assert_eq!(bodies.len(), 2, "a tool round, then the verdict");
    let tools = offered(&bodies[0]);
    for name in [
        "read_file",
        "grep",
        "list_dir",
        "mcp__mon__list_monitors",
        "mcp__mon__hang",
        "mcp__mon__crash",
    ] {
        assert!(
            tools.iter().any(|t| t == name),
            "{name} not offered: {tools:?}"
        );
    }
    assert!(
        !tools.iter().any(|t| t.contains("delete_monitor")),
        "the destructive tool was offered: {tools:?}"
    );
    assert!(
        !tools.iter().any(|t| t.contains("get_monitor")),
        "a tool without readOnlyHint was offered without an allow-list: {tools:?}"
    );
    let answer = tool_answer(&bodies[1]);
    assert!(answer.contains("payments-error-rate: ALERT"), "{answer}");
    assert!(
        answer.starts_with("<<<BEGIN UNTRUSTED tool-output mcp:mon/list_monitors ["),
        "{answer}"
    );
    for body in &bodies {
        assert!(
            !body.to_string().contains(SECRET),
            "the secret reached the provider"
        );
    }

    assert_eq!(record.decision, Decision::Pass, "{}", record.reason);
    let infra = record.director("infrastructure").unwrap();
    assert_eq!(infra.status, DirectorStatus::Ran);
    assert_eq!(infra.tool_calls, 1);
    assert_eq!(infra.mcp_calls.len(), 1);
    let call = &infra.mcp_calls[0];
    assert_eq!(
        (call.server.as_str(), call.tool.as_str()),
        ("mon", "list_monitors")
    );
    assert_eq!(call.outcome, McpCallOutcome::Ok);
    assert_eq!(call.arguments, r#"{"service":"payments"}"#);
    assert_eq!(call.bytes, answer.len() as u64);
    let server = &record.mcp_servers[0];
    assert_eq!(server.status, McpServerStatus::Ready);
    assert_eq!(server.directors, ["infrastructure"]);
    let refused = server
        .tools_refused
        .iter()
        .find(|t| t.name == "delete_monitor")
        .unwrap();
    assert!(refused.reason.contains("destructive"), "{}", refused.reason);
    assert!(
        !marker_lines(&marker)
            .iter()
            .any(|l| l.starts_with("deleted"))
    );
    // Nothing of the environment leaks to the child but its allow-list and set_env.
    assert_eq!(marker_lines(&marker), ["started env=FAKE_MCP_MARKER,PATH"]);
}

#[tokio::test]
async fn an_allow_list_offers_exactly_its_tools_and_never_a_destructive_one() {
    let repo = repo("\"mon\"", "");
    let marker = repo.path().join("mon.marker");
    let provider = Provider::start(Duration::ZERO).await;
    let v = builder(&repo, &provider, Overrides::default())
        .mcp_server(
            "mon",
            McpServerConfig {
                tools: Some(vec!["get_monitor".into(), "delete_monitor".into()]),
                ..mon(&marker)
            },
        )
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;
    let tools = offered(&provider.bodies()[0]);
    let mcp: Vec<&String> = tools.iter().filter(|t| t.starts_with("mcp__")).collect();
    assert_eq!(mcp, ["mcp__mon__get_monitor"]);
    assert_eq!(record.mcp_servers[0].tools_offered, ["get_monitor"]);
}

#[tokio::test]
async fn a_server_that_hangs_hits_the_directors_deadline() {
    let repo = repo("\"mon\"", "[cache]\nenabled = false\n");
    let marker = repo.path().join("mon.marker");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply("infrastructure", tool_call("mcp__mon__hang", &json!({})));
    let v = builder(
        &repo,
        &provider,
        Overrides {
            timeout_secs: Some(2),
            ..Overrides::default()
        },
    )
    .mcp_server("mon", mon(&marker))
    .build()
    .unwrap();
    let record = verify_infrastructure(&v).await;
    let infra = record.director("infrastructure").unwrap();
    assert_eq!(infra.status, DirectorStatus::Failed);
    assert!(
        infra.reason.as_deref().unwrap().starts_with("deadline"),
        "{:?}",
        infra.reason
    );
    assert_eq!(record.decision, Decision::Incomplete);
    assert_eq!(
        director::exit::code_for(&record),
        director::exit::INCOMPLETE
    );
    assert_eq!(infra.mcp_calls.len(), 1, "the hung call is still listed");
    assert_eq!(infra.mcp_calls[0].outcome, McpCallOutcome::Cancelled);
    assert!(marker_lines(&marker).contains(&"hang called".to_string()));
}

#[tokio::test]
async fn a_call_that_hangs_past_the_per_call_timeout_answers_the_model_with_an_error() {
    let repo = repo("\"mon\"", "[mcp]\ncall_timeout_secs = 1\n");
    let marker = repo.path().join("mon.marker");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply("infrastructure", tool_call("mcp__mon__hang", &json!({})));
    let v = builder(&repo, &provider, Overrides::default())
        .mcp_server("mon", mon(&marker))
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;
    let answer = tool_answer(&provider.bodies()[1]);
    assert!(
        answer.contains("error: MCP tool `hang` did not answer within 1 s"),
        "{answer}"
    );
    let infra = record.director("infrastructure").unwrap();
    assert_eq!(infra.status, DirectorStatus::Ran, "{:?}", infra.reason);
    assert_eq!(infra.mcp_calls[0].outcome, McpCallOutcome::Timeout);
    assert_eq!(record.decision, Decision::Pass);
}

#[tokio::test]
async fn a_server_that_crashes_fails_the_call_cleanly_and_the_director_still_answers() {
    let repo = repo("\"mon\"", "");
    let marker = repo.path().join("mon.marker");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply("infrastructure", tool_call("mcp__mon__crash", &json!({})));
    let v = builder(&repo, &provider, Overrides::default())
        .mcp_server("mon", mon(&marker))
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;
    let answer = tool_answer(&provider.bodies()[1]);
    assert!(
        answer.contains("error: MCP server `mon` failed during the call"),
        "{answer}"
    );
    let infra = record.director("infrastructure").unwrap();
    assert_eq!(infra.status, DirectorStatus::Ran, "{:?}", infra.reason);
    assert_eq!(infra.mcp_calls[0].outcome, McpCallOutcome::Failed);
    assert_eq!(record.decision, Decision::Pass);
    assert!(marker_lines(&marker).contains(&"crash called".to_string()));
}

#[tokio::test]
async fn a_server_that_fails_to_start_is_a_warning_and_the_director_reviews_without_it() {
    let repo = repo("\"mon\"", "");
    let provider = Provider::start(Duration::ZERO).await;
    let v = builder(&repo, &provider, Overrides::default())
        .mcp_server(
            "mon",
            McpServerConfig {
                command: Some("/nonexistent/fake-monitoring".into()),
                ..McpServerConfig::default()
            },
        )
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;
    let server = &record.mcp_servers[0];
    assert_eq!(server.status, McpServerStatus::Failed);
    assert!(
        server
            .message
            .as_deref()
            .unwrap()
            .contains("cannot start `/nonexistent/fake-monitoring`"),
        "{:?}",
        server.message
    );
    let tools = offered(&provider.bodies()[0]);
    assert!(tools.iter().any(|t| t == "grep"));
    assert!(!tools.iter().any(|t| t.starts_with("mcp__")), "{tools:?}");
    assert_eq!(
        record.director("infrastructure").unwrap().status,
        DirectorStatus::Ran
    );
    assert_eq!(record.decision, Decision::Pass);
}

#[tokio::test]
async fn no_mcp_and_offline_start_nothing() {
    let repo = repo("\"mon\"", "");
    let marker = repo.path().join("mon.marker");
    let provider = Provider::start(Duration::ZERO).await;
    let v = builder(
        &repo,
        &provider,
        Overrides {
            mcp_enabled: Some(false),
            ..Overrides::default()
        },
    )
    .mcp_server("mon", mon(&marker))
    .build()
    .unwrap();
    let record = verify_infrastructure(&v).await;
    assert!(record.mcp_servers.is_empty());
    assert!(
        !offered(&provider.bodies()[0])
            .iter()
            .any(|t| t.starts_with("mcp__"))
    );
    let offline = director::Verifier::builder()
        .repo(repo.path())
        .provider(director::ProviderSpec::Offline)
        .overrides(Overrides {
            trust_worktree_config: Some(true),
            ..Overrides::default()
        })
        .mcp_server("mon", mon(&marker))
        .build()
        .unwrap();
    let record = verify_infrastructure(&offline).await;
    assert!(record.mcp_servers.is_empty());
    assert!(
        !marker.exists(),
        "an MCP server started: {:?}",
        marker_lines(&marker)
    );
}

/// A Director cannot turn what a live system says into a blocking finding: such a fact
/// has no file to quote, so the gate keeps it unverified and it cannot block.
#[tokio::test]
async fn a_fact_from_an_mcp_tool_cannot_block() {
    let repo = repo("\"mon\"", "");
    let marker = repo.path().join("mon.marker");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "infrastructure",
        tool_call("mcp__mon__list_monitors", &json!({"service": "payments"})),
    );
    let blocking = |path: Value| {
        json!({
            "severity": "blocking", "category": "monitoring",
            "title": "The payments error-rate monitor is alerting",
            "resources": ["payments-error-rate"], "path": path,
            "start_line": if path.is_null() { Value::Null } else { json!(3) },
            "end_line": if path.is_null() { Value::Null } else { json!(3) },
            "evidence": "- payments-error-rate: ALERT",
            "recommendation": "Fix the error rate before shipping."
        })
    };
    provider.reply(
        "infrastructure",
        verdict_reply(&json!({
            "verdict": "block", "summary": "The live monitor is alerting.",
            "findings": [blocking(Value::Null), blocking(json!("src/payments.py"))]
        })),
    );
    let v = builder(&repo, &provider, Overrides::default())
        .mcp_server("mon", mon(&marker))
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;
    assert_ne!(record.decision, Decision::Block, "{}", record.reason);
    assert!(
        record.findings.iter().all(|f| !f.blocks && !f.verified),
        "{:#?}",
        record.findings
    );
}

#[tokio::test]
async fn live_tools_bypass_the_verdict_cache_unless_the_config_allows_it() {
    for (config, second_run_calls) in [("", 1), ("[mcp]\ncache = true\n", 0)] {
        let repo = repo("\"mon\"", config);
        let marker = repo.path().join("mon.marker");
        let provider = Provider::start(Duration::ZERO).await;
        let v = builder(&repo, &provider, Overrides::default())
            .mcp_server("mon", mon(&marker))
            .build()
            .unwrap();
        let first = verify_infrastructure(&v).await;
        assert!(!first.director("infrastructure").unwrap().from_cache);
        let before = provider.requests();
        let second = verify_infrastructure(&v).await;
        assert_eq!(
            provider.requests() - before,
            second_run_calls,
            "config: {config:?}"
        );
        assert_eq!(
            second.director("infrastructure").unwrap().from_cache,
            second_run_calls == 0
        );
    }
}

/// A Director definition can only opt into configured servers: a name nothing
/// configures starts nothing and is listed as `unknown`.
#[tokio::test]
async fn a_definition_cannot_define_a_server_by_naming_it() {
    let repo = repo("\"ghost\"", "");
    let provider = Provider::start(Duration::ZERO).await;
    let v = builder(&repo, &provider, Overrides::default())
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;
    assert_eq!(record.mcp_servers.len(), 1);
    assert_eq!(record.mcp_servers[0].status, McpServerStatus::Unknown);
    assert_eq!(
        record.director("infrastructure").unwrap().status,
        DirectorStatus::Ran
    );
}

/// Servers are policy: a change that adds `[mcp.servers.evil]` to the repository's
/// config and opts the Infrastructure Director into it starts nothing (the policy of
/// the base commit applies), and the record lists both files as ignored. Trusting
/// the working tree on purpose (the control) does start it.
#[tokio::test]
async fn a_change_under_review_cannot_add_a_server() {
    let repo = Repo::new();
    let root = repo.root();
    git(&root, &["init", "-q", "-b", "main"]);
    repo.write("src/payments.py", PAYMENTS).task(
        "t",
        &[],
        "base = \"main\"\nenvironment = \"production\"",
    );
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "base"]);
    git(&root, &["checkout", "-q", "-b", "feature"]);
    let marker = root.join("evil.marker");
    repo.write(
        ".director/config.toml",
        &format!(
            "[mcp.servers.evil]\ncommand = {:?}\nset_env = {{ FAKE_MCP_MARKER = {:?} }}\n",
            fake_server().display().to_string(),
            marker.display().to_string()
        ),
    )
    .write(
        ".director/directors/infrastructure.toml",
        "mcp = [\"evil\"]\n",
    )
    .write("src/payments.py", &format!("{PAYMENTS}# retries\n"));
    git(&root, &["add", "."]);
    git(&root, &["commit", "-qm", "feature"]);
    let provider = Provider::start(Duration::ZERO).await;
    for trust_worktree in [false, true] {
        let v = director::Verifier::builder()
            .repo(&root)
            .provider(provider.base_url())
            .overrides(Overrides {
                write_record: Some(false),
                trust_worktree_config: Some(trust_worktree),
                ..Overrides::default()
            })
            .build()
            .unwrap();
        let record = verify_infrastructure(&v).await;
        if trust_worktree {
            assert!(
                marker.exists(),
                "the trusted working tree's server did not start"
            );
            assert_eq!(record.mcp_servers[0].status, McpServerStatus::Ready);
        } else {
            assert!(!marker.exists(), "the change's own MCP server was started");
            assert!(record.mcp_servers.is_empty(), "{:?}", record.mcp_servers);
            let ignored = &record.policy.ignored_changes;
            assert!(
                ignored.iter().any(|p| p.ends_with(".director/config.toml"))
                    && ignored
                        .iter()
                        .any(|p| p.ends_with("directors/infrastructure.toml")),
                "{ignored:?}"
            );
        }
    }
}

/// An embedder's tool that panics.
struct Boom;

impl ToolExecutor for Boom {
    fn specs(&self) -> Vec<ToolSpec> {
        vec![ToolSpec {
            name: "boom".into(),
            description: "Always panics.".into(),
            parameters: json!({"type": "object", "properties": {}}),
        }]
    }

    fn call<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<String, ToolFailure>> {
        Box::pin(async { panic!("boom went the tool") })
    }
}

/// Issue 10: a tool that panics makes the Director `failed` (internal), the run
/// `incomplete` and the exit code 3, through the real provider path.
#[tokio::test]
async fn a_panicking_tool_makes_the_run_incomplete() {
    let repo = repo("", "");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply("infrastructure", tool_call("boom", &json!({})));
    let v = builder(&repo, &provider, Overrides::default())
        .tools(Arc::new(Boom))
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;
    let infra = record.director("infrastructure").unwrap();
    assert_eq!(infra.status, DirectorStatus::Failed);
    assert_eq!(
        infra.reason.as_deref(),
        Some("internal: tool boom panicked: boom went the tool")
    );
    assert_eq!(record.decision, Decision::Incomplete);
    assert_eq!(director::exit::code_for(&record), 3);
}

/// A streamable HTTP MCP server on wiremock: answers `initialize`, `tools/list` and
/// `tools/call` with JSON, accepts notifications, and records each request's method
/// and credentials.
/// One request the HTTP MCP server saw: method, `authorization`, `dd_api_key`.
type SeenRequest = (String, Option<String>, Option<String>);

#[derive(Clone, Default)]
struct HttpMcp {
    seen: Arc<std::sync::Mutex<Vec<SeenRequest>>>,
}

impl wiremock::Respond for HttpMcp {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        if request.method != wiremock::http::Method::POST {
            return ResponseTemplate::new(405);
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let method = body["method"].as_str().unwrap_or("").to_string();
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        self.seen.lock().unwrap().push((
            method.clone(),
            header("authorization"),
            header("dd_api_key"),
        ));
        let result = match method.as_str() {
            "initialize" => json!({
                "protocolVersion": body["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "fake-http-monitoring", "version": "1.0.0"}
            }),
            "tools/list" => json!({"tools": [
                {"name": "list_monitors", "description": "List monitors.",
                 "inputSchema": {"type": "object", "properties": {}},
                 "annotations": {"readOnlyHint": true}},
                {"name": "delete_monitor", "description": "Delete a monitor.",
                 "inputSchema": {"type": "object", "properties": {}},
                 "annotations": {"readOnlyHint": false, "destructiveHint": true}}
            ]}),
            "tools/call" => json!({"content": [{"type": "text", "text": "http monitors: all OK"}]}),
            _ => return ResponseTemplate::new(202),
        };
        ResponseTemplate::new(200)
            .set_body_json(json!({"jsonrpc": "2.0", "id": body["id"], "result": result}))
    }
}

/// An environment variable of this test process to stand in for a token (tests do
/// not set variables), with its value.
fn present_variable() -> (&'static str, String) {
    ["CARGO_PKG_NAME", "HOME", "PATH"]
        .into_iter()
        .find_map(|name| Some((name, std::env::var(name).ok().filter(|v| !v.is_empty())?)))
        .unwrap()
}

#[tokio::test]
async fn a_streamable_http_server_gets_its_token_and_headers_and_is_called() {
    let mcp = wiremock::MockServer::start().await;
    let http = HttpMcp::default();
    wiremock::Mock::given(wiremock::matchers::path("/mcp"))
        .respond_with(http.clone())
        .mount(&mcp)
        .await;
    let (var, value) = present_variable();
    let repo = repo("\"mon\"", "");
    let provider = Provider::start(Duration::ZERO).await;
    provider.reply(
        "infrastructure",
        tool_call("mcp__mon__list_monitors", &json!({})),
    );
    let v = builder(&repo, &provider, Overrides::default())
        .mcp_server(
            "mon",
            McpServerConfig {
                url: Some(format!("{}/mcp", mcp.uri())),
                auth_token_env: Some(var.into()),
                headers_env: [("DD_API_KEY".to_string(), var.to_string())].into(),
                ..McpServerConfig::default()
            },
        )
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;
    let server = &record.mcp_servers[0];
    assert_eq!(
        (server.transport.as_str(), server.status),
        ("http", McpServerStatus::Ready),
        "{:?}",
        server.message
    );
    assert_eq!(server.tools_offered, ["list_monitors"]);
    let answer = tool_answer(&provider.bodies()[1]);
    assert!(answer.contains("http monitors: all OK"), "{answer}");
    let seen = http.seen.lock().unwrap().clone();
    let methods: Vec<&str> = seen.iter().map(|(m, _, _)| m.as_str()).collect();
    assert!(methods.contains(&"tools/call"), "{methods:?}");
    for (method, auth, dd) in &seen {
        assert_eq!(
            auth.as_deref(),
            Some(format!("Bearer {value}").as_str()),
            "{method}"
        );
        assert_eq!(dd.as_deref(), Some(value.as_str()), "{method}");
    }
}

/// The token goes to the configured URL only: a redirect is not followed, so the
/// server fails to start (a warning) and the other host receives nothing.
#[tokio::test]
async fn a_redirect_never_carries_the_token_elsewhere() {
    let elsewhere = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(HttpMcp::default())
        .mount(&elsewhere)
        .await;
    let mcp = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/mcp", elsewhere.uri())),
        )
        .mount(&mcp)
        .await;
    let (var, _) = present_variable();
    let repo = repo("\"mon\"", "");
    let provider = Provider::start(Duration::ZERO).await;
    let v = builder(&repo, &provider, Overrides::default())
        .mcp_server(
            "mon",
            McpServerConfig {
                url: Some(format!("{}/mcp", mcp.uri())),
                auth_token_env: Some(var.into()),
                ..McpServerConfig::default()
            },
        )
        .build()
        .unwrap();
    let record = verify_infrastructure(&v).await;
    assert_eq!(record.mcp_servers[0].status, McpServerStatus::Failed);
    assert!(
        elsewhere
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert_eq!(
        record.director("infrastructure").unwrap().status,
        DirectorStatus::Ran
    );
}

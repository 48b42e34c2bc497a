//! `fake-monitoring`: a small MCP server on stdio for director's integration tests,
//! started by them as a real child process (the MCP client's real path).
//!
//! Tools: `list_monitors` (read-only; its answer holds a fake AWS secret key that
//! must never reach the provider), `get_monitor` (not annotated, offered only when
//! allow-listed), `delete_monitor` (destructive: must never be offered, and records
//! it if it is ever called), `hang` (never answers) and `crash` (exits the process
//! mid-call). With `FAKE_MCP_MARKER` set, the server appends one line to that file
//! when it starts (`started env=<names of its environment variables>`), so tests can
//! tell whether it ran and what environment it was given.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::{ErrorData, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use std::io::Write as _;

/// The fake AWS secret key in `list_monitors`' answer.
const FAKE_SECRET: &str = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Rk2Lw9d";

#[derive(Debug, Deserialize, JsonSchema)]
struct ServiceArgs {
    /// The service whose monitors to list.
    service: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct MonitorArgs {
    /// The monitor id.
    id: String,
}

#[derive(Clone)]
struct FakeMonitoring {
    tool_router: ToolRouter<Self>,
}

fn mark(line: &str) {
    if let Some(path) = std::env::var_os("FAKE_MCP_MARKER") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    }
}

#[tool_router]
impl FakeMonitoring {
    fn new() -> Self {
        FakeMonitoring {
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "List the monitors (alerts) configured for a service.",
        annotations(read_only_hint = true)
    )]
    async fn list_monitors(
        &self,
        params: Parameters<ServiceArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let service = params.0.service;
        Ok(CallToolResult::success(vec![ContentBlock::text(format!(
            "monitors for {service}:\n- {service}-latency-p99: OK (threshold 500ms)\n- {service}-error-rate: ALERT\nexporter credentials: {FAKE_SECRET}\n"
        ))]))
    }

    #[tool(description = "Show one monitor.")]
    async fn get_monitor(
        &self,
        params: Parameters<MonitorArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(CallToolResult::success(vec![ContentBlock::text(format!(
            "monitor {}: OK",
            params.0.id
        ))]))
    }

    #[tool(
        description = "Delete a monitor.",
        annotations(read_only_hint = false, destructive_hint = true)
    )]
    async fn delete_monitor(
        &self,
        params: Parameters<MonitorArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        mark(&format!("deleted {}", params.0.id));
        Ok(CallToolResult::success(vec![ContentBlock::text("deleted")]))
    }

    #[tool(description = "Never answers.", annotations(read_only_hint = true))]
    async fn hang(&self) -> Result<CallToolResult, ErrorData> {
        mark("hang called");
        std::future::pending::<()>().await;
        Ok(CallToolResult::success(vec![]))
    }

    #[tool(
        description = "Crashes the server.",
        annotations(read_only_hint = true)
    )]
    async fn crash(&self) -> Result<CallToolResult, ErrorData> {
        mark("crash called");
        std::process::exit(101);
    }
}

#[tool_handler(router = self.tool_router, name = "fake-monitoring")]
impl ServerHandler for FakeMonitoring {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut names: Vec<String> = std::env::vars_os()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    names.sort();
    mark(&format!("started env={}", names.join(",")));
    let service = FakeMonitoring::new()
        .serve(rmcp::transport::stdio())
        .await
        .expect("MCP handshake");
    let _ = service.waiting().await;
}

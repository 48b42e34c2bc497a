//! The tools a Director is offered during its review, behind one
//! [`director_llm::ToolExecutor`] per Director ([`DirectorTools`]): the read-only
//! repository tools (`read_file`, `grep`, `list_dir`), the tools of the MCP servers
//! the Director opted into (`mcp__<server>__<tool>`, see [`crate::mcp`]) and any
//! tools an embedder adds ([`crate::VerifierBuilder::tools`]). [`RunTools`] holds
//! what one run shares: the repository tools and the started MCP servers.
//!
//! The repository tools are synchronous (they walk and read files), so each call
//! runs on tokio's blocking pool, never on an async worker: one slow `grep` cannot
//! stall other Directors' HTTP requests and timers. When the review drops the call
//! (its deadline passed or the run was cancelled), a stop flag is raised and the
//! walk ends at the next file. A panic inside a tool reaches the review loop as an
//! `internal` failure of the Director, never as an answer.

use crate::config::Config;
use crate::mcp::session::{LiveServer, McpSession, recorded_arguments};
use crate::registry::Director;
use director_context::RepoTools;
use director_core::record::{McpCall, McpCallOutcome, McpServerRun};
use director_llm::{ToolExecutor, ToolFailure, ToolSpec};
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What one run's Directors share: the repository tools, the MCP servers started for
/// them, the embedder's tools.
pub(crate) struct RunTools {
    repo: Option<RepoToolExecutor>,
    session: McpSession,
    extra: Option<Arc<dyn ToolExecutor>>,
    mcp_cache: bool,
}

impl RunTools {
    /// The tools for the Directors about to run. MCP servers are started only when
    /// tools are on (`run.tool_rounds > 0`), MCP is on (`mcp.enabled`, off with
    /// `--no-mcp`) and a provider is there to call them (`live`; offline mode starts
    /// nothing), and only the servers those Directors opted into.
    pub(crate) async fn prepare(
        cfg: &Config,
        repo_root: &Path,
        directors: &[&Director],
        extra: Option<Arc<dyn ToolExecutor>>,
        live: bool,
    ) -> RunTools {
        let tools_on = cfg.run.tool_rounds > 0;
        let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if tools_on && live && cfg.mcp.enabled {
            for d in directors {
                for server in &d.def.mcp {
                    wanted
                        .entry(server.clone())
                        .or_default()
                        .push(d.name().to_string());
                }
            }
        }
        let session = if wanted.is_empty() {
            McpSession::default()
        } else {
            McpSession::start(&cfg.mcp, wanted).await
        };
        RunTools {
            repo: tools_on.then(|| RepoToolExecutor::new(RepoTools::new(repo_root))),
            session,
            extra: extra.filter(|_| tools_on),
            mcp_cache: cfg.mcp.cache,
        }
    }

    /// The executor for one Director, or None when tools are off. `nonce` is the
    /// run's context nonce, which fences MCP answers.
    pub(crate) fn for_director(
        &self,
        director: &Director,
        nonce: &str,
    ) -> Option<Arc<DirectorTools>> {
        let repo = self.repo.clone()?;
        let servers = director
            .def
            .mcp
            .iter()
            .filter_map(|name| self.session.server(name))
            .collect();
        Some(Arc::new(DirectorTools {
            repo,
            servers,
            extra: self.extra.clone(),
            nonce: nonce.to_string(),
            calls: Mutex::new(Vec::new()),
        }))
    }

    /// Whether a Director with `tools` may be served from (and stored in) the verdict
    /// cache: not when it has live MCP tools, unless `[mcp] cache = true`.
    pub(crate) fn cacheable(&self, tools: Option<&DirectorTools>) -> bool {
        self.mcp_cache || !tools.is_some_and(DirectorTools::has_live_tools)
    }

    /// Close the MCP servers (the Directors are done with them).
    pub(crate) async fn close(&self) {
        self.session.close().await;
    }

    /// What happened to each MCP server a Director opted into, for the record.
    pub(crate) fn report(&self) -> Vec<McpServerRun> {
        self.session.report()
    }
}

/// An MCP call in flight: if its future is dropped (the Director's deadline, a
/// cancelled run) before it ends, the call is still listed, as `cancelled`.
struct PendingCall<'a> {
    calls: &'a Mutex<Vec<McpCall>>,
    started: Instant,
    record: Option<McpCall>,
}

impl Drop for PendingCall<'_> {
    fn drop(&mut self) {
        if let Some(mut record) = self.record.take() {
            record.latency_ms = self.started.elapsed().as_millis() as u64;
            if let Ok(mut calls) = self.calls.lock() {
                calls.push(record);
            }
        }
    }
}

/// One Director's tools for one review, and its MCP calls so far.
pub(crate) struct DirectorTools {
    repo: RepoToolExecutor,
    servers: Vec<Arc<LiveServer>>,
    extra: Option<Arc<dyn ToolExecutor>>,
    nonce: String,
    calls: Mutex<Vec<McpCall>>,
}

impl DirectorTools {
    /// True when some MCP tool is offered.
    pub(crate) fn has_live_tools(&self) -> bool {
        self.servers.iter().any(|s| !s.tools().is_empty())
    }

    /// A hash of every tool offered (names, descriptions, schemas), for the cache key.
    pub(crate) fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        for spec in self.specs() {
            h.update(serde_json::to_vec(&spec).unwrap_or_default());
            h.update([0]);
        }
        director_core::fingerprint::hex(&h.finalize()[..16])
    }

    /// The MCP calls made so far, in order (emptied).
    pub(crate) fn take_calls(&self) -> Vec<McpCall> {
        self.calls
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    fn mcp_tool(&self, name: &str) -> Option<(&LiveServer, &str)> {
        self.servers.iter().find_map(|server| {
            server
                .tools()
                .iter()
                .find(|t| t.spec.name == name)
                .map(|t| (server.as_ref(), t.remote.as_str()))
        })
    }
}

impl ToolExecutor for DirectorTools {
    fn specs(&self) -> Vec<ToolSpec> {
        let mut specs = self.repo.specs();
        for server in &self.servers {
            specs.extend(server.tools().iter().map(|t| t.spec.clone()));
        }
        if let Some(extra) = &self.extra {
            specs.extend(extra.specs());
        }
        specs
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments_json: &'a str,
    ) -> BoxFuture<'a, Result<String, ToolFailure>> {
        Box::pin(async move {
            if let Some((server, remote)) = self.mcp_tool(name) {
                let mut pending = PendingCall {
                    calls: &self.calls,
                    started: Instant::now(),
                    record: Some(McpCall {
                        server: server.name().to_string(),
                        tool: remote.to_string(),
                        arguments: recorded_arguments(arguments_json),
                        bytes: 0,
                        latency_ms: 0,
                        outcome: McpCallOutcome::Cancelled,
                        error: Some(
                            "the Director's deadline passed or the run was cancelled during the call"
                                .into(),
                        ),
                    }),
                };
                let (answer, record) = server.call(remote, arguments_json, &self.nonce).await;
                pending.record = None;
                if let Ok(mut calls) = self.calls.lock() {
                    calls.push(record);
                }
                return Ok(answer);
            }
            if RepoTools::specs().iter().any(|s| s.name == name) {
                return self.repo.call(name, arguments_json).await;
            }
            if let Some(extra) = self
                .extra
                .as_ref()
                .filter(|e| e.specs().iter().any(|s| s.name == name))
            {
                return extra.call(name, arguments_json).await;
            }
            let offered: Vec<String> = self.specs().into_iter().map(|s| s.name).collect();
            Ok(format!(
                "error: unknown tool `{name}`; available: {}",
                offered.join(", ")
            ))
        })
    }
}

/// The repository tools, run off the async workers.
#[derive(Clone)]
pub(crate) struct RepoToolExecutor {
    tools: Arc<RepoTools>,
}

impl RepoToolExecutor {
    pub(crate) fn new(tools: RepoTools) -> RepoToolExecutor {
        RepoToolExecutor {
            tools: Arc::new(tools),
        }
    }
}

/// Raises the stop flag when the call's future is dropped (finished, timed out or
/// cancelled), so a blocking walk nobody waits for ends early.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl ToolExecutor for RepoToolExecutor {
    fn specs(&self) -> Vec<ToolSpec> {
        RepoTools::specs()
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        arguments_json: &'a str,
    ) -> BoxFuture<'a, Result<String, ToolFailure>> {
        Box::pin(async move {
            let stop = Arc::new(AtomicBool::new(false));
            let _raise = StopOnDrop(stop.clone());
            let tools = self.tools.clone();
            let (tool, arguments) = (name.to_string(), arguments_json.to_string());
            let joined =
                tokio::task::spawn_blocking(move || tools.call_until(&tool, &arguments, &stop))
                    .await;
            match joined {
                Ok(out) if out.ok => Ok(out.content),
                Ok(out) => Ok(format!("error: {}", out.content)),
                Err(e) if e.is_panic() => Err(ToolFailure::panicked(name, e.into_panic().as_ref())),
                Err(e) => Err(ToolFailure {
                    message: format!("tool {name} did not finish: {e}"),
                }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with_files(n: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..n {
            let sub = dir.path().join(format!("d{}", i % 20));
            std::fs::create_dir_all(&sub).unwrap();
            std::fs::write(sub.join(format!("f{i}.txt")), "some text\nneedle here\n").unwrap();
        }
        dir
    }

    /// The call yields to the runtime at once instead of walking the repository on
    /// the worker: its first poll is pending (the walk runs on the blocking pool).
    #[tokio::test(flavor = "current_thread")]
    async fn grep_runs_off_the_async_worker() {
        let dir = repo_with_files(600);
        let tools = RepoToolExecutor::new(RepoTools::new(dir.path()));
        let mut call = tools.call("grep", r#"{"pattern": "needle", "path_glob": null}"#);
        assert!(
            futures::poll!(call.as_mut()).is_pending(),
            "the walk ran on the async worker"
        );
        let out = call.await.unwrap();
        assert!(out.contains(":2: needle here"), "{out}");
    }

    #[tokio::test]
    async fn refusals_are_answers_for_the_model() {
        let dir = repo_with_files(1);
        let tools = RepoToolExecutor::new(RepoTools::new(dir.path()));
        let out = tools
            .call(
                "read_file",
                r#"{"path": "../x", "start_line": null, "end_line": null}"#,
            )
            .await
            .unwrap();
        assert!(out.starts_with("error: refused"), "{out}");
    }

    #[test]
    fn a_raised_stop_flag_ends_grep() {
        let dir = repo_with_files(50);
        let tools = RepoTools::new(dir.path());
        let stop = AtomicBool::new(true);
        let out = tools.call_until("grep", r#"{"pattern": "needle", "path_glob": null}"#, &stop);
        assert!(!out.ok);
        assert!(out.content.starts_with("stopped"), "{}", out.content);
    }
}

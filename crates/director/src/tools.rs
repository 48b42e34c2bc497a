//! The tools a Director is offered during its review, behind one
//! [`director_llm::ToolExecutor`]: the read-only repository tools (`read_file`,
//! `grep`, `list_dir`) and any tools an embedder adds.
//!
//! The repository tools are synchronous (they walk and read files), so each call
//! runs on tokio's blocking pool, never on an async worker: one slow `grep` cannot
//! stall other Directors' HTTP requests and timers. When the review drops the call
//! (its deadline passed or the run was cancelled), a stop flag is raised and the
//! walk ends at the next file. A panic inside a tool reaches the review loop as an
//! `internal` failure of the Director, never as an answer.

use director_context::RepoTools;
use director_llm::{ToolExecutor, ToolFailure, ToolSpec};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
            .call("read_file", r#"{"path": "../x", "start_line": null, "end_line": null}"#)
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

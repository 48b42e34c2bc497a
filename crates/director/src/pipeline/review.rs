//! Stage 2, `review`: one tokio task per planned Director (`run_director`), bounded
//! by `[run] max_concurrency`, each with its deadline and the run's cancellation.
//! A verdict cache hit answers without a call.
//!
//! Fail closed: a Director task that panics or is cancelled from outside ends as
//! that Director's `failed` run with reason `internal: panicked: …`; a planned
//! Director without any outcome is failed too. Nothing here can turn into `skipped`.

use super::Engine;
use super::plan::{Plan, Planned};
use crate::event::{EventSink, VerificationEvent};
use crate::registry::Director;
use director_core::record::{DirectorRun, DirectorStatus};
use director_core::{Usage, Verdict};
use director_llm::{
    ChatModel, PriceTable, ReviewOutcome, ReviewRequest, ToolExecutor, VerdictCache,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// What one planned Director produced.
pub(crate) struct Reviewed {
    /// Its index in the panel.
    pub index: usize,
    /// Its run (ran or failed).
    pub run: DirectorRun,
    /// Its verdict, when it ran.
    pub verdict: Option<Verdict>,
}

/// What every Director task of one run shares.
#[derive(Clone)]
struct Shared {
    model: Arc<dyn ChatModel>,
    cache: Option<Arc<VerdictCache>>,
    semaphore: Arc<Semaphore>,
    events: EventSink,
    cancel: CancellationToken,
    task_id: String,
    deadline: Duration,
    output_cap: u32,
    tool_rounds: u32,
    prices: PriceTable,
}

impl Engine {
    /// Stage 2: call every planned Director; one result per planned Director, in panel
    /// order, whatever happens to its task.
    pub(super) async fn review(
        &self,
        plan: &Plan,
        requests: Vec<Planned>,
        events: &EventSink,
        cancel: &CancellationToken,
    ) -> Vec<Reviewed> {
        let Some(model) = plan.model.clone() else {
            return Vec::new();
        };
        let setup = &plan.setup;
        let cfg = &setup.policy.config.config;
        let planned: Vec<usize> = requests.iter().map(|r| r.director_index).collect();
        let limit = match cfg.run.max_concurrency {
            0 => requests.len().max(1),
            n => n,
        };
        let shared = Shared {
            model,
            cache: setup.cache.clone(),
            semaphore: Arc::new(Semaphore::new(limit)),
            events: events.clone(),
            cancel: cancel.clone(),
            task_id: plan.task.id.clone(),
            deadline: Duration::from_secs(cfg.run.timeout_secs.max(1)),
            output_cap: cfg.run.max_output_tokens_cap,
            tool_rounds: cfg.run.tool_rounds,
            prices: cfg.prices.clone(),
        };
        let mut set = tokio::task::JoinSet::new();
        let mut index_of = HashMap::new();
        for request in requests {
            let index = request.director_index;
            let d = setup.policy.panel.directors()[index].clone();
            let span = tracing::Span::current();
            let handle = set.spawn(tracing::Instrument::instrument(
                run_director(d, request, shared.clone()),
                span,
            ));
            index_of.insert(handle.id(), index);
        }
        let mut out: Vec<Reviewed> = Vec::new();
        while let Some(joined) = set.join_next_with_id().await {
            match joined {
                Ok((_, reviewed)) => out.push(reviewed),
                Err(e) => {
                    let Some(&index) = index_of.get(&e.id()) else {
                        tracing::error!("a Director task of unknown origin failed: {e}");
                        continue;
                    };
                    let d = &setup.policy.panel.directors()[index];
                    let why = format!("internal: {}", super::join_error_text(e));
                    tracing::error!(director = d.name(), "{why}");
                    let run = failed_run(d, why);
                    events.emit(VerificationEvent::DirectorFinished {
                        task: plan.task.id.clone(),
                        run: Box::new(run.clone()),
                    });
                    out.push(Reviewed {
                        index,
                        run,
                        verdict: None,
                    });
                }
            }
        }
        // Fail closed: every planned Director has an outcome.
        for index in planned {
            if !out.iter().any(|r| r.index == index) {
                let d = &setup.policy.panel.directors()[index];
                out.push(Reviewed {
                    index,
                    run: failed_run(d, "internal: the Director task gave no outcome".into()),
                    verdict: None,
                });
            }
        }
        out.sort_by_key(|r| r.index);
        out
    }
}

/// A Director that should have reviewed and could not.
pub(super) fn failed_run(d: &Director, reason: String) -> DirectorRun {
    let mut run = super::route::skipped(d, reason);
    run.status = DirectorStatus::Failed;
    run
}

/// One Director: the cache, a concurrency slot, the review loop, the cache write.
async fn run_director(d: Director, plan: Planned, shared: Shared) -> Reviewed {
    let index = plan.director_index;
    let cache = shared.cache.clone().filter(|_| plan.cacheable);
    if let Some(hit) = cache.as_ref().and_then(|c| c.get(&plan.cache_key)) {
        let mut run = ran(
            &d,
            &plan.model,
            &hit.verdict,
            Usage::default(),
            Duration::ZERO,
            0,
            0,
        );
        run.from_cache = true;
        run.prompt_tokens = plan.prompt_tokens as u64;
        run.reason = Some("verdict from cache (identical input)".into());
        shared.events.emit(VerificationEvent::DirectorFinished {
            task: shared.task_id,
            run: Box::new(run.clone()),
        });
        return Reviewed {
            index,
            run,
            verdict: Some(hit.verdict),
        };
    }
    let _permit = tokio::select! {
        p = shared.semaphore.clone().acquire_owned() => p.ok(),
        () = shared.cancel.cancelled() => None,
    };
    shared.events.emit(VerificationEvent::DirectorStarted {
        task: shared.task_id.clone(),
        director: d.name().to_string(),
        model: plan.model.clone(),
    });
    let request = ReviewRequest {
        director: d.name().to_string(),
        model: plan.model.clone(),
        messages: plan.messages,
        schema_in_prompt: plan.schema_in_prompt,
        max_output_tokens: plan.max_output_tokens,
        max_output_tokens_cap: shared.output_cap.max(plan.max_output_tokens),
        deadline: shared.deadline,
        max_tool_rounds: shared.tool_rounds,
        temperature: Some(0.0),
    };
    let tools: Option<&dyn ToolExecutor> = plan.tools.as_deref().map(|t| t as &dyn ToolExecutor);
    let mut outcome: ReviewOutcome =
        director_llm::review(shared.model.as_ref(), request, tools, &shared.cancel).await;
    let mcp_calls = plan
        .tools
        .as_ref()
        .map(|t| t.take_calls())
        .unwrap_or_default();
    outcome.usage.cost_usd = shared.prices.cost(&plan.model, &outcome.usage);
    let (mut run, verdict) = match outcome.result.clone() {
        Ok(verdict) => {
            if let Some(cache) = &cache {
                let entry = director_llm::CachedVerdict::now(
                    verdict.clone(),
                    outcome.usage,
                    plan.model.clone(),
                );
                if let Err(e) = cache.put(&plan.cache_key, &entry) {
                    tracing::warn!("failed to write the verdict cache: {e}");
                }
            }
            let run = ran(
                &d,
                &plan.model,
                &verdict,
                outcome.usage,
                outcome.elapsed,
                outcome.attempts,
                outcome.tool_calls,
            );
            (run, Some(verdict))
        }
        Err(failure) => {
            let mut run = failed_run(&d, format!("{}: {}", failure.kind, failure.message));
            run.model = Some(plan.model.clone());
            run.usage = Some(outcome.usage);
            run.elapsed_ms = outcome.elapsed.as_millis() as u64;
            run.attempts = outcome.attempts;
            run.tool_calls = outcome.tool_calls;
            run.reply_excerpt = outcome
                .raw_reply
                .as_deref()
                .map(|r| director_context::redact(r, "reply").text);
            (run, None)
        }
    };
    run.prompt_tokens = plan.prompt_tokens as u64;
    run.mcp_calls = mcp_calls;
    shared.events.emit(VerificationEvent::DirectorFinished {
        task: shared.task_id,
        run: Box::new(run.clone()),
    });
    Reviewed {
        index,
        run,
        verdict,
    }
}

/// The run of a Director that gave a valid verdict.
fn ran(
    d: &Director,
    model: &str,
    verdict: &Verdict,
    usage: Usage,
    elapsed: Duration,
    attempts: u32,
    tool_calls: u32,
) -> DirectorRun {
    DirectorRun {
        name: d.name().to_string(),
        display_name: d.def.display_name.clone(),
        persona: d.def.persona.clone(),
        status: DirectorStatus::Ran,
        verdict: Some(verdict.verdict),
        summary: Some(verdict.summary.clone()),
        reason: None,
        model: Some(model.to_string()),
        prompt_tokens: 0,
        usage: Some(usage),
        elapsed_ms: elapsed.as_millis() as u64,
        attempts,
        from_cache: false,
        tool_calls,
        findings_verified: 0,
        findings_unverified: 0,
        reply_excerpt: None,
        mcp_calls: Vec::new(),
    }
}

//! Stage 2, `review`: one tokio task per planned Director (`run_director`), bounded
//! by `[run] max_concurrency`, each with its deadline and the run's cancellation.
//! A verdict cache hit answers without a call.
//!
//! Fail closed: a Director task that panics or is cancelled from outside ends as
//! that Director's `failed` run with reason `internal: panicked: …`; a planned
//! Director without any outcome is failed too. Nothing here can turn into `skipped`.

use super::Engine;
use super::fitting::FitPlan;
use super::plan::{Plan, Planned};
use crate::event::{EventSink, VerificationEvent};
use crate::registry::Director;
use director_core::record::{AttemptRecord, DirectorRun, DirectorStatus, PartRun};
use director_core::{Usage, Verdict, VerdictKind};
use director_llm::{ChatModel, PriceTable, ReviewOutcome, ReviewRequest, ToolExecutor};
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
    cache: Option<crate::cache::CacheSession>,
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
        // No more Directors at once than the server takes requests (its slots, or
        // `max_in_flight`): the others wait in director's queue, their deadline not
        // yet running.
        let limit = match plan.server.as_ref().and_then(|s| s.max_in_flight) {
            Some(cap) => limit.min(cap.max(1)),
            None => limit,
        };
        let shared = Shared {
            model,
            cache: plan.cache.clone(),
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
                        run: run.clone(),
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

/// One Director: a concurrency slot (unless every request is cached), then its one
/// request or its parts in turn. A request that cannot fit fails before any call.
async fn run_director(d: Director, mut plan: Planned, mut shared: Shared) -> Reviewed {
    let index = plan.director_index;
    // A Director with live MCP tools bypasses the cache unless `[mcp] cache = true`.
    if !plan.cacheable {
        shared.cache = None;
    }
    let mut fit = plan.fit.take();
    let parts = fit
        .as_mut()
        .map(|f| std::mem::take(&mut f.parts))
        .unwrap_or_default();
    let profile = fit.as_ref().map(|f| f.profile.as_str().to_string());
    if let Some(reason) = fit.as_ref().and_then(|f| f.too_small.clone()) {
        let mut run = failed_run(&d, reason);
        run.model = Some(plan.model.clone());
        run.prompt_profile = profile;
        run.prompt_tokens = plan.prompt_tokens as u64;
        // What could not fit, and why, stays on the record.
        if let Some(fit) = &fit {
            run.omitted.clone_from(&fit.omitted);
        }
        return finish(&shared, index, run, None);
    }
    let keys: Vec<&str> = if parts.is_empty() {
        vec![plan.cache_key.as_str()]
    } else {
        parts.iter().map(|p| p.cache_key.as_str()).collect()
    };
    // Each key is looked up once; the hits are handed to `review_one`.
    let mut hits: Vec<Option<crate::cache::CachedVerdict>> = Vec::with_capacity(keys.len());
    for key in &keys {
        hits.push(match &shared.cache {
            Some(cache) => cache.get(key).await,
            None => None,
        });
    }
    let all_cached = !hits.is_empty() && hits.iter().all(Option::is_some);
    let mut hits = hits.into_iter();
    // Directors wait here, in director's queue, not on the server.
    let _permit = if all_cached {
        None
    } else {
        tokio::select! {
            p = shared.semaphore.clone().acquire_owned() => p.ok(),
            () = shared.cancel.cancelled() => None,
        }
    };
    shared.events.emit(VerificationEvent::DirectorStarted {
        task: shared.task_id.clone(),
        director: d.name().to_string(),
        model: plan.model.clone(),
    });
    let mut run = if parts.is_empty() {
        let messages = std::mem::take(&mut plan.messages);
        let hit = hits.next().flatten();
        let one = review_one(
            &d,
            &shared,
            &plan,
            fit.as_ref(),
            messages,
            &plan.cache_key,
            hit,
        )
        .await;
        one.into_run(&d, &plan.model)
    } else {
        let mut outcomes = Vec::with_capacity(parts.len());
        for part in parts {
            let one = review_one(
                &d,
                &shared,
                &plan,
                fit.as_ref(),
                part.messages,
                &part.cache_key,
                hits.next().flatten(),
            )
            .await;
            outcomes.push((part.label, part.files, part.prompt_tokens, one));
        }
        merge_parts(&d, &plan.model, outcomes)
    };
    run.0.prompt_tokens = plan.prompt_tokens as u64;
    run.0.prompt_profile = profile;
    if let Some(tools) = &plan.tools {
        run.0.mcp_calls = tools.take_calls();
    }
    if let Some(fit) = &fit {
        run.0.omitted.clone_from(&fit.omitted);
    }
    finish(&shared, index, run.0, run.1)
}

/// Announce a Director's run and hand it to the judge.
fn finish(shared: &Shared, index: usize, run: DirectorRun, verdict: Option<Verdict>) -> Reviewed {
    shared.events.emit(VerificationEvent::DirectorFinished {
        task: shared.task_id.clone(),
        run: run.clone(),
    });
    Reviewed {
        index,
        run,
        verdict,
    }
}

/// What one request (the whole review, or one part) produced.
struct One {
    result: Result<Verdict, String>,
    /// Complete findings of a reply cut off by the output limit.
    partial: Option<Verdict>,
    usage: Usage,
    elapsed: Duration,
    attempts: u32,
    tool_calls: u32,
    attempt_log: Vec<AttemptRecord>,
    reply_excerpt: Option<String>,
    from_cache: bool,
}

impl One {
    /// The run of a Director reviewed in one request; its verdict, or the complete
    /// findings salvaged from a cut-off reply (the Director still failed).
    fn into_run(self, d: &Director, model: &str) -> (DirectorRun, Option<Verdict>) {
        match self.result {
            Ok(verdict) => {
                let mut run = ran(
                    d,
                    model,
                    &verdict,
                    self.usage,
                    self.elapsed,
                    self.attempts,
                    self.tool_calls,
                );
                run.attempt_log = self.attempt_log;
                if self.from_cache {
                    run.from_cache = true;
                    run.reason = Some("verdict from cache (identical input)".into());
                }
                (run, Some(verdict))
            }
            Err(reason) => {
                let mut run = failed_run(d, reason);
                run.model = Some(model.to_string());
                run.usage = Some(self.usage);
                run.elapsed_ms = self.elapsed.as_millis() as u64;
                run.attempts = self.attempts;
                run.tool_calls = self.tool_calls;
                run.attempt_log = self.attempt_log;
                run.reply_excerpt = self.reply_excerpt;
                run.partial = self.partial.is_some();
                (run, self.partial)
            }
        }
    }
}

/// One request through the verdict cache and the review loop.
async fn review_one(
    d: &Director,
    shared: &Shared,
    plan: &Planned,
    fit: Option<&FitPlan>,
    messages: Vec<director_llm::ChatMessage>,
    cache_key: &str,
    hit: Option<crate::cache::CachedVerdict>,
) -> One {
    if let Some(hit) = hit {
        return One {
            result: Ok(hit.verdict),
            partial: None,
            usage: Usage::default(),
            elapsed: Duration::ZERO,
            attempts: 0,
            tool_calls: 0,
            attempt_log: Vec::new(),
            reply_excerpt: None,
            from_cache: true,
        };
    }
    let request = ReviewRequest {
        director: d.name().to_string(),
        model: plan.model.clone(),
        messages,
        schema_in_prompt: plan.schema_in_prompt,
        max_output_tokens: plan.max_output_tokens,
        max_output_tokens_cap: shared.output_cap.max(plan.max_output_tokens),
        deadline: shared.deadline,
        max_tool_rounds: shared.tool_rounds,
        temperature: Some(0.0),
        structured_output: fit.map(|f| f.structured_output),
        bound: fit.map(|f| f.bound),
        schema_max_length: fit.is_some_and(|f| f.schema_max_length),
    };
    let tools: Option<&dyn ToolExecutor> = plan.tools.as_deref().map(|t| t as &dyn ToolExecutor);
    let mut outcome: ReviewOutcome =
        director_llm::review(shared.model.as_ref(), request, tools, &shared.cancel).await;
    outcome.usage.cost_usd = shared.prices.cost(&plan.model, &outcome.usage);
    if let (Ok(verdict), Some(cache)) = (&outcome.result, &shared.cache) {
        let entry =
            crate::cache::CachedVerdict::now(verdict.clone(), outcome.usage, plan.model.clone());
        cache.put(cache_key, &entry).await;
    }
    One {
        result: outcome
            .result
            .map_err(|failure| format!("{}: {}", failure.kind, failure.message)),
        partial: outcome.partial,
        usage: outcome.usage,
        elapsed: outcome.elapsed,
        attempts: outcome.attempts,
        tool_calls: outcome.tool_calls,
        attempt_log: outcome
            .attempt_log
            .into_iter()
            .map(|a| AttemptRecord {
                outcome: a.outcome,
                elapsed_ms: a.elapsed.as_millis() as u64,
                part: None,
            })
            .collect(),
        reply_excerpt: outcome
            .raw_reply
            .as_deref()
            .map(|r| director_context::redact(r, "reply").text),
        from_cache: false,
    }
}

/// The run of a Director reviewed in parts: ran when every part answered; the
/// verdict is the worst part's, the findings every part's (a failed part's salvaged
/// ones included), so that they merge like any Directors' findings.
fn merge_parts(
    d: &Director,
    model: &str,
    outcomes: Vec<(String, Vec<String>, usize, One)>,
) -> (DirectorRun, Option<Verdict>) {
    let mut run = failed_run(d, String::new());
    run.model = Some(model.to_string());
    let mut usage = Usage::default();
    let mut findings = Vec::new();
    let mut summaries = Vec::new();
    let mut worst = VerdictKind::Pass;
    let mut failures = Vec::new();
    let mut from_cache = true;
    for (label, files, prompt_tokens, one) in outcomes {
        usage += one.usage;
        run.elapsed_ms += one.elapsed.as_millis() as u64;
        run.attempts += one.attempts;
        run.tool_calls += one.tool_calls;
        from_cache &= one.from_cache;
        run.attempt_log
            .extend(one.attempt_log.into_iter().map(|a| AttemptRecord {
                part: Some(label.clone()),
                ..a
            }));
        let (status, verdict_kind, reason, count) = match one.result {
            Ok(verdict) => {
                worst = worse(worst, verdict.verdict);
                summaries.push(format!("{label}: {}", verdict.summary));
                let count = verdict.findings.len() as u32;
                findings.extend(verdict.findings);
                (DirectorStatus::Ran, Some(verdict.verdict), None, count)
            }
            Err(reason) => {
                failures.push(format!("{label}: {reason}"));
                run.reply_excerpt = one.reply_excerpt;
                let count = one.partial.as_ref().map_or(0, |v| v.findings.len() as u32);
                if let Some(partial) = one.partial {
                    run.partial = true;
                    findings.extend(partial.findings);
                }
                (DirectorStatus::Failed, None, Some(reason), count)
            }
        };
        run.parts.push(PartRun {
            label,
            files,
            status,
            verdict: verdict_kind,
            reason,
            findings: count,
            prompt_tokens: prompt_tokens as u64,
            elapsed_ms: one.elapsed.as_millis() as u64,
            attempts: one.attempts,
        });
    }
    run.usage = Some(usage);
    let merged = Verdict {
        verdict: worst,
        summary: summaries.join(" "),
        findings,
    };
    if failures.is_empty() {
        run.status = DirectorStatus::Ran;
        run.verdict = Some(worst);
        run.summary = Some(merged.summary.clone());
        run.reason = Some(format!("reviewed in {} parts", run.parts.len()));
        run.from_cache = from_cache;
        (run, Some(merged))
    } else {
        run.reason = Some(failures.join("; "));
        let keep = !merged.findings.is_empty();
        (run, keep.then_some(merged))
    }
}

/// The more severe of two verdicts.
fn worse(a: VerdictKind, b: VerdictKind) -> VerdictKind {
    let rank = |v| match v {
        VerdictKind::Pass => 0,
        VerdictKind::Warn => 1,
        VerdictKind::Block => 2,
    };
    if rank(b) > rank(a) { b } else { a }
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
        status: DirectorStatus::Ran,
        verdict: Some(verdict.verdict),
        summary: Some(verdict.summary.clone()),
        reason: None,
        model: Some(model.to_string()),
        usage: Some(usage),
        elapsed_ms: elapsed.as_millis() as u64,
        attempts,
        tool_calls,
        ..super::route::skipped(d, String::new())
    }
}

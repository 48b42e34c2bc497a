//! The orchestrator: one verification from task to decision.
//!
//! Data flow (DESIGN.md): resolve the change → deterministic evidence → route each
//! Director → pack one shared context → render the three messages per Director →
//! budget → fan out (one tokio task per Director, bounded concurrency, per-Director
//! deadline, cancellation) → check every finding's quote against the code → inline
//! suppressions → merge across Directors → baseline → gate → record.
//!
//! Architecture Invariant: a Director that should have reviewed the change and did
//! not produce a valid verdict is `failed`, and a failed Director can only make the
//! decision `incomplete` or leave a `block` standing — never a silent `pass` (unless
//! the user chose `on_incomplete = "pass-with-warning"`, which the record states).

use crate::baseline::{Baseline, apply_suppressions};
use crate::config::ResolvedConfig;
use crate::error::Error;
use crate::event::{EventSink, VerificationEvent};
use crate::registry::{Director, Panel, PanelEntry};
use crate::tools::{DirectorTools, RunTools};
use director_context::{ChangeRequest, ChangeSet, PackInput};
use director_core::record::{
    ContextSummary, DirectorRun, DirectorStatus, EvidenceSummary, LlmInfo, RunRecord,
};
use director_core::routing::RoutedFile;
use director_core::verify::{DEFAULT_DRIFT, QuoteCheck, check_quote};
use director_core::{Environment, Finding, FindingSource, Task, Usage, gate, merge};
use director_evidence::SourceFile;
use director_llm::{
    ChatMessage, ChatModel, ReviewOutcome, ReviewRequest, ToolExecutor, VerdictCache,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Per-run choices that are not configuration.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Base ref, overriding the task's.
    pub base: Option<String>,
    /// Head ref, overriding the task's.
    pub head: Option<String>,
    /// Review these paths whole, overriding the task's.
    pub paths: Vec<String>,
    /// Run exactly these Directors (overrides routing).
    pub directors: Vec<String>,
    /// Run every Director (overrides routing).
    pub all_directors: bool,
}

/// Everything a verification needs, shared by the runs of one process.
pub(crate) struct Engine {
    /// Token counts of rendered prompt parts, by content hash. Director prompts only
    /// change with the panel and environment, so a long-lived verifier (MCP server,
    /// agent framework, several tasks) counts each of them once.
    pub(crate) token_counts: std::sync::Mutex<std::collections::HashMap<u64, usize>>,
    pub(crate) repo_root: PathBuf,
    pub(crate) config: ResolvedConfig,
    pub(crate) panel: Arc<Panel>,
    pub(crate) model: Option<Arc<dyn ChatModel>>,
    pub(crate) cache: Option<Arc<VerdictCache>>,
    /// Tools of the embedder's own, offered beside the repository tools.
    pub(crate) extra_tools: Option<Arc<dyn ToolExecutor>>,
}

/// The change and the analyzers' report.
struct Prepared {
    changes: ChangeSet,
    report: director_evidence::EvidenceReport,
}

/// The packed context, as `director context` prints it.
#[derive(Debug, Clone)]
pub struct ContextPreview {
    /// The context text (fenced, redacted).
    pub text: String,
    /// Its tokens, budget, omissions and redactions, as the run record has them.
    pub summary: ContextSummary,
}

/// Plans kept within the budget, and plans dropped with the reason.
type BudgetSplit = (Vec<Planned>, Vec<(Planned, String)>);

/// What one Director will be sent.
struct Planned {
    director_index: usize,
    model: String,
    messages: Vec<ChatMessage>,
    prompt_tokens: usize,
    max_output_tokens: u32,
    schema_in_prompt: bool,
    cache_key: String,
    /// Its tools (None when tools are off) and whether its verdict may be cached.
    tools: Option<Arc<DirectorTools>>,
    cacheable: bool,
}

fn environment_of(task: &Task, engine: &Engine) -> Option<Environment> {
    task.environment
        .or(engine.config.config.context.environment)
}

fn new_run_id(now: &chrono::DateTime<chrono::Utc>) -> String {
    // Sub-second nanos plus the process id keep ids of concurrent runs apart.
    let salt = (now.timestamp_subsec_nanos() as u64) ^ (u64::from(std::process::id()) << 20);
    let salt = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    format!("{}-{salt:06x}", now.format("%Y%m%dT%H%M%S%.3fZ"))
}

impl Engine {
    fn tokens(&self, text: &str) -> usize {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let key = h.finish();
        if let Some(n) = self
            .token_counts
            .lock()
            .ok()
            .and_then(|m| m.get(&key).copied())
        {
            return n;
        }
        let n = director_context::count_tokens(text);
        if let Ok(mut m) = self.token_counts.lock() {
            if m.len() > 4096 {
                m.clear();
            }
            m.insert(key, n);
        }
        n
    }

    /// Run one verification.
    pub(crate) async fn verify(
        &self,
        task: Task,
        options: &VerifyOptions,
        events: &EventSink,
        cancel: &CancellationToken,
    ) -> Result<RunRecord, Error> {
        task.validate().map_err(|e| Error::Input {
            message: e.to_string(),
            hint: "fix the task file (see `director task show <id>`)".into(),
        })?;
        let started = Instant::now();
        let started_at = chrono::Utc::now();
        let run_id = new_run_id(&started_at);
        let cfg = &self.config.config;
        let environment = environment_of(&task, self);
        let env_name = environment
            .map_or("unspecified", Environment::as_str)
            .to_string();

        for name in &options.directors {
            if self.panel.get(name).is_none() {
                return Err(Error::Input {
                    message: format!("unknown Director `{name}`"),
                    hint: format!("the panel is: {}", self.panel.names().join(", ")),
                });
            }
        }
        let Prepared { changes, report } = self.prepare(&task, options, environment).await?;
        events.emit(VerificationEvent::ChangeGathered {
            task: task.id.clone(),
            files: changes.files.len(),
        });
        events.emit(VerificationEvent::EvidenceReady {
            task: task.id.clone(),
            findings: report.findings.len(),
        });

        // 3. Routing.
        let routed: Vec<RoutedFile<'_>> = changes
            .files
            .iter()
            .map(|f| RoutedFile {
                path: &f.path,
                classes: &f.classes,
            })
            .collect();
        let mut runs: Vec<Option<DirectorRun>> = vec![None; self.panel.directors().len()];
        let mut selected: Vec<usize> = Vec::new();
        for (i, d) in self.panel.directors().iter().enumerate() {
            let decision = if !options.directors.is_empty() {
                if options.directors.iter().any(|n| n == d.name()) {
                    Ok("selected with --director".to_string())
                } else {
                    Err("not selected (--director names others)".to_string())
                }
            } else if cfg.directors.disabled.iter().any(|n| n == d.name()) {
                Err("disabled in configuration ([directors] disabled)".to_string())
            } else if options.all_directors {
                Ok("--all-directors".to_string())
            } else {
                let r = d.routing().route(
                    &d.def.display_name,
                    &routed,
                    environment,
                    !task.criteria.is_empty(),
                );
                if r.runs() {
                    Ok(r.reason().to_string())
                } else {
                    Err(r.reason().to_string())
                }
            };
            match decision {
                Ok(_) => selected.push(i),
                Err(reason) => runs[i] = Some(skipped(d, reason)),
            }
        }

        // 4. Offline: the evidence decides alone.
        // A model handed to the builder counts as configured even without [provider]
        // settings; only an explicit offline switch overrides it.
        let model = self.model.clone().filter(|_| !cfg.provider.offline);
        let offline_reason = model.is_none().then(|| {
            self.config
                .offline_reason()
                .unwrap_or_else(|| "no LLM provider is configured".to_string())
        });
        if model.is_none() {
            let reason = "not run: no LLM provider (offline)".to_string();
            for &i in &selected {
                runs[i] = Some(skipped(&self.panel.directors()[i], reason.clone()));
            }
            selected.clear();
        }
        events.emit(VerificationEvent::Started {
            task: task.id.clone(),
            run_id: run_id.clone(),
            directors: selected
                .iter()
                .map(|&i| self.panel.directors()[i].name().to_string())
                .collect(),
            offline_reason: offline_reason.clone(),
        });
        for (i, run) in runs.iter().enumerate() {
            if let Some(run) = run {
                events.emit(VerificationEvent::DirectorSkipped {
                    task: task.id.clone(),
                    director: self.panel.directors()[i].name().to_string(),
                    reason: run.reason.clone().unwrap_or_default(),
                });
            }
        }

        // The tools the running Directors may call; MCP servers start here.
        let running: Vec<&Director> = selected
            .iter()
            .map(|&i| &self.panel.directors()[i])
            .collect();
        let run_tools = RunTools::prepare(
            &self.config,
            &self.repo_root,
            &running,
            self.extra_tools.clone(),
            model.is_some(),
        )
        .await;

        // 5. Context and messages, only when a Director will run.
        let mut context_summary = ContextSummary {
            budget: cfg.context.max_tokens as u64,
            ..ContextSummary::default()
        };
        let mut plans: Vec<Planned> = Vec::new();
        let mut partial = false;
        if !selected.is_empty() {
            let packed = self.pack(&task, &changes, &report.findings);
            let entries: Vec<PanelEntry> = selected
                .iter()
                .map(|&i| self.panel.directors()[i].panel_entry())
                .collect();
            let frame =
                self.panel
                    .render_frame(&entries, &packed.nonce, &packed.text, &env_name)?;
            // The context comes last in the frame and was counted while packing; only the
            // fixed part is counted here (cached across runs).
            let placeholder = "0".repeat(packed.nonce.len());
            let fixed = self
                .panel
                .render_frame(&entries, &placeholder, "", &env_name)?;
            let frame_tokens = self.tokens(&fixed) + packed.tokens;
            // Whether the server enforces the schema itself; otherwise the instruction
            // quotes it (and the review loop must not add a second copy).
            let structured = model.as_ref().map(|m| m.info().structured_output)
                == Some(director_llm::StructuredOutput::JsonSchema);
            let schema = director_core::verdict::verdict_schema();
            let schema_text = serde_json::to_string_pretty(schema).unwrap_or_default();
            let mut shares = Vec::new();
            for &i in &selected {
                let d = &self.panel.directors()[i];
                let others: Vec<PanelEntry> = entries
                    .iter()
                    .filter(|e| e.name != d.name())
                    .cloned()
                    .collect();
                let own = self.panel.render_director(d, &others, &env_name)?;
                let instruction = self.panel.render_instruction(d, structured, &schema_text)?;
                let own_tokens = self.tokens(&own) + self.tokens(&instruction);
                let prompt_tokens = frame_tokens + own_tokens;
                shares.push(frame_tokens as f64 / prompt_tokens.max(1) as f64);
                let model_name = d
                    .def
                    .model
                    .clone()
                    .or_else(|| cfg.directors.models.get(d.name()).cloned())
                    .unwrap_or_else(|| cfg.provider.model.clone());
                let max_output_tokens =
                    d.def.max_output_tokens.unwrap_or(cfg.run.max_output_tokens);
                let tools = run_tools.for_director(d, &packed.nonce);
                let tools_offered = tools.as_ref().map(|t| t.fingerprint()).unwrap_or_default();
                let cache_key = VerdictCache::key(&[
                    tools_offered.as_bytes(),
                    d.fingerprint.as_bytes(),
                    frame.as_bytes(),
                    own.as_bytes(),
                    instruction.as_bytes(),
                    model_name.as_bytes(),
                    format!(
                        "{max_output_tokens}/{}/{:?}",
                        cfg.run.tool_rounds, cfg.provider.structured_output
                    )
                    .as_bytes(),
                ]);
                plans.push(Planned {
                    director_index: i,
                    model: model_name,
                    messages: vec![
                        ChatMessage::System(frame.clone()),
                        ChatMessage::System(own),
                        ChatMessage::User(instruction),
                    ],
                    prompt_tokens,
                    max_output_tokens,
                    schema_in_prompt: !structured,
                    cache_key,
                    cacheable: run_tools.cacheable(tools.as_deref()),
                    tools,
                });
            }
            context_summary = ContextSummary {
                shared_prefix_tokens: frame_tokens as u64,
                shared_prefix_share: shares.iter().sum::<f64>() / shares.len().max(1) as f64,
                ..packed.summary(cfg.context.max_tokens)
            };

            // 6. Budget: keep the highest-priority Directors that fit.
            let (kept, dropped) = self.apply_budget(plans)?;
            plans = kept;
            for (plan, reason) in dropped {
                partial = true;
                let d = &self.panel.directors()[plan.director_index];
                events.emit(VerificationEvent::DirectorSkipped {
                    task: task.id.clone(),
                    director: d.name().to_string(),
                    reason: reason.clone(),
                });
                let mut run = skipped(d, reason);
                run.prompt_tokens = plan.prompt_tokens as u64;
                runs[plan.director_index] = Some(run);
            }
        }

        // 7. Fan out.
        let mut failed: Vec<String> = Vec::new();
        let mut llm_findings: Vec<Finding> = Vec::new();
        let mut usage = Usage::default();
        if let Some(model) = model
            && !plans.is_empty()
        {
            let outcomes = self.fan_out(&task, plans, model, events, cancel).await;
            let mut checker = EvidenceChecker::new(&changes, &task);
            for (index, run, verdict) in outcomes {
                let d = &self.panel.directors()[index];
                let mut run = run;
                if let Some(u) = &run.usage {
                    usage += *u;
                }
                match verdict {
                    Some(verdict) => {
                        let mut verified = 0;
                        let mut unverified = 0;
                        for reported in verdict.findings {
                            let mut f = Finding::from_reported(d.name(), reported);
                            checker.check(&mut f);
                            if f.verified {
                                verified += 1
                            } else {
                                unverified += 1
                            }
                            llm_findings.push(f);
                        }
                        run.findings_verified = verified;
                        run.findings_unverified = unverified;
                    }
                    None => failed.push(d.name().to_string()),
                }
                runs[index] = Some(run);
            }
        }
        let cancelled = cancel.is_cancelled();
        let mcp_servers = run_tools.finish().await;

        // 8. Suppressions, merge, baseline, gate.
        let head_files: BTreeMap<String, &str> = changes
            .files
            .iter()
            .filter_map(|f| Some((f.path.clone(), f.content.as_deref()?)))
            .collect();
        let evidence_count = report.findings.len() as u32;
        let mut all: Vec<Finding> = report.findings;
        all.extend(llm_findings);
        let warnings = apply_suppressions(&mut all, &head_files);
        all.extend(warnings);
        for f in &mut all {
            if f.source == FindingSource::Evidence
                && let Some(e) = &f.evidence
            {
                // Analyzers quote raw lines; the record never holds secrets.
                f.evidence =
                    Some(director_context::redact(e, f.path.as_deref().unwrap_or("")).text);
            }
        }
        let mut findings = merge::merge_findings(all);
        Baseline::load(&self.repo_root)?.apply(&mut findings);
        let panel = &self.panel;
        let outcome = gate::decide(
            &cfg.gate,
            &mut findings,
            |name| panel.get(name).is_none_or(|d| d.def.may_block),
            &failed,
            cancelled,
        );
        let mut reason = outcome.reason.clone();
        if outcome.decision == director_core::Decision::Block && !failed.is_empty() {
            reason.push_str(&format!("; also, {} could not finish", failed.join(", ")));
        }
        if partial {
            reason.push_str(" (partial: some Directors were skipped to stay within the budget)");
        }
        if offline_reason.is_some() {
            reason.push_str(" (decided on deterministic evidence only)");
        }
        for f in &findings {
            events.emit(VerificationEvent::Finding {
                task: task.id.clone(),
                finding: Box::new(f.clone()),
            });
        }
        events.emit(VerificationEvent::Usage {
            task: task.id.clone(),
            usage,
        });

        let record = RunRecord {
            version: director_core::record::RECORD_VERSION,
            run_id,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            duration_ms: started.elapsed().as_millis() as u64,
            repository: changes.repository_info(),
            task,
            decision: outcome.decision,
            reason,
            partial,
            cancelled,
            llm: LlmInfo {
                configured: self.model.is_some(),
                base_url: self
                    .model
                    .as_ref()
                    .map(|m| without_userinfo(&m.info().base_url)),
                model: self.model.as_ref().map(|_| cfg.provider.model.clone()),
                note: offline_reason.map(|r| format!("no LLM Director ran: {r}")),
            },
            directors: runs
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    r.unwrap_or_else(|| skipped(&self.panel.directors()[i], "not run".into()))
                })
                .collect(),
            findings,
            changes: changes.summaries(),
            evidence: EvidenceSummary {
                files_analyzed: report.files_analyzed,
                findings: evidence_count,
                parse_errors: report.parse_errors,
            },
            context: context_summary,
            usage,
            mcp_servers,
        };
        if cfg.run.write_record {
            crate::store::save_record(&self.repo_root, &record)?;
        }
        events.emit(VerificationEvent::Finished {
            record: Box::new(record.clone()),
        });
        Ok(record)
    }

    /// Gather the change and run the analyzers over it.
    async fn prepare(
        &self,
        task: &Task,
        options: &VerifyOptions,
        environment: Option<Environment>,
    ) -> Result<Prepared, Error> {
        let cfg = &self.config.config;
        let base = options.base.clone().or_else(|| task.base.clone());
        let head = options.head.clone().or_else(|| task.head.clone());
        let paths = if options.paths.is_empty() {
            task.paths.clone()
        } else {
            options.paths.clone()
        };
        let scope = task.scope.clone();
        let root = self.repo_root.clone();
        let max_file_bytes = cfg.context.max_file_kib * 1024;
        let changes: ChangeSet = tokio::task::spawn_blocking(move || {
            let request = ChangeRequest {
                base: base.as_deref(),
                head: head.as_deref(),
                scope: &scope,
                paths: &paths,
                max_file_bytes,
            };
            director_context::gather(&root, &request)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;

        let mut analyzer_config = cfg.evidence.clone();
        analyzer_config.environment = analyzer_config.environment.or(environment);
        let targets: Vec<SourceFile> = changes
            .files
            .iter()
            .filter_map(|f| {
                let content = f.content.as_ref()?;
                director_evidence::is_analyzable(&f.path, content).then(|| SourceFile {
                    path: f.path.clone(),
                    content: content.clone(),
                })
            })
            .collect();
        let evidence_root = changes.root.clone();
        let report = tokio::task::spawn_blocking(move || {
            let related = if targets.is_empty() {
                Vec::new()
            } else {
                crate::related::analyzable_files(&evidence_root, &targets)
            };
            director_evidence::analyze(&targets, &related, &analyzer_config)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(Prepared { changes, report })
    }

    /// Pack the shared context: task, evidence, hunks, small files and related files.
    fn pack(
        &self,
        task: &Task,
        changes: &ChangeSet,
        evidence: &[Finding],
    ) -> director_context::PackedContext {
        let cfg = &self.config.config.context;
        let related = director_context::find_related(changes, &changes.root, cfg.related_files);
        director_context::pack(&PackInput {
            task,
            changes,
            evidence,
            budget_tokens: cfg.max_tokens,
            context_lines: cfg.context_lines,
            small_file_bytes: cfg.small_file_kib * 1024,
            related: &related,
        })
    }

    /// The packed context the Directors would see, without calling any provider.
    pub(crate) async fn context_preview(
        &self,
        task: &Task,
        options: &VerifyOptions,
    ) -> Result<ContextPreview, Error> {
        let cfg = &self.config.config;
        let environment = environment_of(task, self);
        let Prepared { changes, report } = self.prepare(task, options, environment).await?;
        let packed = self.pack(task, &changes, &report.findings);
        Ok(ContextPreview {
            summary: packed.summary(cfg.context.max_tokens),
            text: packed.text,
        })
    }

    /// Keep the plans that fit `--budget-tokens` / `--budget-usd`, highest priority first.
    fn apply_budget(&self, plans: Vec<Planned>) -> Result<BudgetSplit, Error> {
        let budget = &self.config.config.budget;
        if budget.max_tokens.is_none() && budget.max_usd.is_none() {
            return Ok((plans, Vec::new()));
        }
        let prices = &self.config.config.prices;
        let mut spent_tokens = 0u64;
        let mut spent_usd = 0f64;
        let mut kept = Vec::new();
        let mut dropped = Vec::new();
        // Plans are in panel order, which is priority order.
        for plan in plans {
            let estimate = Usage {
                requests: 1,
                prompt_tokens: plan.prompt_tokens as u64,
                cached_prompt_tokens: 0,
                completion_tokens: u64::from(plan.max_output_tokens),
                cost_usd: None,
            };
            let tokens = estimate.total_tokens();
            let usd = match budget.max_usd {
                Some(_) => Some(prices.cost(&plan.model, &estimate).ok_or_else(|| Error::Input {
                    message: format!("--budget-usd needs a price for model `{}`", plan.model),
                    hint: format!("add [prices.\"{}\"] input_per_mtok/output_per_mtok to .director/config.toml", plan.model),
                })?),
                None => None,
            };
            let over_tokens = budget.max_tokens.is_some_and(|m| spent_tokens + tokens > m);
            let over_usd = matches!((budget.max_usd, usd), (Some(m), Some(u)) if spent_usd + u > m);
            if over_tokens || over_usd {
                let reason = if over_tokens {
                    format!(
                        "skipped for budget: needs about {tokens} tokens, {} of {} left",
                        budget.max_tokens.unwrap_or(0).saturating_sub(spent_tokens),
                        budget.max_tokens.unwrap_or(0)
                    )
                } else {
                    format!(
                        "skipped for budget: needs about ${:.4}, ${:.4} of ${:.4} left",
                        usd.unwrap_or(0.0),
                        (budget.max_usd.unwrap_or(0.0) - spent_usd).max(0.0),
                        budget.max_usd.unwrap_or(0.0)
                    )
                };
                dropped.push((plan, reason));
            } else {
                spent_tokens += tokens;
                spent_usd += usd.unwrap_or(0.0);
                kept.push(plan);
            }
        }
        Ok((kept, dropped))
    }

    async fn fan_out(
        &self,
        task: &Task,
        plans: Vec<Planned>,
        model: Arc<dyn ChatModel>,
        events: &EventSink,
        cancel: &CancellationToken,
    ) -> Vec<(usize, DirectorRun, Option<director_core::Verdict>)> {
        let cfg = &self.config.config;
        let limit = match cfg.run.max_concurrency {
            0 => plans.len().max(1),
            n => n,
        };
        let semaphore = Arc::new(tokio::sync::Semaphore::new(limit));
        let mut set = tokio::task::JoinSet::new();
        for plan in plans {
            let d: Director = self.panel.directors()[plan.director_index].clone();
            let semaphore = semaphore.clone();
            let model = model.clone();
            let tools = plan.tools.clone();
            let cache = self.cache.clone().filter(|_| plan.cacheable);
            let events = events.clone();
            let cancel = cancel.clone();
            let task_id = task.id.clone();
            let deadline = Duration::from_secs(cfg.run.timeout_secs.max(1));
            let cap = cfg.run.max_output_tokens_cap;
            let tool_rounds = cfg.run.tool_rounds;
            let prices = cfg.prices.clone();
            let span = tracing::Span::current();
            set.spawn(tracing::Instrument::instrument(
                async move {
                    let index = plan.director_index;
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
                        events.emit(VerificationEvent::DirectorFinished {
                            task: task_id,
                            run: run.clone(),
                        });
                        return (index, run, Some(hit.verdict));
                    }
                    let _permit = tokio::select! {
                        p = semaphore.acquire_owned() => p.ok(),
                        () = cancel.cancelled() => None,
                    };
                    events.emit(VerificationEvent::DirectorStarted {
                        task: task_id.clone(),
                        director: d.name().to_string(),
                        model: plan.model.clone(),
                    });
                    let request = ReviewRequest {
                        director: d.name().to_string(),
                        model: plan.model.clone(),
                        messages: plan.messages,
                        schema_in_prompt: plan.schema_in_prompt,
                        max_output_tokens: plan.max_output_tokens,
                        max_output_tokens_cap: cap.max(plan.max_output_tokens),
                        deadline,
                        max_tool_rounds: tool_rounds,
                        temperature: Some(0.0),
                    };
                    let tools_ref: Option<&dyn ToolExecutor> =
                        tools.as_deref().map(|t| t as &dyn ToolExecutor);
                    let outcome: ReviewOutcome =
                        director_llm::review(model.as_ref(), request, tools_ref, &cancel).await;
                    let mcp_calls = tools.as_ref().map(|t| t.take_calls()).unwrap_or_default();
                    let mut usage = outcome.usage;
                    usage.cost_usd = prices.cost(&plan.model, &usage);
                    let (run, verdict) = match outcome.result {
                        Ok(verdict) => {
                            if let Some(cache) = &cache {
                                let entry = director_llm::CachedVerdict::now(
                                    verdict.clone(),
                                    usage,
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
                                usage,
                                outcome.elapsed,
                                outcome.attempts,
                                outcome.tool_calls,
                            );
                            (run, Some(verdict))
                        }
                        Err(failure) => {
                            let mut run =
                                skipped(&d, format!("{}: {}", failure.kind, failure.message));
                            run.status = DirectorStatus::Failed;
                            run.model = Some(plan.model.clone());
                            run.usage = Some(usage);
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
                    let mut run = run;
                    run.prompt_tokens = plan.prompt_tokens as u64;
                    run.mcp_calls = mcp_calls;
                    events.emit(VerificationEvent::DirectorFinished {
                        task: task_id,
                        run: run.clone(),
                    });
                    (index, run, verdict)
                },
                span,
            ));
        }
        let mut out = Vec::new();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(item) => out.push(item),
                Err(e) => tracing::error!("a Director task failed: {e}"),
            }
        }
        out.sort_by_key(|(i, _, _)| *i);
        out
    }
}

/// A base URL for the record, without any `user:password@` part.
fn without_userinfo(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme && !url[scheme + 3..at].contains('/') => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

fn skipped(d: &Director, reason: String) -> DirectorRun {
    DirectorRun::skipped(d.name(), &d.def.display_name, &d.def.persona, reason)
}

fn ran(
    d: &Director,
    model: &str,
    verdict: &director_core::Verdict,
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

/// Checks LLM findings against the code they cite (the redacted text the Directors
/// saw), or against the task for findings about unmet criteria. Each cited file is
/// redacted once per run, however many findings cite it.
pub(crate) struct EvidenceChecker<'a> {
    changes: &'a ChangeSet,
    task_text: String,
    seen: BTreeMap<String, String>,
}

impl<'a> EvidenceChecker<'a> {
    pub(crate) fn new(changes: &'a ChangeSet, task: &Task) -> Self {
        let task_text = director_core::fingerprint::normalize_code(&format!(
            "{}\n{}\n{}",
            task.title,
            task.description,
            task.criteria.join("\n")
        ));
        EvidenceChecker {
            changes,
            task_text,
            seen: BTreeMap::new(),
        }
    }

    /// Mark `f` verified (moving it to where the quote really is) or say why not.
    pub(crate) fn check(&mut self, f: &mut Finding) {
        let Some(path) = f.path.clone() else {
            let quote = f
                .evidence
                .as_deref()
                .map(director_core::fingerprint::normalize_code);
            match quote {
                Some(q) if q.len() >= 8 && self.task_text.contains(&q) => {
                    f.verified = true;
                    f.verification = Some("quotes the task".into());
                }
                _ => {
                    f.verification = Some("cites no file and does not quote the task".into());
                }
            }
            return;
        };
        if Path::new(&path).is_absolute() || path.split('/').any(|c| c == "..") {
            f.verification = Some("cites a path outside the repository".into());
            return;
        }
        let Some(file) = self.changes.file(&path) else {
            f.verification = Some("cites a file outside the change".into());
            return;
        };
        let Some(content) = file.content.as_deref() else {
            f.verification =
                Some("the cited file has no text at head (deleted, binary or too large)".into());
            return;
        };
        let Some(evidence) = f.evidence.as_deref() else {
            f.verification = Some("cites a file but quotes no code".into());
            return;
        };
        let seen = self
            .seen
            .entry(path.clone())
            .or_insert_with(|| director_context::redact(content, &path).text);
        match check_quote(seen, f.start_line, evidence, DEFAULT_DRIFT) {
            QuoteCheck::Found { start, end, drift } => {
                f.verified = true;
                f.start_line = Some(start);
                f.end_line = Some(end);
                f.verification = Some(if drift == 0 {
                    "quote found at the cited lines".into()
                } else {
                    format!("quote found at lines {start}-{end} ({drift} from the cited line)")
                });
            }
            QuoteCheck::NotFound(why) => f.verification = Some(why),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn userinfo_is_stripped() {
        assert_eq!(
            super::without_userinfo("https://u:p@host/v1"),
            "https://host/v1"
        );
        assert_eq!(
            super::without_userinfo("http://127.0.0.1:8080/v1"),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(
            super::without_userinfo("http://h/v1?x=a@b"),
            "http://h/v1?x=a@b"
        );
    }
}

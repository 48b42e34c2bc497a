//! Stage 1, `plan`: from a task to what will be asked of whom. Validates the task,
//! gathers the change, runs the deterministic evidence, routes every Director,
//! handles offline mode, packs the shared context, renders each Director's messages
//! and applies the budget. Nothing here calls a provider.

use super::route::Routing;
use super::{ContextPreview, Engine, VerifyOptions, blocking};
use crate::error::Error;
use crate::event::{EventSink, VerificationEvent};
use crate::setup::Setup;
use crate::tools::{DirectorTools, RunTools};
use crate::trust::policy_change_finding;
use director_context::{ChangeRequest, ChangeSet, PackInput, PackedContext};
use director_core::record::{ContextSummary, DirectorRun};
use director_core::{Environment, Finding, Task};
use director_evidence::{EvidenceReport, SourceFile};
use director_llm::{ChatMessage, ChatModel};
use std::sync::Arc;
use std::time::Instant;

/// What one Director will be sent.
pub(crate) struct Planned {
    /// Its index in the panel.
    pub director_index: usize,
    /// The model it talks to.
    pub model: String,
    /// System (frame + context), system (its spec), user (instruction).
    pub messages: Vec<ChatMessage>,
    /// Prompt tokens as counted locally.
    pub prompt_tokens: usize,
    /// Output budget of one reply.
    pub max_output_tokens: u32,
    /// Whether the instruction quotes the verdict schema (no server-side schema).
    pub schema_in_prompt: bool,
    /// Content address of the Director's whole input, for the verdict cache.
    pub cache_key: String,
    /// Its tools (None when tools are off).
    pub tools: Option<Arc<DirectorTools>>,
    /// Whether its verdict may come from (and go to) the cache: not with live MCP tools,
    /// unless `[mcp] cache = true`.
    pub cacheable: bool,
    /// How the request fits the model (profile, bound, parts), once fitted.
    pub fit: Option<super::fitting::FitPlan>,
}

/// The output of the `plan` stage.
pub(crate) struct Plan {
    /// The task, validated.
    pub task: Task,
    /// This run's id.
    pub run_id: String,
    /// When the run started.
    pub started: Instant,
    /// The same, as a wall-clock time.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// The gathered change (shared with blocking stages).
    pub changes: Arc<ChangeSet>,
    /// The deterministic analyzers' report.
    pub evidence: EvidenceReport,
    /// Why the evidence step could not finish (it then counts as incomplete).
    pub evidence_failure: Option<String>,
    /// Per panel index: the run of a Director that will not be called (skipped by
    /// routing, offline or budget); `None` for the planned ones.
    pub runs: Vec<Option<DirectorRun>>,
    /// Per panel index: why a called Director applies (its record keeps it).
    pub run_reasons: Vec<Option<String>>,
    /// The requests to send, in panel (priority) order.
    pub requests: Vec<Planned>,
    /// The trusted policy of this run and the model and cache built from it.
    pub setup: Arc<Setup>,
    /// Policy files the change alters, which are therefore not applied.
    pub policy_ignored: Vec<String>,
    /// The model the requests go to (`None` when offline).
    pub model: Option<Arc<dyn ChatModel>>,
    /// Why no LLM Director runs, when offline.
    pub offline_reason: Option<String>,
    /// What the Directors are shown.
    pub context: ContextSummary,
    /// True when some applicable Director was dropped for the budget.
    pub partial: bool,
    /// This run's use of the verdict cache (collects its warnings).
    pub cache: Option<crate::cache::CacheSession>,
    /// The tools of this run, MCP servers included (closed after the review stage).
    pub tools: RunTools,
    /// What discovery learnt about the default model's server.
    pub server: Option<director_llm::ModelProfile>,
}

/// The change and the analyzers' report.
struct Prepared {
    changes: Arc<ChangeSet>,
    evidence: Result<EvidenceReport, String>,
}

fn environment_of(task: &Task, setup: &Setup) -> Option<Environment> {
    task.environment
        .or(setup.policy.config.config.context.environment)
}

/// The base, head and whole paths of the change a task asks for (and the run's extra
/// evidence inputs).
struct ChangeRefs {
    base: Option<String>,
    head: Option<String>,
    paths: Vec<String>,
    extra: crate::evidence_inputs::ExtraEvidence,
}

fn change_refs(task: &Task, options: &VerifyOptions) -> ChangeRefs {
    ChangeRefs {
        base: options.base.clone().or_else(|| task.base.clone()),
        head: options.head.clone().or_else(|| task.head.clone()),
        paths: if options.paths.is_empty() {
            task.paths.clone()
        } else {
            options.paths.clone()
        },
        extra: options.evidence.clone(),
    }
}

impl Engine {
    /// Stage 1: everything up to the provider calls.
    pub(super) async fn plan(
        &self,
        task: Task,
        options: &VerifyOptions,
        events: &EventSink,
    ) -> Result<Plan, Error> {
        task.validate().map_err(|e| Error::Input {
            message: e.to_string(),
            hint: "fix the task file (see `director task show <id>`)".into(),
        })?;
        let started = Instant::now();
        let started_at = chrono::Utc::now();
        let run_id = crate::store::new_run_id(&started_at);
        let refs = change_refs(&task, options);
        // Whole paths are not a change from a base: their policy is the default one.
        let (setup, policy_ignored) = if refs.paths.is_empty() {
            self.setup_for(refs.base.clone(), refs.head.clone()).await?
        } else {
            self.setup_for(None, None).await?
        };
        if setup.reviewing_model().is_some() {
            // The run will pack a context: its tables build while the change is gathered.
            director_context::warm_up();
        }
        let environment = environment_of(&task, &setup);
        for name in &options.directors {
            if setup.policy.panel.get(name).is_none() {
                return Err(Error::Input {
                    message: format!("unknown Director `{name}`"),
                    hint: format!("the panel is: {}", setup.policy.panel.names().join(", ")),
                });
            }
        }
        let Prepared { changes, evidence } = self.prepare(&setup, &task, refs, environment).await?;
        let (mut evidence, evidence_failure) = match evidence {
            Ok(report) => (report, None),
            Err(why) => (EvidenceReport::default(), Some(why)),
        };
        for path in &policy_ignored {
            tracing::warn!("policy changes in the reviewed change are not applied: {path}");
            evidence
                .findings
                .push(policy_change_finding(path, &setup.policy.trusted.source));
        }
        events.emit(VerificationEvent::ChangeGathered {
            task: task.id.clone(),
            files: changes.files.len(),
        });
        events.emit(VerificationEvent::EvidenceReady {
            task: task.id.clone(),
            findings: evidence.findings.len(),
        });

        let routing = self.route(&setup, &task, options, &changes, environment);
        let Routing {
            mut runs,
            selected,
            reasons: run_reasons,
            model,
            offline_reason,
        } = routing;
        events.emit(VerificationEvent::Started {
            task: task.id.clone(),
            run_id: run_id.clone(),
            directors: selected
                .iter()
                .map(|&i| setup.policy.panel.directors()[i].name().to_string())
                .collect(),
            offline_reason: offline_reason.clone(),
        });
        for (i, run) in runs.iter().enumerate() {
            if let Some(run) = run {
                events.emit(VerificationEvent::DirectorSkipped {
                    task: task.id.clone(),
                    director: setup.policy.panel.directors()[i].name().to_string(),
                    reason: run.reason.clone().unwrap_or_default(),
                });
            }
        }

        // The tools the selected Directors may call; MCP servers start here.
        let running: Vec<&crate::registry::Director> = selected
            .iter()
            .map(|&i| &setup.policy.panel.directors()[i])
            .collect();
        let tools = RunTools::prepare(
            &setup.policy.config.config,
            &self.repo_root,
            &running,
            self.extra_tools.clone(),
            model.is_some(),
        )
        .await;

        let mut context = ContextSummary {
            budget: setup.policy.config.config.context.max_tokens as u64,
            ..ContextSummary::default()
        };
        let mut requests = Vec::new();
        let mut partial = false;
        let mut server = None;
        if !selected.is_empty() {
            let packed = self
                .pack(&setup, &task, &changes, &evidence.findings)
                .await?;
            let env_name = environment.map_or("unspecified", Environment::as_str);
            let rendered = self.render_requests(
                &setup,
                &selected,
                &packed,
                env_name,
                model.as_deref(),
                &tools,
            )?;
            context = rendered.context;
            let mut rendered_requests = rendered.requests;
            if let Some(model) = model.as_deref() {
                let fitted = self
                    .fit_requests(
                        &setup,
                        &task,
                        &changes,
                        &evidence.findings,
                        &packed,
                        env_name,
                        model,
                        rendered_requests,
                    )
                    .await?;
                rendered_requests = fitted.requests;
                server = fitted.server;
            }
            let (kept, dropped) = self.apply_budget(&setup, rendered_requests)?;
            requests = kept;
            for (plan, reason) in dropped {
                partial = true;
                let d = &setup.policy.panel.directors()[plan.director_index];
                events.emit(VerificationEvent::DirectorSkipped {
                    task: task.id.clone(),
                    director: d.name().to_string(),
                    reason: reason.clone(),
                });
                let mut run = super::route::skipped(d, reason);
                run.prompt_tokens = plan.prompt_tokens as u64;
                runs[plan.director_index] = Some(run);
            }
        }
        let cache = setup
            .storage
            .cache
            .as_ref()
            .map(crate::cache::VerdictCache::session);
        Ok(Plan {
            task,
            run_id,
            started,
            started_at,
            changes,
            evidence,
            evidence_failure,
            runs,
            run_reasons,
            requests,
            setup,
            policy_ignored,
            model,
            offline_reason,
            context,
            partial,
            cache,
            tools,
            server,
        })
    }

    /// Gather the change and run the analyzers over it. An analyzer that panics makes
    /// the evidence step fail (the run is then incomplete), never zero findings.
    async fn prepare(
        &self,
        setup: &Setup,
        task: &Task,
        refs: ChangeRefs,
        environment: Option<Environment>,
    ) -> Result<Prepared, Error> {
        let cfg = &setup.policy.config.config;
        let ChangeRefs {
            base,
            head,
            paths,
            extra,
        } = refs;
        let scope = task.scope.clone();
        let root = self.repo_root.clone();
        let max_file_bytes = cfg.context.max_file_kib * 1024;
        let changes: ChangeSet = blocking("gathering the change", move || {
            let request = ChangeRequest {
                base: base.as_deref(),
                head: head.as_deref(),
                scope: &scope,
                paths: &paths,
                max_file_bytes,
            };
            director_context::gather(&root, &request)
        })
        .await??;

        let mut analyzer_config = cfg.evidence.clone();
        analyzer_config.environment = analyzer_config.environment.or(environment);
        let targets: Vec<SourceFile> = changes
            .files
            .iter()
            .filter_map(|f| {
                let content = f.content.as_ref()?;
                // Classified once, with the file's routing classes, while gathering.
                f.analyzer.is_some().then(|| SourceFile {
                    path: f.path.clone(),
                    content: content.clone(),
                })
            })
            .collect();
        let plan_note = (changes.mode != director_core::record::ChangeMode::Paths)
            .then(|| {
                crate::related::drop_plan_in_change(
                    &mut analyzer_config.terraform,
                    &self.repo_root,
                    changes.files.iter().map(|f| f.path.as_str()),
                )
            })
            .flatten();
        let scan = Arc::clone(&changes.scan);
        let (root, config) = (self.repo_root.clone(), cfg.evidence.clone());
        let charts_scan = Arc::clone(&scan);
        let loaded = blocking("reading rendered and SARIF evidence", move || {
            crate::evidence_inputs::load(&root, &charts_scan, &config, &extra)
        })
        .await??;
        let configured =
            crate::related::configured_files(&self.repo_root, &analyzer_config.terraform)?;
        let evidence = evidence_step(move || {
            let related = if targets.is_empty() {
                Vec::new()
            } else {
                let mut related = configured;
                related.extend(crate::related::analyzable_files(&scan, &targets));
                related
            };
            let mut report =
                crate::evidence_inputs::analyze(&targets, &related, &analyzer_config, &loaded);
            report.not_evaluated.extend(plan_note);
            report
        })
        .await;
        Ok(Prepared {
            changes: Arc::new(changes),
            evidence,
        })
    }

    /// Pack the shared context: task, evidence, hunks, small files and related files.
    async fn pack(
        &self,
        setup: &Setup,
        task: &Task,
        changes: &Arc<ChangeSet>,
        evidence: &[Finding],
    ) -> Result<PackedContext, Error> {
        let cfg = setup.policy.config.config.context.clone();
        let task = task.clone();
        let changes = Arc::clone(changes);
        let evidence = evidence.to_vec();
        blocking("packing the context", move || {
            let related =
                director_context::find_related(&changes, &changes.root, cfg.related_files);
            director_context::pack(&PackInput {
                task: &task,
                changes: &changes,
                evidence: &evidence,
                budget_tokens: cfg.max_tokens,
                context_lines: cfg.context_lines,
                small_file_bytes: cfg.small_file_kib * 1024,
                related: &related,
                window_from: None,
            })
        })
        .await
    }

    /// The packed context the Directors would see, without calling any provider.
    pub(crate) async fn context_preview(
        &self,
        task: &Task,
        options: &VerifyOptions,
    ) -> Result<ContextPreview, Error> {
        director_context::warm_up();
        let refs = change_refs(task, options);
        let (setup, _) = if refs.paths.is_empty() {
            self.setup_for(refs.base.clone(), refs.head.clone()).await?
        } else {
            self.setup_for(None, None).await?
        };
        let environment = environment_of(task, &setup);
        let Prepared { changes, evidence } = self.prepare(&setup, task, refs, environment).await?;
        let evidence = evidence.map_err(Error::Internal)?;
        let packed = self
            .pack(&setup, task, &changes, &evidence.findings)
            .await?;
        Ok(ContextPreview {
            summary: packed.summary(setup.policy.config.config.context.max_tokens),
            text: packed.text,
        })
    }
}

/// Run the analyzers off the async workers. A panic is the step's failure, said in
/// one line (the run is then incomplete) — never a report of zero findings.
async fn evidence_step(
    analyze: impl FnOnce() -> EvidenceReport + Send + 'static,
) -> Result<EvidenceReport, String> {
    let result = tokio::task::spawn_blocking(analyze)
        .await
        .map_err(|e| format!("the analyzers {}", super::join_error_text(e)));
    if let Err(why) = &result {
        tracing::error!("deterministic evidence failed: {why}");
    }
    result
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn an_analyzer_panic_is_a_failed_step_not_an_empty_report() {
        let failed = super::evidence_step(|| panic!("rule exploded")).await;
        assert_eq!(failed, Err("the analyzers panicked: rule exploded".into()));
        let fine = super::evidence_step(super::EvidenceReport::default).await;
        assert_eq!(fine, Ok(super::EvidenceReport::default()));
    }
}

//! One hook call, in stages: read the payload → resolve the project, configuration and
//! policy → (session start: record it) → (stop: session state → task → fast pass on an
//! unchanged change → verify within the budget → map the decision to an answer, with
//! the round cap and the failure policy) → save the session state.

use super::change::{self, Snapshot};
use super::message::{self, Cause};
use super::payload::{Answer, Event, EventKind};
use super::policy::{HookPolicy, OnHookError};
use super::session::{self, Round, SessionState};
use super::{Harness, HookOptions, HookReply};
use crate::config::ResolvedConfig;
use crate::{EventSink, RunRecord, Task, Verifier, VerifyOptions};
use director_core::Decision;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Why no record came back.
struct Failure {
    what: String,
    hint: Option<String>,
    cause: Cause,
}

impl Failure {
    fn from_error(e: &crate::Error) -> Failure {
        Failure {
            what: e.to_string(),
            hint: e.hint(),
            cause: if e.is_user_error() {
                Cause::Setup
            } else {
                Cause::Internal
            },
        }
    }

    fn text(&self) -> String {
        message::error_text(&self.what, self.hint.as_deref(), self.cause)
    }
}

/// Everything a stop needs after the payload was read.
struct Ctx<'a> {
    harness: Harness,
    options: &'a HookOptions,
    root: PathBuf,
    config: ResolvedConfig,
    policy: HookPolicy,
    started: Instant,
}

pub(super) async fn run(harness: Harness, bytes: &[u8], options: &HookOptions) -> HookReply {
    let started = Instant::now();
    let event = harness.parse(bytes);
    let cwd = event.as_ref().ok().and_then(|e| e.cwd.clone());
    let start = options
        .repo
        .clone()
        .or(cwd)
        .unwrap_or_else(|| PathBuf::from("."));
    let setup = crate::project_root(&start).and_then(|root| {
        // The repository's configuration as of the trusted base, as `verify` reads it:
        // the agent's own edits to `.director/config.toml` cannot loosen the hook.
        let trust = crate::config::load_trust(&options.overrides)?;
        let trusted =
            crate::trust::TrustedPolicy::resolve(&root, None, None, trust.worktree_config)?;
        let config = ResolvedConfig::load(trusted.repo_config().as_ref(), &options.overrides)?;
        Ok((root, config))
    });
    let (root, config) = match setup {
        Ok(ok) => ok,
        Err(e) => {
            let policy = policy_of(harness, options, None);
            return on_error(harness, &policy, &Failure::from_error(&e).text());
        }
    };
    let policy = policy_of(harness, options, Some(&config));
    let event = match event {
        Ok(event) => event,
        Err(e) => {
            let failure = Failure {
                what: format!("{} hook payload: {e}", harness.name()),
                hint: Some(format!(
                    "configure the hook with `director init --agent {}`; it must run on the harness's stop event",
                    harness.name()
                )),
                cause: Cause::Setup,
            };
            return on_error(harness, &policy, &failure.text());
        }
    };
    let ctx = Ctx {
        harness,
        options,
        root,
        config,
        policy,
        started,
    };
    match &event.kind {
        EventKind::SessionStart { source } => record_start(&ctx, &event, source.as_deref()),
        EventKind::Other(name) => HookReply::new(
            harness,
            Answer::Allow { note: None },
            vec![format!(
                "director: nothing to do for the `{name}` hook event"
            )],
        ),
        EventKind::Stop => stop(&ctx, &event).await,
    }
}

/// The policy: configuration, then the command line, then the harness's default budget.
fn policy_of(
    harness: Harness,
    options: &HookOptions,
    config: Option<&ResolvedConfig>,
) -> HookPolicy {
    let section = config.map(|c| c.config.hook.clone()).unwrap_or_default();
    let budget = options
        .budget_secs
        .or(section.budget_secs)
        .unwrap_or_else(|| harness.default_budget_secs())
        .max(1);
    HookPolicy {
        on_error: options.on_error.unwrap_or(section.on_error),
        max_rounds: options.max_rounds.unwrap_or(section.max_rounds),
        budget: Duration::from_secs(budget),
    }
}

/// The answer to a failure with no session to count rounds in.
fn on_error(harness: Harness, policy: &HookPolicy, text: &str) -> HookReply {
    let answer = match policy.on_error {
        OnHookError::Allow => Answer::Allow {
            note: Some(allow_note(text)),
        },
        OnHookError::Block => Answer::Continue {
            reason: text.to_string(),
            note: Some(format!("director: {text}")),
        },
    };
    HookReply::new(harness, answer, Vec::new())
}

fn allow_note(text: &str) -> String {
    format!(
        "director: warning: {text} The agent was let stop unreviewed ([hook] on_error = \"allow\")."
    )
}

/// The session's state-file key: the session id, plus the subagent's id.
fn session_key(event: &Event) -> String {
    match &event.agent_id {
        Some(agent) => session::safe_id(&format!("{}-agent-{agent}", event.session_id)),
        None => session::safe_id(&event.session_id),
    }
}

/// A task id pinned outside the hook command: `DIRECTOR_TASK`, else `.director/current-task`.
fn pinned_task(root: &Path) -> Option<String> {
    let from_env = std::env::var("DIRECTOR_TASK").ok();
    let from_file = || {
        std::fs::read_to_string(root.join(".director").join("current-task"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(str::to_string)
            })
    };
    from_env
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .or_else(from_file)
}

/// `SessionStart`: record where the session starts (kept on resume and compaction).
fn record_start(ctx: &Ctx<'_>, event: &Event, source: Option<&str>) -> HookReply {
    let key = session_key(event);
    let mut state = SessionState::load(&ctx.root, &key);
    let keep = matches!(source, Some("resume" | "compact")) && state.start.is_some();
    let mut notes = Vec::new();
    if !keep {
        state = SessionState {
            session_id: event.session_id.clone(),
            harness: ctx.harness.name().into(),
            started_at: Some(crate::now_rfc3339()),
            start: change::snapshot(&ctx.root),
            pinned_task: pinned_task(&ctx.root),
            ..SessionState::default()
        };
        if let Err(e) = state.save(&ctx.root, &key) {
            notes.push(format!(
                "director: warning: could not record the session start: {e}"
            ));
        }
    }
    HookReply::new(ctx.harness, Answer::Allow { note: None }, notes)
}

/// The task of this stop, and whether it was derived from the session.
fn resolve_task(
    ctx: &Ctx<'_>,
    event: &Event,
    state: &SessionState,
) -> Result<(Task, bool), crate::Error> {
    let store = director_context::TaskStore::new(&ctx.root);
    let pinned = ctx
        .options
        .task
        .clone()
        .or_else(|| {
            std::env::var("DIRECTOR_TASK")
                .ok()
                .filter(|t| !t.trim().is_empty())
        })
        .or_else(|| state.pinned_task.clone())
        .or_else(|| pinned_task(&ctx.root));
    if let Some(id) = pinned {
        return Ok((store.load(id.trim())?, false));
    }
    Ok((derived_task(ctx.harness, event, state), true))
}

fn first_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(max).collect();
    if line.chars().count() > max {
        out.push('…');
    }
    out
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push_str("\n… (cut)");
    out
}

/// A task made from the session: the first user prompt is what was asked, the last
/// message is the claimed result, the change runs from the session's start.
fn derived_task(harness: Harness, event: &Event, state: &SessionState) -> Task {
    let prompt = event
        .transcript_path
        .as_deref()
        .and_then(super::transcript::first_user_prompt)
        .or_else(|| event.prompt.clone());
    let title = prompt
        .as_deref()
        .map(|p| first_line(p, 100))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("Work of {} session {}", harness.name(), event.session_id));
    let mut description = String::new();
    if let Some(p) = &prompt {
        description
            .push_str("What the user asked the coding agent (first prompt of the session):\n");
        description.push_str(&clip(p, 8000));
    }
    let last = event.last_message.clone().or_else(|| {
        event
            .transcript_path
            .as_deref()
            .and_then(super::transcript::last_assistant_message)
    });
    if let Some(m) = &last {
        description.push_str("\n\nWhat the agent says it did (its last message):\n");
        description.push_str(&clip(m, 4000));
    }
    Task {
        id: format!("session-{}", session_key(event)),
        title,
        description,
        base: state.start.as_ref().and_then(|s| s.head.clone()),
        ..Task::default()
    }
}

/// The part of a task that decides what is reviewed (not its volatile prose).
fn task_key(task: &Task) -> String {
    format!(
        "{}|{:?}|{:?}|{:?}|{:?}",
        task.id, task.base, task.head, task.paths, task.scope
    )
}

/// `Stop`: verify, or pass fast, and answer.
async fn stop(ctx: &Ctx<'_>, event: &Event) -> HookReply {
    let key = session_key(event);
    let mut state = SessionState::load(&ctx.root, &key);
    state.session_id = event.session_id.clone();
    state.harness = ctx.harness.name().into();
    if event.agent_id.is_some() && state.start.is_none() {
        // A subagent works in its parent's session: the change since that start.
        let parent = SessionState::load(&ctx.root, &session::safe_id(&event.session_id));
        state.start = parent.start;
        state.pinned_task = parent.pinned_task;
    }
    if event.continuing == Some(false) {
        state.rounds = 0;
    }
    let answer = decide(ctx, event, &mut state).await;
    let mut notes = Vec::new();
    if let Err(e) = state.save(&ctx.root, &key) {
        notes.push(format!(
            "director: warning: could not save the session state: {e}"
        ));
    }
    HookReply::new(ctx.harness, answer, notes)
}

async fn decide(ctx: &Ctx<'_>, event: &Event, state: &mut SessionState) -> Answer {
    let (mut task, derived) = match resolve_task(ctx, event, state) {
        Ok(t) => t,
        Err(e) => return failed(ctx, state, &Failure::from_error(&e), "error"),
    };
    let now = change::snapshot(&ctx.root);
    if derived && let (Some(start), Some(now)) = (&state.start, &now) {
        match change::changed_since(&ctx.root, start, now) {
            Some(files) if files.is_empty() => {
                return fast_pass(
                    state,
                    now.fingerprint(&task_key(&task)),
                    "no change since the session started",
                );
            }
            // Files dirty before the session and untouched since are not its work.
            Some(files) if !start.files.is_empty() => task.scope = files,
            _ => {}
        }
    }
    let fingerprint = now
        .as_ref()
        .map(|s: &Snapshot| s.fingerprint(&task_key(&task)));
    if let Some(fp) = &fingerprint
        && state.last_pass.as_ref() == Some(fp)
    {
        return fast_pass(state, fp.clone(), "no change since the last pass");
    }
    let record = match verify_within(ctx, task).await {
        Ok(record) => record,
        Err(failure) => return failed(ctx, state, &failure, "error"),
    };
    let record_path = ctx
        .config
        .config
        .run
        .write_record
        .then(|| format!(".director/runs/{}/{}.json", record.task.id, record.run_id));
    match record.decision {
        Decision::Pass => passed(state, &record, record_path, fingerprint),
        Decision::Block => blocked(ctx, state, record, record_path),
        Decision::Incomplete => {
            let failure = Failure {
                what: message::incomplete_text(&record, record_path.as_deref()),
                hint: None,
                cause: Cause::Time,
            };
            failed_with_text(ctx, state, &failure.what, "incomplete", record_path)
        }
    }
}

fn round(
    outcome: &str,
    answer: &Answer,
    record: Option<String>,
    blocking: usize,
    note: Option<String>,
) -> Round {
    Round {
        at: crate::now_rfc3339(),
        outcome: outcome.into(),
        answer: match answer {
            Answer::Allow { .. } => "allow".into(),
            Answer::Continue { .. } => "continue".into(),
        },
        record,
        blocking,
        note,
    }
}

fn fast_pass(state: &mut SessionState, fingerprint: String, why: &str) -> Answer {
    state.rounds = 0;
    state.last_findings.clear();
    state.last_pass = Some(fingerprint);
    let answer = Answer::Allow { note: None };
    state.push(round("unchanged", &answer, None, 0, Some(why.into())));
    answer
}

fn passed(
    state: &mut SessionState,
    record: &RunRecord,
    path: Option<String>,
    fingerprint: Option<String>,
) -> Answer {
    state.rounds = 0;
    state.last_findings.clear();
    state.last_pass = fingerprint;
    let note = record
        .llm
        .note
        .as_ref()
        .map(|n| format!("director: PASS on deterministic evidence only ({n})"));
    let answer = Answer::Allow { note };
    state.push(round("pass", &answer, path, 0, Some(record.reason.clone())));
    answer
}

fn blocked(
    ctx: &Ctx<'_>,
    state: &mut SessionState,
    mut record: RunRecord,
    path: Option<String>,
) -> Answer {
    let mut fps: Vec<String> = record.blocking().map(|f| f.fingerprint.clone()).collect();
    fps.sort();
    let n = fps.len();
    let max = ctx.policy.max_rounds;
    if state.rounds >= max {
        let why = format!(
            "the stop hook let the agent stop after {} blocking round{} in a row ([hook] max_rounds = {max}); {n} blocking finding{} unresolved",
            state.rounds,
            if state.rounds == 1 { "" } else { "s" },
            if n == 1 { " is" } else { "s are" },
        );
        record.reason = format!("{}; {why}", record.reason);
        if ctx.config.config.run.write_record
            && let Err(e) = crate::store::save_record(&ctx.root, &record)
        {
            tracing::warn!("could not note the round cap in the record: {e}");
        }
        let note = format!(
            "director: {why}. See {}",
            path.as_deref().unwrap_or("the run record")
        );
        state.rounds = 0;
        let answer = Answer::Allow { note: Some(note) };
        state.push(round("cap", &answer, path, n, Some(why)));
        return answer;
    }
    let same = state.rounds > 0 && state.last_findings == fps;
    state.rounds += 1;
    state.last_findings = fps;
    state.last_pass = None;
    let reason = message::block_reason(&record, path.as_deref(), same, state.rounds, max);
    let note = format!(
        "director: blocked the stop — {n} blocking finding{} (round {} of {max})",
        if n == 1 { "" } else { "s" },
        state.rounds
    );
    let answer = Answer::Continue {
        reason,
        note: Some(note),
    };
    state.push(round(
        "block",
        &answer,
        path,
        n,
        Some(record.reason.clone()),
    ));
    answer
}

fn failed(ctx: &Ctx<'_>, state: &mut SessionState, failure: &Failure, outcome: &str) -> Answer {
    failed_with_text(ctx, state, &failure.text(), outcome, None)
}

/// The failure policy, with the round cap bounding `on_error = "block"` too.
fn failed_with_text(
    ctx: &Ctx<'_>,
    state: &mut SessionState,
    text: &str,
    outcome: &str,
    path: Option<String>,
) -> Answer {
    let answer = match ctx.policy.on_error {
        OnHookError::Allow => Answer::Allow {
            note: Some(allow_note(text)),
        },
        OnHookError::Block if state.rounds >= ctx.policy.max_rounds => {
            state.rounds = 0;
            Answer::Allow {
                note: Some(format!(
                    "director: {text} After {} rounds in a row ([hook] max_rounds) the agent was let stop unreviewed.",
                    ctx.policy.max_rounds
                )),
            }
        }
        OnHookError::Block => {
            state.rounds += 1;
            Answer::Continue {
                reason: text.to_string(),
                note: Some(format!("director: {text}")),
            }
        }
    };
    state.last_pass = None;
    state.push(round(outcome, &answer, path, 0, Some(text.to_string())));
    answer
}

/// Verify `task` within the hook's budget: the Directors get what remains after a
/// reserve for the evidence, the record and the answer; at the soft deadline the run
/// is cancelled (its record says so), at the hard one it is abandoned.
async fn verify_within(ctx: &Ctx<'_>, task: Task) -> Result<RunRecord, Failure> {
    let budget = ctx.policy.budget;
    let reserve = (budget / 10).clamp(Duration::from_secs(2), Duration::from_secs(15));
    let left = budget.saturating_sub(ctx.started.elapsed() + reserve);
    let mut overrides = ctx.options.overrides.clone();
    let timeout = ctx
        .config
        .config
        .run
        .timeout_secs
        .min(left.as_secs())
        .max(1);
    overrides.timeout_secs = Some(timeout);
    let mut builder = Verifier::builder().repo(&ctx.root).overrides(overrides);
    if let Some(provider) = &ctx.options.provider {
        builder = builder.provider(provider.clone());
    }
    let verifier = builder.build().map_err(|e| Failure::from_error(&e))?;
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let mut handle = tokio::spawn(async move {
        verifier
            .verify_with(task, &VerifyOptions::default(), &EventSink::none(), &token)
            .await
    });
    let soft = tokio::time::Instant::from_std(ctx.started + budget.saturating_sub(reserve / 2));
    let hard = tokio::time::Instant::from_std(
        ctx.started + budget.saturating_sub(Duration::from_millis(500)),
    );
    let joined = tokio::select! {
        joined = &mut handle => joined,
        () = tokio::time::sleep_until(soft) => {
            cancel.cancel();
            match tokio::time::timeout_at(hard, &mut handle).await {
                Ok(joined) => joined,
                Err(_) => {
                    handle.abort();
                    return Err(Failure {
                        what: format!("verification did not finish within the hook's {} s budget", budget.as_secs()),
                        hint: Some("raise [hook] budget_secs (and the harness's hook timeout), or lower [run] timeout_secs".into()),
                        cause: Cause::Time,
                    });
                }
            }
        }
    };
    match joined {
        Ok(Ok(record)) => Ok(record),
        Ok(Err(e)) => Err(Failure::from_error(&e)),
        Err(e) => Err(Failure {
            what: format!("the verification task failed: {e}"),
            hint: None,
            cause: Cause::Internal,
        }),
    }
}

//! `director verify`: one or several tasks, progress on stderr, the chosen format on
//! stdout, and the exit code of the gate.

use crate::cli::{OutputFormat, VerifyArgs};
use crate::output::{emit, stdout_color};
use crate::progress;
use director::report::{Format, render_many};
use director::{CancellationToken, EventSink, Overrides, exit};
use std::io::Read as _;
use std::path::Path;

/// Map the CLI format to the library's.
pub fn format(f: OutputFormat) -> Format {
    match f {
        OutputFormat::Human => Format::Human,
        OutputFormat::Json => Format::Json,
        OutputFormat::Markdown => Format::Markdown,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Github => Format::Github,
        OutputFormat::Junit => Format::Junit,
        OutputFormat::Rdjson => Format::Rdjson,
    }
}

/// With `--format github` inside GitHub Actions, append the Markdown report to the
/// job summary (`$GITHUB_STEP_SUMMARY`), so the annotations and the PR-comment text
/// come from the same run record.
pub fn append_step_summary(records: &[director::RunRecord], format: Format) -> anyhow::Result<()> {
    use std::io::Write as _;
    if format != Format::Github {
        return Ok(());
    }
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let text = render_many(records, Format::Markdown, false);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| director::Error::io("open", std::path::Path::new(&path), e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|e| director::Error::io("write", std::path::Path::new(&path), e))?;
    Ok(())
}

/// Run `director verify`.
pub async fn run(repo: &Path, args: VerifyArgs) -> anyhow::Result<i32> {
    let overrides = Overrides {
        max_concurrency: args.max_concurrency,
        timeout_secs: args.timeout,
        cache_enabled: args.no_cache.then_some(false),
        budget_tokens: args.budget_tokens,
        budget_usd: args.budget_usd,
        on_incomplete: super::on_incomplete(args.on_incomplete),
        ..Overrides::default()
    };
    let verifier = super::verifier(repo, &args.provider, overrides)?;
    // Each task loads on its own: one that cannot be read is reported, the others run.
    let mut problems: Vec<director::Error> = Vec::new();
    let tasks = match &args.task_json {
        Some(source) => {
            let (text, origin) = if source == "-" {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| director::Error::io("read", "stdin", e))?;
                (text, "stdin".to_string())
            } else {
                let text = std::fs::read_to_string(source)
                    .map_err(|e| director::Error::io("read", source, e))?;
                (text, source.clone())
            };
            vec![director_context_parse(&text, &origin)?]
        }
        None => args
            .tasks
            .iter()
            .filter_map(|id| verifier.load_task(id).map_err(|e| problems.push(e)).ok())
            .collect(),
    };
    let mut options = super::options(&args.change);
    options.directors = args.directors.clone();
    options.all_directors = args.all_directors;

    let style = progress::resolve(args.progress, args.quiet);
    let (sink, rx) = EventSink::channel();
    let reporter = progress::spawn(rx, style);
    let cancel = CancellationToken::new();
    let received = std::sync::Arc::new(std::sync::atomic::AtomicI32::new(0));
    let signal = tokio::spawn(cancel_on_signal(cancel.clone(), received.clone()));
    let ids: Vec<String> = tasks.iter().map(|t| t.id.clone()).collect();
    tracing::info!(repo = %verifier.repo_root().display(), tasks = ?ids, "verifying");
    tracing::debug!(?options, "verify options");
    // One span over the run, so exported traces group the Director calls of a verification.
    let span = tracing::info_span!("verify", tasks = %ids.join(","));
    let results = tracing::Instrument::instrument(
        verifier.verify_many(tasks, &options, &sink, &cancel),
        span,
    )
    .await;
    signal.abort();
    drop(sink);
    let _ = reporter.await;

    let mut records = Vec::new();
    let mut codes = Vec::new();
    for result in results {
        let record = match result {
            Ok(record) => record,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        tracing::info!(
            task = %record.task.id,
            run = %record.run_id,
            decision = %record.decision,
            duration_ms = record.duration_ms,
            "verification finished"
        );
        records.push(record);
    }
    // A task that failed with an input error does not discard the others' results:
    // their records are written and reported; the errors go to stderr.
    for problem in problems {
        codes.push(crate::report_error(&anyhow::Error::new(problem)));
    }
    let fmt = format(args.format);
    let color = args.output.is_none() && stdout_color();
    if !records.is_empty() {
        emit(&render_many(&records, fmt, color), args.output.as_deref())?;
        append_step_summary(&records, fmt)?;
    }
    let signalled = received.load(std::sync::atomic::Ordering::SeqCst);
    for record in &records {
        codes.push(match exit::code_for(record) {
            exit::INTERRUPTED if signalled != 0 => signalled,
            code => code,
        });
    }
    Ok(exit::most_severe(codes))
}

/// Cancel on Ctrl-C, SIGTERM (how CI cancels a job) or SIGHUP, and remember the exit
/// code the signal calls for.
async fn cancel_on_signal(
    cancel: CancellationToken,
    received: std::sync::Arc<std::sync::atomic::AtomicI32>,
) {
    let (code, name) = wait_for_signal().await;
    eprintln!("director: {name}; cancelling in-flight reviews and writing the records");
    received.store(code, std::sync::atomic::Ordering::SeqCst);
    cancel.cancel();
}

#[cfg(unix)]
async fn wait_for_signal() -> (i32, &'static str) {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let hup = signal(SignalKind::hangup());
    match (term, hup) {
        (Ok(mut term), Ok(mut hup)) => tokio::select! {
            _ = tokio::signal::ctrl_c() => (exit::INTERRUPTED, "interrupted"),
            _ = term.recv() => (exit::TERMINATED, "terminated (SIGTERM)"),
            _ = hup.recv() => (exit::HUNG_UP, "hung up (SIGHUP)"),
        },
        _ => {
            let _ = tokio::signal::ctrl_c().await;
            (exit::INTERRUPTED, "interrupted")
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> (i32, &'static str) {
    let _ = tokio::signal::ctrl_c().await;
    (exit::INTERRUPTED, "interrupted")
}

fn director_context_parse(text: &str, origin: &str) -> Result<director::Task, director::Error> {
    Ok(director::tasks::parse_task_json(text, origin)?)
}

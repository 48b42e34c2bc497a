//! Embedding director in your own program: build a `Verifier` for a repository and an
//! OpenAI-compatible provider, subscribe to the event stream for progress, verify
//! one task, and act on the decision.
//!
//! ```text
//! cargo run -p director --example embed -- --repo PATH --task ID [--base-url URL]
//! ```
//!
//! Without flags it reads `DIRECTOR_REPO` (default `.`), `DIRECTOR_TASK` and
//! `OPENAI_BASE_URL`; with no base URL at all the repository's configuration decides
//! (and with no provider configured, director runs offline on deterministic
//! evidence). The process exits with the gate's code: 0 pass, 1 block, 3 incomplete.

use director::core::record::DirectorStatus;
use director::{
    CancellationToken, EventSink, RunRecord, VerificationEvent, Verifier, VerifyOptions,
};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// What to verify, and where the Directors' replies come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// The repository (a folder inside it is fine).
    pub repo: PathBuf,
    /// Task id in `.director/tasks/<id>.toml`.
    pub task: String,
    /// OpenAI-compatible base URL, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: Option<String>,
}

impl Args {
    /// Flags first, then the environment (`env` looks a variable up).
    pub fn parse(
        mut args: impl Iterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Args, String> {
        let (mut repo, mut task, mut base_url) = (None, None, None);
        while let Some(flag) = args.next() {
            let slot = match flag.as_str() {
                "--repo" => &mut repo,
                "--task" => &mut task,
                "--base-url" => &mut base_url,
                other => return Err(format!("unknown argument `{other}`")),
            };
            *slot = Some(args.next().ok_or_else(|| format!("{flag} needs a value"))?);
        }
        Ok(Args {
            repo: PathBuf::from(
                repo.or_else(|| env("DIRECTOR_REPO"))
                    .unwrap_or_else(|| ".".into()),
            ),
            task: task
                .or_else(|| env("DIRECTOR_TASK"))
                .ok_or("name the task with --task ID (or DIRECTOR_TASK)")?,
            base_url: base_url
                .or_else(|| env("OPENAI_BASE_URL"))
                .filter(|u| !u.is_empty()),
        })
    }
}

/// Verify the task, writing one progress line per event and then the decision to
/// `out`. Returns the run record, from which every report format can be rendered.
pub async fn run(
    args: &Args,
    out: &mut (dyn Write + Send),
) -> Result<RunRecord, Box<dyn std::error::Error + Send + Sync>> {
    let mut builder = Verifier::builder().repo(&args.repo);
    if let Some(url) = &args.base_url {
        builder = builder.provider(url.as_str());
    }
    let verifier = builder.build()?;
    let task = verifier.load_task(&args.task)?;

    // The verification runs in its own task; the events arrive here as it goes. The
    // channel closes when the verification drops its sink, i.e. when it is done.
    let (events, mut progress) = EventSink::channel();
    let verification = tokio::spawn({
        let verifier = verifier.clone();
        async move {
            verifier
                .verify_with(
                    task,
                    &VerifyOptions::default(),
                    &events,
                    &CancellationToken::new(),
                )
                .await
        }
    });
    while let Some(event) = progress.recv().await {
        match event {
            VerificationEvent::Started {
                task,
                directors,
                offline_reason,
                ..
            } => match offline_reason {
                Some(reason) => writeln!(out, "[{task}] no LLM Director will run: {reason}")?,
                None => writeln!(out, "[{task}] reviewing with: {}", directors.join(", "))?,
            },
            VerificationEvent::EvidenceReady { task, findings } => {
                writeln!(
                    out,
                    "[{task}] deterministic analyzers: {findings} finding(s)"
                )?;
            }
            VerificationEvent::DirectorStarted {
                task,
                director,
                model,
            } => {
                writeln!(out, "[{task}] {director} started ({model})")?;
            }
            VerificationEvent::DirectorFinished { task, run } => match run.status {
                DirectorStatus::Ran => writeln!(
                    out,
                    "[{task}] {} finished: {} ({} tokens, {} ms)",
                    run.name,
                    run.verdict.map_or("ran", |v| v.as_str()),
                    run.usage.map_or(0, |u| u.total_tokens()),
                    run.elapsed_ms
                )?,
                _ => writeln!(
                    out,
                    "[{task}] {} {:?}: {}",
                    run.name,
                    run.status,
                    run.reason.unwrap_or_default()
                )?,
            },
            VerificationEvent::Finding { task, finding } if finding.blocks => {
                writeln!(out, "[{task}] blocking: {}", finding.title)?;
            }
            _ => {}
        }
    }
    let record = verification.await??;
    writeln!(out, "decision: {} — {}", record.decision, record.reason)?;
    Ok(record)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1), |name| std::env::var(name).ok()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}\nusage: embed --repo PATH --task ID [--base-url URL]");
            return ExitCode::from(director::exit::USAGE as u8);
        }
    };
    let mut stdout = std::io::stdout();
    match run(&args, &mut stdout).await {
        Ok(record) => ExitCode::from(director::exit::code_for(&record) as u8),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(director::exit::USAGE as u8)
        }
    }
}

//! Progress on stderr, fed by the orchestrator's event stream: on a terminal a live
//! line per Director (indicatif), otherwise one plain line per event. Never stdout.

use crate::cli::Progress;
use director::VerificationEvent;
use director::core::record::DirectorStatus;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

/// Resolve `auto` to live or plain.
pub fn resolve(style: Progress, quiet: bool) -> Progress {
    if quiet {
        return Progress::None;
    }
    match style {
        Progress::Auto
            if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() =>
        {
            Progress::Auto
        }
        Progress::Auto => Progress::Plain,
        other => other,
    }
}

/// Consume events until the channel closes.
pub fn spawn(mut rx: UnboundedReceiver<VerificationEvent>, style: Progress) -> JoinHandle<()> {
    tokio::spawn(async move {
        let live = style == Progress::Auto;
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let mut bars: HashMap<(String, String), ProgressBar> = HashMap::new();
        let spinner = ProgressStyle::with_template("{spinner} {prefix:<32} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        // Off a terminal indicatif draws nothing, so plain lines go straight to stderr.
        let say = |line: String| {
            if live {
                let _ = multi.println(line);
            } else {
                eprintln!("{line}");
            }
        };
        let mut offline: std::collections::HashSet<String> = std::collections::HashSet::new();
        while let Some(event) = rx.recv().await {
            if style == Progress::None {
                continue;
            }
            match event {
                VerificationEvent::Started {
                    task,
                    directors,
                    offline_reason,
                    ..
                } => {
                    if offline_reason.is_some() {
                        offline.insert(task.clone());
                    }
                    let line = match offline_reason {
                        Some(r) => format!(
                            "director: {task}: no LLM Director will run ({r}); deciding on deterministic evidence"
                        ),
                        None => format!(
                            "director: {task}: {} Director(s) reviewing: {}",
                            directors.len(),
                            directors.join(", ")
                        ),
                    };
                    say(line);
                }
                VerificationEvent::EvidenceReady { task, findings } => {
                    say(format!(
                        "director: {task}: deterministic analyzers: {findings} finding(s)"
                    ));
                }
                VerificationEvent::DirectorSkipped {
                    task,
                    director,
                    reason,
                } => {
                    // Offline, every Director is skipped for the same reason, said once above.
                    if !live && !offline.contains(&task) {
                        say(format!("director: {task}: {director} skipped: {reason}"));
                    }
                }
                VerificationEvent::DirectorStarted {
                    task,
                    director,
                    model,
                } => {
                    if live {
                        let bar = multi.add(ProgressBar::new_spinner());
                        bar.set_style(spinner.clone());
                        bar.set_prefix(format!("{task}/{director}"));
                        bar.set_message(format!("reviewing with {model}"));
                        bar.enable_steady_tick(Duration::from_millis(120));
                        bars.insert((task, director), bar);
                    } else {
                        say(format!("director: {task}: {director} started ({model})"));
                    }
                }
                VerificationEvent::DirectorFinished { task, run } => {
                    let tokens = run.usage.map(|u| u.total_tokens()).unwrap_or(0);
                    let state = match run.status {
                        DirectorStatus::Ran => format!(
                            "{}{} ({tokens} tokens, {:.1}s)",
                            run.verdict.map_or("ran", |v| v.as_str()),
                            if run.from_cache { ", cached" } else { "" },
                            run.elapsed_ms as f64 / 1000.0
                        ),
                        DirectorStatus::Failed => {
                            format!("failed: {}", run.reason.clone().unwrap_or_default())
                        }
                        DirectorStatus::Skipped => "skipped".into(),
                    };
                    match bars.remove(&(task.clone(), run.name.clone())) {
                        Some(bar) => bar.finish_with_message(state),
                        None => {
                            say(format!("director: {task}: {} {state}", run.name));
                        }
                    }
                }
                VerificationEvent::Finished { record } => {
                    if !live {
                        say(format!(
                            "director: {}: decision {} ({})",
                            record.task.id, record.decision, record.reason
                        ));
                    }
                }
                VerificationEvent::ChangeGathered { .. }
                | VerificationEvent::Finding { .. }
                | VerificationEvent::Usage { .. } => {}
            }
        }
        for bar in bars.into_values() {
            bar.abandon();
        }
    })
}

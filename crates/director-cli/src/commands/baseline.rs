//! `director baseline update|show`.

use crate::cli::BaselineCommand;
use crate::output::emit;
use director::baseline::Baseline;
use director::{CancellationToken, EventSink, Overrides, exit};
use std::path::Path;

/// Run a baseline command.
pub async fn run(repo: &Path, cmd: BaselineCommand) -> anyhow::Result<i32> {
    match cmd {
        BaselineCommand::Update {
            task,
            reason,
            change,
            provider,
        } => {
            let verifier = super::verifier(repo, &provider, Overrides::default())?;
            let task = verifier.load_task(&task)?;
            let options = super::options(&change);
            let record = verifier
                .verify_with(
                    task,
                    &options,
                    &EventSink::none(),
                    &CancellationToken::new(),
                )
                .await?;
            if !record
                .directors
                .iter()
                .all(|d| d.status != director::core::DirectorStatus::Failed)
            {
                return Err(director::Error::Input {
                    message: format!(
                        "the run was {}: {}; the baseline was not changed",
                        record.decision, record.reason
                    ),
                    hint: "fix the provider problem and run `director baseline update` again"
                        .into(),
                }
                .into());
            }
            let now = chrono_now();
            let baseline =
                Baseline::from_findings(&record.findings, &record.task.id, &reason, &now);
            let path = baseline.save(verifier.repo_root())?;
            emit(
                &format!(
                    "wrote {} ({} finding(s) accepted)\n",
                    path.display(),
                    baseline.entries.len()
                ),
                None,
            )?;
        }
        BaselineCommand::Show => {
            let root = director::project_root(repo)?;
            let baseline = Baseline::load(&root)?;
            let mut out = String::new();
            for (fp, e) in &baseline.entries {
                out.push_str(&format!(
                    "{fp}  {:<18} {:<30} {} — {}\n",
                    e.category,
                    e.path.as_deref().unwrap_or("-"),
                    e.title,
                    e.reason
                ));
            }
            if baseline.entries.is_empty() {
                out.push_str("the baseline is empty\n");
            }
            emit(&out, None)?;
        }
    }
    Ok(exit::PASS)
}

fn chrono_now() -> String {
    director::now_rfc3339()
}

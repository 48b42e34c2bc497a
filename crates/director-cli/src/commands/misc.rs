//! Smaller commands: `schema`, `config show`, `context`, `evidence`.

use crate::cli::{ConfigCommand, ContextArgs, EvidenceArgs};
use crate::output::{emit, stdout_color};
use director::exit;
use std::path::Path;

/// `director schema [--record]`
pub fn schema(record: bool) -> anyhow::Result<i32> {
    let value = if record {
        director::record_schema()
    } else {
        director::core::verdict::verdict_schema().clone()
    };
    emit(
        &format!("{}\n", serde_json::to_string_pretty(&value)?),
        None,
    )?;
    Ok(exit::PASS)
}

/// `director config show`
pub fn config(repo: &Path, cmd: ConfigCommand) -> anyhow::Result<i32> {
    match cmd {
        ConfigCommand::Show => {
            let verifier = super::offline_verifier(repo)?;
            let resolved = verifier.config()?;
            let rows = resolved.show();
            let width = rows.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
            let mut out = String::new();
            for (key, value, source) in rows {
                out.push_str(&format!("{key:<width$} = {value}    # {source}\n"));
            }
            out.push_str(&format!(
                "# api key: {}\n",
                if resolved.api_key.is_some() {
                    format!("set (from ${})", resolved.config.provider.api_key_env)
                } else {
                    format!("not set (${})", resolved.config.provider.api_key_env)
                }
            ));
            out.push_str(&super::policy_lines(&verifier));
            emit(&out, None)?;
        }
    }
    Ok(exit::PASS)
}

/// `director context --task <id>`
pub async fn context(repo: &Path, args: ContextArgs) -> anyhow::Result<i32> {
    let verifier = super::offline_verifier(repo)?;
    let task = verifier.load_task(&args.task)?;
    let preview = verifier
        .context_preview(task, &super::options(&args.change))
        .await?;
    let summary = &preview.summary;
    let mut out = String::new();
    if !args.stats {
        out.push_str(&preview.text);
        out.push('\n');
    }
    out.push_str(&format!(
        "# context: {} tokens of {} budget, {} file(s) included, {} omitted, {} redaction(s)\n",
        summary.tokens,
        summary.budget,
        summary.files_included,
        summary.omitted.len(),
        summary.redactions.values().sum::<u32>()
    ));
    for o in &summary.omitted {
        out.push_str(&format!("#   omitted {}: {}\n", o.item, o.reason));
    }
    emit(&out, None)?;
    Ok(exit::PASS)
}

/// `director evidence PATH...`
pub async fn evidence(repo: &Path, args: EvidenceArgs) -> anyhow::Result<i32> {
    let root = director::project_root(repo)?;
    let mut extra = super::evidence_flags::extra_evidence(&args.rendered, &args.evidence_sarif)?;
    extra.terraform_plan = args.terraform_plan.clone();
    let record = director::evidence_record(&root, &args.paths, args.environment, extra).await?;
    let format = super::verify::format(args.format);
    emit(
        &director::report::render(&record, format, stdout_color()),
        None,
    )?;
    Ok(exit::code_for(&record))
}

//! `director doctor`: the configured model and its server as director sees them —
//! kind, context window, slots, structured output, a tiny probe's latency and speed,
//! every Director's prompt size — and what director will do with this model.

use crate::cli::DoctorArgs;
use crate::output::emit;
use director::doctor::DoctorReport;
use director::{Overrides, exit};
use std::fmt::Write as _;
use std::path::Path;

/// `director doctor [--json]`
pub async fn run(repo: &Path, args: DoctorArgs) -> anyhow::Result<i32> {
    let verifier = super::verifier(repo, &args.provider, Overrides::default())?;
    let report = verifier.doctor().await?;
    let text = if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        human(&report)
    };
    emit(&text, None)?;
    Ok(if report.probe.error.is_some() {
        exit::INCOMPLETE
    } else {
        exit::PASS
    })
}

fn human(report: &DoctorReport) -> String {
    let p = &report.profile;
    let f = &p.facts;
    let mut out = String::new();
    let _ = writeln!(out, "provider   {} (model {})", p.base_url, p.model);
    let _ = writeln!(
        out,
        "server     {}{}{}",
        f.kind.as_str(),
        f.version
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default(),
        if p.from_cache {
            " (cached discovery)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "window     {} ({}){}",
        p.context_window
            .map_or_else(|| "unknown".to_string(), |w| format!("{w} tokens")),
        p.window_source,
        f.trained_window
            .map(|t| format!("; trained with {t}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "in flight  {} ({})",
        p.max_in_flight
            .map_or_else(|| "no cap".to_string(), |n| n.to_string()),
        p.in_flight_source
    );
    let _ = writeln!(
        out,
        "output     {:?} ({}); maxLength in the schema: {}",
        p.structured_output,
        p.structured_source,
        if p.schema_max_length { "yes" } else { "no" }
    );
    let probe = &report.probe;
    match &probe.error {
        None => {
            let _ = writeln!(
                out,
                "probe      {} ms, {} prompt + {} completion tokens{}",
                probe.latency_ms,
                probe.prompt_tokens.map_or("?".into(), |n| n.to_string()),
                probe
                    .completion_tokens
                    .map_or("?".into(), |n| n.to_string()),
                probe
                    .tokens_per_second
                    .map(|t| format!(", {t:.1} tokens/s"))
                    .unwrap_or_default()
            );
        }
        Some(error) => {
            let _ = writeln!(
                out,
                "probe      failed after {} ms: {error}",
                probe.latency_ms
            );
        }
    }
    for note in &f.notes {
        let _ = writeln!(out, "note       {note}");
    }
    let _ = writeln!(
        out,
        "\n{:<15} {:>6} {:>8}  fit",
        "director", "full", "compact"
    );
    for d in &report.directors {
        let fit = match (&d.too_small, d.profile, d.context_room) {
            (Some(why), _, _) => why.clone(),
            (None, Some(profile), Some(room)) => {
                format!("{profile}, {room} context tokens per request")
            }
            (None, Some(profile), None) => profile.to_string(),
            (None, None, _) => "-".into(),
        };
        let _ = writeln!(
            out,
            "{:<15} {:>6} {:>8}  {fit}",
            d.name, d.full_tokens, d.compact_tokens
        );
    }
    let _ = writeln!(out, "\n{}", report.plan);
    out
}

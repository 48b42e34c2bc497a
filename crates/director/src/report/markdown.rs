//! The Markdown report, for pull-request comments and agent fix lists.

use super::location;
use director_core::record::DirectorStatus;
use director_core::{Decision, FindingStatus, RunRecord};
use std::fmt::Write as _;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Render the Markdown report.
pub fn render_markdown(r: &RunRecord) -> String {
    let mut out = String::new();
    let icon = match r.decision {
        Decision::Pass => "✅",
        Decision::Block => "⛔",
        Decision::Incomplete => "⚠️",
    };
    let _ = writeln!(
        out,
        "## {icon} director: **{}** — {}",
        r.decision,
        cell(&r.task.title)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", r.reason);
    if let Some(note) = &r.llm.note {
        let _ = writeln!(out, "\n> {note}");
    }
    if !r.policy.ignored_changes.is_empty() {
        let _ = writeln!(
            out,
            "\n> **Policy changes in the reviewed change are not applied:** {}",
            r.policy
                .ignored_changes
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        out,
        "\n### Directors\n\n| Director | Status | Verdict | Notes |\n|---|---|---|---|"
    );
    for d in &r.directors {
        let status = match d.status {
            DirectorStatus::Ran if d.from_cache => "ran (cached)",
            DirectorStatus::Ran => "ran",
            DirectorStatus::Skipped => "skipped",
            DirectorStatus::Failed => "**failed**",
        };
        let notes = match d.status {
            DirectorStatus::Ran => d.summary.clone().unwrap_or_default(),
            _ => d.reason.clone().unwrap_or_default(),
        };
        let _ = writeln!(
            out,
            "| {} | {status} | {} | {} |",
            cell(&d.display_name),
            d.verdict.map_or("—", |v| v.as_str()),
            cell(&notes)
        );
    }
    let active: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::New)
        .collect();
    if !active.is_empty() {
        let _ = writeln!(out, "\n### Findings\n");
        for f in &active {
            let sev = if f.blocks {
                "🛑 **blocking**".to_string()
            } else {
                f.severity.as_str().to_string()
            };
            let rule = f
                .rule_id
                .as_deref()
                .map(|r| format!(" `{r}`"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- {sev} · {} · `{}`{rule} — **{}** ({}{})",
                f.category,
                location(f),
                cell(&f.title),
                f.directors.join(", "),
                if f.verified { "" } else { ", unverified" }
            );
            if let Some(e) = &f.evidence {
                let fence = if e.contains("```") { "````" } else { "```" };
                let _ = writeln!(
                    out,
                    "  {fence}\n{}\n  {fence}",
                    e.lines()
                        .map(|l| format!("  {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
            if !f.recommendation.is_empty() {
                let _ = writeln!(out, "  Fix: {}", f.recommendation);
            }
        }
    }
    let known: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.status != FindingStatus::New)
        .collect();
    if !known.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} known or suppressed finding(s)</summary>\n",
            known.len()
        );
        for f in known {
            let _ = writeln!(
                out,
                "- {} `{}` — {} ({})",
                f.severity,
                location(f),
                cell(&f.title),
                cell(f.status_reason.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out, "\n</details>");
    }
    let u = &r.usage;
    let _ = writeln!(
        out,
        "\n<sub>run {} · {} requests · {} prompt + {} completion tokens{} · {:.1}s</sub>",
        r.run_id,
        u.requests,
        u.prompt_tokens,
        u.completion_tokens,
        u.cost_usd
            .map(|c| format!(" · ${c:.4}"))
            .unwrap_or_default(),
        r.duration_ms as f64 / 1000.0
    );
    out
}

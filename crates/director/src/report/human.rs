//! The terminal summary: decision first, then the Directors, then the findings that
//! matter, most severe first.

use super::location;
use director_core::record::{DirectorStatus, McpServerStatus};
use director_core::{Decision, FindingSource, FindingStatus, RunRecord, Severity};
use std::fmt::Write as _;

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The MCP servers Directors opted into: ready with their tools and calls, or why not.
fn render_mcp(out: &mut String, r: &RunRecord, color: bool) {
    if r.mcp_servers.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nMCP servers");
    for server in &r.mcp_servers {
        let calls: usize = r
            .directors
            .iter()
            .flat_map(|d| &d.mcp_calls)
            .filter(|c| c.server == server.name)
            .count();
        let line = match server.status {
            McpServerStatus::Ready => format!(
                "✔ {:<15} {} tool(s) offered, {calls} call(s)",
                server.name,
                server.tools_offered.len()
            ),
            McpServerStatus::Failed | McpServerStatus::Unknown => format!(
                "{} {:<15} {}: {}",
                paint(color, "33", "!"),
                server.name,
                if server.status == McpServerStatus::Failed {
                    "not available"
                } else {
                    "not configured"
                },
                server.message.as_deref().unwrap_or("")
            ),
        };
        let _ = writeln!(out, "  {line}");
    }
}

/// Render the human summary.
pub fn render_human(r: &RunRecord, color: bool) -> String {
    let mut out = String::new();
    let decision = match r.decision {
        Decision::Pass => paint(color, "1;32", "PASS"),
        Decision::Block => paint(color, "1;31", "BLOCK"),
        Decision::Incomplete => paint(color, "1;33", "INCOMPLETE"),
    };
    let _ = writeln!(
        out,
        "director: {decision} — task {} \"{}\"",
        r.task.id, r.task.title
    );
    let _ = writeln!(out, "  {}", r.reason);
    if let Some(note) = &r.llm.note {
        let _ = writeln!(out, "  {note}");
    }
    for warning in &r.warnings {
        let _ = writeln!(out, "  {}: {warning}", paint(color, "33", "warning"));
    }
    if !r.policy.ignored_changes.is_empty() {
        let _ = writeln!(
            out,
            "  {}: {}",
            paint(
                color,
                "1;33",
                "policy changes in the reviewed change are not applied"
            ),
            r.policy.ignored_changes.join(", ")
        );
    }
    let changed = r.changes.len();
    let _ = writeln!(
        out,
        "  {changed} file{} reviewed, {} evidence finding{}, environment: {}",
        if changed == 1 { "" } else { "s" },
        r.evidence.findings,
        if r.evidence.findings == 1 { "" } else { "s" },
        r.task.environment.map_or("unspecified", |e| e.as_str()),
    );
    for line in &r.evidence.not_evaluated {
        let _ = writeln!(out, "  {}", paint(color, "33", line));
    }

    let _ = writeln!(out, "\nDirectors");
    for d in &r.directors {
        let (mark, state) = match d.status {
            DirectorStatus::Ran => ("✔", d.verdict.map_or("ran", |v| v.as_str()).to_string()),
            DirectorStatus::Skipped => ("–", "skipped".to_string()),
            DirectorStatus::Failed => ("✖", paint(color, "33", "failed")),
        };
        let mut detail = String::new();
        if d.status == DirectorStatus::Ran {
            if d.from_cache {
                detail.push_str("cached");
            } else if let Some(u) = &d.usage {
                let _ = write!(
                    detail,
                    "{} tokens, {:.1}s",
                    u.total_tokens(),
                    d.elapsed_ms as f64 / 1000.0
                );
            }
            if d.findings_verified + d.findings_unverified > 0 {
                let _ = write!(
                    detail,
                    ", {} finding(s), {} unverified",
                    d.findings_verified + d.findings_unverified,
                    d.findings_unverified
                );
            }
        } else if let Some(reason) = &d.reason {
            detail.push_str(reason);
        }
        let _ = writeln!(out, "  {mark} {:<15} {:<8} {detail}", d.name, state);
    }
    render_mcp(&mut out, r, color);

    let shown: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning || f.status != FindingStatus::New)
        .collect();
    if !r.findings.is_empty() {
        let blocking = r.findings.iter().filter(|f| f.blocks).count();
        let warnings = r
            .findings
            .iter()
            .filter(|f| {
                !f.blocks && f.severity == Severity::Warning && f.status == FindingStatus::New
            })
            .count();
        let known = r
            .findings
            .iter()
            .filter(|f| f.status != FindingStatus::New)
            .count();
        let _ = writeln!(
            out,
            "\nFindings ({blocking} blocking, {warnings} warning{}, {known} known or suppressed, {} info)",
            if warnings == 1 { "" } else { "s" },
            r.findings.len() - shown.len()
        );
    }
    for f in shown {
        let label = if f.blocks {
            paint(color, "1;31", "BLOCKING")
        } else if f.status == FindingStatus::Known {
            "KNOWN   ".to_string()
        } else if f.status == FindingStatus::Suppressed {
            "IGNORED ".to_string()
        } else {
            match f.severity {
                Severity::Blocking => paint(color, "31", "blocking"),
                Severity::Warning => paint(color, "33", "warning "),
                Severity::Info => "info    ".to_string(),
            }
        };
        let source = match f.source {
            FindingSource::Evidence => format!("evidence {}", f.rule_id.as_deref().unwrap_or("")),
            FindingSource::Llm => f.directors.join("+"),
        };
        let mut extra = if f.source == FindingSource::Evidence && f.directors.len() > 1 {
            format!(", confirmed by {}", f.directors[1..].join("+"))
        } else {
            String::new()
        };
        if let Some(c) = f.criterion {
            extra.push_str(&format!(", criterion {c}"));
        }
        let _ = writeln!(
            out,
            "  {label} {} {} — {} [{source}{extra}]",
            f.category,
            location(f),
            f.title
        );
        for l in &f.related {
            let _ = writeln!(
                out,
                "           see {}:{} — {}",
                l.path, l.start_line, l.message
            );
        }
        if !f.verified {
            let _ = writeln!(
                out,
                "           unverified: {}",
                f.verification.as_deref().unwrap_or("quote not checked")
            );
        }
        if let Some(reason) = &f.status_reason {
            let _ = writeln!(out, "           {reason}");
        }
        if !f.recommendation.is_empty() && f.status == FindingStatus::New {
            let _ = writeln!(out, "           fix: {}", f.recommendation);
        }
    }
    if r.cancelled {
        let _ = writeln!(out, "\nDecision: {} (cancelled)", r.decision);
    } else {
        let code = crate::exit::code_for(r);
        let _ = writeln!(out, "\nDecision: {} (exit {code})", r.decision);
    }
    out
}

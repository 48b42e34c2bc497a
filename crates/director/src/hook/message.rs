//! What the agent is told. A block reads: the decision, the blocking findings as a
//! numbered fix list (path:line, what is wrong, the fix), the warnings in one line
//! each, whether the same findings remain from the previous round, and where the full
//! record is — capped in length. An incomplete verification says what could not run
//! and whether the agent can do anything about it.

use director_core::record::DirectorStatus;
use director_core::{Finding, RunRecord, Severity};
use std::fmt::Write as _;

/// Longest reason handed to an agent, in characters.
pub const MAX_REASON: usize = 6000;
/// Longest line for one finding.
const MAX_ITEM: usize = 400;
/// Warnings listed at most.
const MAX_WARNINGS: usize = 8;

/// Where a finding is: `path:line`, `path`, or `(no file)`.
fn location(f: &Finding) -> String {
    match (&f.path, f.start_line) {
        (Some(p), Some(l)) => format!("{p}:{l}"),
        (Some(p), None) => p.clone(),
        _ => "(no file)".into(),
    }
}

fn clip(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The reason a blocking record gives the agent.
pub fn block_reason(
    record: &RunRecord,
    record_path: Option<&str>,
    same_as_before: bool,
    round: u32,
    max_rounds: u32,
) -> String {
    let blocking: Vec<&Finding> = record.findings.iter().filter(|f| f.blocks).collect();
    let n = blocking.len();
    let mut out = format!(
        "director: BLOCK — {n} blocking finding{} must be fixed before this work counts as done.\n",
        if n == 1 { "" } else { "s" }
    );
    if same_as_before {
        let _ = writeln!(
            out,
            "The same {n} finding{} remain{} as in the previous round: the last attempt did not fix {}.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" },
            if n == 1 { "it" } else { "them" }
        );
    }
    out.push_str("\nFix these:\n");
    for (i, f) in blocking.iter().enumerate() {
        let rule = f
            .rule_id
            .as_deref()
            .map(|r| format!(" [{r}]"))
            .unwrap_or_default();
        let item = format!("{}. {} — {}{rule}", i + 1, location(f), f.title);
        let _ = writeln!(out, "{}", clip(&item, MAX_ITEM));
        if !f.recommendation.trim().is_empty() {
            let _ = writeln!(out, "   fix: {}", clip(&f.recommendation, MAX_ITEM));
        }
    }
    let warnings: Vec<&Finding> = record
        .findings
        .iter()
        .filter(|f| !f.blocks && f.severity == Severity::Warning)
        .collect();
    if !warnings.is_empty() {
        out.push_str("\nWarnings (not blocking):\n");
        for f in warnings.iter().take(MAX_WARNINGS) {
            let _ = writeln!(
                out,
                "- {}",
                clip(&format!("{} — {}", location(f), f.title), 200)
            );
        }
        if warnings.len() > MAX_WARNINGS {
            let _ = writeln!(out, "- … and {} more", warnings.len() - MAX_WARNINGS);
        }
    }
    let _ = write!(
        out,
        "\nRound {round} of at most {max_rounds}: after that director lets you stop and reports the findings as unresolved."
    );
    if let Some(path) = record_path {
        let _ = write!(out, " Full record: {path}");
    }
    cap(out, record_path)
}

/// Keep a reason within [`MAX_REASON`], pointing at the record for the rest.
fn cap(text: String, record_path: Option<&str>) -> String {
    if text.chars().count() <= MAX_REASON {
        return text;
    }
    let mut out: String = text.chars().take(MAX_REASON - 200).collect();
    let _ = write!(
        out,
        "\n… (cut to stay short; the rest is in {})",
        record_path.unwrap_or("the run record")
    );
    out
}

/// Who could not finish, and why, one line each.
fn failures(record: &RunRecord) -> Vec<String> {
    record
        .directors
        .iter()
        .filter(|d| d.status == DirectorStatus::Failed)
        .map(|d| {
            clip(
                &format!("{}: {}", d.name, d.reason.as_deref().unwrap_or("failed")),
                240,
            )
        })
        .collect()
}

/// What an incomplete record tells the agent (or the person, when the agent may stop).
pub fn incomplete_text(record: &RunRecord, record_path: Option<&str>) -> String {
    let mut out = format!(
        "director could not finish verifying this work: {}.",
        record.reason
    );
    let failed = failures(record);
    if !failed.is_empty() {
        out.push_str(" Could not run: ");
        out.push_str(&failed.join("; "));
        out.push('.');
    }
    out.push_str(
        " This is not a problem in the code: the LLM provider failed, was unreachable or ran out of time, \
         and changing the code will not help; stopping again retries the review.",
    );
    if let Some(path) = record_path {
        let _ = write!(out, " Record: {path}");
    }
    cap(out, record_path)
}

/// Why no record came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The task, the configuration or the hook payload: a person must fix it.
    Setup,
    /// The review did not fit in the hook's time budget.
    Time,
    /// A bug in director.
    Internal,
}

/// What an error (no record at all) tells the agent or the person.
pub fn error_text(what: &str, hint: Option<&str>, cause: Cause) -> String {
    let mut out = format!("director could not verify this work: {what}.");
    if let Some(hint) = hint {
        let _ = write!(out, " hint: {hint}.");
    }
    out.push_str(match cause {
        Cause::Setup => {
            " This is a problem in director's setup (task, configuration or hook payload), not in the code: a person must fix it."
        }
        Cause::Time => {
            " This is not a problem in the code: the review did not fit in the hook's time budget; stopping again retries it."
        }
        Cause::Internal => " This is an internal error of director, not a problem in the code.",
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use director_core::{FindingSource, Task};

    fn finding(title: &str, blocks: bool, severity: Severity) -> Finding {
        let mut f = Finding::evidence(
            "infrastructure",
            "infra.rds.single-az",
            severity,
            "reliability",
            title.to_string(),
            Vec::new(),
            "infra/db.tf",
            (3, 3),
            "multi_az = false".into(),
            "set multi_az = true".into(),
        );
        f.blocks = blocks;
        f.source = FindingSource::Evidence;
        f
    }

    fn record(findings: Vec<Finding>) -> RunRecord {
        RunRecord {
            version: 1,
            run_id: "x".into(),
            tool_version: "0".into(),
            started_at: String::new(),
            duration_ms: 0,
            task: Task {
                id: "t".into(),
                title: "t".into(),
                ..Task::default()
            },
            repository: director_core::record::RepositoryInfo {
                root: "/r".into(),
                mode: director_core::record::ChangeMode::WorkingTree,
                base: None,
                head: None,
                base_commit: None,
                head_commit: None,
            },
            decision: director_core::Decision::Block,
            reason: String::new(),
            partial: false,
            cancelled: false,
            llm: Default::default(),
            directors: Vec::new(),
            findings,
            changes: Vec::new(),
            evidence: Default::default(),
            context: Default::default(),
            usage: Default::default(),
            mcp_servers: Vec::new(),
            policy: Default::default(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_block_is_a_numbered_fix_list_with_warnings_after() {
        let r = record(vec![
            finding("RDS is single-AZ", true, Severity::Blocking),
            finding("no backup window", false, Severity::Warning),
        ]);
        let text = block_reason(&r, Some(".director/runs/t/x.json"), true, 2, 3);
        assert!(
            text.starts_with("director: BLOCK — 1 blocking finding must"),
            "{text}"
        );
        assert!(text.contains("The same 1 finding remains"), "{text}");
        assert!(
            text.contains("1. infra/db.tf:3 — RDS is single-AZ [infra.rds.single-az]\n   fix: set multi_az = true"),
            "{text}"
        );
        assert!(
            text.contains("Warnings (not blocking):\n- infra/db.tf:3 — no backup window"),
            "{text}"
        );
        assert!(
            text.contains("Round 2 of at most 3") && text.ends_with(".director/runs/t/x.json"),
            "{text}"
        );
    }

    #[test]
    fn long_reasons_are_capped_and_point_at_the_record() {
        let many = (0..200)
            .map(|i| {
                finding(
                    &format!("finding {i} {}", "x".repeat(80)),
                    true,
                    Severity::Blocking,
                )
            })
            .collect();
        let text = block_reason(&record(many), Some("rec.json"), false, 1, 3);
        assert!(text.chars().count() <= MAX_REASON, "{}", text.len());
        assert!(text.ends_with("the rest is in rec.json)"), "{text}");
    }
}

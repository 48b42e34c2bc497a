//! Stage 3, `judge`: from the evidence and the Directors' verdicts to one decision.
//! Every LLM finding's quote is checked against the code the Directors saw; inline
//! suppressions apply; findings merge across Directors; the baseline marks known
//! findings; the gate decides.

use super::Engine;
use super::plan::Plan;
use super::review::{Reviewed, failed_run};
use crate::baseline::{SuppressionPolicy, apply_suppressions};
use crate::error::Error;
use director_context::ChangeSet;
use director_core::record::{DirectorRun, DirectorStatus};
use director_core::verify::{DEFAULT_DRIFT, QuoteCheck, check_quote};
use director_core::{Decision, Finding, FindingSource, Task, Usage, gate, merge};
use std::collections::BTreeMap;
use std::path::Path;

/// The output of the `judge` stage.
pub(crate) struct Judgement {
    /// Every Director of the panel, in panel order.
    pub runs: Vec<DirectorRun>,
    /// Merged findings with `blocks` set.
    pub findings: Vec<Finding>,
    /// The decision.
    pub decision: Decision,
    /// Why, in one sentence.
    pub reason: String,
    /// Token usage summed over the Directors.
    pub usage: Usage,
    /// True when the run was interrupted.
    pub cancelled: bool,
}

/// Name of the deterministic evidence step when it could not finish.
const EVIDENCE_STEP: &str = "the deterministic evidence";

impl Engine {
    /// Stage 3: check, suppress, merge, baseline, gate.
    pub(super) async fn judge(
        &self,
        plan: &Plan,
        reviewed: Vec<Reviewed>,
        cancelled: bool,
    ) -> Result<Judgement, Error> {
        let setup = &plan.setup;
        let mut runs = plan.runs.clone();
        let mut usage = Usage::default();
        let mut llm_findings = Vec::new();
        let mut checker = EvidenceChecker::new(&plan.changes, &plan.task);
        for Reviewed {
            index,
            mut run,
            verdict,
        } in reviewed
        {
            if let Some(u) = &run.usage {
                usage += *u;
            }
            if let Some(verdict) = verdict {
                let name = setup.policy.panel.directors()[index].name();
                for reported in verdict.findings {
                    let mut f = Finding::from_reported(name, reported);
                    checker.check(&mut f);
                    if f.verified {
                        run.findings_verified += 1;
                    } else {
                        run.findings_unverified += 1;
                    }
                    llm_findings.push(f);
                }
            }
            runs[index] = Some(run);
        }
        // Fail closed: a Director with no outcome at all failed.
        let runs: Vec<DirectorRun> = runs
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.unwrap_or_else(|| {
                    failed_run(
                        &setup.policy.panel.directors()[i],
                        "internal: no outcome was recorded".into(),
                    )
                })
            })
            .collect();
        let mut failed: Vec<String> = runs
            .iter()
            .filter(|r| r.status == DirectorStatus::Failed)
            .map(|r| r.name.clone())
            .collect();
        if plan.evidence_failure.is_some() {
            failed.push(EVIDENCE_STEP.to_string());
        }

        let mut all: Vec<Finding> = plan.evidence.findings.clone();
        all.extend(llm_findings);
        let head_files: BTreeMap<String, &str> = plan
            .changes
            .files
            .iter()
            .filter_map(|f| Some((f.path.clone(), f.content.as_deref()?)))
            .collect();
        let cfg = &setup.policy.config.config;
        let added =
            |path: &str, line: u32| plan.changes.file(path).is_none_or(|f| f.added_line(line));
        let warnings = apply_suppressions(
            &mut all,
            &head_files,
            &added,
            SuppressionPolicy {
                allow_in_change: cfg.suppressions.allow_in_change,
                blocking: &cfg.gate.block_on,
            },
        );
        all.extend(warnings);
        for f in &mut all {
            if f.source == FindingSource::Evidence
                && let Some(e) = &f.evidence
            {
                // Analyzers quote raw lines; the record never holds secrets.
                f.evidence =
                    Some(director_context::redact(e, f.path.as_deref().unwrap_or("")).text);
            }
        }
        let mut findings = merge::merge_findings(all);
        setup.policy.baseline.apply(&mut findings);
        let panel = &setup.policy.panel;
        let outcome = gate::decide(
            &setup.policy.config.config.gate,
            &mut findings,
            |name| panel.get(name).is_none_or(|d| d.def.may_block),
            &failed,
            cancelled,
        );
        let reason = self.reason(plan, &outcome, &failed);
        Ok(Judgement {
            runs,
            findings,
            decision: outcome.decision,
            reason,
            usage,
            cancelled,
        })
    }

    /// The gate's reason, with what else the reader must know.
    fn reason(&self, plan: &Plan, outcome: &gate::GateOutcome, failed: &[String]) -> String {
        let mut reason = outcome.reason.clone();
        if outcome.decision == Decision::Block && !failed.is_empty() {
            reason.push_str(&format!("; also, {} could not finish", failed.join(", ")));
        }
        if let Some(why) = &plan.evidence_failure {
            reason.push_str(&format!(" ({EVIDENCE_STEP} failed: {why})"));
        }
        if plan.partial {
            reason.push_str(" (partial: some Directors were skipped to stay within the budget)");
        }
        if plan.offline_reason.is_some() {
            reason.push_str(" (decided on deterministic evidence only)");
        }
        reason
    }
}

/// Checks LLM findings against the code they cite (the redacted text the Directors
/// saw), or against the task for findings about unmet criteria. Each cited file is
/// redacted once per run, however many findings cite it.
pub(super) struct EvidenceChecker<'a> {
    changes: &'a ChangeSet,
    task_text: String,
    seen: BTreeMap<String, String>,
}

impl<'a> EvidenceChecker<'a> {
    pub(super) fn new(changes: &'a ChangeSet, task: &Task) -> Self {
        let task_text = director_core::fingerprint::normalize_code(&format!(
            "{}\n{}\n{}",
            task.title,
            task.description,
            task.criteria.join("\n")
        ));
        EvidenceChecker {
            changes,
            task_text,
            seen: BTreeMap::new(),
        }
    }

    /// Mark `f` verified (moving it to where the quote really is) or say why not.
    pub(super) fn check(&mut self, f: &mut Finding) {
        let Some(path) = f.path.clone() else {
            let quote = f
                .evidence
                .as_deref()
                .map(director_core::fingerprint::normalize_code);
            match quote {
                Some(q) if q.len() >= 8 && self.task_text.contains(&q) => {
                    f.verified = true;
                    f.verification = Some("quotes the task".into());
                }
                _ => {
                    f.verification = Some("cites no file and does not quote the task".into());
                }
            }
            return;
        };
        if Path::new(&path).is_absolute() || path.split('/').any(|c| c == "..") {
            f.verification = Some("cites a path outside the repository".into());
            return;
        }
        let Some(file) = self.changes.file(&path) else {
            f.verification = Some("cites a file outside the change".into());
            return;
        };
        let Some(content) = file.content.as_deref() else {
            f.verification =
                Some("the cited file has no text at head (deleted, binary or too large)".into());
            return;
        };
        let Some(evidence) = f.evidence.as_deref() else {
            f.verification = Some("cites a file but quotes no code".into());
            return;
        };
        let seen = self
            .seen
            .entry(path.clone())
            .or_insert_with(|| director_context::redact(content, &path).text);
        match check_quote(seen, f.start_line, evidence, DEFAULT_DRIFT) {
            QuoteCheck::Found { start, end, drift } => {
                f.verified = true;
                f.start_line = Some(start);
                f.end_line = Some(end);
                f.verification = Some(if drift == 0 {
                    "quote found at the cited lines".into()
                } else {
                    format!("quote found at lines {start}-{end} ({drift} from the cited line)")
                });
            }
            QuoteCheck::NotFound(why) => f.verification = Some(why),
        }
    }
}

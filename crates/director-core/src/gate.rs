//! The gate: from merged findings and the Directors' outcomes to one decision.
//!
//! Rules, in order:
//! 1. A finding blocks when it is new (not in the baseline, not suppressed), verified,
//!    of a blocking severity, raised by a Director that may block, and — if the policy
//!    asks for it — corroborated by an analyzer or a second Director.
//! 2. Any blocking finding ⇒ `block`.
//! 3. Otherwise any Director that should have run but did not finish ⇒ `incomplete`,
//!    unless the policy is `pass-with-warning` (then `pass`, with the reason stated).
//! 4. Otherwise `pass`; warnings are listed but do not change the decision.

use crate::finding::{Finding, FindingSource, FindingStatus};
use crate::severity::{Decision, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What happens when a Director could not finish.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OnIncomplete {
    /// The decision is `incomplete` (exit 3). Fail closed.
    #[default]
    Fail,
    /// The decision is `pass` with a warning that the verification was incomplete.
    PassWithWarning,
}

/// Whether a blocking LLM finding needs a second source to block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Corroboration {
    /// One Director is enough.
    #[default]
    None,
    /// A deterministic analyzer finding or a second Director must agree.
    EvidenceOrSecondDirector,
}

/// The gate policy (from configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GatePolicy {
    /// Severities that block.
    pub block_on: Vec<Severity>,
    /// Unverified LLM findings are shown as warnings (true) or downgraded to info (false).
    pub unverified_may_warn: bool,
    /// Whether a blocking LLM finding needs corroboration.
    pub corroboration: Corroboration,
    /// Fail closed or open when a Director could not finish.
    pub on_incomplete: OnIncomplete,
}

impl Default for GatePolicy {
    fn default() -> Self {
        GatePolicy {
            block_on: vec![Severity::Blocking],
            unverified_may_warn: true,
            corroboration: Corroboration::None,
            on_incomplete: OnIncomplete::Fail,
        }
    }
}

/// The gate's decision and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GateOutcome {
    /// pass, block or incomplete.
    pub decision: Decision,
    /// One sentence explaining the decision.
    pub reason: String,
    /// Number of findings that block.
    pub blocking: usize,
    /// Directors that should have run but did not finish.
    pub incomplete: Vec<String>,
}

/// Apply the policy to merged findings (setting `blocks` and capping unverified
/// severities) and decide.
///
/// `may_block` tells whether a Director is allowed to block; `failed` lists the
/// Directors that did not finish, `cancelled` marks an interrupted run.
pub fn decide(
    policy: &GatePolicy,
    findings: &mut [Finding],
    may_block: impl Fn(&str) -> bool,
    failed: &[String],
    cancelled: bool,
) -> GateOutcome {
    for f in findings.iter_mut() {
        if !f.verified && f.source == FindingSource::Llm {
            let cap = if policy.unverified_may_warn {
                Severity::Warning
            } else {
                Severity::Info
            };
            if f.severity > cap {
                f.reported_severity.get_or_insert(f.severity);
                f.severity = cap;
            }
        }
        // Only members that carry weight (verified, or deterministic) count: an
        // unverified claim neither corroborates nor lends a Director's right to block.
        let members = f.raisers();
        let weighty: Vec<_> = members.iter().filter(|m| m.carries_weight()).collect();
        let raisers: BTreeSet<&str> = weighty.iter().map(|m| m.director.as_str()).collect();
        let corroborated = match policy.corroboration {
            Corroboration::None => true,
            Corroboration::EvidenceOrSecondDirector => {
                f.source == FindingSource::Evidence || raisers.len() >= 2
            }
        };
        // The blocking severity must come from a member allowed to block.
        let allowed = f.source == FindingSource::Evidence
            || weighty
                .iter()
                .any(|m| m.severity >= f.severity && may_block(&m.director));
        f.blocks = f.status == FindingStatus::New
            && f.verified
            && policy.block_on.contains(&f.severity)
            && allowed
            && corroborated;
    }
    let blocking = findings.iter().filter(|f| f.blocks).count();
    let incomplete = failed.to_vec();

    let (decision, reason) = if blocking > 0 {
        let first = findings
            .iter()
            .find(|f| f.blocks)
            .map(|f| f.title.as_str())
            .unwrap_or("");
        (
            Decision::Block,
            format!(
                "{blocking} blocking finding{} (first: {first})",
                if blocking == 1 { "" } else { "s" }
            ),
        )
    } else if cancelled {
        (
            Decision::Incomplete,
            "the run was cancelled before every Director finished".into(),
        )
    } else if !incomplete.is_empty() {
        let names = incomplete.join(", ");
        match policy.on_incomplete {
            OnIncomplete::Fail => (
                Decision::Incomplete,
                format!("verification incomplete: {names} could not finish"),
            ),
            OnIncomplete::PassWithWarning => (
                Decision::Pass,
                format!(
                    "pass with warning: {names} could not finish (on_incomplete = \"pass-with-warning\")"
                ),
            ),
        }
    } else {
        let warnings = findings
            .iter()
            .filter(|f| f.severity == Severity::Warning && f.status == FindingStatus::New)
            .count();
        let reason = if warnings == 0 {
            "no blocking findings".to_string()
        } else {
            format!(
                "no blocking findings; {warnings} warning{}",
                if warnings == 1 { "" } else { "s" }
            )
        };
        (Decision::Pass, reason)
    };
    GateOutcome {
        decision,
        reason,
        blocking,
        incomplete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::ReportedFinding;

    fn finding(director: &str, severity: Severity, verified: bool) -> Finding {
        let mut f = Finding::from_reported(
            director,
            ReportedFinding {
                severity,
                category: "reliability".into(),
                title: "t".into(),
                resources: vec![],
                path: Some("a.tf".into()),
                start_line: Some(1),
                end_line: Some(1),
                evidence: Some("x".into()),
                recommendation: "r".into(),
            },
        );
        f.verified = verified;
        f
    }

    #[test]
    fn verified_blocking_blocks() {
        let mut fs = vec![finding("infrastructure", Severity::Blocking, true)];
        let out = decide(&GatePolicy::default(), &mut fs, |_| true, &[], false);
        assert_eq!(out.decision, Decision::Block);
        assert!(fs[0].blocks);
    }

    #[test]
    fn unverified_cannot_block_and_is_capped() {
        let mut fs = vec![finding("infrastructure", Severity::Blocking, false)];
        let out = decide(&GatePolicy::default(), &mut fs, |_| true, &[], false);
        assert_eq!(out.decision, Decision::Pass);
        assert_eq!(fs[0].severity, Severity::Warning);
        assert_eq!(fs[0].reported_severity, Some(Severity::Blocking));
        let policy = GatePolicy {
            unverified_may_warn: false,
            ..GatePolicy::default()
        };
        let mut fs = vec![finding("infrastructure", Severity::Blocking, false)];
        decide(&policy, &mut fs, |_| true, &[], false);
        assert_eq!(fs[0].severity, Severity::Info);
    }

    #[test]
    fn known_and_suppressed_do_not_block() {
        let mut fs = vec![finding("infrastructure", Severity::Blocking, true)];
        fs[0].status = FindingStatus::Known;
        let out = decide(&GatePolicy::default(), &mut fs, |_| true, &[], false);
        assert_eq!(out.decision, Decision::Pass);
    }

    #[test]
    fn director_that_may_not_block() {
        let mut fs = vec![finding("advisory", Severity::Blocking, true)];
        let out = decide(
            &GatePolicy::default(),
            &mut fs,
            |d| d != "advisory",
            &[],
            false,
        );
        assert_eq!(out.decision, Decision::Pass);
    }

    #[test]
    fn failed_director_is_incomplete_unless_blocked() {
        let failed = vec!["security".to_string()];
        let mut none: Vec<Finding> = vec![];
        let out = decide(&GatePolicy::default(), &mut none, |_| true, &failed, false);
        assert_eq!(out.decision, Decision::Incomplete);
        assert!(out.reason.contains("security"));
        let mut fs = vec![finding("infrastructure", Severity::Blocking, true)];
        let out = decide(&GatePolicy::default(), &mut fs, |_| true, &failed, false);
        assert_eq!(out.decision, Decision::Block);
        let open = GatePolicy {
            on_incomplete: OnIncomplete::PassWithWarning,
            ..GatePolicy::default()
        };
        let out = decide(&open, &mut none, |_| true, &failed, false);
        assert_eq!(out.decision, Decision::Pass);
        assert!(out.reason.contains("could not finish"));
        let out = decide(&open, &mut none, |_| true, &[], true);
        assert_eq!(out.decision, Decision::Incomplete);
    }

    #[test]
    fn corroboration_needs_second_source() {
        let policy = GatePolicy {
            corroboration: Corroboration::EvidenceOrSecondDirector,
            ..GatePolicy::default()
        };
        let mut fs = vec![finding("infrastructure", Severity::Blocking, true)];
        assert_eq!(
            decide(&policy, &mut fs, |_| true, &[], false).decision,
            Decision::Pass
        );
        // A second verified Director corroborates; a second unverified one does not.
        let mut fs = crate::merge::merge_findings(vec![
            finding("infrastructure", Severity::Blocking, true),
            finding("security", Severity::Blocking, true),
        ]);
        assert_eq!(
            decide(&policy, &mut fs, |_| true, &[], false).decision,
            Decision::Block
        );
        let mut fs = crate::merge::merge_findings(vec![
            finding("infrastructure", Severity::Blocking, true),
            finding("security", Severity::Blocking, false),
        ]);
        assert_eq!(
            decide(&policy, &mut fs, |_| true, &[], false).decision,
            Decision::Pass
        );
    }

    #[test]
    fn a_blocking_severity_from_a_director_that_may_not_block_does_not_block() {
        // Verified blocking from an advisory Director + verified warning from one that
        // may block: the blocking severity has no member allowed to block.
        let mut fs = crate::merge::merge_findings(vec![
            finding("advisory", Severity::Blocking, true),
            finding("infrastructure", Severity::Warning, true),
        ]);
        assert_eq!(fs.len(), 1);
        let out = decide(
            &GatePolicy::default(),
            &mut fs,
            |d| d != "advisory",
            &[],
            false,
        );
        assert_eq!(out.decision, Decision::Pass);
    }
}

//! The Infrastructure Director's Failure Criteria (seed 000) as data, and the one
//! environment policy that says how serious each criterion is where the change runs.
//!
//! The deterministic rules take their severities from [`severity`], and the prompts
//! render the same table (`policy` in the templates), so the analyzers and the
//! Directors cannot disagree about what blocks where. The gate names each criterion
//! (`[gate] block_on_criteria`); a team relaxes one by leaving it out of that list.

use crate::severity::Severity;
use crate::task::Environment;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One of the seven Failure Criteria: "block completion and require infrastructure
/// improvements when …".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Criterion {
    /// 1. Single Points of Failure: critical components with no redundancy or failover.
    Spof,
    /// 2. No Disaster Recovery: missing backups, no recovery procedures, untested restoration.
    NoDr,
    /// 3. Cannot Scale: hard-coded limits, no auto-scaling, stateful bottlenecks.
    CannotScale,
    /// 4. Cost Waste: over-provisioned resources, always-on dev environments, no optimization.
    CostWaste,
    /// 5. No Monitoring: missing metrics, no alerting, cannot detect or debug failures.
    NoMonitoring,
    /// 6. Manual Infrastructure: resources created manually, no Infrastructure as Code.
    ManualInfra,
    /// 7. Wrong Resource Tiers: production using dev-tier resources or vice versa.
    WrongTier,
}

/// The environment a resource is judged in when nothing says where it runs: the
/// Infrastructure Director reviews for production readiness, and a missed blocker
/// costs more than a blocker explained away.
pub const UNKNOWN_ENVIRONMENT_JUDGED_AS: Environment = Environment::Production;

use Severity::{Blocking as B, Info as I, Warning as W};

/// How serious each criterion is per environment, in [`Environment::ALL`] order
/// (production, staging, development, test, local, prototype). `None`: the criterion is
/// not judged there (cost waste is never raised against production capacity).
#[rustfmt::skip]
const POLICY: [(Criterion, [Option<Severity>; 6]); 7] = [
    (Criterion::Spof, [Some(B), Some(W), Some(I), Some(I), Some(I), Some(I)]),
    (Criterion::NoDr, [Some(B), Some(W), Some(I), Some(I), Some(I), Some(I)]),
    (Criterion::CannotScale, [Some(B), Some(W), Some(I), Some(I), Some(I), Some(I)]),
    (Criterion::CostWaste, [None, Some(B), Some(B), Some(B), Some(I), Some(I)]),
    (Criterion::NoMonitoring, [Some(B), Some(W), Some(I), Some(I), Some(I), Some(I)]),
    (Criterion::ManualInfra, [Some(B), Some(W), Some(W), Some(W), Some(I), Some(I)]),
    (Criterion::WrongTier, [Some(B), Some(W), Some(B), Some(B), Some(I), Some(I)]),
];

/// The severity of a finding under `criterion` in `env` (`None` = unknown, judged as
/// [`UNKNOWN_ENVIRONMENT_JUDGED_AS`]); `None` if the criterion is not judged there.
pub fn severity(criterion: Criterion, env: Option<Environment>) -> Option<Severity> {
    let env = env.unwrap_or(UNKNOWN_ENVIRONMENT_JUDGED_AS);
    let column = Environment::ALL.iter().position(|e| *e == env)?;
    POLICY
        .iter()
        .find(|(c, _)| *c == criterion)
        .and_then(|(_, row)| row[column])
}

impl Criterion {
    /// Every criterion, in the seed's order.
    pub const ALL: [Criterion; 7] = [
        Criterion::Spof,
        Criterion::NoDr,
        Criterion::CannotScale,
        Criterion::CostWaste,
        Criterion::NoMonitoring,
        Criterion::ManualInfra,
        Criterion::WrongTier,
    ];

    /// The kebab-case id used in configuration, records and prompts.
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Spof => "spof",
            Criterion::NoDr => "no-dr",
            Criterion::CannotScale => "cannot-scale",
            Criterion::CostWaste => "cost-waste",
            Criterion::NoMonitoring => "no-monitoring",
            Criterion::ManualInfra => "manual-infra",
            Criterion::WrongTier => "wrong-tier",
        }
    }

    /// The seed's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Criterion::Spof => "Single Points of Failure",
            Criterion::NoDr => "No Disaster Recovery",
            Criterion::CannotScale => "Cannot Scale",
            Criterion::CostWaste => "Cost Waste",
            Criterion::NoMonitoring => "No Monitoring",
            Criterion::ManualInfra => "Manual Infrastructure",
            Criterion::WrongTier => "Wrong Resource Tiers",
        }
    }

    /// The seed's description of it, verbatim.
    pub fn description(self) -> &'static str {
        match self {
            Criterion::Spof => "Critical components with no redundancy or failover",
            Criterion::NoDr => "Missing backups, no recovery procedures, untested restoration",
            Criterion::CannotScale => "Hard-coded limits, no auto-scaling, stateful bottlenecks",
            Criterion::CostWaste => {
                "Over-provisioned resources, always-on dev environments, no optimization"
            }
            Criterion::NoMonitoring => {
                "Missing metrics, no alerting, cannot detect or debug failures"
            }
            Criterion::ManualInfra => "Resources created manually, no Infrastructure as Code",
            Criterion::WrongTier => "Production using dev-tier resources or vice versa",
        }
    }

    /// The finding category a Director reports this criterion under. An LLM finding
    /// takes the criterion of its category ([`Criterion::for_category`]).
    pub fn category(self) -> &'static str {
        match self {
            Criterion::Spof => "reliability",
            Criterion::NoDr => "disaster-recovery",
            Criterion::CannotScale => "scalability",
            Criterion::CostWaste => "cost",
            Criterion::NoMonitoring => "monitoring",
            Criterion::ManualInfra => "iac-quality",
            Criterion::WrongTier => "cloud-resources",
        }
    }

    /// The criterion a finding of `category` (kebab-case) falls under, if any.
    pub fn for_category(category: &str) -> Option<Criterion> {
        Criterion::ALL
            .into_iter()
            .find(|c| c.category() == category)
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a criterion id that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCriterion(pub String);

impl fmt::Display for UnknownCriterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Criterion::ALL.iter().map(|c| c.as_str()).collect();
        write!(
            f,
            "unknown failure criterion `{}` (known: {})",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownCriterion {}

impl FromStr for Criterion {
    type Err = UnknownCriterion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Criterion::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCriterion(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Environment::*;

    #[test]
    fn ids_round_trip_and_table_is_complete() {
        for c in Criterion::ALL {
            assert_eq!(c.as_str().parse::<Criterion>(), Ok(c));
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
            assert_eq!(Criterion::for_category(c.category()), Some(c));
            assert!(POLICY.iter().any(|(p, _)| *p == c), "{c} has no policy row");
        }
        assert!(
            "nope"
                .parse::<Criterion>()
                .unwrap_err()
                .to_string()
                .contains("spof")
        );
        assert_eq!(Criterion::for_category("security"), None);
    }

    #[test]
    fn the_policy_follows_the_seed() {
        // Every criterion blocks in production except cost waste, which is never judged
        // against production capacity and blocks where the waste is.
        for c in Criterion::ALL {
            let want = (c != Criterion::CostWaste).then_some(Severity::Blocking);
            assert_eq!(severity(c, Some(Production)), want, "{c}");
            assert_eq!(
                severity(c, None),
                want,
                "unknown is judged as production: {c}"
            );
            assert_eq!(severity(c, Some(Prototype)), Some(Severity::Info), "{c}");
        }
        assert_eq!(
            severity(Criterion::CostWaste, Some(Development)),
            Some(Severity::Blocking)
        );
        assert_eq!(
            severity(Criterion::CostWaste, Some(Staging)),
            Some(Severity::Blocking)
        );
        assert_eq!(
            severity(Criterion::Spof, Some(Staging)),
            Some(Severity::Warning)
        );
        assert_eq!(
            severity(Criterion::Spof, Some(Development)),
            Some(Severity::Info)
        );
        assert_eq!(
            severity(Criterion::WrongTier, Some(Development)),
            Some(Severity::Blocking)
        );
    }
}

//! The environment policy as the templates see it (`policy`): the seed's Failure
//! Criteria with the severity each has in this run's environment, and the whole table.
//! It is rendered from `director_core::criteria`, the same data the deterministic rules
//! take their severities from, so the prompts and the analyzers cannot disagree.

use director_core::criteria::{self, Criterion, UNKNOWN_ENVIRONMENT_JUDGED_AS};
use director_core::{Environment, Severity};
use serde::Serialize;

/// `policy` in the templates.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    /// The environment as the run names it (`unspecified` when unknown).
    pub environment: String,
    /// True when the task and configuration name no environment.
    pub unknown: bool,
    /// The environment an unknown one is judged as (`production`).
    pub unknown_judged_as: &'static str,
    /// The environment the severities below are for.
    pub judged_as: &'static str,
    /// Every criterion with its severity here, in the seed's order.
    pub criteria: Vec<CriterionView>,
    /// Column names of [`PolicyView::table`].
    pub environments: Vec<&'static str>,
    /// Every criterion's severity in every environment.
    pub table: Vec<RowView>,
}

/// One criterion in this run.
#[derive(Debug, Clone, Serialize)]
pub struct CriterionView {
    /// `spof`, `no-dr`, …
    pub id: &'static str,
    /// The seed's name, e.g. `Single Points of Failure`.
    pub name: &'static str,
    /// The seed's description.
    pub description: &'static str,
    /// The finding category to report it under.
    pub category: &'static str,
    /// `blocking`, `warning`, `info`, or `not judged`.
    pub severity: &'static str,
    /// True when the repository's gate policy relaxes this criterion (then a finding
    /// under it is at most a `warning`).
    pub relaxed: bool,
}

/// One criterion across the environments.
#[derive(Debug, Clone, Serialize)]
pub struct RowView {
    /// `spof`, `no-dr`, …
    pub id: &'static str,
    /// The seed's name.
    pub name: &'static str,
    /// The severity per environment, in [`PolicyView::environments`] order.
    pub cells: Vec<&'static str>,
}

/// What a severity is called in the prompts; `not judged` where the policy has none.
pub fn severity_name(severity: Option<Severity>) -> &'static str {
    severity.map_or("not judged", Severity::as_str)
}

impl PolicyView {
    /// The view for `environment` (`unspecified` or an unknown name: judged as
    /// production) with the criteria the gate does not block on.
    pub fn new(environment: &str, relaxed: &[Criterion]) -> PolicyView {
        let env = Environment::parse(environment);
        let criteria = Criterion::ALL
            .into_iter()
            .map(|c| {
                let relaxed = relaxed.contains(&c);
                let mut severity = criteria::severity(c, env);
                if relaxed && severity == Some(Severity::Blocking) {
                    severity = Some(Severity::Warning);
                }
                CriterionView {
                    id: c.as_str(),
                    name: c.name(),
                    description: c.description(),
                    category: c.category(),
                    severity: severity_name(severity),
                    relaxed,
                }
            })
            .collect();
        let table = Criterion::ALL
            .into_iter()
            .map(|c| RowView {
                id: c.as_str(),
                name: c.name(),
                cells: Environment::ALL
                    .into_iter()
                    .map(|e| severity_name(criteria::severity(c, Some(e))))
                    .collect(),
            })
            .collect();
        PolicyView {
            environment: environment.to_string(),
            unknown: env.is_none(),
            unknown_judged_as: UNKNOWN_ENVIRONMENT_JUDGED_AS.as_str(),
            judged_as: env.unwrap_or(UNKNOWN_ENVIRONMENT_JUDGED_AS).as_str(),
            criteria,
            environments: Environment::ALL
                .into_iter()
                .map(Environment::as_str)
                .collect(),
            table,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_blocking_becomes_warning() {
        let v = PolicyView::new("development", &[Criterion::CostWaste]);
        let waste = v.criteria.iter().find(|c| c.id == "cost-waste").unwrap();
        assert_eq!(waste.severity, "warning");
        assert!(waste.relaxed);
        let unknown = PolicyView::new("unspecified", &[]);
        assert!(unknown.unknown);
        assert_eq!(unknown.judged_as, "production");
        assert_eq!(unknown.criteria[0].severity, "blocking");
        let waste = unknown
            .criteria
            .iter()
            .find(|c| c.id == "cost-waste")
            .unwrap();
        assert_eq!(waste.severity, "not judged");
    }
}

//! Environments and severities: where a resource runs (from the task, its tags, its
//! names or its path) and how serious a rule's finding is there.
//!
//! The seed's Failure Criteria decide the mapping, and they are stated once, in
//! `director_core::criteria`: a rule that checks a criterion at full strength
//! ([`Policy::Critical`]) takes that criterion's row of the one environment policy the
//! prompts render too. An environment that cannot be determined is judged as
//! production (`UNKNOWN_ENVIRONMENT_JUDGED_AS`), because the Infrastructure Director
//! reviews for production readiness and a missed blocker costs more than a blocker
//! explained away.

use director_core::criteria::{self, Criterion};
use director_core::{Environment, Severity};

/// How a rule's severity follows the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// A Failure Criterion at full strength: the severity is the criterion's row of the
    /// environment policy (`director_core::criteria::severity`), e.g. a single point of
    /// failure blocks in production and is informational in development, cost waste
    /// blocks in development and staging and is never raised against production.
    Critical,
    /// Reachable attack surface (world-open admin ports, privileged containers):
    /// blocking wherever real data may live (production, staging, unknown), a warning
    /// elsewhere.
    Exposure,
    /// Should be fixed before production: a warning in production-like or unknown
    /// environments, informational elsewhere.
    Important,
    /// Hygiene (tags, names, log retention, lifecycle rules): always a warning.
    Cost,
    /// Hardening advice: always informational.
    Advice,
}

impl Policy {
    /// The severity of a finding under this policy in `env`, for a rule tagged with
    /// `criterion`; `None` when the criterion is not judged in `env` (nothing is
    /// reported then).
    pub(crate) fn severity(
        self,
        criterion: Option<Criterion>,
        env: Option<Environment>,
    ) -> Option<Severity> {
        let prod_like = env.is_none_or(Environment::is_production_like);
        Some(match self {
            // Every `Critical` rule names its criterion (a catalogue test checks); a
            // single point of failure's row is the strictest fallback.
            Policy::Critical => {
                return criteria::severity(criterion.unwrap_or(Criterion::Spof), env);
            }
            Policy::Exposure if prod_like => Severity::Blocking,
            Policy::Exposure => Severity::Warning,
            Policy::Important if prod_like => Severity::Warning,
            Policy::Important => Severity::Info,
            Policy::Cost => Severity::Warning,
            Policy::Advice => Severity::Info,
        })
    }

    /// True if the severity depends on the environment (so findings say which one).
    pub(crate) fn env_sensitive(self) -> bool {
        matches!(
            self,
            Policy::Critical | Policy::Exposure | Policy::Important
        )
    }
}

/// The environment a resource was judged in, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvGuess {
    /// The environment, if known.
    pub env: Option<Environment>,
    /// Where it came from: `task`, ``tag `Environment` ``, ``name `prod-db` ``, ``path``.
    pub basis: String,
}

impl EnvGuess {
    /// Nothing says where the resource runs.
    pub(crate) fn unknown() -> EnvGuess {
        EnvGuess {
            env: None,
            basis: String::new(),
        }
    }

    /// A known environment with its basis.
    pub(crate) fn known(env: Environment, basis: String) -> EnvGuess {
        EnvGuess {
            env: Some(env),
            basis,
        }
    }

    /// Production, staging, or unknown (judged as production).
    pub(crate) fn is_production_like(&self) -> bool {
        self.env.is_none_or(Environment::is_production_like)
    }

    /// Production, or unknown (judged as production).
    pub(crate) fn is_production_or_unknown(&self) -> bool {
        matches!(self.env, None | Some(Environment::Production))
    }

    /// Development, test, local or prototype: where production-sized capacity is waste.
    pub(crate) fn is_non_production(&self) -> bool {
        !self.is_production_like()
    }

    /// True if the environment policy judges `criterion` here at all (cost waste is
    /// never judged in production, nor where the environment is unknown).
    pub(crate) fn judges(&self, criterion: Criterion) -> bool {
        criteria::severity(criterion, self.env).is_some()
    }

    /// A sentence for recommendations: which environment the severity assumes.
    pub(crate) fn describe(&self) -> String {
        match self.env {
            Some(env) => format!(
                "Severity assumes the {} environment ({}).",
                env.as_str(),
                self.basis
            ),
            None => "Severity assumes production (environment unknown; set the task's environment to change it)."
                .to_string(),
        }
    }
}

/// The environment of a whole file (a Dockerfile, a Compose file): the task's, else
/// the one its path names. `None` if neither says.
pub(crate) fn of_file(task_env: Option<Environment>, path: &str) -> Option<EnvGuess> {
    match task_env {
        Some(e) => Some(EnvGuess::known(e, "task".into())),
        None => from_path(path).map(|e| EnvGuess::known(e, "path".into())),
    }
}

/// Read an environment from a tag or label value (`prod`, `Production-EU`, `qa`).
pub(crate) fn from_tag_value(value: &str) -> Option<Environment> {
    Environment::parse(value).or_else(|| from_tokens(value, true))
}

/// Read an environment from a resource name or path component (`prod-db`,
/// `overlays/dev`). Only unambiguous environment words count; `test` does not, since
/// it is a common placeholder name.
pub(crate) fn from_name(name: &str) -> Option<Environment> {
    from_tokens(name, false)
}

fn from_tokens(text: &str, allow_test: bool) -> Option<Environment> {
    agreed(
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .filter_map(|token| match token.to_ascii_lowercase().as_str() {
                "prod" | "production" | "prd" => Some(Environment::Production),
                "staging" | "stage" | "stg" | "preprod" => Some(Environment::Staging),
                "dev" | "development" | "develop" => Some(Environment::Development),
                "sandbox" | "prototype" | "poc" | "experiment" => Some(Environment::Prototype),
                "test" | "testing" | "qa" if allow_test => Some(Environment::Test),
                _ => None,
            }),
    )
}

/// Guess from a path: each directory and the file name (`Dockerfile.dev`,
/// `compose.prod.yaml`) are names.
pub(crate) fn from_path(path: &str) -> Option<Environment> {
    agreed(path.split(['/', '\\']).filter_map(from_name))
}

/// The environment every word found names; `None` if none does or two differ (then the
/// text says nothing reliable).
fn agreed(mut found: impl Iterator<Item = Environment>) -> Option<Environment> {
    let first = found.next()?;
    found.all(|e| e == first).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(from_name("production-db"), Some(Environment::Production));
        assert_eq!(from_name("dev-nodes"), Some(Environment::Development));
        assert_eq!(from_name("device-registry"), None);
        assert_eq!(from_name("test"), None);
        assert_eq!(from_name("dev-to-prod-sync"), None);
        assert_eq!(from_tag_value("qa"), Some(Environment::Test));
        assert_eq!(
            from_tag_value("Production-EU"),
            Some(Environment::Production)
        );
        assert_eq!(
            from_path("infra/envs/prod/main.tf"),
            Some(Environment::Production)
        );
        assert_eq!(
            from_path("k8s/overlays/dev/deploy.yaml"),
            Some(Environment::Development)
        );
        assert_eq!(from_path("k8s/base/deploy.yaml"), None);
        assert_eq!(
            from_path("api/Dockerfile.dev"),
            Some(Environment::Development)
        );
    }

    #[test]
    fn severities() {
        use Environment::*;
        let spof = Some(Criterion::Spof);
        let waste = Some(Criterion::CostWaste);
        let b = Some(Severity::Blocking);
        let w = Some(Severity::Warning);
        let i = Some(Severity::Info);
        assert_eq!(Policy::Critical.severity(spof, None), b);
        assert_eq!(Policy::Critical.severity(spof, Some(Production)), b);
        assert_eq!(Policy::Critical.severity(spof, Some(Staging)), w);
        assert_eq!(Policy::Critical.severity(spof, Some(Development)), i);
        // Cost waste blocks where the waste is and is never judged against production.
        assert_eq!(Policy::Critical.severity(waste, Some(Development)), b);
        assert_eq!(Policy::Critical.severity(waste, Some(Staging)), b);
        assert_eq!(Policy::Critical.severity(waste, Some(Production)), None);
        assert_eq!(Policy::Critical.severity(waste, None), None);
        assert_eq!(Policy::Exposure.severity(None, Some(Staging)), b);
        assert_eq!(Policy::Exposure.severity(None, Some(Prototype)), w);
        assert_eq!(Policy::Important.severity(spof, None), w);
        assert_eq!(Policy::Important.severity(None, Some(Test)), i);
        assert_eq!(Policy::Cost.severity(waste, Some(Production)), w);
        assert_eq!(Policy::Advice.severity(None, None), i);
    }
}

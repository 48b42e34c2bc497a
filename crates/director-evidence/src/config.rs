//! Analyzer settings: the `[evidence]` table of `.director/config.toml`. Every key has
//! a default, unknown keys are rejected.

use director_core::Environment;
use serde::{Deserialize, Serialize};

/// Analyzer settings (embedded by the orchestrator as the `[evidence]` table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyzerConfig {
    /// Environment the change targets, from the task. `None` infers it per resource from
    /// tags, names and paths; a resource whose environment stays unknown is judged as
    /// production, because the review is about production readiness.
    pub environment: Option<Environment>,
    /// Minimum automated backup retention for databases, in days.
    pub min_backup_retention_days: u32,
    /// Tag keys every taggable cloud resource must carry (case-sensitive).
    pub required_tags: Vec<String>,
    /// Rule ids to skip.
    pub disabled_rules: Vec<String>,
    /// Largest instance size acceptable outside production (`nano` < `micro` < `small`
    /// < `medium` < `large` < `xlarge` < `2xlarge` < ... < `metal`). Bigger instances in
    /// development, test or prototype environments are reported as cost waste.
    pub dev_max_instance_size: String,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            environment: None,
            min_backup_retention_days: 7,
            required_tags: vec!["Environment".into(), "Owner".into(), "CostCenter".into()],
            disabled_rules: Vec::new(),
            dev_max_instance_size: "large".into(),
        }
    }
}

impl AnalyzerConfig {
    /// True if `rule_id` is switched off.
    pub fn is_disabled(&self, rule_id: &str) -> bool {
        self.disabled_rules.iter().any(|r| r == rule_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_keys() {
        let c: AnalyzerConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, AnalyzerConfig::default());
        assert_eq!(c.min_backup_retention_days, 7);
        let c: AnalyzerConfig =
            serde_json::from_str(r#"{"environment":"dev","disabled_rules":["infra.k8s.no-hpa"]}"#)
                .unwrap();
        assert_eq!(c.environment, Some(Environment::Development));
        assert!(c.is_disabled("infra.k8s.no-hpa"));
        assert!(serde_json::from_str::<AnalyzerConfig>(r#"{"nope":1}"#).is_err());
    }
}

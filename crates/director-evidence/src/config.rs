//! Analyzer settings: the `[evidence]` table of `.director/config.toml`. Every key has
//! a default, unknown keys are rejected.

use director_core::Environment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Recovery point objective, in minutes: the most data (as time) a production data
    /// store may lose. Unset: not checked. Compared with point-in-time recovery, backup
    /// schedules and replicas (the seed's example: daily backups vs 15 minutes).
    pub rpo_minutes: Option<u32>,
    /// Recovery time objective, in minutes: how long a production data store may be
    /// down. Unset: not checked. A store without a standby recovers only by a restore.
    pub rto_minutes: Option<u32>,
    /// Naming conventions: a regular expression per Terraform resource type (or `*` for
    /// every type) that the resource's literal name must match, e.g.
    /// `aws_s3_bucket = "^acme-(prod|staging|dev)-[a-z0-9-]+$"`.
    pub naming: BTreeMap<String, String>,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            environment: None,
            min_backup_retention_days: 7,
            required_tags: vec!["Environment".into(), "Owner".into(), "CostCenter".into()],
            disabled_rules: Vec::new(),
            dev_max_instance_size: "large".into(),
            rpo_minutes: None,
            rto_minutes: None,
            naming: BTreeMap::new(),
        }
    }
}

impl AnalyzerConfig {
    /// True if `rule_id` is switched off.
    pub fn is_disabled(&self, rule_id: &str) -> bool {
        self.disabled_rules.iter().any(|r| r == rule_id)
    }

    /// Check the values serde cannot: every naming pattern must be a valid regular
    /// expression. The error names the key and what the regex parser said.
    pub fn validate(&self) -> Result<(), String> {
        for (rtype, pattern) in &self.naming {
            if let Err(e) = regex::Regex::new(pattern) {
                let reason = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                return Err(format!(
                    "key `evidence.naming.{rtype}`: `{pattern}` is not a valid regular expression ({reason})"
                ));
            }
        }
        Ok(())
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
        let c: AnalyzerConfig = serde_json::from_str(
            r#"{"rpo_minutes":15,"naming":{"aws_s3_bucket":"^acme-[a-z-]+$"}}"#,
        )
        .unwrap();
        assert_eq!(c.rpo_minutes, Some(15));
        assert!(c.validate().is_ok());
        let bad: AnalyzerConfig =
            serde_json::from_str(r#"{"naming":{"aws_s3_bucket":"acme-("}}"#).unwrap();
        let err = bad.validate().unwrap_err();
        assert!(err.contains("evidence.naming.aws_s3_bucket"), "{err}");
    }
}

//! Analyzer settings: the `[evidence]` table of `.director/config.toml`. Every key has
//! a default, unknown keys are rejected.

use director_core::{Environment, Severity};
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
    /// SARIF logs of other scanners to ingest as evidence (paths relative to the
    /// repository root; read by the caller, which passes them in).
    pub sarif: Vec<String>,
    /// Severity of ingested SARIF results by `"<tool>"` or `"<tool>/<rule id>"` (tool
    /// names lowercase, e.g. `"checkov"`, `"semgrep/python.lang.security.audit.eval"`);
    /// the more specific key wins over the built-in level mapping.
    pub sarif_severity: BTreeMap<String, Severity>,
    /// `[evidence.kubernetes]`: rendered manifests.
    pub kubernetes: KubernetesConfig,
    /// Terraform evaluation: `[evidence.terraform]`.
    pub terraform: TerraformConfig,
}

/// `[evidence.kubernetes]`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KubernetesConfig {
    /// Rendered manifests (`helm template` / `kustomize build` output) to analyze, paths
    /// relative to the repository root.
    pub rendered: Vec<String>,
}

/// How Terraform values are resolved (`[evidence.terraform]`; trusted configuration
/// only: the change under review cannot choose its own variable values or plan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TerraformConfig {
    /// Evaluate variables, locals, expressions and local modules. `false` reads literal
    /// values only, as the analyzers did before evaluation existed.
    pub evaluate: bool,
    /// Variable files applied to every root module after its `terraform.tfvars` and
    /// `*.auto.tfvars` (repository-relative paths, in order; later files win).
    pub var_files: Vec<String>,
    /// Variable values applied last, like `-var name=value`.
    pub vars: BTreeMap<String, serde_json::Value>,
    /// A `terraform show -json <planfile>` output to analyze instead of the static
    /// evaluation of the root module it belongs to (repository-relative or absolute).
    pub plan: Option<String>,
}

impl Default for TerraformConfig {
    fn default() -> Self {
        TerraformConfig {
            evaluate: true,
            var_files: Vec::new(),
            vars: BTreeMap::new(),
            plan: None,
        }
    }
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
            sarif: Vec::new(),
            sarif_severity: BTreeMap::new(),
            kubernetes: KubernetesConfig::default(),
            terraform: TerraformConfig::default(),
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
            r#"{"sarif":["r.sarif"],"sarif_severity":{"checkov/CKV_AWS_20":"blocking"},"kubernetes":{"rendered":["out.yaml"]}}"#,
        )
        .unwrap();
        assert_eq!(c.sarif_severity["checkov/CKV_AWS_20"], Severity::Blocking);
        assert_eq!(c.kubernetes.rendered, vec!["out.yaml".to_string()]);
        assert!(serde_json::from_str::<AnalyzerConfig>(r#"{"kubernetes":{"x":1}}"#).is_err());
        assert!(
            serde_json::from_str::<AnalyzerConfig>(r#"{"sarif_severity":{"a":"fatal"}}"#).is_err()
        );
        let c: AnalyzerConfig = serde_json::from_str(
            r#"{"terraform":{"var_files":["prod.tfvars"],"vars":{"multi_az":true},"plan":"plan.json"}}"#,
        )
        .unwrap();
        assert!(c.terraform.evaluate);
        assert_eq!(c.terraform.vars["multi_az"], serde_json::Value::Bool(true));
        assert!(
            serde_json::from_str::<AnalyzerConfig>(r#"{"terraform":{"var_file":[]}}"#).is_err()
        );
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

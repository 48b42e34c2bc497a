//! The task a verification checks: what was asked for, and where the change is.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A finished piece of work to verify, as stored in `.director/tasks/<id>.toml` or
/// passed as JSON by a pipeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// Identifier, unique within the repository (`[A-Za-z0-9._-]+`).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What was asked for, in prose.
    #[serde(default)]
    pub description: String,
    /// Criteria the work must meet to count as complete.
    #[serde(default, alias = "acceptance_criteria")]
    pub criteria: Vec<String>,
    /// Git ref the change starts from (default: merge-base with the default branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Git ref the change ends at (default: the working tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// Only changes under these repository-relative paths (or globs) are reviewed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
    /// Review these files or folders whole instead of a git change. Works outside git.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The environment the change is deployed to; it changes severities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
}

impl Task {
    /// Check the fields a deserializer cannot: the id's characters and a title.
    pub fn validate(&self) -> Result<(), crate::CoreError> {
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            || self.id.starts_with('.')
        {
            return Err(crate::CoreError::InvalidTask {
                reason: format!(
                    "key `id`: `{}` must be letters, digits, `.`, `_` or `-` and not start with `.`",
                    self.id
                ),
            });
        }
        if self.title.trim().is_empty() {
            return Err(crate::CoreError::InvalidTask {
                reason: "key `title`: must not be empty".into(),
            });
        }
        Ok(())
    }
}

/// Where the changed infrastructure runs. Severities depend on it: a single replica
/// is a blocker in production and a non-issue in a prototype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Serves real users.
    #[serde(alias = "prod")]
    Production,
    /// Pre-production, production-like.
    #[serde(alias = "stage", alias = "preprod")]
    Staging,
    /// Shared development environment.
    #[serde(alias = "dev")]
    Development,
    /// Test or QA environment.
    #[serde(alias = "testing", alias = "qa")]
    Test,
    /// A developer's own machine.
    Local,
    /// A non-production experiment or prototype.
    #[serde(alias = "experiment", alias = "sandbox")]
    Prototype,
}

impl Environment {
    /// Every environment, from most to least production-like.
    pub const ALL: [Environment; 6] = [
        Environment::Production,
        Environment::Staging,
        Environment::Development,
        Environment::Test,
        Environment::Local,
        Environment::Prototype,
    ];

    /// True for environments whose outages reach users.
    pub fn is_production_like(self) -> bool {
        matches!(self, Environment::Production | Environment::Staging)
    }

    /// Parse the names and aliases accepted in task files, case-insensitively.
    pub fn parse(s: &str) -> Option<Environment> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "production" | "prod" | "prd" | "live" => Environment::Production,
            "staging" | "stage" | "stg" | "preprod" => Environment::Staging,
            "development" | "dev" | "develop" => Environment::Development,
            "test" | "testing" | "qa" => Environment::Test,
            "local" => Environment::Local,
            "prototype" | "experiment" | "sandbox" | "poc" => Environment::Prototype,
            _ => return None,
        })
    }

    /// The canonical lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Staging => "staging",
            Environment::Development => "development",
            Environment::Test => "test",
            Environment::Local => "local",
            Environment::Prototype => "prototype",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        let mut t = Task {
            id: "infra-42".into(),
            title: "Add RDS".into(),
            ..Task::default()
        };
        assert!(t.validate().is_ok());
        t.id = "../etc".into();
        assert!(t.validate().unwrap_err().to_string().contains("key `id`"));
        t.id = "ok".into();
        t.title = " ".into();
        assert!(
            t.validate()
                .unwrap_err()
                .to_string()
                .contains("key `title`")
        );
    }

    #[test]
    fn environment_aliases() {
        assert_eq!(Environment::parse("PROD"), Some(Environment::Production));
        assert_eq!(Environment::parse("dev"), Some(Environment::Development));
        assert_eq!(Environment::parse("nope"), None);
        let e: Environment = serde_json::from_str("\"dev\"").unwrap();
        assert_eq!(e, Environment::Development);
        assert!(Environment::Staging.is_production_like());
    }
}

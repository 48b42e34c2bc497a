//! File classes and change kinds: the vocabulary routing, packing and the analyzers
//! share. Classifying a file from its path and content is [`crate::classify`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of file a changed path is. A file can carry several classes, e.g. a
/// Go test is both `source` and `test`; a `docker-compose.dev.yml` is `compose` and
/// `dev-config`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FileClass {
    /// Terraform / OpenTofu configuration (`*.tf`, `*.tf.json`).
    Terraform,
    /// Terraform variable values (`*.tfvars`).
    Tfvars,
    /// Kubernetes manifests (YAML/JSON with `apiVersion` and `kind`).
    Kubernetes,
    /// Helm charts and templates.
    Helm,
    /// Kustomize overlays (`kustomization.yaml`).
    Kustomize,
    /// Dockerfiles and Containerfiles.
    Dockerfile,
    /// Docker Compose files.
    Compose,
    /// CI pipelines (GitHub Actions, GitLab CI, and similar).
    CiPipeline,
    /// AWS CloudFormation / SAM templates.
    Cloudformation,
    /// Serverless Framework configuration.
    Serverless,
    /// Application source code (see the file's language).
    Source,
    /// Tests.
    Test,
    /// Documentation.
    Docs,
    /// Frontend assets and code (HTML, CSS, components).
    Frontend,
    /// Dependency lockfiles.
    Lockfile,
    /// Dependency manifests (`Cargo.toml`, `package.json`, `go.mod`, ...).
    Manifest,
    /// Generated or vendored files.
    Generated,
    /// Configuration files not covered by a more specific class.
    Config,
    /// Local development environment configuration (devcontainers, compose overrides).
    DevConfig,
    /// Database migrations and schema files.
    Migration,
    /// Environment files (`.env*`): never inlined, only redacted mentions.
    Dotenv,
    /// Anything else.
    Other,
}

impl FileClass {
    /// Every class, in declaration order.
    pub const ALL: [FileClass; 22] = [
        FileClass::Terraform,
        FileClass::Tfvars,
        FileClass::Kubernetes,
        FileClass::Helm,
        FileClass::Kustomize,
        FileClass::Dockerfile,
        FileClass::Compose,
        FileClass::CiPipeline,
        FileClass::Cloudformation,
        FileClass::Serverless,
        FileClass::Source,
        FileClass::Test,
        FileClass::Docs,
        FileClass::Frontend,
        FileClass::Lockfile,
        FileClass::Manifest,
        FileClass::Generated,
        FileClass::Config,
        FileClass::DevConfig,
        FileClass::Migration,
        FileClass::Dotenv,
        FileClass::Other,
    ];

    /// The kebab-case name used in configuration and output.
    pub fn as_str(self) -> &'static str {
        match self {
            FileClass::Terraform => "terraform",
            FileClass::Tfvars => "tfvars",
            FileClass::Kubernetes => "kubernetes",
            FileClass::Helm => "helm",
            FileClass::Kustomize => "kustomize",
            FileClass::Dockerfile => "dockerfile",
            FileClass::Compose => "compose",
            FileClass::CiPipeline => "ci-pipeline",
            FileClass::Cloudformation => "cloudformation",
            FileClass::Serverless => "serverless",
            FileClass::Source => "source",
            FileClass::Test => "test",
            FileClass::Docs => "docs",
            FileClass::Frontend => "frontend",
            FileClass::Lockfile => "lockfile",
            FileClass::Manifest => "manifest",
            FileClass::Generated => "generated",
            FileClass::Config => "config",
            FileClass::DevConfig => "dev-config",
            FileClass::Migration => "migration",
            FileClass::Dotenv => "dotenv",
            FileClass::Other => "other",
        }
    }

    /// True for infrastructure-as-code and deployment configuration.
    pub fn is_infrastructure(self) -> bool {
        matches!(
            self,
            FileClass::Terraform
                | FileClass::Tfvars
                | FileClass::Kubernetes
                | FileClass::Helm
                | FileClass::Kustomize
                | FileClass::Dockerfile
                | FileClass::Compose
                | FileClass::CiPipeline
                | FileClass::Cloudformation
                | FileClass::Serverless
        )
    }
}

impl fmt::Display for FileClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a class name that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFileClass(pub String);

impl fmt::Display for UnknownFileClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown file class `{}`", self.0)
    }
}

impl std::error::Error for UnknownFileClass {}

impl FromStr for FileClass {
    type Err = UnknownFileClass;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FileClass::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownFileClass(s.to_string()))
    }
}

/// How a file changed between base and head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeStatus {
    /// New file.
    Added,
    /// Content changed.
    Modified,
    /// Removed.
    Deleted,
    /// Moved (possibly with changes).
    Renamed,
    /// Copied from another file.
    Copied,
    /// Only the file mode changed.
    ModeChanged,
    /// Not a change: the file is reviewed whole (`paths` tasks).
    Reviewed,
}

impl ChangeStatus {
    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Added => "added",
            ChangeStatus::Modified => "modified",
            ChangeStatus::Deleted => "deleted",
            ChangeStatus::Renamed => "renamed",
            ChangeStatus::Copied => "copied",
            ChangeStatus::ModeChanged => "mode-changed",
            ChangeStatus::Reviewed => "reviewed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in FileClass::ALL {
            assert_eq!(c.as_str().parse::<FileClass>(), Ok(c));
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert!("nope".parse::<FileClass>().is_err());
    }
}

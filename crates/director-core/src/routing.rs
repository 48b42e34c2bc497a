//! Applicability routing: before any LLM call, each Director's rules (data in its
//! definition) decide from the changed files' classes, paths (globs match
//! case-insensitively: `**/payment*.*` routes `PaymentProcessor.py`) and signals (what
//! the code does: opens a database connection, calls a cloud SDK) and the task's
//! environment whether it runs or skips, and why.

use crate::error::CoreError;
use crate::files::FileClass;
use crate::signals::{Signal, SignalKind};
use crate::task::Environment;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// When a Director applies, as written in its definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Applicability {
    /// Run whenever anything changed (e.g. a Director that checks every change).
    pub always: bool,
    /// Run when a counted file has one of these classes.
    pub classes: Vec<FileClass>,
    /// Run when a counted file matches one of these globs (e.g. `**/payments/**`),
    /// compared case-insensitively.
    pub paths: Vec<String>,
    /// Run when a counted file shows one of these signals (what its code does).
    pub signals: Vec<SignalKind>,
    /// Files with any of these classes do not count (docs, frontend, local dev config).
    pub ignore_classes: Vec<FileClass>,
    /// Files matching these globs do not count.
    pub ignore_paths: Vec<String>,
    /// Skip entirely for tasks in these environments (e.g. prototypes).
    pub skip_environments: Vec<Environment>,
    /// Only run when the task has acceptance criteria.
    pub requires_criteria: bool,
}

/// One changed file as routing sees it.
#[derive(Debug, Clone, Copy)]
pub struct RoutedFile<'a> {
    /// Repository-relative path.
    pub path: &'a str,
    /// The file's classes.
    pub classes: &'a [FileClass],
    /// What the file's code does.
    pub signals: &'a [Signal],
}

/// What routing decided for one Director.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "decision", rename_all = "lowercase")]
pub enum RouteDecision {
    /// The Director reviews the change.
    Run {
        /// Why it applies.
        reason: String,
    },
    /// The Director is skipped.
    Skip {
        /// Why it does not apply.
        reason: String,
    },
}

impl RouteDecision {
    /// True when the Director runs.
    pub fn runs(&self) -> bool {
        matches!(self, RouteDecision::Run { .. })
    }

    /// The reason, either way.
    pub fn reason(&self) -> &str {
        match self {
            RouteDecision::Run { reason } | RouteDecision::Skip { reason } => reason,
        }
    }
}

/// Applicability with its globs compiled.
#[derive(Debug, Clone)]
pub struct CompiledApplicability {
    rules: Applicability,
    paths: GlobSet,
    ignore_paths: GlobSet,
}

fn globset(globs: &[String]) -> Result<GlobSet, CoreError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let compiled = GlobBuilder::new(glob)
            .case_insensitive(true)
            .build()
            .map_err(|source| CoreError::InvalidGlob {
                glob: glob.clone(),
                source,
            })?;
        builder.add(compiled);
    }
    builder.build().map_err(|source| CoreError::InvalidGlob {
        glob: globs.join(", "),
        source,
    })
}

impl Applicability {
    /// Compile the globs; an invalid glob is an error naming it.
    pub fn compile(&self) -> Result<CompiledApplicability, CoreError> {
        Ok(CompiledApplicability {
            paths: globset(&self.paths)?,
            ignore_paths: globset(&self.ignore_paths)?,
            rules: self.clone(),
        })
    }
}

impl CompiledApplicability {
    /// Decide for one Director named `display`.
    pub fn route(
        &self,
        display: &str,
        files: &[RoutedFile<'_>],
        environment: Option<Environment>,
        has_criteria: bool,
    ) -> RouteDecision {
        let rules = &self.rules;
        if let Some(env) = environment.filter(|e| rules.skip_environments.contains(e)) {
            return RouteDecision::Skip {
                reason: format!(
                    "the task's environment is `{env}`, which {display} does not review"
                ),
            };
        }
        if rules.requires_criteria && !has_criteria {
            return RouteDecision::Skip {
                reason: "the task has no acceptance criteria to check".into(),
            };
        }
        if files.is_empty() {
            return RouteDecision::Skip {
                reason: "nothing changed".into(),
            };
        }
        let counted: Vec<&RoutedFile<'_>> = files
            .iter()
            .filter(|f| {
                !f.classes.iter().any(|c| rules.ignore_classes.contains(c))
                    && !self.ignore_paths.is_match(f.path)
            })
            .collect();
        if counted.is_empty() {
            let mut kinds: Vec<&str> = files
                .iter()
                .flat_map(|f| f.classes.iter())
                .filter(|c| rules.ignore_classes.contains(c))
                .map(|c| c.as_str())
                .collect();
            kinds.sort_unstable();
            kinds.dedup();
            let kinds = if kinds.is_empty() {
                "ignored paths".to_string()
            } else {
                kinds.join("/")
            };
            return RouteDecision::Skip {
                reason: format!("only {kinds} files changed, which {display} does not review"),
            };
        }
        if rules.always {
            return RouteDecision::Run {
                reason: format!("{} changed file(s) to review", counted.len()),
            };
        }
        for f in &counted {
            if let Some(c) = f.classes.iter().find(|c| rules.classes.contains(c)) {
                return RouteDecision::Run {
                    reason: format!("{} file changed: {}", c.as_str(), f.path),
                };
            }
            if let Some(s) = f.signals.iter().find(|s| rules.signals.contains(&s.kind)) {
                return RouteDecision::Run {
                    reason: format!("routed: {} {}", f.path, s.detail),
                };
            }
            if self.paths.is_match(f.path) {
                return RouteDecision::Run {
                    reason: format!("changed path matches {display}'s paths: {}", f.path),
                };
            }
        }
        let wanted: Vec<&str> = rules.classes.iter().map(|c| c.as_str()).collect();
        RouteDecision::Skip {
            reason: if wanted.is_empty() {
                format!("no changed file matches {display}'s paths")
            } else {
                format!(
                    "no {} file, matching path or {} code changed",
                    wanted.join("/"),
                    if rules.signals.is_empty() {
                        "other".to_string()
                    } else {
                        rules
                            .signals
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join("/")
                    }
                )
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infra() -> CompiledApplicability {
        Applicability {
            classes: vec![FileClass::Terraform, FileClass::Kubernetes],
            paths: vec!["**/payments/**".into()],
            ignore_classes: vec![FileClass::Docs, FileClass::Frontend, FileClass::DevConfig],
            skip_environments: vec![Environment::Prototype],
            ..Applicability::default()
        }
        .compile()
        .unwrap()
    }

    #[test]
    fn runs_on_terraform_and_critical_paths() {
        let tf = [RoutedFile {
            path: "infra/db.tf",
            classes: &[FileClass::Terraform],
            signals: &[],
        }];
        assert!(infra().route("Infrastructure", &tf, None, false).runs());
        let pay = [RoutedFile {
            path: "src/payments/charge.rs",
            classes: &[FileClass::Source],
            signals: &[],
        }];
        let d = infra().route("Infrastructure", &pay, None, false);
        assert!(d.runs(), "{d:?}");
        assert!(d.reason().contains("payments"));
    }

    #[test]
    fn skips_docs_only_with_reason() {
        let docs = [RoutedFile {
            path: "README.md",
            classes: &[FileClass::Docs],
            signals: &[],
        }];
        let d = infra().route("Infrastructure", &docs, None, false);
        assert_eq!(
            d,
            RouteDecision::Skip {
                reason: "only docs files changed, which Infrastructure does not review".into()
            }
        );
    }

    #[test]
    fn skips_plain_code_and_prototypes_and_dev_config() {
        let code = [RoutedFile {
            path: "src/lib.rs",
            classes: &[FileClass::Source],
            signals: &[],
        }];
        assert!(!infra().route("Infrastructure", &code, None, false).runs());
        let tf = [RoutedFile {
            path: "a.tf",
            classes: &[FileClass::Terraform],
            signals: &[],
        }];
        let d = infra().route("Infrastructure", &tf, Some(Environment::Prototype), false);
        assert!(d.reason().contains("prototype"));
        let dev = [RoutedFile {
            path: "docker-compose.dev.yml",
            classes: &[FileClass::Compose, FileClass::DevConfig],
            signals: &[],
        }];
        assert!(!infra().route("Infrastructure", &dev, None, false).runs());
    }

    #[test]
    fn globs_ignore_case_and_signals_route_with_their_reason() {
        let pay = [RoutedFile {
            path: "src/PaymentProcessor.py",
            classes: &[FileClass::Source],
            signals: &[],
        }];
        let rules = Applicability {
            paths: vec!["**/payment*.*".into()],
            ..Applicability::default()
        }
        .compile()
        .unwrap();
        assert!(rules.route("Infrastructure", &pay, None, false).runs());

        let db = [Signal::new(
            SignalKind::DataStore,
            "opens a Postgres connection",
        )];
        let code = [RoutedFile {
            path: "src/db.ts",
            classes: &[FileClass::Source],
            signals: &db,
        }];
        let with = Applicability {
            signals: vec![SignalKind::DataStore],
            ..Applicability::default()
        }
        .compile()
        .unwrap();
        let d = with.route("Infrastructure", &code, None, false);
        assert_eq!(
            d,
            RouteDecision::Run {
                reason: "routed: src/db.ts opens a Postgres connection".into()
            }
        );
        // A Director that names no signals ignores them.
        assert!(!infra().route("Infrastructure", &code, None, false).runs());
    }

    #[test]
    fn criteria_requirement_and_bad_glob() {
        let rules = Applicability {
            always: true,
            requires_criteria: true,
            ..Applicability::default()
        }
        .compile()
        .unwrap();
        let code = [RoutedFile {
            path: "src/lib.rs",
            classes: &[FileClass::Source],
            signals: &[],
        }];
        assert!(!rules.route("Requirements", &code, None, false).runs());
        assert!(rules.route("Requirements", &code, None, true).runs());
        let bad = Applicability {
            paths: vec!["a[".into()],
            ..Applicability::default()
        };
        assert!(bad.compile().unwrap_err().to_string().contains("a["));
    }
}

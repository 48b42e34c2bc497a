//! Severities of findings, the verdict a Director gives, and the gate's decision.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How serious a finding is. Ordered: `Info < Warning < Blocking`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never affects the gate.
    Info,
    /// Should be fixed; reported but does not block by default.
    Warning,
    /// Must be fixed before the work counts as complete.
    Blocking,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Blocking => "blocking",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The overall verdict one Director gives on the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    /// Nothing in this Director's field stands in the way.
    Pass,
    /// Problems worth fixing, none blocking.
    Warn,
    /// At least one problem must be fixed before completion.
    Block,
}

impl VerdictKind {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Pass => "pass",
            VerdictKind::Warn => "warn",
            VerdictKind::Block => "block",
        }
    }
}

impl fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one completion decision of a verification run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The work may be marked complete.
    Pass,
    /// At least one blocking finding survived; the work is not complete.
    Block,
    /// A Director that should have reviewed the change could not finish, so the
    /// verification itself is not complete. Never treated as a pass by default.
    Incomplete,
}

impl Decision {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pass => "pass",
            Decision::Block => "block",
            Decision::Incomplete => "incomplete",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

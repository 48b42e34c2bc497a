//! Domain types and pure functions of `director`: the verdict a Director answers with
//! and its JSON schema, tasks, file classes, findings, fingerprints, cross-Director
//! merge, applicability routing, the failure criteria and their environment policy,
//! the gate, the run record and the description of a tool a Director may call.
//!
//! Architecture Invariant: this crate does no I/O. No filesystem, network, process,
//! clock or terminal access happens here; callers pass data in and get data out. That
//! keeps every decision the gate makes reproducible from the run record alone.

#![warn(missing_docs)]

pub mod classify;
pub mod criteria;
pub mod error;
pub mod files;
pub mod finding;
pub mod fingerprint;
pub mod gate;
pub mod layout;
pub mod merge;
pub mod nesting;
pub mod par;
pub mod record;
pub mod routing;
pub mod severity;
pub mod signals;
pub mod task;
pub mod tool;
pub mod verdict;
pub mod verify;

pub use criteria::Criterion;
pub use error::CoreError;
pub use files::{ChangeStatus, FileClass};
pub use finding::{Finding, FindingSource, FindingStatus, Location};
pub use gate::{Corroboration, GateOutcome, GatePolicy, OnIncomplete};
pub use record::{
    DirectorRun, DirectorStatus, McpCall, McpCallOutcome, McpServerRun, McpServerStatus, RunRecord,
    Usage,
};
pub use routing::{Applicability, RouteDecision};
pub use severity::{Decision, Severity, VerdictKind};
pub use signals::{Signal, SignalKind};
pub use task::{Environment, Task};
pub use tool::ToolSpec;
pub use verdict::{ReportedFinding, Verdict};

//! Domain types and pure functions of `director`: the verdict a Director answers with
//! and its JSON schema, tasks, file classes, findings, fingerprints, cross-Director
//! merge, applicability routing, the gate and the run record.
//!
//! Architecture Invariant: this crate does no I/O. No filesystem, network, process,
//! clock or terminal access happens here; callers pass data in and get data out. That
//! keeps every decision the gate makes reproducible from the run record alone.

#![warn(missing_docs)]

pub mod error;
pub mod files;
pub mod finding;
pub mod fingerprint;
pub mod gate;
pub mod layout;
pub mod merge;
pub mod nesting;
pub mod record;
pub mod routing;
pub mod severity;
pub mod task;
pub mod verdict;
pub mod verify;

pub use error::CoreError;
pub use files::{ChangeStatus, FileClass};
pub use finding::{Finding, FindingSource, FindingStatus};
pub use gate::{Corroboration, GateOutcome, GatePolicy, OnIncomplete};
pub use record::{DirectorRun, DirectorStatus, RunRecord, Usage};
pub use routing::{Applicability, RouteDecision};
pub use severity::{Decision, Severity, VerdictKind};
pub use task::{Environment, Task};
pub use verdict::{ReportedFinding, Verdict};

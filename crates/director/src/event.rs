//! The event stream of a verification. The orchestrator emits these as it goes;
//! reporters (terminal progress, the JSON lines log, embedding callers) consume
//! them. The final record arrives in `Finished`, and every output format is made
//! from that record alone.

use director_core::record::{DirectorRun, RunRecord};
use director_core::{Finding, Usage};
use serde::Serialize;

/// One thing that happened during a verification.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "a handful of events per Director; boxing the run would change the reporters' API"
)]
pub enum VerificationEvent {
    /// The run began.
    Started {
        /// Task id.
        task: String,
        /// Run id.
        run_id: String,
        /// Directors that will review the change.
        directors: Vec<String>,
        /// Why no LLM Director runs, when offline.
        offline_reason: Option<String>,
    },
    /// The change was gathered.
    ChangeGathered {
        /// Task id.
        task: String,
        /// Changed files.
        files: usize,
    },
    /// Deterministic analyzers finished.
    EvidenceReady {
        /// Task id.
        task: String,
        /// Findings they produced.
        findings: usize,
    },
    /// A Director will not review the change.
    DirectorSkipped {
        /// Task id.
        task: String,
        /// Director name.
        director: String,
        /// Why.
        reason: String,
    },
    /// A Director began its review.
    DirectorStarted {
        /// Task id.
        task: String,
        /// Director name.
        director: String,
        /// Model used.
        model: String,
    },
    /// A Director finished (ran or failed).
    DirectorFinished {
        /// Task id.
        task: String,
        /// Its outcome.
        run: DirectorRun,
    },
    /// A finding that survived merging (emitted before `Finished`).
    Finding {
        /// Task id.
        task: String,
        /// The finding.
        finding: Box<Finding>,
    },
    /// Token usage of the whole run.
    Usage {
        /// Task id.
        task: String,
        /// Usage.
        usage: Usage,
    },
    /// The run ended with a decision.
    Finished {
        /// The run record.
        record: Box<RunRecord>,
    },
}

/// Where events go. Cloneable; sending never blocks and never fails the run.
#[derive(Debug, Clone, Default)]
pub struct EventSink {
    sender: Option<tokio::sync::mpsc::UnboundedSender<VerificationEvent>>,
}

impl EventSink {
    /// A sink that drops everything.
    pub fn none() -> EventSink {
        EventSink { sender: None }
    }

    /// A sink feeding a channel; the receiver gets every event in order.
    pub fn channel() -> (
        EventSink,
        tokio::sync::mpsc::UnboundedReceiver<VerificationEvent>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (EventSink { sender: Some(tx) }, rx)
    }

    /// Emit one event. A closed receiver is ignored: reporting must never fail a run.
    pub fn emit(&self, event: VerificationEvent) {
        if let Some(tx) = &self.sender {
            let _ = tx.send(event);
        }
    }
}

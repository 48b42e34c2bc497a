//! Routing signals: what a changed file's code does, beyond what kind of file it is.
//! A TypeScript service that opens a database connection or a Python payment
//! processor is infrastructure-relevant although neither is an IaC file; the
//! classifier (`director-context`) computes these once per file, and a Director's
//! applicability can name the kinds it reviews (`signals = ["data-store", …]`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A kind of signal a Director's applicability can name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SignalKind {
    /// Database, queue or cache clients, connection strings, data access calls.
    DataStore,
    /// Payment, billing, checkout, authentication or other critical-service paths.
    CriticalPath,
    /// Retry, backoff, circuit-breaker and health-check code.
    Resilience,
    /// Calls into a cloud provider's SDK.
    CloudSdk,
}

impl SignalKind {
    /// Every kind.
    pub const ALL: [SignalKind; 4] = [
        SignalKind::DataStore,
        SignalKind::CriticalPath,
        SignalKind::Resilience,
        SignalKind::CloudSdk,
    ];

    /// The kebab-case name used in definitions and output.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::DataStore => "data-store",
            SignalKind::CriticalPath => "critical-path",
            SignalKind::Resilience => "resilience",
            SignalKind::CloudSdk => "cloud-sdk",
        }
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One signal found in a file, with what was seen, phrased to follow the file's path
/// in a routing reason: `src/db.ts` "opens a Postgres connection".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Signal {
    /// The kind.
    pub kind: SignalKind,
    /// What the file does, e.g. `opens a Postgres connection (\`pg\`)`.
    pub detail: String,
}

impl Signal {
    /// A signal of `kind` with `detail`.
    pub fn new(kind: SignalKind, detail: impl Into<String>) -> Signal {
        Signal {
            kind,
            detail: detail.into(),
        }
    }
}

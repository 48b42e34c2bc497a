//! Exit codes: one table, one mapping.
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | pass: the work may be marked complete (warnings may be listed) |
//! | 1    | block: at least one blocking finding |
//! | 2    | usage, configuration or input error (nothing was verified) |
//! | 3    | incomplete: a Director that should have reviewed the change could not finish |
//! | 101  | internal error (a bug) |
//! | 130  | interrupted (Ctrl-C); the record is written and marked cancelled |

use director_core::{Decision, RunRecord};

/// The work may be marked complete.
pub const PASS: i32 = 0;
/// At least one blocking finding.
pub const BLOCK: i32 = 1;
/// Usage, configuration or input error.
pub const USAGE: i32 = 2;
/// Verification incomplete.
pub const INCOMPLETE: i32 = 3;
/// Internal error.
pub const INTERNAL: i32 = 101;
/// Interrupted by Ctrl-C.
pub const INTERRUPTED: i32 = 130;

/// The exit code of one run record.
pub fn code_for(record: &RunRecord) -> i32 {
    if record.cancelled {
        return INTERRUPTED;
    }
    match record.decision {
        Decision::Pass => PASS,
        Decision::Block => BLOCK,
        Decision::Incomplete => INCOMPLETE,
    }
}

/// The exit code of several runs: interrupted, then block, then incomplete, then pass.
pub fn code_for_all<'a>(records: impl IntoIterator<Item = &'a RunRecord>) -> i32 {
    let codes: Vec<i32> = records.into_iter().map(code_for).collect();
    [INTERRUPTED, BLOCK, INCOMPLETE]
        .into_iter()
        .find(|c| codes.contains(c))
        .unwrap_or(PASS)
}

//! Exit codes: one table, one mapping.
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | pass: the work may be marked complete (warnings may be listed) |
//! | 1    | block: at least one blocking finding |
//! | 2    | usage, configuration or input error (nothing was verified) |
//! | 3    | incomplete: a Director that should have reviewed the change could not finish |
//! | 101  | internal error (a bug) |
//! | 129  | hung up (SIGHUP); the record is written and marked cancelled |
//! | 130  | interrupted (Ctrl-C, SIGINT); the record is written and marked cancelled |
//! | 143  | terminated (SIGTERM, how CI cancels a job); the record is written and marked cancelled |
//!
//! With several tasks the code is the most severe: a signal's code, then 101, then 2
//! (a task that could not be verified), then 1, then 3, then 0.

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
/// Interrupted by Ctrl-C (SIGINT).
pub const INTERRUPTED: i32 = 130;
/// Terminated by SIGTERM.
pub const TERMINATED: i32 = 143;
/// Hung up (SIGHUP).
pub const HUNG_UP: i32 = 129;

/// The most severe of several exit codes, in the order of the table above.
pub fn most_severe(codes: impl IntoIterator<Item = i32>) -> i32 {
    let codes: Vec<i32> = codes.into_iter().collect();
    [
        TERMINATED,
        HUNG_UP,
        INTERRUPTED,
        INTERNAL,
        USAGE,
        BLOCK,
        INCOMPLETE,
    ]
    .into_iter()
    .find(|c| codes.contains(c))
    .unwrap_or(PASS)
}

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
    most_severe(records.into_iter().map(code_for))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_severe_code_wins() {
        assert_eq!(most_severe([]), PASS);
        assert_eq!(most_severe([PASS, INCOMPLETE, BLOCK]), BLOCK);
        assert_eq!(most_severe([BLOCK, USAGE]), USAGE);
        assert_eq!(most_severe([USAGE, INTERNAL]), INTERNAL);
        assert_eq!(most_severe([INTERNAL, INTERRUPTED, BLOCK]), INTERRUPTED);
        assert_eq!(most_severe([INTERRUPTED, TERMINATED]), TERMINATED);
    }
}

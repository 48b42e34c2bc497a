//! Integration tests of `director-evidence`: the peer comparison with Checkov, the
//! seed's examples, the checklist rules' bad/good fixtures, rule behaviour on small inputs, and robustness on broken input.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on broken fixtures"
)]

mod checklist;
mod checkov;
mod common;
mod files;
mod rendered;
mod robustness;
mod rule_fixtures;
mod rules;
mod sarif;
mod seed;
mod terraform;

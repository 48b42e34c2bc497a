//! Fuzz targets for director: one function per target, each driving a real entry
//! point with arbitrary bytes and checking the invariants that must hold for every
//! input (no panic, no stack overflow, plus target-specific properties: a verdict
//! that parses round-trips, a redacted text never holds a seeded secret, an analyzer
//! finding quotes exactly the file's lines, a found quote lies inside the file …).
//!
//! The binaries in `fuzz_targets/` are thin: under `cargo fuzz` (which passes
//! `--cfg fuzzing`) each is a libFuzzer target calling one function here; on stable
//! each is a program that replays the seeds and corpus ([`replay`]). The integration
//! test `tests/replay.rs` replays every target on stable, which is what CI runs.

pub mod analyzers;
pub mod config;
pub mod pack;
pub mod quote;
pub mod redact;
pub mod replay;
pub mod task;
pub mod verdict;

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// Every target by name (the names of the binaries in `fuzz_targets/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("verdict", verdict::run),
    ("task", task::run),
    ("config", config::run),
    ("terraform", analyzers::terraform),
    ("kubernetes", analyzers::kubernetes),
    ("dockerfile", analyzers::dockerfile),
    ("compose", analyzers::compose),
    ("redact", redact::run),
    ("quote", quote::run),
    ("pack", pack::run),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Bytes as text the way director reads repository files: lossy UTF-8.
pub(crate) fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Split `data` into at most `n` parts at `0xFF` bytes (which never occur in UTF-8,
/// so the separator takes nothing away from the text a part can hold).
pub(crate) fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |&b| b == 0xFF).collect()
}

/// The first byte (a selector for the target's options) and the rest.
pub(crate) fn selector(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&first, rest)) => (first, rest),
        None => (0, data),
    }
}

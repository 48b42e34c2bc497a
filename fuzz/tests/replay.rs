//! Every fuzz target replays its seeds, corpus and regressions (plus a few
//! deterministic mutations of each) on the stable toolchain: what CI runs in place
//! of a fuzzing session.

use director_fuzz::TARGETS;
use director_fuzz::replay::{inputs, replay};

/// Mutations per input; enough to step off the seeds, few enough for a CI run of
/// seconds.
const MUTATIONS: usize = 48;

#[test]
fn every_target_has_seeds() {
    for (name, _) in TARGETS {
        let seeds = director_fuzz::replay::fuzz_dir().join("seeds").join(name);
        let count = std::fs::read_dir(&seeds).map(|d| d.count()).unwrap_or(0);
        assert!(count > 0, "no seeds in {}", seeds.display());
    }
}

macro_rules! replay_tests {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            let files = inputs(stringify!($name));
            let runs = replay(stringify!($name), &files, MUTATIONS);
            assert!(runs > files.len());
        }
    )*};
}

replay_tests!(
    verdict, task, config, terraform, kubernetes, dockerfile, compose, redact, quote, pack
);

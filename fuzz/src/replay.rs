//! Replaying inputs through a target without libFuzzer: the stable-toolchain harness.
//!
//! A target's inputs are its seeds (`fuzz/seeds/<target>/`, committed), its corpus
//! (`fuzz/corpus/<target>/`, grown by `cargo fuzz run`, not committed) and the
//! crashes kept as regressions (`fuzz/regressions/<target>/`). Each input is also
//! replayed with a few deterministic mutations (truncations, byte flips, splices),
//! so a replay on CI explores a little beyond the seeds in a few seconds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The fuzz crate's folder.
pub fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every input file of `target`: seeds, corpus and regressions, sorted.
pub fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["seeds", "corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(dir).join(target)) else {
            continue;
        };
        files.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file()),
        );
    }
    files.sort();
    files
}

/// A small deterministic generator (xorshift), so mutations repeat run to run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// `count` mutations of `input`, some spliced with `other`.
pub fn mutations(input: &[u8], other: &[u8], seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed | 1);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let mut m = input.to_vec();
        match rng.below(5) {
            0 => m.truncate(rng.below(input.len() + 1)),
            1 if !m.is_empty() => {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
            2 if !m.is_empty() => {
                let i = rng.below(m.len());
                let byte = *b"{}[]()\"'\\\n\t #:=-<>$*&|"
                    .get(rng.below(23))
                    .unwrap_or(&b' ');
                m.insert(i, byte);
            }
            3 => {
                let cut = rng.below(m.len() + 1);
                let from = rng.below(other.len() + 1);
                m.truncate(cut);
                m.extend_from_slice(&other[from..]);
            }
            _ => {
                let i = rng.below(m.len() + 1);
                let j = (i + rng.below(64)).min(m.len());
                let chunk = m[i..j].to_vec();
                m.splice(i..i, chunk);
            }
        }
        out.push(m);
    }
    out
}

/// Run `target` over `files`, each as is and with `mutations_per_input` mutations.
/// Returns how many inputs ran. A failing invariant panics, naming the file.
pub fn replay(name: &str, files: &[PathBuf], mutations_per_input: usize) -> usize {
    let Some(target) = crate::target(name) else {
        panic!("no fuzz target `{name}`");
    };
    let data: Vec<(PathBuf, Vec<u8>)> = files
        .iter()
        .filter_map(|p| std::fs::read(p).ok().map(|d| (p.clone(), d)))
        .collect();
    let mut runs = 0;
    for (i, (path, input)) in data.iter().enumerate() {
        let _guard = Announce(path);
        target(input);
        runs += 1;
        let other = data.get((i + 1) % data.len()).map_or(&[][..], |(_, d)| d);
        for m in mutations(input, other, i as u64 + 0x9E37_79B9, mutations_per_input) {
            target(&m);
            runs += 1;
        }
    }
    runs
}

/// Names the input when a target panics on it (or a mutation of it).
struct Announce<'a>(&'a Path);

impl Drop for Announce<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("fuzz input (or a mutation of it): {}", self.0.display());
        }
    }
}

/// `main` of a target binary on stable: replay the files given as arguments, or
/// else every input of the target.
pub fn main(name: &str) -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let (files, mutations) = if args.is_empty() {
        (inputs(name), 64)
    } else {
        (args, 0)
    };
    if files.is_empty() {
        eprintln!(
            "error: no inputs for fuzz target `{name}`\nhint: add files under fuzz/seeds/{name}/ or pass paths"
        );
        return ExitCode::from(2);
    }
    let runs = replay(name, &files, mutations);
    eprintln!(
        "{name}: {runs} inputs from {} files, no failure",
        files.len()
    );
    ExitCode::SUCCESS
}

//! Fuzz target `terraform`: see `director_fuzz::analyzers` for what it drives and the
//! invariants it checks. Under `cargo fuzz` this is a libFuzzer target; on stable
//! it replays the seeds and corpus (`cargo run --bin terraform [FILES…]`).

#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| director_fuzz::analyzers::terraform(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    director_fuzz::replay::main("terraform")
}

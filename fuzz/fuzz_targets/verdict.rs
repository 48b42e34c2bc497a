//! Fuzz target `verdict`: see `director_fuzz::verdict` for what it drives and the
//! invariants it checks. Under `cargo fuzz` this is a libFuzzer target; on stable
//! it replays the seeds and corpus (`cargo run --bin verdict [FILES…]`).

#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| director_fuzz::verdict::run(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    director_fuzz::replay::main("verdict")
}

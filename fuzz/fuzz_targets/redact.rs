//! Fuzz target `redact`: see `director_fuzz::redact` for what it drives and the
//! invariants it checks. Under `cargo fuzz` this is a libFuzzer target; on stable
//! it replays the seeds and corpus (`cargo run --bin redact [FILES…]`).

#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| director_fuzz::redact::run(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    director_fuzz::replay::main("redact")
}

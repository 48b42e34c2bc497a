//! Fuzz target `config`: see `director_fuzz::config` for what it drives and the
//! invariants it checks. Under `cargo fuzz` this is a libFuzzer target; on stable
//! it replays the seeds and corpus (`cargo run --bin config [FILES…]`).

#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| director_fuzz::config::run(data));

#[cfg(not(fuzzing))]
fn main() -> std::process::ExitCode {
    director_fuzz::replay::main("config")
}

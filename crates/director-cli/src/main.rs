//! The `director` binary: everything happens in the `director_cli` library.

fn main() {
    std::process::exit(director_cli::main());
}

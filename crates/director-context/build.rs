//! Builds the o200k token table (`src/o200k_table.rs`) from the embedded vocabulary
//! `data/o200k_base.tiktoken` into `OUT_DIR`, so the binary carries it ready to use.

// `o200k_lib` is set for the library only (below); here the builder is compiled in.
#[allow(unexpected_cfgs)]
#[path = "src/o200k_table.rs"]
mod o200k_table;

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=data/o200k_base.tiktoken");
    println!("cargo::rerun-if-changed=src/o200k_table.rs");
    // The library needs only the lookups of `o200k_table.rs`, not its builder.
    println!("cargo::rustc-check-cfg=cfg(o200k_lib)");
    println!("cargo::rustc-cfg=o200k_lib");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let source = manifest.join("data/o200k_base.tiktoken");
    let vocabulary = match std::fs::read_to_string(&source) {
        Ok(text) => text,
        Err(e) => panic!("cannot read {}: {e}", source.display()),
    };
    let table = match o200k_table::build(&vocabulary) {
        Ok(table) => table,
        Err(e) => panic!("{}: {e}", source.display()),
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    for (name, data) in [
        ("o200k.bytes", &table.bytes),
        ("o200k.ends", &table.ends),
        ("o200k.slots", &table.slots),
    ] {
        let path = out.join(name);
        if let Err(e) = std::fs::write(&path, data) {
            panic!("cannot write {}: {e}", path.display());
        }
    }
}

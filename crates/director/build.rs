//! Embeds the shipped Directors, prompts and personas into the binary: every file
//! under the workspace's `directors/`, `prompts/` and `personas/` becomes an entry of
//! `BUILTIN_FILES` (path relative to the workspace root, contents). A missing or empty
//! folder is a build error: a binary without its panel would run no Director.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut files = Vec::new();
    for dir in ["directors", "prompts", "personas"] {
        let path = root.join(dir);
        println!("cargo:rerun-if-changed={}", path.display());
        let before = files.len();
        collect(&path, &mut files);
        assert!(
            files.len() > before,
            "{} holds no files: the built-in panel (directors/, prompts/, personas/ at the \
             workspace root) must be present to build director",
            path.display()
        );
    }
    let mut code = String::from(
        "/// Files shipped in the binary: (workspace-relative path, contents).\npub static BUILTIN_FILES: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file.strip_prefix(&root).unwrap_or(file);
        let rel = rel.to_string_lossy().replace('\\', "/");
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            file.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("builtin_files.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("failed to write {}: {e}", out.display());
    }
}

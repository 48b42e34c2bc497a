//! Reading a folder into [`SourceFile`]s. Shared through `#[path]` with the throughput
//! benchmark and the `evidence_bench` example, which read fixture and corpus trees the
//! same way.

use director_evidence::SourceFile;
use std::path::Path;

/// Every file under `dir`, with paths relative to `root` (forward slashes), sorted.
pub fn read_dir(root: &Path, dir: &Path) -> Vec<SourceFile> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                let content = std::fs::read_to_string(&path).unwrap();
                out.push(SourceFile::new(rel, content));
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

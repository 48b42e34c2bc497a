//! Cross-file facts for the analyzers: an HPA, PodDisruptionBudget or CloudWatch
//! alarm that lives in an unchanged file still counts. This collects the other
//! analyzable files of the repository, bounded in count and bytes.

use director_evidence::SourceFile;
use std::collections::BTreeSet;
use std::path::Path;

/// Most files read for cross-file facts.
const MAX_FILES: usize = 2000;
/// Most bytes read for cross-file facts.
const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Files larger than this are not infrastructure definitions worth reading.
const MAX_FILE_BYTES: u64 = 512 * 1024;

fn candidate(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "tf" | "yaml" | "yml" | "json")
        || name.starts_with("dockerfile")
        || name.ends_with(".dockerfile")
        || name == "containerfile"
}

/// Analyzable files under `root` that are not among `targets`.
pub fn analyzable_files(root: &Path, targets: &[SourceFile]) -> Vec<SourceFile> {
    let skip: BTreeSet<&str> = targets.iter().map(|t| t.path.as_str()).collect();
    let mut out = Vec::new();
    let mut bytes = 0u64;
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .follow_links(false)
        .max_filesize(Some(MAX_FILE_BYTES))
        .build();
    for entry in walker.filter_map(Result::ok) {
        if out.len() >= MAX_FILES || bytes >= MAX_BYTES {
            break;
        }
        let path = entry.path();
        if !entry.file_type().is_some_and(|t| t.is_file()) || !candidate(path) {
            continue;
        }
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if skip.contains(rel.as_str()) || director_core::layout::is_director_path(&rel) {
            continue;
        }
        let Ok(content) = std::fs::read_to_string(path) else {
            continue;
        };
        if !director_evidence::is_analyzable(&rel, &content) {
            continue;
        }
        bytes += content.len() as u64;
        out.push(SourceFile { path: rel, content });
    }
    out
}

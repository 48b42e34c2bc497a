//! Cross-file facts for the analyzers: an HPA, PodDisruptionBudget or CloudWatch
//! alarm that lives in an unchanged file still counts. This collects the other
//! analyzable files of the repository (Terraform modules a change calls and variable
//! files included), bounded in count and bytes, and the Terraform variable files and
//! plan that the trusted configuration names.

use crate::Error;
use director_context::RepoScan;
use director_evidence::{SourceFile, TerraformConfig};
use std::collections::BTreeSet;
use std::path::Path;

/// Most files read for cross-file facts.
const MAX_FILES: usize = 2000;
/// Most bytes read for cross-file facts.
const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Files larger than this are not infrastructure definitions worth reading.
const MAX_FILE_BYTES: u64 = 512 * 1024;

/// Analyzable files of the run's repository scan that are not among `targets`, in
/// scan order (each text read once per run, shared with related-file discovery).
/// Candidates are read and recognised on all cores, a batch at a time, so the limits
/// stop the reading as they would stop a sequential one.
pub fn analyzable_files(scan: &RepoScan, targets: &[SourceFile]) -> Vec<SourceFile> {
    analyzable_within(scan, targets, MAX_FILES, MAX_BYTES)
}

/// [`analyzable_files`] with its limits given.
fn analyzable_within(
    scan: &RepoScan,
    targets: &[SourceFile],
    max_files: usize,
    max_bytes: u64,
) -> Vec<SourceFile> {
    /// Candidates read at once (the limits are checked between batches).
    const BATCH: usize = 64;
    let skip: BTreeSet<&str> = targets.iter().map(|t| t.path.as_str()).collect();
    let candidates: Vec<&String> = scan
        .files()
        .iter()
        .filter(|rel| {
            director_context::walk::may_be_analyzable(rel) && !skip.contains(rel.as_str())
        })
        .collect();
    let mut out = Vec::new();
    let mut bytes = 0u64;
    for batch in candidates.chunks(BATCH) {
        let read = director_core::par::map(batch, |rel| {
            let content = scan.text(rel, MAX_FILE_BYTES)?;
            director_evidence::is_analyzable(rel, &content).then_some(content)
        });
        for (rel, content) in batch.iter().zip(read) {
            if out.len() >= max_files || bytes >= max_bytes {
                return out;
            }
            let Some(content) = content else {
                continue;
            };
            bytes += content.len() as u64;
            out.push(SourceFile {
                path: (*rel).clone(),
                content: content.to_string(),
            });
        }
    }
    out
}

/// The variable files and plan named in `[evidence.terraform]`, read for the analyzers
/// (paths relative to the repository root; the plan may be absolute). A missing file or
/// a plan that is not `terraform show -json` output is an input error.
pub fn configured_files(root: &Path, config: &TerraformConfig) -> Result<Vec<SourceFile>, Error> {
    let mut out = Vec::new();
    for name in &config.var_files {
        let content = std::fs::read_to_string(root.join(name)).map_err(|e| Error::Input {
            message: format!("cannot read Terraform var file `{name}` named in [evidence.terraform] var_files: {e}"),
            hint: "give a path relative to the repository root, or remove it from var_files".into(),
        })?;
        out.push(SourceFile::new(name.trim_start_matches("./"), content));
    }
    if let Some(plan) = &config.plan {
        let content = std::fs::read_to_string(root.join(plan)).map_err(|e| Error::Input {
            message: format!("cannot read Terraform plan `{plan}`: {e}"),
            hint: "write it with `terraform show -json <planfile> > plan.json` and pass that path"
                .into(),
        })?;
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(&content);
        let problem = match &parsed {
            Err(e) => Some(format!("is not valid JSON ({e})")),
            Ok(v)
                if !v
                    .get("format_version")
                    .is_some_and(serde_json::Value::is_string) =>
            {
                Some("has no `format_version`".to_string())
            }
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            return Err(Error::Input {
                message: format!("Terraform plan `{plan}` {problem}"),
                hint:
                    "pass the output of `terraform show -json <planfile>`, not the binary plan file"
                        .into(),
            });
        }
        out.push(SourceFile::new(plan.trim_start_matches("./"), content));
    }
    Ok(out)
}

/// A configured plan that the change under review itself modifies (`changed` holds the
/// changed paths of a git change) is not used: a plan decides what the analyzers believe,
/// so it must come from outside the change (CI's `terraform show -json` of the head). The
/// plan is dropped from `config`; the returned note says so in the record.
pub fn drop_plan_in_change<'p>(
    config: &mut TerraformConfig,
    root: &Path,
    mut changed: impl Iterator<Item = &'p str>,
) -> Option<String> {
    let plan = config.plan.as_deref()?;
    let abs = root.join(plan);
    if !changed.any(|p| root.join(p) == abs) {
        return None;
    }
    let note = format!(
        "not evaluated: terraform plan `{plan}`: not used, because the change under review modifies it (pass a plan produced outside the change)"
    );
    config.plan = None;
    Some(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sequential rule the batched reading must give: in scan order, each
    /// analyzable file until either limit is reached.
    fn one_by_one(
        scan: &RepoScan,
        targets: &[SourceFile],
        max_files: usize,
        max_bytes: u64,
    ) -> Vec<SourceFile> {
        let mut out = Vec::new();
        let mut bytes = 0u64;
        for rel in scan.files() {
            if out.len() >= max_files || bytes >= max_bytes {
                break;
            }
            if targets.iter().any(|t| &t.path == rel) {
                continue;
            }
            let Some(content) = scan.text(rel, MAX_FILE_BYTES) else {
                continue;
            };
            if !director_context::walk::may_be_analyzable(rel)
                || !director_evidence::is_analyzable(rel, &content)
            {
                continue;
            }
            bytes += content.len() as u64;
            out.push(SourceFile::new(rel.clone(), content.to_string()));
        }
        out
    }

    #[test]
    fn related_files_are_read_in_scan_order_within_the_limits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for i in 0..300 {
            let (path, text) = match i % 4 {
                0 => (
                    format!("infra/m{i:03}.tf"),
                    format!("resource \"null_resource\" \"r{i}\" {{}}\n"),
                ),
                1 => (
                    format!("k8s/s{i:03}.yaml"),
                    format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n"),
                ),
                2 => (
                    format!("data/d{i:03}.json"),
                    format!("{{\"not\": \"a manifest {i}\"}}\n"),
                ),
                _ => (format!("src/f{i:03}.rs"), format!("fn f{i}() {{}}\n")),
            };
            let full = root.join(&path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
            std::fs::write(full, text).expect("write");
        }
        let targets = vec![SourceFile::new("infra/m000.tf", String::new())];
        // More candidates than one batch; limits that stop inside a batch, on either
        // side, and none.
        for (max_files, max_bytes) in [
            (usize::MAX, u64::MAX),
            (70, u64::MAX),
            (1, u64::MAX),
            (usize::MAX, 2_000),
            (0, u64::MAX),
        ] {
            let scan = RepoScan::new(root);
            let batched = analyzable_within(&scan, &targets, max_files, max_bytes);
            let expected = one_by_one(&RepoScan::new(root), &targets, max_files, max_bytes);
            assert_eq!(
                batched, expected,
                "limits {max_files} files, {max_bytes} bytes"
            );
            if max_files == usize::MAX && max_bytes == u64::MAX {
                // 74 other Terraform files and 75 Services; no target, no JSON data.
                assert_eq!(batched.len(), 149);
                assert!(batched.iter().all(|f| f.path != "infra/m000.tf"));
            }
        }
    }
}

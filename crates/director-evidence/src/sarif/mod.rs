//! Other scanners' SARIF 2.1.0 logs as deterministic evidence (Checkov, Trivy, tfsec,
//! KICS, Semgrep, CodeQL, hadolint, kube-linter, gitleaks, ...).
//!
//! The caller reads a log, parses it with [`SarifLog::parse`] (which resolves every
//! location to a repository-relative path), reads the files it cites
//! ([`SarifLog::cited_paths`]) and passes both in as a [`SarifInput`]. Ingestion
//! ([`ingest`]) then keeps the evidence contract: a finding's evidence is read from the
//! cited file's lines, never from the log's snippet, and a result whose file is missing
//! or whose lines are out of range is reported as not ingested instead of invented.
//! Severity, Director and category follow [`mapping`]; a result that a native rule
//! already reported at the same place (matched through the Checkov, Trivy and tfsec ids
//! the rules carry) is dropped.

pub(crate) mod ingest;
pub(crate) mod mapping;

use crate::SourceFile;
use crate::error::EvidenceError;
use serde_sarif::sarif::{ArtifactLocation, Run, Sarif};
use std::collections::BTreeMap;

/// A parsed SARIF log whose locations are resolved against the repository root.
#[derive(Debug)]
pub struct SarifLog {
    /// The log as the user named it (for messages).
    pub label: String,
    pub(crate) log: Sarif,
    /// Repository root, absolute, forward slashes, no trailing slash.
    root: String,
}

/// A log and the files it cites (repository-relative paths, as
/// [`SarifLog::cited_paths`] names them). A cited file absent here counts as missing.
#[derive(Debug)]
pub struct SarifInput {
    /// The parsed log.
    pub log: SarifLog,
    /// The cited files that exist, with their text.
    pub files: Vec<SourceFile>,
}

impl SarifLog {
    /// Parse `text` (the log named `label`). `root` is the absolute path of the
    /// repository, used to turn absolute `file://` locations into repository paths.
    pub fn parse(label: &str, text: &str, root: &str) -> Result<SarifLog, EvidenceError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let log: Sarif = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let inner = e.inner();
            EvidenceError::InvalidSarif {
                label: label.to_string(),
                at: format!(
                    "line {} column {}, {}",
                    inner.line(),
                    inner.column(),
                    e.path()
                ),
                message: inner.to_string(),
            }
        })?;
        if log.version.as_str() != Some("2.1.0") {
            return Err(EvidenceError::InvalidSarif {
                label: label.to_string(),
                at: "line 1, version".into(),
                message: format!("version is {}, not \"2.1.0\"", log.version),
            });
        }
        let root = root.replace('\\', "/").trim_end_matches('/').to_string();
        Ok(SarifLog {
            label: label.to_string(),
            log,
            root,
        })
    }

    /// Every repository-relative path a result of the log points at, sorted, without
    /// duplicates (locations outside the repository are left out).
    pub fn cited_paths(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .log
            .runs
            .iter()
            .flat_map(|run| {
                let bases = base_ids(run.original_uri_base_ids.as_ref());
                run.results
                    .iter()
                    .flatten()
                    .flat_map(|r| r.locations.iter().flatten())
                    .filter_map(|l| l.physical_location.as_ref()?.artifact_location.as_ref())
                    .filter_map(move |a| self.resolve(artifact_of(run, a), &bases).ok())
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The repository-relative path of an artifact location, or why there is none.
    pub(crate) fn resolve(
        &self,
        artifact: &ArtifactLocation,
        bases: &BTreeMap<String, String>,
    ) -> Result<String, String> {
        let uri = artifact.uri.as_deref().ok_or("the location has no uri")?;
        let relative = decode(uri);
        if !is_absolute(&relative)
            && let Some(base) = artifact.uri_base_id.as_ref().and_then(|b| bases.get(b))
        {
            let joined = format!("{}/{}", base.trim_end_matches('/'), relative);
            // A log written on another machine (CI) names that machine's checkout as
            // its base; the relative part still names the repository file.
            return self
                .repo_path(&joined)
                .or_else(|_| self.repo_path(&relative));
        }
        self.repo_path(&relative)
    }

    /// A decoded path (absolute, or relative to the root) as a repository path.
    fn repo_path(&self, path: &str) -> Result<String, String> {
        let path = path.replace('\\', "/");
        let rel = if is_absolute(&path) {
            let prefix = format!("{}/", self.root);
            path.strip_prefix(&prefix)
                .map(str::to_string)
                .ok_or_else(|| format!("`{path}` is outside the repository"))?
        } else {
            path
        };
        let rel = normalise(&rel).ok_or_else(|| format!("`{rel}` leaves the repository"))?;
        if rel.is_empty() {
            return Err("the location names no file".into());
        }
        Ok(rel)
    }
}

/// The artifact location to resolve: `a` itself, or the run's `artifacts[index]` when
/// `a` gives only an index (as CodeQL may).
pub(crate) fn artifact_of<'r>(run: &'r Run, a: &'r ArtifactLocation) -> &'r ArtifactLocation {
    if a.uri.is_some() {
        return a;
    }
    a.index
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| run.artifacts.as_ref()?.get(i)?.location.as_ref())
        .unwrap_or(a)
}

/// `originalUriBaseIds` of a run, decoded (`%SRCROOT%` -> `/abs/checkout`).
pub(crate) fn base_ids(
    ids: Option<&BTreeMap<String, ArtifactLocation>>,
) -> BTreeMap<String, String> {
    ids.into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), decode(v.uri.as_deref()?))))
        .collect()
}

/// A URI or path as a plain path: `file://` stripped, percent-escapes decoded.
fn decode(uri: &str) -> String {
    let rest = uri
        .strip_prefix("file://localhost")
        .or_else(|| uri.strip_prefix("file://"))
        .or_else(|| uri.strip_prefix("file:"))
        .unwrap_or(uri);
    // `file:///C:/x` keeps a leading slash before the drive letter.
    let rest = match rest.as_bytes() {
        [b'/', d, b':', ..] if d.is_ascii_alphabetic() => &rest[1..],
        _ => rest,
    };
    percent_encoding::percent_decode_str(rest)
        .decode_utf8_lossy()
        .into_owned()
}

fn is_absolute(path: &str) -> bool {
    path.starts_with('/') || matches!(path.as_bytes(), [d, b':', ..] if d.is_ascii_alphabetic())
}

/// `./a/../b/c` -> `b/c`; `None` if `..` climbs above the start.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(json: &str) -> SarifLog {
        SarifLog::parse("t.sarif", json, "/repo").unwrap()
    }

    #[test]
    fn paths_resolve_against_the_root_and_base_ids() {
        let l = log(
            r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},
            "originalUriBaseIds":{"SRC":{"uri":"file:///repo/infra/"}},
            "results":[
              {"message":{"text":"a"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"db.tf","uriBaseId":"SRC"}}}]},
              {"message":{"text":"b"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"file:///repo/k8s/web%20app.yaml"}}}]},
              {"message":{"text":"c"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"./src/../src/main.py"}}}]},
              {"message":{"text":"d"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"file:///etc/passwd"}}}]},
              {"message":{"text":"e"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"../outside.tf"}}}]}
            ]}]}"#,
        );
        assert_eq!(
            l.cited_paths(),
            vec!["infra/db.tf", "k8s/web app.yaml", "src/main.py"]
        );
    }

    #[test]
    fn invalid_logs_name_the_problem() {
        let e = SarifLog::parse("r.sarif", "{\"version\":\"2.1.0\",\"runs\":[{}]}", "/r")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("r.sarif: not a SARIF 2.1.0 log"), "{e}");
        assert!(e.contains("runs[0]"), "{e}");
        let e = SarifLog::parse("r.sarif", "{\"version\":\"2.0.0\",\"runs\":[]}", "/r")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not \"2.1.0\""), "{e}");
        assert!(SarifLog::parse("r.sarif", "not json", "/r").is_err());
    }

    #[test]
    fn decoding() {
        assert_eq!(decode("file:///C:/w/a.tf"), "C:/w/a.tf");
        assert_eq!(normalise("a/./b/../c"), Some("a/c".into()));
        assert_eq!(normalise("../a"), None);
    }
}

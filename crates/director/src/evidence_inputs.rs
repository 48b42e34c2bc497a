//! Evidence beyond the changed files: rendered Kubernetes (`helm template` /
//! `kustomize build` output) and other scanners' SARIF logs, named on the command line
//! (`--rendered`, `--evidence-sarif`) or in trusted configuration (`[evidence] sarif`,
//! `[evidence.kubernetes] rendered`). This module does the reading the pure analyzers
//! cannot: it loads the streams and logs, finds the templates a stream's `# Source:`
//! comments name and the files a log cites (inside the repository only), and redacts
//! the scanners' own words before they reach a record or a Director.
//!
//! A file the user named that cannot be read, is too large or is not valid SARIF is bad
//! input (exit 2) — never silently skipped.

use crate::error::Error;
use director_evidence::{
    AnalyzerConfig, EvidenceReport, Inputs, Rendered, SarifInput, SarifLog, SourceFile, Template,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest rendered stream or SARIF log read, in bytes.
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;
/// Largest template or cited file read, in bytes.
const MAX_CITED_BYTES: u64 = 4 * 1024 * 1024;
/// Most `Chart.yaml` files looked at when mapping `# Source:` comments to charts.
const MAX_CHARTS: usize = 500;

/// Per-run evidence inputs (the command line's; configuration adds its own).
#[derive(Debug, Clone, Default)]
pub struct ExtraEvidence {
    /// Rendered Kubernetes streams.
    pub rendered: Vec<RenderedSource>,
    /// SARIF logs (absolute, or relative to the repository root).
    pub sarif: Vec<PathBuf>,
    /// A `terraform show -json` output to analyze (`--terraform-plan`; absolute, or
    /// relative to the current directory).
    pub terraform_plan: Option<PathBuf>,
}

/// Where a rendered stream comes from.
#[derive(Debug, Clone)]
pub enum RenderedSource {
    /// A file (absolute, or relative to the repository root).
    File(PathBuf),
    /// Text already read (standard input), named `<stdin>` in findings.
    Text(String),
}

/// The rendered streams and SARIF logs of one run, read and resolved.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    rendered: Vec<Rendered>,
    sarif: Vec<SarifInput>,
}

/// Read everything named in `config` (paths relative to `root`) and in `extra`.
pub(crate) fn load(
    root: &Path,
    scan: &director_context::RepoScan,
    config: &AnalyzerConfig,
    extra: &ExtraEvidence,
) -> Result<Loaded, Error> {
    let mut rendered_sources: Vec<RenderedSource> = config
        .kubernetes
        .rendered
        .iter()
        .map(|p| RenderedSource::File(PathBuf::from(p)))
        .collect();
    rendered_sources.extend(extra.rendered.iter().cloned());
    let mut sarif_paths: Vec<PathBuf> = config.sarif.iter().map(PathBuf::from).collect();
    sarif_paths.extend(extra.sarif.iter().cloned());

    let charts = if rendered_sources.is_empty() {
        BTreeMap::new()
    } else {
        chart_dirs(root, scan)
    };
    let mut loaded = Loaded::default();
    for source in &rendered_sources {
        let (label, content) = match source {
            RenderedSource::Text(text) => ("<stdin>".to_string(), text.clone()),
            RenderedSource::File(path) => {
                let (label, content) = read_named(root, path, "--rendered", "rendered manifests")?;
                (label, content)
            }
        };
        let templates = templates(root, &charts, &content);
        loaded.rendered.push(Rendered {
            label,
            content,
            templates,
        });
    }
    let root_text = root.to_string_lossy().replace('\\', "/");
    for path in &sarif_paths {
        let (label, text) = read_named(root, path, "--evidence-sarif", "a SARIF log")?;
        let log = SarifLog::parse(&label, &text, &root_text).map_err(|e| Error::Input {
            message: e.to_string(),
            hint: e.hint().into(),
        })?;
        let files = log
            .cited_paths()
            .into_iter()
            .filter_map(|p| read_in_repo(root, &p))
            .collect();
        loaded.sarif.push(SarifInput { log, files });
    }
    Ok(loaded)
}

/// Run the analyzers over the changed files and the loaded inputs. The scanners'
/// messages become finding titles, so they are redacted like any repository text.
pub(crate) fn analyze(
    targets: &[SourceFile],
    related: &[SourceFile],
    config: &AnalyzerConfig,
    loaded: &Loaded,
) -> EvidenceReport {
    let mut report = director_evidence::analyze_inputs(
        &Inputs {
            targets,
            related,
            rendered: &loaded.rendered,
            sarif: &loaded.sarif,
        },
        config,
    );
    for f in report
        .findings
        .iter_mut()
        .filter(|f| f.rule_id.as_deref().is_some_and(|id| id.contains('/')))
    {
        let path = f.path.clone().unwrap_or_default();
        f.title = director_context::redact(&f.title, &path).text;
        f.recommendation = director_context::redact(&f.recommendation, &path).text;
    }
    report
}

/// Read a file the user named: its label (repository path if inside the repository,
/// else as given) and text.
fn read_named(root: &Path, path: &Path, flag: &str, what: &str) -> Result<(String, String), Error> {
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    let unreadable = |cause: String| Error::Input {
        message: format!("{flag} {}: cannot read {what} ({cause})", path.display()),
        hint: format!(
            "pass an existing file with {what}, or remove it from [evidence] in the configuration"
        ),
    };
    let meta = std::fs::metadata(&full).map_err(|e| unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(unreadable("not a file".into()));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(unreadable(format!(
            "{} bytes, more than the {MAX_INPUT_BYTES}-byte limit",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(&full).map_err(|e| unreadable(e.to_string()))?;
    let label = std::fs::canonicalize(&full)
        .ok()
        .and_then(|c| {
            let root = std::fs::canonicalize(root).ok()?;
            Some(
                c.strip_prefix(root)
                    .ok()?
                    .to_string_lossy()
                    .replace('\\', "/"),
            )
        })
        .unwrap_or_else(|| path.display().to_string());
    Ok((label, text))
}

/// A repository file by its repository path, if it exists, stays inside the
/// repository after symlinks are followed, and is small enough to quote.
fn read_in_repo(root: &Path, rel: &str) -> Option<SourceFile> {
    let root = std::fs::canonicalize(root).ok()?;
    let full = std::fs::canonicalize(root.join(rel)).ok()?;
    if !full.starts_with(&root) {
        return None;
    }
    let meta = std::fs::metadata(&full).ok()?;
    if !meta.is_file() || meta.len() > MAX_CITED_BYTES {
        return None;
    }
    let content = std::fs::read_to_string(&full).ok()?;
    Some(SourceFile::new(rel, content))
}

/// Chart name -> chart folder (repository path) for every `Chart.yaml` in the
/// repository (from the run's one repository scan, [`director_context::RepoScan`]).
/// Folders are relative to `root` (the project, which may be a folder of the
/// scanned repository).
fn chart_dirs(root: &Path, scan: &director_context::RepoScan) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let Ok(inside) = canonical(root)
        .strip_prefix(canonical(scan.root()))
        .map(|p| p.to_string_lossy().replace('\\', "/"))
    else {
        return out;
    };
    let prefix = if inside.is_empty() {
        String::new()
    } else {
        format!("{inside}/")
    };
    for rel in scan.files() {
        if out.len() >= MAX_CHARTS {
            break;
        }
        let Some(rel) = rel.strip_prefix(prefix.as_str()) else {
            continue;
        };
        if rel != "Chart.yaml" && !rel.ends_with("/Chart.yaml") {
            continue;
        }
        let Some(file) = read_in_repo(root, rel) else {
            continue;
        };
        let dir = rel
            .strip_suffix("Chart.yaml")
            .unwrap_or("")
            .trim_end_matches('/');
        let dir = if dir.is_empty() { "." } else { dir };
        if let Some(name) = director_evidence::chart_name(&file.content) {
            out.entry(name).or_insert_with(|| dir.to_string());
        }
    }
    out
}

/// The repository templates a stream's `# Source:` comments name: `<chart>/<rest>` is
/// `<chart folder>/<rest>` for a chart in the repository, else the path itself.
fn templates(root: &Path, charts: &BTreeMap<String, String>, content: &str) -> Vec<Template> {
    director_evidence::rendered_sources(content)
        .into_iter()
        .filter_map(|source| {
            let in_chart = source.split_once('/').and_then(|(chart, rest)| {
                let dir = charts.get(chart)?;
                let path = if dir == "." {
                    rest.to_string()
                } else {
                    format!("{dir}/{rest}")
                };
                read_in_repo(root, &path)
            });
            let file = in_chart.or_else(|| read_in_repo(root, &source))?;
            Some(Template { source, file })
        })
        .collect()
}

/// `director evidence`: see [`crate::evidence_record`].
pub(crate) async fn evidence_record(
    root: &Path,
    paths: &[PathBuf],
    environment: Option<director_core::Environment>,
    extra: ExtraEvidence,
) -> Result<director_core::RunRecord, Error> {
    let cwd = std::env::current_dir().map_err(|e| Error::io("read", ".", e))?;
    let mut absolute = Vec::new();
    for p in paths {
        let abs = if p.is_absolute() {
            p.clone()
        } else {
            cwd.join(p)
        };
        let abs = std::fs::canonicalize(&abs).map_err(|e| Error::Input {
            message: format!("`{}` cannot be analyzed ({e})", p.display()),
            hint: "pass existing files or folders".into(),
        })?;
        absolute.push(abs);
    }
    let root = match std::fs::canonicalize(root) {
        Ok(r) if absolute.iter().all(|a| a.starts_with(&r)) => r,
        // Outside the current repository: the project holding all the paths.
        _ => crate::project_root(&common_folder(&absolute))?,
    };
    let mut rel = Vec::new();
    for (abs, p) in absolute.iter().zip(paths) {
        let r = abs.strip_prefix(&root).map_err(|_| Error::Input {
            message: format!("`{}` is outside {}", p.display(), root.display()),
            hint: "analyze paths of one project per run".into(),
        })?;
        let r = r.to_string_lossy().replace('\\', "/");
        rel.push(if r.is_empty() { ".".to_string() } else { r });
    }
    let terraform_plan = match &extra.terraform_plan {
        Some(p) => {
            let abs = if p.is_absolute() {
                p.clone()
            } else {
                cwd.join(p)
            };
            let abs = std::fs::canonicalize(&abs).map_err(|e| Error::io("read", p, e))?;
            Some(abs.to_string_lossy().into_owned())
        }
        None => None,
    };
    let verifier = crate::Verifier::builder()
        .repo(&root)
        .provider(crate::ProviderSpec::Offline)
        .overrides(crate::Overrides {
            write_record: Some(false),
            terraform_plan,
            ..crate::Overrides::default()
        })
        .build()?;
    let task = director_core::Task {
        id: "evidence".into(),
        title: format!("deterministic evidence for {}", rel.join(", ")),
        paths: rel,
        environment,
        ..director_core::Task::default()
    };
    let options = crate::VerifyOptions {
        evidence: extra,
        ..crate::VerifyOptions::default()
    };
    let cancel = crate::CancellationToken::new();
    verifier
        .verify_with(task, &options, &crate::EventSink::none(), &cancel)
        .await
}

/// The deepest folder holding every path (a file counts by its folder).
fn common_folder(paths: &[PathBuf]) -> PathBuf {
    let folder = |p: &PathBuf| {
        if p.is_dir() {
            p.clone()
        } else {
            p.parent().map_or_else(|| p.clone(), Path::to_path_buf)
        }
    };
    let mut common = paths.first().map(folder).unwrap_or_default();
    for p in paths.iter().skip(1).map(folder) {
        while !p.starts_with(&common) {
            if !common.pop() {
                break;
            }
        }
    }
    common
}

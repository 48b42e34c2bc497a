//! Deterministic infrastructure analyzers: Terraform (HCL), Kubernetes manifests (YAML
//! and JSON), Dockerfiles, Docker Compose files, and CI pipelines and shell scripts
//! (for resources created by CLI commands) are read with real parsers and
//! checked against the Infrastructure Director's checklist (scaling, redundancy,
//! disaster recovery, cost, monitoring, IaC quality) plus the security basics the
//! Security Director owns. Every finding names its rule, resource, file and exact
//! lines, and quotes those lines verbatim, so an LLM Director can confirm it and the
//! gate can trust it.
//!
//! Architecture Invariant: analysis is a pure function of the files passed in (no
//! filesystem, network or clock), it never panics on any input, and a file that
//! cannot be parsed costs only its own findings (reported in
//! [`EvidenceReport::parse_errors`]).

#![warn(missing_docs)]

mod compose;
mod config;
mod dockerfile;
mod emit;
mod env;
mod error;
mod facts;
mod kubernetes;
mod pipeline;
mod rendered;
mod rules;
mod sarif;
mod secrets;
mod source;
mod terraform;
mod yaml;

pub use config::{AnalyzerConfig, KubernetesConfig, TerraformConfig};
pub use error::EvidenceError;
pub use rendered::{Rendered, Template, chart_name, rendered_sources};
pub use rules::{RuleInfo, rules};
pub use sarif::{SarifInput, SarifLog};

use director_core::Finding;
use director_core::classify::AnalyzerKind as FileKind;
use emit::Sink;
use std::collections::HashSet;

/// A file to analyze: repository-relative path and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Repository-relative path, forward slashes.
    pub path: String,
    /// The file's text.
    pub content: String,
}

impl SourceFile {
    /// A file from its path and text.
    pub fn new(path: impl Into<String>, content: impl Into<String>) -> SourceFile {
        SourceFile {
            path: path.into(),
            content: content.into(),
        }
    }
}

/// What the analyzers found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvidenceReport {
    /// Findings on the target files, sorted by path, line and rule.
    pub findings: Vec<Finding>,
    /// How many target files an analyzer understood (parsed fully or in part).
    pub files_analyzed: u32,
    /// Target files (or parts of them) that could not be parsed, as `path: message`.
    pub parse_errors: Vec<String>,
    /// What the analyzers saw but could not look into, so no finding there means
    /// nothing, one line each: Terraform modules from a registry or git (unless a plan
    /// file covers them), Helm charts and Kustomize overlays without rendered input,
    /// SARIF results that could not be placed.
    pub not_evaluated: Vec<String>,
}

/// Everything the analyzers can be given. [`analyze`] is the common case (files only).
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// The changed files; findings are reported on these.
    pub targets: &'a [SourceFile],
    /// Other files of the repository, for cross-file facts only.
    pub related: &'a [SourceFile],
    /// Rendered Kubernetes streams (`helm template`, `kustomize build`); analyzed as
    /// targets.
    pub rendered: &'a [Rendered],
    /// Other scanners' SARIF logs with the files they cite.
    pub sarif: &'a [SarifInput],
}

/// Analyze `targets` (the changed files). `related` are other files of the repository
/// (an autoscaler or disruption budget in an unchanged manifest, an alarm or backup
/// plan defined elsewhere) used only to resolve cross-file facts; findings are
/// reported only on `targets`. A path present in both lists is a target.
pub fn analyze(
    targets: &[SourceFile],
    related: &[SourceFile],
    config: &AnalyzerConfig,
) -> EvidenceReport {
    analyze_inputs(
        &Inputs {
            targets,
            related,
            ..Inputs::default()
        },
        config,
    )
}

/// Analyze everything in `inputs`: files as [`analyze`] does, rendered streams as
/// Kubernetes targets (findings mapped back to their templates), and SARIF results
/// as evidence findings deduplicated against the native ones.
pub fn analyze_inputs(inputs: &Inputs<'_>, config: &AnalyzerConfig) -> EvidenceReport {
    let rendered_files: Vec<SourceFile> = inputs
        .rendered
        .iter()
        .map(|r| SourceFile::new(r.label.clone(), r.content.clone()))
        .collect();
    let mut report = analyze_files(inputs.targets, inputs.related, &rendered_files, config);
    rendered::remap(&mut report.findings, inputs.rendered);
    let known: Vec<&SourceFile> = inputs.targets.iter().chain(inputs.related).collect();
    report.not_evaluated.extend(rendered::unrendered(
        inputs.targets,
        &known,
        inputs.rendered,
    ));
    let ingested = sarif::ingest::ingest(inputs.sarif, config, &report.findings);
    report.findings.extend(ingested.findings);
    report.not_evaluated.extend(ingested.not_ingested);
    sort_findings(&mut report.findings);
    report
}

fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (&a.path, a.start_line, &a.rule_id, &a.resources).cmp(&(
            &b.path,
            b.start_line,
            &b.rule_id,
            &b.resources,
        ))
    });
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint && a.start_line == b.start_line);
}

fn analyze_files(
    targets: &[SourceFile],
    related: &[SourceFile],
    rendered: &[SourceFile],
    config: &AnalyzerConfig,
) -> EvidenceReport {
    let mut sink = Sink::new(config);
    let mut errors = Vec::new();
    let mut files_analyzed = 0u32;

    let mut terraform_files = Vec::new();
    let mut kubernetes_files = Vec::new();
    let mut compose_files = Vec::new();
    let mut dockerfiles = Vec::new();
    let mut pipelines = Vec::new();
    let mut seen = HashSet::new();
    for file in targets {
        if !seen.insert(file.path.as_str()) {
            continue;
        }
        let Some(kind) = kind_of(file, config) else {
            continue;
        };
        if kind == FileKind::Unrendered {
            continue;
        }
        files_analyzed += 1;
        match kind {
            FileKind::Unrendered => {}
            FileKind::Terraform => terraform_files.push((file, true)),
            FileKind::Kubernetes => kubernetes_files.push((file, true)),
            FileKind::Compose => compose_files.push(file),
            FileKind::Dockerfile => dockerfiles.push(file),
            FileKind::Pipeline => pipelines.push(file),
        }
    }
    for file in rendered {
        if seen.insert(file.path.as_str()) {
            files_analyzed += 1;
            kubernetes_files.push((file, true));
        }
    }
    // `seen` holds every target path by now, so a related copy of a target is skipped.
    for file in related {
        if !seen.insert(file.path.as_str()) {
            continue;
        }
        match kind_of(file, config) {
            Some(FileKind::Terraform) => terraform_files.push((file, false)),
            Some(FileKind::Kubernetes) => kubernetes_files.push((file, false)),
            _ => {}
        }
    }

    // Kubernetes first: its alert rules are facts the Terraform monitoring rules use.
    kubernetes::analyze(&kubernetes_files, &mut sink, &mut errors);
    let not_evaluated = terraform::analyze(&terraform_files, &mut sink, &mut errors);
    for file in compose_files {
        compose::analyze(file, &mut sink, &mut errors);
    }
    for file in dockerfiles {
        dockerfile::analyze(file, &mut sink);
    }
    for file in pipelines {
        pipeline::analyze(file, &mut sink);
    }

    let mut findings = sink.findings;
    sort_findings(&mut findings);
    EvidenceReport {
        findings,
        files_analyzed,
        parse_errors: errors.iter().map(ToString::to_string).collect(),
        not_evaluated,
    }
}

/// The analyzer of a file: by name and content, or Terraform for the variable files
/// and plan the configuration names.
fn kind_of(file: &SourceFile, config: &AnalyzerConfig) -> Option<FileKind> {
    if terraform::claims(&file.path, &config.terraform) {
        return Some(FileKind::Terraform);
    }
    analyzer_kind(&file.path, &file.content)
}

/// The analyzer of a file by path and content, from the one classification
/// ([`director_core::classify`]) that also gives the file's routing classes.
fn analyzer_kind(path: &str, content: &str) -> Option<FileKind> {
    director_core::classify::classify(path, Some(content), None).analyzer
}

/// True if some analyzer understands this file (by name and extension, or by content
/// for Kubernetes YAML/JSON). Helm charts (`Chart.yaml`, templates with `{{ ... }}`) and
/// Kustomize files count: they are recognised and reported as not evaluated unless
/// rendered input is given.
pub fn is_analyzable(path: &str, content: &str) -> bool {
    analyzer_kind(path, content).is_some()
}

//! Rendered Kubernetes (`tests/fixtures/rendered/`): a Helm chart, the output of
//! `helm template` for it, and a Kustomize overlay. Findings on rendered documents
//! point at the template line holding the key when the template has it, else at the
//! rendered document; evidence is always the named file's lines.

use crate::common::{fixtures, of_rule};
use crate::files::read_dir;
use director_evidence::{
    AnalyzerConfig, EvidenceReport, Inputs, Rendered, SourceFile, Template, analyze,
    analyze_inputs, chart_name, rendered_sources,
};

fn repo() -> Vec<SourceFile> {
    let root = fixtures().join("rendered");
    read_dir(&root, &root)
}

fn file<'a>(files: &'a [SourceFile], path: &str) -> &'a SourceFile {
    files.iter().find(|f| f.path == path).unwrap()
}

/// What the orchestrator does: map each `# Source:` to the chart folder whose
/// Chart.yaml names that chart.
fn rendered_stream(files: &[SourceFile], label: &str, content: &str) -> Rendered {
    let charts: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.path.ends_with("/Chart.yaml"))
        .filter_map(|f| {
            let dir = f.path.trim_end_matches("/Chart.yaml").to_string();
            Some((chart_name(&f.content)?, dir))
        })
        .collect();
    let templates = rendered_sources(content)
        .into_iter()
        .filter_map(|source| {
            let (chart, rest) = source.split_once('/')?;
            let dir = &charts.iter().find(|(name, _)| name == chart)?.1;
            let path = format!("{dir}/{rest}");
            let file = files.iter().find(|f| f.path == path)?.clone();
            Some(Template { source, file })
        })
        .collect();
    Rendered {
        label: label.to_string(),
        content: content.to_string(),
        templates,
    }
}

/// Every finding's evidence equals the lines of the file it names (a repository file
/// or the rendered stream).
fn assert_quotes(report: &EvidenceReport, files: &[SourceFile], rendered: &Rendered) {
    for f in &report.findings {
        let path = f.path.as_deref().unwrap();
        let text = if path == rendered.label {
            rendered.content.as_str()
        } else {
            file(files, path).content.as_str()
        };
        let lines: Vec<&str> = text.lines().collect();
        let (s, e) = (f.start_line.unwrap() as usize, f.end_line.unwrap() as usize);
        assert_eq!(
            f.evidence.as_deref().unwrap(),
            lines[s - 1..e].join("\n"),
            "{} at {path}:{s}",
            f.rule_id.as_deref().unwrap()
        );
    }
}

#[test]
fn findings_map_back_to_templates_or_stay_on_the_rendered_document() {
    let files = repo();
    let output = &file(&files, "helm-template.yaml").content.clone();
    let chart: Vec<SourceFile> = files
        .iter()
        .filter(|f| f.path.starts_with("charts/"))
        .cloned()
        .collect();
    let stream = rendered_stream(&files, "<stdin>", output);
    assert_eq!(
        stream.templates.len(),
        2,
        "service.yaml is not in the repository"
    );
    let report = analyze_inputs(
        &Inputs {
            targets: &chart,
            rendered: std::slice::from_ref(&stream),
            ..Inputs::default()
        },
        &AnalyzerConfig::default(),
    );
    assert_quotes(&report, &files, &stream);
    assert!(
        report.not_evaluated.is_empty(),
        "{:?}",
        report.not_evaluated
    );

    // The removed Ingress API: the template has the apiVersion line.
    let api = of_rule(&report, "infra.k8s.deprecated-api");
    assert_eq!(api.len(), 1);
    assert_eq!(
        api[0].path.as_deref(),
        Some("charts/shop/templates/ingress.yaml")
    );
    assert_eq!(api[0].start_line, Some(1));
    assert!(
        api[0]
            .title
            .contains("rendered from shop/templates/ingress.yaml")
    );

    // hostNetwork is templated in place: the template's line is quoted.
    let host = of_rule(&report, "sec.k8s.host-namespace");
    assert_eq!(host.len(), 1);
    assert_eq!(
        host[0].path.as_deref(),
        Some("charts/shop/templates/deployment.yaml")
    );
    assert_eq!(
        host[0].evidence.as_deref(),
        Some("      hostNetwork: {{ .Values.hostNetwork | default false }}")
    );

    // privileged comes from `toYaml .Values.securityContext`: not in the template, so
    // the finding stays on the rendered document.
    let privileged = of_rule(&report, "sec.k8s.privileged");
    assert_eq!(privileged.len(), 1);
    assert_eq!(privileged[0].path.as_deref(), Some("<stdin>"));
    assert_eq!(
        privileged[0].evidence.as_deref(),
        Some("            privileged: true")
    );
    assert!(
        privileged[0]
            .title
            .contains("rendered from shop/templates/deployment.yaml")
    );

    // A document whose template is not in the repository names the rendered stream.
    let service: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.resources.iter().any(|r| r.starts_with("Service/")))
        .collect();
    assert!(!service.is_empty());
    assert!(service.iter().all(|f| f.path.as_deref() == Some("<stdin>")));
}

#[test]
fn charts_and_overlays_without_rendered_input_are_listed_not_evaluated() {
    let files = repo();
    let targets: Vec<SourceFile> = files
        .iter()
        .filter(|f| f.path != "helm-template.yaml")
        .cloned()
        .collect();
    let report = analyze(&targets, &[], &AnalyzerConfig::default());
    assert_eq!(
        report.not_evaluated,
        vec![
            "not evaluated: Helm chart charts/shop (pass --rendered with `helm template` output)",
            "not evaluated: Kustomize overlay overlays/prod (pass --rendered with `kustomize build` output)",
        ]
    );
    assert!(
        report.findings.is_empty(),
        "templates are not analyzed as YAML"
    );
    assert_eq!(report.files_analyzed, 0);

    // Kustomize output (no Source comments) covers the overlay, not the chart.
    let built = Rendered {
        label: "build.yaml".into(),
        content: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-prod\n".into(),
        templates: Vec::new(),
    };
    let report = analyze_inputs(
        &Inputs {
            targets: &targets,
            rendered: std::slice::from_ref(&built),
            ..Inputs::default()
        },
        &AnalyzerConfig::default(),
    );
    assert_eq!(
        report.not_evaluated,
        vec!["not evaluated: Helm chart charts/shop (pass --rendered with `helm template` output)"]
    );
}

//! Rendered Kubernetes: the multi-document output of `helm template` or `kustomize
//! build`, analyzed like any manifest stream, with findings mapped back to the files a
//! person edits.
//!
//! Helm writes `# Source: <chart>/templates/<file>` before each document. When the
//! caller found that template in the repository ([`Template`]), a finding on the
//! document points at the template line holding the same key (the k-th `replicas:` of
//! the document is the k-th `replicas:` of the template, or the template's only one)
//! and quotes that line of the template; when the key is not in the template (it came
//! from `toYaml .Values...`) or no template is known, the finding stays on the
//! rendered document and quotes it. Either way the evidence is the lines of the file
//! the finding names.
//!
//! Also here: which Helm charts and Kustomize overlays a change touches, so that they
//! are listed as not evaluated when nothing rendered them.

use crate::SourceFile;
use crate::source::SourceText;
use director_core::Finding;
use std::collections::{BTreeMap, BTreeSet};

/// One rendered stream and the repository templates its documents came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// How findings name the stream when they cannot point at a template: the rendered
    /// file's repository path, or `<stdin>`.
    pub label: String,
    /// The multi-document YAML.
    pub content: String,
    /// Templates named by the stream's `# Source:` comments that exist in the repository.
    pub templates: Vec<Template>,
}

/// A template file named by a `# Source:` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The path as the comment writes it (`shop/templates/deployment.yaml`).
    pub source: String,
    /// The repository file it maps to.
    pub file: SourceFile,
}

/// The `# Source:` paths of a rendered stream, in order, without duplicates.
pub fn rendered_sources(content: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    content
        .lines()
        .filter_map(source_comment)
        .filter(|s| seen.insert(s.to_string()))
        .map(str::to_string)
        .collect()
}

fn source_comment(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix('#')?.trim_start();
    let path = rest.strip_prefix("Source:")?.trim();
    (!path.is_empty()).then_some(path)
}

/// The `name` of a chart from its `Chart.yaml` text.
pub fn chart_name(chart_yaml: &str) -> Option<String> {
    let (docs, _) = crate::yaml::load("Chart.yaml", chart_yaml, "YAML");
    docs.first()?
        .get("name")
        .and_then(crate::yaml::Node::scalar_string)
}

/// A document of a rendered stream: its lines and its `# Source:`.
struct Doc {
    start: u32,
    end: u32,
    source: Option<String>,
}

fn documents(text: &str) -> Vec<Doc> {
    let mut docs = Vec::new();
    let mut current = Doc {
        start: 1,
        end: 0,
        source: None,
    };
    for (n, line) in (1u32..).zip(text.lines()) {
        if line == "---" || line.starts_with("--- ") {
            if current.end >= current.start {
                docs.push(current);
            }
            current = Doc {
                start: n + 1,
                end: n,
                source: None,
            };
            continue;
        }
        if current.source.is_none()
            && let Some(s) = source_comment(line)
        {
            current.source = Some(s.to_string());
        }
        current.end = n;
    }
    if current.end >= current.start {
        docs.push(current);
    }
    docs
}

/// The YAML key a line starts with (`- name: web` -> `name`).
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start().trim_start_matches("- ").trim_start();
    let (key, _) = t.split_once(':')?;
    let key = key.trim().trim_matches(['"', '\'']);
    (!key.is_empty() && !key.contains(' ') && !key.starts_with('#')).then_some(key)
}

/// 1-based lines of `src` within `range` whose key is `key`.
fn key_lines(src: &SourceText<'_>, range: (u32, u32), key: &str) -> Vec<u32> {
    (range.0..=range.1)
        .filter(|&n| key_of(src.line(n)) == Some(key))
        .collect()
}

/// Point findings on rendered streams at their templates where the key is found there.
pub(crate) fn remap(findings: &mut [Finding], streams: &[Rendered]) {
    for stream in streams {
        let rendered = SourceText::new(&stream.label, &stream.content);
        let docs = documents(&stream.content);
        let templates: BTreeMap<&str, SourceText<'_>> = stream
            .templates
            .iter()
            .map(|t| {
                (
                    t.source.as_str(),
                    SourceText::new(&t.file.path, &t.file.content),
                )
            })
            .collect();
        for f in findings
            .iter_mut()
            .filter(|f| f.path.as_deref() == Some(stream.label.as_str()))
        {
            let Some((start, _)) = f.lines() else {
                continue;
            };
            let Some(doc) = docs.iter().find(|d| d.start <= start && start <= d.end) else {
                continue;
            };
            let Some(source) = doc.source.as_deref() else {
                continue;
            };
            let target = templates
                .get(source)
                .and_then(|t| template_line(&rendered, doc, start, t).map(|line| (t, line)));
            *f = match target {
                Some((t, line)) => moved(f, t, line, source),
                None => annotated(f, source),
            };
        }
    }
}

/// The template line matching rendered line `start` of `doc`, by key and occurrence.
fn template_line(
    rendered: &SourceText<'_>,
    doc: &Doc,
    start: u32,
    template: &SourceText<'_>,
) -> Option<u32> {
    let key = key_of(rendered.line(start))?;
    let in_doc = key_lines(rendered, (doc.start, doc.end), key);
    let nth = in_doc.iter().position(|&n| n == start)?;
    let in_template = key_lines(template, (1, template.line_count()), key);
    match in_template.as_slice() {
        [only] => Some(*only),
        lines if lines.len() == in_doc.len() => lines.get(nth).copied(),
        _ => None,
    }
}

fn rebuilt(f: &Finding, path: &str, lines: (u32, u32), evidence: String, title: String) -> Finding {
    let mut out = Finding::evidence(
        &f.director,
        f.rule_id.as_deref().unwrap_or(""),
        f.severity,
        &f.category,
        title,
        f.resources.clone(),
        path,
        lines,
        evidence,
        f.recommendation.clone(),
    );
    out.directors = f.directors.clone();
    out
}

fn moved(f: &Finding, template: &SourceText<'_>, line: u32, source: &str) -> Finding {
    let (lines, evidence) = template.quote((line, line));
    let title = format!("{} (rendered from {source})", f.title);
    rebuilt(f, template.path, lines, evidence, title)
}

fn annotated(f: &Finding, source: &str) -> Finding {
    let mut out = f.clone();
    out.title = format!("{} (in the document rendered from {source})", f.title);
    out
}

/// Helm charts and Kustomize overlays among `targets` that no rendered stream covers,
/// as `not evaluated: ...` lines. `known` are all files seen (targets and related), to
/// read chart names from `Chart.yaml`.
pub(crate) fn unrendered(
    targets: &[SourceFile],
    known: &[&SourceFile],
    streams: &[Rendered],
) -> Vec<String> {
    let mut charts = BTreeSet::new();
    let mut overlays = BTreeSet::new();
    for f in targets {
        let (dir, name) = match f.path.rsplit_once('/') {
            Some((d, n)) => (d, n),
            None => (".", f.path.as_str()),
        };
        match name {
            "Chart.yaml" => {
                charts.insert(dir.to_string());
            }
            "kustomization.yaml" | "kustomization.yml" | "Kustomization" => {
                overlays.insert(dir.to_string());
            }
            _ => {}
        }
        if f.content.contains("{{")
            && let Some(chart) = chart_dir_of_template(&f.path)
        {
            charts.insert(chart);
        }
    }
    let rendered_charts: BTreeSet<String> = streams
        .iter()
        .flat_map(|s| rendered_sources(&s.content))
        .filter_map(|s| s.split('/').next().map(str::to_string))
        .collect();
    let kustomize_rendered = streams
        .iter()
        .any(|s| documents(&s.content).iter().any(|d| d.source.is_none()));
    let mut out = Vec::new();
    for dir in charts {
        let chart_yaml = if dir == "." {
            "Chart.yaml".to_string()
        } else {
            format!("{dir}/Chart.yaml")
        };
        let name = known
            .iter()
            .find(|f| f.path == chart_yaml)
            .and_then(|f| chart_name(&f.content))
            .unwrap_or_else(|| dir.rsplit('/').next().unwrap_or(&dir).to_string());
        if !rendered_charts.contains(&name) {
            out.push(format!(
                "not evaluated: Helm chart {dir} (pass --rendered with `helm template` output)"
            ));
        }
    }
    if !kustomize_rendered {
        for dir in overlays {
            out.push(format!("not evaluated: Kustomize overlay {dir} (pass --rendered with `kustomize build` output)"));
        }
    }
    out
}

/// `chart` for `chart/templates/x.yaml` (the folder holding the last `templates/`).
fn chart_dir_of_template(path: &str) -> Option<String> {
    if let Some(prefix) = path.strip_prefix("templates/") {
        return (!prefix.is_empty()).then(|| ".".to_string());
    }
    let (dir, _) = path.rsplit_once("/templates/")?;
    Some(dir.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_documents_and_keys() {
        let text = "---\n# Source: shop/templates/a.yaml\nkind: A\n---\n# Source: shop/templates/b.yaml\nkind: B\n---\nkind: C\n";
        assert_eq!(
            rendered_sources(text),
            vec!["shop/templates/a.yaml", "shop/templates/b.yaml"]
        );
        let docs = documents(text);
        assert_eq!(docs.len(), 3);
        assert_eq!((docs[0].start, docs[0].end), (2, 3));
        assert_eq!(docs[1].source.as_deref(), Some("shop/templates/b.yaml"));
        assert_eq!(docs[2].source, None);
        assert_eq!(key_of("  - name: web"), Some("name"));
        assert_eq!(key_of("      replicas: {{ .Values.r }}"), Some("replicas"));
        assert_eq!(key_of("{{- toYaml . | nindent 8 }}"), None);
        assert_eq!(
            chart_name("apiVersion: v2\nname: shop\nversion: 1.0.0\n"),
            Some("shop".into())
        );
        assert_eq!(
            chart_dir_of_template("charts/shop/templates/d.yaml"),
            Some("charts/shop".into())
        );
        assert_eq!(chart_dir_of_template("templates/d.yaml"), Some(".".into()));
        assert_eq!(chart_dir_of_template("k8s/d.yaml"), None);
    }
}

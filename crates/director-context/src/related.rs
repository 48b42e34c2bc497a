//! Related files: what a reviewer of the change needs to see although it did not
//! change. Terraform modules that changed `.tf` files call through a local
//! `source`, and Kubernetes objects (Service, HorizontalPodAutoscaler,
//! PodDisruptionBudget, NetworkPolicy) that select or target a changed Deployment,
//! StatefulSet, DaemonSet or ReplicaSet. Bounded in files visited, file size,
//! nesting depth ([`director_core::nesting`]) and results; symlinks are never
//! followed.

use crate::changes::{ChangeSet, HeadText, read_workdir_file};
use crate::text::is_dotenv_path;
use director_core::FileClass;
use director_core::nesting::yaml_too_deep;
use saphyr::{LoadableYamlNode, Yaml};
use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path};

/// Related files larger than this are skipped (and not read while looking for
/// selectors).
const MAX_RELATED_BYTES: u64 = 64 * 1024;
/// At most this many repository files are visited looking for selectors.
const MAX_SCAN_FILES: usize = 50_000;

/// A file outside the change worth showing, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedFile {
    /// Repository-relative path.
    pub path: String,
    /// Its text.
    pub content: String,
    /// Why it is related, e.g. `terraform module "db" used by infra/main.tf`.
    pub why: String,
}

/// Files outside the change that a reviewer of the change needs: Terraform modules
/// referenced by changed `.tf` files, and Kubernetes Services, HPAs,
/// PodDisruptionBudgets and NetworkPolicies that select or target a changed
/// Deployment or StatefulSet. At most `limit` files.
pub fn find_related(changes: &ChangeSet, root: &Path, limit: usize) -> Vec<RelatedFile> {
    let mut out = Vec::new();
    if limit == 0 {
        return out;
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let changed: HashSet<&str> = changes.files.iter().map(|f| f.path.as_str()).collect();
    let mut seen: HashSet<String> = HashSet::new();
    terraform_modules(changes, &root, &changed, limit, &mut seen, &mut out);
    if out.len() < limit {
        kubernetes_selectors(changes, &changed, limit, &mut seen, &mut out);
    }
    out
}

/// Join `rel` onto `base` lexically; `None` when `..` climbs above the root.
fn join_lexically(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for c in Path::new(rel).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(n) => parts.push(n.to_str()?),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

/// Read a small text file inside the (canonical) root without following symlinks;
/// never a `.env*` file.
fn read_small(root: &Path, rel: &str, max: u64) -> Option<String> {
    if is_dotenv_path(rel) {
        return None;
    }
    match read_workdir_file(root, root, rel, max) {
        HeadText::Text(text) => Some(text),
        _ => None,
    }
}

fn terraform_modules(
    changes: &ChangeSet,
    root: &Path,
    changed: &HashSet<&str>,
    limit: usize,
    seen: &mut HashSet<String>,
    out: &mut Vec<RelatedFile>,
) {
    for f in &changes.files {
        if !f.classes.contains(&FileClass::Terraform) || !f.path.ends_with(".tf") {
            continue;
        }
        let Some(content) = &f.content else { continue };
        let Ok(body) = hcl_edit::parser::parse_body(content) else {
            continue;
        };
        let dir = f.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        for block in body.get_blocks("module") {
            let name = block.labels.first().map(|l| l.as_str()).unwrap_or("?");
            let Some(source) = block
                .body
                .get_attribute("source")
                .and_then(|a| a.value.as_str())
            else {
                continue;
            };
            if !(source.starts_with("./") || source.starts_with("../")) {
                continue;
            }
            let Some(module_dir) = join_lexically(dir, source) else {
                continue;
            };
            let Ok(full) = root.join(&module_dir).canonicalize() else {
                continue;
            };
            if !full.starts_with(root) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&full) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tf"))
                .collect();
            names.sort();
            for file_name in names {
                let rel = if module_dir.is_empty() {
                    file_name
                } else {
                    format!("{module_dir}/{file_name}")
                };
                if changed.contains(rel.as_str()) || seen.contains(&rel) {
                    continue;
                }
                let Some(text) = read_small(root, &rel, MAX_RELATED_BYTES) else {
                    continue;
                };
                seen.insert(rel.clone());
                out.push(RelatedFile {
                    path: rel,
                    content: text,
                    why: format!(
                        "terraform module \"{name}\" (source \"{source}\") used by {}",
                        f.path
                    ),
                });
                if out.len() >= limit {
                    return;
                }
            }
        }
    }
}

/// A changed workload and the pod labels it runs with.
struct Workload {
    kind: String,
    name: String,
    namespace: Option<String>,
    labels: BTreeMap<String, String>,
    path: String,
}

fn scalar(y: &Yaml<'_>) -> Option<String> {
    if let Some(s) = y.as_str() {
        return Some(s.to_string());
    }
    if let Some(i) = y.as_integer() {
        return Some(i.to_string());
    }
    if let Some(b) = y.as_bool() {
        return Some(b.to_string());
    }
    y.as_floating_point().map(|f| f.to_string())
}

fn get<'a, 'i>(y: &'a Yaml<'i>, path: &[&str]) -> Option<&'a Yaml<'i>> {
    let mut cur = y;
    for key in path {
        cur = cur.as_mapping_get(key)?;
    }
    Some(cur)
}

fn string_map(y: Option<&Yaml<'_>>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(m) = y.and_then(|y| y.as_mapping()) {
        for (k, v) in m {
            if let (Some(k), Some(v)) = (scalar(k), scalar(v)) {
                out.insert(k, v);
            }
        }
    }
    out
}

/// The YAML documents of a manifest; none when it does not parse or nests deeper
/// than a parser's stack should follow.
fn load_docs(text: &str) -> Vec<Yaml<'_>> {
    if yaml_too_deep(text).is_some() {
        return Vec::new();
    }
    Yaml::load_from_str(text).unwrap_or_default()
}

fn workloads_of(changes: &ChangeSet) -> Vec<Workload> {
    let mut out = Vec::new();
    for f in &changes.files {
        if !f.classes.contains(&FileClass::Kubernetes) {
            continue;
        }
        let Some(content) = &f.content else { continue };
        for doc in load_docs(content) {
            let Some(kind) = get(&doc, &["kind"]).and_then(scalar) else {
                continue;
            };
            if !matches!(
                kind.as_str(),
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
            ) {
                continue;
            }
            let Some(name) = get(&doc, &["metadata", "name"]).and_then(scalar) else {
                continue;
            };
            out.push(Workload {
                kind,
                name,
                namespace: get(&doc, &["metadata", "namespace"]).and_then(scalar),
                labels: string_map(get(&doc, &["spec", "template", "metadata", "labels"])),
                path: f.path.clone(),
            });
        }
    }
    out
}

fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Why the object in `doc` relates to `w`, if it does.
fn relation(doc: &Yaml<'_>, w: &Workload) -> Option<String> {
    let kind = get(doc, &["kind"]).and_then(scalar)?;
    let name = get(doc, &["metadata", "name"])
        .and_then(scalar)
        .unwrap_or_else(|| "?".to_string());
    let ns = get(doc, &["metadata", "namespace"]).and_then(scalar);
    if let (Some(a), Some(b)) = (&ns, &w.namespace)
        && a != b
    {
        return None;
    }
    let hit = match kind.as_str() {
        "Service" => selects(&string_map(get(doc, &["spec", "selector"])), &w.labels),
        "PodDisruptionBudget" => selects(
            &string_map(get(doc, &["spec", "selector", "matchLabels"])),
            &w.labels,
        ),
        "NetworkPolicy" => selects(
            &string_map(get(doc, &["spec", "podSelector", "matchLabels"])),
            &w.labels,
        ),
        "HorizontalPodAutoscaler" => {
            get(doc, &["spec", "scaleTargetRef", "kind"])
                .and_then(scalar)
                .as_deref()
                == Some(w.kind.as_str())
                && get(doc, &["spec", "scaleTargetRef", "name"])
                    .and_then(scalar)
                    .as_deref()
                    == Some(w.name.as_str())
        }
        _ => false,
    };
    hit.then(|| {
        let verb = if kind == "HorizontalPodAutoscaler" {
            "targets"
        } else {
            "selects"
        };
        format!(
            "{kind} \"{name}\" {verb} {} \"{}\" changed in {}",
            w.kind, w.name, w.path
        )
    })
}

fn kubernetes_selectors(
    changes: &ChangeSet,
    changed: &HashSet<&str>,
    limit: usize,
    seen: &mut HashSet<String>,
    out: &mut Vec<RelatedFile>,
) {
    let workloads = workloads_of(changes);
    if workloads.is_empty() {
        return;
    }
    // The run's one scan of the repository: walked once, each text read once.
    let scan = &changes.scan;
    for (visited, rel) in scan.files().iter().enumerate() {
        if visited >= MAX_SCAN_FILES || out.len() >= limit {
            return;
        }
        let lower = rel.to_ascii_lowercase();
        if !(lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")) {
            continue;
        }
        if changed.contains(rel.as_str()) || seen.contains(rel) {
            continue;
        }
        let Some(text) = scan.text(rel, MAX_RELATED_BYTES) else {
            continue;
        };
        if ![
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "NetworkPolicy",
        ]
        .iter()
        .any(|k| text.contains(k))
        {
            continue;
        }
        let mut why = Vec::new();
        for doc in load_docs(&text) {
            for w in &workloads {
                if let Some(reason) = relation(&doc, w) {
                    why.push(reason);
                }
            }
        }
        if why.is_empty() {
            continue;
        }
        seen.insert(rel.clone());
        out.push(RelatedFile {
            path: rel.clone(),
            content: text.to_string(),
            why: why.join("; "),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_join() {
        assert_eq!(
            join_lexically("infra", "./modules/db").as_deref(),
            Some("infra/modules/db")
        );
        assert_eq!(
            join_lexically("infra/env", "../modules/x").as_deref(),
            Some("infra/modules/x")
        );
        assert_eq!(join_lexically("", "../../etc"), None);
        assert_eq!(join_lexically("a", "/etc"), None);
    }

    #[test]
    fn deeply_nested_manifests_are_skipped_not_parsed() {
        // Parsed on a small stack: without the nesting guard these exhaust it.
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                for text in [
                    "[".repeat(100_000),
                    "{\"a\":".repeat(100_000),
                    format!("kind: Service\nspec: {}x\n", "- ".repeat(100_000)),
                    format!("kind: Service\nspec:\n{}x\n", "? ".repeat(100_000)),
                ] {
                    assert!(load_docs(&text).is_empty());
                }
                assert_eq!(load_docs("kind: Service\n").len(), 1);
            })
            .expect("spawn a test thread")
            .join()
            .expect("deep YAML overflowed the stack");
    }

    #[test]
    fn selector_matching() {
        let docs = load_docs(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    kind: Deployment\n    name: web\n---\nkind: Service\nmetadata:\n  name: other\nspec:\n  selector:\n    app: other\n",
        );
        let w = Workload {
            kind: "Deployment".into(),
            name: "web".into(),
            namespace: None,
            labels: [("app".to_string(), "web".to_string())].into(),
            path: "k8s/deploy.yaml".into(),
        };
        let hits: Vec<String> = docs.iter().filter_map(|d| relation(d, &w)).collect();
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert!(hits[0].starts_with("Service \"web\" selects Deployment \"web\""));
        assert!(hits[1].contains("targets"));
    }
}

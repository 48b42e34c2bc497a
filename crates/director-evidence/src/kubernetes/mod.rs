//! Kubernetes manifests: documents (and `List` items) become [`Manifest`]s with their
//! address, namespace, environment and line range; autoscalers and disruption budgets
//! from every file (targets and related) are indexed so the workload rules can ask
//! "does anything scale or protect this Deployment?".

mod api_versions;
mod checks;
mod hardening;
mod operations;

use crate::SourceFile;
use crate::emit::Sink;
use crate::env::{self, EnvGuess};
use crate::error::EvidenceError;
use crate::source::SourceText;
use crate::yaml::{self, Node};

/// One Kubernetes object.
pub(crate) struct Manifest<'a> {
    pub src: &'a SourceText<'a>,
    pub node: &'a Node,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub target: bool,
    pub env: EnvGuess,
}

impl<'a> Manifest<'a> {
    /// `Kind/name`, or `Kind/namespace/name` when a namespace is set.
    pub fn address(&self) -> String {
        match self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    /// The line that identifies the object: its `metadata.name`, else its first line.
    pub fn header(&self) -> (u32, u32) {
        let line = self
            .node
            .get("metadata")
            .and_then(|m| m.entry("name"))
            .map_or(self.node.start, |e| e.key_line);
        (line, line)
    }

    /// The pod spec of a workload: `None` if the kind has no pod template, `Some(None)`
    /// if it should have one but the manifest is malformed there.
    pub fn pod_spec(&self) -> Option<Option<&'a Node>> {
        let path: &[&str] = match self.kind {
            "Pod" => &["spec"],
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job"
            | "DeploymentConfig" => &["spec", "template", "spec"],
            "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
            "PodTemplate" => &["template", "spec"],
            _ => return None,
        };
        Some(self.node.path(path).filter(|n| n.is_map()))
    }

    /// Labels of the pod template (or of the pod itself).
    pub fn pod_labels(&self) -> Vec<(String, String)> {
        let labels = match self.kind {
            "Pod" => self.node.path(&["metadata", "labels"]),
            "CronJob" => self.node.path(&[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "metadata",
                "labels",
            ]),
            _ => self.node.path(&["spec", "template", "metadata", "labels"]),
        };
        labels.map(Node::scalar_pairs).unwrap_or_default()
    }
}

/// An autoscaler (HorizontalPodAutoscaler or KEDA ScaledObject) and what it targets.
pub(crate) struct Scaler<'a> {
    pub target_kind: &'a str,
    pub target_name: &'a str,
    pub namespace: Option<&'a str>,
    pub max: Option<i64>,
    pub cpu: bool,
    pub memory: bool,
}

/// A PodDisruptionBudget's selector.
pub(crate) struct Budget<'a> {
    pub namespace: Option<&'a str>,
    pub match_labels: Vec<(String, String)>,
    /// Selectors this analyzer does not evaluate (`matchExpressions`) count as matching.
    pub opaque: bool,
}

/// Everything known across the analyzed Kubernetes files.
pub(crate) struct Index<'a> {
    pub manifests: Vec<Manifest<'a>>,
    pub scalers: Vec<Scaler<'a>>,
    pub budgets: Vec<Budget<'a>>,
}

/// Namespaces match if equal, or if either is unset (kustomize and `kubectl -n` set it later).
pub(crate) fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Analyze Kubernetes manifests; `files` pairs each file with "is a target".
pub(crate) fn analyze(
    files: &[(&SourceFile, bool)],
    sink: &mut Sink<'_>,
    errors: &mut Vec<EvidenceError>,
) {
    // Each file parses on its own: on all cores, in file order.
    let loaded = director_core::par::map(files, |(file, _)| {
        let format = if file.path.to_ascii_lowercase().ends_with(".json") {
            "JSON"
        } else {
            "YAML"
        };
        yaml::load(&file.path, &file.content, format)
    });
    let mut parsed = Vec::with_capacity(files.len());
    for ((file, target), (docs, errs)) in files.iter().zip(loaded) {
        if *target {
            errors.extend(errs);
        }
        parsed.push((SourceText::new(&file.path, &file.content), docs, *target));
    }
    let task_env = sink.config().environment;
    let mut manifests = Vec::new();
    for (src, docs, target) in &parsed {
        for doc in docs {
            collect(src, doc, *target, task_env, &mut manifests);
        }
    }
    let index = build_index(manifests);
    for m in index.manifests.iter().filter(|m| m.target) {
        checks::check(m, &index, sink);
    }
    operations::check(&index, sink);
}

fn collect<'a>(
    src: &'a SourceText<'a>,
    node: &'a Node,
    target: bool,
    task_env: Option<director_core::Environment>,
    out: &mut Vec<Manifest<'a>>,
) {
    let Some(kind) = node.get("kind").and_then(Node::as_str) else {
        return;
    };
    if kind == "List" || (kind.ends_with("List") && node.get("items").is_some()) {
        for item in node.get("items").map(Node::items).unwrap_or_default() {
            collect(src, item, target, task_env, out);
        }
        return;
    }
    let metadata = node.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(Node::as_str)
        .unwrap_or("");
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Node::as_str);
    let env = guess_env(src.path, node, name, namespace, task_env);
    out.push(Manifest {
        src,
        node,
        kind,
        name,
        namespace,
        target,
        env,
    });
}

fn guess_env(
    path: &str,
    node: &Node,
    name: &str,
    namespace: Option<&str>,
    task_env: Option<director_core::Environment>,
) -> EnvGuess {
    if let Some(e) = task_env {
        return EnvGuess::known(e, "task".into());
    }
    let labels = node.path(&["metadata", "labels"]);
    for key in [
        "environment",
        "env",
        "app.kubernetes.io/environment",
        "stage",
        "tier",
    ] {
        if let Some(value) = labels.and_then(|l| l.get(key)).and_then(Node::as_str)
            && let Some(e) = env::from_tag_value(value)
        {
            return EnvGuess::known(e, format!("label `{key}: {value}`"));
        }
    }
    if let Some(ns) = namespace
        && let Some(e) = env::from_name(ns)
    {
        return EnvGuess::known(e, format!("namespace `{ns}`"));
    }
    if let Some(e) = env::from_name(name) {
        return EnvGuess::known(e, format!("name `{name}`"));
    }
    match env::from_path(path) {
        Some(e) => EnvGuess::known(e, format!("path `{path}`")),
        None => EnvGuess::unknown(),
    }
}

/// The `kind` and `name` of a HorizontalPodAutoscaler's `spec.scaleTargetRef`.
pub(crate) fn hpa_target(hpa: &Node) -> Option<(&str, &str)> {
    let target = hpa.path(&["spec", "scaleTargetRef"])?;
    let kind = target.get("kind").and_then(Node::as_str)?;
    let name = target.get("name").and_then(Node::as_str)?;
    Some((kind, name))
}

fn build_index(manifests: Vec<Manifest<'_>>) -> Index<'_> {
    let mut scalers = Vec::new();
    let mut budgets = Vec::new();
    for m in &manifests {
        match m.kind {
            "HorizontalPodAutoscaler" => {
                let spec = m.node.get("spec");
                let Some((kind, name)) = hpa_target(m.node) else {
                    continue;
                };
                let mut cpu = spec
                    .and_then(|s| s.get("targetCPUUtilizationPercentage"))
                    .is_some();
                let mut memory = false;
                for metric in spec
                    .and_then(|s| s.get("metrics"))
                    .map(Node::items)
                    .unwrap_or_default()
                {
                    match metric.path(&["resource", "name"]).and_then(Node::as_str) {
                        Some("cpu") => cpu = true,
                        Some("memory") => memory = true,
                        _ => {}
                    }
                }
                scalers.push(Scaler {
                    target_kind: kind,
                    target_name: name,
                    namespace: m.namespace,
                    max: spec
                        .and_then(|s| s.get("maxReplicas"))
                        .and_then(Node::as_i64),
                    cpu,
                    memory,
                });
            }
            "ScaledObject" => {
                let spec = m.node.get("spec");
                let target = spec.and_then(|s| s.get("scaleTargetRef"));
                let Some(name) = target.and_then(|t| t.get("name")).and_then(Node::as_str) else {
                    continue;
                };
                let kind = target
                    .and_then(|t| t.get("kind"))
                    .and_then(Node::as_str)
                    .unwrap_or("Deployment");
                let triggers = spec
                    .and_then(|s| s.get("triggers"))
                    .map(Node::items)
                    .unwrap_or_default();
                let has = |t: &str| {
                    triggers
                        .iter()
                        .any(|tr| tr.get("type").and_then(Node::as_str) == Some(t))
                };
                scalers.push(Scaler {
                    target_kind: kind,
                    target_name: name,
                    namespace: m.namespace,
                    max: Some(
                        spec.and_then(|s| s.get("maxReplicaCount"))
                            .and_then(Node::as_i64)
                            .unwrap_or(100),
                    ),
                    cpu: has("cpu"),
                    memory: has("memory"),
                });
            }
            "PodDisruptionBudget" => {
                let selector = m.node.path(&["spec", "selector"]);
                let match_labels = selector
                    .and_then(|s| s.get("matchLabels"))
                    .map(Node::scalar_pairs)
                    .unwrap_or_default();
                let opaque = selector.and_then(|s| s.get("matchExpressions")).is_some();
                budgets.push(Budget {
                    namespace: m.namespace,
                    match_labels,
                    opaque,
                });
            }
            _ => {}
        }
    }
    Index {
        manifests,
        scalers,
        budgets,
    }
}

//! The Kubernetes rules: autoscaling, replicas and disruption budgets per workload;
//! resources, probes, images and security context per container; namespaces and
//! PodSecurityPolicies per object.

use super::{Index, Manifest, Scaler, hpa_target, same_namespace};
use crate::dockerfile::is_unpinned;
use crate::emit::{Hit, Sink};
use crate::env::Policy;
use crate::rules::{
    K8S_DEFAULT_NAMESPACE, K8S_HPA_FIXED, K8S_IMAGE_LATEST, K8S_IMAGE_NO_DIGEST, K8S_LOW_UID,
    K8S_NO_CPU_LIMIT, K8S_NO_CPU_REQUEST, K8S_NO_HPA, K8S_NO_LIVENESS, K8S_NO_MEMORY_LIMIT,
    K8S_NO_MEMORY_REQUEST, K8S_NO_PDB, K8S_NO_READINESS, K8S_PRIV_ESCALATION, K8S_PRIVILEGED,
    K8S_PSP_ROOT, K8S_RUN_AS_ROOT, K8S_SINGLE_REPLICA, Rule,
};
use crate::yaml::{Entry, Node, Value};

/// Kinds that live outside namespaces, or are build-time files rather than cluster
/// objects (the default-namespace rule skips them).
const NOT_NAMESPACED: &[&str] = &[
    "Kustomization",
    "Component",
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "PodSecurityPolicy",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "ClusterIssuer",
    "ComponentStatus",
    "List",
];

pub(super) struct Ctx<'m, 'a, 's, 'c> {
    pub(super) m: &'m Manifest<'a>,
    pub(super) sink: &'s mut Sink<'c>,
}

impl Ctx<'_, '_, '_, '_> {
    /// Report `rule` on the manifest with evidence `lines`.
    pub(super) fn emit(&mut self, rule: &Rule, lines: (u32, u32), title: String, fix: String) {
        self.emit_with(rule, lines, title, fix, None);
    }

    /// As [`Ctx::emit`], with a policy other than the rule's default.
    pub(super) fn emit_with(
        &mut self,
        rule: &Rule,
        lines: (u32, u32),
        title: String,
        fix: String,
        policy: Option<Policy>,
    ) {
        self.sink.emit(Hit {
            rule,
            src: self.m.src,
            lines,
            resource: self.m.address(),
            env: &self.m.env,
            title,
            fix,
            policy,
        });
    }
}

/// Run every Kubernetes rule on one target manifest.
pub(super) fn check(m: &Manifest<'_>, index: &Index<'_>, sink: &mut Sink<'_>) {
    let mut cx = Ctx { m, sink };
    default_namespace(&mut cx);
    super::api_versions::check(&mut cx);
    match m.kind {
        "HorizontalPodAutoscaler" => autoscaler(&mut cx),
        "PodSecurityPolicy" => pod_security_policy(&mut cx),
        "ConfigMap" => super::hardening::config_map(&mut cx),
        _ => {}
    }
    let Some(pod_spec) = m.pod_spec() else { return };
    if let Some(spec) = pod_spec {
        super::hardening::pod(&mut cx, spec);
    }
    let scalers: Vec<&Scaler<'_>> = index
        .scalers
        .iter()
        .filter(|s| {
            s.target_kind == m.kind
                && s.target_name == m.name
                && same_namespace(s.namespace, m.namespace)
        })
        .collect();
    scaling(&mut cx, index, &scalers);
    match pod_spec {
        Some(spec) => containers(&mut cx, spec, &scalers),
        None => {
            // A pod spec that is not a mapping cannot set a non-root user.
            let line = m.node.entry("spec").map_or(m.node.start, |e| e.key_line);
            cx.emit(
                &K8S_RUN_AS_ROOT,
                (line, line),
                format!(
                    "{} has a malformed pod spec, so nothing prevents running as root",
                    m.address()
                ),
                "Fix the pod spec and set securityContext.runAsNonRoot: true.".into(),
            );
        }
    }
}

fn default_namespace(cx: &mut Ctx<'_, '_, '_, '_>) {
    let m = cx.m;
    if NOT_NAMESPACED.contains(&m.kind) || m.kind.is_empty() {
        return;
    }
    if (m.kind == "ServiceAccount" && m.name == "default")
        || (m.kind == "Service" && m.name == "kubernetes")
    {
        return;
    }
    let ns_entry = m.node.get("metadata").and_then(|md| md.entry("namespace"));
    match ns_entry {
        Some(e) if e.value.as_str() == Some("default") => cx.emit(
            &K8S_DEFAULT_NAMESPACE,
            (e.key_line, e.key_line),
            format!("{} is placed in the default namespace", m.address()),
            "Move it to a namespace of its own.".into(),
        ),
        Some(_) => {}
        None => cx.emit(
            &K8S_DEFAULT_NAMESPACE,
            m.header(),
            format!(
                "{} sets no namespace and lands in `default` unless one is applied",
                m.address()
            ),
            "Set metadata.namespace (or apply one with kustomize `namespace:`).".into(),
        ),
    }
}

fn autoscaler(cx: &mut Ctx<'_, '_, '_, '_>) {
    let m = cx.m;
    let Some(spec) = m.node.get("spec") else {
        return;
    };
    let min = spec.entry("minReplicas");
    let max = spec.entry("maxReplicas");
    let min_value = min.and_then(|e| e.value.as_i64()).unwrap_or(1);
    let target = hpa_target(m.node).map_or_else(
        || "its target".to_string(),
        |(kind, name)| format!("{kind}/{name}"),
    );
    if let Some(max) = max
        && max.value.as_i64() == Some(min_value)
    {
        let first = min.map_or(max.key_line, |e| e.key_line.min(max.key_line));
        let last = min.map_or(max.key_line, |e| e.key_line.max(max.key_line));
        cx.emit(
            &K8S_HPA_FIXED,
            (first, last),
            format!(
                "{} pins {target} at {min_value} replicas (minReplicas = maxReplicas)",
                m.address()
            ),
            "Raise maxReplicas above minReplicas so the workload can scale out under load.".into(),
        );
    }
    if min_value < 2 {
        let lines = min.map_or_else(|| m.header(), |e| (e.key_line, e.key_line));
        cx.emit(
            &K8S_SINGLE_REPLICA,
            lines,
            format!(
                "{} lets {target} scale down to {min_value} replica(s)",
                m.address()
            ),
            "Set minReplicas to at least 2 so one pod failure does not take the service down."
                .into(),
        );
    }
}

fn scaling(cx: &mut Ctx<'_, '_, '_, '_>, index: &Index<'_>, scalers: &[&Scaler<'_>]) {
    let m = cx.m;
    let scalable = matches!(m.kind, "Deployment" | "StatefulSet");
    let replicated = matches!(
        m.kind,
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" | "DeploymentConfig"
    );
    if !replicated {
        return;
    }
    let spec = m.node.get("spec");
    let replicas_entry = spec.and_then(|s| s.entry("replicas"));
    let replicas = match replicas_entry {
        Some(e) => match e.value.as_i64() {
            Some(n) => Some(n),
            // A templated or malformed count: nothing to judge.
            None => return,
        },
        None => None,
    };
    let replica_lines = replicas_entry.map_or_else(|| m.header(), |e| (e.key_line, e.key_line));
    if scalers.is_empty() {
        if scalable {
            let count = replicas.map_or_else(|| "the default 1".to_string(), |n| n.to_string());
            cx.emit(
                &K8S_NO_HPA,
                replica_lines,
                format!("{} has no autoscaler; it runs a fixed {count} replica(s)", m.address()),
                format!(
                    "Add a HorizontalPodAutoscaler with scaleTargetRef kind: {} name: {} (minReplicas >= 2, a sensible maxReplicas, CPU/memory utilization targets), and set resource requests on its containers.",
                    m.kind, m.name
                ),
            );
        }
        if replicas.is_none_or(|n| n == 1) {
            cx.emit(
                &K8S_SINGLE_REPLICA,
                replica_lines,
                format!("{} runs a single replica", m.address()),
                "Run at least 2 replicas (spread across nodes/zones) so one pod or node failure does not take the service down.".into(),
            );
        }
    }
    let peak = scalers
        .iter()
        .filter_map(|s| s.max)
        .max()
        .unwrap_or(0)
        .max(replicas.unwrap_or(if scalers.is_empty() { 1 } else { 0 }));
    if peak >= 2 {
        let labels = m.pod_labels();
        let covered = index.budgets.iter().any(|b| {
            same_namespace(b.namespace, m.namespace)
                && (b.opaque
                    || (!b.match_labels.is_empty()
                        && b.match_labels.iter().all(|kv| labels.contains(kv))))
        });
        if !covered {
            cx.emit(
                &K8S_NO_PDB,
                m.header(),
                format!("{} runs up to {peak} replicas with no PodDisruptionBudget", m.address()),
                "Add a PodDisruptionBudget (e.g. maxUnavailable: 1) whose selector matches the pod template labels.".into(),
            );
        }
    }
}

struct Container<'a> {
    node: &'a Node,
    name: String,
    init: bool,
}

fn containers(cx: &mut Ctx<'_, '_, '_, '_>, spec: &Node, scalers: &[&Scaler<'_>]) {
    let m = cx.m;
    let mut list = Vec::new();
    for (key, init) in [("initContainers", true), ("containers", false)] {
        for c in spec.get(key).map(Node::items).unwrap_or_default() {
            if c.is_map() {
                let name = c
                    .get("name")
                    .and_then(Node::scalar_string)
                    .unwrap_or_default();
                list.push(Container {
                    node: c,
                    name,
                    init,
                });
            }
        }
    }
    let pod_sc = spec.get("securityContext").filter(|n| n.is_map());
    let long_running = !matches!(m.kind, "Job" | "CronJob");
    let containers_key = spec.entry("containers");
    let malformed =
        containers_key.is_some_and(|e| !matches!(e.value.value, Value::Seq(_) | Value::Null));
    let no_containers = !malformed && list.iter().all(|c| c.init);

    for c in &list {
        let head = (c.node.start, c.node.start);
        let label = if c.name.is_empty() {
            "container".to_string()
        } else {
            format!("container `{}`", c.name)
        };
        if !c.init {
            resources(cx, c, &label, scalers);
            if long_running {
                for (key, rule, what) in [
                    ("livenessProbe", &K8S_NO_LIVENESS, "liveness"),
                    ("readinessProbe", &K8S_NO_READINESS, "readiness"),
                ] {
                    if c.node.get(key).is_none_or(Node::is_null) {
                        cx.emit(
                            rule,
                            head,
                            format!("{label} of {} has no {what} probe", m.address()),
                            format!("Add a {key} (httpGet, tcpSocket or exec) to {label}."),
                        );
                    }
                }
            }
        }
        image(cx, c, &label);
        security(cx, c, &label, pod_sc, spec);
    }

    // A pod with no (regular) containers and no pod-level non-root setting.
    if no_containers && !pod_non_root(pod_sc) {
        let line = containers_key.map_or_else(|| m.header().0, |e| e.key_line);
        cx.emit(
            &K8S_RUN_AS_ROOT,
            (line, line),
            format!("{} does not require non-root containers", m.address()),
            "Set spec.securityContext.runAsNonRoot: true.".into(),
        );
    }
}

fn resources(
    cx: &mut Ctx<'_, '_, '_, '_>,
    c: &Container<'_>,
    label: &str,
    scalers: &[&Scaler<'_>],
) {
    let m = cx.m;
    let entry = c.node.entry("resources");
    let res = entry.map(|e| &e.value);
    if res.is_some_and(|r| !r.is_map() && !r.is_null()) {
        return; // Malformed (e.g. a list): nothing to judge.
    }
    let lines = entry.map_or((c.node.start, c.node.start), Entry::lines);
    let cpu_scaled = scalers.iter().any(|s| s.cpu);
    let memory_scaled = scalers.iter().any(|s| s.memory);
    for (section, what, rule, scaled) in [
        ("requests", "cpu", &K8S_NO_CPU_REQUEST, cpu_scaled),
        ("requests", "memory", &K8S_NO_MEMORY_REQUEST, memory_scaled),
        ("limits", "cpu", &K8S_NO_CPU_LIMIT, false),
        ("limits", "memory", &K8S_NO_MEMORY_LIMIT, false),
    ] {
        let part = res.and_then(|r| r.get(section));
        if part.is_some_and(|p| !p.is_map() && !p.is_null()) {
            continue; // Malformed section.
        }
        if part.and_then(|p| p.get(what)).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let (title, policy) = if scaled {
            (
                format!(
                    "{label} of {} has no {what} request, so its {what}-utilization autoscaler cannot scale it",
                    m.address()
                ),
                Some(Policy::Critical),
            )
        } else {
            (
                format!(
                    "{label} of {} has no {what} {}",
                    m.address(),
                    section.trim_end_matches('s')
                ),
                None,
            )
        };
        cx.emit_with(
            rule,
            lines,
            title,
            format!("Set resources.{section}.{what} on {label}."),
            policy,
        );
    }
}

fn image(cx: &mut Ctx<'_, '_, '_, '_>, c: &Container<'_>, label: &str) {
    let m = cx.m;
    let Some(entry) = c.node.entry("image") else {
        return;
    };
    let Some(image) = entry.value.as_str() else {
        return;
    };
    if image.contains('$') || image.contains("{{") {
        return;
    }
    let lines = entry.lines();
    if is_unpinned(image) {
        cx.emit(
            &K8S_IMAGE_LATEST,
            lines,
            format!("{label} of {} uses unpinned image `{image}`", m.address()),
            "Pin the image to a version tag or digest so rollouts and rollbacks are reproducible."
                .into(),
        );
    }
    if !image.contains('@') {
        cx.emit(
            &K8S_IMAGE_NO_DIGEST,
            lines,
            format!("{label} of {} does not pin `{image}` by digest", m.address()),
            "Reference the image as `name@sha256:<digest>` (tools like kustomize or Renovate can maintain it).".into(),
        );
    }
}

/// Whether a `runAsUser` and `runAsNonRoot` pair keeps the process off UID 0: an
/// explicit user decides, else `runAsNonRoot: true` does.
fn runs_non_root(user: Option<i64>, non_root: Option<bool>) -> bool {
    match user {
        Some(0) => false,
        Some(u) if u > 0 => true,
        _ => non_root == Some(true),
    }
}

fn pod_non_root(pod_sc: Option<&Node>) -> bool {
    runs_non_root(
        pod_sc
            .and_then(|s| s.get("runAsUser"))
            .and_then(Node::as_i64),
        pod_sc
            .and_then(|s| s.get("runAsNonRoot"))
            .and_then(Node::as_bool),
    )
}

fn security(
    cx: &mut Ctx<'_, '_, '_, '_>,
    c: &Container<'_>,
    label: &str,
    pod_sc: Option<&Node>,
    spec: &Node,
) {
    let m = cx.m;
    let sc_entry = c.node.entry("securityContext");
    let sc = sc_entry.map(|e| &e.value).filter(|n| n.is_map());
    let lines_of = |key: &str| sc.and_then(|s| s.entry(key)).map(Entry::lines);
    let head = (c.node.start, c.node.start);

    // Effective user: the container's settings override the pod's.
    let non_root = sc
        .and_then(|s| s.get("runAsNonRoot"))
        .and_then(Node::as_bool)
        .or_else(|| {
            pod_sc
                .and_then(|s| s.get("runAsNonRoot"))
                .and_then(Node::as_bool)
        });
    let user = sc
        .and_then(|s| s.get("runAsUser"))
        .and_then(Node::as_i64)
        .or_else(|| {
            pod_sc
                .and_then(|s| s.get("runAsUser"))
                .and_then(Node::as_i64)
        });
    if !runs_non_root(user, non_root) {
        let lines = lines_of("runAsUser")
            .or_else(|| lines_of("runAsNonRoot"))
            .unwrap_or(head);
        cx.emit(
            &K8S_RUN_AS_ROOT,
            lines,
            format!("{label} of {} may run as root", m.address()),
            format!(
                "Set securityContext.runAsNonRoot: true (and a non-zero runAsUser) for {label}."
            ),
        );
    }
    let private_user_ns = spec.get("hostUsers").and_then(Node::as_bool) == Some(false);
    if !private_user_ns && user.is_none_or(|u| u < 10_000) {
        let lines = lines_of("runAsUser").unwrap_or(head);
        cx.emit(
            &K8S_LOW_UID,
            lines,
            format!(
                "{label} of {} does not run with a UID >= 10000",
                m.address()
            ),
            "Set securityContext.runAsUser to 10000 or more (or hostUsers: false).".into(),
        );
    }
    if let Some(lines) = lines_of("privileged")
        && sc.and_then(|s| s.get("privileged")).and_then(Node::as_bool) == Some(true)
    {
        cx.emit(
            &K8S_PRIVILEGED,
            lines,
            format!("{label} of {} runs privileged", m.address()),
            "Remove privileged: true; add only the specific capabilities the container needs."
                .into(),
        );
    }
    let escalation = sc
        .and_then(|s| s.get("allowPrivilegeEscalation"))
        .and_then(Node::as_bool);
    if escalation != Some(false) {
        let lines = lines_of("allowPrivilegeEscalation").unwrap_or(head);
        cx.emit(
            &K8S_PRIV_ESCALATION,
            lines,
            format!("{label} of {} allows privilege escalation", m.address()),
            format!("Set securityContext.allowPrivilegeEscalation: false for {label}."),
        );
    }
}

fn pod_security_policy(cx: &mut Ctx<'_, '_, '_, '_>) {
    let m = cx.m;
    let run_as = m.node.path(&["spec", "runAsUser"]);
    let rule = run_as.and_then(|r| r.get("rule")).and_then(Node::as_str);
    let ok = match rule {
        Some("MustRunAsNonRoot") => true,
        Some("MustRunAs") => {
            let ranges = run_as
                .and_then(|r| r.get("ranges"))
                .map(Node::items)
                .unwrap_or_default();
            !ranges.is_empty()
                && ranges.iter().all(|r| {
                    r.get("min")
                        .and_then(Node::as_i64)
                        .is_some_and(|min| min > 0)
                })
        }
        _ => false,
    };
    if !ok {
        let lines = m
            .node
            .get("spec")
            .and_then(|s| s.entry("runAsUser"))
            .map_or_else(|| m.header(), Entry::lines);
        cx.emit(
            &K8S_PSP_ROOT,
            lines,
            format!("{} admits containers running as root", m.address()),
            "Use runAsUser.rule: MustRunAsNonRoot, or MustRunAs with ranges whose min is at least 1.".into(),
        );
    }
}

//! Operational facts and checks of Kubernetes manifests that the per-workload rules do
//! not cover: Prometheus alert rules, Grafana dashboards and restore drills anywhere in
//! the repository
//! (facts the Terraform monitoring and recovery rules use), and probes whose timeout
//! is as long as their period.

use super::{Index, Manifest};
use crate::emit::{Hit, Sink};
use crate::rules::K8S_PROBE_TIMEOUT;
use crate::yaml::Node;

/// The probe kinds of a container.
const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];
/// Kubernetes' defaults for a probe's `timeoutSeconds` and `periodSeconds`.
const DEFAULT_TIMEOUT: i64 = 1;
const DEFAULT_PERIOD: i64 = 10;

/// Record repository-wide facts, then check the probes of every target workload.
pub(super) fn check(index: &Index<'_>, sink: &mut Sink<'_>) {
    for m in &index.manifests {
        let place = || format!("{} in {}", m.address(), m.src.path);
        match m.kind {
            "PrometheusRule" if has_alert(m.node) => sink.facts.alerting.push(place()),
            "GrafanaDashboard" => sink.facts.dashboards.push(place()),
            "ConfigMap"
                if m.node
                    .path(&["metadata", "labels", "grafana_dashboard"])
                    .is_some() =>
            {
                sink.facts.dashboards.push(place());
            }
            "Job" | "CronJob" if m.name.to_ascii_lowercase().contains("restore") => {
                sink.facts.restore_jobs.push(place());
            }
            _ => {}
        }
    }
    for m in index.manifests.iter().filter(|m| m.target) {
        probe_timeouts(m, sink);
    }
}

/// True if the rule groups of a `PrometheusRule` hold at least one `alert:` rule
/// (recording rules alone alert nobody).
fn has_alert(node: &Node) -> bool {
    node.path(&["spec", "groups"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .flat_map(|g| g.get("rules").map(Node::items).unwrap_or_default())
        .any(|r| r.get("alert").is_some_and(|a| !a.is_null()))
}

/// A probe whose timeout is at least its period runs back to back: a slow endpoint is
/// probed again before the last probe gave up, and failures pile up into restarts.
fn probe_timeouts(m: &Manifest<'_>, sink: &mut Sink<'_>) {
    let Some(Some(spec)) = m.pod_spec() else {
        return;
    };
    for key in ["initContainers", "containers"] {
        for c in spec.get(key).map(Node::items).unwrap_or_default() {
            for probe_key in PROBES {
                let Some(entry) = c.entry(probe_key).filter(|e| e.value.is_map()) else {
                    continue;
                };
                let probe = &entry.value;
                let timeout = probe.get("timeoutSeconds").and_then(Node::as_i64);
                let period = probe.get("periodSeconds").and_then(Node::as_i64);
                let (t, p) = (
                    timeout.unwrap_or(DEFAULT_TIMEOUT),
                    period.unwrap_or(DEFAULT_PERIOD),
                );
                if t < p {
                    continue;
                }
                let line = probe
                    .entry("timeoutSeconds")
                    .map_or(entry.key_line, |e| e.key_line);
                let name = c.get("name").and_then(Node::as_str).unwrap_or("container");
                sink.emit(Hit {
                    rule: &K8S_PROBE_TIMEOUT,
                    src: m.src,
                    lines: (line, line),
                    resource: m.address(),
                    env: &m.env,
                    title: format!(
                        "{probe_key} of container `{name}` in {} times out after {t}s but runs every {p}s",
                        m.address()
                    ),
                    fix: format!(
                        "Set {probe_key}.timeoutSeconds well below periodSeconds (e.g. timeoutSeconds: {} with periodSeconds: {}).",
                        (p / 3).max(1),
                        p.max(t + 1)
                    ),
                    policy: None,
                });
            }
        }
    }
}

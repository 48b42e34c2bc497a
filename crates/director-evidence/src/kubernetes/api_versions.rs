//! Kubernetes API versions that have been removed: a manifest still using one fails
//! to apply on clusters at or after the release that removed it, and holds back the
//! next cluster upgrade. The table follows the Kubernetes deprecated API migration
//! guide (removals in 1.16, 1.22, 1.25, 1.26, 1.27, 1.29 and 1.32).

use super::checks::Ctx;
use crate::rules::K8S_DEPRECATED_API;

/// A removed API: group/version, kind (`*` for every kind of the group/version), the
/// release that removed it, and what to use instead.
struct Removed {
    api_version: &'static str,
    kind: &'static str,
    removed_in: &'static str,
    replacement: &'static str,
}

const fn r(
    api_version: &'static str,
    kind: &'static str,
    removed_in: &'static str,
    replacement: &'static str,
) -> Removed {
    Removed {
        api_version,
        kind,
        removed_in,
        replacement,
    }
}

/// Removed API versions. Specific kinds come before the `*` entry of their group.
const REMOVED: &[Removed] = &[
    // 1.16
    r("extensions/v1beta1", "Deployment", "1.16", "apps/v1"),
    r("extensions/v1beta1", "DaemonSet", "1.16", "apps/v1"),
    r("extensions/v1beta1", "ReplicaSet", "1.16", "apps/v1"),
    r(
        "extensions/v1beta1",
        "NetworkPolicy",
        "1.16",
        "networking.k8s.io/v1",
    ),
    r(
        "extensions/v1beta1",
        "PodSecurityPolicy",
        "1.16",
        "policy/v1beta1 (itself removed in 1.25: use Pod Security Admission)",
    ),
    r("apps/v1beta1", "*", "1.16", "apps/v1"),
    r("apps/v1beta2", "*", "1.16", "apps/v1"),
    // 1.22
    r(
        "extensions/v1beta1",
        "Ingress",
        "1.22",
        "networking.k8s.io/v1",
    ),
    r(
        "networking.k8s.io/v1beta1",
        "*",
        "1.22",
        "networking.k8s.io/v1",
    ),
    r(
        "rbac.authorization.k8s.io/v1beta1",
        "*",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    r(
        "rbac.authorization.k8s.io/v1alpha1",
        "*",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    r(
        "admissionregistration.k8s.io/v1beta1",
        "*",
        "1.22",
        "admissionregistration.k8s.io/v1",
    ),
    r(
        "apiextensions.k8s.io/v1beta1",
        "*",
        "1.22",
        "apiextensions.k8s.io/v1",
    ),
    r(
        "apiregistration.k8s.io/v1beta1",
        "*",
        "1.22",
        "apiregistration.k8s.io/v1",
    ),
    r(
        "authentication.k8s.io/v1beta1",
        "*",
        "1.22",
        "authentication.k8s.io/v1",
    ),
    r(
        "authorization.k8s.io/v1beta1",
        "*",
        "1.22",
        "authorization.k8s.io/v1",
    ),
    r(
        "certificates.k8s.io/v1beta1",
        "*",
        "1.22",
        "certificates.k8s.io/v1",
    ),
    r(
        "coordination.k8s.io/v1beta1",
        "*",
        "1.22",
        "coordination.k8s.io/v1",
    ),
    r(
        "scheduling.k8s.io/v1beta1",
        "*",
        "1.22",
        "scheduling.k8s.io/v1",
    ),
    r(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        "1.27",
        "storage.k8s.io/v1",
    ),
    r("storage.k8s.io/v1beta1", "*", "1.22", "storage.k8s.io/v1"),
    // 1.25
    r("batch/v1beta1", "CronJob", "1.25", "batch/v1"),
    r(
        "discovery.k8s.io/v1beta1",
        "*",
        "1.25",
        "discovery.k8s.io/v1",
    ),
    r("events.k8s.io/v1beta1", "*", "1.25", "events.k8s.io/v1"),
    r("autoscaling/v2beta1", "*", "1.25", "autoscaling/v2"),
    r(
        "policy/v1beta1",
        "PodSecurityPolicy",
        "1.25",
        "Pod Security Admission (no replacement API)",
    ),
    r("policy/v1beta1", "*", "1.25", "policy/v1"),
    r("node.k8s.io/v1beta1", "*", "1.25", "node.k8s.io/v1"),
    // 1.26
    r("autoscaling/v2beta2", "*", "1.26", "autoscaling/v2"),
    r(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "*",
        "1.26",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    // 1.29
    r(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "*",
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    // 1.32
    r(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "*",
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// The removal that applies to `api_version` and `kind`, if any.
fn removal(api_version: &str, kind: &str) -> Option<&'static Removed> {
    REMOVED
        .iter()
        .find(|r| r.api_version == api_version && (r.kind == kind || r.kind == "*"))
}

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let m = cx.m;
    let Some(entry) = m.node.entry("apiVersion") else {
        return;
    };
    let Some(api_version) = entry.value.as_str() else {
        return;
    };
    let Some(removed) = removal(api_version, m.kind) else {
        return;
    };
    cx.emit(
        &K8S_DEPRECATED_API,
        (entry.key_line, entry.key_line),
        format!(
            "{} uses {api_version}, removed in Kubernetes {}",
            m.address(),
            removed.removed_in
        ),
        format!(
            "Change apiVersion to {} (check the migration notes for field changes) before upgrading to Kubernetes {} or later.",
            removed.replacement, removed.removed_in
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lookups() {
        assert_eq!(
            removal("extensions/v1beta1", "Ingress").unwrap().removed_in,
            "1.22"
        );
        assert_eq!(
            removal("extensions/v1beta1", "Deployment")
                .unwrap()
                .removed_in,
            "1.16"
        );
        assert!(removal("extensions/v1beta1", "Widget").is_none());
        assert_eq!(
            removal("batch/v1beta1", "CronJob").unwrap().removed_in,
            "1.25"
        );
        assert_eq!(
            removal("storage.k8s.io/v1beta1", "CSIStorageCapacity")
                .unwrap()
                .removed_in,
            "1.27"
        );
        assert_eq!(
            removal("storage.k8s.io/v1beta1", "StorageClass")
                .unwrap()
                .removed_in,
            "1.22"
        );
        assert!(removal("apps/v1", "Deployment").is_none());
        assert!(removal("autoscaling/v2", "HorizontalPodAutoscaler").is_none());
        assert_eq!(
            removal("autoscaling/v2beta2", "HorizontalPodAutoscaler")
                .unwrap()
                .removed_in,
            "1.26"
        );
    }
}

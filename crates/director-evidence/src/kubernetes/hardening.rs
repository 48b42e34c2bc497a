//! Pod hardening and plaintext configuration: host namespaces, hostPath and
//! container-runtime socket mounts, added Linux capabilities and writable root
//! filesystems per pod and container; secrets written into ConfigMaps.

use super::checks::Ctx;
use crate::env::Policy;
use crate::rules::{
    K8S_ADDED_CAPABILITIES, K8S_DOCKER_SOCKET, K8S_HOST_NAMESPACE, K8S_HOST_PATH,
    K8S_WRITABLE_ROOT_FS, SECRET_PLAINTEXT,
};
use crate::secrets;
use crate::yaml::{Node, Value};

/// Host paths of container runtime sockets (and the folders that hold them).
const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
];

/// Capabilities that amount to (nearly) root on the node.
const DANGEROUS_CAPABILITIES: &[&str] =
    &["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE"];

/// Pod-level and container-level hardening of a pod spec.
pub(super) fn pod(cx: &mut Ctx<'_, '_, '_, '_>, spec: &Node) {
    let address = cx.m.address();
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if let Some(e) = spec.entry(key)
            && e.value.as_bool() == Some(true)
        {
            cx.emit(
                &K8S_HOST_NAMESPACE,
                (e.key_line, e.key_line),
                format!("{address} sets {key}: true and shares the node's namespace"),
                format!("Remove {key}: true; expose the pod through a Service instead of the node's network, and keep processes and IPC private."),
            );
        }
    }
    for volume in spec.get("volumes").map(Node::items).unwrap_or_default() {
        host_path(cx, &address, volume);
    }
    for key in ["initContainers", "containers"] {
        for c in spec.get(key).map(Node::items).unwrap_or_default() {
            if c.is_map() {
                container(cx, &address, c);
            }
        }
    }
}

fn host_path(cx: &mut Ctx<'_, '_, '_, '_>, address: &str, volume: &Node) {
    let Some(entry) = volume.entry("hostPath") else {
        return;
    };
    let name = volume
        .get("name")
        .and_then(Node::scalar_string)
        .unwrap_or_default();
    let path_entry = entry.value.entry("path");
    let path = path_entry.and_then(|p| p.value.as_str()).unwrap_or("");
    let line = path_entry.map_or(entry.key_line, |p| p.key_line);
    if RUNTIME_SOCKETS.contains(&path.trim_end_matches('/')) {
        cx.emit(
            &K8S_DOCKER_SOCKET,
            (line, line),
            format!("{address} mounts the container runtime socket {path} (volume `{name}`)"),
            "Remove the socket mount; build images with kaniko or BuildKit rootless, and talk to the cluster through its API with a narrow ServiceAccount.".into(),
        );
        return;
    }
    cx.emit(
        &K8S_HOST_PATH,
        (line, line),
        format!("{address} mounts host path `{path}` (volume `{name}`)"),
        "Replace the hostPath volume with a PersistentVolumeClaim, emptyDir, ConfigMap or CSI volume; if node access is truly needed, mount it readOnly and document why.".into(),
    );
}

fn container(cx: &mut Ctx<'_, '_, '_, '_>, address: &str, c: &Node) {
    let label = c
        .get("name")
        .and_then(Node::scalar_string)
        .map_or_else(|| "container".to_string(), |n| format!("container `{n}`"));
    let sc_entry = c.entry("securityContext");
    let sc = sc_entry.map(|e| &e.value).filter(|n| n.is_map());
    if let Some(add) = sc
        .and_then(|s| s.path(&["capabilities"]))
        .and_then(|caps| caps.entry("add"))
    {
        let added: Vec<String> = add
            .value
            .items()
            .iter()
            .filter_map(Node::scalar_string)
            .collect();
        if !added.is_empty() {
            let dangerous = added.iter().any(|a| {
                let a = a.trim_start_matches("CAP_").to_ascii_uppercase();
                DANGEROUS_CAPABILITIES.contains(&a.as_str())
            });
            cx.emit_with(
                &K8S_ADDED_CAPABILITIES,
                add.lines(),
                format!("{label} of {address} adds capabilities: {}", added.join(", ")),
                format!("Drop ALL capabilities in {label} and add back only those the process needs (document each)."),
                dangerous.then_some(Policy::Exposure),
            );
        }
    }
    let read_only = sc.and_then(|s| s.entry("readOnlyRootFilesystem"));
    if read_only.and_then(|e| e.value.as_bool()) != Some(true) {
        let lines = read_only.map_or((c.start, c.start), |e| (e.key_line, e.key_line));
        cx.emit(
            &K8S_WRITABLE_ROOT_FS,
            lines,
            format!("{label} of {address} has a writable root filesystem"),
            format!("Set securityContext.readOnlyRootFilesystem: true in {label} and mount emptyDir volumes where it must write."),
        );
    }
}

/// Secrets in a ConfigMap's `data`: a secret-like key with a literal value, or a
/// recognisable token or assignment inside a multi-line value.
pub(super) fn config_map(cx: &mut Ctx<'_, '_, '_, '_>) {
    let m = cx.m;
    let Some(data) = m.node.get("data") else {
        return;
    };
    for entry in data.entries() {
        let Value::Str(value) = &entry.value.value else {
            continue;
        };
        let Some(found) = secrets::in_assignment(&entry.key, value) else {
            continue;
        };
        let span = entry.lines();
        let line = secrets::find_line(m.src, span, &found.needle).unwrap_or(entry.key_line);
        cx.emit(
            &SECRET_PLAINTEXT,
            (line, line),
            format!("{} holds {} in plain text (key `{}`)", m.address(), found.what, entry.key),
            "Move the value to a Secret (ideally synced from a secret manager by External Secrets or the CSI secrets driver), reference it with secretKeyRef, and rotate the exposed credential.".into(),
        );
    }
}

//! Repository-wide facts one analyzer establishes and another needs: the Kubernetes
//! analyzer finds Prometheus alert rules, the Terraform rules ask whether anything in
//! the repository alerts at all before they call a production data store unmonitored.
//! Facts come from every analyzed file, targets and related alike.

/// What the analyzers learned about the whole repository.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// Alerting defined outside Terraform (`PrometheusRule/name in path`), as evidence
    /// that the repository alerts on something.
    pub alerting: Vec<String>,
    /// Dashboards defined outside Terraform (a `GrafanaDashboard`, or a ConfigMap
    /// labelled `grafana_dashboard` for the Grafana sidecar).
    pub dashboards: Vec<String>,
    /// Restore drills defined outside Terraform (a Kubernetes Job or CronJob whose name
    /// says it restores a backup).
    pub restore_jobs: Vec<String>,
}

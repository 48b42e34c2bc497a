//! The rule catalogue: every rule's id, Director, category, title, help text, severity
//! policy, the seed's Failure Criterion it checks (if any) and the Checkov checks whose
//! failures it reports. Analyzers refer to these constants when they emit findings, so
//! ids cannot drift from the documentation.
//!
//! A rule's policy is written `Critical(Spof)` when the rule checks a Failure Criterion
//! at full strength (its severity is the criterion's row of the environment policy in
//! `director_core::criteria`), or `Important(NoDr)` and the like when it tags a weaker
//! check with the criterion it belongs to; a policy without a criterion tags none.

use crate::env::Policy;
use director_core::Criterion;
use serde::Serialize;

/// One rule: for docs, SARIF rule metadata and the peer comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable rule id, e.g. `infra.rds.single-az`.
    pub id: &'static str,
    /// The Director the rule reports to: `infrastructure` or `security`.
    pub director: &'static str,
    /// The seed's area, kebab-case (`scalability`, `reliability`, `cloud-resources`,
    /// `disaster-recovery`, `cost`, `iac-quality`, `monitoring`, `security`).
    pub category: &'static str,
    /// One line naming the problem the rule detects.
    pub title: &'static str,
    /// Why it matters and how to fix it.
    pub help: &'static str,
    /// Checkov check ids whose failures this rule also reports.
    pub checkov: &'static [&'static str],
    /// Other scanners' ids for the same check — Trivy (`AVD-…`), tfsec (`aws-…`),
    /// hadolint (`DL…`), kube-linter check names — used to drop a scanner's SARIF result
    /// that a native finding already covers.
    pub peers: &'static [&'static str],
    /// The seed's Failure Criterion the rule checks (`spof`, `no-dr`, …), if any: the
    /// gate names it, and `[gate] block_on_criteria` can relax it.
    pub criterion: Option<Criterion>,
}

/// A rule with the policy that turns the environment into a severity.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub info: RuleInfo,
    pub policy: Policy,
}

macro_rules! rules {
    ($( $konst:ident { $id:literal, $dir:literal, $cat:literal, $pol:ident $(($crit:ident))?, $title:literal, $help:literal, [$($ck:literal),*] $(, peers [$($tv:literal),*])? } )*) => {
        $(
            #[doc = $title]
            pub(crate) const $konst: Rule = Rule {
                info: RuleInfo {
                    id: $id,
                    director: $dir,
                    category: $cat,
                    title: $title,
                    help: $help,
                    checkov: &[$($ck),*],
                    peers: &[$($($tv),*)?],
                    criterion: rules!(@criterion $($crit)?),
                },
                policy: Policy::$pol,
            };
        )*
        static ALL: &[RuleInfo] = &[$($konst.info),*];
        /// Every rule with its policy, in catalogue order.
        pub(crate) static ALL_RULES: &[&Rule] = &[$(&$konst),*];
        /// Every rule with its policy, for the catalogue's own checks.
        #[cfg(test)]
        static RULES: &[Rule] = &[$($konst),*];
    };
    (@criterion) => { None };
    (@criterion $crit:ident) => { Some(Criterion::$crit) };
}

rules! {
    // ---- Kubernetes -------------------------------------------------------------
    K8S_NO_HPA { "infra.k8s.no-hpa", "infrastructure", "scalability", Critical(CannotScale),
        "Workload has no HorizontalPodAutoscaler",
        "A Deployment or StatefulSet with a fixed replica count cannot absorb traffic spikes. Add a HorizontalPodAutoscaler (or KEDA ScaledObject) targeting it, with CPU/memory requests set on its containers.",
        [] }
    K8S_HPA_FIXED { "infra.k8s.hpa-min-equals-max", "infrastructure", "scalability", Critical(CannotScale),
        "HorizontalPodAutoscaler has minReplicas equal to maxReplicas",
        "An autoscaler whose minimum equals its maximum never scales. Raise maxReplicas above minReplicas to the capacity the service needs at peak.",
        [] }
    K8S_NO_CPU_REQUEST { "infra.k8s.no-cpu-request", "infrastructure", "scalability", Important(CannotScale),
        "Container has no CPU request",
        "Without a CPU request the scheduler cannot place the pod sensibly and a CPU-utilization autoscaler cannot compute utilization. Set resources.requests.cpu.",
        ["CKV_K8S_10"], peers ["unset-cpu-requirements"] }
    K8S_NO_CPU_LIMIT { "infra.k8s.no-cpu-limit", "infrastructure", "scalability", Important,
        "Container has no CPU limit",
        "An unbounded container can starve its neighbours on the node. Set resources.limits.cpu (or document why CPU is deliberately unlimited).",
        ["CKV_K8S_11"] }
    K8S_NO_MEMORY_REQUEST { "infra.k8s.no-memory-request", "infrastructure", "scalability", Important(CannotScale),
        "Container has no memory request",
        "Without a memory request the pod can be scheduled onto a node that cannot hold it and is first in line for eviction. Set resources.requests.memory.",
        ["CKV_K8S_12"], peers ["unset-memory-requirements"] }
    K8S_NO_MEMORY_LIMIT { "infra.k8s.no-memory-limit", "infrastructure", "scalability", Important,
        "Container has no memory limit",
        "A leaking container without a memory limit can exhaust the node and take other pods down with it. Set resources.limits.memory.",
        ["CKV_K8S_13"] }
    K8S_NO_LIVENESS { "infra.k8s.no-liveness-probe", "infrastructure", "reliability", Important,
        "Container has no liveness probe",
        "Without a liveness probe a hung process keeps receiving traffic until someone restarts it. Add a livenessProbe.",
        ["CKV_K8S_8"], peers ["no-liveness-probe"] }
    K8S_NO_READINESS { "infra.k8s.no-readiness-probe", "infrastructure", "reliability", Important,
        "Container has no readiness probe",
        "Without a readiness probe pods receive traffic before they can serve it, during rollouts and restarts. Add a readinessProbe.",
        ["CKV_K8S_9"], peers ["no-readiness-probe"] }
    K8S_SINGLE_REPLICA { "infra.k8s.single-replica", "infrastructure", "reliability", Critical(Spof),
        "Workload runs a single replica",
        "One replica is a single point of failure: a node drain, crash or rollout takes the service down. Run at least 2 replicas (or an autoscaler with minReplicas >= 2).",
        [] }
    K8S_NO_PDB { "infra.k8s.no-pdb", "infrastructure", "reliability", Important(Spof),
        "Multi-replica workload has no PodDisruptionBudget",
        "Without a PodDisruptionBudget a node drain or cluster upgrade may evict every replica at once. Add a PodDisruptionBudget selecting the workload's pods.",
        [] }
    K8S_IMAGE_LATEST { "infra.k8s.image-latest", "infrastructure", "iac-quality", Important,
        "Container image uses the latest tag or no tag",
        "`latest` (or no tag) makes deployments irreproducible and rollbacks unreliable. Pin a version tag or a digest.",
        ["CKV_K8S_14"], peers ["AVD-KSV-0013", "latest-tag"] }
    K8S_IMAGE_NO_DIGEST { "infra.k8s.image-no-digest", "infrastructure", "iac-quality", Advice,
        "Container image is not pinned by digest",
        "Tags can be moved; a digest (`image@sha256:...`) guarantees the exact image that was reviewed is the one that runs.",
        ["CKV_K8S_43"] }
    K8S_DEFAULT_NAMESPACE { "infra.k8s.default-namespace", "infrastructure", "iac-quality", Advice,
        "Resource is placed in the default namespace",
        "Workloads in the default namespace share quotas, policies and RBAC with everything else. Give the resource its own namespace.",
        ["CKV_K8S_21"], peers ["use-namespace"] }
    K8S_RUN_AS_ROOT { "sec.k8s.run-as-root", "security", "security", Important,
        "Container may run as root",
        "Neither the pod nor the container sets runAsNonRoot: true or a non-zero runAsUser, so the image's default (often root) applies. Set securityContext.runAsNonRoot: true.",
        ["CKV_K8S_23"], peers ["AVD-KSV-0012", "run-as-non-root"] }
    K8S_LOW_UID { "sec.k8s.low-uid", "security", "security", Advice,
        "Container does not run with a high UID",
        "UIDs below 10000 may collide with host users if the container escapes. Set securityContext.runAsUser >= 10000 (or hostUsers: false).",
        ["CKV_K8S_40"] }
    K8S_PRIVILEGED { "sec.k8s.privileged", "security", "security", Exposure,
        "Container runs privileged",
        "A privileged container has full access to the host. Remove securityContext.privileged or grant only the capabilities it needs.",
        ["CKV_K8S_16"], peers ["AVD-KSV-0017", "privileged-container"] }
    K8S_PRIV_ESCALATION { "sec.k8s.privilege-escalation", "security", "security", Important,
        "Container allows privilege escalation",
        "allowPrivilegeEscalation defaults to true, letting setuid binaries gain privileges. Set securityContext.allowPrivilegeEscalation: false.",
        ["CKV_K8S_20"], peers ["AVD-KSV-0001", "privilege-escalation-container"] }
    K8S_PSP_ROOT { "sec.k8s.psp-allows-root", "security", "security", Important,
        "PodSecurityPolicy admits root containers",
        "The policy's runAsUser rule lets pods run as UID 0. Use rule MustRunAsNonRoot, or MustRunAs with ranges that exclude 0.",
        ["CKV_K8S_6"] }

    K8S_HOST_NAMESPACE { "sec.k8s.host-namespace", "security", "security", Exposure,
        "Pod shares the host's network, PID or IPC namespace",
        "hostNetwork, hostPID or hostIPC lets the pod see and reach the node's network stack, processes or shared memory, so one compromised container reaches the node. Remove them (use a Service, or a DaemonSet with narrow capabilities where node access is truly needed).",
        ["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"], peers ["AVD-KSV-0008", "AVD-KSV-0009", "AVD-KSV-0010"] }
    K8S_HOST_PATH { "sec.k8s.host-path", "security", "security", Important,
        "Pod mounts a hostPath volume",
        "A hostPath volume exposes the node's filesystem to the container; a writable one lets it tamper with the node. Use a PersistentVolumeClaim, emptyDir, ConfigMap or CSI volume instead.",
        [], peers ["AVD-KSV-0023"] }
    K8S_DOCKER_SOCKET { "sec.k8s.docker-socket", "security", "security", Exposure,
        "Pod mounts the container runtime socket",
        "Mounting docker.sock (or containerd/CRI-O sockets) gives the container root on the node: it can start privileged containers. Remove the mount; build images with a rootless builder (kaniko, buildkit) instead.",
        ["CKV_K8S_27"] }
    K8S_ADDED_CAPABILITIES { "sec.k8s.added-capabilities", "security", "security", Important,
        "Container adds Linux capabilities",
        "Added capabilities widen what a compromised container can do to the node (SYS_ADMIN, NET_ADMIN and ALL are nearly root). Drop ALL and add back only what the process needs, documented.",
        ["CKV_K8S_25"], peers ["AVD-KSV-0022"] }
    K8S_WRITABLE_ROOT_FS { "sec.k8s.writable-root-fs", "security", "security", Advice,
        "Container root filesystem is writable",
        "A writable root filesystem lets an attacker drop binaries and persist changes. Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the process must write.",
        ["CKV_K8S_22"], peers ["AVD-KSV-0014", "no-read-only-root-fs"] }
    K8S_DEPRECATED_API { "infra.k8s.deprecated-api", "infrastructure", "iac-quality", Important,
        "Manifest uses a Kubernetes API version that has been removed",
        "The apiVersion was removed from Kubernetes, so the manifest fails to apply on clusters at or after that release (and blocks the next upgrade). Move to the replacement version named in the finding; migrate stored objects with `kubectl convert` or the pluto/kubent tools.",
        [] }
    K8S_PROBE_TIMEOUT { "infra.k8s.probe-timeout", "infrastructure", "reliability", Important,
        "Probe timeout is not shorter than its period",
        "A probe whose timeoutSeconds is at least its periodSeconds (defaults 1 and 10) fires the next probe before the last one gave up: a slow endpoint piles up probes and turns latency into restarts. Keep timeoutSeconds well below periodSeconds.",
        [] }

    // ---- Terraform: databases ---------------------------------------------------
    RDS_SINGLE_AZ { "infra.rds.single-az", "infrastructure", "reliability", Critical(Spof),
        "Database runs in a single availability zone",
        "A single-AZ database is a single point of failure: an AZ outage or host failure takes it down with no automatic failover. Set multi_az = true (Aurora: run at least two cluster instances).",
        ["CKV_AWS_157"] }
    DB_BACKUP_RETENTION { "infra.db.backup-retention", "infrastructure", "disaster-recovery", Critical(NoDr),
        "Database backup retention is below the minimum",
        "Too short (or disabled) automated backups leave no point to restore to after corruption or deletion. Set backup_retention_period to at least the configured minimum (default 7 days; AWS allows at most 35).",
        ["CKV_AWS_133", "CKV_AWS_360", "CKV_AWS_361"] }
    DB_NO_DELETION_PROTECTION { "infra.db.no-deletion-protection", "infrastructure", "disaster-recovery", Important(NoDr),
        "Database has no deletion protection",
        "Without deletion protection one mistaken apply or console click destroys the database. Set deletion_protection = true.",
        ["CKV_AWS_293", "CKV_AWS_139", "CKV2_AWS_58"] }
    DB_UNENCRYPTED { "sec.db.unencrypted", "security", "security", Important,
        "Database storage is not encrypted",
        "Unencrypted storage exposes data and backups to anyone with access to the volumes or snapshots, and cannot be turned on later without a rebuild. Set storage_encrypted = true.",
        ["CKV_AWS_16", "CKV_AWS_96"] }
    RDS_NO_READ_REPLICA { "infra.rds.no-read-replica", "infrastructure", "disaster-recovery", Important(NoDr),
        "Production database has no read replica",
        "Without a replica there is no standby to promote when the primary or its region fails, and reads cannot be scaled out. Add an aws_db_instance with replicate_source_db pointing at it (ideally in another AZ or region).",
        [] }
    RDS_NO_CROSS_REGION_BACKUP { "infra.rds.no-cross-region-backup", "infrastructure", "disaster-recovery", Important(NoDr),
        "Production database has no cross-region backup",
        "Backups that live only in the database's region are lost with the region. Replicate automated backups (aws_db_instance_automated_backups_replication), copy snapshots to another region, or run a cross-region replica.",
        [] }
    RDS_NO_LOG_EXPORTS { "infra.rds.no-log-exports", "infrastructure", "monitoring", Important(NoMonitoring),
        "Database logs are not exported to CloudWatch",
        "Without exported logs, errors and slow queries cannot be searched or alerted on. Set enabled_cloudwatch_logs_exports.",
        ["CKV_AWS_129", "CKV_AWS_324"] }
    RDS_NO_ENHANCED_MONITORING { "infra.rds.no-enhanced-monitoring", "infrastructure", "monitoring", Advice,
        "Database has no enhanced monitoring",
        "Enhanced monitoring gives OS-level metrics (per-process CPU, memory, I/O) needed to debug incidents. Set monitoring_interval (e.g. 60) and monitoring_role_arn.",
        ["CKV_AWS_118"] }
    RDS_NO_PERFORMANCE_INSIGHTS { "infra.rds.no-performance-insights", "infrastructure", "monitoring", Advice,
        "Database has Performance Insights disabled",
        "Performance Insights shows which queries load the database. Set performance_insights_enabled = true.",
        ["CKV_AWS_353"] }
    REDSHIFT_NO_SNAPSHOTS { "infra.redshift.no-snapshots", "infrastructure", "disaster-recovery", Critical(NoDr),
        "Redshift cluster has automated snapshots disabled",
        "With automated_snapshot_retention_period = 0 there is no automated backup to restore. Keep it at 1 day or more.",
        ["CKV_AWS_343"] }
    ELASTICACHE_NO_BACKUPS { "infra.elasticache.no-backups", "infrastructure", "disaster-recovery", Important(NoDr),
        "Redis cache has no automatic backups",
        "snapshot_retention_limit is absent or 0, so a failed node loses its data. Set snapshot_retention_limit if the cache holds data that is expensive to rebuild.",
        ["CKV_AWS_134"] }
    ELASTICACHE_NO_FAILOVER { "infra.elasticache.no-failover", "infrastructure", "reliability", Critical(Spof),
        "Redis replication group has no automatic failover",
        "Without automatic failover the primary node is a single point of failure. Set automatic_failover_enabled = true (and multi_az_enabled = true) with at least one replica.",
        ["CKV2_AWS_50"] }
    DYNAMODB_NO_PITR { "infra.dynamodb.no-pitr", "infrastructure", "disaster-recovery", Critical(NoDr),
        "DynamoDB table has no point-in-time recovery",
        "Without point-in-time recovery a bad write or delete cannot be undone. Add point_in_time_recovery { enabled = true }.",
        ["CKV_AWS_28"] }
    DYNAMODB_NO_AUTOSCALING { "infra.dynamodb.no-autoscaling", "infrastructure", "scalability", Critical(CannotScale),
        "Provisioned DynamoDB table cannot scale",
        "A provisioned table without Application Auto Scaling throttles once traffic exceeds its fixed capacity. Add aws_appautoscaling_target/policy for it, or use billing_mode = \"PAY_PER_REQUEST\".",
        ["CKV2_AWS_16"] }
    BACKUP_NO_PLAN { "infra.backup.no-backup-plan", "infrastructure", "disaster-recovery", Important(NoDr),
        "Data store is not in any AWS Backup plan",
        "No aws_backup_selection in the repository covers this resource, so nothing backs it up. Add it to a backup plan (or back it up by tag).",
        ["CKV2_AWS_8", "CKV2_AWS_9", "CKV2_AWS_18"] }

    DB_PUBLIC { "sec.db.publicly-accessible", "security", "security", Exposure,
        "Database is publicly accessible",
        "publicly_accessible = true gives the database a public IP address; only its security group stands between it and the internet. Set publicly_accessible = false and reach it through the VPC (bastion, VPN, PrivateLink).",
        ["CKV_AWS_17"], peers ["aws-rds-no-public-db-access"] }
    DR_RPO_NOT_MET { "infra.dr.rpo-not-met", "infrastructure", "disaster-recovery", Critical(NoDr),
        "Data store cannot meet the recovery point objective",
        "The newest recovery point (point-in-time recovery, backup schedule or replica) is older than the configured rpo_minutes allows: a failure loses more data than the business accepts. Enable point-in-time recovery or continuous backup, or back up more often.",
        [] }
    DR_RTO_NOT_MET { "infra.dr.rto-not-met", "infrastructure", "disaster-recovery", Critical(NoDr),
        "Data store cannot meet the recovery time objective",
        "With no standby to fail over to, recovery means restoring a backup, which takes longer than the configured rto_minutes. Add a Multi-AZ standby or a promotable replica (or raise the objective).",
        [] }
    BACKUP_NO_RESTORE_TESTING { "infra.backup.no-restore-testing", "infrastructure", "disaster-recovery", Important(NoDr),
        "Backups are never test-restored",
        "An untested backup is a hope, not a recovery plan (\"untested restoration\" is a Failure Criterion). Add an aws_backup_restore_testing_plan with a selection for the plan's resources, or a scheduled restore drill (a job named *restore*).",
        [] }

    // ---- Terraform: compute, scaling, load balancing -----------------------------
    ASG_FIXED_SIZE { "infra.asg.fixed-size", "infrastructure", "scalability", Critical(CannotScale),
        "Auto scaling group or node group cannot scale",
        "min_size equals max_size, so capacity is fixed and traffic spikes cannot be absorbed. Raise max_size above min_size and attach a scaling policy.",
        [] }
    DEV_ALWAYS_ON { "infra.cost.dev-always-on", "infrastructure", "cost", Critical(CostWaste),
        "Non-production capacity never scales down",
        "A development or test group with min_size above 0 runs around the clock. Set min_size = 0 and scale it down outside working hours (scheduled actions or a scheduler).",
        [] }
    DEV_OVERSIZED { "infra.cost.dev-oversized", "infrastructure", "cost", Critical(CostWaste),
        "Oversized instance type outside production",
        "Production-sized instances in development or test waste money. Use a smaller (burstable) size; the largest acceptable size is configurable (dev_max_instance_size).",
        [] }
    ASG_LAUNCH_CONFIGURATION { "infra.asg.launch-configuration", "infrastructure", "iac-quality", Important,
        "Auto scaling group uses a launch configuration",
        "AWS deprecated launch configurations: they get no new instance types or features and new accounts cannot create them. Use a launch template.",
        ["CKV_AWS_315"] }
    ASG_UNTAGGED { "infra.asg.untagged-instances", "infrastructure", "cost", Cost,
        "Auto scaling group does not tag its instances",
        "Instances launched by the group carry no tags, so their cost cannot be attributed. Add tag blocks with propagate_at_launch = true.",
        ["CKV_AWS_153"] }
    ASG_NO_ELB_HEALTH_CHECK { "infra.asg.no-elb-health-check", "infrastructure", "reliability", Important,
        "Auto scaling group behind a load balancer does not use its health checks",
        "The group replaces instances only when EC2 says they are down, not when the load balancer sees them failing. Set health_check_type = \"ELB\" and give the load balancer or target group a health_check.",
        ["CKV2_AWS_15"] }
    TG_NO_HEALTH_CHECK { "infra.lb.target-group-no-health-check", "infrastructure", "reliability", Important,
        "HTTP(S) target group has no health check",
        "Without an explicit, enabled health check the load balancer probes `/` on defaults and may keep routing to broken targets. Add a health_check block with a path the service answers.",
        ["CKV_AWS_261"] }
    LB_NO_CROSS_ZONE { "infra.lb.no-cross-zone", "infrastructure", "reliability", Important,
        "Load balancer has cross-zone load balancing disabled",
        "Without cross-zone balancing an AZ with fewer healthy targets gets the same share of traffic and can be overloaded. Enable cross-zone load balancing.",
        ["CKV_AWS_138", "CKV_AWS_152"] }
    LB_NO_DELETION_PROTECTION { "infra.lb.no-deletion-protection", "infrastructure", "reliability", Important,
        "Production load balancer has no deletion protection",
        "Deleting the load balancer takes the service offline and changes its DNS name. Set enable_deletion_protection = true.",
        ["CKV_AWS_150"] }
    LB_NO_ACCESS_LOGS { "infra.lb.no-access-logs", "infrastructure", "monitoring", Important,
        "Load balancer has no access logs",
        "Without access logs failed requests and traffic anomalies cannot be investigated. Add an enabled access_logs block.",
        ["CKV_AWS_91", "CKV_AWS_92"] }
    LAMBDA_NO_DLQ { "infra.lambda.no-dlq", "infrastructure", "reliability", Advice,
        "Lambda function has no dead-letter queue",
        "Failed asynchronous invocations are dropped after retries. Add dead_letter_config (or an on-failure destination).",
        ["CKV_AWS_116"] }
    LAMBDA_NO_CONCURRENCY_LIMIT { "infra.lambda.no-concurrency-limit", "infrastructure", "scalability", Advice,
        "Lambda function has no reserved concurrency",
        "Without reserved concurrency one function can exhaust the account's concurrency and overwhelm downstream databases. Set reserved_concurrent_executions.",
        ["CKV_AWS_115"] }
    LAMBDA_NO_TRACING { "infra.lambda.no-tracing", "infrastructure", "monitoring", Advice,
        "Lambda function has no X-Ray tracing",
        "Without tracing, requests cannot be followed across services. Add tracing_config { mode = \"Active\" }.",
        ["CKV_AWS_50"] }
    EC2_NO_DETAILED_MONITORING { "infra.ec2.no-detailed-monitoring", "infrastructure", "monitoring", Advice,
        "EC2 instance has no detailed monitoring",
        "Basic monitoring reports every 5 minutes, too slow for alarms and autoscaling on short spikes. Set monitoring = true.",
        ["CKV_AWS_126"] }
    ECS_NO_CONTAINER_INSIGHTS { "infra.ecs.no-container-insights", "infrastructure", "monitoring", Advice,
        "ECS cluster has Container Insights disabled",
        "Container Insights provides per-task CPU, memory and restart metrics. Add setting { name = \"containerInsights\" value = \"enabled\" }.",
        ["CKV_AWS_65"] }
    ECS_NO_LOG_CONFIGURATION { "infra.ecs.no-log-configuration", "infrastructure", "monitoring", Important(NoMonitoring),
        "ECS container has no log configuration",
        "A container definition without logConfiguration sends its logs nowhere searchable. Add a logConfiguration (e.g. awslogs to a log group with retention).",
        [] }
    EKS_NO_CONTROL_PLANE_LOGS { "infra.eks.no-control-plane-logs", "infrastructure", "monitoring", Important(NoMonitoring),
        "EKS control plane logging is incomplete",
        "Without api, audit, authenticator, controllerManager and scheduler logs, cluster failures and access cannot be investigated. List all five in enabled_cluster_log_types.",
        ["CKV_AWS_37"] }
    VPC_NO_FLOW_LOGS { "infra.vpc.no-flow-logs", "infrastructure", "monitoring", Advice,
        "VPC has no flow logs",
        "Flow logs are the only record of network traffic for debugging connectivity and investigating incidents. Add an aws_flow_log for the VPC.",
        ["CKV2_AWS_11"] }
    LOGS_NO_RETENTION { "infra.logs.no-retention", "infrastructure", "cost", Cost(CostWaste),
        "Log group keeps logs forever",
        "Without retention_in_days CloudWatch keeps (and bills) every log line indefinitely. Set a retention period.",
        ["CKV_AWS_66"] }
    ALARM_WITHOUT_ACTIONS { "infra.monitoring.alarm-without-actions", "infrastructure", "monitoring", Important(NoMonitoring),
        "CloudWatch alarm notifies nobody",
        "An alarm with actions disabled or no alarm_actions changes state silently. Set actions_enabled = true and point alarm_actions at an on-call channel.",
        ["CKV_AWS_319"] }
    NO_ALARM { "infra.monitoring.no-alarm", "infrastructure", "monitoring", Important(NoMonitoring),
        "Critical resource has no CloudWatch alarm",
        "No aws_cloudwatch_metric_alarm in the repository watches this resource, so its failure would go unnoticed. Add alarms on its key metrics (or confirm it is monitored elsewhere).",
        [] }

    EC2_IMDSV1 { "sec.ec2.imdsv1", "security", "security", Important,
        "Instance metadata service allows IMDSv1",
        "IMDSv1 answers unauthenticated GET requests, so any SSRF in the instance's software leaks its IAM role credentials. Add metadata_options { http_tokens = \"required\" } (or http_endpoint = \"disabled\").",
        ["CKV_AWS_79"], peers ["AVD-AWS-0028", "AVD-AWS-0130", "aws-ec2-enforce-http-token-imds", "aws-ec2-enforce-launch-config-http-token-imds"] }
    EKS_PUBLIC_ENDPOINT { "sec.eks.public-endpoint", "security", "security", Important,
        "EKS API endpoint is open to the whole internet",
        "The public endpoint is enabled with public_access_cidrs absent or containing 0.0.0.0/0, so anyone can reach the Kubernetes API server. Set endpoint_public_access = false (with endpoint_private_access = true) or restrict public_access_cidrs.",
        ["CKV_AWS_38"], peers ["AVD-AWS-0041", "aws-eks-no-public-cluster-access-to-cidr"] }
    ASG_NO_SCALING_POLICY { "infra.asg.no-scaling-policy", "infrastructure", "scalability", Critical(CannotScale),
        "Scalable group has no scaling policy",
        "min_size is below max_size, but no scaling policy or schedule moves the group, so it stays at its desired capacity whatever the load. Attach a target-tracking aws_autoscaling_policy (or aws_appautoscaling_policy for ECS).",
        [] }
    LAMBDA_DEFAULT_TIMEOUT { "infra.lambda.default-timeout", "infrastructure", "reliability", Important,
        "Lambda function relies on the default 3-second timeout",
        "Without `timeout` the function is killed after 3 seconds, which is rarely what its work or its downstream calls need. Set `timeout` from the function's measured latency.",
        [] }
    LAMBDA_TIMEOUT_OVER_GATEWAY { "infra.lambda.timeout-exceeds-api-gateway", "infrastructure", "reliability", Important,
        "Lambda behind API Gateway outlives the gateway's timeout",
        "API Gateway gives up after 29 seconds while the function keeps running (and clients retry into duplicate work). Keep the function's timeout under the integration timeout, or make the work asynchronous.",
        [] }
    LB_LONG_IDLE_TIMEOUT { "infra.lb.long-idle-timeout", "infrastructure", "reliability", Important,
        "Load balancer keeps idle connections for a long time",
        "An idle_timeout far above the 60-second default holds connections of hung clients and targets open and exhausts connection slots. Keep it near 60 s (and below the targets' keep-alive), raising it only for streaming endpoints.",
        [] }
    LB_STICKY_SESSIONS { "infra.lb.sticky-sessions", "infrastructure", "scalability", Important(CannotScale),
        "Target group pins clients to one target (sticky sessions)",
        "Stickiness means the service keeps session state in its instances: scaling in or losing a target drops sessions and new targets take no load from pinned clients. Keep session state in a shared store and turn stickiness off.",
        [] }
    QUEUE_NO_DLQ { "infra.queue.no-dead-letter", "infrastructure", "reliability", Important,
        "Queue has no dead-letter queue",
        "Without a redrive policy a message that always fails is retried until it expires, blocking consumers and hiding the failure. Add a redrive_policy to a dead-letter queue (and alarm on its depth).",
        [] }
    TIER_DEV_CLASS_IN_PRODUCTION { "infra.tier.dev-class-in-production", "infrastructure", "cloud-resources", Critical(WrongTier),
        "Production resource uses a development-tier class",
        "Burstable micro/small instances (t2/t3/t3a/t4g) and burstable database or cache classes run out of CPU credits under sustained production load. Use a general-purpose or memory-optimised class (m/r/c families) in production.",
        [] }
    TIER_PRODUCTION_TIER_IN_DEV { "infra.tier.production-tier-in-dev", "infrastructure", "cloud-resources", Critical(WrongTier),
        "Non-production resource uses production-tier features",
        "Multi-AZ standbys and provisioned-IOPS storage double or triple the bill of a development or test database without serving anyone. Use single-AZ gp3 storage outside production.",
        [] }
    TIER_SINGLE_NODE_CACHE { "infra.tier.single-node-cache", "infrastructure", "cloud-resources", Critical(WrongTier),
        "Production cache runs on a single node",
        "A single-node Redis/Valkey cluster is a development setup: a node failure empties the cache and sends every request to the database. Use a replication group with a replica and automatic failover.",
        [] }
    NO_ALERTING { "infra.monitoring.no-alerting", "infrastructure", "monitoring", Critical(NoMonitoring),
        "Production resources are added with no alerting anywhere in the repository",
        "Nothing in the repository alerts: no CloudWatch alarm, Datadog or New Relic monitor, Grafana or Prometheus alert rule, SLO or PagerDuty service. Failures of the new resources would go unnoticed. Add alerts on their key metrics routed to on-call.",
        [] }
    NO_DASHBOARD { "infra.monitoring.no-dashboard", "infrastructure", "monitoring", Important(NoMonitoring),
        "No dashboard shows the new production resources",
        "No dashboard (CloudWatch, Datadog, Grafana, New Relic, Google or Azure) exists in the repository, so the health of the new resources cannot be seen at a glance during an incident. Add one with their key metrics.",
        [] }
    ALARM_TOPIC_UNSUBSCRIBED { "infra.monitoring.alarm-topic-no-subscription", "infrastructure", "monitoring", Important(NoMonitoring),
        "Alarm notifies an SNS topic nobody subscribes to",
        "The alarm's SNS topic has no subscription (email, PagerDuty, Opsgenie, Chatbot, Lambda) in the repository, so nobody on call hears it. Subscribe the on-call channel to the topic.",
        [] }

    // ---- Terraform: storage ------------------------------------------------------
    S3_NO_VERSIONING { "infra.s3.no-versioning", "infrastructure", "disaster-recovery", Important(NoDr),
        "S3 bucket has no versioning",
        "Without versioning an overwrite or delete is permanent. Enable versioning (aws_s3_bucket_versioning with status = \"Enabled\").",
        ["CKV_AWS_21"] }
    S3_NO_LIFECYCLE { "infra.s3.no-lifecycle", "infrastructure", "cost", Cost(CostWaste),
        "S3 bucket has no lifecycle rules",
        "Without lifecycle rules objects (and old versions) stay in the hottest storage class forever. Add aws_s3_bucket_lifecycle_configuration with transitions and expirations.",
        ["CKV2_AWS_61"] }
    S3_NO_ABORT_MULTIPART { "infra.s3.no-abort-multipart-upload", "infrastructure", "cost", Advice(CostWaste),
        "S3 lifecycle does not abort incomplete multipart uploads",
        "Incomplete multipart uploads are billed until removed. Add an enabled bucket-wide rule with abort_incomplete_multipart_upload.",
        ["CKV_AWS_300"] }
    S3_NO_REPLICATION { "infra.s3.no-replication", "infrastructure", "disaster-recovery", Advice(NoDr),
        "S3 bucket has no cross-region replication",
        "Objects exist in one region only. Replicate buckets holding data you cannot recreate.",
        ["CKV_AWS_144"] }
    S3_NO_KMS { "sec.s3.no-kms-encryption", "security", "security", Advice,
        "S3 bucket is not encrypted with a KMS key",
        "S3-managed keys give no key policy or key-usage audit trail. Use sse_algorithm = \"aws:kms\" with a customer-managed key for sensitive data.",
        ["CKV_AWS_145"] }
    EBS_UNENCRYPTED { "sec.ebs.unencrypted", "security", "security", Important,
        "EBS volume is not encrypted",
        "Unencrypted volumes and their snapshots expose data at rest. Set encrypted = true (or enable EBS encryption by default).",
        ["CKV_AWS_3", "CKV_AWS_8"] }
    EFS_UNENCRYPTED { "sec.efs.unencrypted", "security", "security", Important,
        "EFS file system is not encrypted",
        "Encryption at rest cannot be enabled on an existing file system. Set encrypted = true.",
        ["CKV_AWS_42"] }
    EKS_SECRETS_UNENCRYPTED { "sec.eks.secrets-unencrypted", "security", "security", Important,
        "EKS cluster does not encrypt Kubernetes secrets",
        "Secrets are stored in etcd without envelope encryption. Add encryption_config with resources = [\"secrets\"] and a KMS key.",
        ["CKV_AWS_58"] }
    KMS_NO_ROTATION { "sec.kms.no-rotation", "security", "security", Advice,
        "KMS key rotation is disabled",
        "Symmetric customer-managed keys should rotate. Set enable_key_rotation = true.",
        ["CKV_AWS_7"] }

    S3_NO_PUBLIC_ACCESS_BLOCK { "sec.s3.no-public-access-block", "security", "security", Important,
        "S3 bucket has no public access block",
        "Without an aws_s3_bucket_public_access_block that blocks public ACLs and public policies, a later ACL or bucket policy can make objects public. Add one for the bucket with all four settings true (block_public_acls, block_public_policy, ignore_public_acls, restrict_public_buckets), or block public access account-wide.",
        ["CKV2_AWS_6"], peers ["AVD-AWS-0094", "aws-s3-specify-public-access-block"] }
    S3_PUBLIC_ACL { "sec.s3.public-acl", "security", "security", Exposure,
        "S3 bucket ACL grants public access",
        "A public-read, public-read-write, website or authenticated-read ACL (or a grant to AllUsers / AuthenticatedUsers) exposes the bucket's objects to anyone. Use the private ACL (or object ownership BucketOwnerEnforced) and serve public content through CloudFront with origin access control.",
        ["CKV_AWS_20"], peers ["AVD-AWS-0092", "aws-s3-no-public-access-with-acl"] }

    // ---- Terraform: network exposure ---------------------------------------------
    SG_OPEN_SSH { "sec.sg.open-ssh", "security", "security", Exposure,
        "Security group opens SSH (22) to the internet",
        "SSH reachable from 0.0.0.0/0 or ::/0 is scanned and brute-forced constantly. Restrict the source to a bastion, VPN or SSM Session Manager.",
        ["CKV_AWS_24"] }
    SG_OPEN_RDP { "sec.sg.open-rdp", "security", "security", Exposure,
        "Security group opens RDP (3389) to the internet",
        "RDP reachable from the internet is a top ransomware entry point. Restrict the source to a VPN or bastion.",
        ["CKV_AWS_25"] }
    SG_OPEN_ALL { "sec.sg.open-all-ports", "security", "security", Exposure,
        "Security group opens all ports to the internet",
        "Every port, including SSH, RDP and databases, is reachable from 0.0.0.0/0 or ::/0. Allow only the ports and sources the service needs.",
        ["CKV_AWS_277", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260"] }
    SG_OPEN_HTTP { "sec.sg.open-http", "security", "security", Advice,
        "Security group opens plain HTTP (80) to the internet",
        "Plain HTTP from the internet is fine only to redirect to HTTPS. Make sure port 80 does nothing else, or close it.",
        ["CKV_AWS_260"] }
    NACL_OPEN_SSH { "sec.nacl.open-ssh", "security", "security", Advice,
        "Network ACL allows SSH (22) from the internet",
        "The subnet's ACL lets SSH in from anywhere; security groups are then the only barrier. Deny 22 from 0.0.0.0/0 before broader allow rules.",
        ["CKV_AWS_232"] }
    EKS_NODE_SSH_OPEN { "sec.eks.node-ssh-open", "security", "security", Exposure,
        "EKS node group allows SSH from anywhere",
        "remote_access with an SSH key and no source_security_group_ids opens port 22 on every node to 0.0.0.0/0. Set source_security_group_ids or drop remote_access.",
        ["CKV_AWS_100"] }

    LB_HTTP_LISTENER { "sec.lb.http-listener", "security", "security", Important,
        "Load balancer listener serves plain HTTP without redirecting",
        "An HTTP listener that forwards traffic sends requests, cookies and tokens unencrypted. Make port 80 a redirect to HTTPS (default_action type = \"redirect\", protocol = \"HTTPS\") and serve on an HTTPS listener.",
        ["CKV_AWS_2", "CKV_AWS_103"], peers ["AVD-AWS-0054", "aws-elb-http-not-used"] }
    LB_OUTDATED_TLS { "sec.lb.outdated-tls", "security", "security", Important,
        "Load balancer listener allows TLS older than 1.2",
        "The listener's ssl_policy (or its default, ELBSecurityPolicy-2016-08) accepts TLS 1.0/1.1, which are deprecated and fail compliance scans. Use ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS 1.2+ policy).",
        ["CKV_AWS_103"], peers ["AVD-AWS-0047", "aws-elb-use-secure-tls-policy"] }

    // ---- Terraform: IAM ----------------------------------------------------------
    IAM_WILDCARD_ADMIN { "sec.iam.wildcard-admin", "security", "security", Exposure,
        "IAM policy allows every action on every resource",
        "A statement allowing Action \"*\" on Resource \"*\" is full administrator access: whoever holds it can do anything in the account, including granting themselves more. Grant the specific actions on the specific resources the workload uses.",
        ["CKV_AWS_62", "CKV_AWS_1"], peers ["AVD-AWS-0057", "aws-iam-no-policy-wildcards"] }
    IAM_PASSROLE_WILDCARD { "sec.iam.passrole-wildcard", "security", "security", Important,
        "IAM policy allows iam:PassRole on every role",
        "iam:PassRole on Resource \"*\" lets the holder hand any role (an administrator's included) to a service it controls, a classic privilege escalation. Limit Resource to the role ARNs the workload must pass, ideally with an iam:PassedToService condition.",
        [] }

    // ---- Terraform: IaC quality and tagging --------------------------------------
    TF_MODULE_UNPINNED { "infra.tf.module-unpinned", "infrastructure", "iac-quality", Important,
        "Terraform module source is not pinned to a version",
        "An unpinned module changes under you on the next init. Registry modules need a version; git sources need ?ref= with a version tag or commit.",
        ["CKV_TF_2"] }
    TAGS_MISSING { "infra.tags.missing", "infrastructure", "cost", Cost,
        "Resource is missing required tags",
        "Cost tracking and ownership depend on tags. Add the required tag keys (configurable; default Environment, Owner, CostCenter), e.g. via the provider's default_tags.",
        [] }

    NO_BUDGET { "infra.cost.no-budget", "infrastructure", "cost", Important(CostWaste),
        "New account or environment has no budget or cost alert",
        "The change creates an account, project, subscription or environment but no budget (aws_budgets_budget, google_billing_budget, azurerm_consumption_budget_*) watches its spend, so a runaway bill is noticed at the end of the month. Add a budget with alert notifications.",
        [] }
    NAMING_CONVENTION { "infra.naming.convention", "infrastructure", "cloud-resources", Cost,
        "Resource name does not follow the naming convention",
        "The team's naming convention (`[evidence] naming`, a pattern per resource type) keeps ownership, environment and purpose readable in consoles and bills. Rename the resource to match.",
        [] }

    // ---- Terraform: Azure --------------------------------------------------------
    AZURE_NO_ZONE_REDUNDANCY { "infra.azure.no-zone-redundancy", "infrastructure", "reliability", Important(Spof),
        "Azure resource is not zone redundant",
        "A zone outage takes the resource down. Enable zone redundancy (zone_balancing_enabled / zone_redundant = true).",
        ["CKV_AZURE_225", "CKV_AZURE_229"] }
    AZURE_KV_NO_PURGE_PROTECTION { "infra.azure.keyvault-no-purge-protection", "infrastructure", "disaster-recovery", Important(NoDr),
        "Key vault has no purge protection",
        "Without purge protection a deleted vault (and every key in it) can be purged before it is recovered. Set purge_protection_enabled = true.",
        ["CKV_AZURE_110", "CKV_AZURE_42"] }
    AZURE_KV_SOFT_DELETE_OFF { "infra.azure.keyvault-soft-delete-disabled", "infrastructure", "disaster-recovery", Critical(NoDr),
        "Key vault has soft delete disabled",
        "A deleted vault is gone immediately, with every key that encrypts your data. Remove soft_delete_enabled = false.",
        ["CKV_AZURE_111", "CKV_AZURE_42"] }
    AZURE_STORAGE_NO_SOFT_DELETE { "infra.azure.storage-no-soft-delete", "infrastructure", "disaster-recovery", Important(NoDr),
        "Storage account has no blob soft delete",
        "Deleted or overwritten blobs cannot be recovered. Add blob_properties { delete_retention_policy { days = 7 } }.",
        ["CKV2_AZURE_38"] }
    AZURE_DB_NO_GEO_BACKUP { "infra.azure.db-no-geo-backup", "infrastructure", "disaster-recovery", Important(NoDr),
        "Azure database server has no geo-redundant backups",
        "Backups stay in the server's region and are lost with it. Set geo_redundant_backup_enabled = true.",
        ["CKV_AZURE_94", "CKV_AZURE_102"] }

    // ---- Secrets -----------------------------------------------------------------
    SECRET_PLAINTEXT { "sec.secrets.plaintext", "security", "security", Exposure,
        "Secret written in plain text",
        "A credential in EC2 user_data, an ECS task's environment or a Kubernetes ConfigMap is readable by anyone who can read the instance metadata, the task definition, the ConfigMap or the repository, and ends up in state files and logs. Store it in Secrets Manager / SSM Parameter Store (ECS `secrets`, a Kubernetes Secret or an external secret operator) and rotate the exposed value.",
        ["CKV_AWS_46"], peers ["AVD-AWS-0029", "aws-ec2-no-secrets-in-user-data"] }

    // ---- Dockerfile --------------------------------------------------------------
    DOCKER_NO_HEALTHCHECK { "infra.docker.no-healthcheck", "infrastructure", "reliability", Important,
        "Image has no HEALTHCHECK",
        "Without a HEALTHCHECK, Docker and Compose cannot tell a hung container from a healthy one. Add HEALTHCHECK CMD ... to the final stage (Kubernetes uses probes instead).",
        ["CKV_DOCKER_2"], peers ["AVD-DS-0026"] }
    DOCKER_ROOT_USER { "sec.docker.root-user", "security", "security", Important,
        "Image runs as root",
        "The final stage has no USER instruction, or its last USER is root, so the container runs as UID 0. Add a non-root USER.",
        ["CKV_DOCKER_3", "CKV_DOCKER_8"], peers ["AVD-DS-0002", "DL3002"] }
    DOCKER_UNPINNED_BASE { "infra.docker.unpinned-base-image", "infrastructure", "iac-quality", Important,
        "Base image is not pinned",
        "FROM without a tag, or with `latest`, builds a different image every time. Pin a version tag or digest.",
        ["CKV_DOCKER_7"], peers ["AVD-DS-0001", "DL3006", "DL3007"] }
    DOCKER_EXPOSE_SSH { "sec.docker.expose-ssh", "security", "security", Important,
        "Image exposes SSH (22)",
        "Containers should not run SSH servers; use `docker exec` or `kubectl exec`. Remove port 22 from EXPOSE.",
        ["CKV_DOCKER_1"], peers ["AVD-DS-0004"] }

    // ---- Compose -----------------------------------------------------------------
    COMPOSE_NO_RESTART { "infra.compose.no-restart-policy", "infrastructure", "reliability", Important,
        "Compose service has no restart policy",
        "A crashed container stays down. Set restart: unless-stopped (or deploy.restart_policy).",
        [] }
    COMPOSE_NO_LIMITS { "infra.compose.no-resource-limits", "infrastructure", "scalability", Important,
        "Compose service has no resource limits",
        "One runaway service can exhaust the host. Set deploy.resources.limits (cpus, memory).",
        [] }
    COMPOSE_NO_HEALTHCHECK { "infra.compose.no-healthcheck", "infrastructure", "reliability", Advice,
        "Compose service has no healthcheck",
        "Without a healthcheck, depends_on cannot wait for readiness and a hung service looks healthy. Add a healthcheck.",
        [] }
    COMPOSE_IMAGE_LATEST { "infra.compose.image-latest", "infrastructure", "iac-quality", Important,
        "Compose service image uses the latest tag or no tag",
        "`latest` (or no tag) makes deployments irreproducible. Pin a version tag or digest.",
        [] }
    COMPOSE_PRIVILEGED { "sec.compose.privileged", "security", "security", Exposure,
        "Compose service runs privileged",
        "privileged: true gives the container full access to the host. Remove it and add only needed capabilities.",
        [] }

    // ---- Pipelines and scripts ---------------------------------------------------
    CLI_PROVISIONING { "infra.iac.cli-provisioning", "infrastructure", "iac-quality", Critical(ManualInfra),
        "Cloud resources are created by CLI commands, not Infrastructure as Code",
        "A pipeline or script creates cloud resources imperatively (aws ... create-*, gcloud ... create, az ... create): they drift, cannot be reviewed as a plan, and are rebuilt by hand after a disaster. Declare them in Terraform (or CloudFormation/Bicep) and let the pipeline apply it.",
        [] }
}

/// Every rule, in catalogue order.
pub fn rules() -> &'static [RuleInfo] {
    ALL
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn full_strength_rules_name_their_criterion() {
        for r in RULES {
            if r.policy == Policy::Critical {
                assert!(
                    r.info.criterion.is_some(),
                    "{}: a Critical rule takes its severity from a Failure Criterion; tag it, e.g. Critical(Spof)",
                    r.info.id
                );
            }
        }
        // Every Failure Criterion has at least one rule that can block on it.
        for c in Criterion::ALL {
            assert!(
                RULES
                    .iter()
                    .any(|r| r.policy == Policy::Critical && r.info.criterion == Some(c)),
                "no full-strength rule checks {c}"
            );
        }
    }

    #[test]
    fn ids_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for r in rules() {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(
                r.id.starts_with("infra.") || r.id.starts_with("sec."),
                "{}",
                r.id
            );
            let expected_director = if r.id.starts_with("sec.") {
                "security"
            } else {
                "infrastructure"
            };
            assert_eq!(r.director, expected_director, "{}", r.id);
            assert!(
                [
                    "scalability",
                    "reliability",
                    "cloud-resources",
                    "disaster-recovery",
                    "cost",
                    "iac-quality",
                    "monitoring",
                    "security"
                ]
                .contains(&r.category),
                "{}",
                r.id
            );
            assert!(!r.title.is_empty() && !r.help.is_empty());
            if r.director == "security" {
                assert_eq!(
                    r.criterion, None,
                    "{}: security rules are not Failure Criteria",
                    r.id
                );
            }
            for c in r.checkov {
                assert!(c.starts_with("CKV"), "{c}");
            }
        }
    }
}

//! Rule behaviour on small inputs: cross-file facts, environments and severities,
//! configuration, and each analyzer's less obvious cases.

use crate::common::{assert_evidence_exact, of_rule};
use director_core::{Environment, Severity};
use director_evidence::{AnalyzerConfig, EvidenceReport, SourceFile, analyze, is_analyzable};

fn files(list: &[(&str, &str)]) -> Vec<SourceFile> {
    list.iter().map(|(p, c)| SourceFile::new(*p, *c)).collect()
}

fn run_with(
    targets: &[(&str, &str)],
    related: &[(&str, &str)],
    config: &AnalyzerConfig,
) -> EvidenceReport {
    let targets = files(targets);
    let related = files(related);
    let report = analyze(&targets, &related, config);
    assert_evidence_exact(&report, &targets);
    for f in &report.findings {
        let path = f.path.as_deref().unwrap();
        assert!(
            targets.iter().any(|t| t.path == path),
            "finding on a non-target file {path}"
        );
    }
    report
}

fn run(targets: &[(&str, &str)]) -> EvidenceReport {
    run_with(targets, &[], &AnalyzerConfig::default())
}

fn severities(report: &EvidenceReport, rule: &str) -> Vec<Severity> {
    of_rule(report, rule).iter().map(|f| f.severity).collect()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 4
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: shop/web:1.2.3
";

const HPA: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: shop
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 4
  maxReplicas: 4
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70
";

const PDB: &str = "apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: web
";

#[test]
fn autoscaler_and_budget_in_unchanged_files_count() {
    let alone = run(&[("k8s/web.yaml", DEPLOYMENT)]);
    assert_eq!(of_rule(&alone, "infra.k8s.no-hpa").len(), 1);
    assert_eq!(of_rule(&alone, "infra.k8s.no-pdb").len(), 1);

    let report = run_with(
        &[("k8s/web.yaml", DEPLOYMENT)],
        &[("k8s/hpa.yaml", HPA), ("k8s/pdb.yaml", PDB)],
        &AnalyzerConfig::default(),
    );
    assert!(of_rule(&report, "infra.k8s.no-hpa").is_empty());
    assert!(of_rule(&report, "infra.k8s.no-pdb").is_empty());
    // The autoscaler measures CPU, so a missing CPU request now means it cannot scale.
    assert_eq!(
        severities(&report, "infra.k8s.no-cpu-request"),
        vec![Severity::Blocking]
    );
    assert_eq!(
        severities(&alone, "infra.k8s.no-cpu-request"),
        vec![Severity::Warning]
    );
}

#[test]
fn autoscaler_pinned_at_one_size_is_reported_on_the_autoscaler() {
    let report = run(&[("k8s/hpa.yaml", HPA)]);
    let fixed = of_rule(&report, "infra.k8s.hpa-min-equals-max");
    assert_eq!(fixed.len(), 1);
    assert_eq!(fixed[0].severity, Severity::Blocking);
    assert_eq!(
        fixed[0].evidence.as_deref(),
        Some("  minReplicas: 4\n  maxReplicas: 4")
    );
    assert_eq!(
        fixed[0].resources,
        vec!["HorizontalPodAutoscaler/shop/web".to_string()]
    );
}

#[test]
fn single_replica_follows_the_environment() {
    let one = DEPLOYMENT.replace("replicas: 4", "replicas: 1");
    let report = run(&[("k8s/web.yaml", &one)]);
    assert_eq!(
        severities(&report, "infra.k8s.single-replica"),
        vec![Severity::Blocking]
    );

    let dev = one.replace("namespace: shop", "namespace: shop-dev");
    let report = run(&[("k8s/web.yaml", &dev)]);
    assert_eq!(
        severities(&report, "infra.k8s.single-replica"),
        vec![Severity::Info]
    );
    assert!(of_rule(&report, "infra.k8s.no-pdb").is_empty());

    let absent = DEPLOYMENT.replace("  replicas: 4\n", "");
    let report = run(&[("k8s/web.yaml", &absent)]);
    assert_eq!(of_rule(&report, "infra.k8s.single-replica").len(), 1);
}

#[test]
fn kubernetes_json_and_lists() {
    let json = r#"{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": { "name": "tool", "namespace": "ops" },
      "spec": {
        "containers": [
          { "name": "tool", "image": "busybox", "securityContext": { "privileged": true } }
        ]
      }
    }
  ]
}
"#;
    let report = run(&[("k8s/tool.json", json)]);
    let privileged = of_rule(&report, "sec.k8s.privileged");
    assert_eq!(privileged.len(), 1);
    assert_eq!(privileged[0].resources, vec!["Pod/ops/tool".to_string()]);
    assert_eq!(privileged[0].severity, Severity::Blocking);
    assert_eq!(privileged[0].start_line, Some(11));
    assert_eq!(of_rule(&report, "infra.k8s.image-latest").len(), 1);
}

const DB: &str = r#"resource "aws_db_instance" "main" {
  identifier     = "billing"
  engine         = "postgres"
  instance_class = "db.r6g.large"
  multi_az       = false

  backup_retention_period = 7
  deletion_protection     = true
  storage_encrypted       = true
}
"#;

#[test]
fn severity_follows_task_tags_and_names() {
    let unknown = run(&[("db.tf", DB)]);
    assert_eq!(
        severities(&unknown, "infra.rds.single-az"),
        vec![Severity::Blocking]
    );
    let f = of_rule(&unknown, "infra.rds.single-az")[0];
    assert!(
        f.recommendation.contains("environment unknown"),
        "{}",
        f.recommendation
    );

    for (env, expected) in [
        (Environment::Production, Severity::Blocking),
        (Environment::Staging, Severity::Warning),
        (Environment::Development, Severity::Info),
        (Environment::Prototype, Severity::Info),
    ] {
        let config = AnalyzerConfig {
            environment: Some(env),
            ..AnalyzerConfig::default()
        };
        let report = run_with(&[("db.tf", DB)], &[], &config);
        assert_eq!(
            severities(&report, "infra.rds.single-az"),
            vec![expected],
            "{env:?}"
        );
    }

    let tagged = DB.replace(
        "  storage_encrypted       = true\n",
        "  storage_encrypted       = true\n  tags = { Environment = \"dev\" }\n",
    );
    let report = run(&[("db.tf", &tagged)]);
    assert_eq!(
        severities(&report, "infra.rds.single-az"),
        vec![Severity::Info]
    );
    // Replica and cross-region checks only apply to production databases.
    assert!(of_rule(&report, "infra.rds.no-read-replica").is_empty());

    let named = DB.replace("\"billing\"", "\"billing-staging\"");
    let report = run(&[("db.tf", &named)]);
    assert_eq!(
        severities(&report, "infra.rds.single-az"),
        vec![Severity::Warning]
    );

    let by_path = run(&[("envs/prod/db.tf", DB)]);
    let f = of_rule(&by_path, "infra.rds.single-az")[0];
    assert_eq!(f.severity, Severity::Blocking);
    assert!(
        f.recommendation.contains("production environment (path"),
        "{}",
        f.recommendation
    );
}

#[test]
fn configuration_is_honoured() {
    let config = AnalyzerConfig {
        min_backup_retention_days: 14,
        required_tags: vec!["Team".into()],
        disabled_rules: vec!["infra.rds.single-az".into()],
        ..AnalyzerConfig::default()
    };
    let report = run_with(&[("db.tf", DB)], &[], &config);
    assert!(of_rule(&report, "infra.rds.single-az").is_empty());
    let retention = of_rule(&report, "infra.db.backup-retention");
    assert_eq!(retention.len(), 1);
    assert_eq!(
        retention[0].evidence.as_deref(),
        Some("  backup_retention_period = 7")
    );
    let tags = of_rule(&report, "infra.tags.missing");
    assert_eq!(tags.len(), 1);
    assert!(
        tags[0].title.ends_with("missing tags: Team"),
        "{}",
        tags[0].title
    );

    // Provider default_tags (in a related file) satisfy the requirement.
    let provider = r#"provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Team = "billing" }
  }
}
"#;
    let report = run_with(&[("db.tf", DB)], &[("providers.tf", provider)], &config);
    assert!(of_rule(&report, "infra.tags.missing").is_empty());
}

#[test]
fn companion_and_cross_file_resources_are_found() {
    let bucket = r#"resource "aws_s3_bucket" "logs" {
  bucket = var.log_bucket
}
"#;
    let versioning = r#"resource "aws_s3_bucket_versioning" "logs" {
  bucket = var.log_bucket
  versioning_configuration {
    status = "Enabled"
  }
}
"#;
    let alone = run(&[("s3.tf", bucket)]);
    assert_eq!(of_rule(&alone, "infra.s3.no-versioning").len(), 1);
    let report = run_with(
        &[("s3.tf", bucket)],
        &[("versioning.tf", versioning)],
        &AnalyzerConfig::default(),
    );
    assert!(of_rule(&report, "infra.s3.no-versioning").is_empty());

    let alarm = r#"resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name    = "billing-cpu"
  alarm_actions = [aws_sns_topic.oncall.arn]
  dimensions = {
    DBInstanceIdentifier = aws_db_instance.main.identifier
  }
}
"#;
    // Nothing alerts anywhere: Failure Criterion 5 blocks (once, not per resource).
    let without = run(&[("db.tf", DB)]);
    assert!(of_rule(&without, "infra.monitoring.no-alarm").is_empty());
    let none = of_rule(&without, "infra.monitoring.no-alerting");
    assert_eq!(none.len(), 1);
    assert_eq!(none[0].severity, Severity::Blocking);
    assert_eq!(
        none[0].criterion,
        Some(director_core::Criterion::NoMonitoring)
    );
    // Alerting exists but not for this database: a per-resource warning.
    let other = alarm.replace("aws_db_instance.main.identifier", "\"billing-other\"");
    let elsewhere = run_with(
        &[("db.tf", DB)],
        &[("alarms.tf", &other)],
        &AnalyzerConfig::default(),
    );
    assert!(of_rule(&elsewhere, "infra.monitoring.no-alerting").is_empty());
    assert_eq!(
        severities(&elsewhere, "infra.monitoring.no-alarm"),
        [Severity::Warning]
    );
    // A Prometheus alert rule in a Kubernetes manifest counts as alerting too.
    let rule = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: db\nspec:\n  groups:\n  - name: db\n    rules:\n    - alert: DatabaseDown\n      expr: pg_up == 0\n";
    let prometheus = run_with(
        &[("db.tf", DB)],
        &[("k8s/alerts.yaml", rule)],
        &AnalyzerConfig::default(),
    );
    assert!(of_rule(&prometheus, "infra.monitoring.no-alerting").is_empty());
    assert_eq!(of_rule(&prometheus, "infra.monitoring.no-alarm").len(), 1);
    let with = run_with(
        &[("db.tf", DB)],
        &[("alarms.tf", alarm)],
        &AnalyzerConfig::default(),
    );
    assert!(of_rule(&with, "infra.monitoring.no-alarm").is_empty());
}

#[test]
fn security_groups_open_to_the_world() {
    let sg = r#"resource "aws_security_group" "admin" {
  name = "admin"

  ingress {
    from_port        = 22
    to_port          = 22
    protocol         = "tcp"
    ipv6_cidr_blocks = ["::/0"]
  }

  ingress {
    from_port   = 0
    to_port     = 65535
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}
"#;
    let report = run(&[("sg.tf", sg)]);
    let ssh = of_rule(&report, "sec.sg.open-ssh");
    assert_eq!(ssh.len(), 1);
    assert_eq!((ssh[0].start_line, ssh[0].end_line), (Some(4), Some(9)));
    assert_eq!(ssh[0].director, "security");
    assert_eq!(ssh[0].severity, Severity::Blocking);
    assert_eq!(of_rule(&report, "sec.sg.open-all-ports").len(), 1);
    assert!(of_rule(&report, "sec.sg.open-rdp").is_empty());
}

#[test]
fn fixed_size_groups_and_launch_configurations() {
    let asg = r#"resource "aws_autoscaling_group" "api" {
  name                 = "api-prod"
  min_size             = 3
  max_size             = 3
  launch_configuration = aws_launch_configuration.api.name

  tag {
    key                 = "Environment"
    value               = "production"
    propagate_at_launch = true
  }
}
"#;
    let report = run(&[("asg.tf", asg)]);
    let fixed = of_rule(&report, "infra.asg.fixed-size");
    assert_eq!(fixed.len(), 1);
    assert_eq!(fixed[0].severity, Severity::Blocking);
    assert_eq!(
        fixed[0].evidence.as_deref(),
        Some("  min_size             = 3\n  max_size             = 3")
    );
    assert_eq!(of_rule(&report, "infra.asg.launch-configuration").len(), 1);
    assert!(of_rule(&report, "infra.asg.untagged-instances").is_empty());
    assert!(of_rule(&report, "infra.cost.dev-always-on").is_empty());
}

#[test]
fn ecs_containers_without_logs() {
    let task = r#"resource "aws_ecs_task_definition" "api" {
  family = "api"
  container_definitions = jsonencode([
    {
      name  = "api"
      image = "shop/api:1.0"
    },
    {
      name  = "sidecar"
      image = "shop/sidecar:1.0"
      logConfiguration = {
        logDriver = "awslogs"
      }
    }
  ])
}
"#;
    let report = run(&[("ecs.tf", task)]);
    let logs = of_rule(&report, "infra.ecs.no-log-configuration");
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].start_line, Some(4));
    assert!(logs[0].title.contains("`api`"));
}

#[test]
fn terraform_syntax_error_costs_only_its_block() {
    let text = format!(
        "{DB}\nresource \"aws_s3_bucket\" \"broken\" {{\n  bucket = \"x\"\n  versioning {{\n    enabled = true}}\n}}\n\n{}",
        DB.replace("\"main\"", "\"second\"")
            .replace("\"billing\"", "\"billing-2\"")
    );
    let report = run(&[("db.tf", &text)]);
    assert_eq!(report.parse_errors.len(), 1, "{:?}", report.parse_errors);
    assert!(
        report.parse_errors[0].starts_with("db.tf: invalid HCL at line 15"),
        "{}",
        report.parse_errors[0]
    );
    let resources: Vec<&str> = of_rule(&report, "infra.rds.single-az")
        .iter()
        .map(|f| f.resources[0].as_str())
        .collect();
    assert_eq!(
        resources,
        vec!["aws_db_instance.main", "aws_db_instance.second"]
    );
}

#[test]
fn dockerfile_stages_users_and_healthchecks() {
    let dockerfile = "# syntax=docker/dockerfile:1
ARG NODE=node:20.11-alpine
FROM ${NODE} AS build
WORKDIR /src
RUN <<EOF
npm ci
USER root
EOF
USER node
HEALTHCHECK CMD wget -qO- http://localhost:3000/health || exit 1

FROM build AS runtime
COPY --from=build /src/dist /app
EXPOSE 3000
";
    let report = run(&[("web/Dockerfile", dockerfile)]);
    assert_eq!(report.files_analyzed, 1);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);

    let bad = "FROM python\nEXPOSE 8000 22\nUSER app\nUSER root\n";
    let report = run(&[("api/Dockerfile.dev", bad)]);
    assert_eq!(
        of_rule(&report, "infra.docker.unpinned-base-image").len(),
        1
    );
    assert_eq!(of_rule(&report, "sec.docker.expose-ssh").len(), 1);
    let root = of_rule(&report, "sec.docker.root-user");
    assert_eq!(root.len(), 1);
    assert_eq!(root[0].evidence.as_deref(), Some("USER root"));
    // Dockerfile.dev: a development image.
    assert_eq!(root[0].severity, Severity::Info);
    assert_eq!(
        of_rule(&report, "infra.docker.no-healthcheck")[0]
            .evidence
            .as_deref(),
        Some("FROM python")
    );
}

#[test]
fn compose_services() {
    let compose = "services:
  web:
    image: nginx
    privileged: true
  worker:
    build: .
    image: shop/worker
    restart: unless-stopped
    healthcheck:
      test: [\"CMD\", \"true\"]
    deploy:
      resources:
        limits:
          cpus: '0.5'
          memory: 256M
";
    let report = run(&[("docker-compose.yml", compose)]);
    for rule in [
        "infra.compose.no-restart-policy",
        "infra.compose.no-resource-limits",
        "infra.compose.no-healthcheck",
        "infra.compose.image-latest",
        "sec.compose.privileged",
    ] {
        let found = of_rule(&report, rule);
        assert_eq!(found.len(), 1, "{rule}: {found:#?}");
        assert_eq!(
            found[0].resources,
            vec!["services.web".to_string()],
            "{rule}"
        );
    }
}

#[test]
fn analyzable_files_and_counts() {
    assert!(is_analyzable("infra/main.tf", ""));
    assert!(is_analyzable(
        "k8s/app.yaml",
        "apiVersion: v1\nkind: Service\n"
    ));
    assert!(is_analyzable("Dockerfile", "FROM x"));
    assert!(is_analyzable("docker-compose.yaml", "services: {}"));
    assert!(!is_analyzable("src/main.rs", "fn main() {}"));
    assert!(is_analyzable(
        ".github/workflows/ci.yml",
        "on: push\njobs: {}\n"
    ));
    assert!(!is_analyzable("config/app.yaml", "port: 80\n"));
    // A chart's template is recognised (and listed as not evaluated unless rendered);
    // templated YAML outside a chart's templates/ is not.
    assert!(is_analyzable(
        "chart/templates/svc.yaml",
        "apiVersion: v1\nkind: {{ .Values.kind }}\n"
    ));
    assert!(!is_analyzable(
        "deploy/svc.yaml",
        "apiVersion: v1\nkind: {{ .Values.kind }}\n"
    ));

    // A related copy of a target path is ignored (the alarm in it would otherwise
    // watch the database), and related files' parse errors are not reported.
    let alarm = "resource \"aws_cloudwatch_metric_alarm\" \"cpu\" {
  alarm_actions = [\"arn:aws:sns:eu-west-1:1:oncall\"]
  dimensions = { DBInstanceIdentifier = aws_db_instance.main.identifier }
}
";
    let report = run_with(
        &[("README.md", "# hi"), ("db.tf", DB)],
        &[
            ("db.tf", alarm),
            ("broken.tf", "this would not parse {"),
            ("other.tf", DB),
        ],
        &AnalyzerConfig::default(),
    );
    assert_eq!(report.files_analyzed, 1);
    assert!(report.parse_errors.is_empty());
    assert_eq!(of_rule(&report, "infra.monitoring.no-alerting").len(), 1);
}

#[test]
fn aurora_needs_a_second_instance() {
    let cluster = r#"resource "aws_rds_cluster" "ledger" {
  cluster_identifier      = "ledger-prod"
  engine                  = "aurora-postgresql"
  backup_retention_period = 14
  deletion_protection     = true
  storage_encrypted       = true
}

resource "aws_rds_cluster_instance" "ledger" {
  count              = COUNT
  cluster_identifier = aws_rds_cluster.ledger.id
  instance_class     = "db.r6g.large"
}
"#;
    let one = run(&[("aurora.tf", &cluster.replace("COUNT", "1"))]);
    let single = of_rule(&one, "infra.rds.single-az");
    assert_eq!(single.len(), 1);
    assert_eq!(
        single[0].resources,
        vec!["aws_rds_cluster.ledger".to_string()]
    );
    assert_eq!(single[0].severity, Severity::Blocking);
    let two = run(&[("aurora.tf", &cluster.replace("COUNT", "2"))]);
    assert!(of_rule(&two, "infra.rds.single-az").is_empty());
    let computed = run(&[("aurora.tf", &cluster.replace("COUNT", "var.instances"))]);
    assert!(of_rule(&computed, "infra.rds.single-az").is_empty());
}

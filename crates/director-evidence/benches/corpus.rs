//! A deterministic synthetic corpus for the throughput benchmark and the
//! `evidence_bench` example: half Terraform modules (databases, security groups,
//! buckets, node groups, load balancers), half Kubernetes manifests (Deployments,
//! Services, autoscalers, budgets), with settings varied by index so that rules both
//! fire and pass. The same index always yields the same file.
//!
//! [`generate_modules`] writes the same resources the way modules are written: one
//! shared module whose every setting is a variable, and root folders that call it with
//! their own values through locals and a `terraform.tfvars`, so that the analyzers must
//! evaluate variables, locals and module calls to judge anything.

use director_evidence::SourceFile;

const ENVS: [&str; 4] = ["production", "staging", "dev", "sandbox"];

/// `total` files: the first half Terraform, the second half Kubernetes.
pub fn generate(total: usize) -> Vec<SourceFile> {
    let tf = total / 2;
    (0..tf)
        .map(terraform)
        .chain((0..total - tf).map(kubernetes))
        .collect()
}

fn terraform(i: usize) -> SourceFile {
    let env = ENVS[i % ENVS.len()];
    let multi_az = !i.is_multiple_of(3);
    let retention = [0, 3, 7, 14, 30][i % 5];
    let min = [0, 2, 3][i % 3];
    let max = if i.is_multiple_of(4) {
        min.max(1)
    } else {
        min + 6
    };
    let size = ["t3.medium", "m5.large", "m5.2xlarge", "r6g.4xlarge"][i % 4];
    let port = [22, 443, 3389, 8080][i % 4];
    let cidr = if i.is_multiple_of(2) {
        "0.0.0.0/0"
    } else {
        "10.0.0.0/8"
    };
    let versioning = if i.is_multiple_of(3) {
        "Suspended"
    } else {
        "Enabled"
    };
    let content = format!(
        r#"# Generated module {i} for the {env} environment.
terraform {{
  required_version = ">= 1.5"
}}

module "network_{i}" {{
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.{minor}.0"
  name    = "{env}-net-{i}"
}}

resource "aws_db_instance" "db_{i}" {{
  identifier              = "{env}-orders-{i}"
  engine                  = "postgres"
  instance_class          = "db.{size}"
  allocated_storage       = {storage}
  multi_az                = {multi_az}
  backup_retention_period = {retention}
  storage_encrypted       = {encrypted}
  deletion_protection     = {protect}

  tags = {{
    Environment = "{env}"
    Owner       = "team-{team}"
  }}
}}

resource "aws_security_group" "app_{i}" {{
  name   = "{env}-app-{i}"
  vpc_id = module.network_{i}.vpc_id

  ingress {{
    from_port   = {port}
    to_port     = {port}
    protocol    = "tcp"
    cidr_blocks = ["{cidr}"]
  }}

  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_s3_bucket" "assets_{i}" {{
  bucket = "{env}-assets-{i}"
}}

resource "aws_s3_bucket_versioning" "assets_{i}" {{
  bucket = aws_s3_bucket.assets_{i}.id
  versioning_configuration {{
    status = "{versioning}"
  }}
}}

resource "aws_eks_node_group" "workers_{i}" {{
  cluster_name    = "{env}-cluster"
  node_group_name = "{env}-workers-{i}"
  node_role_arn   = "arn:aws:iam::123456789012:role/nodes"
  subnet_ids      = module.network_{i}.private_subnets
  instance_types  = ["{size}"]

  scaling_config {{
    desired_size = {min}
    min_size     = {min}
    max_size     = {max}
  }}
}}

resource "aws_lb" "edge_{i}" {{
  name                       = "{env}-edge-{i}"
  load_balancer_type         = "application"
  enable_deletion_protection = {protect}

  access_logs {{
    bucket  = aws_s3_bucket.assets_{i}.id
    enabled = {logs}
  }}
}}

resource "aws_cloudwatch_metric_alarm" "db_cpu_{i}" {{
  alarm_name          = "{env}-db-cpu-{i}"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  metric_name         = "CPUUtilization"
  namespace           = "AWS/RDS"
  period              = 60
  statistic           = "Average"
  threshold           = 80
  alarm_actions       = ["arn:aws:sns:eu-west-1:123456789012:oncall"]
  dimensions = {{
    DBInstanceIdentifier = aws_db_instance.db_{i}.identifier
  }}
}}
"#,
        minor = i % 9,
        storage = 20 + (i % 10) * 10,
        encrypted = !i.is_multiple_of(5),
        protect = i.is_multiple_of(2),
        team = i % 7,
        logs = i % 3 != 1,
    );
    SourceFile::new(format!("infra/{env}/module_{i}/main.tf"), content)
}

fn kubernetes(i: usize) -> SourceFile {
    let env = ENVS[i % ENVS.len()];
    let replicas = [1, 2, 3, 6][i % 4];
    let tag = ["1.4.2", "latest", "2.0.0@sha256:9f2a", "3.1"][i % 4];
    let hpa = if i.is_multiple_of(2) {
        format!(
            r#"---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: svc-{i}
  namespace: {env}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: svc-{i}
  minReplicas: {replicas}
  maxReplicas: {max}
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70
"#,
            max = replicas * 4,
        )
    } else {
        String::new()
    };
    let probes = if i.is_multiple_of(3) {
        String::new()
    } else {
        "        livenessProbe:\n          httpGet:\n            path: /healthz\n            port: 8080\n        readinessProbe:\n          httpGet:\n            path: /ready\n            port: 8080\n"
            .to_string()
    };
    let requests = if i.is_multiple_of(5) {
        String::new()
    } else {
        "          requests:\n            cpu: 250m\n            memory: 256Mi\n".to_string()
    };
    let content = format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  namespace: {env}
  labels:
    app: svc-{i}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: svc-{i}
  template:
    metadata:
      labels:
        app: svc-{i}
    spec:
      securityContext:
        runAsNonRoot: {non_root}
      containers:
      - name: app
        image: registry.example.com/team/svc-{i}:{tag}
        ports:
        - containerPort: 8080
        resources:
{requests}          limits:
            cpu: 500m
            memory: 512Mi
{probes}        securityContext:
          allowPrivilegeEscalation: false
---
apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
  namespace: {env}
spec:
  selector:
    app: svc-{i}
  ports:
  - port: 80
    targetPort: 8080
{hpa}"#,
        non_root = i % 4 != 1,
    );
    SourceFile::new(format!("k8s/{env}/svc-{i}.yaml"), content)
}

/// `total` files of module-based Terraform: a shared module (2 files) and root folders
/// (a `main.tf` and a `terraform.tfvars` each) calling it.
pub fn generate_modules(total: usize) -> Vec<SourceFile> {
    let mut files = vec![
        SourceFile::new("modules/service/main.tf", SERVICE_MODULE),
        SourceFile::new("modules/service/variables.tf", SERVICE_VARIABLES),
    ];
    for i in 0..total.saturating_sub(2) / 2 {
        let env = ENVS[i % ENVS.len()];
        let main = format!(
            r#"locals {{
  name = "{env}-svc-{i}"
  tags = {{
    Environment = "{env}"
    Owner       = "team-{team}"
  }}
}}

variable "retention" {{
  type = number
}}

module "service" {{
  source = "../../modules/service"

  name                    = local.name
  instance_class          = "db.{size}"
  multi_az                = {multi_az}
  backup_retention_period = var.retention
  deletion_protection     = {protect}
  ingress_port            = {port}
  ingress_cidr            = "{cidr}"
  versioning              = "{versioning}"
  access_logs             = {logs}
  tags                    = local.tags
}}
"#,
            team = i % 7,
            size = ["t3.medium", "m5.large", "m5.2xlarge", "r6g.4xlarge"][i % 4],
            multi_az = !i.is_multiple_of(3),
            protect = i.is_multiple_of(2),
            port = [22, 443, 3389, 8080][i % 4],
            cidr = if i.is_multiple_of(2) {
                "0.0.0.0/0"
            } else {
                "10.0.0.0/8"
            },
            versioning = if i.is_multiple_of(3) {
                "Suspended"
            } else {
                "Enabled"
            },
            logs = i % 3 != 1,
        );
        files.push(SourceFile::new(format!("envs/svc_{i}/main.tf"), main));
        files.push(SourceFile::new(
            format!("envs/svc_{i}/terraform.tfvars"),
            format!("retention = {}\n", [0, 3, 7, 14, 30][i % 5]),
        ));
    }
    files
}

const SERVICE_MODULE: &str = r#"locals {
  log_bucket = "${var.name}-logs"
}

resource "aws_db_instance" "db" {
  identifier              = var.name
  engine                  = "postgres"
  instance_class          = var.instance_class
  allocated_storage       = 20
  multi_az                = var.multi_az
  backup_retention_period = var.backup_retention_period
  storage_encrypted       = var.storage_encrypted
  deletion_protection     = var.deletion_protection
  tags                    = merge(var.tags, { Name = var.name })
}

resource "aws_security_group" "app" {
  name = "${var.name}-app"

  ingress {
    from_port   = var.ingress_port
    to_port     = var.ingress_port
    protocol    = "tcp"
    cidr_blocks = [var.ingress_cidr]
  }
}

resource "aws_s3_bucket" "assets" {
  bucket = "${var.name}-assets"
  tags   = var.tags
}

resource "aws_s3_bucket_versioning" "assets" {
  bucket = aws_s3_bucket.assets.id
  versioning_configuration {
    status = var.versioning
  }
}

resource "aws_lb" "edge" {
  name                       = "${var.name}-edge"
  load_balancer_type         = "application"
  enable_deletion_protection = var.deletion_protection

  access_logs {
    bucket  = local.log_bucket
    enabled = var.access_logs
  }
}
"#;

const SERVICE_VARIABLES: &str = r#"variable "name" {
  type = string
}

variable "instance_class" {
  type    = string
  default = "db.t3.medium"
}

variable "multi_az" {
  type    = bool
  default = false
}

variable "backup_retention_period" {
  type    = number
  default = null
}

variable "storage_encrypted" {
  type    = bool
  default = true
}

variable "deletion_protection" {
  type    = bool
  default = false
}

variable "ingress_port" {
  type = number
}

variable "ingress_cidr" {
  type = string
}

variable "versioning" {
  type    = string
  default = "Enabled"
}

variable "access_logs" {
  type    = bool
  default = true
}

variable "tags" {
  type    = map(string)
  default = {}
}
"#;

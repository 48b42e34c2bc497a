//! Failure Criterion 6, manual infrastructure: CI pipelines and shell scripts that
//! create cloud resources with CLI commands (`aws rds create-db-instance`, `aws s3 mb`,
//! `gcloud sql instances create`, `az vm create`, `eksctl create cluster` without a
//! config file) instead of declaring them as code.
//!
//! Each line (with `\` continuations joined) is split into words with `shlex` and into
//! commands at `&&`, `||`, `;` and `|`; only a CLI at a command's start counts, so an
//! `echo "aws s3 mb"` or a comment does not. Deployment and runtime verbs
//! (`create-invalidation`, `create-deployment`, snapshots, images, tags) are not
//! provisioning, and neither are IaC front ends (`az deployment … create`,
//! `aws cloudformation …`).

use crate::SourceFile;
use crate::emit::{Hit, Sink};
use crate::env;
use crate::rules::CLI_PROVISIONING;
use crate::source::SourceText;

/// AWS services whose `create-*` verbs provision infrastructure.
const AWS_SERVICES: &[&str] = &[
    "apigateway",
    "apigatewayv2",
    "autoscaling",
    "batch",
    "cloudfront",
    "docdb",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "eks",
    "elasticache",
    "elb",
    "elbv2",
    "es",
    "events",
    "iam",
    "kafka",
    "kinesis",
    "kms",
    "lambda",
    "memorydb",
    "mq",
    "neptune",
    "opensearch",
    "rds",
    "redshift",
    "route53",
    "s3api",
    "sns",
    "sqs",
    "stepfunctions",
];

/// `create-*` verbs of those services that run or deploy things rather than provision.
const AWS_RUNTIME_VERBS: &[&str] = &[
    "create-invalidation",
    "create-deployment",
    "create-snapshot",
    "create-snapshots",
    "create-db-snapshot",
    "create-db-cluster-snapshot",
    "create-cluster-snapshot",
    "create-image",
    "create-tags",
    "create-backup",
    "create-multipart-upload",
    "create-log-stream",
    "create-export-task",
    "create-token",
];

/// gcloud command groups whose `create` provisions infrastructure.
const GCLOUD_GROUPS: &[&str] = &[
    "compute",
    "container",
    "sql",
    "redis",
    "memcache",
    "pubsub",
    "storage",
    "spanner",
    "bigtable",
    "filestore",
    "dataproc",
    "alloydb",
];

/// Options of the CLIs that take a separate value (`--region eu-west-1`).
fn takes_value(option: &str) -> bool {
    !option.contains('=')
        && matches!(
            option,
            "--region"
                | "--profile"
                | "--output"
                | "--endpoint-url"
                | "--project"
                | "--zone"
                | "--subscription"
                | "--resource-group"
                | "-g"
                | "--query"
                | "--format"
        )
}

/// The positional words of a command after the program name.
fn positionals(words: &[String]) -> Vec<&str> {
    let mut out = Vec::new();
    let mut skip = false;
    for w in words {
        if skip {
            skip = false;
            continue;
        }
        if w.starts_with('-') {
            skip = takes_value(w);
            continue;
        }
        out.push(w.as_str());
    }
    out
}

/// What a command provisions, if it provisions anything: `aws rds create-db-instance`.
fn provisioning(command: &[String]) -> Option<String> {
    let (program, args) = command.split_first()?;
    let program = program.rsplit('/').next().unwrap_or(program);
    let pos = positionals(args);
    let hit = match program {
        "aws" => match pos.as_slice() {
            ["s3", "mb", ..] | ["ec2", "run-instances", ..] => true,
            [service, verb, ..] => {
                verb.starts_with("create-")
                    && AWS_SERVICES.contains(service)
                    && !AWS_RUNTIME_VERBS.contains(verb)
            }
            _ => false,
        },
        "gcloud" => {
            let pos: Vec<&str> = pos
                .into_iter()
                .filter(|p| !matches!(*p, "alpha" | "beta"))
                .collect();
            pos.first().is_some_and(|g| GCLOUD_GROUPS.contains(g)) && pos.contains(&"create")
        }
        "gsutil" => pos.first() == Some(&"mb"),
        "az" => pos.first() != Some(&"deployment") && pos.len() >= 2 && pos.contains(&"create"),
        "eksctl" => {
            pos.first() == Some(&"create")
                && !args
                    .iter()
                    .any(|a| a == "-f" || a.starts_with("--config-file"))
        }
        "doctl" => pos.contains(&"create"),
        _ => false,
    };
    hit.then(|| {
        let shown: Vec<&str> = std::iter::once(program)
            .chain(command[1..].iter().map(String::as_str).take(3))
            .collect();
        shown.join(" ")
    })
}

/// Split a line's words into commands at shell operators, dropping leading YAML keys
/// (`- run:`, `script:`), environment assignments and `sudo`/`exec`.
fn commands(words: Vec<String>) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for w in words {
        if w.starts_with('#') {
            break;
        }
        if matches!(w.as_str(), "&&" | "||" | ";" | "|" | "then" | "do" | "else") {
            out.push(Vec::new());
            continue;
        }
        let current = out.last_mut().map(|c| c.is_empty());
        let leading = current == Some(true)
            && (w == "-"
                || w.ends_with(':')
                || (w.contains('=') && !w.starts_with('-'))
                || matches!(w.as_str(), "sudo" | "exec" | "time" | "if" | "then" | "!"));
        if leading {
            continue;
        }
        let word = w.trim_end_matches(';').to_string();
        if let Some(c) = out.last_mut() {
            c.push(word);
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

/// Report every line of `file` that provisions cloud resources with a CLI.
pub(crate) fn analyze(file: &SourceFile, sink: &mut Sink<'_>) {
    let src = SourceText::new(&file.path, &file.content);
    let env =
        env::of_file(sink.config().environment, &file.path).unwrap_or_else(env::EnvGuess::unknown);
    let lines: Vec<&str> = file.content.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        let mut joined = String::new();
        loop {
            let line = lines[i].trim_end();
            match line.strip_suffix('\\') {
                Some(head) if i + 1 < lines.len() => {
                    joined.push_str(head);
                    joined.push(' ');
                    i += 1;
                }
                _ => {
                    joined.push_str(line);
                    break;
                }
            }
        }
        i += 1;
        let trimmed = joined.trim_start();
        if trimmed.starts_with('#') || trimmed.starts_with("//") {
            continue;
        }
        let words = shlex::split(trimmed)
            .unwrap_or_else(|| trimmed.split_whitespace().map(str::to_string).collect());
        let Some(what) = commands(words).iter().find_map(|c| provisioning(c)) else {
            continue;
        };
        let (a, b) = (start as u32 + 1, i as u32);
        sink.emit(Hit {
            rule: &CLI_PROVISIONING,
            src: &src,
            lines: (a, b),
            resource: file.path.clone(),
            env: &env,
            title: format!("{} creates cloud resources by hand: `{what} …`", file.path),
            fix: "Declare the resource in Terraform (or CloudFormation/Bicep) and have the pipeline run `terraform plan`/`apply`; keep CLI calls for deployments and runtime operations.".into(),
            policy: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(line: &str) -> Option<String> {
        let words = shlex::split(line).unwrap_or_default();
        commands(words).iter().find_map(|c| provisioning(c))
    }

    #[test]
    fn provisioning_commands() {
        assert!(hit("aws rds create-db-instance --db-instance-identifier x").is_some());
        assert!(hit("aws --region eu-west-1 s3 mb s3://bucket").is_some());
        assert!(hit("- run: aws s3api create-bucket --bucket x").is_some());
        assert!(hit("AWS_PAGER= aws ec2 run-instances --image-id ami-1").is_some());
        assert!(hit("cd infra && gcloud sql instances create db --tier=db-f1-micro").is_some());
        assert!(hit("az vm create -g rg -n vm").is_some());
        assert!(hit("eksctl create cluster --name x").is_some());
        assert!(hit("gsutil mb gs://bucket").is_some());
    }

    #[test]
    fn deployments_and_iac_are_not_provisioning() {
        assert!(hit("aws cloudfront create-invalidation --distribution-id x").is_none());
        assert!(hit("aws deploy create-deployment --application-name x").is_none());
        assert!(hit("aws rds create-db-snapshot --db-instance-identifier x").is_none());
        assert!(hit("aws cloudformation deploy --template-file t.yaml").is_none());
        assert!(hit("aws s3 cp build/ s3://bucket --recursive").is_none());
        assert!(hit("az deployment group create -g rg -f main.bicep").is_none());
        assert!(hit("eksctl create cluster -f cluster.yaml").is_none());
        assert!(hit("echo \"aws s3 mb s3://x\"").is_none());
        assert!(hit("terraform apply -auto-approve").is_none());
        assert!(hit("# aws s3 mb s3://x").is_none());
    }
}

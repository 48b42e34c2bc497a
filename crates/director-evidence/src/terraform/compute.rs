//! Compute: auto scaling groups and EKS node groups (can they scale, do they idle in
//! development), instance sizes outside production, launch templates, instance tags,
//! load-balancer health checks for groups, Lambda, ECS and EKS settings.

use super::{Attr, Blk, Ctx, Res, lit_int, lit_str, value};
use crate::rules::{
    ASG_FIXED_SIZE, ASG_LAUNCH_CONFIGURATION, ASG_NO_ELB_HEALTH_CHECK, ASG_UNTAGGED, DEV_ALWAYS_ON,
    DEV_OVERSIZED, EC2_NO_DETAILED_MONITORING, ECS_NO_CONTAINER_INSIGHTS, ECS_NO_LOG_CONFIGURATION,
    EKS_NO_CONTROL_PLANE_LOGS, EKS_NODE_SSH_OPEN, EKS_SECRETS_UNENCRYPTED,
    LAMBDA_NO_CONCURRENCY_LIMIT, LAMBDA_NO_DLQ, LAMBDA_NO_TRACING,
};
use crate::rules::{EC2_IMDSV1, EKS_PUBLIC_ENDPOINT};
use director_core::Criterion;
use hcl_edit::expr::Expression;

/// Instance sizes from smallest to largest; anything `NxLarge` ranks by its N.
const SIZES: &[&str] = &["nano", "micro", "small", "medium", "large", "xlarge"];

/// The rank of an instance type's size (`m5.2xlarge` -> 7), if recognisable; a bare
/// size (`large`, the configured limit) ranks the same.
pub(super) fn size_rank(instance_type: &str) -> Option<u32> {
    let size = instance_type.rsplit('.').next()?;
    if size == "metal" || size.starts_with("metal-") {
        return Some(1000);
    }
    if let Some(i) = SIZES.iter().position(|s| *s == size) {
        return u32::try_from(i).ok();
    }
    let n: u32 = size.strip_suffix("xlarge")?.parse().ok()?;
    Some(4 + n)
}

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for asg in index.targets("aws_autoscaling_group") {
        capacity(cx, asg, asg.blk);
        if let Some(lc) = asg.blk.attr("launch_configuration") {
            cx.emit(
                &ASG_LAUNCH_CONFIGURATION,
                asg,
                lc.lines(),
                format!("{} launches from a deprecated launch configuration", asg.address()),
                "Replace the aws_launch_configuration with an aws_launch_template and reference it in a launch_template block.".into(),
            );
        }
        if asg.blk.blocks("tag").is_empty() && asg.blk.attr("tags").is_none() {
            cx.emit(
                &ASG_UNTAGGED,
                asg,
                asg.blk.head(),
                format!("{} launches untagged instances", asg.address()),
                "Add `tag { key = ... value = ... propagate_at_launch = true }` blocks (Environment, Owner, CostCenter).".into(),
            );
        }
    }
    for group in index.targets("aws_eks_node_group") {
        if let Some(scaling) = group.blk.block("scaling_config") {
            capacity(cx, group, scaling);
        }
        if let Some(types) = group.blk.attr("instance_types") {
            for t in value::str_list(types.expr()).unwrap_or_default() {
                oversized(cx, group, t, types.lines());
            }
        }
        if let Some(remote) = group.blk.block("remote_access")
            && remote.attr("ec2_ssh_key").is_some()
            && remote.attr("source_security_group_ids").is_none()
        {
            cx.emit(
                    &EKS_NODE_SSH_OPEN,
                    group,
                    remote.lines(),
                    format!("{} opens SSH on every node to 0.0.0.0/0", group.address()),
                    "Set remote_access.source_security_group_ids to a bastion's group, or remove remote_access and use SSM.".into(),
                );
        }
    }
    for (rtype, key) in [
        ("aws_instance", "instance_type"),
        ("aws_launch_template", "instance_type"),
        ("aws_launch_configuration", "instance_type"),
        ("aws_db_instance", "instance_class"),
        ("aws_rds_cluster_instance", "instance_class"),
        ("aws_elasticache_cluster", "node_type"),
        ("aws_elasticache_replication_group", "node_type"),
    ] {
        for r in index.targets(rtype) {
            if let Some(a) = r.blk.attr(key)
                && let Some(t) = lit_str(a.expr())
            {
                oversized(cx, r, t, a.lines());
            }
        }
    }
    for instance in index.targets("aws_instance") {
        if let Some(lines) = instance.blk.unset_or_false("monitoring") {
            cx.emit(
                &EC2_NO_DETAILED_MONITORING,
                instance,
                lines,
                format!("{} has detailed monitoring off", instance.address()),
                "Set `monitoring = true` for 1-minute CloudWatch metrics.".into(),
            );
        }
    }
    for attachment in index.targets("aws_autoscaling_attachment") {
        attachment_health_checks(cx, attachment);
    }
    lambda(cx);
    ecs(cx);
    eks(cx);
    instance_metadata(cx);
    eks_public_endpoint(cx);
}

/// min == max cannot scale; where cost waste is judged (development, test, staging),
/// min > 0 with no schedule never scales to zero.
fn capacity(cx: &mut Ctx<'_, '_, '_, '_>, r: &Res<'_>, blk: Blk<'_>) {
    let (Some(min_attr), Some(max_attr)) = (blk.attr("min_size"), blk.attr("max_size")) else {
        return;
    };
    let (Some(min), Some(max)) = (lit_int(min_attr.expr()), lit_int(max_attr.expr())) else {
        return;
    };
    if min == max && max > 0 {
        let (a, b) = (min_attr.lines(), max_attr.lines());
        cx.emit(
            &ASG_FIXED_SIZE,
            r,
            (a.0.min(b.0), a.1.max(b.1)),
            format!("{} is pinned at {min} instance(s) (min_size = max_size) and cannot scale", r.address()),
            "Set max_size above min_size and attach a scaling policy (target tracking on CPU or request count).".into(),
        );
    }
    if r.env.judges(Criterion::CostWaste) && min > 0 {
        let address = r.address();
        let scheduled = cx
            .index
            .referrers_of_type(&address, "aws_autoscaling_schedule")
            .next()
            .is_some();
        if !scheduled {
            cx.emit(
                &DEV_ALWAYS_ON,
                r,
                min_attr.lines(),
                format!(
                    "{address} keeps {min} instance(s) running around the clock in {}",
                    r.env.env.map_or("a non-production environment", |e| e.as_str())
                ),
                "Set `min_size = 0` and scale down outside working hours (aws_autoscaling_schedule, or a scheduler like the seed's EventBridge + Lambda pair).".into(),
            );
        }
    }
}

fn oversized(cx: &mut Ctx<'_, '_, '_, '_>, r: &Res<'_>, instance_type: &str, lines: (u32, u32)) {
    if !r.env.is_non_production() {
        return;
    }
    let limit = &cx.config().dev_max_instance_size;
    let (Some(rank), Some(max)) = (size_rank(instance_type), size_rank(limit)) else {
        return;
    };
    if rank > max {
        let env = r.env.env.map_or("non-production", |e| e.as_str());
        cx.emit(
            &DEV_OVERSIZED,
            r,
            lines,
            format!(
                "{} uses {instance_type} in a {env} environment",
                r.address()
            ),
            format!("Use a {limit} or smaller (burstable, e.g. t3/t4g) size outside production."),
        );
    }
}

fn attachment_health_checks(cx: &mut Ctx<'_, '_, '_, '_>, attachment: &Res<'_>) {
    let index = cx.index;
    let group = attachment
        .refs_of("autoscaling_group_name")
        .into_iter()
        .find_map(|addr| {
            index
                .get(&addr)
                .filter(|g| g.kind == "resource" && g.rtype == "aws_autoscaling_group")
        });
    let Some(group) = group else { return };
    let elb_type = group.blk.str("health_check_type").unwrap_or("EC2");
    let mut problems = Vec::new();
    if !elb_type.eq_ignore_ascii_case("ELB") {
        problems.push(format!("{} uses {elb_type} health checks", group.address()));
    }
    for key in ["elb", "lb_target_group_arn"] {
        for addr in attachment.refs_of(key) {
            let lb = index.get(&addr).filter(|r| {
                matches!(
                    r.rtype,
                    "aws_elb" | "aws_lb_target_group" | "aws_alb_target_group"
                )
            });
            if let Some(lb) = lb
                && lb.blk.block("health_check").is_none()
            {
                problems.push(format!("{addr} defines no health_check"));
            }
        }
    }
    if !problems.is_empty() {
        cx.emit(
            &ASG_NO_ELB_HEALTH_CHECK,
            attachment,
            attachment.blk.lines(),
            format!("{}: {}", attachment.address(), problems.join("; ")),
            "Set `health_check_type = \"ELB\"` on the group and give the load balancer or target group a health_check block.".into(),
        );
    }
}

fn lambda(cx: &mut Ctx<'_, '_, '_, '_>) {
    for f in cx.index.targets("aws_lambda_function") {
        if f.blk.block("dead_letter_config").is_none() {
            cx.emit(
                &LAMBDA_NO_DLQ,
                f,
                f.blk.head(),
                format!("{} has no dead-letter queue", f.address()),
                "Add `dead_letter_config { target_arn = <SQS queue or SNS topic ARN> }` (or an on-failure destination).".into(),
            );
        }
        let concurrency = f.blk.attr("reserved_concurrent_executions");
        let unlimited = match concurrency {
            None => true,
            Some(a) => lit_int(a.expr()) == Some(-1),
        };
        if unlimited {
            cx.emit(
                &LAMBDA_NO_CONCURRENCY_LIMIT,
                f,
                f.blk.lines_or_head(concurrency),
                format!("{} has no reserved concurrency limit", f.address()),
                "Set `reserved_concurrent_executions` to the concurrency the function and its downstreams can sustain.".into(),
            );
        }
        let tracing = f.blk.block("tracing_config");
        match tracing.map(|t| (t, t.str("mode"))) {
            None => cx.emit(
                &LAMBDA_NO_TRACING,
                f,
                f.blk.head(),
                format!("{} has no X-Ray tracing", f.address()),
                "Add `tracing_config { mode = \"Active\" }`.".into(),
            ),
            // Values are case-sensitive, and PassThrough only follows a sampling
            // decision made upstream: on its own it starts no trace.
            Some((t, Some("PassThrough"))) => cx.emit(
                &LAMBDA_NO_TRACING,
                f,
                t.lines(),
                format!(
                    "{} uses tracing mode PassThrough, which traces only requests an upstream service already sampled",
                    f.address()
                ),
                "Set tracing_config.mode to \"Active\" so the function samples and traces its own invocations.".into(),
            ),
            Some((t, Some(m))) if m != "Active" => cx.emit(
                &LAMBDA_NO_TRACING,
                f,
                t.lines(),
                format!(
                    "{} has an unknown tracing mode `{m}` (values are case-sensitive: `Active` or `PassThrough`)",
                    f.address()
                ),
                "Set tracing_config.mode to \"Active\".".into(),
            ),
            Some(_) => {}
        }
    }
}

fn ecs(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for cluster in index.targets("aws_ecs_cluster") {
        // Enabled, or set to a value that is not a literal: nothing to report.
        let maybe_on = cluster.blk.blocks("setting").iter().any(|s| {
            s.str("name") == Some("containerInsights")
                && s.str("value")
                    .is_none_or(|v| matches!(v, "enabled" | "enhanced"))
        });
        if !maybe_on {
            cx.emit(
                &ECS_NO_CONTAINER_INSIGHTS,
                cluster,
                cluster.blk.head(),
                format!("{} has Container Insights disabled", cluster.address()),
                "Add `setting { name = \"containerInsights\" value = \"enabled\" }`.".into(),
            );
        }
    }
    for task in index.targets("aws_ecs_task_definition") {
        let Some(defs) = task.blk.attr("container_definitions") else {
            continue;
        };
        for (name, lines) in containers_without_logs(defs) {
            cx.emit(
                &ECS_NO_LOG_CONFIGURATION,
                task,
                lines,
                format!("container `{name}` of {} sends its logs nowhere", task.address()),
                "Add a logConfiguration (logDriver awslogs with awslogs-group, -region and -stream-prefix).".into(),
            );
        }
    }
}

/// The containers of an ECS `container_definitions` (a `jsonencode([...])` literal or a
/// JSON string) without a `logConfiguration`: each one's name and the line to quote
/// (the container's first line; the attribute's first line for a JSON string).
fn containers_without_logs(defs: Attr<'_>) -> Vec<(String, (u32, u32))> {
    let first_line = |(start, _): (u32, u32)| (start, start);
    match defs.expr() {
        Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => {
            let Some(list) = call.args.iter().next().and_then(value::array) else {
                return Vec::new();
            };
            list.iter()
                .filter(|c| {
                    value::object(c).is_some_and(|obj| {
                        !obj.iter()
                            .any(|(k, _)| value::key_str(k) == Some("logConfiguration"))
                    })
                })
                .map(|c| {
                    let name = value::obj_get(c, "name")
                        .and_then(lit_str)
                        .unwrap_or("container");
                    (name.to_string(), first_line(defs.lines_of(c)))
                })
                .collect()
        }
        e => {
            let Some(Ok(serde_json::Value::Array(list))) =
                lit_str(e).map(serde_json::from_str::<serde_json::Value>)
            else {
                return Vec::new();
            };
            list.iter()
                .filter(|c| c.get("logConfiguration").is_none())
                .map(|c| {
                    let name = c
                        .get("name")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("container");
                    (name.to_string(), first_line(defs.lines()))
                })
                .collect()
        }
    }
}

fn eks(cx: &mut Ctx<'_, '_, '_, '_>) {
    const LOG_TYPES: [&str; 5] = [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ];
    for cluster in cx.index.targets("aws_eks_cluster") {
        let attr = cluster.blk.attr("enabled_cluster_log_types");
        let missing: Option<Vec<&str>> = match attr {
            None => Some(LOG_TYPES.to_vec()),
            Some(a) => value::str_list(a.expr()).map(|have| {
                LOG_TYPES
                    .iter()
                    .copied()
                    .filter(|t| !have.contains(t))
                    .collect()
            }),
        };
        if let Some(missing) = missing.filter(|m| !m.is_empty()) {
            cx.emit(
                &EKS_NO_CONTROL_PLANE_LOGS,
                cluster,
                cluster.blk.lines_or_head(attr),
                format!("{} does not log: {}", cluster.address(), missing.join(", ")),
                "Set `enabled_cluster_log_types = [\"api\", \"audit\", \"authenticator\", \"controllerManager\", \"scheduler\"]`.".into(),
            );
        }
        // A computed (non-literal) resources list may name secrets.
        let encrypts_secrets = cluster.blk.blocks("encryption_config").iter().any(|e| {
            e.attr("resources")
                .is_some_and(|r| match value::array(r.expr()) {
                    Some(_) => value::str_list(r.expr()).is_some_and(|l| l.contains(&"secrets")),
                    None => true,
                })
        });
        if !encrypts_secrets {
            let lines = cluster
                .blk
                .block("encryption_config")
                .map_or_else(|| cluster.blk.head(), |b| b.lines());
            cx.emit(
                &EKS_SECRETS_UNENCRYPTED,
                cluster,
                lines,
                format!("{} does not envelope-encrypt Kubernetes secrets", cluster.address()),
                "Add `encryption_config { resources = [\"secrets\"] provider { key_arn = aws_kms_key.<key>.arn } }`.".into(),
            );
        }
    }
}

/// Instances and launch templates must require IMDSv2 session tokens (or switch the
/// metadata service off).
fn instance_metadata(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for rtype in [
        "aws_instance",
        "aws_launch_template",
        "aws_launch_configuration",
    ] {
        for r in index.targets(rtype) {
            let options = r.blk.block("metadata_options");
            let lines = match options {
                None if r.blk.attr("metadata_options").is_some() => continue, // computed
                None => r.blk.head(),
                Some(o) => {
                    if o.str("http_endpoint") == Some("disabled") {
                        continue;
                    }
                    match o.attr("http_tokens") {
                        None => o.lines(),
                        Some(t) => match lit_str(t.expr()) {
                            Some("required") | None => continue,
                            Some(_) => t.lines(),
                        },
                    }
                }
            };
            cx.emit(
                &EC2_IMDSV1,
                r,
                lines,
                format!("{} accepts IMDSv1 requests (http_tokens is not \"required\")", r.address()),
                "Add `metadata_options { http_tokens = \"required\" }` (and `http_put_response_hop_limit = 1` unless containers on the host need the metadata service).".into(),
            );
        }
    }
}

/// The EKS API endpoint: public (the default) with no CIDR restriction, or 0.0.0.0/0.
fn eks_public_endpoint(cx: &mut Ctx<'_, '_, '_, '_>) {
    for cluster in cx.index.targets("aws_eks_cluster") {
        let Some(vpc) = cluster.blk.block("vpc_config") else {
            continue;
        };
        if vpc.bool("endpoint_public_access") == Some(false)
            || vpc
                .attr("endpoint_public_access")
                .is_some_and(|a| a.bool().is_none())
        {
            continue;
        }
        let cidrs = vpc.attr("public_access_cidrs");
        let open = match cidrs {
            None => true,
            Some(a) => value::str_list(a.expr()).is_some_and(|l| l.contains(&"0.0.0.0/0")),
        };
        if open {
            cx.emit(
                &EKS_PUBLIC_ENDPOINT,
                cluster,
                vpc.lines_or_head(cidrs),
                format!("{} exposes its Kubernetes API endpoint to 0.0.0.0/0", cluster.address()),
                "Set `endpoint_public_access = false` and `endpoint_private_access = true`, or list only your office/VPN ranges in `public_access_cidrs`.".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::size_rank;

    #[test]
    fn sizes() {
        assert!(size_rank("m5.2xlarge") > size_rank("t3.large"));
        assert!(size_rank("db.r6g.xlarge") > size_rank("x.large"));
        assert_eq!(size_rank("t3.large"), size_rank("x.large"));
        assert!(size_rank("m5.metal") > size_rank("m5.24xlarge"));
        assert_eq!(size_rank("weird"), None);
        assert_eq!(size_rank("large"), size_rank("x.large"));
    }
}

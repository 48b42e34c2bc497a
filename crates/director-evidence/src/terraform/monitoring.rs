//! Monitoring: CloudWatch alarms that notify nobody, production resources no alarm
//! watches (a warning; with no alerting anywhere in the repository, the blocking
//! `infra.monitoring.no-alerting` of `operations.rs` instead), and VPCs without flow logs.

use super::{Ctx, Res, lit_str, operations, value};
use crate::rules::{ALARM_WITHOUT_ACTIONS, NO_ALARM, VPC_NO_FLOW_LOGS};
use std::collections::HashSet;

/// Resources whose failure takes a service down, so something must alarm on them.
pub(super) const CRITICAL: &[&str] = &[
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_lb",
    "aws_alb",
    "aws_elb",
    "aws_ecs_service",
    "aws_elasticache_replication_group",
];

/// Attributes whose literal value identifies a resource in alarm dimensions.
const IDENTIFIERS: &[&str] = &[
    "identifier",
    "cluster_identifier",
    "name",
    "replication_group_id",
];

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for alarm in index.targets("aws_cloudwatch_metric_alarm") {
        let enabled = alarm.blk.attr("actions_enabled");
        if let Some(a) = enabled.filter(|a| a.bool() == Some(false)) {
            cx.emit(
                &ALARM_WITHOUT_ACTIONS,
                alarm,
                a.lines(),
                format!("{} has its actions disabled", alarm.address()),
                "Set `actions_enabled = true` so the alarm notifies someone.".into(),
            );
            continue;
        }
        let actions = alarm.blk.attr("alarm_actions");
        let none = actions.is_none_or(|a| value::array(a.expr()).is_some_and(|arr| arr.is_empty()));
        if none {
            cx.emit(
                &ALARM_WITHOUT_ACTIONS,
                alarm,
                alarm.blk.lines_or_head(actions),
                format!("{} has no alarm_actions", alarm.address()),
                "Point `alarm_actions` at an SNS topic (or incident tool) that reaches on-call."
                    .into(),
            );
        }
    }

    // Alarms whose dimensions cannot be resolved might watch anything.
    let mut opaque_alarm = false;
    let mut watched_refs: HashSet<&str> = HashSet::new();
    let mut watched_names: HashSet<String> = HashSet::new();
    for alarm in index.all("aws_cloudwatch_metric_alarm") {
        watched_refs.extend(alarm.refs.iter().map(String::as_str));
        if let Some(dims) = alarm.blk.attr("dimensions") {
            match value::tag_map(dims.expr()) {
                Some(pairs) => watched_names.extend(pairs.into_iter().filter_map(|(_, v)| v)),
                None if !alarm.refs.iter().any(|r| index.get(r).is_some()) => {
                    opaque_alarm = true;
                }
                None => {}
            }
        }
    }
    let monitoring_module = index.res.iter().any(|r| {
        r.kind == "module"
            && ["alarm", "monitor", "alert"]
                .iter()
                .any(|w| r.rtype.to_ascii_lowercase().contains(w))
    });
    if !opaque_alarm && !monitoring_module {
        let alerting = operations::alerting_anywhere(cx);
        let mut unwatched: Vec<&Res<'_>> = Vec::new();
        for rtype in CRITICAL {
            for r in index.targets(rtype) {
                if !r.env.is_production_or_unknown() {
                    continue;
                }
                if *rtype == "aws_db_instance" && r.blk.attr("replicate_source_db").is_some() {
                    continue;
                }
                let address = r.address();
                let named = IDENTIFIERS
                    .iter()
                    .filter_map(|k| r.blk.str(k))
                    .any(|n| watched_names.contains(n));
                if watched_refs.contains(address.as_str()) || named {
                    continue;
                }
                if alerting.is_none() {
                    unwatched.push(r);
                    continue;
                }
                cx.emit(
                    &NO_ALARM,
                    r,
                    r.blk.head(),
                    format!("No CloudWatch alarm watches {address}"),
                    format!(
                        "Add aws_cloudwatch_metric_alarm resources on {address}'s key metrics (errors, latency, CPU/storage/connections, healthy hosts) with alarm_actions to on-call."
                    ),
                );
            }
        }
        operations::no_alerting(cx, &unwatched);
    }

    let unresolved_flow_log = index.all("aws_flow_log").any(|f| {
        f.blk.attr("vpc_id").is_some_and(|a| {
            lit_str(a.expr()).is_none()
                && !value::expr_refs(a.expr())
                    .iter()
                    .any(|r| r.starts_with("aws_vpc."))
        })
    });
    if unresolved_flow_log {
        return;
    }
    for vpc in index.targets("aws_vpc") {
        let address = vpc.address();
        if index
            .referrers_of_type(&address, "aws_flow_log")
            .next()
            .is_some()
        {
            continue;
        }
        cx.emit(
            &VPC_NO_FLOW_LOGS,
            vpc,
            vpc.blk.head(),
            format!("{address} has no flow logs"),
            format!("Add `resource \"aws_flow_log\"` with `vpc_id = {address}.id` and `traffic_type = \"ALL\"`."),
        );
    }
}

//! Resilience settings of compute and messaging: groups that can scale but have no
//! policy to do it, Lambda and load-balancer timeouts, sticky sessions (state kept in
//! instances), and queues without a dead-letter queue.

use super::{Ctx, Res, lit_int, value};
use crate::rules::{
    ASG_NO_SCALING_POLICY, LAMBDA_DEFAULT_TIMEOUT, LAMBDA_TIMEOUT_OVER_GATEWAY,
    LB_LONG_IDLE_TIMEOUT, LB_STICKY_SESSIONS, QUEUE_NO_DLQ,
};

/// API Gateway's integration timeout, in seconds.
const GATEWAY_TIMEOUT_SECS: i64 = 29;
/// Idle timeouts above this many seconds are reported (the default is 60).
const MAX_IDLE_TIMEOUT_SECS: i64 = 300;

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    scaling_policies(cx);
    lambda_timeouts(cx);
    load_balancers(cx);
    queues(cx);
}

/// min < max, and nothing that moves the capacity: an ASG with no scaling policy or
/// schedule, an Application Auto Scaling target with no policy or scheduled action.
fn scaling_policies(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    let groups = [
        (
            "aws_autoscaling_group",
            "min_size",
            "max_size",
            &["aws_autoscaling_policy", "aws_autoscaling_schedule"][..],
        ),
        (
            "aws_appautoscaling_target",
            "min_capacity",
            "max_capacity",
            &[
                "aws_appautoscaling_policy",
                "aws_appautoscaling_scheduled_action",
            ][..],
        ),
    ];
    for (rtype, min_key, max_key, movers) in groups {
        for g in index.targets(rtype) {
            let (Some(min), Some(max)) = (g.blk.int(min_key), g.blk.int(max_key)) else {
                continue;
            };
            if min >= max {
                continue;
            }
            let address = g.address();
            let moved = movers
                .iter()
                .any(|t| index.referrers_of_type(&address, t).next().is_some())
                // Groups handed to a module, or scaled by a cluster autoscaler tag, may
                // be moved elsewhere.
                || index.referrers(&address).any(|r| r.kind == "module")
                || tagged_for_cluster_autoscaler(g);
            if moved {
                continue;
            }
            let lines = g
                .blk
                .attr(max_key)
                .map_or_else(|| g.blk.head(), |a| a.lines());
            cx.emit(
                &ASG_NO_SCALING_POLICY,
                g,
                lines,
                format!("{address} may grow from {min} to {max} but no scaling policy ever moves it"),
                if rtype == "aws_autoscaling_group" {
                    format!("Add an aws_autoscaling_policy (policy_type = \"TargetTrackingScaling\", e.g. 60% average CPU) for {address}.")
                } else {
                    format!("Add an aws_appautoscaling_policy (target tracking on CPU or request count) for {address}.")
                },
            );
        }
    }
}

fn tagged_for_cluster_autoscaler(g: &Res<'_>) -> bool {
    g.blk.blocks("tag").iter().any(|t| {
        t.str("key")
            .is_some_and(|k| k.starts_with("k8s.io/cluster-autoscaler"))
    })
}

fn lambda_timeouts(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for f in index.targets("aws_lambda_function") {
        let address = f.address();
        let Some(timeout) = f.blk.attr("timeout") else {
            cx.emit(
                &LAMBDA_DEFAULT_TIMEOUT,
                f,
                f.blk.head(),
                format!("{address} sets no timeout and is killed after the default 3 seconds"),
                "Set `timeout` (seconds) from the function's measured duration plus headroom."
                    .into(),
            );
            continue;
        };
        let Some(secs) = lit_int(timeout.expr()) else {
            continue;
        };
        if secs <= GATEWAY_TIMEOUT_SECS {
            continue;
        }
        let behind_gateway = index.referrers(&address).any(|r| {
            matches!(
                r.rtype,
                "aws_api_gateway_integration" | "aws_apigatewayv2_integration"
            ) || (r.rtype == "aws_lambda_permission"
                && r.blk
                    .str("principal")
                    .is_some_and(|p| p.starts_with("apigateway")))
        });
        if behind_gateway {
            cx.emit(
                &LAMBDA_TIMEOUT_OVER_GATEWAY,
                f,
                timeout.lines(),
                format!("{address} may run {secs} s, but API Gateway gives up after {GATEWAY_TIMEOUT_SECS} s"),
                format!("Set `timeout` below {GATEWAY_TIMEOUT_SECS} seconds, or hand long work to a queue and answer at once."),
            );
        }
    }
}

fn load_balancers(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for rtype in ["aws_lb", "aws_alb"] {
        for lb in index.targets(rtype) {
            let Some(attr) = lb.blk.attr("idle_timeout") else {
                continue;
            };
            if let Some(secs) = lit_int(attr.expr()).filter(|s| *s > MAX_IDLE_TIMEOUT_SECS) {
                cx.emit(
                    &LB_LONG_IDLE_TIMEOUT,
                    lb,
                    attr.lines(),
                    format!("{} keeps idle connections for {secs} s", lb.address()),
                    "Keep `idle_timeout` near the 60-second default (and below the targets' keep-alive timeout); use a separate load balancer for long-lived streams.".into(),
                );
            }
        }
    }
    for rtype in ["aws_lb_target_group", "aws_alb_target_group"] {
        for tg in index.targets(rtype) {
            let Some(sticky) = tg.blk.block("stickiness") else {
                continue;
            };
            // Stickiness is on when the block exists, unless `enabled = false`.
            if sticky.bool("enabled") == Some(false)
                || sticky.attr("enabled").is_some_and(|a| a.bool().is_none())
            {
                continue;
            }
            cx.emit(
                &LB_STICKY_SESSIONS,
                tg,
                sticky.lines(),
                format!("{} pins each client to one target (sticky sessions)", tg.address()),
                "Keep session state in a shared store (Redis, DynamoDB, the database) and remove the stickiness block (or set `enabled = false`).".into(),
            );
        }
    }
}

fn queues(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for q in index.targets("aws_sqs_queue") {
        let address = q.address();
        if q.blk.attr("redrive_policy").is_some()
            || index
                .referrers_of_type(&address, "aws_sqs_queue_redrive_policy")
                .next()
                .is_some()
        {
            continue;
        }
        // A queue that is itself a dead-letter target, or named like one, needs none.
        let is_dlq = index.referrers(&address).any(|r| {
            (r.rtype == "aws_sqs_queue" || r.rtype == "aws_sqs_queue_redrive_policy")
                && r.blk
                    .attr("redrive_policy")
                    .is_some_and(|a| value::expr_refs(a.expr()).contains(&address))
        }) || index
            .referrers_of_type(&address, "aws_sqs_queue_redrive_allow_policy")
            .next()
            .is_some()
            || {
                let name = q.blk.str("name").unwrap_or(q.name).to_ascii_lowercase();
                name.contains("dlq") || name.contains("dead")
            };
        if is_dlq {
            continue;
        }
        cx.emit(
            &QUEUE_NO_DLQ,
            q,
            q.blk.head(),
            format!("{address} has no dead-letter queue"),
            format!(
                "Add a dead-letter aws_sqs_queue and `redrive_policy = jsonencode({{ deadLetterTargetArn = <dlq>.arn, maxReceiveCount = 5 }})` on {address}."
            ),
        );
    }
}

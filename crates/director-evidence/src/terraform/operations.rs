//! Operational readiness across the repository: is there alerting at all (Failure
//! Criterion 5, "no monitoring"), a dashboard for the new production resources, and
//! does anybody subscribe to the SNS topics alarms notify (on-call)?
//!
//! "No alerting anywhere" is a repository-wide fact: CloudWatch, Datadog, Grafana,
//! New Relic, PagerDuty, Google and Azure alerting resources, monitoring modules and
//! Prometheus `PrometheusRule`s (from the Kubernetes analyzer) all count. Only when
//! none exists does a production resource without an alarm block; otherwise a missing
//! alarm stays the `infra.monitoring.no-alarm` warning.

use super::{Ctx, Res, value};
use crate::rules::{ALARM_TOPIC_UNSUBSCRIBED, NO_ALERTING, NO_DASHBOARD};

/// Terraform resource types that alert (or page) on something.
const ALERTING: &[&str] = &[
    "aws_cloudwatch_metric_alarm",
    "aws_cloudwatch_composite_alarm",
    "aws_prometheus_rule_group_namespace",
    "datadog_monitor",
    "datadog_monitor_json",
    "datadog_service_level_objective",
    "datadog_synthetics_test",
    "grafana_rule_group",
    "grafana_slo",
    "newrelic_alert_policy",
    "newrelic_alert_condition",
    "newrelic_nrql_alert_condition",
    "newrelic_service_level",
    "pagerduty_service",
    "pagerduty_event_orchestration_service",
    "google_monitoring_alert_policy",
    "google_monitoring_slo",
    "azurerm_monitor_metric_alert",
    "azurerm_monitor_scheduled_query_rules_alert",
    "azurerm_monitor_scheduled_query_rules_alert_v2",
    "azurerm_monitor_activity_log_alert",
    "opsgenie_service",
    "sumologic_monitor",
    "honeycombio_trigger",
];

/// Terraform resource types that are dashboards.
const DASHBOARDS: &[&str] = &[
    "aws_cloudwatch_dashboard",
    "datadog_dashboard",
    "datadog_dashboard_json",
    "grafana_dashboard",
    "newrelic_one_dashboard",
    "newrelic_one_dashboard_json",
    "google_monitoring_dashboard",
    "azurerm_portal_dashboard",
    "signalfx_dashboard",
];

/// Resource types that take SNS notifications to people or tools.
const SUBSCRIBERS: &[&str] = &[
    "aws_sns_topic_subscription",
    "aws_chatbot_slack_channel_configuration",
    "aws_chatbot_teams_channel_configuration",
    "awscc_chatbot_slack_channel_configuration",
];

/// True if a module looks like it manages alarms, monitors or dashboards.
fn monitoring_module(cx: &Ctx<'_, '_, '_, '_>, words: &[&str]) -> bool {
    cx.index.res.iter().any(|r| {
        r.kind == "module" && {
            let name = r.rtype.to_ascii_lowercase();
            let source = r.blk.str("source").unwrap_or("").to_ascii_lowercase();
            words.iter().any(|w| name.contains(w) || source.contains(w))
        }
    })
}

/// Where the repository alerts, if anywhere (for titles), else `None`.
pub(super) fn alerting_anywhere(cx: &Ctx<'_, '_, '_, '_>) -> Option<String> {
    if let Some(r) = ALERTING.iter().find_map(|t| cx.index.all(t).next()) {
        return Some(format!("{} in {}", r.address(), r.blk.file.src.path));
    }
    if monitoring_module(cx, &["alarm", "monitor", "alert"]) {
        return Some("a monitoring module".into());
    }
    cx.sink.facts.alerting.first().cloned()
}

/// Report production resources added with no alerting anywhere: one blocking finding
/// on the first, naming the others (the problem is the repository's, not each one's).
pub(super) fn no_alerting(cx: &mut Ctx<'_, '_, '_, '_>, unwatched: &[&Res<'_>]) {
    let Some((first, rest)) = unwatched.split_first() else {
        return;
    };
    let mut names: Vec<String> = unwatched.iter().map(|r| r.address()).collect();
    let listed = if names.len() > 4 {
        format!("{} and {} more", names[..4].join(", "), names.len() - 4)
    } else {
        names.join(", ")
    };
    let before = cx.sink.findings.len();
    cx.emit(
        &NO_ALERTING,
        first,
        first.blk.head(),
        format!("Nothing in the repository alerts on {listed}: no alarm, monitor, SLO or alert rule exists"),
        format!(
            "Add alerts for {listed} (e.g. aws_cloudwatch_metric_alarm on errors, latency, CPU, storage and connections, or the team's Datadog/Prometheus equivalents) with actions that page on-call."
        ),
    );
    if rest.is_empty() || cx.sink.findings.len() == before {
        return;
    }
    names.remove(0);
    if let Some(f) = cx.sink.findings.last_mut() {
        f.resources.extend(names);
    }
}

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>, critical: &[&str]) {
    dashboards(cx, critical);
    on_call(cx);
}

/// New production resources and no dashboard anywhere: one warning on the first.
fn dashboards(cx: &mut Ctx<'_, '_, '_, '_>, critical: &[&str]) {
    let index = cx.index;
    let has_dashboard = DASHBOARDS.iter().any(|t| index.all(t).next().is_some())
        || monitoring_module(cx, &["dashboard", "monitor", "observability"])
        || !cx.sink.facts.dashboards.is_empty();
    if has_dashboard {
        return;
    }
    let new: Vec<&Res<'_>> = critical
        .iter()
        .flat_map(|t| index.targets(t))
        .filter(|r| r.env.is_production_or_unknown() && !is_replica(r))
        .collect();
    let Some(first) = new.first() else { return };
    let names: Vec<String> = new.iter().map(|r| r.address()).collect();
    cx.emit(
        &NO_DASHBOARD,
        first,
        first.blk.head(),
        format!("No dashboard in the repository shows {}", names.join(", ")),
        "Add a dashboard (aws_cloudwatch_dashboard, datadog_dashboard, grafana_dashboard, …) with the resources' traffic, errors, latency and saturation.".into(),
    );
}

fn is_replica(r: &Res<'_>) -> bool {
    r.rtype == "aws_db_instance" && r.blk.attr("replicate_source_db").is_some()
}

/// Alarms whose SNS topic (defined in the repository) has no subscriber.
fn on_call(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for rtype in [
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_composite_alarm",
    ] {
        for alarm in index.targets(rtype) {
            let Some(actions) = alarm.blk.attr("alarm_actions") else {
                continue;
            };
            let topics: Vec<String> = value::expr_refs(actions.expr())
                .into_iter()
                .filter(|a| a.starts_with("aws_sns_topic."))
                .filter(|a| index.get(a).is_some())
                .collect();
            for topic in topics {
                // A module handed the topic may subscribe to it: not judged.
                let subscribed = index.referrers(&topic).any(|r| {
                    r.kind == "module"
                        || (r.kind == "resource"
                            && (SUBSCRIBERS.contains(&r.rtype)
                                || r.rtype == "aws_lambda_permission"))
                });
                if subscribed {
                    continue;
                }
                cx.emit(
                    &ALARM_TOPIC_UNSUBSCRIBED,
                    alarm,
                    actions.lines(),
                    format!("{} notifies {topic}, which nobody subscribes to", alarm.address()),
                    format!(
                        "Add an aws_sns_topic_subscription on {topic}.arn for the on-call channel (PagerDuty/Opsgenie HTTPS endpoint, email or Chatbot)."
                    ),
                );
            }
        }
    }
}

//! Cost controls: budgets for the accounts and environments a change creates, and
//! the team's naming conventions (a pattern per resource type, like required tags).

use super::{Ctx, Res, lit_str};
use crate::rules::{NAMING_CONVENTION, NO_BUDGET};

/// Resource types that create an account, project or subscription.
const ACCOUNTS: &[&str] = &[
    "aws_organizations_account",
    "google_project",
    "azurerm_subscription",
];

/// Resource types that lay the foundation of a new environment (its network or cluster).
const ENVIRONMENTS: &[&str] = &[
    "aws_vpc",
    "aws_eks_cluster",
    "aws_ecs_cluster",
    "google_compute_network",
    "google_container_cluster",
    "azurerm_resource_group",
    "azurerm_kubernetes_cluster",
];

/// Resource types that are budgets with alerts.
const BUDGETS: &[&str] = &[
    "aws_budgets_budget",
    "aws_budgets_budget_action",
    "aws_ce_anomaly_monitor",
    "google_billing_budget",
    "azurerm_consumption_budget_subscription",
    "azurerm_consumption_budget_resource_group",
    "azurerm_consumption_budget_management_group",
];

/// Attributes that carry a resource's name, in the order they are tried.
const NAME_KEYS: &[&str] = &[
    "name",
    "bucket",
    "identifier",
    "cluster_identifier",
    "cluster_name",
    "function_name",
    "replication_group_id",
    "cluster_id",
    "node_group_name",
    "alarm_name",
];

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    budgets(cx);
    naming(cx);
}

fn budgets(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    let budgeted = BUDGETS.iter().any(|t| index.all(t).next().is_some())
        || index.res.iter().any(|r| {
            r.kind == "module"
                && (r.rtype.to_ascii_lowercase().contains("budget")
                    || r.blk.str("source").is_some_and(|s| s.contains("budget")))
        });
    if budgeted {
        return;
    }
    // One finding per created account, else one on the first new environment.
    let accounts: Vec<&Res<'_>> = ACCOUNTS.iter().flat_map(|t| index.targets(t)).collect();
    let created: Vec<&Res<'_>> = if accounts.is_empty() {
        ENVIRONMENTS
            .iter()
            .flat_map(|t| index.targets(t))
            .take(1)
            .collect()
    } else {
        accounts
    };
    for r in created {
        cx.emit(
            &NO_BUDGET,
            r,
            r.blk.head(),
            format!("{} is created with no budget or cost alert in the repository", r.address()),
            "Add an aws_budgets_budget (or google_billing_budget / azurerm_consumption_budget_*) scoped to it, with notifications at 80% and 100% of the expected monthly spend.".into(),
        );
    }
}

fn naming(cx: &mut Ctx<'_, '_, '_, '_>) {
    let patterns = &cx.config().naming;
    if patterns.is_empty() || cx.sink.disabled(&NAMING_CONVENTION) {
        return;
    }
    // Invalid patterns are refused when the configuration loads; one that slips
    // through here is skipped rather than reported against every resource.
    let compiled: Vec<(&str, regex::Regex)> = patterns
        .iter()
        .filter_map(|(t, p)| Some((t.as_str(), regex::Regex::new(p).ok()?)))
        .collect();
    let index = cx.index;
    for r in index
        .res
        .iter()
        .filter(|r| r.kind == "resource" && r.blk.file.target)
    {
        let Some((_, re)) = compiled
            .iter()
            .find(|(t, _)| *t == r.rtype)
            .or_else(|| compiled.iter().find(|(t, _)| *t == "*"))
        else {
            continue;
        };
        let Some((attr, name)) = NAME_KEYS
            .iter()
            .find_map(|k| r.blk.attr(k).and_then(|a| Some((a, lit_str(a.expr())?))))
        else {
            continue;
        };
        if re.is_match(name) {
            continue;
        }
        cx.emit(
            &NAMING_CONVENTION,
            r,
            attr.lines(),
            format!(
                "{} is named `{name}`, which does not match `{}`",
                r.address(),
                re.as_str()
            ),
            format!(
                "Rename it to match the {} naming convention `{}`.",
                r.rtype,
                re.as_str()
            ),
        );
    }
}

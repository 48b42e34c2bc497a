//! Failure Criterion 7, wrong resource tiers, both ways: production on burstable
//! development classes (t2/t3/t3a/t4g micro and small, burstable database and cache
//! classes, single-node caches), and development or test on production-tier features
//! (Multi-AZ standbys, provisioned-IOPS storage).
//!
//! Production is judged only where a resource is known to run there (task, tag, name or
//! path): a `t3.micro` of unknown environment is far more often a sandbox than a
//! production mistake.

use super::{Ctx, Res, lit_int, lit_str};
use crate::env::Policy;
use crate::rules::{
    TIER_DEV_CLASS_IN_PRODUCTION, TIER_PRODUCTION_TIER_IN_DEV, TIER_SINGLE_NODE_CACHE,
};
use director_core::Environment;

/// Resource types and the attribute naming their class.
const CLASSED: &[(&str, &str)] = &[
    ("aws_instance", "instance_type"),
    ("aws_launch_template", "instance_type"),
    ("aws_launch_configuration", "instance_type"),
    ("aws_db_instance", "instance_class"),
    ("aws_rds_cluster_instance", "instance_class"),
    ("aws_elasticache_cluster", "node_type"),
    ("aws_elasticache_replication_group", "node_type"),
];

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for (rtype, key) in CLASSED {
        for r in index.targets(rtype) {
            if let Some(a) = r.blk.attr(key)
                && let Some(class) = lit_str(a.expr())
            {
                dev_class(cx, r, class, a.lines());
            }
        }
    }
    for group in index.targets("aws_eks_node_group") {
        if let Some(types) = group.blk.attr("instance_types") {
            for t in super::value::str_list(types.expr()).unwrap_or_default() {
                dev_class(cx, group, t, types.lines());
            }
        }
    }
    single_node_caches(cx);
    production_tier_in_dev(cx);
}

fn in_production(r: &Res<'_>) -> bool {
    r.env.env == Some(Environment::Production)
}

/// `Some(true)` for a burstable micro/small class (blocking), `Some(false)` for a
/// larger burstable database or cache class (a warning: the seed's own Example 2 runs
/// production on `db.t3.medium`), `None` for anything else.
fn burstable(class: &str) -> Option<bool> {
    let parts: Vec<&str> = class.split('.').collect();
    let (family, size) = match parts.as_slice() {
        ["db" | "cache", family, size] => (*family, *size),
        [family, size] => (*family, *size),
        _ => return None,
    };
    let managed = parts.len() == 3;
    let is_burstable = matches!(family, "t1" | "t2" | "t3" | "t3a" | "t4g");
    if !is_burstable {
        return None;
    }
    match size {
        "nano" | "micro" | "small" => Some(true),
        _ if managed => Some(false),
        _ => None,
    }
}

fn dev_class(cx: &mut Ctx<'_, '_, '_, '_>, r: &Res<'_>, class: &str, lines: (u32, u32)) {
    if !in_production(r) {
        return;
    }
    let Some(small) = burstable(class) else {
        return;
    };
    cx.emit_with(
        &TIER_DEV_CLASS_IN_PRODUCTION,
        r,
        lines,
        format!("{} runs production on the burstable {class}", r.address()),
        "Use a non-burstable class sized for the load (e.g. m7g/r7g, db.m7g/db.r7g, cache.m7g/cache.r7g); keep t-classes for development.".into(),
        (!small).then_some(Policy::Important),
    );
}

/// Redis/Valkey as a single-node `aws_elasticache_cluster`, or a replication group
/// with one node, in production.
fn single_node_caches(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for cache in index.targets("aws_elasticache_cluster") {
        let redis = cache
            .blk
            .str("engine")
            .is_some_and(|e| e == "redis" || e == "valkey");
        // A cluster that joins a replication group is one of its nodes.
        if !redis || !in_production(cache) || cache.blk.attr("replication_group_id").is_some() {
            continue;
        }
        let nodes = cache.blk.attr("num_cache_nodes");
        if nodes.is_some_and(|a| lit_int(a.expr()).is_none_or(|n| n > 1)) {
            continue;
        }
        cx.emit(
            &TIER_SINGLE_NODE_CACHE,
            cache,
            cache.blk.lines_or_head(nodes),
            format!("{} is a single-node production cache", cache.address()),
            "Use an aws_elasticache_replication_group with num_cache_clusters >= 2, automatic_failover_enabled and multi_az_enabled.".into(),
        );
    }
    for group in index.targets("aws_elasticache_replication_group") {
        if !in_production(group) {
            continue;
        }
        if let Some(a) = group.blk.attr("num_cache_clusters")
            && lit_int(a.expr()) == Some(1)
        {
            cx.emit(
                &TIER_SINGLE_NODE_CACHE,
                group,
                a.lines(),
                format!("{} has a single node in production", group.address()),
                "Set `num_cache_clusters = 2` (or more) with automatic_failover_enabled and multi_az_enabled.".into(),
            );
        }
    }
}

/// Development and test databases with Multi-AZ standbys or provisioned IOPS.
fn production_tier_in_dev(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for db in index.targets("aws_db_instance") {
        if !matches!(
            db.env.env,
            Some(Environment::Development | Environment::Test)
        ) {
            continue;
        }
        let env = db.env.env.map_or("non-production", |e| e.as_str());
        if let Some(a) = db.blk.attr("multi_az")
            && a.bool() == Some(true)
        {
            cx.emit(
                &TIER_PRODUCTION_TIER_IN_DEV,
                db,
                a.lines(),
                format!("{} pays for a Multi-AZ standby in {env}", db.address()),
                "Set `multi_az = false` outside production.".into(),
            );
        }
        if let Some(a) = db.blk.attr("storage_type")
            && let Some(kind @ ("io1" | "io2")) = lit_str(a.expr())
        {
            cx.emit(
                &TIER_PRODUCTION_TIER_IN_DEV,
                db,
                a.lines(),
                format!(
                    "{} uses provisioned-IOPS {kind} storage in {env}",
                    db.address()
                ),
                "Use `storage_type = \"gp3\"` outside production.".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::burstable;

    #[test]
    fn classes() {
        assert_eq!(burstable("t3.micro"), Some(true));
        assert_eq!(burstable("t4g.small"), Some(true));
        assert_eq!(burstable("db.t3.micro"), Some(true));
        assert_eq!(burstable("db.t3.medium"), Some(false));
        assert_eq!(burstable("cache.t4g.medium"), Some(false));
        assert_eq!(burstable("t3.large"), None);
        assert_eq!(burstable("m5.large"), None);
        assert_eq!(burstable("db.r6g.large"), None);
        assert_eq!(burstable("weird"), None);
    }
}

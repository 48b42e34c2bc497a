//! Data stores: RDS instances and clusters (Aurora, DocumentDB, Neptune), Redshift,
//! ElastiCache, DynamoDB, and whether AWS Backup covers volumes and file systems.
//! Availability, backups, deletion protection, encryption, replicas and cross-region
//! copies, and database logs and monitoring.

use super::{Ctx, Res, lit_int, lit_str, value};
use crate::env::Policy;
use crate::rules::DB_PUBLIC;
use crate::rules::{
    BACKUP_NO_PLAN, DB_BACKUP_RETENTION, DB_NO_DELETION_PROTECTION, DB_UNENCRYPTED,
    DYNAMODB_NO_AUTOSCALING, DYNAMODB_NO_PITR, ELASTICACHE_NO_BACKUPS, ELASTICACHE_NO_FAILOVER,
    RDS_NO_CROSS_REGION_BACKUP, RDS_NO_ENHANCED_MONITORING, RDS_NO_LOG_EXPORTS,
    RDS_NO_PERFORMANCE_INSIGHTS, RDS_NO_READ_REPLICA, RDS_SINGLE_AZ, REDSHIFT_NO_SNAPSHOTS,
};

/// AWS's upper bound for automated backup retention.
const MAX_RETENTION_DAYS: i64 = 35;

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    let open_selection = index.all("aws_backup_selection").any(selects_open_set);
    for db in index.targets("aws_db_instance") {
        let replica = db
            .blk
            .attr("replicate_source_db")
            .is_some_and(|a| !value::is_null(a.expr()));
        let engine = db.blk.str("engine").unwrap_or("");
        if !replica && !engine.starts_with("aurora") {
            // SQL Server Express and Web editions cannot run Multi-AZ.
            if !matches!(engine, "sqlserver-ex" | "sqlserver-web") {
                single_az(cx, db);
            }
            backup_retention(cx, db);
            deletion_protection(cx, db);
            encryption(cx, db, "storage_encrypted");
            replicas_and_dr(cx, db);
        }
        log_exports(cx, db);
        enhanced_monitoring(cx, db);
        performance_insights(cx, db);
    }
    for cluster in index.targets("aws_rds_cluster") {
        let serverless_v1 = cluster.blk.str("engine_mode") == Some("serverless");
        backup_retention(cx, cluster);
        deletion_protection(cx, cluster);
        if !serverless_v1 {
            encryption(cx, cluster, "storage_encrypted");
            aurora_instances(cx, cluster);
        }
        log_exports(cx, cluster);
        backup_plan(cx, cluster, Policy::Advice, open_selection);
    }
    for instance in index.targets("aws_rds_cluster_instance") {
        enhanced_monitoring(cx, instance);
        performance_insights(cx, instance);
    }
    for rtype in ["aws_docdb_cluster", "aws_neptune_cluster"] {
        for cluster in index.targets(rtype) {
            backup_retention(cx, cluster);
            deletion_protection(cx, cluster);
            encryption(cx, cluster, "storage_encrypted");
        }
    }
    for cluster in index.targets("aws_redshift_cluster") {
        if let Some(a) = cluster.blk.attr("automated_snapshot_retention_period")
            && lit_int(a.expr()) == Some(0)
        {
            cx.emit(
                &REDSHIFT_NO_SNAPSHOTS,
                cluster,
                a.lines(),
                format!("{} disables automated snapshots", cluster.address()),
                "Set automated_snapshot_retention_period to at least 1 (7 or more for production)."
                    .into(),
            );
        }
    }
    elasticache(cx);
    dynamodb(cx);
    publicly_accessible(cx);
    for rtype in ["aws_ebs_volume", "aws_efs_file_system"] {
        for r in index.targets(rtype) {
            backup_plan(cx, r, Policy::Important, open_selection);
        }
    }
}

fn single_az(cx: &mut Ctx<'_, '_, '_, '_>, db: &Res<'_>) {
    match db.blk.attr("multi_az") {
        None => cx.emit(
            &RDS_SINGLE_AZ,
            db,
            db.blk.head(),
            format!("{} is single-AZ (multi_az is not set)", db.address()),
            "Set `multi_az = true` for a synchronous standby in another AZ with automatic failover.".into(),
        ),
        Some(a) if a.bool() == Some(false) => cx.emit(
            &RDS_SINGLE_AZ,
            db,
            a.lines(),
            format!("{} is single-AZ (multi_az = false)", db.address()),
            "Set `multi_az = true` for a synchronous standby in another AZ with automatic failover.".into(),
        ),
        Some(_) => {}
    }
}

fn backup_retention(cx: &mut Ctx<'_, '_, '_, '_>, db: &Res<'_>) {
    let min = i64::from(cx.config().min_backup_retention_days);
    match db.blk.attr("backup_retention_period") {
        None => cx.emit(
            &DB_BACKUP_RETENTION,
            db,
            db.blk.head(),
            format!("{} sets no backup_retention_period (AWS keeps 1 day by default)", db.address()),
            format!("Set `backup_retention_period = {}` or more.", min.max(7)),
        ),
        Some(a) => match lit_int(a.expr()) {
            Some(0) => {
                // No disaster recovery only when nothing else backs it up: an AWS Backup
                // plan that selects it (or may, by tag) leaves a warning.
                let plan = super::recovery::plans_for(cx, &db.address())
                    .is_none_or(|plans| !plans.is_empty());
                cx.emit_with(
                    &DB_BACKUP_RETENTION,
                    db,
                    a.lines(),
                    if plan {
                        format!("{} has automated backups disabled (backup_retention_period = 0); only AWS Backup covers it", db.address())
                    } else {
                        format!("{} has automated backups disabled (backup_retention_period = 0)", db.address())
                    },
                    format!("Set `backup_retention_period = {min}` or more."),
                    plan.then_some(Policy::Important),
                );
            }
            Some(days) if days < min => cx.emit(
                &DB_BACKUP_RETENTION,
                db,
                a.lines(),
                format!("{} keeps backups for only {days} day(s), below the minimum of {min}", db.address()),
                format!("Set `backup_retention_period = {min}` or more."),
            ),
            Some(days) if days > MAX_RETENTION_DAYS => cx.emit_with(
                &DB_BACKUP_RETENTION,
                db,
                a.lines(),
                format!("{} sets backup_retention_period = {days}, above AWS's maximum of 35", db.address()),
                "AWS rejects retention above 35 days; set 35 or less and use AWS Backup for longer retention.".into(),
                Some(Policy::Important),
            ),
            _ => {}
        },
    }
}

fn deletion_protection(cx: &mut Ctx<'_, '_, '_, '_>, db: &Res<'_>) {
    match db.blk.attr("deletion_protection") {
        None => cx.emit(
            &DB_NO_DELETION_PROTECTION,
            db,
            db.blk.head(),
            format!("{} has no deletion protection", db.address()),
            "Set `deletion_protection = true`.".into(),
        ),
        Some(a) if a.bool() == Some(false) => cx.emit(
            &DB_NO_DELETION_PROTECTION,
            db,
            a.lines(),
            format!("{} has deletion protection turned off", db.address()),
            "Set `deletion_protection = true`.".into(),
        ),
        Some(_) => {}
    }
}

fn encryption(cx: &mut Ctx<'_, '_, '_, '_>, db: &Res<'_>, key: &str) {
    let what = "database storage";
    match db.blk.attr(key) {
        None => cx.emit(
            &DB_UNENCRYPTED,
            db,
            db.blk.head(),
            format!(
                "{} does not encrypt its {what} ({key} is not set)",
                db.address()
            ),
            format!("Set `{key} = true` (with a customer-managed kms_key_id where required)."),
        ),
        Some(a) if a.bool() == Some(false) => cx.emit(
            &DB_UNENCRYPTED,
            db,
            a.lines(),
            format!("{} does not encrypt its {what}", db.address()),
            format!(
                "Set `{key} = true`; encrypting an existing database requires a snapshot restore."
            ),
        ),
        Some(_) => {}
    }
}

/// A production primary needs a replica to fail over to and a backup outside its region.
fn replicas_and_dr(cx: &mut Ctx<'_, '_, '_, '_>, db: &Res<'_>) {
    if !db.env.is_production_or_unknown() {
        return;
    }
    let index = cx.index;
    let address = db.address();
    let replicas: Vec<&Res<'_>> = index
        .referrers_of_type(&address, "aws_db_instance")
        .filter(|r| r.refs_of("replicate_source_db").contains(&address))
        .collect();
    if replicas.is_empty() {
        cx.emit(
            &RDS_NO_READ_REPLICA,
            db,
            db.blk.head(),
            format!("Production database {address} has no read replica to fail over to"),
            format!(
                "Add an aws_db_instance with `replicate_source_db = {address}.identifier` in another AZ (or region), promotable in a disaster."
            ),
        );
    }
    let cross_region_replica = replicas.iter().any(|r| r.blk.attr("provider").is_some());
    // Automated-backup replication, or a snapshot copy of the database (directly, or of
    // an aws_db_snapshot taken from it).
    let backup_copy = index.referrers(&address).any(|r| {
        r.kind == "resource"
            && (matches!(
                r.rtype,
                "aws_db_instance_automated_backups_replication" | "aws_db_snapshot_copy"
            ) || (r.rtype == "aws_db_snapshot"
                && index
                    .referrers_of_type(&r.address(), "aws_db_snapshot_copy")
                    .next()
                    .is_some()))
    });
    let backup_plan_copy = index
        .referrers_of_type(&address, "aws_backup_selection")
        .any(|sel| {
            sel.refs.iter().any(|plan| {
                index.all("aws_backup_plan").any(|p| {
                    p.address() == *plan
                        && p.blk
                            .blocks("rule")
                            .iter()
                            .any(|r| r.block("copy_action").is_some())
                })
            })
        });
    if !(cross_region_replica || backup_copy || backup_plan_copy) {
        cx.emit(
            &RDS_NO_CROSS_REGION_BACKUP,
            db,
            db.blk.head(),
            format!("Production database {address} has no backup outside its region"),
            format!(
                "Add aws_db_instance_automated_backups_replication for {address} in a second region (or copy snapshots there with AWS Backup copy_action)."
            ),
        );
    }
}

/// An Aurora cluster with exactly one instance has no failover target.
fn aurora_instances(cx: &mut Ctx<'_, '_, '_, '_>, cluster: &Res<'_>) {
    let engine = cluster.blk.str("engine").unwrap_or("aurora");
    if !engine.starts_with("aurora") {
        return;
    }
    let address = cluster.address();
    let mut total = 0i64;
    for instance in cx
        .index
        .referrers_of_type(&address, "aws_rds_cluster_instance")
    {
        if instance.blk.attr("for_each").is_some() {
            return;
        }
        match instance.blk.attr("count") {
            None => total += 1,
            Some(c) => match lit_int(c.expr()) {
                Some(n) => total += n,
                None => return,
            },
        }
    }
    if total == 1 {
        cx.emit(
            &RDS_SINGLE_AZ,
            cluster,
            cluster.blk.head(),
            format!("Aurora cluster {address} has a single instance, so there is no replica to fail over to"),
            "Run at least two aws_rds_cluster_instance resources (e.g. `count = 2`) in different AZs.".into(),
        );
    }
}

fn log_exports(cx: &mut Ctx<'_, '_, '_, '_>, db: &Res<'_>) {
    let attr = db.blk.attr("enabled_cloudwatch_logs_exports");
    let empty = match attr {
        None => true,
        Some(a) => value::array(a.expr()).is_some_and(|arr| arr.is_empty()),
    };
    if empty {
        let lines = db.blk.lines_or_head(attr);
        cx.emit(
            &RDS_NO_LOG_EXPORTS,
            db,
            lines,
            format!("{} exports no logs to CloudWatch", db.address()),
            "Set enabled_cloudwatch_logs_exports (e.g. [\"postgresql\"] or [\"error\", \"slowquery\"]; [\"audit\"] for clusters).".into(),
        );
    }
}

fn enhanced_monitoring(cx: &mut Ctx<'_, '_, '_, '_>, db: &Res<'_>) {
    if let Some(lines) = db.blk.unset_or_zero("monitoring_interval") {
        cx.emit(
            &RDS_NO_ENHANCED_MONITORING,
            db,
            lines,
            format!("{} has no enhanced monitoring", db.address()),
            "Set `monitoring_interval = 60` (or less) with a monitoring_role_arn.".into(),
        );
    }
}

fn performance_insights(cx: &mut Ctx<'_, '_, '_, '_>, db: &Res<'_>) {
    let class = db.blk.str("instance_class").unwrap_or("");
    // Classes without Performance Insights support.
    if class.starts_with("db.t2.")
        || matches!(
            class,
            "db.t3.micro" | "db.t3.small" | "db.t4g.micro" | "db.t4g.small"
        )
    {
        return;
    }
    if let Some(lines) = db.blk.unset_or_false("performance_insights_enabled") {
        cx.emit(
            &RDS_NO_PERFORMANCE_INSIGHTS,
            db,
            lines,
            format!("{} has Performance Insights disabled", db.address()),
            "Set `performance_insights_enabled = true`.".into(),
        );
    }
}

fn elasticache(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for cache in index.targets("aws_elasticache_cluster") {
        let redis = cache
            .blk
            .str("engine")
            .is_some_and(|e| e == "redis" || e == "valkey");
        if redis {
            snapshot_retention(cx, cache);
        }
    }
    for group in index.targets("aws_elasticache_replication_group") {
        snapshot_retention(cx, group);
        if let Some(lines) = group.blk.unset_or_false("automatic_failover_enabled") {
            cx.emit(
                &ELASTICACHE_NO_FAILOVER,
                group,
                lines,
                format!("{} has no automatic failover", group.address()),
                "Set `automatic_failover_enabled = true` and `multi_az_enabled = true` with at least one replica.".into(),
            );
        }
    }
}

fn snapshot_retention(cx: &mut Ctx<'_, '_, '_, '_>, cache: &Res<'_>) {
    // cache.t1.micro nodes cannot take snapshots at all.
    if cache.blk.str("node_type") == Some("cache.t1.micro") {
        return;
    }
    if let Some(lines) = cache.blk.unset_or_zero("snapshot_retention_limit") {
        cx.emit(
            &ELASTICACHE_NO_BACKUPS,
            cache,
            lines,
            format!("{} keeps no automatic backups", cache.address()),
            "Set `snapshot_retention_limit` (days) if the cache holds data that is costly to rebuild.".into(),
        );
    }
}

fn dynamodb(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for table in index.targets("aws_dynamodb_table") {
        let pitr = table.blk.block("point_in_time_recovery");
        match pitr {
            None => cx.emit(
                &DYNAMODB_NO_PITR,
                table,
                table.blk.head(),
                format!("{} has no point-in-time recovery", table.address()),
                "Add `point_in_time_recovery { enabled = true }`.".into(),
            ),
            Some(b) => {
                if b.attr("enabled").is_none_or(|a| a.bool() == Some(false)) {
                    cx.emit(
                        &DYNAMODB_NO_PITR,
                        table,
                        b.lines(),
                        format!("{} has point-in-time recovery disabled", table.address()),
                        "Set `enabled = true` in point_in_time_recovery.".into(),
                    );
                }
            }
        }

        let billing = table.blk.attr("billing_mode");
        let provisioned = match billing {
            None => true,
            Some(a) => lit_str(a.expr()) == Some("PROVISIONED"),
        };
        if !provisioned {
            continue;
        }
        let address = table.address();
        let scaled = index
            .referrers_of_type(&address, "aws_appautoscaling_target")
            .any(|target| {
                let target_address = target.address();
                index
                    .referrers_of_type(&target_address, "aws_appautoscaling_policy")
                    .next()
                    .is_some()
            });
        if !scaled {
            cx.emit(
                &DYNAMODB_NO_AUTOSCALING,
                table,
                table.blk.lines_or_head(billing),
                format!("{address} has fixed provisioned capacity and no autoscaling"),
                format!(
                    "Add aws_appautoscaling_target + aws_appautoscaling_policy for {address} (read and write capacity), or switch to `billing_mode = \"PAY_PER_REQUEST\"`."
                ),
            );
        }
    }
}

/// True if an AWS Backup selection may cover resources it does not list: it selects by
/// tag or condition, or its resource list is computed or has wildcards.
fn selects_open_set(sel: &Res<'_>) -> bool {
    let resources = sel.blk.attr("resources");
    let literal_list = resources.is_some_and(|a| value::array(a.expr()).is_some());
    let wildcard = resources
        .and_then(|a| value::str_list(a.expr()))
        .is_some_and(|l| l.iter().any(|s| s.contains('*')));
    !sel.blk.blocks("selection_tag").is_empty()
        || sel.blk.block("condition").is_some()
        || !literal_list
        || wildcard
}

/// Is the resource selected by some AWS Backup plan? With `open_selection` (see
/// [`selects_open_set`]) it may be, so nothing is reported.
fn backup_plan(cx: &mut Ctx<'_, '_, '_, '_>, r: &Res<'_>, policy: Policy, open_selection: bool) {
    let index = cx.index;
    let address = r.address();
    if open_selection
        || index
            .referrers_of_type(&address, "aws_backup_selection")
            .next()
            .is_some()
    {
        return;
    }
    if r.rtype == "aws_efs_file_system"
        && index
            .referrers_of_type(&address, "aws_efs_backup_policy")
            .any(|p| {
                p.blk
                    .block("backup_policy")
                    .and_then(|b| b.str("status"))
                    .is_some_and(|s| s == "ENABLED")
            })
    {
        return;
    }
    if r.rtype == "aws_ebs_volume" && index.all("aws_dlm_lifecycle_policy").next().is_some() {
        return;
    }
    cx.emit_with(
        &BACKUP_NO_PLAN,
        r,
        r.blk.head(),
        format!("{address} is not covered by any AWS Backup plan in the repository"),
        format!("Add {address} to an aws_backup_selection of a backup plan (or select it by tag)."),
        Some(policy),
    );
}

/// Databases with a public IP address (`publicly_accessible = true`; the default is false).
fn publicly_accessible(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for rtype in [
        "aws_db_instance",
        "aws_rds_cluster_instance",
        "aws_redshift_cluster",
        "aws_dms_replication_instance",
    ] {
        for db in index.targets(rtype) {
            if let Some(a) = db.blk.attr("publicly_accessible")
                && a.bool() == Some(true)
            {
                cx.emit(
                    &DB_PUBLIC,
                    db,
                    a.lines(),
                    format!("{} has a public IP address (publicly_accessible = true)", db.address()),
                    "Set `publicly_accessible = false`, place it in private subnets, and connect through a bastion, VPN or PrivateLink.".into(),
                );
            }
        }
    }
}

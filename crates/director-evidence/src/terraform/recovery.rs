//! Disaster recovery beyond "are there backups": recovery point and time objectives
//! (configurable `rpo_minutes` / `rto_minutes`) compared with point-in-time recovery,
//! AWS Backup schedules and standbys, and whether backups are ever test-restored.
//!
//! The seed's own example: "The business expectation is 15 minutes data loss max. Our
//! current backup schedule runs every 24 hours" — a daily plan cannot meet a 15-minute
//! RPO; point-in-time recovery (RDS, Aurora, DynamoDB PITR, continuous backup) can.

use super::{Ctx, Res, lit_int, value};
use crate::rules::{BACKUP_NO_RESTORE_TESTING, DR_RPO_NOT_MET, DR_RTO_NOT_MET};

/// How old the newest recovery point of point-in-time recovery can be (RDS uploads
/// transaction logs every five minutes).
const PITR_MINUTES: u32 = 5;
/// How long restoring a database from a backup takes at best, in minutes (a new
/// instance is created and the logs replayed; large databases take hours).
pub(super) const RESTORE_MINUTES: u32 = 60;

/// Resource types whose names say they restore backups, counted as restore drills.
const DRILL_TYPES: &[&str] = &[
    "aws_lambda_function",
    "aws_cloudwatch_event_rule",
    "aws_scheduler_schedule",
    "aws_ecs_task_definition",
    "aws_batch_job_definition",
    "aws_sfn_state_machine",
    "aws_codebuild_project",
];

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    restore_testing(cx);
    if let Some(rpo) = cx.config().rpo_minutes {
        recovery_point(cx, rpo);
    }
    if let Some(rto) = cx.config().rto_minutes {
        recovery_time(cx, rto);
    }
}

/// The minutes between two runs of an AWS schedule expression (`cron(...)` with six
/// fields, or `rate(...)`), worst case; `None` if it cannot be read.
pub(super) fn schedule_minutes(expr: &str) -> Option<u32> {
    let expr = expr.trim();
    if let Some(rate) = expr.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let mut parts = rate.split_whitespace();
        let n: u32 = parts.next()?.parse().ok()?;
        let unit = parts.next()?.trim_end_matches('s');
        return match unit {
            "minute" => Some(n),
            "hour" => n.checked_mul(60),
            "day" => n.checked_mul(1440),
            _ => None,
        };
    }
    let fields: Vec<&str> = expr
        .strip_prefix("cron(")?
        .strip_suffix(')')?
        .split_whitespace()
        .collect();
    let [minute, hour, dom, _month, dow, ..] = fields.as_slice() else {
        return None;
    };
    let step = |f: &str| f.split_once('/').and_then(|(_, n)| n.parse::<u32>().ok());
    let any = |f: &str| matches!(f, "*" | "?");
    Some(if hour.contains('/') || any(hour) {
        if any(hour) && (minute.contains('/') || any(minute)) {
            step(minute).unwrap_or(1)
        } else {
            step(hour).map_or(60, |n| n * 60)
        }
    } else if !any(dom) {
        31 * 1440
    } else if !any(dow) {
        // Weekdays only leave a weekend gap; a single day is weekly.
        if dow.contains('-') || dow.contains(',') {
            3 * 1440
        } else {
            7 * 1440
        }
    } else {
        1440 / u32::try_from(hour.split(',').count()).unwrap_or(1).max(1)
    })
}

/// The AWS Backup plans that select `address` explicitly; `None` when a selection by
/// tag or condition may also cover it (then the plans cannot be told).
pub(super) fn plans_for<'i, 'a>(
    cx: &Ctx<'i, 'a, '_, '_>,
    address: &str,
) -> Option<Vec<&'i Res<'a>>> {
    let index = cx.index;
    let mut plans = Vec::new();
    for sel in index.all("aws_backup_selection") {
        let listed = sel
            .blk
            .attr("resources")
            .is_some_and(|a| value::expr_refs(a.expr()).iter().any(|r| r == address));
        if !listed {
            if !sel.blk.blocks("selection_tag").is_empty() || sel.blk.block("condition").is_some() {
                return None;
            }
            continue;
        }
        plans.extend(
            sel.refs
                .iter()
                .filter_map(|r| index.get(r))
                .filter(|p| p.rtype == "aws_backup_plan"),
        );
    }
    Some(plans)
}

/// The shortest interval between recovery points the plans give, in minutes.
fn plan_minutes(plans: &[&Res<'_>]) -> Option<(u32, String)> {
    plans
        .iter()
        .flat_map(|p| p.blk.blocks("rule"))
        .filter_map(|rule| {
            if rule.bool("enable_continuous_backup") == Some(true) {
                return Some((PITR_MINUTES, "AWS Backup continuous backup".to_string()));
            }
            let schedule = rule.str("schedule")?;
            Some((
                schedule_minutes(schedule)?,
                format!("AWS Backup schedule `{schedule}`"),
            ))
        })
        .min_by_key(|(m, _)| *m)
}

/// Production data stores whose newest recovery point can be older than the RPO
/// (point-in-time recovery, or the most frequent AWS Backup rule that selects them).
fn recovery_point(cx: &mut Ctx<'_, '_, '_, '_>, rpo: u32) {
    let index = cx.index;
    let stores = [
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_dynamodb_table",
        "aws_efs_file_system",
        "aws_ebs_volume",
    ];
    for rtype in stores {
        for r in index.targets(rtype) {
            if !r.env.is_production_or_unknown() || r.blk.attr("replicate_source_db").is_some() {
                continue;
            }
            let own: Option<Option<(u32, String)>> = match rtype {
                "aws_db_instance" => match r.blk.attr("backup_retention_period") {
                    None => Some(Some((PITR_MINUTES, "point-in-time recovery".into()))),
                    Some(a) => match lit_int(a.expr()) {
                        Some(0) => Some(None),
                        Some(_) => Some(Some((PITR_MINUTES, "point-in-time recovery".into()))),
                        None => None,
                    },
                },
                "aws_rds_cluster" => Some(Some((PITR_MINUTES, "point-in-time recovery".into()))),
                "aws_dynamodb_table" => {
                    let pitr = r
                        .blk
                        .block("point_in_time_recovery")
                        .and_then(|b| b.bool("enabled"));
                    match pitr {
                        Some(true) => Some(Some((1, "point-in-time recovery".into()))),
                        _ => Some(None),
                    }
                }
                _ => Some(None),
            };
            let Some(own) = own else { continue };
            let address = r.address();
            let Some(plans) = plans_for(cx, &address) else {
                continue;
            };
            let best = [own, plan_minutes(&plans)]
                .into_iter()
                .flatten()
                .min_by_key(|(m, _)| *m);
            let (title, fix) = match best {
                Some((m, _)) if m <= rpo => continue,
                Some((m, how)) => (
                    format!("{address} can lose up to {m} minutes of data ({how}), above the RPO of {rpo} minutes"),
                    "Enable point-in-time recovery (or AWS Backup continuous backup), or back up at least as often as the RPO.".to_string(),
                ),
                None => (
                    format!("{address} has no recovery point at all, against an RPO of {rpo} minutes"),
                    "Enable automated backups with point-in-time recovery, or add it to an AWS Backup plan with continuous backup.".to_string(),
                ),
            };
            cx.emit(&DR_RPO_NOT_MET, r, r.blk.head(), title, fix);
        }
    }
}

/// A primary database with no standby recovers only by restoring a backup.
fn recovery_time(cx: &mut Ctx<'_, '_, '_, '_>, rto: u32) {
    if rto >= RESTORE_MINUTES {
        return;
    }
    let index = cx.index;
    for db in index.targets("aws_db_instance") {
        if !db.env.is_production_or_unknown() || db.blk.attr("replicate_source_db").is_some() {
            continue;
        }
        let engine = db.blk.str("engine").unwrap_or("");
        if engine.starts_with("aurora") {
            continue;
        }
        let multi_az = db.blk.attr("multi_az");
        match multi_az.and_then(|a| a.bool()) {
            Some(true) => continue,
            None if multi_az.is_some() => continue, // computed: cannot judge
            _ => {}
        }
        let address = db.address();
        let replica = index
            .referrers_of_type(&address, "aws_db_instance")
            .any(|r| r.blk.attr("replicate_source_db").is_some());
        if replica {
            continue;
        }
        cx.emit(
            &DR_RTO_NOT_MET,
            db,
            db.blk.lines_or_head(multi_az),
            format!("{address} has no standby: recovery means a restore (about {RESTORE_MINUTES} minutes or more), above the RTO of {rto} minutes"),
            "Set `multi_az = true` (failover in 1-2 minutes) or add a promotable replica.".into(),
        );
    }
}

/// A production backup plan needs a restore test or drill somewhere.
fn restore_testing(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    if index
        .all("aws_backup_restore_testing_plan")
        .next()
        .is_some()
        || !cx.sink.facts.restore_jobs.is_empty()
    {
        return;
    }
    let drill = DRILL_TYPES.iter().flat_map(|t| index.all(t)).any(|r| {
        let named = |s: &str| s.to_ascii_lowercase().contains("restore");
        named(r.name)
            || ["name", "function_name", "family"]
                .iter()
                .filter_map(|k| r.blk.str(k))
                .any(named)
    });
    if drill {
        return;
    }
    for plan in index.targets("aws_backup_plan") {
        if !plan.env.is_production_or_unknown() {
            continue;
        }
        cx.emit(
            &BACKUP_NO_RESTORE_TESTING,
            plan,
            plan.blk.head(),
            format!("Backups of {} are never test-restored", plan.address()),
            "Add an aws_backup_restore_testing_plan (with an aws_backup_restore_testing_selection for this plan's resources), or a scheduled restore drill.".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::schedule_minutes;

    #[test]
    fn schedules() {
        assert_eq!(schedule_minutes("cron(0 5 ? * * *)"), Some(1440));
        assert_eq!(schedule_minutes("cron(0 */4 * * ? *)"), Some(240));
        assert_eq!(schedule_minutes("cron(0/15 * * * ? *)"), Some(15));
        assert_eq!(schedule_minutes("cron(0 5,17 ? * * *)"), Some(720));
        assert_eq!(schedule_minutes("cron(0 5 ? * MON-FRI *)"), Some(3 * 1440));
        assert_eq!(schedule_minutes("cron(0 5 ? * SUN *)"), Some(7 * 1440));
        assert_eq!(schedule_minutes("cron(0 5 1 * ? *)"), Some(31 * 1440));
        assert_eq!(schedule_minutes("rate(1 hour)"), Some(60));
        assert_eq!(schedule_minutes("rate(12 hours)"), Some(720));
        assert_eq!(schedule_minutes("nonsense"), None);
        assert_eq!(schedule_minutes("cron(0 5)"), None);
    }
}

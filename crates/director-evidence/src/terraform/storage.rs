//! Storage: S3 buckets (versioning, lifecycle, multipart cleanup, replication, KMS
//! encryption, inline or through the provider-v4 companion resources), EBS and EFS
//! encryption, KMS key rotation and CloudWatch log retention.

use super::{Blk, Ctx, Res, lit_str};
use crate::rules::{
    EBS_UNENCRYPTED, EFS_UNENCRYPTED, KMS_NO_ROTATION, LOGS_NO_RETENTION, S3_NO_ABORT_MULTIPART,
    S3_NO_KMS, S3_NO_LIFECYCLE, S3_NO_REPLICATION, S3_NO_VERSIONING,
};

/// The companion resources of `bucket` of type `rtype`: those whose `bucket` refers to
/// it, or repeats its `bucket` expression (`var.name`, a literal name).
fn companions<'i, 'a>(
    cx: &Ctx<'i, 'a, '_, '_>,
    bucket: &'i Res<'_>,
    rtype: &'i str,
) -> Vec<&'i Res<'a>> {
    let address = bucket.address();
    let mut out: Vec<&'i Res<'a>> = cx.index.referrers_of_type(&address, rtype).collect();
    if let Some(text) = bucket
        .blk
        .attr("bucket")
        .map(|a| a.text().trim())
        .filter(|t| !t.is_empty())
    {
        for c in cx.index.by_bucket_text(rtype, text) {
            if !out.iter().any(|o| std::ptr::eq(*o, c)) {
                out.push(c);
            }
        }
    }
    out
}

/// A tri-state reading of an optional literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Yes,
    No,
    Unknown,
}

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for bucket in index.targets("aws_s3_bucket") {
        versioning(cx, bucket);
        lifecycle(cx, bucket);
        replication(cx, bucket);
        kms(cx, bucket);
    }
    for config in index.targets("aws_s3_bucket_lifecycle_configuration") {
        abort_multipart(cx, config);
    }

    let encrypted_by_default = index
        .all("aws_ebs_encryption_by_default")
        .any(|r| r.blk.bool("enabled") != Some(false));
    if !encrypted_by_default {
        for volume in index.targets("aws_ebs_volume") {
            if volume.blk.attr("snapshot_id").is_some() {
                continue;
            }
            flag_unencrypted(
                cx,
                volume,
                volume.blk,
                "encrypted",
                &EBS_UNENCRYPTED,
                "volume",
            );
        }
        for rtype in ["aws_instance", "aws_launch_configuration"] {
            for instance in index.targets(rtype) {
                instance_volumes(cx, instance);
            }
        }
    }
    for fs in index.targets("aws_efs_file_system") {
        flag_unencrypted(cx, fs, fs.blk, "encrypted", &EFS_UNENCRYPTED, "file system");
    }
    for key in index.targets("aws_kms_key") {
        let symmetric = key
            .blk
            .str("customer_master_key_spec")
            .is_none_or(|s| s == "SYMMETRIC_DEFAULT")
            && key
                .blk
                .attr("customer_master_key_spec")
                .is_none_or(|a| lit_str(a.expr()).is_some());
        if !symmetric {
            continue;
        }
        if let Some(lines) = key.blk.unset_or_false("enable_key_rotation") {
            cx.emit(
                &KMS_NO_ROTATION,
                key,
                lines,
                format!("{} does not rotate", key.address()),
                "Set `enable_key_rotation = true`.".into(),
            );
        }
    }
    for group in index.targets("aws_cloudwatch_log_group") {
        if let Some(lines) = group.blk.unset_or_zero("retention_in_days") {
            cx.emit(
                &LOGS_NO_RETENTION,
                group,
                lines,
                format!("{} keeps logs forever", group.address()),
                "Set `retention_in_days` (e.g. 30 for application logs, longer only where compliance requires).".into(),
            );
        }
    }
}

fn versioning(cx: &mut Ctx<'_, '_, '_, '_>, bucket: &Res<'_>) {
    let address = bucket.address();
    if let Some(inline) = bucket.blk.block("versioning") {
        match inline.attr("enabled") {
            Some(a) if a.bool() == Some(true) => return,
            Some(a) if a.bool().is_none() => return,
            _ => {
                cx.emit(
                    &S3_NO_VERSIONING,
                    bucket,
                    inline.lines(),
                    format!("{address} has versioning disabled"),
                    "Enable versioning (`aws_s3_bucket_versioning` with `status = \"Enabled\"`)."
                        .into(),
                );
                return;
            }
        }
    }
    let configs = companions(cx, bucket, "aws_s3_bucket_versioning");
    let mut suspended = None;
    for c in &configs {
        let status = c
            .blk
            .block("versioning_configuration")
            .and_then(|v| v.attr("status"));
        match status.map(|s| lit_str(s.expr())) {
            Some(Some("Enabled")) | Some(None) => return,
            Some(Some(_)) => {
                suspended = Some((*c, status.map_or_else(|| c.blk.head(), |s| s.lines())))
            }
            None => {}
        }
    }
    match suspended {
        Some((c, lines)) => cx.emit_on(
            &S3_NO_VERSIONING,
            c,
            address.clone(),
            lines,
            format!("{address} has versioning suspended by {}", c.address()),
            "Set `status = \"Enabled\"`.".into(),
        ),
        None => cx.emit(
            &S3_NO_VERSIONING,
            bucket,
            bucket.blk.head(),
            format!("{address} has no versioning"),
            format!(
                "Add `resource \"aws_s3_bucket_versioning\"` with `bucket = {address}.id` and `versioning_configuration {{ status = \"Enabled\" }}`."
            ),
        ),
    }
}

fn lifecycle(cx: &mut Ctx<'_, '_, '_, '_>, bucket: &Res<'_>) {
    if !bucket.blk.blocks("lifecycle_rule").is_empty()
        || !companions(cx, bucket, "aws_s3_bucket_lifecycle_configuration").is_empty()
    {
        return;
    }
    let address = bucket.address();
    cx.emit(
        &S3_NO_LIFECYCLE,
        bucket,
        bucket.blk.head(),
        format!("{address} has no lifecycle rules"),
        format!(
            "Add aws_s3_bucket_lifecycle_configuration for {address}: transition cold objects to cheaper classes, expire old versions and abort incomplete uploads."
        ),
    );
}

/// A lifecycle rule that is enabled, bucket-wide, and aborts incomplete uploads.
fn aborts_everywhere(rule: &Blk<'_>) -> Known {
    if rule.block("abort_incomplete_multipart_upload").is_none() {
        return Known::No;
    }
    let enabled = match rule.attr("status").map(|s| lit_str(s.expr())) {
        Some(Some(s)) => s == "Enabled",
        Some(None) => return Known::Unknown,
        None => false,
    };
    if !enabled {
        return Known::No;
    }
    if rule
        .attr("prefix")
        .and_then(|p| lit_str(p.expr()))
        .is_some_and(|p| !p.is_empty())
    {
        return Known::No;
    }
    match rule.block("filter") {
        None => Known::Yes,
        Some(filter) => {
            let scoped = filter
                .body()
                .attributes()
                .any(|a| lit_str(&a.value).is_none_or(|v| !v.is_empty()))
                || filter.body().blocks().next().is_some();
            if scoped { Known::No } else { Known::Yes }
        }
    }
}

fn abort_multipart(cx: &mut Ctx<'_, '_, '_, '_>, config: &Res<'_>) {
    let mut verdict = Known::No;
    for rule in config.blk.blocks("rule") {
        match aborts_everywhere(&rule) {
            Known::Yes => return,
            Known::Unknown => verdict = Known::Unknown,
            Known::No => {}
        }
    }
    if verdict == Known::No {
        cx.emit(
            &S3_NO_ABORT_MULTIPART,
            config,
            config.blk.head(),
            format!("{} never aborts incomplete multipart uploads bucket-wide", config.address()),
            "Add an enabled rule without a filter containing `abort_incomplete_multipart_upload { days_after_initiation = 7 }`.".into(),
        );
    }
}

fn replication(cx: &mut Ctx<'_, '_, '_, '_>, bucket: &Res<'_>) {
    let mut disabled_at = None;
    let mut status = |b: &Blk<'_>, rules: &str| -> Known {
        let mut seen = Known::No;
        for rule in b.blocks(rules) {
            match rule.attr("status").map(|s| lit_str(s.expr())) {
                Some(Some("Enabled")) => return Known::Yes,
                Some(None) => seen = Known::Unknown,
                Some(Some(_)) if disabled_at.is_none() => disabled_at = Some(rule.lines()),
                Some(Some(_)) | None => {}
            }
        }
        seen
    };
    let mut verdict = Known::No;
    if let Some(inline) = bucket.blk.block("replication_configuration") {
        match status(&inline, "rules") {
            Known::Yes => return,
            Known::Unknown => verdict = Known::Unknown,
            Known::No => {}
        }
    }
    for c in companions(cx, bucket, "aws_s3_bucket_replication_configuration") {
        match status(&c.blk, "rule") {
            Known::Yes => return,
            Known::Unknown => verdict = Known::Unknown,
            Known::No => {}
        }
    }
    if verdict == Known::Unknown {
        return;
    }
    let address = bucket.address();
    let lines = match (disabled_at, bucket.blk.block("replication_configuration")) {
        (Some(lines), Some(_)) => lines,
        _ => bucket.blk.head(),
    };
    cx.emit(
        &S3_NO_REPLICATION,
        bucket,
        lines,
        format!("{address} is not replicated to another region"),
        "Add aws_s3_bucket_replication_configuration with an enabled rule to a bucket in another region (versioning is required on both).".into(),
    );
}

fn sse_algorithms<'a>(b: &Blk<'a>) -> Vec<Option<&'a str>> {
    b.blocks("rule")
        .iter()
        .flat_map(|r| r.blocks("apply_server_side_encryption_by_default"))
        .map(|d| match d.attr("sse_algorithm") {
            None => Some(""),
            Some(a) => lit_str(a.expr()),
        })
        .collect()
}

fn kms(cx: &mut Ctx<'_, '_, '_, '_>, bucket: &Res<'_>) {
    let mut algorithms = Vec::new();
    for sse in bucket.blk.blocks("server_side_encryption_configuration") {
        algorithms.extend(sse_algorithms(&sse));
    }
    for c in companions(
        cx,
        bucket,
        "aws_s3_bucket_server_side_encryption_configuration",
    ) {
        algorithms.extend(sse_algorithms(&c.blk));
    }
    let kms = |a: &Option<&str>| matches!(a, Some("aws:kms" | "aws:kms:dsse"));
    if algorithms.iter().any(kms) || algorithms.iter().any(Option::is_none) {
        return;
    }
    let address = bucket.address();
    cx.emit(
        &S3_NO_KMS,
        bucket,
        bucket.blk.head(),
        format!("{address} is not encrypted with a KMS key"),
        format!("Add aws_s3_bucket_server_side_encryption_configuration for {address} with `sse_algorithm = \"aws:kms\"` and a kms_master_key_id."),
    );
}

fn flag_unencrypted(
    cx: &mut Ctx<'_, '_, '_, '_>,
    r: &Res<'_>,
    blk: Blk<'_>,
    key: &str,
    rule: &crate::rules::Rule,
    what: &str,
) {
    match blk.attr(key) {
        None => cx.emit(
            rule,
            r,
            blk.head(),
            format!("{} {what} is not encrypted ({key} is not set)", r.address()),
            format!("Set `{key} = true`."),
        ),
        Some(a) if a.bool() == Some(false) => cx.emit(
            rule,
            r,
            a.lines(),
            format!("{} {what} is not encrypted", r.address()),
            format!("Set `{key} = true`."),
        ),
        Some(_) => {}
    }
}

/// Root and extra EBS devices of an instance or launch configuration.
fn instance_volumes(cx: &mut Ctx<'_, '_, '_, '_>, instance: &Res<'_>) {
    let address = instance.address();
    match instance.blk.block("root_block_device") {
        Some(root) => {
            if root.attr("snapshot_id").is_none() {
                flag_unencrypted(
                    cx,
                    instance,
                    root,
                    "encrypted",
                    &EBS_UNENCRYPTED,
                    "root volume",
                );
            }
        }
        // Given as an attribute (e.g. a variable): cannot be judged.
        None if instance.blk.attr("root_block_device").is_some() => {}
        None => cx.emit(
            &EBS_UNENCRYPTED,
            instance,
            instance.blk.head(),
            format!("{address} root volume is not encrypted (no root_block_device)"),
            "Add `root_block_device { encrypted = true }` (or enable EBS encryption by default)."
                .into(),
        ),
    }
    for device in instance.blk.blocks("ebs_block_device") {
        if device.attr("snapshot_id").is_none() {
            flag_unencrypted(
                cx,
                instance,
                device,
                "encrypted",
                &EBS_UNENCRYPTED,
                "EBS volume",
            );
        }
    }
}

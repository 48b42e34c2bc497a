//! Storage: S3 buckets (versioning, lifecycle, multipart cleanup, replication, KMS
//! encryption, inline or through the provider-v4 companion resources), EBS and EFS
//! encryption, KMS key rotation and CloudWatch log retention.

use super::{Blk, Ctx, Res, lit_str, value};
use crate::rules::{
    EBS_UNENCRYPTED, EFS_UNENCRYPTED, KMS_NO_ROTATION, LOGS_NO_RETENTION, S3_NO_ABORT_MULTIPART,
    S3_NO_KMS, S3_NO_LIFECYCLE, S3_NO_REPLICATION, S3_NO_VERSIONING,
};
use crate::rules::{S3_NO_PUBLIC_ACCESS_BLOCK, S3_PUBLIC_ACL};
use hcl_edit::Span;

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
            // Same text in another module instance names another bucket.
            if c.module == bucket.module && !out.iter().any(|o| std::ptr::eq(*o, c)) {
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
        if !receives_access_logs(cx, bucket) {
            kms(cx, bucket);
        }
        public_access_block(cx, bucket);
        public_acl(cx, bucket);
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

/// The S3 log-delivery group, which writes server access logs.
const LOG_DELIVERY_URI: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";
/// Grantees that make a bucket public.
const PUBLIC_GRANTEES: &[&str] = &[
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];
/// Canned ACLs that make a bucket public.
const PUBLIC_ACLS: &[&str] = &[
    "public-read",
    "public-read-write",
    "authenticated-read",
    "website",
];

/// The source text of a block.
fn block_text<'a>(b: &Blk<'a>) -> &'a str {
    b.block
        .span()
        .and_then(|r| b.file.src.text.get(b.base + r.start..b.base + r.end))
        .unwrap_or("")
}

/// True if `attr` of `b` references `address`.
fn refers_to(b: &Blk<'_>, attr: &str, address: &str) -> bool {
    b.attr(attr)
        .is_some_and(|a| value::expr_refs(a.expr()).iter().any(|r| r == address))
}

/// Grantee URIs of the `grant` blocks of `b` (inline on a bucket, or in an
/// `access_control_policy` of aws_s3_bucket_acl), with each grant's lines.
fn grants<'a>(b: &Blk<'a>) -> Vec<(&'a str, (u32, u32))> {
    let mut holders = vec![*b];
    holders.extend(b.blocks("access_control_policy"));
    holders
        .iter()
        .flat_map(|h| h.blocks("grant"))
        .filter_map(|g| {
            let uri = g.str("uri").or_else(|| g.block("grantee")?.str("uri"))?;
            Some((uri, g.lines()))
        })
        .collect()
}

/// A bucket that receives S3 server access logs or load-balancer access logs can only
/// use SSE-S3: log delivery does not support KMS keys, so asking for KMS is wrong.
fn receives_access_logs(cx: &Ctx<'_, '_, '_, '_>, bucket: &Res<'_>) -> bool {
    let address = bucket.address();
    let log_delivery_acl = |b: &Blk<'_>| {
        b.str("acl") == Some("log-delivery-write")
            || grants(b).iter().any(|(uri, _)| *uri == LOG_DELIVERY_URI)
    };
    if log_delivery_acl(&bucket.blk)
        || companions(cx, bucket, "aws_s3_bucket_acl")
            .iter()
            .any(|c| log_delivery_acl(&c.blk))
    {
        return true;
    }
    let policy_allows_logging = |r: &Res<'_>| {
        let text = block_text(&r.blk);
        text.contains("logging.s3.amazonaws.com")
            || r.refs.iter().any(|a| {
                a.starts_with("data.aws_iam_policy_document.")
                    && cx
                        .index
                        .get(a)
                        .is_some_and(|d| block_text(&d.blk).contains("logging.s3.amazonaws.com"))
            })
    };
    if companions(cx, bucket, "aws_s3_bucket_policy")
        .iter()
        .any(|p| policy_allows_logging(p))
    {
        return true;
    }
    cx.index.referrers(&address).any(|r| match r.rtype {
        "aws_s3_bucket_logging" => refers_to(&r.blk, "target_bucket", &address),
        "aws_s3_bucket" => r
            .blk
            .blocks("logging")
            .iter()
            .any(|l| refers_to(l, "target_bucket", &address)),
        "aws_lb" | "aws_alb" | "aws_elb" => r
            .blk
            .blocks("access_logs")
            .iter()
            .any(|l| refers_to(l, "bucket", &address)),
        _ => false,
    })
}

/// Every bucket needs a public access block that blocks public ACLs and policies (or
/// an account-wide one).
fn public_access_block(cx: &mut Ctx<'_, '_, '_, '_>, bucket: &Res<'_>) {
    let blocking = |b: &Blk<'_>| -> Known {
        let mut verdict = Known::Yes;
        for key in ["block_public_acls", "block_public_policy"] {
            match b.attr(key).map(|a| a.bool()) {
                Some(Some(true)) => {}
                Some(None) => verdict = Known::Unknown,
                Some(Some(false)) | None => return Known::No,
            }
        }
        verdict
    };
    let index = cx.index;
    if index
        .all("aws_s3_account_public_access_block")
        .any(|a| blocking(&a.blk) != Known::No)
    {
        return;
    }
    let address = bucket.address();
    let blocks = companions(cx, bucket, "aws_s3_bucket_public_access_block");
    if blocks.iter().any(|b| blocking(&b.blk) != Known::No) {
        return;
    }
    match blocks.first() {
        Some(weak) => {
            let off = ["block_public_acls", "block_public_policy"]
                .iter()
                .find_map(|k| weak.blk.attr(k).filter(|a| a.bool() == Some(false)));
            cx.emit_on(
                &S3_NO_PUBLIC_ACCESS_BLOCK,
                weak,
                address.clone(),
                weak.blk.lines_or_head(off),
                format!("{} does not block public ACLs and policies for {address}", weak.address()),
                "Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true.".into(),
            );
        }
        None => cx.emit(
            &S3_NO_PUBLIC_ACCESS_BLOCK,
            bucket,
            bucket.blk.head(),
            format!("{address} has no public access block"),
            format!(
                "Add `resource \"aws_s3_bucket_public_access_block\"` with `bucket = {address}.id` and all four settings true (or an account-wide aws_s3_account_public_access_block)."
            ),
        ),
    }
}

/// Public canned ACLs and grants to everyone, inline or through aws_s3_bucket_acl.
fn public_acl(cx: &mut Ctx<'_, '_, '_, '_>, bucket: &Res<'_>) {
    let address = bucket.address();
    let public = |b: &Blk<'_>| -> Option<(String, (u32, u32))> {
        if let Some(acl) = b.attr("acl")
            && let Some(name) = lit_str(acl.expr()).filter(|a| PUBLIC_ACLS.contains(a))
        {
            return Some((format!("the `{name}` ACL"), acl.lines()));
        }
        grants(b)
            .into_iter()
            .find(|(uri, _)| PUBLIC_GRANTEES.contains(uri))
            .map(|(uri, lines)| {
                let group = uri.rsplit('/').next().unwrap_or(uri);
                (format!("a grant to {group}"), lines)
            })
    };
    let fix = "Use the private ACL (or `object_ownership = \"BucketOwnerEnforced\"`) and publish content through CloudFront with origin access control.";
    if let Some((what, lines)) = public(&bucket.blk) {
        cx.emit(
            &S3_PUBLIC_ACL,
            bucket,
            lines,
            format!("{address} is public through {what}"),
            fix.into(),
        );
        return;
    }
    for acl in companions(cx, bucket, "aws_s3_bucket_acl") {
        if let Some((what, lines)) = public(&acl.blk) {
            cx.emit_on(
                &S3_PUBLIC_ACL,
                acl,
                address.clone(),
                lines,
                format!("{address} is public through {what} in {}", acl.address()),
                fix.into(),
            );
            return;
        }
    }
}

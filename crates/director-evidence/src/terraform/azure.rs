//! Azure: zone redundancy, key vault recoverability, blob soft delete and geo-redundant
//! database backups.

use super::{Ctx, Res};
use crate::rules::{
    AZURE_DB_NO_GEO_BACKUP, AZURE_KV_NO_PURGE_PROTECTION, AZURE_KV_SOFT_DELETE_OFF,
    AZURE_NO_ZONE_REDUNDANCY, AZURE_STORAGE_NO_SOFT_DELETE, Rule,
};

/// Flag `r` unless boolean `key` is literally true (absent counts as false).
fn require_true(cx: &mut Ctx<'_, '_, '_, '_>, r: &Res<'_>, rule: &Rule, key: &str, what: &str) {
    if let Some(lines) = r.blk.unset_or_false(key) {
        cx.emit(
            rule,
            r,
            lines,
            format!("{} {what}", r.address()),
            format!("Set `{key} = true`."),
        );
    }
}

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for plan in index.targets("azurerm_service_plan") {
        require_true(
            cx,
            plan,
            &AZURE_NO_ZONE_REDUNDANCY,
            "zone_balancing_enabled",
            "is not zone redundant",
        );
    }
    for db in index.targets("azurerm_mssql_database") {
        require_true(
            cx,
            db,
            &AZURE_NO_ZONE_REDUNDANCY,
            "zone_redundant",
            "is not zone redundant",
        );
    }
    for vault in index.targets("azurerm_key_vault") {
        require_true(
            cx,
            vault,
            &AZURE_KV_NO_PURGE_PROTECTION,
            "purge_protection_enabled",
            "has no purge protection",
        );
        if let Some(a) = vault
            .blk
            .attr("soft_delete_enabled")
            .filter(|a| a.bool() == Some(false))
        {
            cx.emit(
                &AZURE_KV_SOFT_DELETE_OFF,
                vault,
                a.lines(),
                format!("{} has soft delete disabled", vault.address()),
                "Remove `soft_delete_enabled = false` (soft delete is on by default).".into(),
            );
        }
    }
    for account in index.targets("azurerm_storage_account") {
        if account.blk.str("account_kind") == Some("FileStorage") {
            let share_retention = account
                .blk
                .block("share_properties")
                .and_then(|s| s.block("retention_policy"))
                .is_some();
            if !share_retention {
                cx.emit(
                    &AZURE_STORAGE_NO_SOFT_DELETE,
                    account,
                    account.blk.lines_or_head(account.blk.attr("account_kind")),
                    format!(
                        "{} (FileStorage) has no soft delete for its shares",
                        account.address()
                    ),
                    "Add `share_properties { retention_policy { days = 7 } }`.".into(),
                );
            }
            continue;
        }
        let blob = account.blk.block("blob_properties");
        if blob
            .and_then(|b| b.block("delete_retention_policy"))
            .is_none()
        {
            cx.emit(
                &AZURE_STORAGE_NO_SOFT_DELETE,
                account,
                blob.map_or_else(|| account.blk.head(), |b| b.lines()),
                format!("{} has no blob soft delete", account.address()),
                "Add `blob_properties { delete_retention_policy { days = 7 } }`.".into(),
            );
        }
    }
    for rtype in [
        "azurerm_mysql_server",
        "azurerm_mysql_flexible_server",
        "azurerm_postgresql_server",
        "azurerm_postgresql_flexible_server",
    ] {
        for server in index.targets(rtype) {
            require_true(
                cx,
                server,
                &AZURE_DB_NO_GEO_BACKUP,
                "geo_redundant_backup_enabled",
                "keeps backups in one region only",
            );
        }
    }
}

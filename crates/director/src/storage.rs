//! Where a verifier keeps what outlives a run, resolved once from configuration: the
//! verdict cache (a folder in the user's cache home by default, or the fleet's
//! object store) and the run records (`.director/runs/`, or the object store).
//!
//! Both come from trusted configuration only (`[cache]`, `[store]`); the fleet's
//! cache key comes from the environment only (`DIRECTOR_CACHE_KEY`). Saving a record
//! to a store that is down falls back to the local folder with a warning, so the
//! audit trail of a run is never lost to an outage.

use crate::cache::{VerdictCache, default_cache_home};
use crate::config::ResolvedConfig;
use crate::error::Error;
use crate::remote::RemoteStore;
use crate::store::RecordStore;
use director_core::RunRecord;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The environment variable holding the fleet's cache key.
pub const CACHE_KEY_ENV: &str = "DIRECTOR_CACHE_KEY";

/// What a verifier stores, opened.
#[derive(Debug)]
pub(crate) struct Storage {
    pub(crate) cache: Option<Arc<VerdictCache>>,
    pub(crate) records: RecordStore,
}

/// The configured store, if `[store] url` (or `--store`) names one.
pub fn configured_store(config: &ResolvedConfig) -> Result<Option<RemoteStore>, Error> {
    config
        .config
        .store
        .url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(RemoteStore::open)
        .transpose()
}

/// The cache TTL from `[cache] ttl_days` (0 = none).
pub fn cache_ttl(config: &ResolvedConfig) -> Option<Duration> {
    match config.config.cache.ttl_days {
        0 => None,
        days => Some(Duration::from_secs(u64::from(days) * 86_400)),
    }
}

/// Open the verdict cache as configured (None when disabled).
pub fn open_cache(
    config: &ResolvedConfig,
    repo_root: &Path,
    cache_home: Option<&Path>,
    store: Option<&RemoteStore>,
) -> Result<Option<Arc<VerdictCache>>, Error> {
    let section = &config.config.cache;
    if !section.enabled {
        return Ok(None);
    }
    let ttl = cache_ttl(config);
    if let Some(store) = store.filter(|_| config.config.store.cache) {
        let key = std::env::var(CACHE_KEY_ENV).ok();
        return Ok(Some(Arc::new(VerdictCache::remote(
            store.clone(),
            key.as_deref(),
            ttl,
        ))));
    }
    let home = match cache_home {
        Some(h) => h.to_path_buf(),
        None => default_cache_home().ok_or_else(|| Error::Config {
            message: "no cache folder: none of DIRECTOR_CACHE_HOME, XDG_CACHE_HOME or HOME is set"
                .into(),
            hint: "set DIRECTOR_CACHE_HOME, or [cache] dir in your user config, or pass --no-cache"
                .into(),
        })?,
    };
    let dir: PathBuf = match &section.dir {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => repo_root.join(d),
        None => home.join("verdicts"),
    };
    Ok(Some(Arc::new(VerdictCache::local(
        dir,
        section.max_entries,
        &home.join("key"),
        ttl,
        Some(repo_root),
    ))))
}

/// Open storage for a verifier of the repository at `repo_root`.
pub(crate) fn open(
    config: &ResolvedConfig,
    repo_root: &Path,
    cache_home: Option<&Path>,
) -> Result<Storage, Error> {
    let store = configured_store(config)?;
    let cache = open_cache(config, repo_root, cache_home, store.as_ref())?;
    let records = match store.filter(|_| config.config.store.records) {
        Some(store) => RecordStore::remote(store),
        None => RecordStore::Local(repo_root.to_path_buf()),
    };
    Ok(Storage { cache, records })
}

impl Storage {
    /// Write `record`; when the shared store fails, write it locally instead and
    /// say so in the record.
    pub(crate) async fn save(&self, record: &mut RunRecord, repo_root: &Path) -> Result<(), Error> {
        let RecordStore::Remote(_) = &self.records else {
            return self.records.save(record).await.map(drop);
        };
        let Err(e) = self.records.save(record).await else {
            return Ok(());
        };
        let warning = format!(
            "the run record could not be written to the shared store ({e}); it was written to {} instead",
            crate::store::runs_dir(repo_root).display()
        );
        tracing::warn!("{warning}");
        record.warnings.push(warning);
        RecordStore::Local(repo_root.to_path_buf())
            .save(record)
            .await
            .map(drop)
    }
}

/// The record store `director runs` reads: `store_url` when given, else the
/// configured store when `[store] records = true`, else `.director/runs/`.
pub fn record_store(repo_root: &Path, store_url: Option<&str>) -> Result<RecordStore, Error> {
    if let Some(url) = store_url {
        return Ok(RecordStore::remote(RemoteStore::open(url)?));
    }
    let config = trusted_config(repo_root, crate::Overrides::default())?;
    Ok(
        match configured_store(&config)?.filter(|_| config.config.store.records) {
            Some(store) => RecordStore::remote(store),
            None => RecordStore::Local(repo_root.to_path_buf()),
        },
    )
}

/// The cache `director cache prune` works on (`store_url`, else as configured, even
/// when `[cache] enabled = false`), and the configured TTL.
pub fn cache_to_prune(
    repo_root: &Path,
    store_url: Option<&str>,
) -> Result<(Arc<VerdictCache>, Option<Duration>), Error> {
    let overrides = crate::Overrides {
        cache_enabled: Some(true),
        ..crate::Overrides::default()
    };
    let mut config = trusted_config(repo_root, overrides)?;
    let ttl = cache_ttl(&config);
    let store = match store_url {
        Some(url) => {
            config.config.store.cache = true;
            Some(RemoteStore::open(url)?)
        }
        None => configured_store(&config)?,
    };
    let cache = open_cache(&config, repo_root, None, store.as_ref())?.ok_or_else(|| {
        Error::Internal("the verdict cache could not be opened for pruning".into())
    })?;
    Ok((cache, ttl))
}

/// The configuration a verification of the repository would use (the trusted policy).
fn trusted_config(repo_root: &Path, overrides: crate::Overrides) -> Result<ResolvedConfig, Error> {
    let verifier = crate::Verifier::builder()
        .repo(repo_root)
        .provider(crate::ProviderSpec::Offline)
        .overrides(overrides)
        .build()?;
    Ok(verifier.config()?.clone())
}

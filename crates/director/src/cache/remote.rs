//! The verdict cache in object storage, shared by a fleet: `<prefix>/cache/<key>.json`.
//!
//! Writes are conditional (`PutMode::Create`), so racing runners never corrupt an
//! entry: the loser finds an entry already there, and if that entry is authentic
//! and fresh it has nothing to do. An entry that is not (planted, or expired) is
//! replaced only with `PutMode::Update` on the exact version that was read, so a
//! concurrent good write is never clobbered. All calls are async object_store calls.

use super::seal::{MAX_ENTRY_BYTES, Rejected, Sealer};
use super::{CachedVerdict, Failure, PruneReport};
use crate::remote::RemoteStore;
use futures::StreamExt as _;
use object_store::{ObjectStoreExt as _, PutMode, PutOptions, UpdateVersion};
use std::time::{Duration, SystemTime};

pub(crate) struct RemoteCache {
    store: RemoteStore,
}

impl RemoteCache {
    pub(crate) fn new(store: RemoteStore) -> Self {
        RemoteCache { store }
    }

    pub(crate) fn location(&self) -> String {
        self.store.url().to_string()
    }

    fn path(&self, key: &str) -> object_store::path::Path {
        self.store.path(&format!("cache/{key}.json"))
    }

    /// The raw entry and its version, or None when there is none.
    async fn fetch(&self, key: &str) -> Result<Option<(Vec<u8>, UpdateVersion)>, Failure> {
        let path = self.path(key);
        let got = match self.store.store().get(&path).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(Failure::Outage(e.to_string())),
        };
        let version = UpdateVersion {
            e_tag: got.meta.e_tag.clone(),
            version: got.meta.version.clone(),
        };
        if got.meta.size > MAX_ENTRY_BYTES as u64 {
            return Ok(Some((Vec::new(), version)));
        }
        let bytes = got
            .bytes()
            .await
            .map_err(|e| Failure::Outage(e.to_string()))?;
        Ok(Some((bytes.to_vec(), version)))
    }

    pub(crate) async fn get(
        &self,
        key: &str,
        sealer: &Sealer,
        ttl: Option<Duration>,
    ) -> Result<Option<CachedVerdict>, Failure> {
        let Some((bytes, _)) = self.fetch(key).await? else {
            return Ok(None);
        };
        match sealer.open(key, &bytes, ttl, SystemTime::now()) {
            Ok(entry) => Ok(Some(entry)),
            Err(Rejected::Expired) => Ok(None),
            Err(Rejected::NotAuthentic(why)) => Err(Failure::Entry(format!(
                "ignored verdict cache entry {}: {why}",
                self.path(key)
            ))),
        }
    }

    pub(crate) async fn put(
        &self,
        key: &str,
        sealed: Vec<u8>,
        sealer: &Sealer,
        ttl: Option<Duration>,
    ) -> Result<(), Failure> {
        let path = self.path(key);
        let store = self.store.store();
        let create = PutOptions::from(PutMode::Create);
        match store.put_opts(&path, sealed.clone().into(), create).await {
            Ok(_) => return Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => {}
            // Some S3-compatible servers answer a failed `If-None-Match: *` with
            // another status than 412; an entry that is there now means we lost a race.
            Err(e) => {
                if store.head(&path).await.is_err() {
                    return Err(Failure::Outage(e.to_string()));
                }
            }
        }
        // Someone stored this key first. Keep theirs if it is a good entry.
        let Some((bytes, version)) = self.fetch(key).await? else {
            return Ok(());
        };
        if sealer.open(key, &bytes, ttl, SystemTime::now()).is_ok() {
            return Ok(());
        }
        let update = PutOptions::from(PutMode::Update(version));
        match store.put_opts(&path, sealed.into(), update).await {
            Ok(_) => Ok(()),
            // Replaced meanwhile, or a store without conditional updates: leave it.
            Err(
                object_store::Error::Precondition { .. }
                | object_store::Error::NotImplemented { .. }
                | object_store::Error::NotSupported { .. },
            ) => Ok(()),
            Err(e) => Err(Failure::Outage(e.to_string())),
        }
    }

    pub(crate) async fn prune(&self, cutoff: SystemTime) -> Result<PruneReport, crate::Error> {
        let prefix = self.store.path("cache");
        let store = self.store.store();
        let failed = |e: object_store::Error| crate::Error::Storage {
            url: self.store.url().to_string(),
            message: e.to_string(),
        };
        let cutoff: chrono::DateTime<chrono::Utc> = cutoff.into();
        let mut report = PruneReport::default();
        let mut old = Vec::new();
        let mut listing = store.list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(failed)?;
            report.scanned += 1;
            if meta.last_modified < cutoff {
                old.push(Ok(meta.location));
            }
        }
        let mut deleted = store.delete_stream(futures::stream::iter(old).boxed());
        while let Some(done) = deleted.next().await {
            match done {
                Ok(_) => report.removed += 1,
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(failed(e)),
            }
        }
        Ok(report)
    }
}

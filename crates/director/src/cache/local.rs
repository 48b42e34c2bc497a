//! The verdict cache in a local folder: `<dir>/<key>.json`, written atomically
//! through the workspace's one atomic-write helper. Bounded: a hit touches the
//! file's modification time, and beyond the maximum the least recently used entries
//! are removed. Everything here is blocking file I/O; the cache calls it through
//! `spawn_blocking`, never on an async worker.

use super::seal::{Rejected, Sealer};
use super::{CachedVerdict, Failure, PruneReport};
use director_context::atomic::{Mode, write_atomic};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// A bounded folder of sealed entries.
#[derive(Debug)]
pub(crate) struct LocalCacheDir {
    dir: PathBuf,
    max_entries: usize,
    /// Entry count as this process knows it; `None` until the folder is first scanned.
    count: Mutex<Option<usize>>,
    /// The repository root and the folder relative to it, when the folder is inside
    /// a repository: tracked entries there are never used.
    in_repo: Option<(PathBuf, String)>,
}

impl LocalCacheDir {
    pub(crate) fn new(dir: PathBuf, max_entries: usize, repo_root: Option<&Path>) -> Self {
        let in_repo = repo_root.and_then(|root| {
            let rel = dir.strip_prefix(root).ok()?;
            Some((root.to_path_buf(), rel.to_string_lossy().replace('\\', "/")))
        });
        LocalCacheDir {
            dir,
            max_entries: max_entries.max(1),
            count: Mutex::new(None),
            in_repo,
        }
    }

    /// The folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        let valid = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.dir.join(format!("{}.json", key.to_ascii_lowercase())))
    }

    /// True when the entry for `key` is a file tracked by the repository's git.
    fn tracked(&self, key: &str) -> bool {
        self.in_repo.as_ref().is_some_and(|(root, rel)| {
            let rel = if rel.is_empty() {
                format!("{key}.json")
            } else {
                format!("{rel}/{key}.json")
            };
            director_context::is_tracked(root, &rel)
        })
    }

    pub(crate) fn get(
        &self,
        key: &str,
        sealer: &Sealer,
        ttl: Option<Duration>,
    ) -> Result<Option<CachedVerdict>, Failure> {
        let Some(path) = self.path(key) else {
            return Ok(None);
        };
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Failure::Outage(format!("{}: {e}", path.display()))),
        };
        if self.tracked(key) {
            return Err(Failure::Entry(format!(
                "ignored verdict cache entry {}: it is tracked in git, and a cache entry from the repository is never used",
                path.display()
            )));
        }
        match sealer.open(key, &bytes, ttl, SystemTime::now()) {
            Ok(entry) => {
                touch(&path);
                Ok(Some(entry))
            }
            Err(Rejected::Expired) => {
                self.remove(&path);
                Ok(None)
            }
            Err(Rejected::NotAuthentic(why)) => {
                self.remove(&path);
                Err(Failure::Entry(format!(
                    "ignored verdict cache entry {}: {why}",
                    path.display()
                )))
            }
        }
    }

    pub(crate) fn put(&self, key: &str, sealed: &[u8]) -> Result<(), Failure> {
        let Some(path) = self.path(key) else {
            return Err(Failure::Entry(format!(
                "`{key}` is not a cache key (64 hex digits)"
            )));
        };
        if self.tracked(key) {
            return Ok(());
        }
        let existed = path.exists();
        write_atomic(&path, sealed, Mode::Replace)
            .map_err(|e| Failure::Outage(format!("{}: {e}", path.display())))?;
        if !existed {
            self.adjust_count(1);
        }
        self.evict_if_needed();
        Ok(())
    }

    pub(crate) fn prune(&self, cutoff: SystemTime) -> Result<PruneReport, crate::Error> {
        let mut report = PruneReport::default();
        let entries = match fs::read_dir(&self.dir) {
            Ok(_) => self.entries(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(crate::Error::io("read", &self.dir, e)),
        };
        for (path, modified) in entries {
            report.scanned += 1;
            if modified < cutoff && fs::remove_file(&path).is_ok() {
                report.removed += 1;
            }
        }
        *self.count.lock().unwrap_or_else(PoisonError::into_inner) = None;
        Ok(report)
    }

    fn remove(&self, path: &Path) {
        if fs::remove_file(path).is_ok() {
            self.adjust_count(-1);
        }
    }

    fn adjust_count(&self, delta: isize) {
        let mut count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = count.as_mut() {
            *n = n.saturating_add_signed(delta);
        }
    }

    /// Scan the folder only when the known count says the bound may be exceeded,
    /// so a put costs one listing per eviction, not one per write.
    fn evict_if_needed(&self) {
        let mut count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        let known = match *count {
            Some(n) => n,
            None => self.entries().len(),
        };
        if known <= self.max_entries {
            *count = Some(known);
            return;
        }
        let mut entries = self.entries();
        let excess = entries.len().saturating_sub(self.max_entries);
        entries.sort_by_key(|(_, modified)| *modified);
        let mut removed = 0;
        for (path, _) in entries.iter().take(excess) {
            if fs::remove_file(path).is_ok() {
                removed += 1;
            }
        }
        *count = Some(entries.len() - removed);
    }

    fn entries(&self) -> Vec<(PathBuf, SystemTime)> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.len() == 69 && name.ends_with(".json")
            })
            .filter_map(|e| {
                let modified = e.metadata().ok()?.modified().ok()?;
                Some((e.path(), modified))
            })
            .collect()
    }
}

/// Mark an entry as just used. A failure only weakens the LRU order.
fn touch(path: &Path) {
    if let Ok(file) = fs::File::options().write(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::entry;
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(b"0123456789abcdef0123456789abcdef")
    }

    fn key(i: u8) -> String {
        super::super::VerdictCache::key(&[&[i]])
    }

    fn put(cache: &LocalCacheDir, key: &str, summary: &str) {
        let sealed = sealer().seal(key, &entry(summary)).unwrap();
        cache.put(key, &sealed).unwrap();
    }

    #[test]
    fn roundtrip_forgery_and_keys_outside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LocalCacheDir::new(dir.path().join("cache"), 10, None);
        let k = key(0);
        assert!(cache.get(&k, &sealer(), None).unwrap().is_none());
        put(&cache, &k, "one");
        let hit = cache.get(&k, &sealer(), None).unwrap().unwrap();
        assert_eq!(hit.verdict.summary, "one");
        // A planted entry in the old, unauthenticated format is refused and removed.
        let path = dir.path().join("cache").join(format!("{k}.json"));
        fs::write(&path, serde_json::to_vec(&entry("forged")).unwrap()).unwrap();
        assert!(matches!(
            cache.get(&k, &sealer(), None),
            Err(Failure::Entry(w)) if w.contains("ignored")
        ));
        assert!(!path.exists(), "forged entry removed");
        // A key that climbs out of the folder is refused.
        assert!(cache.get("../outside", &sealer(), None).unwrap().is_none());
        assert!(cache.put("nope", b"x").is_err());
    }

    #[test]
    fn evicts_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LocalCacheDir::new(dir.path().to_path_buf(), 3, None);
        let keys: Vec<String> = (0..4u8).map(key).collect();
        let base = SystemTime::now() - Duration::from_secs(100);
        for (i, k) in keys.iter().take(3).enumerate() {
            put(&cache, k, &i.to_string());
            let file = fs::File::options()
                .write(true)
                .open(dir.path().join(format!("{k}.json")))
                .unwrap();
            file.set_modified(base + Duration::from_secs(i as u64))
                .unwrap();
        }
        // Using the oldest entry makes it the most recent.
        assert!(cache.get(&keys[0], &sealer(), None).unwrap().is_some());
        put(&cache, &keys[3], "3");
        assert_eq!(cache.entries().len(), 3);
        assert!(
            cache.get(&keys[1], &sealer(), None).unwrap().is_none(),
            "least recently used evicted"
        );
        for k in [&keys[0], &keys[2], &keys[3]] {
            assert!(cache.get(k, &sealer(), None).unwrap().is_some());
        }
    }

    #[test]
    fn prune_removes_entries_unused_since_the_cutoff() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LocalCacheDir::new(dir.path().to_path_buf(), 10, None);
        put(&cache, &key(1), "old");
        put(&cache, &key(2), "new");
        let old = SystemTime::now() - Duration::from_secs(10 * 86_400);
        fs::File::options()
            .write(true)
            .open(dir.path().join(format!("{}.json", key(1))))
            .unwrap()
            .set_modified(old)
            .unwrap();
        let report = cache
            .prune(SystemTime::now() - Duration::from_secs(86_400))
            .unwrap();
        assert_eq!(
            report,
            PruneReport {
                scanned: 2,
                removed: 1
            }
        );
        assert!(cache.get(&key(2), &sealer(), None).unwrap().is_some());
        assert!(cache.get(&key(1), &sealer(), None).unwrap().is_none());
    }
}

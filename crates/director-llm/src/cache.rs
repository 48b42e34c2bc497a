//! The verdict cache: a content-addressed file store of Director verdicts, so a
//! re-run on unchanged input makes no provider request.
//!
//! An entry lives at `<dir>/<sha256>.json`; the key hashes everything that decides
//! the answer (the caller passes the Director definition hash, the rendered
//! messages, the model and the request parameters). Writes are atomic (temp file in
//! the same directory, then rename), so a reader never sees half an entry, even with
//! several processes sharing the directory. The store is bounded: a hit touches the
//! file's modification time, and when the entry count exceeds the maximum the least
//! recently used entries are removed. An entry that does not parse is removed and
//! treated as a miss.

use crate::error::LlmError;
use director_core::{Usage, Verdict};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// Bumped when the entry format or key derivation changes, so old entries miss.
const KEY_VERSION: &[u8] = b"director-verdict-cache/v1";

/// One cached Director answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachedVerdict {
    /// The validated verdict.
    pub verdict: Verdict,
    /// Token usage of the call that produced it.
    pub usage: Usage,
    /// The model that answered.
    pub model: String,
    /// When it was stored, seconds since the Unix epoch.
    pub created_at: u64,
}

impl CachedVerdict {
    /// An entry stamped with the current time.
    pub fn now(verdict: Verdict, usage: Usage, model: String) -> CachedVerdict {
        CachedVerdict {
            verdict,
            usage,
            model,
            created_at: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }
}

/// A bounded, content-addressed verdict store in one directory.
#[derive(Debug)]
pub struct VerdictCache {
    dir: PathBuf,
    max_entries: usize,
    /// Entry count as this process knows it; `None` until the directory is first scanned.
    count: Mutex<Option<usize>>,
}

impl VerdictCache {
    /// A cache in `dir` (created on first write) holding at most `max_entries` entries.
    pub fn new(dir: impl Into<PathBuf>, max_entries: usize) -> VerdictCache {
        VerdictCache {
            dir: dir.into(),
            max_entries: max_entries.max(1),
            count: Mutex::new(None),
        }
    }

    /// The key of a set of inputs: SHA-256 over each part, length-prefixed so that
    /// moving bytes between parts changes the key. 64 lowercase hex digits.
    pub fn key(parts: &[&[u8]]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(KEY_VERSION);
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The entry for `key`, if present and readable. A hit marks it recently used;
    /// an unreadable entry is removed.
    pub fn get(&self, key: &str) -> Option<CachedVerdict> {
        let path = self.path(key)?;
        let bytes = fs::read(&path).ok()?;
        match serde_json::from_slice::<CachedVerdict>(&bytes) {
            Ok(entry) => {
                touch(&path);
                Some(entry)
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "removing corrupted verdict cache entry");
                if fs::remove_file(&path).is_ok() {
                    self.adjust_count(-1);
                }
                None
            }
        }
    }

    /// Store `entry` under `key` atomically, then evict the least recently used
    /// entries beyond the maximum.
    pub fn put(&self, key: &str, entry: &CachedVerdict) -> Result<(), LlmError> {
        let path = self.path(key).ok_or_else(|| LlmError::Cache {
            path: self.dir.display().to_string(),
            source: std::io::Error::other(format!("`{key}` is not a cache key (64 hex digits)")),
        })?;
        let io = |source: std::io::Error| LlmError::Cache {
            path: path.display().to_string(),
            source,
        };
        fs::create_dir_all(&self.dir).map_err(|source| LlmError::Cache {
            path: self.dir.display().to_string(),
            source,
        })?;
        let existed = path.exists();
        let json = serde_json::to_vec(entry).map_err(|e| io(std::io::Error::other(e)))?;
        let mut temp = tempfile::Builder::new()
            .prefix(".tmp-")
            .suffix(".partial")
            .tempfile_in(&self.dir)
            .map_err(io)?;
        temp.write_all(&json).map_err(io)?;
        temp.persist(&path).map_err(|e| io(e.error))?;
        if !existed {
            self.adjust_count(1);
        }
        self.evict_if_needed();
        Ok(())
    }

    /// Number of entries currently in the directory.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// True when the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        let valid = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| self.dir.join(format!("{}.json", key.to_ascii_lowercase())))
    }

    fn adjust_count(&self, delta: isize) {
        let mut count = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = count.as_mut() {
            *n = n.saturating_add_signed(delta);
        }
    }

    /// Scan the directory only when the known count says the bound may be exceeded,
    /// so a put costs one directory listing per eviction, not one per write.
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
    use super::*;
    use director_core::VerdictKind;

    fn entry(summary: &str) -> CachedVerdict {
        CachedVerdict::now(
            Verdict {
                verdict: VerdictKind::Pass,
                summary: summary.into(),
                findings: vec![],
            },
            Usage {
                requests: 1,
                prompt_tokens: 10,
                ..Usage::default()
            },
            "m".into(),
        )
    }

    #[test]
    fn keys_are_stable_and_length_prefixed() {
        let a = VerdictCache::key(&[b"ab", b"c"]);
        assert_eq!(a, VerdictCache::key(&[b"ab", b"c"]));
        assert_ne!(a, VerdictCache::key(&[b"a", b"bc"]));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn roundtrip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VerdictCache::new(dir.path().join("cache"), 10);
        let key = VerdictCache::key(&[b"x"]);
        assert!(cache.get(&key).is_none());
        cache.put(&key, &entry("one")).unwrap();
        assert_eq!(cache.get(&key).unwrap().verdict.summary, "one");
        fs::write(
            dir.path().join("cache").join(format!("{key}.json")),
            b"{not json",
        )
        .unwrap();
        assert!(cache.get(&key).is_none());
        assert!(cache.is_empty(), "corrupted entry removed");
        // A key that climbs out of the directory is refused even when its target is a
        // readable entry.
        fs::write(
            dir.path().join("outside.json"),
            serde_json::to_vec(&entry("outside")).unwrap(),
        )
        .unwrap();
        assert!(cache.get("../outside").is_none());
        assert!(cache.put("nope", &entry("x")).is_err());
    }

    #[test]
    fn evicts_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VerdictCache::new(dir.path(), 3);
        let keys: Vec<String> = (0..4u8).map(|i| VerdictCache::key(&[&[i]])).collect();
        let base = SystemTime::now() - std::time::Duration::from_secs(100);
        for (i, key) in keys.iter().take(3).enumerate() {
            cache.put(key, &entry(&i.to_string())).unwrap();
            let file = fs::File::options()
                .write(true)
                .open(dir.path().join(format!("{key}.json")))
                .unwrap();
            file.set_modified(base + std::time::Duration::from_secs(i as u64))
                .unwrap();
        }
        // Using the oldest entry makes it the most recent.
        assert!(cache.get(&keys[0]).is_some());
        cache.put(&keys[3], &entry("3")).unwrap();
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&keys[1]).is_none(), "least recently used evicted");
        assert!(cache.get(&keys[0]).is_some());
        assert!(cache.get(&keys[2]).is_some());
        assert!(cache.get(&keys[3]).is_some());
    }
}

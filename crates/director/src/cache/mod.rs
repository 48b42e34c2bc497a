//! The verdict cache: content-addressed Director verdicts, so a re-run on unchanged
//! input — on this machine, or on any runner of a CI fleet — makes no provider
//! request.
//!
//! The key hashes everything that decides the answer (the Director definition, the
//! rendered messages, the model and the request parameters). Entries live either in
//! a folder outside the repository (`local`, by default under the user's cache home)
//! or in object storage shared by a fleet (`remote`, `[store] url` with
//! `[store] cache = true`). Every entry is sealed with an HMAC (`seal.rs`); a TTL is
//! checked on read; `director cache prune` removes old entries.
//!
//! Architecture Invariant: the cache can only save calls, never change a decision.
//! Any failure inside it — an I/O error, a corrupt or forged entry, a storage outage,
//! a timeout, a panic — degrades that run to "no cache" with a warning in the record
//! and the report; it never fails or passes a run.

mod local;
mod remote;
mod seal;

use crate::remote::RemoteStore;
use director_core::{Usage, Verdict};
use futures::FutureExt as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use local::LocalCacheDir;

/// Bumped when the key derivation changes, so old entries miss.
const KEY_VERSION: &[u8] = b"director-verdict-cache/v1";

/// How long one cache operation may take before the run goes on without the cache.
const OP_TIMEOUT: Duration = Duration::from_secs(15);

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
    /// When it was stored, seconds since the Unix epoch (checked against the TTL).
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

/// Why an operation did not give an answer.
#[derive(Debug)]
enum Failure {
    /// One entry was unusable (forged, corrupt, tracked in git): warn, carry on.
    Entry(String),
    /// The storage itself failed: warn and stop using the cache for this run.
    Outage(String),
}

enum Backend {
    Local(Arc<LocalCacheDir>),
    Remote(remote::RemoteCache),
}

/// A verdict cache: where entries live, the key that seals them, and their TTL.
pub struct VerdictCache {
    backend: Backend,
    /// The sealing key, or why the cache cannot be used at all.
    sealer: Result<seal::Sealer, String>,
    ttl: Option<Duration>,
}

impl std::fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerdictCache")
            .field("location", &self.location())
            .field("usable", &self.sealer.is_ok())
            .finish_non_exhaustive()
    }
}

/// What `director cache prune` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    /// Entries looked at.
    pub scanned: u64,
    /// Entries removed.
    pub removed: u64,
}

impl VerdictCache {
    /// The key of a set of inputs: SHA-256 over each part, length-prefixed so that
    /// moving bytes between parts changes the key. 64 lowercase hex digits.
    pub fn key(parts: &[&[u8]]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(KEY_VERSION);
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        seal::hex(&hasher.finalize())
    }

    /// A cache in the folder `dir` holding at most `max_entries` entries (least
    /// recently used evicted), sealed with the per-user key in `key_file` (created
    /// 0600 on first use). When `dir` lies inside the git repository at `repo_root`,
    /// entries tracked by git are never used.
    pub fn local(
        dir: impl Into<PathBuf>,
        max_entries: usize,
        key_file: &Path,
        ttl: Option<Duration>,
        repo_root: Option<&Path>,
    ) -> VerdictCache {
        VerdictCache {
            backend: Backend::Local(Arc::new(LocalCacheDir::new(
                dir.into(),
                max_entries,
                repo_root,
            ))),
            sealer: seal::Sealer::load_or_create(key_file),
            ttl,
        }
    }

    /// A cache shared through object storage, sealed with the fleet key (the value
    /// of `DIRECTOR_CACHE_KEY`). Without a usable key it is disabled — an
    /// unauthenticated shared cache is never read or written.
    pub fn remote(
        store: RemoteStore,
        fleet_key: Option<&str>,
        ttl: Option<Duration>,
    ) -> VerdictCache {
        let sealer = match fleet_key {
            Some(value) => seal::Sealer::from_env_value(value),
            None => Err(format!(
                "the shared cache at {} needs DIRECTOR_CACHE_KEY (at least {} characters) in the environment",
                store.url(),
                seal::MIN_KEY_BYTES
            )),
        };
        VerdictCache {
            backend: Backend::Remote(remote::RemoteCache::new(store)),
            sealer,
            ttl,
        }
    }

    /// Where the entries live (a folder or a URL), for messages.
    pub fn location(&self) -> String {
        match &self.backend {
            Backend::Local(l) => l.dir().display().to_string(),
            Backend::Remote(r) => r.location(),
        }
    }

    /// A handle for one run, collecting that run's warnings.
    pub fn session(self: &Arc<Self>) -> CacheSession {
        let mut state = SessionState::default();
        if let Err(reason) = &self.sealer {
            state.off = true;
            state
                .warnings
                .push(format!("verdict cache disabled: {reason}"));
        }
        CacheSession {
            cache: self.clone(),
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Remove entries not used (local) or not written (remote) for `older_than`.
    pub async fn prune(&self, older_than: Duration) -> Result<PruneReport, crate::Error> {
        let cutoff = SystemTime::now()
            .checked_sub(older_than)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        match &self.backend {
            Backend::Local(dir) => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || dir.prune(cutoff))
                    .await
                    .map_err(|e| crate::Error::Internal(format!("cache prune: {e}")))?
            }
            Backend::Remote(r) => r.prune(cutoff).await,
        }
    }

    async fn lookup(&self, key: &str) -> Result<Option<CachedVerdict>, Failure> {
        let sealer = self
            .sealer
            .as_ref()
            .map_err(|reason| Failure::Outage(reason.clone()))?;
        match &self.backend {
            Backend::Local(dir) => {
                let (dir, sealer, ttl, key) =
                    (dir.clone(), sealer.clone(), self.ttl, key.to_string());
                tokio::task::spawn_blocking(move || dir.get(&key, &sealer, ttl))
                    .await
                    .map_err(|e| Failure::Outage(join_reason(&e)))?
            }
            Backend::Remote(r) => r.get(key, sealer, self.ttl).await,
        }
    }

    async fn store(&self, key: &str, entry: &CachedVerdict) -> Result<(), Failure> {
        let sealer = self
            .sealer
            .as_ref()
            .map_err(|reason| Failure::Outage(reason.clone()))?;
        let sealed = sealer
            .seal(key, entry)
            .map_err(|e| Failure::Entry(format!("could not encode a verdict: {e}")))?;
        match &self.backend {
            Backend::Local(dir) => {
                let (dir, key) = (dir.clone(), key.to_string());
                tokio::task::spawn_blocking(move || dir.put(&key, &sealed))
                    .await
                    .map_err(|e| Failure::Outage(join_reason(&e)))?
            }
            Backend::Remote(r) => r.put(key, sealed, sealer, self.ttl).await,
        }
    }
}

fn join_reason(e: &tokio::task::JoinError) -> String {
    if e.is_panic() {
        "internal: the cache code panicked".to_string()
    } else {
        format!("internal: {e}")
    }
}

#[derive(Default)]
struct SessionState {
    warnings: Vec<String>,
    /// Set after an outage: later operations of the run skip the cache.
    off: bool,
}

/// The cache as one run uses it: every failure becomes a warning of that run, and
/// after an outage the rest of the run goes without the cache instead of waiting on
/// the storage again. Cheap to clone (one per Director task).
#[derive(Clone)]
pub struct CacheSession {
    cache: Arc<VerdictCache>,
    state: Arc<Mutex<SessionState>>,
}

impl std::fmt::Debug for CacheSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheSession")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl CacheSession {
    /// The verdict stored for `key`, if the cache has an authentic, fresh one.
    pub async fn get(&self, key: &str) -> Option<CachedVerdict> {
        if self.is_off() {
            return None;
        }
        let result = self.guarded("read", self.cache.lookup(key)).await;
        result.flatten()
    }

    /// Store `entry` under `key`. Failures are warnings; a racing writer that stored
    /// the same key first is a quiet success.
    pub async fn put(&self, key: &str, entry: &CachedVerdict) {
        if self.is_off() {
            return;
        }
        let _ = self.guarded("write", self.cache.store(key, entry)).await;
    }

    /// What went wrong with the cache in this run, one sentence each.
    pub fn warnings(&self) -> Vec<String> {
        self.lock().warnings.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_off(&self) -> bool {
        self.lock().off
    }

    /// Run one operation with a deadline and a panic guard, turning every failure
    /// into a warning.
    async fn guarded<T>(
        &self,
        what: &str,
        op: impl std::future::Future<Output = Result<T, Failure>>,
    ) -> Option<T> {
        let guarded = std::panic::AssertUnwindSafe(op).catch_unwind();
        let failure = match tokio::time::timeout(OP_TIMEOUT, guarded).await {
            Ok(Ok(Ok(value))) => return Some(value),
            Ok(Ok(Err(failure))) => failure,
            Ok(Err(panic)) => Failure::Outage(format!(
                "internal: the cache code panicked: {}",
                panic_message(panic.as_ref())
            )),
            Err(_) => Failure::Outage(format!(
                "a {what} took longer than {}s",
                OP_TIMEOUT.as_secs()
            )),
        };
        let location = self.cache.location();
        let mut state = self.lock();
        let warning = match failure {
            Failure::Entry(why) => why,
            Failure::Outage(why) => {
                if state.off {
                    return None;
                }
                state.off = true;
                format!(
                    "verdict cache at {location} unavailable ({what} failed: {why}); this run continued without the cache"
                )
            }
        };
        tracing::warn!("{warning}");
        if !state.warnings.contains(&warning) {
            state.warnings.push(warning);
        }
        None
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

/// The user's cache home: `DIRECTOR_CACHE_HOME`, else `$XDG_CACHE_HOME/director`,
/// else `~/.cache/director` (`%LOCALAPPDATA%\director` on Windows).
pub fn default_cache_home() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("DIRECTOR_CACHE_HOME") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("director"));
    }
    if cfg!(windows)
        && let Some(dir) = var("LOCALAPPDATA")
    {
        return Some(PathBuf::from(dir).join("director"));
    }
    var("HOME").map(|h| PathBuf::from(h).join(".cache").join("director"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use director_core::VerdictKind;

    pub(super) fn entry(summary: &str) -> CachedVerdict {
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

    #[tokio::test]
    async fn a_session_degrades_to_no_cache_with_one_warning() {
        let home = tempfile::tempdir().unwrap();
        // The cache folder is a file: every read and write fails with an I/O error.
        let blocked = home.path().join("blocked");
        std::fs::write(&blocked, b"").unwrap();
        let cache = Arc::new(VerdictCache::local(
            blocked.join("verdicts"),
            10,
            &home.path().join("key"),
            None,
            None,
        ));
        let session = cache.session();
        let key = VerdictCache::key(&[b"x"]);
        session.put(&key, &entry("one")).await;
        assert!(session.get(&key).await.is_none());
        session.put(&key, &entry("two")).await;
        let warnings = session.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("unavailable") && warnings[0].contains("without the cache"),
            "{warnings:?}"
        );
    }

    #[tokio::test]
    async fn a_panic_inside_the_cache_is_a_warning() {
        let home = tempfile::tempdir().unwrap();
        let cache = Arc::new(VerdictCache::local(
            home.path().join("v"),
            10,
            &home.path().join("key"),
            None,
            None,
        ));
        let session = cache.session();
        let out: Option<()> = session
            .guarded("read", async {
                if out_of_nothing() {
                    panic!("boom in the cache");
                }
                Ok::<(), Failure>(())
            })
            .await;
        assert!(out.is_none());
        let warnings = session.warnings();
        assert!(
            warnings[0].contains("panicked: boom in the cache"),
            "{warnings:?}"
        );
        assert!(session.get("anything").await.is_none(), "off for the run");
    }

    fn out_of_nothing() -> bool {
        std::hint::black_box(true)
    }

    #[test]
    fn a_remote_cache_without_the_fleet_key_is_disabled() {
        let dir = tempfile::tempdir().unwrap();
        let url = url::Url::from_directory_path(dir.path()).unwrap();
        let store = RemoteStore::open(url.as_str()).unwrap();
        let cache = Arc::new(VerdictCache::remote(store, None, None));
        let warnings = cache.session().warnings();
        assert!(warnings[0].contains("DIRECTOR_CACHE_KEY"), "{warnings:?}");
    }
}

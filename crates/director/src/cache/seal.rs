//! Authenticated cache entries: every entry carries an HMAC-SHA256 tag over its
//! cache key and payload, made with a key the reviewed change cannot read or choose
//! (a per-user key file created 0600 beside the local cache, or `DIRECTOR_CACHE_KEY`
//! for a fleet's shared cache). A file planted in a repository or a bucket by anyone
//! without the key — or an entry copied from one cache key to another — fails the
//! check and is never taken for a verdict.

use super::CachedVerdict;
use ring::hmac;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The entry format; bumped when the envelope or the tagged bytes change.
const FORMAT: &str = "director-verdict-cache/v2";

/// Largest entry read; a verdict is a few KiB.
pub(crate) const MAX_ENTRY_BYTES: usize = 4 << 20;

/// Fewest bytes a fleet key (`DIRECTOR_CACHE_KEY`) may have.
pub(crate) const MIN_KEY_BYTES: usize = 32;

/// What is stored: the payload as the exact bytes that were tagged.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: String,
    key: String,
    payload: String,
    tag: String,
}

/// Why an entry was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Not an entry of ours, or tampered with: worth a warning.
    NotAuthentic(String),
    /// Authentic but older than the TTL: a plain miss.
    Expired,
}

/// Signs and checks entries with one key.
#[derive(Clone)]
pub(crate) struct Sealer {
    key: hmac::Key,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    /// A sealer from raw key bytes.
    pub(crate) fn new(secret: &[u8]) -> Sealer {
        Sealer {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// The fleet key from the value of `DIRECTOR_CACHE_KEY`.
    pub(crate) fn from_env_value(value: &str) -> Result<Sealer, String> {
        let value = value.trim();
        if value.len() < MIN_KEY_BYTES {
            return Err(format!(
                "DIRECTOR_CACHE_KEY is shorter than {MIN_KEY_BYTES} characters"
            ));
        }
        Ok(Sealer::new(value.as_bytes()))
    }

    /// The per-user key in `path`, created with fresh random bytes (mode 0600) on
    /// first use.
    pub(crate) fn load_or_create(path: &Path) -> Result<Sealer, String> {
        let describe = |e: std::io::Error| format!("cache key {}: {e}", path.display());
        match std::fs::read_to_string(path) {
            Ok(text) => return Sealer::from_key_file(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(describe(e)),
        }
        let mut secret = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
            .map_err(|_| format!("cache key {}: no system randomness", path.display()))?;
        let text = hex(&secret);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(describe)?;
        }
        match create_private(path, text.as_bytes()) {
            Ok(()) => Ok(Sealer::new(text.as_bytes())),
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(describe)?;
                Sealer::from_key_file(&text, path)
            }
            Err(e) => Err(describe(e)),
        }
    }

    fn from_key_file(text: &str, path: &Path) -> Result<Sealer, String> {
        let text = text.trim();
        if text.len() < MIN_KEY_BYTES {
            return Err(format!(
                "cache key {} is shorter than {MIN_KEY_BYTES} characters (delete it to make a new one)",
                path.display()
            ));
        }
        Ok(Sealer::new(text.as_bytes()))
    }

    fn tag(&self, key: &str, payload: &str) -> hmac::Tag {
        hmac::sign(&self.key, &tagged_bytes(key, payload))
    }

    /// The stored form of `entry` under `key`.
    pub(crate) fn seal(&self, key: &str, entry: &CachedVerdict) -> Result<Vec<u8>, String> {
        let payload = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        let tag = hex(self.tag(key, &payload).as_ref());
        serde_json::to_vec(&Envelope {
            format: FORMAT.into(),
            key: key.into(),
            payload,
            tag,
        })
        .map_err(|e| e.to_string())
    }

    /// The entry in `bytes` if it is authentic, stored under `key`, and younger than
    /// `ttl` (when set) as of `now`.
    pub(crate) fn open(
        &self,
        key: &str,
        bytes: &[u8],
        ttl: Option<Duration>,
        now: SystemTime,
    ) -> Result<CachedVerdict, Rejected> {
        let bad = |why: &str| Rejected::NotAuthentic(why.to_string());
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(bad("larger than any verdict"));
        }
        let envelope: Envelope =
            serde_json::from_slice(bytes).map_err(|_| bad("not a director cache entry"))?;
        if envelope.format != FORMAT {
            return Err(bad("an unknown entry format"));
        }
        let tag = unhex(&envelope.tag).ok_or_else(|| bad("no valid tag"))?;
        hmac::verify(&self.key, &tagged_bytes(key, &envelope.payload), &tag).map_err(|_| {
            bad("its tag does not match (planted, tampered with, or made with another key)")
        })?;
        // The tag covers the requested key, so this only catches a confused writer.
        if envelope.key != key {
            return Err(bad("stored under another key"));
        }
        let entry: CachedVerdict = serde_json::from_str(&envelope.payload)
            .map_err(|_| bad("an authentic tag over an unreadable payload"))?;
        if let Some(ttl) = ttl {
            let created = SystemTime::UNIX_EPOCH + Duration::from_secs(entry.created_at);
            let age = now.duration_since(created).unwrap_or(Duration::ZERO);
            if age > ttl {
                return Err(Rejected::Expired);
            }
        }
        Ok(entry)
    }
}

/// The bytes the tag covers: the format, the cache key and the payload, each
/// length-prefixed so no byte can move from one to the other.
fn tagged_bytes(key: &str, payload: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(FORMAT.len() + key.len() + payload.len() + 24);
    for part in [FORMAT, key, payload] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// Create `path` with `bytes`, readable by its owner only; fails if it exists.
fn create_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use director_core::{Usage, Verdict, VerdictKind};

    fn entry(created_at: u64) -> CachedVerdict {
        CachedVerdict {
            verdict: Verdict {
                verdict: VerdictKind::Pass,
                summary: "fine".into(),
                findings: vec![],
            },
            usage: Usage::default(),
            model: "m".into(),
            created_at,
        }
    }

    const KEY: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const OTHER: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn roundtrip_and_every_forgery_is_rejected() {
        let now = SystemTime::now();
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let sealer = Sealer::new(b"0123456789abcdef0123456789abcdef");
        let sealed = sealer.seal(KEY, &entry(secs)).unwrap();
        assert_eq!(sealer.open(KEY, &sealed, None, now).unwrap(), entry(secs));

        // Moved to another key.
        assert!(matches!(
            sealer.open(OTHER, &sealed, None, now),
            Err(Rejected::NotAuthentic(_))
        ));
        // Made with another key.
        let stranger = Sealer::new(b"another key, 32 bytes or more.....");
        assert!(matches!(
            stranger.open(KEY, &sealed, None, now),
            Err(Rejected::NotAuthentic(_))
        ));
        // Payload edited (a pass turned into another summary), tag kept.
        let mut env: serde_json::Value = serde_json::from_slice(&sealed).unwrap();
        env["payload"] = env["payload"]
            .as_str()
            .unwrap()
            .replace("fine", "FINE")
            .into();
        let edited = serde_json::to_vec(&env).unwrap();
        assert!(matches!(
            sealer.open(KEY, &edited, None, now),
            Err(Rejected::NotAuthentic(_))
        ));
        // The old unauthenticated format (a bare CachedVerdict) is not an entry.
        let bare = serde_json::to_vec(&entry(secs)).unwrap();
        assert!(matches!(
            sealer.open(KEY, &bare, None, now),
            Err(Rejected::NotAuthentic(_))
        ));
        assert!(matches!(
            sealer.open(KEY, b"{not json", None, now),
            Err(Rejected::NotAuthentic(_))
        ));
    }

    #[test]
    fn ttl_is_checked_on_read() {
        let now = SystemTime::now();
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let sealer = Sealer::new(b"0123456789abcdef0123456789abcdef");
        let old = sealer.seal(KEY, &entry(secs - 3 * 86_400)).unwrap();
        let day = Duration::from_secs(86_400);
        assert_eq!(
            sealer.open(KEY, &old, Some(day), now),
            Err(Rejected::Expired)
        );
        assert!(sealer.open(KEY, &old, Some(day * 4), now).is_ok());
        assert!(sealer.open(KEY, &old, None, now).is_ok());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("home/key");
        let a = Sealer::load_or_create(&path).unwrap();
        let b = Sealer::load_or_create(&path).unwrap();
        let sealed = a.seal(KEY, &entry(1)).unwrap();
        assert!(b.open(KEY, &sealed, None, SystemTime::now()).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "short").unwrap();
        assert!(
            Sealer::load_or_create(&path)
                .unwrap_err()
                .contains("shorter")
        );
        assert!(Sealer::from_env_value("too short").is_err());
    }
}

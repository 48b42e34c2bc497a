//! The one way director writes a file: a temporary file in the same folder, written
//! and fsynced, then renamed over the target, then the folder fsynced — so a reader
//! (or a crash, or a power cut) sees the old file or the new one, never half of one.
//!
//! Every file the workspace writes goes through here: run records, the verdict cache,
//! the baseline, task files, `--output` and `director init`. [`Mode::CreateNew`]
//! refuses to replace an existing file (the rename is `RENAME_NOREPLACE` / a hard
//! link, so two writers racing for one name cannot both win), which is what run
//! records and task files need.

use std::io::Write as _;
use std::path::Path;

/// What to do when the target already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Replace it atomically.
    Replace,
    /// Fail with [`std::io::ErrorKind::AlreadyExists`] and leave it alone.
    CreateNew,
}

/// Write `bytes` to `path` atomically, creating parent folders. The error is the
/// underlying I/O error; callers name the path in their own error type.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Mode) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(".partial")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match mode {
        Mode::Replace => tmp.persist(path).map(drop).map_err(|e| e.error)?,
        Mode::CreateNew => tmp.persist_noclobber(path).map(drop).map_err(|e| e.error)?,
    }
    sync_dir(dir)
}

/// Make a rename in `dir` durable. Folders cannot be opened for syncing on Windows;
/// there the rename is as durable as the file system makes it.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_creates_new() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/c.json");
        write_atomic(&path, b"one", Mode::CreateNew).unwrap();
        let again = write_atomic(&path, b"two", Mode::CreateNew).unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"one", "never overwritten");
        write_atomic(&path, b"three", Mode::Replace).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file left behind");
    }
}

//! Writing data to stdout or a file. A closed stdout (`director verify | head`) is
//! not a crash; `--output FILE` is written atomically.

use std::io::Write as _;
use std::path::Path;

/// Write `text` to `output` (atomically) or stdout. Broken pipes are ignored.
pub fn emit(text: &str, output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            director::store::write_atomic(path, text.as_bytes())?;
            Ok(())
        }
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => Ok(other?),
            }
        }
    }
}

/// Whether stdout should get ANSI colour.
pub fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout())
}

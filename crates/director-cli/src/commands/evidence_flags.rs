//! `--rendered FILE|-` and `--evidence-sarif FILE`: command-line paths are relative to
//! the current directory (configuration's are relative to the repository root), and
//! `-` reads the rendered stream from standard input once.

use director::{ExtraEvidence, RenderedSource};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The extra evidence the flags name, with paths made absolute.
pub fn extra_evidence(rendered: &[PathBuf], sarif: &[PathBuf]) -> anyhow::Result<ExtraEvidence> {
    let cwd = std::env::current_dir()?;
    let absolute = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        }
    };
    let mut extra = ExtraEvidence {
        rendered: Vec::new(),
        sarif: sarif.iter().map(|p| absolute(p)).collect(),
        ..ExtraEvidence::default()
    };
    let mut stdin_used = false;
    for p in rendered {
        if p.as_os_str() == "-" {
            if stdin_used {
                return Err(director::Error::Input {
                    message: "--rendered - is given more than once".into(),
                    hint: "standard input can be read once; pass other streams as files".into(),
                }
                .into());
            }
            stdin_used = true;
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| director::Error::io("read", "stdin", e))?;
            extra.rendered.push(RenderedSource::Text(text));
        } else {
            extra.rendered.push(RenderedSource::File(absolute(p)));
        }
    }
    Ok(extra)
}

//! Where a Terraform finding points. A rule names lines of the block it judged; when
//! those lines hold a value that was set elsewhere (a module call's argument, or the
//! default a call leaves in place; a variable file), the finding points where the user
//! sets it. The candidates, in order: that origin, the rule's own lines, the outermost
//! module call in a target file. The first in a target file wins (findings are
//! reported on the change only) and the block's own lines (or, failing those, the
//! origin or the module call) become the related location. A finding with no
//! candidate in a target file is not reported.

use super::module::World;
use super::{Res, TfFile};
use crate::source::SourceText;
use director_core::Location;

/// A finding's place: the file and lines to quote, and where else it is.
pub(crate) struct Placed<'x> {
    /// The file quoted.
    pub src: &'x SourceText<'x>,
    /// The lines quoted.
    pub lines: (u32, u32),
    /// Related places.
    pub related: Vec<Location>,
}

struct Candidate<'x> {
    file: &'x TfFile<'x>,
    lines: (u32, u32),
    message: String,
}

/// Place a finding that `res`'s rule reported on `lines` of `res`'s file.
pub(crate) fn place<'x>(
    world: &'x World<'_>,
    res: &'x Res<'_>,
    lines: (u32, u32),
) -> Option<Placed<'x>> {
    let address = res.address();
    let inside = |r: (u32, u32)| r.0 <= lines.0 && lines.1 <= r.1;
    let overlaps = |r: (u32, u32)| r.0 <= lines.1 && lines.0 <= r.1;
    let origin = res
        .redirects
        .iter()
        .find(|r| inside(r.lines))
        .or_else(|| res.redirects.iter().find(|r| overlaps(r.lines)))
        .and_then(|r| {
            Some(Candidate {
                file: world.files.get(r.origin.file)?,
                lines: r.origin.lines,
                message: format!("the value `{address}` uses is set here"),
            })
        });
    let own = Candidate {
        file: res.blk.file,
        lines,
        message: if origin.is_some() {
            format!("`{address}` takes the value here")
        } else {
            format!("`{address}` is defined here")
        },
    };
    let calls = world.calls(res.inst);
    let call = |c: &super::Blk<'x>| Candidate {
        file: c.file,
        lines: c.head(),
        message: format!("the module call that creates `{address}`"),
    };
    let target_call = calls.iter().find(|c| c.file.target).map(call);
    let outer_call = calls.first().map(call);

    // The first candidate in a target file; the related places depend on which.
    let (primary, related) = match (origin, own) {
        (Some(o), own) if o.file.target => (o, vec![own]),
        (o, own) if own.file.target => {
            let extra = o.or(outer_call.filter(|c| c.file.id != own.file.id));
            (own, extra.into_iter().collect())
        }
        (o, own) => {
            let call = target_call?;
            let mut related = vec![own];
            related.extend(o);
            (call, related)
        }
    };
    let related = related
        .iter()
        .filter(|c| c.file.id != primary.file.id || c.lines != primary.lines)
        .map(location)
        .collect();
    Some(Placed {
        src: &primary.file.src,
        lines: primary.lines,
        related,
    })
}

fn location(c: &Candidate<'_>) -> Location {
    Location {
        path: c.file.src.path.to_string(),
        start_line: c.lines.0,
        end_line: c.lines.1.max(c.lines.0),
        message: c.message.clone(),
    }
}

//! Target `pack`: the token-budgeted context packer ([`director_context::pack`]).
//!
//! Input: a selector byte (budget, context lines, where a secret is planted, a
//! window), then
//! up to four parts separated by `0xFF`: the task description, an added file, a
//! modified file written as a diff (`+`/`-`/` ` line prefixes) and a related file.
//!
//! Invariants: every fence line in the packed text is one of the packer's own
//! (`<<<BEGIN UNTRUSTED … [nonce]>>>` / `<<<END UNTRUSTED [nonce]>>>`), they
//! alternate begin/end, so no file can open or close a fence; a secret planted in
//! a file never reaches the text.

use director_context::changes::{ChangeSet, ChangedFile, Hunk, HunkLine};
use director_context::{PackInput, RelatedFile, pack};
use director_core::record::ChangeMode;
use director_core::{ChangeStatus, FileClass, Task};
use std::path::PathBuf;

const SECRET: &str = "ghp_Zq8vN2mL5kT1xR7cW4pY9bH3jD6fG0sA2eUu";

fn file(path: &str, status: ChangeStatus, hunks: Vec<Hunk>, content: String) -> ChangedFile {
    let count = |o: char| {
        let n = hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter(|l| l.origin == o)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    ChangedFile {
        path: path.into(),
        old_path: None,
        status,
        classes: vec![FileClass::Source],
        signals: Vec::new(),
        language: Some("rust".into()),
        analyzer: None,
        binary: false,
        too_large: false,
        is_symlink: false,
        submodule: false,
        mode_change: None,
        added: count('+'),
        removed: count('-'),
        hunks,
        content: Some(content),
        content_note: None,
    }
}

/// One hunk from a diff-like text; returns it and the new side's text.
fn diff_hunk(text: &str) -> (Hunk, String) {
    let (mut old, mut new) = (0u32, 0u32);
    let mut lines = Vec::new();
    let mut content = String::new();
    for raw in text.lines() {
        let (origin, body) = match raw.chars().next() {
            Some(c @ ('+' | '-')) => (c, &raw[1..]),
            _ => (' ', raw.strip_prefix(' ').unwrap_or(raw)),
        };
        let (o, n) = match origin {
            '+' => (None, Some(new + 1)),
            '-' => (Some(old + 1), None),
            _ => (Some(old + 1), Some(new + 1)),
        };
        old += u32::from(o.is_some());
        new += u32::from(n.is_some());
        if origin != '-' {
            content.push_str(body);
            content.push('\n');
        }
        lines.push(HunkLine {
            origin,
            old_lineno: o,
            new_lineno: n,
            text: body.to_string(),
        });
    }
    let hunk = Hunk {
        old_start: 1,
        old_lines: old,
        new_start: 1,
        new_lines: new,
        header: format!("@@ -1,{old} +1,{new} @@"),
        lines,
    };
    (hunk, content)
}

fn added(path: &str, text: String) -> ChangedFile {
    let lines = text
        .lines()
        .zip(1u32..)
        .map(|(l, n)| HunkLine {
            origin: '+',
            old_lineno: None,
            new_lineno: Some(n),
            text: l.to_string(),
        })
        .collect::<Vec<_>>();
    let n = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    let hunk = Hunk {
        old_start: 0,
        old_lines: 0,
        new_start: 1,
        new_lines: n,
        header: format!("@@ -0,0 +1,{n} @@"),
        lines,
    };
    file(path, ChangeStatus::Added, vec![hunk], text)
}

/// Every fence line is the packer's own, and they alternate.
fn assert_fences(text: &str, nonce: &str) {
    let end = format!("<<<END UNTRUSTED [{nonce}]>>>");
    let begin_tail = format!(" [{nonce}]>>>");
    let mut open = false;
    for line in text.lines() {
        // The head says which nonce the fences carry (outside any fence).
        if !open && line.starts_with("fence nonce: ") {
            continue;
        }
        if line.contains("<<<BEGIN UNTRUSTED") {
            assert!(
                line.starts_with("<<<BEGIN UNTRUSTED ") && line.ends_with(&begin_tail),
                "a fence-like line that is not ours: {line:?}"
            );
            assert!(!open, "a fence opened inside a fence: {line:?}");
            open = true;
        } else if line.contains("<<<END UNTRUSTED") {
            assert_eq!(line, end, "a fence-like line that is not ours");
            assert!(open, "a fence closed that was not open");
            open = false;
        }
    }
    assert!(!open, "a fence left open");
}

/// Pack a task, two changed files and a related file built from the input.
pub fn run(data: &[u8]) {
    let (sel, rest) = crate::selector(data);
    let parts = crate::parts(rest, 4);
    let part = |i: usize| parts.get(i).map(|p| crate::text(p)).unwrap_or_default();
    let mut new_file = part(1);
    if sel & 0x40 != 0 {
        let at = new_file.find('\n').map_or(new_file.len(), |i| i + 1);
        new_file.insert_str(at, &format!("token {SECRET}\n"));
    }
    let task = Task {
        id: "fuzz".into(),
        title: "Fuzzed task".into(),
        description: part(0),
        criteria: vec!["criterion".into()],
        ..Task::default()
    };
    let (hunk, content) = diff_hunk(&part(2));
    let changes = ChangeSet {
        root: PathBuf::from("/nonexistent"),
        scan: director_context::RepoScan::new(std::path::Path::new("/nonexistent")),
        mode: ChangeMode::GitRange,
        base: Some("main".into()),
        head: Some("HEAD".into()),
        base_commit: None,
        head_commit: None,
        files: vec![
            added("src/new.rs", new_file),
            file("src/old.rs", ChangeStatus::Modified, vec![hunk], content),
        ],
    };
    let related = [RelatedFile {
        path: "k8s/service.yaml".into(),
        content: part(3),
        why: "selects Deployment \"web\"".into(),
    }];
    let input = PackInput {
        budget_tokens: [300, 2_000, 16_000, 64_000][usize::from(sel & 3)],
        context_lines: u32::from((sel >> 2) & 7) * 4,
        related: &related,
        // Bit 5: a window (hunk groups cut to line chunks), from piece 0 or (bit 7) 1.
        window_from: (sel & 0x20 != 0).then_some(usize::from(sel >> 7)),
        ..PackInput::new(&task, &changes)
    };
    let packed = pack(&input);
    assert_fences(&packed.text, &packed.nonce);
    assert!(
        !packed.text.contains(&SECRET[8..]),
        "a planted secret reached the context"
    );
}

//! Target `quote`: the evidence contract's quote check
//! ([`director_core::verify::check_quote`]).
//!
//! Input: two bytes of cited start line (0 = none), one byte of allowed drift, then
//! the file's content and the quoted evidence separated by `0xFF`. A second check
//! quotes real lines of the content, picked by the same bytes.
//!
//! Invariants: a found quote lies inside the file (`1 <= start <= end <=` lines),
//! its drift is the distance from the cited line and within the allowed drift; a
//! quote of the file's own lines (lines without the gutter or diff markers the
//! checker strips) is found.

use director_core::fingerprint::normalize_code;
use director_core::verify::{QuoteCheck, check_quote};

fn assert_inside(check: &QuoteCheck, content: &str, cited: Option<u32>, drift: u32) {
    let QuoteCheck::Found {
        start,
        end,
        drift: d,
    } = check
    else {
        return;
    };
    let lines = content.lines().count();
    assert!(
        1 <= *start && start <= end && (*end as usize) <= lines,
        "found at {start}..={end} in a {lines}-line file"
    );
    match cited {
        Some(c) => {
            assert_eq!(*d, c.abs_diff(*start), "drift is not the distance");
            assert!(*d <= drift, "drift {d} over the allowed {drift}");
        }
        None => assert_eq!(*d, 0),
    }
}

/// A line the checker reads as it is (no gutter, no diff marker, not an ellipsis).
fn plain(line: &str) -> bool {
    let trimmed = line.trim_start();
    let n = normalize_code(line);
    !trimmed.starts_with(|c: char| c.is_ascii_digit())
        && !line.starts_with(['+', '-'])
        && n != "..."
        && n != "…"
}

/// Check an arbitrary quote, then a quote of the content's own lines.
pub fn run(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let cited = u32::from(u16::from_le_bytes([data[0], data[1]]));
    let cited = (cited != 0).then_some(cited);
    let drift = u32::from(data[2] % 32);
    let parts = crate::parts(&data[3..], 2);
    let content = crate::text(parts[0]);
    let evidence = parts.get(1).map(|p| crate::text(p)).unwrap_or_default();

    let check = check_quote(&content, cited, &evidence, drift);
    assert_inside(&check, &content, cited, drift);

    let lines: Vec<&str> = content.lines().collect();
    if lines.is_empty() {
        return;
    }
    let a = cited.map_or(0, |c| c as usize % lines.len());
    let b = (a + usize::from(data[2] / 32)).min(lines.len() - 1);
    let quoted = &lines[a..=b];
    if !quoted.iter().all(|l| plain(l)) {
        return;
    }
    let Some(first) = quoted.iter().position(|l| !normalize_code(l).is_empty()) else {
        return;
    };
    let cited = u32::try_from(a + 1).ok();
    let check = check_quote(&content, cited, &quoted.join("\n"), drift);
    assert_inside(&check, &content, cited, drift);
    if first as u32 <= drift {
        assert!(
            matches!(check, QuoteCheck::Found { drift: d, .. } if d as usize <= first),
            "the file's own lines {}..={} not found: {check:?}",
            a + 1,
            b + 1
        );
    }
}

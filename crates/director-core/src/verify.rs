//! The evidence contract: a finding that cites a file must quote code that is really
//! there. The quote is compared with the file at head line by line, whitespace
//! collapsed, allowing the cited lines to be off by a few (models miscount), and
//! tolerating the line-number gutter and diff markers of the context the model saw.
//! A finding under a Failure Criterion with no file to cite (no runbook, resources made
//! by hand) may instead quote the deterministic finding it builds on ([`builds_on`]).

use crate::finding::{Finding, FindingSource};
use crate::fingerprint::normalize_code;

/// How far (in lines) a quote may sit from the lines the finding cites.
pub const DEFAULT_DRIFT: u32 = 8;

/// The result of checking one quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteCheck {
    /// Found at these lines (1-based, inclusive); `drift` is the distance from the cited start.
    Found {
        /// First line where the quote is.
        start: u32,
        /// Last line.
        end: u32,
        /// Lines between the cited and the real start.
        drift: u32,
    },
    /// Not found; the reason says why.
    NotFound(String),
}

/// Strip what the packed context adds to a line: the `  12| ` gutter and a leading
/// `+`/`-` diff marker.
fn strip_gutter(line: &str) -> &str {
    let trimmed = line.trim_start();
    let after_digits = trimmed.trim_start_matches(|c: char| c.is_ascii_digit());
    let line = if after_digits.len() < trimmed.len() {
        after_digits
            .strip_prefix("| ")
            .or_else(|| after_digits.strip_prefix('|'))
            .unwrap_or(line)
    } else {
        line
    };
    match line.strip_prefix(['+', '-']) {
        Some(rest) if !rest.starts_with(['+', '-']) => rest,
        _ => line,
    }
}

fn quote_lines(evidence: &str) -> Vec<String> {
    evidence
        .lines()
        .map(|l| normalize_code(strip_gutter(l)))
        .filter(|l| !l.is_empty() && l != "..." && l != "…")
        .collect()
}

fn line_matches(file_line: &str, quote_line: &str) -> bool {
    file_line == quote_line || (quote_line.chars().count() >= 8 && file_line.contains(quote_line))
}

/// Check that `evidence` appears in `content` at (or near) `start..=end`.
pub fn check_quote(content: &str, start: Option<u32>, evidence: &str, drift: u32) -> QuoteCheck {
    let quote = quote_lines(evidence);
    if quote.is_empty() {
        return QuoteCheck::NotFound("the evidence is empty".into());
    }
    let file: Vec<String> = content.lines().map(normalize_code).collect();
    // Skip blank file lines while matching, as the quote has none.
    let nonblank: Vec<usize> = (0..file.len()).filter(|&i| !file[i].is_empty()).collect();
    let matches_at = |k: usize| -> bool {
        quote.len() <= nonblank.len() - k
            && quote
                .iter()
                .enumerate()
                .all(|(j, q)| line_matches(&file[nonblank[k + j]], q))
    };
    let mut best: Option<(u32, u32, u32)> = None;
    for k in 0..nonblank.len() {
        if !matches_at(k) {
            continue;
        }
        let s = nonblank[k] as u32 + 1;
        let e = nonblank[k + quote.len() - 1] as u32 + 1;
        let d = start.map_or(0, |c| c.abs_diff(s));
        if best.is_none_or(|(_, _, bd)| d < bd) {
            best = Some((s, e, d));
        }
    }
    match best {
        Some((s, e, d)) if start.is_none() || d <= drift => QuoteCheck::Found {
            start: s,
            end: e,
            drift: d,
        },
        Some((s, _, d)) => QuoteCheck::NotFound(format!(
            "the quote is at line {s}, {d} lines from the cited line (more than {drift})"
        )),
        None => QuoteCheck::NotFound("the quoted code is not in the file".into()),
    }
}

/// The deterministic finding a path-less finding quotes: its `evidence` names the
/// finding's rule id, or quotes its title or its evidence lines (whitespace collapsed,
/// at least 8 characters). Only analyzer findings count: they are facts.
pub fn builds_on<'f>(quote: &str, evidence: &'f [Finding]) -> Option<&'f Finding> {
    let quote = normalize_code(quote);
    if quote.chars().count() < 8 {
        return None;
    }
    evidence
        .iter()
        .filter(|f| f.source == FindingSource::Evidence)
        .find(|f| {
            f.rule_id.as_deref().is_some_and(|r| quote.contains(r))
                || normalize_code(&f.title).contains(&quote)
                || quote.contains(&normalize_code(&f.title))
                || f.evidence
                    .as_deref()
                    .is_some_and(|e| normalize_code(e).contains(&quote))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_less_findings_may_quote_the_evidence_they_build_on() {
        let fact = Finding::evidence(
            "infrastructure",
            "infra.db.backup-retention",
            crate::Severity::Blocking,
            "disaster-recovery",
            "aws_db_instance.main has automated backups disabled".into(),
            vec!["aws_db_instance.main".into()],
            "infra/db.tf",
            (5, 5),
            "  backup_retention_period = 0".into(),
            "Set retention".into(),
        );
        let facts = [fact];
        assert!(builds_on("infra.db.backup-retention", &facts).is_some());
        assert!(
            builds_on(
                "aws_db_instance.main has automated backups disabled",
                &facts
            )
            .is_some()
        );
        assert!(builds_on("backup_retention_period = 0", &facts).is_some());
        assert!(builds_on("no runbook exists", &facts).is_none());
        assert!(builds_on("main", &facts).is_none());
        let mut llm = facts[0].clone();
        llm.source = FindingSource::Llm;
        assert!(builds_on("infra.db.backup-retention", &[llm]).is_none());
    }

    const FILE: &str = "resource \"aws_db_instance\" \"main\" {\n  engine   = \"postgres\"\n\n  multi_az            = false\n  backup_retention_period = 7\n}\n";

    #[test]
    fn exact_and_whitespace_normalised() {
        assert_eq!(
            check_quote(FILE, Some(4), "multi_az = false", 8),
            QuoteCheck::Found {
                start: 4,
                end: 4,
                drift: 0
            }
        );
        let multi = "  multi_az = false\n    backup_retention_period   = 7";
        assert_eq!(
            check_quote(FILE, Some(4), multi, 8),
            QuoteCheck::Found {
                start: 4,
                end: 5,
                drift: 0
            }
        );
    }

    #[test]
    fn drift_is_allowed_up_to_limit() {
        assert_eq!(
            check_quote(FILE, Some(2), "multi_az = false", 8),
            QuoteCheck::Found {
                start: 4,
                end: 4,
                drift: 2
            }
        );
        assert!(matches!(
            check_quote(FILE, Some(40), "multi_az = false", 8),
            QuoteCheck::NotFound(_)
        ));
    }

    #[test]
    fn invented_code_is_not_found() {
        assert!(matches!(
            check_quote(FILE, Some(4), "multi_az = true", 8),
            QuoteCheck::NotFound(_)
        ));
        assert!(matches!(
            check_quote(FILE, Some(1), "  ", 8),
            QuoteCheck::NotFound(_)
        ));
        // Too short to count as a fragment of a longer line.
        assert!(matches!(
            check_quote(FILE, Some(4), "false", 8),
            QuoteCheck::NotFound(_)
        ));
    }

    #[test]
    fn gutter_and_diff_markers_are_ignored() {
        let quoted = "    4| +  multi_az            = false";
        assert_eq!(
            check_quote(FILE, Some(4), quoted, 8),
            QuoteCheck::Found {
                start: 4,
                end: 4,
                drift: 0
            }
        );
        // A blank line inside the file does not break a multi-line quote.
        let across = "engine = \"postgres\"\nmulti_az = false";
        assert_eq!(
            check_quote(FILE, Some(2), across, 8),
            QuoteCheck::Found {
                start: 2,
                end: 4,
                drift: 0
            }
        );
    }
}

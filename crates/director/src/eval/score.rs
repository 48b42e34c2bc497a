//! Scoring, pure: which reported findings match which expected ones, and the counts
//! and metrics made from the matches. No I/O, no clock; every number in an eval
//! report can be recomputed from an [`ExpectedFinding`] list and an [`Observed`] list.
//!
//! A reported finding matches an expected one when the categories are equal, and
//! either both name no file, or both name the same file and their line ranges
//! overlap (an expected finding without lines accepts any lines of its file; a
//! reported finding without lines matches only such an expectation). Matching is
//! one to one over the `must` expectations (a maximum bipartite matching, so the
//! order findings are listed in cannot lower the score). A reported finding left over
//! that matches a `may` expectation is ignored: it neither helps recall nor hurts
//! precision. Everything else left over is a false positive, duplicates included.

use serde::{Deserialize, Serialize};

/// How strongly a finding is expected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expectation {
    /// A reviewer must report it: missing it lowers recall.
    #[default]
    Must,
    /// A reviewer may report it: reporting it is neither rewarded nor punished.
    May,
}

/// One finding a case expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedFinding {
    /// kebab-case category, e.g. `scalability`.
    pub category: String,
    /// Repository-relative path; `None` for a finding that lives in no file (an
    /// unmet acceptance criterion, a missing runbook).
    pub path: Option<String>,
    /// Inclusive 1-based line range; `None` accepts any line of `path`.
    pub lines: Option<(u32, u32)>,
    /// `must` or `may`.
    pub expect: Expectation,
    /// The Director expected to report it (by default the one owning the category).
    pub director: Option<String>,
    /// Why it is expected, for people reading the case.
    pub note: Option<String>,
}

/// One finding as the run record reports it, reduced to what scoring reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observed {
    /// Every Director that raised it (for a deterministic finding, the rule's Director).
    pub directors: Vec<String>,
    /// kebab-case category.
    pub category: String,
    /// Repository-relative path, if any.
    pub path: Option<String>,
    /// Inclusive line range, if any.
    pub lines: Option<(u32, u32)>,
    /// True for a deterministic analyzer's finding.
    pub deterministic: bool,
    /// True when its quote was found in the code (always for deterministic findings).
    pub verified: bool,
    /// Its title, for the per-case listing.
    pub title: String,
}

/// True when `observed` is a report of `expected` (category, path and lines).
pub fn matches(expected: &ExpectedFinding, observed: &Observed) -> bool {
    if expected.category != observed.category {
        return false;
    }
    match (&expected.path, &observed.path) {
        (None, None) => true,
        (Some(a), Some(b)) if a == b => match (expected.lines, observed.lines) {
            (None, _) => true,
            (Some((s1, e1)), Some((s2, e2))) => s1 <= e2 && s2 <= e1,
            (Some(_), None) => false,
        },
        _ => false,
    }
}

/// True positives, false positives, misses and ignored (`may`) reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// `must` expectations that were reported.
    pub tp: u32,
    /// Reports that match no expectation (or repeat a matched one).
    pub fp: u32,
    /// `must` expectations nobody reported.
    pub missed: u32,
    /// Reports of `may` expectations: neither rewarded nor punished.
    pub ignored: u32,
}

impl Counts {
    /// `tp / (tp + fp)`; `None` when nothing scorable was reported.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// `tp / (tp + missed)`; `None` when nothing was expected.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.missed)
    }

    /// `2tp / (2tp + fp + missed)`, the harmonic mean of precision and recall;
    /// `None` when nothing was expected and nothing was reported.
    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.missed)
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, rhs: Counts) {
        self.tp += rhs.tp;
        self.fp += rhs.fp;
        self.missed += rhs.missed;
        self.ignored += rhs.ignored;
    }
}

/// `num / den`, or `None` for an empty denominator.
pub fn ratio(num: u32, den: u32) -> Option<f64> {
    (den > 0).then(|| f64::from(num) / f64::from(den))
}

/// The outcome of matching one list against the other, by index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matching {
    /// `(expected, observed)` pairs of matched `must` expectations.
    pub pairs: Vec<(usize, usize)>,
    /// Observed findings that are false positives.
    pub false_positives: Vec<usize>,
    /// Expected (`must`) findings nobody reported.
    pub missed: Vec<usize>,
    /// Observed findings that matched only a `may` expectation (or a `may` one first).
    pub ignored: Vec<usize>,
}

impl Matching {
    /// The counts of this matching.
    pub fn counts(&self) -> Counts {
        Counts {
            tp: self.pairs.len() as u32,
            fp: self.false_positives.len() as u32,
            missed: self.missed.len() as u32,
            ignored: self.ignored.len() as u32,
        }
    }
}

/// Match `observed` against `expected` (see the module docs).
pub fn match_findings(expected: &[ExpectedFinding], observed: &[Observed]) -> Matching {
    let must: Vec<usize> = (0..expected.len())
        .filter(|&i| expected[i].expect == Expectation::Must)
        .collect();
    // Kuhn's augmenting paths: owner[o] is the expected finding observed `o` serves.
    let mut owner: Vec<Option<usize>> = vec![None; observed.len()];
    for &e in &must {
        let mut seen = vec![false; observed.len()];
        augment(e, expected, observed, &mut owner, &mut seen);
    }
    let mut matching = Matching::default();
    let mut matched_expected = vec![false; expected.len()];
    for (o, e) in owner.iter().enumerate() {
        if let Some(e) = *e {
            matching.pairs.push((e, o));
            matched_expected[e] = true;
        }
    }
    matching.pairs.sort_unstable();
    matching.missed = must.into_iter().filter(|&e| !matched_expected[e]).collect();
    for (o, found) in observed.iter().enumerate() {
        if owner[o].is_some() {
            continue;
        }
        let may = expected
            .iter()
            .any(|e| e.expect == Expectation::May && matches(e, found));
        if may {
            matching.ignored.push(o);
        } else {
            matching.false_positives.push(o);
        }
    }
    matching
}

/// Try to give expected finding `e` an observed one, moving earlier owners along.
fn augment(
    e: usize,
    expected: &[ExpectedFinding],
    observed: &[Observed],
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    for o in 0..observed.len() {
        if seen[o] || !matches(&expected[e], &observed[o]) {
            continue;
        }
        seen[o] = true;
        let free = match owner[o] {
            None => true,
            Some(other) => augment(other, expected, observed, owner, seen),
        };
        if free {
            owner[o] = Some(e);
            return true;
        }
    }
    false
}

/// Counts for the findings one Director is answerable for: expected findings
/// assigned to it, reported findings it raised (alone or with others).
pub fn counts_for_director(
    director: &str,
    expected: &[ExpectedFinding],
    observed: &[Observed],
) -> Counts {
    let exp: Vec<ExpectedFinding> = expected
        .iter()
        .filter(|e| e.director.as_deref() == Some(director))
        .cloned()
        .collect();
    let obs: Vec<Observed> = observed
        .iter()
        .filter(|o| o.directors.iter().any(|d| d == director))
        .cloned()
        .collect();
    match_findings(&exp, &obs).counts()
}

/// Counts for one category.
pub fn counts_for_category(
    category: &str,
    expected: &[ExpectedFinding],
    observed: &[Observed],
) -> Counts {
    let exp: Vec<ExpectedFinding> = expected
        .iter()
        .filter(|e| e.category == category)
        .cloned()
        .collect();
    let obs: Vec<Observed> = observed
        .iter()
        .filter(|o| o.category == category)
        .cloned()
        .collect();
    match_findings(&exp, &obs).counts()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(category: &str, path: Option<&str>, lines: Option<(u32, u32)>) -> ExpectedFinding {
        ExpectedFinding {
            category: category.into(),
            path: path.map(Into::into),
            lines,
            expect: Expectation::Must,
            director: Some("infrastructure".into()),
            note: None,
        }
    }

    fn may(category: &str, path: Option<&str>, lines: Option<(u32, u32)>) -> ExpectedFinding {
        ExpectedFinding {
            expect: Expectation::May,
            ..exp(category, path, lines)
        }
    }

    fn obs(category: &str, path: Option<&str>, lines: Option<(u32, u32)>) -> Observed {
        Observed {
            directors: vec!["infrastructure".into()],
            category: category.into(),
            path: path.map(Into::into),
            lines,
            deterministic: false,
            verified: true,
            title: "t".into(),
        }
    }

    #[test]
    fn nothing_expected_nothing_reported_has_no_scores() {
        let c = match_findings(&[], &[]).counts();
        assert_eq!(c, Counts::default());
        assert_eq!((c.precision(), c.recall(), c.f1()), (None, None, None));
    }

    #[test]
    fn nothing_expected_but_something_reported_is_all_false_positives() {
        let m = match_findings(&[], &[obs("cost", Some("a.tf"), Some((1, 2)))]);
        let c = m.counts();
        assert_eq!((c.tp, c.fp, c.missed), (0, 1, 0));
        assert_eq!(c.precision(), Some(0.0));
        assert_eq!(c.recall(), None);
        assert_eq!(c.f1(), Some(0.0));
    }

    #[test]
    fn nothing_reported_misses_every_must() {
        let e = [
            exp("cost", Some("a.tf"), Some((1, 2))),
            may("cost", Some("b.tf"), None),
        ];
        let m = match_findings(&e, &[]);
        assert_eq!(m.missed, vec![0], "a may expectation is never missed");
        let c = m.counts();
        assert_eq!(c.precision(), None);
        assert_eq!(c.recall(), Some(0.0));
        assert_eq!(c.f1(), Some(0.0));
    }

    #[test]
    fn overlap_is_inclusive_and_touching_ranges_match() {
        let e = exp("scalability", Some("k.yaml"), Some((5, 9)));
        assert!(matches(
            &e,
            &obs("scalability", Some("k.yaml"), Some((9, 12)))
        ));
        assert!(matches(
            &e,
            &obs("scalability", Some("k.yaml"), Some((1, 5)))
        ));
        assert!(matches(
            &e,
            &obs("scalability", Some("k.yaml"), Some((6, 6)))
        ));
        assert!(matches(
            &e,
            &obs("scalability", Some("k.yaml"), Some((1, 30)))
        ));
        assert!(!matches(
            &e,
            &obs("scalability", Some("k.yaml"), Some((10, 12)))
        ));
        assert!(!matches(
            &e,
            &obs("scalability", Some("k.yaml"), Some((1, 4)))
        ));
    }

    #[test]
    fn category_and_path_must_both_agree() {
        let e = exp("scalability", Some("k.yaml"), Some((5, 9)));
        assert!(!matches(
            &e,
            &obs("reliability", Some("k.yaml"), Some((5, 9)))
        ));
        assert!(!matches(
            &e,
            &obs("scalability", Some("other.yaml"), Some((5, 9)))
        ));
        assert!(!matches(&e, &obs("scalability", None, None)));
        assert!(!matches(&e, &obs("scalability", Some("k.yaml"), None)));
    }

    #[test]
    fn pathless_expectations_match_pathless_reports_only() {
        let e = exp("requirements", None, None);
        assert!(matches(&e, &obs("requirements", None, None)));
        assert!(!matches(
            &e,
            &obs("requirements", Some("a.py"), Some((1, 1)))
        ));
    }

    #[test]
    fn expectation_without_lines_accepts_any_line_of_its_file() {
        let e = exp("testing", Some("t.py"), None);
        assert!(matches(&e, &obs("testing", Some("t.py"), Some((40, 41)))));
        assert!(matches(&e, &obs("testing", Some("t.py"), None)));
    }

    #[test]
    fn may_findings_neither_help_recall_nor_hurt_precision() {
        let e = [
            exp("cost", Some("a.tf"), Some((1, 3))),
            may("tagging", Some("a.tf"), Some((1, 3))),
        ];
        let o = [
            obs("cost", Some("a.tf"), Some((2, 2))),
            obs("tagging", Some("a.tf"), Some((1, 1))),
        ];
        let m = match_findings(&e, &o);
        assert_eq!(m.pairs, vec![(0, 0)]);
        assert_eq!(m.ignored, vec![1]);
        let c = m.counts();
        assert_eq!((c.tp, c.fp, c.missed, c.ignored), (1, 0, 0, 1));
        assert_eq!(c.precision(), Some(1.0));
        assert_eq!(c.recall(), Some(1.0));
        // Without the may report the scores are the same.
        assert_eq!(match_findings(&e, &o[..1]).counts().precision(), Some(1.0));
    }

    #[test]
    fn duplicates_of_one_expectation_count_once_then_as_false_positives() {
        let e = [exp("cost", Some("a.tf"), Some((1, 10)))];
        let o = [
            obs("cost", Some("a.tf"), Some((2, 2))),
            obs("cost", Some("a.tf"), Some((8, 9))),
        ];
        let c = match_findings(&e, &o).counts();
        assert_eq!((c.tp, c.fp, c.missed), (1, 1, 0));
        assert_eq!(c.precision(), Some(0.5));
    }

    #[test]
    fn matching_is_maximal_whatever_the_order() {
        // Report 0 overlaps both expectations, report 1 only the first: a greedy
        // first-fit would pair (0,0) and miss expectation 1.
        let e = [
            exp("reliability", Some("m.tf"), Some((1, 10))),
            exp("reliability", Some("m.tf"), Some((8, 12))),
        ];
        let o = [
            obs("reliability", Some("m.tf"), Some((8, 9))),
            obs("reliability", Some("m.tf"), Some((2, 3))),
        ];
        let m = match_findings(&e, &o);
        assert_eq!(m.pairs, vec![(0, 1), (1, 0)]);
        assert_eq!(m.counts().f1(), Some(1.0));
    }

    #[test]
    fn f1_is_the_harmonic_mean() {
        let c = Counts {
            tp: 2,
            fp: 1,
            missed: 3,
            ignored: 0,
        };
        let (p, r) = (c.precision().unwrap(), c.recall().unwrap());
        assert!((c.f1().unwrap() - 2.0 * p * r / (p + r)).abs() < 1e-12);
        assert!((c.f1().unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn per_director_and_per_category_views_filter_both_sides() {
        let mut sec = exp("security", Some("app.py"), Some((3, 3)));
        sec.director = Some("security".into());
        let e = [exp("cost", Some("a.tf"), Some((1, 3))), sec];
        let mut shared = obs("cost", Some("a.tf"), Some((1, 1)));
        shared.directors = vec!["infrastructure".into(), "performance".into()];
        let o = [shared, obs("security", Some("app.py"), Some((9, 9)))];
        let infra = counts_for_director("infrastructure", &e, &o);
        assert_eq!((infra.tp, infra.fp, infra.missed), (1, 1, 0));
        let perf = counts_for_director("performance", &e, &o);
        assert_eq!((perf.tp, perf.fp, perf.missed), (0, 1, 0));
        let security = counts_for_director("security", &e, &o);
        assert_eq!((security.tp, security.fp, security.missed), (0, 0, 1));
        let cat = counts_for_category("security", &e, &o);
        assert_eq!((cat.tp, cat.fp, cat.missed), (0, 1, 1));
    }
}

//! Eval results: one [`CaseResult`] per case, made from the case's expectations and
//! the run record; the [`SuiteReport`] that aggregates them (micro-averaged: counts
//! are summed over cases before any ratio is taken); and the plain-text table
//! `director eval` prints. The JSON written with `--output` is the serialized
//! [`SuiteReport`].

use super::score::{
    Counts, ExpectedFinding, Observed, counts_for_category, counts_for_director, match_findings,
    ratio,
};
use director_core::record::DirectorStatus;
use director_core::{Decision, FindingSource, RunRecord, Usage};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Counts with their ratios.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Matched `must` expectations.
    pub tp: u32,
    /// Reports matching nothing expected.
    pub fp: u32,
    /// `must` expectations not reported.
    pub missed: u32,
    /// Reports of `may` expectations.
    pub ignored: u32,
    /// `tp / (tp + fp)`.
    pub precision: Option<f64>,
    /// `tp / (tp + missed)`.
    pub recall: Option<f64>,
    /// `2tp / (2tp + fp + missed)`.
    pub f1: Option<f64>,
}

impl From<Counts> for Metrics {
    fn from(c: Counts) -> Metrics {
        Metrics {
            tp: c.tp,
            fp: c.fp,
            missed: c.missed,
            ignored: c.ignored,
            precision: c.precision(),
            recall: c.recall(),
            f1: c.f1(),
        }
    }
}

/// Did the expected Directors review?
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoutingCheck {
    /// The Directors the case expects to review.
    pub expected: Vec<String>,
    /// The Directors that reviewed (ran or failed).
    pub actual: Vec<String>,
    /// Equal as sets.
    pub ok: bool,
}

/// One Director's part in one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseDirector {
    /// Director name.
    pub name: String,
    /// The model it asked.
    pub model: Option<String>,
    /// `ran` or `failed`.
    pub status: DirectorStatus,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// LLM findings it reported whose quote was found.
    pub verified: u32,
    /// LLM findings it reported that could not be verified.
    pub unverified: u32,
    /// Its tokens.
    pub usage: Usage,
    /// Its wall time.
    pub elapsed_ms: u64,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// Case name.
    pub name: String,
    /// The decision expected.
    pub expected_decision: Decision,
    /// The decision reached.
    pub decision: Decision,
    /// Whether they are equal.
    pub decision_correct: bool,
    /// The gate's reason.
    pub reason: String,
    /// The routing check, when the case has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<RoutingCheck>,
    /// The Directors that reviewed.
    pub directors: Vec<CaseDirector>,
    /// Finding scores of the case.
    pub findings: Metrics,
    /// The expectations scored (with their Director resolved).
    pub expected: Vec<ExpectedFinding>,
    /// The reported findings scored.
    pub observed: Vec<Observed>,
    /// `(expected, observed)` index pairs that matched.
    pub matched: Vec<(usize, usize)>,
    /// Indexes into `expected` that were missed.
    pub missed: Vec<usize>,
    /// Indexes into `observed` that are false positives.
    pub false_positives: Vec<usize>,
    /// Indexes into `observed` that matched only `may` expectations.
    pub ignored: Vec<usize>,
    /// Tokens of the case.
    pub usage: Usage,
    /// Wall time of the verification.
    pub duration_ms: u64,
}

impl CaseResult {
    /// Score `record` against the case's expectations. `only` limits scoring to one
    /// Director's findings (`--director`); expectations carry their Director already.
    pub fn new(
        name: &str,
        expected_decision: Decision,
        expected_directors: Option<&[String]>,
        expected: Vec<ExpectedFinding>,
        record: &RunRecord,
        only: Option<&str>,
    ) -> CaseResult {
        let mut observed: Vec<Observed> = record.findings.iter().map(observe).collect();
        let mut expected = expected;
        if let Some(d) = only {
            observed.retain(|o| o.directors.iter().any(|x| x == d));
            expected.retain(|e| e.director.as_deref() == Some(d));
        }
        let matching = match_findings(&expected, &observed);
        let directors: Vec<CaseDirector> = record
            .directors
            .iter()
            .filter(|r| r.status != DirectorStatus::Skipped)
            .map(|r| CaseDirector {
                name: r.name.clone(),
                model: r.model.clone(),
                status: r.status,
                reason: (r.status == DirectorStatus::Failed)
                    .then(|| r.reason.clone())
                    .flatten(),
                verified: r.findings_verified,
                unverified: r.findings_unverified,
                usage: r.usage.unwrap_or_default(),
                elapsed_ms: r.elapsed_ms,
            })
            .collect();
        let routing = expected_directors.filter(|_| only.is_none()).map(|want| {
            let want: BTreeSet<String> = want.iter().cloned().collect();
            let got: BTreeSet<String> = directors.iter().map(|d| d.name.clone()).collect();
            RoutingCheck {
                ok: want == got,
                expected: want.into_iter().collect(),
                actual: got.into_iter().collect(),
            }
        });
        CaseResult {
            name: name.to_string(),
            expected_decision,
            decision: record.decision,
            decision_correct: record.decision == expected_decision,
            reason: record.reason.clone(),
            routing,
            directors,
            findings: matching.counts().into(),
            expected,
            observed,
            matched: matching.pairs,
            missed: matching.missed,
            false_positives: matching.false_positives,
            ignored: matching.ignored,
            usage: record.usage,
            duration_ms: record.duration_ms,
        }
    }

    /// LLM findings reported in the case, and how many of them were unverified.
    fn llm_findings(&self) -> (u32, u32) {
        self.directors.iter().fold((0, 0), |(n, u), d| {
            (n + d.verified + d.unverified, u + d.unverified)
        })
    }
}

/// A record finding as scoring sees it.
fn observe(f: &director_core::Finding) -> Observed {
    Observed {
        directors: f.directors.clone(),
        category: f.category.clone(),
        path: f.path.clone(),
        lines: f.start_line.map(|s| (s, f.end_line.unwrap_or(s))),
        deterministic: f.source == FindingSource::Evidence,
        verified: f.verified,
        title: f.title.clone(),
    }
}

/// A ratio with its parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rate {
    /// The numerator.
    pub count: u32,
    /// The denominator.
    pub of: u32,
    /// `count / of`, `None` when `of` is 0.
    pub rate: Option<f64>,
}

impl Rate {
    fn new(count: u32, of: u32) -> Rate {
        Rate {
            count,
            of,
            rate: ratio(count, of),
        }
    }
}

/// Scores of one Director over the suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectorScore {
    /// Director name.
    pub name: String,
    /// Cases it reviewed with a verdict.
    pub ran: u32,
    /// Cases it should have reviewed and could not.
    pub failed: u32,
    /// Its findings against the expectations assigned to it.
    pub findings: Metrics,
    /// Its LLM findings that could not be verified.
    pub unverified: Rate,
    /// Its tokens over the suite.
    pub usage: Usage,
    /// Mean wall time per review, in milliseconds.
    pub mean_latency_ms: Option<u64>,
}

/// Scores of one category over the suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryScore {
    /// Category.
    pub category: String,
    /// Findings of that category against expectations of that category.
    pub findings: Metrics,
}

/// Wall time over the cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Sum over cases.
    pub total_ms: u64,
    /// Median case.
    pub p50_ms: u64,
    /// Slowest case.
    pub max_ms: u64,
}

/// The whole eval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuiteReport {
    /// The suite folder as given.
    pub suite: String,
    /// `replay`, `record`, `live` or `offline`.
    pub mode: String,
    /// The models the Directors asked (usually one).
    pub models: Vec<String>,
    /// `--director`, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub director: Option<String>,
    /// Correct decisions.
    pub decision_accuracy: Rate,
    /// Correct routing, over the cases that check it.
    pub routing_accuracy: Rate,
    /// All findings.
    pub findings: Metrics,
    /// Per Director.
    pub directors: Vec<DirectorScore>,
    /// Per category.
    pub categories: Vec<CategoryScore>,
    /// LLM findings whose quote was not found in the code.
    pub unverified: Rate,
    /// Tokens and cost (cost only when every request was priced).
    pub usage: Usage,
    /// Wall time.
    pub latency: Latency,
    /// Every case.
    pub cases: Vec<CaseResult>,
}

impl SuiteReport {
    /// Aggregate case results.
    pub fn new(
        suite: String,
        mode: String,
        director: Option<String>,
        cases: Vec<CaseResult>,
    ) -> SuiteReport {
        let models: BTreeSet<String> = cases
            .iter()
            .flat_map(|c| c.directors.iter().filter_map(|d| d.model.clone()))
            .collect();
        let n = cases.len() as u32;
        let correct = cases.iter().filter(|c| c.decision_correct).count() as u32;
        let routed: Vec<&RoutingCheck> = cases.iter().filter_map(|c| c.routing.as_ref()).collect();
        let mut findings = Counts::default();
        let mut usage = Usage::default();
        let mut priced = true;
        let (mut llm, mut unverified) = (0, 0);
        for c in &cases {
            findings += counts_of(&c.findings);
            priced &= c.usage.cost_usd.is_some() || c.usage.requests == 0;
            usage += c.usage;
            let (n, u) = c.llm_findings();
            llm += n;
            unverified += u;
        }
        if !priced {
            usage.cost_usd = None;
        }
        SuiteReport {
            suite,
            mode,
            models: models.into_iter().collect(),
            decision_accuracy: Rate::new(correct, n),
            routing_accuracy: Rate::new(
                routed.iter().filter(|r| r.ok).count() as u32,
                routed.len() as u32,
            ),
            findings: findings.into(),
            directors: director_scores(&cases, director.as_deref()),
            categories: category_scores(&cases),
            unverified: Rate::new(unverified, llm),
            usage,
            latency: latency(&cases),
            director,
            cases,
        }
    }
}

fn counts_of(m: &Metrics) -> Counts {
    Counts {
        tp: m.tp,
        fp: m.fp,
        missed: m.missed,
        ignored: m.ignored,
    }
}

fn director_scores(cases: &[CaseResult], only: Option<&str>) -> Vec<DirectorScore> {
    let mut names = BTreeSet::new();
    for c in cases {
        names.extend(c.directors.iter().map(|d| d.name.clone()));
        names.extend(c.expected.iter().filter_map(|e| e.director.clone()));
        names.extend(c.observed.iter().flat_map(|o| o.directors.iter().cloned()));
    }
    names.retain(|n| only.is_none_or(|o| o == n));
    names
        .into_iter()
        .map(|name| {
            let mut counts = Counts::default();
            let mut usage = Usage::default();
            let (mut ran, mut failed, mut llm, mut unverified, mut elapsed) = (0, 0, 0, 0, 0u64);
            for c in cases {
                counts += counts_for_director(&name, &c.expected, &c.observed);
                for d in c.directors.iter().filter(|d| d.name == name) {
                    match d.status {
                        DirectorStatus::Ran => ran += 1,
                        _ => failed += 1,
                    }
                    llm += d.verified + d.unverified;
                    unverified += d.unverified;
                    usage += d.usage;
                    elapsed += d.elapsed_ms;
                }
            }
            let reviews = u64::from(ran + failed);
            DirectorScore {
                name,
                ran,
                failed,
                findings: counts.into(),
                unverified: Rate::new(unverified, llm),
                usage,
                mean_latency_ms: (reviews > 0).then(|| elapsed / reviews),
            }
        })
        .collect()
}

fn category_scores(cases: &[CaseResult]) -> Vec<CategoryScore> {
    let mut categories = BTreeSet::new();
    for c in cases {
        categories.extend(c.expected.iter().map(|e| e.category.clone()));
        categories.extend(c.observed.iter().map(|o| o.category.clone()));
    }
    categories
        .into_iter()
        .map(|category| {
            let mut counts = Counts::default();
            for c in cases {
                counts += counts_for_category(&category, &c.expected, &c.observed);
            }
            CategoryScore {
                category,
                findings: counts.into(),
            }
        })
        .collect()
}

fn latency(cases: &[CaseResult]) -> Latency {
    let mut ms: Vec<u64> = cases.iter().map(|c| c.duration_ms).collect();
    ms.sort_unstable();
    Latency {
        total_ms: ms.iter().sum(),
        p50_ms: ms.get(ms.len().saturating_sub(1) / 2).copied().unwrap_or(0),
        max_ms: ms.last().copied().unwrap_or(0),
    }
}

/// `0.833`, or `-` for an undefined ratio.
fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

/// A table with left-aligned first column and right-aligned others.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn metric_cells(m: &Metrics) -> Vec<String> {
    vec![
        m.tp.to_string(),
        m.fp.to_string(),
        m.missed.to_string(),
        m.ignored.to_string(),
        num(m.precision),
        num(m.recall),
        num(m.f1),
    ]
}

fn rate(r: &Rate) -> String {
    format!("{}/{} {}", r.count, r.of, num(r.rate))
}

/// The report as the plain-text tables `director eval` prints on stdout.
pub fn render_table(r: &SuiteReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "eval {}: {} cases, mode {}, model {}{}\n",
        r.suite,
        r.cases.len(),
        r.mode,
        if r.models.is_empty() {
            "-".into()
        } else {
            r.models.join(", ")
        },
        r.director
            .as_deref()
            .map(|d| format!(", Director {d} only"))
            .unwrap_or_default()
    );
    let mut rows = vec![
        [
            "case",
            "expected",
            "decision",
            "ok",
            "tp",
            "fp",
            "missed",
            "unverified",
            "tokens",
            "ms",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for c in &r.cases {
        let (llm, unverified) = c.llm_findings();
        let mut ok = if c.decision_correct { "yes" } else { "NO" }.to_string();
        if c.routing.as_ref().is_some_and(|r| !r.ok) {
            ok.push_str(" (routing)");
        }
        rows.push(vec![
            c.name.clone(),
            c.expected_decision.as_str().into(),
            c.decision.as_str().into(),
            ok,
            c.findings.tp.to_string(),
            c.findings.fp.to_string(),
            c.findings.missed.to_string(),
            format!("{unverified}/{llm}"),
            c.usage.total_tokens().to_string(),
            c.duration_ms.to_string(),
        ]);
    }
    table(&mut out, &rows);
    let _ = writeln!(out);
    let head = ["", "tp", "fp", "missed", "may", "precision", "recall", "f1"].map(String::from);
    let mut rows = vec![
        [
            &["director".to_string()],
            &head[1..],
            &["ran", "failed", "unverified", "tokens", "ms/review"].map(String::from)[..],
        ]
        .concat(),
    ];
    for d in &r.directors {
        let mut row = vec![d.name.clone()];
        row.extend(metric_cells(&d.findings));
        row.extend([
            d.ran.to_string(),
            d.failed.to_string(),
            rate(&d.unverified),
            d.usage.total_tokens().to_string(),
            d.mean_latency_ms
                .map_or_else(|| "-".into(), |v| v.to_string()),
        ]);
        rows.push(row);
    }
    table(&mut out, &rows);
    let _ = writeln!(out);
    let mut rows = vec![[&["category".to_string()], &head[1..]].concat()];
    for c in &r.categories {
        let mut row = vec![c.category.clone()];
        row.extend(metric_cells(&c.findings));
        rows.push(row);
    }
    let mut all = vec!["all findings".to_string()];
    all.extend(metric_cells(&r.findings));
    rows.push(all);
    table(&mut out, &rows);
    let _ = writeln!(out);
    let cost = r.usage.cost_usd.map_or_else(
        || "- (no [prices] for the model)".into(),
        |c| format!("${c:.4}"),
    );
    let summary = [
        ("decision accuracy", rate(&r.decision_accuracy)),
        ("routing accuracy", rate(&r.routing_accuracy)),
        ("unverified LLM findings", rate(&r.unverified)),
        (
            "tokens",
            format!(
                "{} prompt + {} completion in {} requests",
                r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.requests
            ),
        ),
        ("cost", cost),
        (
            "latency",
            format!(
                "{} ms total, {} ms median case, {} ms slowest",
                r.latency.total_ms, r.latency.p50_ms, r.latency.max_ms
            ),
        ),
    ];
    let width = summary.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in summary {
        let _ = writeln!(out, "{k:<width$}  {v}");
    }
    out
}

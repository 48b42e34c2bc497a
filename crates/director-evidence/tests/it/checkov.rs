//! Peer comparison with Checkov 3.3.30 on Checkov's own fixtures (see
//! `tests/fixtures/checkov/README.md`). For every Checkov check some rule maps to, the
//! analyzers run over the check's fixture folder and each `(file, resource)` verdict is
//! compared with Checkov's `passed`/`failed`. Overall agreement must stay at or above
//! 97%, and every disagreement must be listed, with its reason, in
//! `tests/fixtures/checkov/DISAGREEMENTS.md` (and every listed one must still occur).

use crate::common::{assert_evidence_exact, fixtures};
use crate::files::read_dir;
use director_evidence::{AnalyzerConfig, analyze, rules};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Passed,
    Failed,
    /// The file (or the part holding the resource) could not be parsed.
    Error,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Error => "error",
        }
    }
}

/// A listed disagreement: (check, file, resource) -> (ours, checkov).
type Listed = BTreeMap<(String, String, String), (String, String)>;

fn listed_disagreements() -> Listed {
    let text = std::fs::read_to_string(fixtures().join("checkov/DISAGREEMENTS.md")).unwrap();
    let mut out = Listed::new();
    for line in text.lines().filter(|l| l.starts_with("| CKV")) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect();
        assert!(cells.len() >= 6, "malformed DISAGREEMENTS.md row: {line}");
        assert!(
            !cells[5].is_empty(),
            "disagreement without a reason: {line}"
        );
        out.insert(
            (cells[0].clone(), cells[1].clone(), cells[2].clone()),
            (cells[3].clone(), cells[4].clone()),
        );
    }
    out
}

/// Our resource address as Checkov writes it.
fn to_checkov_id(framework: &str, resource: &str) -> String {
    match framework {
        "kubernetes" => {
            let parts: Vec<&str> = resource.split('/').collect();
            match parts.as_slice() {
                [kind, name] => format!("{kind}.default.{name}"),
                [kind, ns, name] => format!("{kind}.{ns}.{name}"),
                _ => resource.to_string(),
            }
        }
        "dockerfile" => "*".to_string(),
        // Checkov names data sources without their `data.` prefix.
        _ => resource
            .strip_prefix("module.")
            .or_else(|| resource.strip_prefix("data."))
            .unwrap_or(resource)
            .to_string(),
    }
}

/// Checkov's resource id normalised for matching (for_each keys dropped; one verdict
/// per Dockerfile).
fn normalise_checkov_id(framework: &str, id: &str) -> String {
    match framework {
        "dockerfile" => "*".to_string(),
        _ => match id.find('[') {
            Some(i) => id[..i].to_string(),
            None => id.to_string(),
        },
    }
}

/// The line of a parse error message (`path: invalid X at line N: ...`).
fn error_line(message: &str) -> Option<u64> {
    let rest = &message[message.find(" at line ")? + " at line ".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[test]
fn agreement_with_checkov() {
    let root = fixtures().join("checkov");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("expected.json")).unwrap())
            .unwrap();
    let checks = expected["checks"].as_object().unwrap();
    let listed = listed_disagreements();

    let mut mapped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for rule in rules() {
        for check in rule.checkov {
            mapped.entry(check).or_default().push(rule.id);
        }
    }
    for check in mapped.keys() {
        assert!(
            checks.contains_key(*check),
            "rule maps to {check}, which is not in the suite"
        );
    }

    let config = AnalyzerConfig::default();
    let mut total = 0usize;
    let mut agreed = 0usize;
    let mut found = BTreeMap::new();
    let mut table = Vec::new();
    for (check, rule_ids) in &mapped {
        let spec = &checks[*check];
        let framework = spec["framework"].as_str().unwrap();
        let dir = root.join(spec["fixture_dir"].as_str().unwrap());
        let files = read_dir(&root, &dir);
        let report = analyze(&files, &[], &config);
        assert_evidence_exact(&report, &files);

        let ours_failed: BTreeSet<(String, String)> = report
            .findings
            .iter()
            .filter(|f| rule_ids.contains(&f.rule_id.as_deref().unwrap_or("")))
            .flat_map(|f| {
                let path = f.path.clone().unwrap();
                f.resources
                    .iter()
                    .map(move |r| (path.clone(), to_checkov_id(framework, r)))
            })
            .collect();
        // (file, line) of every parse error: a resource whose lines contain one was lost.
        let error_lines: Vec<(&str, u64)> = files
            .iter()
            .flat_map(|f| {
                report
                    .parse_errors
                    .iter()
                    .filter(move |e| e.starts_with(&format!("{}:", f.path)))
                    .filter_map(move |e| Some((f.path.as_str(), error_line(e)?)))
            })
            .collect();

        let mut theirs: BTreeMap<(String, String), (Verdict, (u64, u64))> = BTreeMap::new();
        for r in spec["results"].as_array().unwrap() {
            let verdict = match r["result"].as_str().unwrap() {
                "passed" => Verdict::Passed,
                "failed" => Verdict::Failed,
                _ => continue,
            };
            let key = (
                r["file"].as_str().unwrap().to_string(),
                normalise_checkov_id(framework, r["resource"].as_str().unwrap()),
            );
            let range = r["line_range"].as_array().unwrap();
            let lines = (range[0].as_u64().unwrap(), range[1].as_u64().unwrap());
            theirs.insert(key, (verdict, lines));
        }

        let mut check_agreed = 0usize;
        for ((file, resource), (theirs, (first, last))) in &theirs {
            let lost = error_lines
                .iter()
                .any(|(p, l)| p == file && first <= l && l <= last);
            let ours = if ours_failed.contains(&(file.clone(), resource.clone())) {
                Verdict::Failed
            } else if lost {
                Verdict::Error
            } else {
                Verdict::Passed
            };
            total += 1;
            if ours == *theirs {
                agreed += 1;
                check_agreed += 1;
            } else {
                found.insert(
                    (check.to_string(), file.clone(), resource.clone()),
                    (ours.as_str().to_string(), theirs.as_str().to_string()),
                );
            }
        }
        table.push(format!(
            "{check:<14} {:>3}/{:<3} {:>6.1}%  {}",
            check_agreed,
            theirs.len(),
            100.0 * check_agreed as f64 / theirs.len().max(1) as f64,
            rule_ids.join(", ")
        ));
    }

    let unmapped: Vec<&String> = checks
        .keys()
        .filter(|c| !mapped.contains_key(c.as_str()))
        .collect();
    let pct = 100.0 * agreed as f64 / total as f64;
    println!("check          agree/total          rules");
    for row in &table {
        println!("{row}");
    }
    println!(
        "overall: {agreed}/{total} = {pct:.1}% on {} mapped checks ({} unmapped: {})",
        mapped.len(),
        unmapped.len(),
        unmapped
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for ((check, file, resource), (ours, theirs)) in &found {
        println!("disagreement: {check} {file} {resource}: ours {ours}, checkov {theirs}");
    }

    let unexplained: Vec<_> = found
        .iter()
        .filter(|(k, v)| listed.get(*k) != Some(*v))
        .collect();
    assert!(
        unexplained.is_empty(),
        "disagreements missing from DISAGREEMENTS.md (or listed with other verdicts): {unexplained:#?}"
    );
    let stale: Vec<_> = listed.keys().filter(|k| !found.contains_key(*k)).collect();
    assert!(
        stale.is_empty(),
        "DISAGREEMENTS.md lists disagreements that no longer occur: {stale:#?}"
    );
    assert!(pct >= 97.0, "agreement {pct:.1}% is below 97%");
}

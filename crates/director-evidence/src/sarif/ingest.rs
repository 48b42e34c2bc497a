//! SARIF results to findings. Only failing results count (`kind` absent or `fail`),
//! suppressed results and results absent from the baseline are skipped, and every
//! finding quotes the cited file's own lines. A result that cannot be placed (no
//! location, a file that is not in the repository, lines beyond the file's end) is
//! listed as not ingested.

use super::mapping::{self, Signals};
use super::{SarifInput, artifact_of, base_ids};
use crate::AnalyzerConfig;
use crate::source::SourceText;
use director_core::Finding;
use serde_sarif::sarif::{PropertyBag, ReportingDescriptor, Result as SarifResult, Run};
use std::collections::BTreeMap;

/// Longest title taken from a scanner's message, in characters.
const MAX_TITLE_CHARS: usize = 200;

/// What ingestion produced.
#[derive(Default)]
pub(crate) struct Ingested {
    /// New findings.
    pub findings: Vec<Finding>,
    /// Results that could not be placed, as `not ingested: ...` lines.
    pub not_ingested: Vec<String>,
    /// Results dropped because a native rule reported the same problem there.
    pub duplicates: usize,
}

/// Turn every failing result of `inputs` into a finding; `native` are the analyzers'
/// findings, against which results are deduplicated.
pub(crate) fn ingest(
    inputs: &[SarifInput],
    config: &AnalyzerConfig,
    native: &[Finding],
) -> Ingested {
    let mut out = Ingested::default();
    for input in inputs {
        let files: BTreeMap<&str, SourceText<'_>> = input
            .files
            .iter()
            .map(|f| (f.path.as_str(), SourceText::new(&f.path, &f.content)))
            .collect();
        for run in &input.log.log.runs {
            run_results(input, run, &files, config, native, &mut out);
        }
    }
    out
}

/// The rule descriptor a result refers to (by index, else by id).
fn rule_of<'r>(run: &'r Run, result: &SarifResult) -> Option<&'r ReportingDescriptor> {
    let rules = run.tool.driver.rules.as_deref().unwrap_or_default();
    let by_index = result
        .rule_index
        .or_else(|| result.rule.as_ref().and_then(|r| r.index))
        .and_then(|i| usize::try_from(i).ok())
        .and_then(|i| rules.get(i));
    by_index.or_else(|| {
        let id = result.rule_id.as_deref()?;
        rules.iter().find(|r| r.id == id)
    })
}

fn is_failure(result: &SarifResult) -> bool {
    let kind_fails = result
        .kind
        .as_ref()
        .is_none_or(|k| matches!(k, serde_sarif::sarif::ResultKind::Fail));
    let suppressed = result.suppressions.as_ref().is_some_and(|list| {
        list.iter()
            .any(|s| s.status.as_ref().and_then(|v| v.as_str()) != Some("rejected"))
    });
    let absent = result.baseline_state.as_ref().and_then(|v| v.as_str()) == Some("absent");
    kind_fails && !suppressed && !absent
}

fn security_severity(bags: &[Option<&PropertyBag>]) -> Option<f64> {
    bags.iter().flatten().find_map(
        |b| match b.additional_properties.get("security-severity")? {
            serde_json::Value::String(s) => s.trim().parse().ok(),
            serde_json::Value::Number(n) => n.as_f64(),
            _ => None,
        },
    )
}

fn tags(bags: &[Option<&PropertyBag>]) -> Vec<String> {
    bags.iter()
        .flatten()
        .flat_map(|b| b.tags.iter().flatten().cloned())
        .collect()
}

fn level_str(v: Option<&serde_json::Value>) -> Option<&str> {
    v.and_then(serde_json::Value::as_str)
}

fn run_results(
    input: &SarifInput,
    run: &Run,
    files: &BTreeMap<&str, SourceText<'_>>,
    config: &AnalyzerConfig,
    native: &[Finding],
    out: &mut Ingested,
) {
    let tool = mapping::tool_slug(&run.tool.driver.name);
    let bases = base_ids(run.original_uri_base_ids.as_ref());
    for result in run.results.iter().flatten().filter(|r| is_failure(r)) {
        let rule = rule_of(run, result);
        let rule_id = result
            .rule_id
            .clone()
            .or_else(|| result.rule.as_ref().and_then(|r| r.id.clone()))
            .or_else(|| rule.map(|r| r.id.clone()))
            .unwrap_or_else(|| "unnamed".into());
        let place = match locate(input, run, result, &bases, files) {
            Ok(place) => place,
            Err(why) => {
                out.not_ingested.push(format!(
                    "not ingested: {}: {tool} {rule_id} ({why})",
                    input.log.label
                ));
                continue;
            }
        };
        let native_rule = mapping::native_rule(&tool, &rule_id);
        if let Some(n) = native_rule
            && native.iter().any(|f| {
                f.rule_id.as_deref() == Some(n.info.id)
                    && f.path.as_deref() == Some(place.src.path)
                    && (f
                        .lines()
                        .is_some_and(|(s, e)| s <= place.lines.1 && place.lines.0 <= e)
                        || place.logical.as_deref().is_some_and(|name| {
                            f.resources
                                .iter()
                                .any(|r| r.rsplit('/').next() == Some(name))
                        }))
            })
        {
            out.duplicates += 1;
            continue;
        }
        let rule_props = rule.and_then(|r| r.properties.as_ref());
        let bags = [rule_props, result.properties.as_ref()];
        let level = result.level.map(level_name).or_else(|| {
            level_str(
                rule.and_then(|r| r.default_configuration.as_ref())
                    .and_then(|c| c.level.as_ref()),
            )
        });
        let signals = Signals {
            level,
            security_severity: security_severity(&bags),
        };
        let severity = mapping::severity(config, &tool, &rule_id, native_rule, &signals);
        let (director, category) = match native_rule {
            Some(n) => (n.info.director, n.info.category),
            None => mapping::placement(&tags(&bags)),
        };
        out.findings.push(finding(
            &tool, &rule_id, rule, result, &place, severity, director, category,
        ));
    }
}

/// Where a result points, resolved and quoted.
struct Place<'s, 'a> {
    src: &'s SourceText<'a>,
    lines: (u32, u32),
    evidence: String,
    logical: Option<String>,
}

fn locate<'s, 'a>(
    input: &SarifInput,
    run: &Run,
    result: &SarifResult,
    bases: &BTreeMap<String, String>,
    files: &'s BTreeMap<&str, SourceText<'a>>,
) -> Result<Place<'s, 'a>, String> {
    let location = result
        .locations
        .iter()
        .flatten()
        .find(|l| l.physical_location.is_some())
        .ok_or("no physical location")?;
    let physical = location
        .physical_location
        .as_ref()
        .ok_or("no physical location")?;
    let artifact = physical
        .artifact_location
        .as_ref()
        .ok_or("no artifact location")?;
    let path = input.log.resolve(artifact_of(run, artifact), bases)?;
    let src = files
        .get(path.as_str())
        .ok_or_else(|| format!("`{path}` was not found in the repository"))?;
    let region = physical
        .region
        .as_ref()
        .ok_or_else(|| format!("`{path}`: no line region"))?;
    let start = region
        .start_line
        .and_then(|l| u32::try_from(l).ok())
        .filter(|l| *l >= 1)
        .ok_or_else(|| format!("`{path}`: no start line"))?;
    let end = region
        .end_line
        .and_then(|l| u32::try_from(l).ok())
        .unwrap_or(start)
        .max(start);
    let count = src.line_count();
    if end > count {
        return Err(format!(
            "`{path}`:{start}-{end} is beyond the file's {count} lines"
        ));
    }
    let (lines, evidence) = src.quote((start, end));
    let logical = location
        .logical_locations
        .iter()
        .flatten()
        .find_map(|l| l.fully_qualified_name.clone().or_else(|| l.name.clone()));
    Ok(Place {
        src,
        lines,
        evidence,
        logical,
    })
}

fn level_name(level: serde_sarif::sarif::ResultLevel) -> &'static str {
    use serde_sarif::sarif::ResultLevel;
    match level {
        ResultLevel::Error => "error",
        ResultLevel::Warning => "warning",
        ResultLevel::Note => "note",
        ResultLevel::None => "none",
    }
}

#[expect(clippy::too_many_arguments, reason = "the parts of one finding")]
fn finding(
    tool: &str,
    rule_id: &str,
    rule: Option<&ReportingDescriptor>,
    result: &SarifResult,
    place: &Place<'_, '_>,
    severity: director_core::Severity,
    director: &str,
    category: &str,
) -> Finding {
    let message = result
        .message
        .text
        .as_deref()
        .or_else(|| {
            rule.and_then(|r| r.short_description.as_ref())
                .map(|d| d.text.as_str())
        })
        .unwrap_or("");
    let first = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(rule_id)
        .trim();
    let first: String = first.chars().take(MAX_TITLE_CHARS).collect();
    let title = format!("{tool} {rule_id}: {first}");
    let help = rule
        .and_then(|r| r.help.as_ref().or(r.full_description.as_ref()))
        .map(|h| h.text.lines().next().unwrap_or("").trim().to_string())
        .filter(|h| !h.is_empty() && h != &first);
    let mut recommendation = format!("Reported by {tool} (SARIF evidence).");
    if let Some(h) = help {
        recommendation.push(' ');
        recommendation.push_str(&h.chars().take(MAX_TITLE_CHARS).collect::<String>());
    }
    if let Some(uri) = rule.and_then(|r| r.help_uri.as_deref()) {
        recommendation.push_str(&format!(" See {uri}"));
    }
    let resource = place
        .logical
        .clone()
        .unwrap_or_else(|| format!("{}:{}", place.src.path, place.lines.0));
    Finding::evidence(
        director,
        &format!("{tool}/{rule_id}"),
        severity,
        category,
        title,
        vec![resource],
        place.src.path,
        place.lines,
        place.evidence.clone(),
        recommendation,
    )
}

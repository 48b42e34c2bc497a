//! GitHub Actions workflow commands (`--format github`): one annotation per new
//! finding — `::error` for blocking, `::warning` for warnings, `::notice` for info —
//! with `file`, `line`, `endLine` and `title` properties when the finding has them,
//! then one summary annotation with the decision. Findings the baseline or a
//! `director:ignore` comment accepted are not annotated (they are counted in the
//! summary). Escaping follows the runner's rules: in the message `%`, `\r` and `\n`
//! are percent-encoded; in property values `:` and `,` are as well. The Markdown PR
//! comment is `--format markdown`; the CLI also appends it to `$GITHUB_STEP_SUMMARY`
//! when it renders this format.

use director_core::{Decision, Finding, FindingStatus, RunRecord, Severity};
use std::fmt::Write as _;

/// Escape the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Blocking => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

fn annotation(f: &Finding) -> String {
    let mut props = Vec::new();
    if let Some(path) = &f.path {
        props.push(format!("file={}", escape_property(path)));
        if let Some((start, end)) = f.lines() {
            props.push(format!("line={start}"));
            props.push(format!("endLine={end}"));
        }
    }
    let rule = f.rule_id.clone().unwrap_or_else(|| f.category.clone());
    props.push(format!(
        "title={}",
        escape_property(&format!("director {rule} ({})", f.directors.join(", ")))
    ));
    let mut message = f.title.clone();
    if !f.verified {
        message.push_str(" (unverified)");
    }
    if !f.recommendation.is_empty() {
        message.push_str("\nFix: ");
        message.push_str(&f.recommendation);
    }
    format!(
        "::{} {}::{}",
        command(f.severity),
        props.join(","),
        escape_data(&message)
    )
}

/// Render the annotations of one record, then its summary line.
pub fn render_github(r: &RunRecord) -> String {
    let mut out = String::new();
    let new: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::New)
        .collect();
    for f in &new {
        let _ = writeln!(out, "{}", annotation(f));
    }
    let count = |s: Severity| new.iter().filter(|f| f.severity == s).count();
    let accepted = r.findings.len() - new.len();
    let cmd = match r.decision {
        Decision::Pass => "notice",
        Decision::Block | Decision::Incomplete => "error",
    };
    let summary = format!(
        "{}\n{} blocking, {} warning(s), {} info; {accepted} known or suppressed; run {}",
        r.reason,
        count(Severity::Blocking),
        count(Severity::Warning),
        count(Severity::Info),
        r.run_id
    );
    let _ = writeln!(
        out,
        "::{cmd} title={}::{}",
        escape_property(&format!("director: {} (task {})", r.decision, r.task.id)),
        escape_data(&summary)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}

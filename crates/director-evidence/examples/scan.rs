//! Print the findings for files or folders, one per line, with severity, rule,
//! location, resource and title (and the evidence with `-v`). A debugging aid for rule
//! authors; the product command is `director evidence PATH...`.
//!
//! ```text
//! cargo run -p director-evidence --example scan -- [-v] PATH...
//! ```

#![expect(clippy::unwrap_used, reason = "a debugging aid fails loudly")]
#![expect(clippy::print_stdout, reason = "it prints findings")]

use director_evidence::{AnalyzerConfig, SourceFile, analyze, is_analyzable};
use std::path::Path;

fn collect(path: &Path, out: &mut Vec<SourceFile>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            collect(&entry, out);
        }
    } else if let Ok(content) = std::fs::read_to_string(path) {
        let p = path.to_string_lossy().replace('\\', "/");
        if is_analyzable(&p, &content) {
            out.push(SourceFile::new(p, content));
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let mut files = Vec::new();
    for a in args.iter().filter(|a| *a != "-v") {
        collect(Path::new(a), &mut files);
    }
    let report = analyze(&files, &[], &AnalyzerConfig::default());
    for f in &report.findings {
        println!(
            "{:<8} {:<40} {}:{}-{} {} — {}",
            f.severity.as_str(),
            f.rule_id.as_deref().unwrap_or(""),
            f.path.as_deref().unwrap_or(""),
            f.start_line.unwrap_or(0),
            f.end_line.unwrap_or(0),
            f.resources.join(","),
            f.title
        );
        if verbose {
            for line in f.evidence.as_deref().unwrap_or("").lines() {
                println!("           | {line}");
            }
            println!("           fix: {}", f.recommendation);
        }
    }
    for e in &report.parse_errors {
        println!("parse error: {e}");
    }
    println!(
        "{} files analyzed, {} findings",
        report.files_analyzed,
        report.findings.len()
    );
}

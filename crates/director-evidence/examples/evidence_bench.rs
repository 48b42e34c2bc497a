//! Quotable benchmark figures: analyzer throughput (files/s) and peak memory (VmHWM)
//! on the generated 2,000-file Terraform + Kubernetes corpus, the cost of Terraform
//! evaluation (on vs off, on that corpus and on a 2,000-file module-based one, side by
//! side), and optionally the same corpus through Checkov for a side-by-side ratio from
//! one run.
//!
//! ```text
//! cargo run --release -p director-evidence --example evidence_bench
//! cargo run --release -p director-evidence --example evidence_bench -- --checkov /tmp/checkov-venv/bin/checkov
//! ```

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]
#![expect(clippy::print_stdout, reason = "a benchmark reports its figures")]

#[path = "../benches/corpus.rs"]
mod corpus;
#[path = "../tests/it/files.rs"]
mod files;

use director_evidence::{AnalyzerConfig, SourceFile, analyze};
use std::process::Command;
use std::time::Instant;

/// Peak resident set size of this process in KiB (Linux `VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Best and mean seconds of `runs` analyses of `files`.
fn time(files: &[SourceFile], config: &AnalyzerConfig, runs: u32) -> (f64, f64) {
    let _ = analyze(files, &[], config);
    let mut best = f64::MAX;
    let mut total = 0.0;
    for _ in 0..runs {
        let start = Instant::now();
        let _ = analyze(files, &[], config);
        let secs = start.elapsed().as_secs_f64();
        best = best.min(secs);
        total += secs;
    }
    (best, total / f64::from(runs))
}

/// Evaluation on and off, interleaved, on the same files.
fn evaluation_cost(label: &str, files: &[SourceFile]) {
    let on = AnalyzerConfig::default();
    let mut off = AnalyzerConfig::default();
    off.terraform.evaluate = false;
    let (on_best, on_mean) = time(files, &on, 5);
    let (off_best, off_mean) = time(files, &off, 5);
    let found = |c: &AnalyzerConfig| analyze(files, &[], c).findings.len();
    println!(
        "{label}: evaluation on {:.0} files/s (best {:.3} s, mean {:.3} s, {} findings) vs off {:.0} files/s (best {:.3} s, mean {:.3} s, {} findings): on/off time {:.2}x",
        files.len() as f64 / on_best,
        on_best,
        on_mean,
        found(&on),
        files.len() as f64 / off_best,
        off_best,
        off_mean,
        found(&off),
        on_best / off_best
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let checkov = args
        .iter()
        .position(|a| a == "--checkov")
        .map(|i| args[i + 1].clone());
    let files = corpus::generate(2000);
    let bytes: usize = files.iter().map(|f| f.content.len()).sum();
    let config = AnalyzerConfig::default();
    let rss_before = peak_rss_kib().unwrap_or(0);

    let warm = analyze(&files, &[], &config);
    let runs = 5;
    let mut best = f64::MAX;
    let mut total = 0.0;
    for _ in 0..runs {
        let start = Instant::now();
        let report = analyze(&files, &[], &config);
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(report.findings.len(), warm.findings.len());
        best = best.min(secs);
        total += secs;
    }
    let mean = total / f64::from(runs);
    println!(
        "corpus: {} files ({} Terraform + {} Kubernetes), {:.1} MiB",
        files.len(),
        files.len() / 2,
        files.len() - files.len() / 2,
        bytes as f64 / 1_048_576.0
    );
    println!(
        "findings: {}, parse errors: {}",
        warm.findings.len(),
        warm.parse_errors.len()
    );
    println!(
        "analyze (in memory): best {:.3} s = {:.0} files/s, mean {:.3} s = {:.0} files/s over {runs} runs",
        best,
        files.len() as f64 / best,
        mean,
        files.len() as f64 / mean
    );
    for (label, part) in [
        ("Terraform", &files[..files.len() / 2]),
        ("Kubernetes", &files[files.len() / 2..]),
    ] {
        let start = Instant::now();
        let _ = analyze(part, &[], &config);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "  {label} half alone: {:.3} s = {:.0} files/s",
            secs,
            part.len() as f64 / secs
        );
    }
    evaluation_cost(
        "generated corpus, Terraform half",
        &files[..files.len() / 2],
    );
    evaluation_cost("module corpus", &corpus::generate_modules(2000));
    let peak = peak_rss_kib().unwrap_or(0);
    println!(
        "peak RSS (VmHWM): {:.1} MiB (corpus generated: {:.1} MiB before analysis)",
        peak as f64 / 1024.0,
        rss_before as f64 / 1024.0
    );

    let Some(checkov) = checkov else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    for f in &files {
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &f.content).unwrap();
    }
    // Ours end to end: read the tree from disk and analyze it.
    let start = Instant::now();
    let from_disk = files::read_dir(dir.path(), dir.path());
    let report = analyze(&from_disk, &[], &config);
    let ours = start.elapsed().as_secs_f64();
    println!(
        "ours from disk: {:.3} s ({} findings)",
        ours,
        report.findings.len()
    );
    // Checkov with all its checks, then with only the checks our rules map to.
    let mapped: Vec<&str> = director_evidence::rules()
        .iter()
        .flat_map(|r| r.checkov.iter().copied())
        .collect();
    let mapped = mapped.join(",");
    for (label, only) in [
        ("all checks", None),
        ("mapped checks only", Some(mapped.as_str())),
    ] {
        let mut args = vec![
            "-d",
            ".",
            "--framework",
            "terraform",
            "kubernetes",
            "--skip-download",
            "--quiet",
            "-o",
            "json",
        ];
        if let Some(only) = only {
            args.extend(["--check", only]);
        }
        let start = Instant::now();
        let output = Command::new(&checkov)
            .args(&args)
            .current_dir(dir.path())
            .output()
            .expect("run checkov");
        let theirs = start.elapsed().as_secs_f64();
        println!(
            "checkov ({label}): {:.1} s (exit {:?}, {} bytes of JSON) -> ratio {:.0}x",
            theirs,
            output.status.code(),
            output.stdout.len(),
            theirs / ours
        );
    }
}

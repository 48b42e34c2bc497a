//! Benchmark of the context engine on a large repository: a synthetic git
//! repository of 50,000 files (committed once with git2) with 300 files modified in
//! the working tree. Measures wall time and peak memory (VmHWM) of
//! gather + classify + related + redact + pack, each run in its own process, against
//! `git diff --stat` (the git CLI) on the same repository, and prints the ratios.
//!
//! Run: `cargo bench -p director-context --bench context`. Environment knobs:
//! `DIRECTOR_BENCH_FILES` (default 50000), `DIRECTOR_BENCH_CHANGED` (default 300),
//! `DIRECTOR_BENCH_ROUNDS` (default 5), `DIRECTOR_BENCH_BUDGET` (default 64000).
//! `--build <dir>` only builds the synthetic repository there (for profiling);
//! `--child context <dir>` runs one measured context build on it.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark harness: any failure aborts the run with its message"
)]

use director_context::{ChangeRequest, PackInput, count_tokens, find_related, gather, pack};
use director_core::Task;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    // `--build <dir>`: only build the synthetic repository (for profiling by hand).
    if let Some(i) = args.iter().position(|a| a == "--build") {
        let dir = Path::new(&args[i + 1]);
        std::fs::create_dir_all(dir).unwrap();
        build_repo(
            dir,
            env_usize("DIRECTOR_BENCH_FILES", 50_000),
            env_usize("DIRECTOR_BENCH_CHANGED", 300),
        );
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful.
    if args.iter().any(|a| a == "--list") {
        return;
    }
    orchestrate();
}

/// Peak resident set size of this process, from /proc/self/status.
fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One measured run of the context engine (in a fresh process). Modes:
/// `context` (gather, related files, pack; the tokenizer loads on first use),
/// `no-tokens` (gather, related files and redaction of every changed file, no
/// tokenizer) and `tokenizer` (load only: the first count).
fn child(mode: &str, repo: &Path) {
    let start = Instant::now();
    if mode == "tokenizer" {
        count_tokens("");
        println!(
            "{{\"total_ms\": {:.1}, \"vmhwm_kb\": {}}}",
            ms(start.elapsed()),
            vm_hwm_kb()
        );
        return;
    }
    let set = gather(repo, &ChangeRequest::default()).expect("gather");
    let gathered = start.elapsed();
    let related = find_related(&set, &set.root, 8);
    let related_done = start.elapsed();
    if mode == "no-tokens" {
        let mut redactions = 0u32;
        for f in &set.files {
            if let Some(c) = &f.content {
                redactions += director_context::redact(c, &f.path).total();
            }
        }
        println!(
            "{{\"total_ms\": {:.1}, \"gather_ms\": {:.1}, \"related_ms\": {:.1}, \"redact_ms\": {:.1}, \"files\": {}, \"redactions\": {redactions}, \"vmhwm_kb\": {}}}",
            ms(start.elapsed()),
            ms(gathered),
            ms(related_done - gathered),
            ms(start.elapsed() - related_done),
            set.files.len(),
            vm_hwm_kb()
        );
        return;
    }
    let task = Task {
        id: "bench-1".into(),
        title: "Refactor the synthetic modules".into(),
        description: "A 300-file change in a 50,000-file repository.".into(),
        criteria: vec!["the context is bounded".into()],
        ..Task::default()
    };
    let budget = env_usize("DIRECTOR_BENCH_BUDGET", 64_000);
    let input = PackInput {
        budget_tokens: budget,
        related: &related,
        window_from: None,
        ..PackInput::new(&task, &set)
    };
    let packed = pack(&input);
    let total = start.elapsed();
    println!(
        "{{\"total_ms\": {:.1}, \"gather_ms\": {:.1}, \"related_ms\": {:.1}, \"pack_ms\": {:.1}, \"files\": {}, \"tokens\": {}, \"omitted\": {}, \"included\": {}, \"vmhwm_kb\": {}}}",
        ms(total),
        ms(gathered),
        ms(related_done - gathered),
        ms(total - related_done),
        set.files.len(),
        packed.tokens,
        packed.omitted.len(),
        packed.files_included,
        vm_hwm_kb()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Synthetic file content: source, Terraform, Kubernetes or Markdown by index.
fn synthetic(i: usize) -> (String, String) {
    let dir = format!("pkg{:03}", i / 100);
    match i % 50 {
        0 => (
            format!("{dir}/infra_{i}.tf"),
            format!(
                "resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"bucket-{i}\"\n  tags = {{\n    team = \"t{}\"\n  }}\n}}\n",
                i % 7
            ),
        ),
        1 => (
            format!("{dir}/deploy_{i}.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n"
            ),
        ),
        2 => (
            format!("{dir}/README_{i}.md"),
            format!("# Module {i}\n\nSome documentation for module {i}.\n"),
        ),
        _ => {
            let mut s = format!(
                "//! Module {i}.\n\npub struct Item{i} {{\n    pub id: u64,\n    pub name: String,\n}}\n\n"
            );
            for f in 0..12 {
                s.push_str(&format!(
                    "pub fn function_{i}_{f}(x: u64) -> u64 {{\n    let y = x.wrapping_mul({f} + 1);\n    y ^ (y >> 3)\n}}\n\n"
                ));
            }
            (format!("{dir}/file_{i}.rs"), s)
        }
    }
}

fn build_repo(root: &Path, files: usize, changed: usize) {
    let t = Instant::now();
    for i in 0..files {
        let (path, content) = synthetic(i);
        let p = root.join(&path);
        if i % 100 == 0 {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        }
        std::fs::write(p, content).unwrap();
    }
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = git2::Repository::init_opts(root, &opts).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Bench", "bench@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "synthetic repository", &tree, &[])
        .unwrap();
    eprintln!(
        "built and committed {files} files in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Modify `changed` files spread over the repository.
    let step = (files / changed.max(1)).max(1);
    for k in 0..changed {
        let i = (k * step + 7).min(files - 1);
        let (path, content) = synthetic(i);
        let mut lines: Vec<String> = content.lines().map(str::to_string).collect();
        let mid = lines.len() / 2;
        lines[mid] = format!("{} // changed in the benchmark", lines[mid]);
        lines.push(format!("// appended line {k}"));
        std::fs::write(root.join(path), lines.join("\n") + "\n").unwrap();
    }
}

struct Sample {
    wall_ms: f64,
    max_rss_kb: u64,
    report: String,
}

/// Run `cmd` under `/usr/bin/time -v` and read wall time and maximum RSS.
fn measure(program: &str, args: &[&str]) -> Sample {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(program)
        .args(args)
        .output()
        .expect("run /usr/bin/time");
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let max_rss_kb = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Sample {
        wall_ms: ms(wall),
        max_rss_kb,
        report: String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or("")
            .to_string(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn orchestrate() {
    let files = env_usize("DIRECTOR_BENCH_FILES", 50_000);
    let changed = env_usize("DIRECTOR_BENCH_CHANGED", 300);
    let rounds = env_usize("DIRECTOR_BENCH_ROUNDS", 5).max(1);
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().canonicalize().unwrap();
    build_repo(&root, files, changed);
    let me = std::env::current_exe().unwrap();
    let me = me.to_str().unwrap();
    let root_s = root.to_str().unwrap();

    // Warm the page cache and let every tool see a settled index.
    measure("git", &["-C", root_s, "diff", "--stat"]);
    measure(me, &["--child", "context", root_s]);

    let modes = ["context", "no-tokens", "tokenizer"];
    let mut git_wall = Vec::new();
    let mut git_rss = 0;
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    let mut rss = vec![0u64; modes.len()];
    let mut reports = vec![String::new(); modes.len()];
    for _ in 0..rounds {
        let g = measure("git", &["-C", root_s, "diff", "--stat"]);
        git_wall.push(g.wall_ms);
        git_rss = git_rss.max(g.max_rss_kb);
        for (i, mode) in modes.iter().enumerate() {
            let c = measure(me, &["--child", mode, root_s]);
            walls[i].push(c.wall_ms);
            rss[i] = rss[i].max(c.max_rss_kb);
            reports[i] = c.report;
        }
    }
    let git_ms = median(git_wall);
    println!(
        "repository: {files} files, {changed} modified in the working tree; {rounds} rounds, each run its own process (median wall, max RSS)"
    );
    println!(
        "{:<34} {:>9} {:>10} {:>8} {:>8}",
        "", "wall ms", "peak KiB", "x wall", "x mem"
    );
    println!(
        "{:<34} {git_ms:>9.1} {git_rss:>10} {:>8} {:>8}",
        "git diff --stat", "1.00", "1.00"
    );
    for (i, mode) in modes.iter().enumerate() {
        let wall = median(walls[i].clone());
        println!(
            "{:<34} {wall:>9.1} {:>10} {:>8.2} {:>8.2}",
            format!("director-context {mode}"),
            rss[i],
            wall / git_ms,
            rss[i] as f64 / git_rss.max(1) as f64
        );
    }
    for (i, mode) in modes.iter().enumerate() {
        println!("  {mode}: {}", reports[i]);
    }
}

//! Analyzer throughput in files per second: on Checkov's fixtures (the peer suite
//! under `tests/fixtures/checkov`), on a generated corpus of 2,000 Terraform and
//! Kubernetes files, and on a generated module-based Terraform corpus; the Terraform
//! ones with evaluation on and off (`[evidence.terraform] evaluate`) side by side.
//! `cargo bench -p director-evidence --bench throughput`.
//! For quotable figures including peak memory (and an optional side-by-side run of
//! Checkov), use `cargo run --release -p director-evidence --example evidence_bench`.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark fails loudly on broken fixtures"
)]

mod corpus;
#[path = "../tests/it/files.rs"]
mod files;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use director_evidence::{AnalyzerConfig, SourceFile, analyze};
use std::hint::black_box;
use std::path::Path;

fn checkov_fixtures() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/checkov");
    files::read_dir(&root, &root.join("fixtures"))
}

fn throughput(c: &mut Criterion) {
    let config = AnalyzerConfig::default();
    let mut literal = AnalyzerConfig::default();
    literal.terraform.evaluate = false;

    let fixtures = checkov_fixtures();
    let mut group = c.benchmark_group("checkov_fixtures");
    group.throughput(Throughput::Elements(fixtures.len() as u64));
    group.bench_function("analyze_all_fixture_files", |b| {
        b.iter(|| analyze(black_box(&fixtures), &[], &config));
    });
    group.bench_function("analyze_all_fixture_files_literal_only", |b| {
        b.iter(|| analyze(black_box(&fixtures), &[], &literal));
    });
    group.finish();

    let generated = corpus::generate(2000);
    let mut group = c.benchmark_group("generated_corpus");
    group.sample_size(10);
    group.throughput(Throughput::Elements(generated.len() as u64));
    group.bench_function("analyze_2000_files", |b| {
        b.iter(|| analyze(black_box(&generated), &[], &config));
    });
    group.bench_function("analyze_2000_files_literal_only", |b| {
        b.iter(|| analyze(black_box(&generated), &[], &literal));
    });
    group.finish();

    let modules = corpus::generate_modules(2000);
    let mut group = c.benchmark_group("module_corpus");
    group.sample_size(10);
    group.throughput(Throughput::Elements(modules.len() as u64));
    group.bench_function("analyze_2000_files", |b| {
        b.iter(|| analyze(black_box(&modules), &[], &config));
    });
    group.bench_function("analyze_2000_files_literal_only", |b| {
        b.iter(|| analyze(black_box(&modules), &[], &literal));
    });
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);

#![allow(
    clippy::all,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::expect_used,
    missing_docs
)]
#[path = "../benches/corpus.rs"]
mod corpus;
use director_evidence::{AnalyzerConfig, SourceFile, analyze};
use std::path::Path;
fn read(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) {
    let mut e: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    e.sort();
    for p in e {
        if p.is_dir() {
            read(root, &p, out)
        } else {
            out.push(SourceFile::new(
                p.strip_prefix(root).unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
}
fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut all = Vec::new();
    read(&root, &root, &mut all);
    let extra = Path::new("/tmp/golden/extra");
    read(extra, extra, &mut all);
    let all: Vec<SourceFile> = all
        .into_iter()
        .filter(|f| {
            !f.path.ends_with(".md") && !f.path.ends_with(".json") || f.path.contains("fixtures/")
        })
        .collect();
    let configs = [
        AnalyzerConfig::default(),
        AnalyzerConfig {
            environment: Some(director_core::Environment::Development),
            ..Default::default()
        },
        AnalyzerConfig {
            environment: Some(director_core::Environment::Staging),
            required_tags: vec!["Team".into()],
            min_backup_retention_days: 14,
            dev_max_instance_size: "micro".into(),
            ..Default::default()
        },
    ];
    // every directory separately
    let mut dirs = std::collections::BTreeSet::new();
    for f in &all {
        let mut p = Path::new(&f.path).parent();
        while let Some(d) = p {
            dirs.insert(d.to_path_buf());
            p = d.parent();
        }
    }
    for (ci, c) in configs.iter().enumerate() {
        for d in &dirs {
            let files: Vec<SourceFile> = all
                .iter()
                .filter(|f| Path::new(&f.path).starts_with(d))
                .cloned()
                .collect();
            let r = analyze(&files, &[], c);
            println!("== config {ci} dir {}\n{r:#?}", d.display());
        }
        // half targets, half related
        let (t, rel): (Vec<_>, Vec<_>) = all
            .iter()
            .cloned()
            .enumerate()
            .partition(|(i, _)| i % 2 == 0);
        let t: Vec<_> = t.into_iter().map(|x| x.1).collect();
        let rel: Vec<_> = rel.into_iter().map(|x| x.1).collect();
        println!("== config {ci} split\n{:#?}", analyze(&t, &rel, c));
        let g = corpus::generate(400);
        println!("== config {ci} corpus\n{:#?}", analyze(&g, &[], c));
    }
}

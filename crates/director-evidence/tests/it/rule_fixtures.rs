//! Bad and good fixtures per rule (`tests/fixtures/rules/<rule id>/`): every file whose
//! name starts with `bad` must raise the rule at least once, quoting its file's lines
//! exactly; every file whose name starts with `good` must not raise it. Each folder is
//! analyzed on its own, so a good file can hold the companion resources (an account
//! public access block, a log-delivery ACL) that make it good.

use crate::common::{assert_evidence_exact, fixtures, of_rule};
use crate::files::read_dir;
use director_evidence::{AnalyzerConfig, SourceFile, analyze, rules};

#[test]
fn every_rule_folder_has_bad_and_good_fixtures_that_behave() {
    let root = fixtures().join("rules");
    let mut folders: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(
        folders.len() >= 19,
        "rule fixture folders: {}",
        folders.len()
    );
    let known: Vec<&str> = rules().iter().map(|r| r.id).collect();
    for dir in folders {
        let rule = dir.file_name().unwrap().to_string_lossy().to_string();
        assert!(known.contains(&rule.as_str()), "{rule} is not a rule id");
        let files = read_dir(&root, &dir);
        let name = |f: &SourceFile| f.path.rsplit('/').next().unwrap().to_string();
        let bad: Vec<&SourceFile> = files
            .iter()
            .filter(|f| name(f).starts_with("bad"))
            .collect();
        let good: Vec<&SourceFile> = files
            .iter()
            .filter(|f| name(f).starts_with("good"))
            .collect();
        assert!(
            !bad.is_empty() && !good.is_empty(),
            "{rule}: needs bad and good files"
        );
        for f in bad {
            let one = std::slice::from_ref(f);
            let report = analyze(one, &[], &AnalyzerConfig::default());
            assert_evidence_exact(&report, one);
            assert!(
                report.parse_errors.is_empty(),
                "{}: {:?}",
                f.path,
                report.parse_errors
            );
            assert!(
                !of_rule(&report, &rule).is_empty(),
                "{}: {rule} not raised",
                f.path
            );
        }
        for f in good {
            let one = std::slice::from_ref(f);
            let report = analyze(one, &[], &AnalyzerConfig::default());
            assert!(
                report.parse_errors.is_empty(),
                "{}: {:?}",
                f.path,
                report.parse_errors
            );
            let hits = of_rule(&report, &rule);
            assert!(
                hits.is_empty(),
                "{}: {rule} raised: {:?}",
                f.path,
                hits.iter().map(|h| &h.title).collect::<Vec<_>>()
            );
        }
    }
}

/// Where the secret findings point: the line holding the secret, never the value in
/// the title.
#[test]
fn secrets_point_at_their_line_and_never_repeat_the_value() {
    let root = fixtures().join("rules");
    let files = read_dir(&root, &root.join("sec.secrets.plaintext"));
    let report = analyze(&files, &[], &AnalyzerConfig::default());
    let hits = of_rule(&report, "sec.secrets.plaintext");
    let at: Vec<(String, u32)> = hits
        .iter()
        .map(|f| (f.path.clone().unwrap(), f.start_line.unwrap()))
        .collect();
    assert!(
        at.contains(&("sec.secrets.plaintext/bad-configmap.yaml".into(), 8)),
        "{at:?}"
    );
    assert!(
        at.contains(&("sec.secrets.plaintext/bad-configmap.yaml".into(), 11)),
        "{at:?}"
    );
    assert!(
        at.contains(&("sec.secrets.plaintext/bad-ecs.tf".into(), 10)),
        "{at:?}"
    );
    assert!(
        at.contains(&("sec.secrets.plaintext/bad-user-data.tf".into(), 7)),
        "{at:?}"
    );
    for f in &hits {
        for secret in ["Sup3r-S3cret", "sk_live_", "hunter2", "correct-horse"] {
            assert!(!f.title.contains(secret), "{}", f.title);
        }
    }
}

/// `docs/evidence.md` lists every rule with its Checkov ids, so the page stays true.
#[test]
fn the_evidence_docs_list_every_rule() {
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/evidence.md"),
    )
    .unwrap();
    for rule in rules() {
        let row = docs
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", rule.id)))
            .unwrap_or_else(|| panic!("docs/evidence.md does not list {}", rule.id));
        for check in rule.checkov {
            assert!(
                row.contains(check),
                "{}: {check} missing from its row",
                rule.id
            );
        }
    }
}

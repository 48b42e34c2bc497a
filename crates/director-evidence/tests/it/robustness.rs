//! Broken input never panics: truncated and mutated copies of every fixture, random
//! syntax soup, and pathologically deep nesting, each analyzed on a thread with a
//! 2 MiB stack (the default for spawned and tokio worker threads). Every finding that
//! still comes out must quote its file's lines exactly.

use crate::common::{assert_evidence_exact, fixtures};
use crate::files::read_dir;
use director_evidence::{AnalyzerConfig, SourceFile, analyze};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("analysis panicked or overflowed");
}

fn check(files: Vec<SourceFile>) {
    let report = analyze(&files, &[], &AnalyzerConfig::default());
    assert_evidence_exact(&report, &files);
}

fn all_fixtures() -> Vec<SourceFile> {
    let root = fixtures();
    read_dir(&root, &root)
        .into_iter()
        .filter(|f| {
            f.path.starts_with("checkov/fixtures/")
                || f.path.starts_with("seed/")
                || f.path.starts_with("terraform/")
        })
        .collect()
}

fn char_floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[test]
fn truncated_fixtures() {
    on_small_stack(|| {
        for file in all_fixtures() {
            let len = file.content.len();
            for step in 1..12 {
                let cut = char_floor(&file.content, len * step / 12);
                check(vec![SourceFile::new(
                    file.path.clone(),
                    &file.content[..cut],
                )]);
            }
        }
    });
}

#[test]
fn mutated_fixtures() {
    on_small_stack(|| {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let noise = [
            '{', '}', '[', ']', '"', '\'', '=', ':', '-', '#', '\n', '\t', ' ', '<', '$', '\\',
            '|', '>', '\u{e9}',
        ];
        for file in all_fixtures() {
            for _ in 0..6 {
                let mut text: Vec<char> = file.content.chars().collect();
                for _ in 0..1 + rng.below(8) {
                    let at = rng.below(text.len() + 1);
                    match rng.below(3) {
                        0 if at < text.len() => {
                            text.remove(at);
                        }
                        1 => text.insert(at.min(text.len()), noise[rng.below(noise.len())]),
                        _ => {
                            let dup: String = text[at.min(text.len())..]
                                .iter()
                                .take(rng.below(40))
                                .collect();
                            for (k, c) in dup.chars().enumerate() {
                                text.insert((at + k).min(text.len()), c);
                            }
                        }
                    }
                }
                check(vec![SourceFile::new(
                    file.path.clone(),
                    text.into_iter().collect::<String>(),
                )]);
            }
        }
    });
}

#[test]
fn random_syntax_soup() {
    on_small_stack(|| {
        let mut rng = Rng(42);
        let atoms = [
            "resource",
            "\"aws_db_instance\"",
            "\"x\"",
            "{",
            "}",
            "[",
            "]",
            "=",
            "\n",
            "  ",
            "multi_az",
            "true",
            "-1",
            "\"0.0.0.0/0\"",
            "<<EOF",
            "EOF",
            "${",
            "apiVersion:",
            "kind:",
            "Deployment",
            "- ",
            "name:",
            "spec:",
            "containers:",
            "---",
            "\t",
            "FROM",
            "USER",
            "HEALTHCHECK",
            "\\",
            "# c",
            ":",
            ",",
            "\"",
            "'",
            "&a",
            "*a",
            "!!str",
            "%YAML",
            "\u{0}",
            "\u{feff}",
            "é",
            "services:",
        ];
        let names = [
            "main.tf",
            "k8s.yaml",
            "pod.json",
            "Dockerfile",
            "docker-compose.yml",
        ];
        for i in 0..1500 {
            let mut text = String::new();
            for _ in 0..rng.below(120) {
                text.push_str(atoms[rng.below(atoms.len())]);
                if rng.below(3) == 0 {
                    text.push(' ');
                }
            }
            let name = names[i % names.len()];
            if name.ends_with(".yaml") {
                text = format!("apiVersion: v1\nkind: Pod\n{text}");
            }
            check(vec![SourceFile::new(format!("soup/{i}/{name}"), text)]);
        }
    });
}

#[test]
fn pathological_nesting() {
    on_small_stack(|| {
        let deep = 100_000;
        let cases = vec![
            ("a.tf", format!("a = {}", "[".repeat(deep))),
            (
                "b.tf",
                format!("a = {}1{}", "(".repeat(deep), ")".repeat(deep)),
            ),
            ("c.tf", "resource \"a\" \"b\" {\n".repeat(deep)),
            ("d.tf", format!("a = {}", "1 + ".repeat(deep))),
            (
                "e.yaml",
                format!("apiVersion: v1\nkind: Pod\nspec: {}x\n", "- ".repeat(deep)),
            ),
            (
                "f.yaml",
                format!("apiVersion: v1\nkind: Pod\nspec: {}\n", "[".repeat(deep)),
            ),
            (
                "f2.yaml",
                format!("apiVersion: v1\nkind: Pod\nspec:\n{}x\n", "? ".repeat(deep)),
            ),
            (
                "f3.yaml",
                format!(
                    "apiVersion: v1\nkind: Pod\nspec:\n{}x\n",
                    "- ? ".repeat(deep)
                ),
            ),
            (
                "g.yaml",
                (0..2000)
                    .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                    .collect::<String>()
                    + "apiVersion: v1\nkind: X\n",
            ),
            (
                "h.json",
                format!(
                    "{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{}}}",
                    "{\"a\":".repeat(deep)
                ),
            ),
            ("Dockerfile", "RUN a \\\n".repeat(deep)),
            (
                "i.tf",
                format!(
                    "resource \"aws_db_instance\" \"x\" {{\n  multi_az = {}var.a{}\n}}\n",
                    "[".repeat(500),
                    "]".repeat(500)
                ),
            ),
            (
                "j.tf.json",
                format!("{{\"resource\": {}", "{\"a\": ".repeat(deep)),
            ),
            (
                "docker-compose.yml",
                format!("services: {}", "{a: ".repeat(deep)),
            ),
        ];
        for (path, text) in cases {
            check(vec![SourceFile::new(path, text)]);
        }
    });
}

#[test]
fn module_cycles_and_broken_plans() {
    on_small_stack(|| {
        // A module calling itself, and two calling each other: bounded, no panic.
        let files = vec![
            SourceFile::new(
                "self/main.tf",
                "module \"again\" {\n  source = \"./\"\n}\nmodule \"twice\" {\n  source = \"./\"\n}\nresource \"aws_db_instance\" \"d\" {\n  multi_az = var.x\n}\nvariable \"x\" {\n  default = false\n}\n",
            ),
            SourceFile::new(
                "a/main.tf",
                "module \"b\" {\n  source = \"../b\"\n}\nlocals {\n  x = local.x\n}\n",
            ),
            SourceFile::new(
                "b/main.tf",
                "module \"a\" {\n  source = \"../a\"\n}\nresource \"aws_db_instance\" \"d\" {\n  multi_az = local.y\n}\nlocals {\n  y = local.z\n  z = local.y\n}\n",
            ),
        ];
        check(files);
        let plan = std::fs::read_to_string(
            fixtures().join("terraform/rds-module/examples/complete/plan.json"),
        )
        .unwrap();
        let mut config = AnalyzerConfig::default();
        config.terraform.plan = Some("plan.json".into());
        let tf = SourceFile::new("main.tf", "module \"db\" {\n  source = \"../../\"\n}\n");
        let mut rng = Rng(7);
        for step in 0..40 {
            let cut = char_floor(&plan, plan.len() * step / 40);
            let mut text: Vec<char> = plan[..cut].chars().collect();
            if step % 2 == 1 && !text.is_empty() {
                let at = rng.below(text.len());
                text.insert(at, ['{', '[', '"', ',', '1'][rng.below(5)]);
            }
            let files = vec![
                tf.clone(),
                SourceFile::new("plan.json", text.into_iter().collect::<String>()),
            ];
            let report = analyze(&files, &[], &config);
            assert_evidence_exact(&report, &files);
        }
    });
}

//! Issue-3/4 figures: provider requests per kind of change, and the share of each
//! Director's prompt tokens that is the prefix shared by every Director of the run.
//!
//! Run: `cargo bench -p director --bench panel`. Figures are printed, not asserted.

#![expect(clippy::expect_used, reason = "a benchmark aborts on a setup failure")]

use director::core::record::DirectorStatus;
use director::{Overrides, Verifier};
use serde_json::json;
use std::path::Path;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let verdict = json!({"verdict": "pass", "summary": "fine", "findings": []}).to_string();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "c", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": verdict}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        })))
        .mount(&server)
        .await;
    server
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// A typical feature change: six service modules, a test and a Terraform file.
/// `functions` sets the size of each module (12 ≈ 120 lines, 40 ≈ 400 lines).
fn typical(root: &Path, functions: usize) {
    for (i, name) in [
        "orders",
        "payments",
        "invoices",
        "customers",
        "shipping",
        "catalog",
    ]
    .iter()
    .enumerate()
    {
        let mut body = format!(
            "//! The {name} service.\nuse std::collections::HashMap;\n\npub struct {name}Store {{\n    items: HashMap<u64, String>,\n}}\n\n"
        );
        for f in 0..functions {
            body.push_str(&format!(
                "/// Look up {name} record {f}.\npub fn {name}_lookup_{f}(store: &{name}Store, id: u64) -> Option<&str> {{\n    let key = id.wrapping_add({i}{f});\n    if key % 7 == 0 {{\n        return None;\n    }}\n    store.items.get(&key).map(String::as_str)\n}}\n\n"
            ));
        }
        write(root, &format!("src/{name}.rs"), &body);
    }
    write(
        root,
        "tests/orders_test.rs",
        "#[test]\nfn lookup_misses_multiples_of_seven() {\n    assert!(true);\n}\n",
    );
    write(
        root,
        "infra/queue.tf",
        "resource \"aws_sqs_queue\" \"orders\" {\n  name = \"orders\"\n  message_retention_seconds = 86400\n  tags = {\n    Environment = \"production\"\n    Owner = \"orders\"\n    CostCenter = \"cc-1\"\n  }\n}\n",
    );
    write(
        root,
        ".director/tasks/t.toml",
        "id = \"t\"\ntitle = \"Orders lookup\"\ncriteria = [\"lookups skip ids divisible by seven\"]\npaths = [\"src\", \"tests\", \"infra\"]\nenvironment = \"production\"\n",
    );
}

async fn run(label: &str, repo: &Path, server: &MockServer, all: bool) {
    let v = Verifier::builder()
        .repo(repo)
        .provider(format!("{}/v1", server.uri()))
        .overrides(Overrides {
            cache_enabled: Some(false),
            write_record: Some(false),
            ..Overrides::default()
        })
        .build()
        .expect("verifier");
    let task = v
        .load_task(
            &std::fs::read_dir(repo.join(".director/tasks"))
                .expect("tasks")
                .next()
                .expect("a task")
                .expect("entry")
                .path()
                .file_stem()
                .expect("stem")
                .to_string_lossy(),
        )
        .expect("task");
    let before = server.received_requests().await.map_or(0, |r| r.len());
    let options = director::VerifyOptions {
        all_directors: all,
        ..Default::default()
    };
    let record = v
        .verify_with(
            task,
            &options,
            &director::EventSink::none(),
            &director::CancellationToken::new(),
        )
        .await
        .expect("verify");
    let requests = server.received_requests().await.map_or(0, |r| r.len()) - before;
    let ran: Vec<_> = record
        .directors
        .iter()
        .filter(|d| d.status == DirectorStatus::Ran)
        .collect();
    println!(
        "{label}: {requests} provider request(s); {} of {} Directors ran",
        ran.len(),
        record.directors.len()
    );
    if !ran.is_empty() {
        let prefix = record.context.shared_prefix_tokens;
        println!(
            "  shared prefix {prefix} tokens (context {} tokens); mean share {:.1}%",
            record.context.tokens,
            record.context.shared_prefix_share * 100.0
        );
        for d in ran {
            println!(
                "    {:<15} prompt {:>6} tokens, shared prefix {:>5.1}%",
                d.name,
                d.prompt_tokens,
                prefix as f64 / d.prompt_tokens as f64 * 100.0
            );
        }
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let server = server().await;
        let docs = tempfile::tempdir().expect("tmp");
        write(docs.path(), "README.md", "# Service\n\nHow to run it.\n");
        write(docs.path(), "docs/ops.md", "## Operations\n");
        write(docs.path(), ".director/tasks/docs.toml", "id = \"docs\"\ntitle = \"Docs\"\ncriteria = [\"explains ops\"]\npaths = [\"README.md\", \"docs\"]\n");
        run("docs-only change", docs.path(), &server, false).await;

        let tf = tempfile::tempdir().expect("tmp");
        write(tf.path(), "infra/queue.tf", "resource \"aws_sqs_queue\" \"q\" {\n  name = \"q\"\n}\n");
        write(tf.path(), ".director/tasks/tf.toml", "id = \"tf\"\ntitle = \"Queue\"\ncriteria = [\"a queue exists\"]\npaths = [\"infra\"]\n");
        run("terraform-only change", tf.path(), &server, false).await;

        let typical_repo = tempfile::tempdir().expect("tmp");
        typical(typical_repo.path(), 12);
        run("typical change (6 modules of ~120 lines, a test, a Terraform file)", typical_repo.path(), &server, false).await;

        let larger = tempfile::tempdir().expect("tmp");
        typical(larger.path(), 40);
        run("typical change (6 modules of ~400 lines, a test, a Terraform file)", larger.path(), &server, false).await;

        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/orders-service");
        run("examples/orders-service, --all-directors", &example, &server, true).await;
    });
}

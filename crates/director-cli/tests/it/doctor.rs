//! `director doctor` against a mock of llama-server with two 4096-token slots: the
//! real binary discovers the window and the slots, probes the model, and says what it
//! will do with them.

use crate::support::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn llama_server(n_ctx: u32) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/props"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "default_generation_settings": {"n_ctx": n_ctx},
            "total_slots": 2,
            "build_info": "b6500-mock"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/tokenize"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"tokens": vec![0; 330]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ready"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 14, "completion_tokens": 2, "total_tokens": 16}
        })))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_reports_the_window_the_slots_and_the_plan() {
    let dir = Dir::new();
    let server = llama_server(4096).await;
    let out = director(&dir.path())
        .args(["doctor", "--repo"])
        .arg(dir.path())
        .env("OPENAI_BASE_URL", format!("{}/v1", server.uri()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "server     llama-server b6500-mock",
        "window     4096 tokens (llama-server /props: n_ctx of one slot)",
        "in flight  2 (the server's 2 slot(s))",
        "probe      ",
        "window 4096: compact prompts",
        "reviewed in parts",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    let json_out = director(&dir.path())
        .args(["doctor", "--json", "--repo"])
        .arg(dir.path())
        .env("OPENAI_BASE_URL", format!("{}/v1", server.uri()))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(report["profile"]["context_window"], 4096);
    assert_eq!(report["directors"].as_array().unwrap().len(), 7);
    assert!(report["probe"]["latency_ms"].is_u64());
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_names_the_flag_when_the_window_is_too_small() {
    let dir = Dir::new();
    let server = llama_server(1024).await;
    let out = director(&dir.path())
        .args(["doctor", "--repo"])
        .arg(dir.path())
        .env("OPENAI_BASE_URL", format!("{}/v1", server.uri()))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("window 1024: too small"), "{stdout}");
    assert!(stdout.contains("context-too-small: needs ≥"), "{stdout}");
    assert!(stdout.contains("-c "), "{stdout}");
}

#[test]
fn doctor_without_a_provider_is_a_config_error() {
    let dir = Dir::new();
    let out = director(&dir.path())
        .args(["doctor", "--repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("hint:"), "{stderr}");
}

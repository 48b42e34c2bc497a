//! The MCP client through the binary: `--no-mcp` and `--offline` start no MCP server,
//! and a server that fails to start is a warning while the Director still reviews.
//! The "server" is a shell that notes in a marker file that it ran, then exits.

use crate::support::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn pass() -> serde_json::Value {
    json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant",
            "content": json!({"verdict": "pass", "summary": "fine", "findings": []}).to_string()},
            "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
}

#[tokio::test(flavor = "multi_thread")]
async fn no_mcp_and_offline_start_no_server() {
    let dir = Dir::new();
    dir.write(
        "infra/main.tf",
        "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n",
    )
    .write(
        ".director/tasks/t.toml",
        "id = \"t\"\ntitle = \"Logs bucket\"\npaths = [\"infra\"]\nenvironment = \"development\"\n",
    )
    .write(
        ".director/directors/infrastructure.toml",
        "mcp = [\"mon\"]\n",
    )
    .write(".director/config.toml", "[cache]\nenabled = false\n");
    let home = Dir::new();
    let marker = home.path().join("mon.marker");
    home.write(
        ".config/director/config.toml",
        &format!(
            "[mcp.servers.mon]\ncommand = \"sh\"\nargs = [\"-c\", \"echo ran >> {}; exit 1\"]\n",
            marker.display()
        ),
    );
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pass()))
        .mount(&server)
        .await;
    let run = |extra: &[&str]| {
        director(&home.path())
            .args([
                "verify",
                "--task",
                "t",
                "--director",
                "infrastructure",
                "--repo",
            ])
            .arg(dir.path())
            .args(extra)
            .env("OPENAI_BASE_URL", format!("{}/v1", server.uri()))
            .output()
            .unwrap()
    };

    for flag in ["--no-mcp", "--offline"] {
        let out = run(&[flag]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{flag}: {stderr}"
        );
        assert!(!marker.exists(), "{flag} started an MCP server");
        assert!(!stderr.contains("MCP server"), "{flag}: {stderr}");
    }

    // Without the flags the server is started; it fails, which is a warning, and the
    // Infrastructure Director still reviews.
    let out = run(&["--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        marker.exists(),
        "the control run did not start the server: {stderr}"
    );
    assert!(
        stderr.contains("MCP server `mon` is not available"),
        "{stderr}"
    );
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["mcp_servers"][0]["status"], "failed");
    let infra = record["directors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "infrastructure")
        .unwrap();
    assert_eq!(infra["status"], "ran", "{infra}");
}

//! `director mcp` as an MCP client sees it: the real binary on stdio, a scripted
//! JSON-RPC session (initialize, notifications/initialized, tools/list, tools/call for
//! each tool, error cases), offline on a fixture repository so `verify_task` returns
//! the decision of the deterministic evidence. Stdout must carry nothing but
//! JSON-RPC messages.

#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use crate::support::*;
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

const DB_TF: &str = r#"resource "aws_db_instance" "orders" {
  identifier              = "orders-prod"
  engine                  = "postgres"
  instance_class          = "db.r6g.large"
  allocated_storage       = 100
  multi_az                = false
  backup_retention_period = 7
  storage_encrypted       = true
  deletion_protection     = true
}
"#;

/// How long one reply may take (an offline verification is well under a second).
const REPLY: Duration = Duration::from_secs(60);

struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
}

impl Session {
    fn start(repo: &std::path::Path, home: &std::path::Path) -> Session {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("director"));
        for (key, _) in std::env::vars() {
            if key.starts_with("DIRECTOR_")
                || key.starts_with("OPENAI_")
                || key.starts_with("OTEL_")
            {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd
            .args(["mcp", "--offline", "-v", "--repo"])
            .arg(repo)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Session {
            child,
            stdin,
            lines: rx,
            next_id: 1,
        }
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    /// Send a request and wait for the response with its id. Every line on stdout
    /// must be a JSON-RPC 2.0 message.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = match self.lines.recv_timeout(REPLY) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => panic!("no reply to {method} within {REPLY:?}"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server closed stdout during {method}")
                }
            };
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not JSON on stdout ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{line}");
            if message["id"] == id {
                return message;
            }
            // Server-initiated notifications (logging, progress) are allowed in between.
            assert!(
                message.get("method").is_some(),
                "unexpected message: {line}"
            );
        }
    }

    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let reply = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        assert!(reply.get("error").is_none(), "{tool}: {reply:#}");
        reply["result"].clone()
    }

    /// Close stdin and wait for a clean exit; returns stderr.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert_eq!(
                    status.code(),
                    Some(0),
                    "the server exits cleanly when the client leaves"
                );
                let mut err = String::new();
                std::io::Read::read_to_string(self.child.stderr.as_mut().unwrap(), &mut err)
                    .unwrap();
                return err;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("the server did not exit after stdin closed");
    }
}

#[test]
fn scripted_session_lists_verifies_and_reads_runs() {
    let home = Dir::new();
    let repo = Dir::new();
    repo.write("infra/db.tf", DB_TF)
        .write("README.md", "# orders\n")
        .write(
            ".director/tasks/orders.toml",
            "id = \"orders\"\ntitle = \"Orders database\"\npaths = [\"infra\"]\nenvironment = \"production\"\n",
        )
        .write(
            ".director/tasks/docs.toml",
            "id = \"docs\"\ntitle = \"Docs\"\npaths = [\"README.md\"]\n",
        );
    let mut s = Session::start(&repo.path(), &home.path());

    let init = s.request(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "it", "version": "0"}}),
    );
    let result = &init["result"];
    assert_eq!(result["protocolVersion"], "2025-06-18", "{init:#}");
    assert_eq!(result["serverInfo"]["name"], "director");
    assert_eq!(result["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(result["capabilities"]["tools"].is_object());
    assert!(
        result["instructions"]
            .as_str()
            .unwrap()
            .contains("verify_task")
    );
    s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    let tools = s.request("tools/list", json!({}));
    let tools = tools["result"]["tools"].as_array().unwrap().clone();
    let mut names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["get_run", "list_directors", "verify_task"]);
    let verify = tools.iter().find(|t| t["name"] == "verify_task").unwrap();
    let props = &verify["inputSchema"]["properties"];
    for key in [
        "task_id",
        "task",
        "directors",
        "all_directors",
        "base",
        "head",
        "paths",
    ] {
        assert!(
            props.get(key).is_some(),
            "verify_task takes `{key}`: {props:#}"
        );
    }
    assert!(verify["outputSchema"]["properties"]["decision"].is_object());
    for tool in &tools {
        assert!(!tool["description"].as_str().unwrap().is_empty());
    }

    let listed = s.call("list_directors", json!({}));
    let directors = listed["structuredContent"]["directors"].as_array().unwrap();
    assert_eq!(directors.len(), 7);
    let infra = directors
        .iter()
        .find(|d| d["name"] == "infrastructure")
        .unwrap();
    assert_eq!(infra["persona"], "DirInfra_Agent");
    assert!(
        listed["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("infrastructure (DirInfra_Agent)")
    );

    // By id: offline, the analyzers decide and block on the single-AZ database.
    let verified = s.call("verify_task", json!({"task_id": "orders"}));
    assert_eq!(verified["isError"], false, "{verified:#}");
    let out = &verified["structuredContent"];
    assert_eq!(out["decision"], "block", "{out:#}");
    assert_eq!(out["exit_code"], 1);
    assert_eq!(out["task"], "orders");
    let findings = out["findings"].as_array().unwrap();
    let single_az = findings
        .iter()
        .find(|f| f["rule_id"] == "infra.rds.single-az")
        .unwrap();
    assert_eq!(single_az["blocks"], true);
    assert_eq!(single_az["path"], "infra/db.tf");
    assert_eq!(single_az["start_line"], 6);
    assert!(
        out["directors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "skipped")
    );
    let text = verified["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("decision: block"), "{text}");
    assert!(
        text.contains("[infra.rds.single-az] infra/db.tf:6"),
        "{text}"
    );
    let run_id = out["run_id"].as_str().unwrap().to_string();

    // Inline task, with a Director chosen and a paths override: a docs-only change passes.
    let inline = s.call(
        "verify_task",
        json!({"task": {"id": "inline", "title": "Inline docs task", "paths": ["infra"]},
               "paths": ["README.md"], "directors": ["architecture"]}),
    );
    let out = &inline["structuredContent"];
    assert_eq!(out["decision"], "pass", "{inline:#}");
    assert_eq!(out["task"], "inline");
    assert_eq!(out["exit_code"], 0);

    // get_run: the latest run of a task, and a run by id.
    let latest = s.call("get_run", json!({"task": "orders"}));
    assert_eq!(latest["structuredContent"]["run_id"], run_id.as_str());
    assert_eq!(latest["structuredContent"]["decision"], "block");
    assert_eq!(latest["structuredContent"]["version"], 1);
    let by_id = s.call("get_run", json!({"run": run_id}));
    assert_eq!(by_id["structuredContent"]["task"]["id"], "orders");
    let newest = s.call("get_run", json!({}));
    assert_eq!(newest["structuredContent"]["task"]["id"], "inline");

    // Mistakes the caller can fix come back as tool errors with a hint.
    let unknown = s.call("verify_task", json!({"task_id": "nope"}));
    assert_eq!(unknown["isError"], true);
    let text = unknown["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("nope") && text.contains("hint:"), "{text}");
    let invalid = s.call(
        "verify_task",
        json!({"task": {"id": "x", "title": "t", "colour": "red"}}),
    );
    assert_eq!(invalid["isError"], true);
    assert!(
        invalid["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{invalid:#}"
    );
    let missing = s.call("get_run", json!({"run": "20000101T000000.000Z-000000"}));
    assert_eq!(missing["isError"], true);
    // Neither (or both) of task_id and task is a protocol error: invalid params.
    let neither = s.request(
        "tools/call",
        json!({"name": "verify_task", "arguments": {}}),
    );
    assert_eq!(neither["error"]["code"], -32602, "{neither:#}");
    let unknown_tool = s.request("tools/call", json!({"name": "nope", "arguments": {}}));
    assert!(unknown_tool.get("error").is_some() || unknown_tool["result"]["isError"] == true);

    let stderr = s.finish();
    // Logs went to stderr (with -v), never to stdout.
    assert!(stderr.contains("MCP server"), "{stderr}");
}

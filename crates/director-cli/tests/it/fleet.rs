//! Fleet mode against a real S3-compatible server: moto's server mode, started on a
//! loopback port by each test (`.ci/run` installs it). The binary talks to it with
//! object_store's S3 client exactly as it would to AWS; the provider is wiremock.
//!
//! When `moto_server` is not installed the tests say so loudly and return; set
//! `DIRECTOR_TEST_MOTO_SERVER` to its path, or put it on PATH.

use crate::support::*;
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CODE: &str = "pub fn total(items: &[u64]) -> u64 {\n    let mut sum = 0;\n    for i in items {\n        sum += i;\n    }\n    sum\n}\n";
const FLEET_KEY: &str = "fleet-key-for-tests-0123456789abcdef0123456789";
const BUCKET: &str = "director-fleet";

/// A moto S3 server on a free loopback port, killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Start moto, or None (with a loud message) when it is not installed.
    pub fn start() -> Option<Moto> {
        let Some(program) = moto_program() else {
            assert!(
                std::env::var_os("DIRECTOR_TEST_REQUIRE_MOTO").is_none(),
                "DIRECTOR_TEST_REQUIRE_MOTO is set but moto_server was not found"
            );
            eprintln!(
                "\n*** SKIPPED: moto_server is not installed; fleet tests against S3 did not run.\n*** Install it with `pip install \"moto[server]\"` (.ci/run does) or set DIRECTOR_TEST_MOTO_SERVER.\n"
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http(port, "GET", "/", b"").is_none() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        // Open to unsigned requests, so that the test can read and plant objects
        // without signing; the binary signs its requests as it would on AWS.
        let acl = "x-amz-acl: public-read-write\r\n";
        let (status, _) = http_with(port, "PUT", &format!("/{BUCKET}"), b"", acl).unwrap();
        assert_eq!(status, 200, "create bucket");
        Some(moto)
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Keys under `prefix` in the bucket.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let (status, body) = http(
            self.port,
            "GET",
            &format!("/{BUCKET}?list-type=2&prefix={prefix}"),
            b"",
        )
        .unwrap();
        assert_eq!(status, 200);
        let body = String::from_utf8_lossy(&body);
        body.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }

    pub fn get(&self, key: &str) -> Vec<u8> {
        http(self.port, "GET", &format!("/{BUCKET}/{key}"), b"")
            .unwrap()
            .1
    }

    pub fn put(&self, key: &str, body: &[u8]) {
        let (status, _) = http(self.port, "PUT", &format!("/{BUCKET}/{key}"), body).unwrap();
        assert_eq!(status, 200);
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn moto_program() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DIRECTOR_TEST_MOTO_SERVER") {
        return Some(PathBuf::from(p));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("moto_server"))
        .find(|p| p.is_file())
}

/// One plain HTTP/1.1 request to moto (which accepts unsigned requests): status and body.
fn http(port: u16, verb: &str, target: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
    http_with(port, verb, target, body, "")
}

/// [`http`] with extra header lines (each ending in `\r\n`).
fn http_with(
    port: u16,
    verb: &str,
    target: &str,
    body: &[u8],
    headers: &str,
) -> Option<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let head = format!(
        "{verb} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut rest = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        rest = dechunk(&rest);
    }
    Some((status, rest))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
    out
}

fn completion(content: &str) -> Value {
    json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
}

fn persona_of(req: &Request) -> String {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string()
}

/// Blocks from the Code Quality Director (its finding quotes the code), passes
/// otherwise; the Security Director answers after `slow`.
fn provider_reply(slow: Duration) -> impl Fn(&Request) -> ResponseTemplate + Send + Sync {
    move |req: &Request| {
        let user = persona_of(req);
        let verdict = if user.contains("DirQuality_Agent") {
            json!({"verdict": "block", "summary": "overflow", "findings": [{
                "severity": "blocking", "category": "correctness", "title": "sum can overflow",
                "resources": [], "path": "src/sum.rs", "start_line": 4, "end_line": 4,
                "evidence": "sum += i;", "recommendation": "use checked_add"}]})
        } else {
            json!({"verdict": "pass", "summary": "fine", "findings": []})
        };
        let reply = ResponseTemplate::new(200).set_body_json(completion(&verdict.to_string()));
        if user.contains("DirSec_Agent") {
            reply.set_delay(slow)
        } else {
            reply
        }
    }
}

async fn provider(slow: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(provider_reply(slow))
        .mount(&server)
        .await;
    server
}

/// Chat requests the provider received (discovery probes of the server's window and
/// slots are not provider calls).
async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| {
        r.iter()
            .filter(|r| r.url.path().ends_with("/chat/completions"))
            .count()
    })
}

/// A runner's fresh checkout of the same change: a new folder each time, named
/// like the repository (the folder name is part of what the Directors are shown).
struct Checkout {
    tmp: Dir,
}

impl Checkout {
    fn path(&self) -> PathBuf {
        self.tmp.path().join("repo")
    }

    fn write(&self, rel: &str, text: &str) -> &Checkout {
        self.tmp.write(&format!("repo/{rel}"), text);
        self
    }
}

fn checkout() -> Checkout {
    let dir = Checkout { tmp: Dir::new() };
    dir.write("src/sum.rs", CODE)
        .write(
            ".director/tasks/sum.toml",
            "id = \"sum\"\ntitle = \"Sum items\"\npaths = [\"src\"]\n",
        )
        .write(
            ".director/tasks/docs.toml",
            "id = \"docs\"\ntitle = \"Docs only\"\npaths = [\"README.md\"]\n",
        )
        .write("README.md", "# sums\n")
        .write(
            ".director/config.toml",
            "[provider]\nmax_retries = 0\ninitial_backoff_ms = 10\n[run]\ntool_rounds = 0\n",
        );
    dir
}

fn store_url() -> String {
    format!("s3://{BUCKET}/team-a")
}

/// The environment of a fleet runner: shared cache and records in moto, the key.
fn fleet_vars(moto: &Moto, provider: &MockServer) -> Vec<(&'static str, String)> {
    let mut vars = store_vars(moto);
    vars.extend([
        ("OPENAI_BASE_URL", format!("{}/v1", provider.uri())),
        ("DIRECTOR_STORE__URL", store_url()),
        ("DIRECTOR_STORE__CACHE", "true".into()),
        ("DIRECTOR_STORE__RECORDS", "true".into()),
        ("DIRECTOR_CACHE_KEY", FLEET_KEY.into()),
    ]);
    vars
}

/// How to reach moto: object_store's standard AWS variables.
fn store_vars(moto: &Moto) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT", format!("http://127.0.0.1:{}", moto.port)),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// The binary as a fleet runner.
fn runner(dir: &Checkout, moto: &Moto, provider: &MockServer) -> assert_cmd::Command {
    let mut cmd = director(&dir.path());
    fleet_env(&mut cmd, moto);
    cmd.envs(fleet_vars(moto, provider));
    cmd
}

/// The same runner as a child process that runs while the test goes on.
fn spawn_runner(dir: &Checkout, moto: &Moto, provider: &MockServer) -> Child {
    let home = dir.path();
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("director"));
    for (key, _) in std::env::vars() {
        if ["DIRECTOR_", "OPENAI_", "AWS_"]
            .iter()
            .any(|p| key.starts_with(p))
        {
            cmd.env_remove(key);
        }
    }
    cmd.env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("DIRECTOR_CACHE_HOME", home.join(".director/cache/home"))
        .env("NO_COLOR", "1")
        // As `director()` does: these scratch checkouts are not git repositories, so
        // their own .director/config.toml is the policy.
        .env("DIRECTOR_TRUST__WORKTREE_CONFIG", "true")
        .envs(fleet_vars(moto, provider))
        .args([
            "verify",
            "--task",
            "sum",
            "--format",
            "json",
            "--progress",
            "none",
            "--repo",
        ])
        .arg(&home)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn fleet_env(cmd: &mut assert_cmd::Command, moto: &Moto) {
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(store_vars(moto));
}

fn verify_json(cmd: &mut assert_cmd::Command, dir: &Checkout, task: &str) -> (i32, Value) {
    let out = cmd
        .args([
            "verify",
            "--task",
            task,
            "--format",
            "json",
            "--progress",
            "none",
            "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let record = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no record on stdout ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), record)
}

fn from_cache(record: &Value) -> usize {
    record["directors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["from_cache"] == true)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_runner_makes_no_provider_call_and_records_list_back() {
    let Some(moto) = Moto::start() else { return };
    let llm = provider(Duration::ZERO).await;
    let first_runner = checkout();
    let (code, first) = verify_json(
        &mut runner(&first_runner, &moto, &llm),
        &first_runner,
        "sum",
    );
    assert_eq!(code, 1, "{first}");
    let calls = requests(&llm).await;
    assert!(calls >= 2, "the Directors were asked: {calls}");
    assert_eq!(
        moto.keys("team-a/cache/").len(),
        calls,
        "one sealed entry per call"
    );

    // Another runner, another checkout of the same change, strictly after the first.
    let second_runner = checkout();
    let (code, second) = verify_json(
        &mut runner(&second_runner, &moto, &llm),
        &second_runner,
        "sum",
    );
    assert_eq!(code, 1);
    assert_eq!(
        requests(&llm).await,
        calls,
        "0 provider calls on the second runner"
    );
    assert_eq!(from_cache(&second), calls);
    assert_eq!(second["decision"], first["decision"]);
    assert!(second.get("warnings").is_none(), "{second}");

    // Both records are in the store, listed back with filters, newest first.
    let (_, docs) = verify_json(
        &mut runner(&second_runner, &moto, &llm),
        &second_runner,
        "docs",
    );
    assert_eq!(docs["decision"], "pass");
    assert_eq!(moto.keys("team-a/records/").len(), 3);
    assert!(
        std::fs::read_dir(second_runner.path().join(".director/runs")).is_err(),
        "records went to the store, not the checkout"
    );
    let list = |args: &[&str]| {
        let mut cmd = director(&second_runner.path());
        fleet_env(&mut cmd, &moto);
        let out = cmd
            .args(["runs", "list", "--store", &store_url()])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let all = list(&[]);
    assert_eq!(all.lines().count(), 3, "{all}");
    let ids: Vec<&str> = all
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids[0], docs["run_id"].as_str().unwrap(), "newest first");
    assert_eq!(list(&["--task", "sum"]).lines().count(), 2);
    assert_eq!(list(&["--decision", "pass"]).lines().count(), 1);
    assert_eq!(
        list(&["--decision", "block", "--task", "docs"]).trim(),
        "no runs recorded yet"
    );
    let today = &first["started_at"].as_str().unwrap()[..10];
    assert_eq!(
        list(&["--since", today, "--until", today]).lines().count(),
        3
    );
    assert_eq!(
        list(&["--until", "2001-01-01"]).trim(),
        "no runs recorded yet"
    );
    assert_eq!(list(&["--limit", "1"]).lines().count(), 1);

    let mut show = director(&second_runner.path());
    fleet_env(&mut show, &moto);
    let out = show
        .args(["runs", "show"])
        .arg(first["run_id"].as_str().unwrap())
        .args(["--store", &store_url(), "--format", "json"])
        .output()
        .unwrap();
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["run_id"], first["run_id"]);
    assert_eq!(shown["decision"], "block");
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_runners_agree_and_leave_one_entry_per_director() {
    let Some(moto) = Moto::start() else { return };
    let llm = provider(Duration::from_millis(300)).await;
    let (a, b) = (checkout(), checkout());
    let (ra, rb) = (spawn_runner(&a, &moto, &llm), spawn_runner(&b, &moto, &llm));
    let (oa, ob) = (
        ra.wait_with_output().unwrap(),
        rb.wait_with_output().unwrap(),
    );
    let record = |o: &std::process::Output| -> Value {
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)))
    };
    let (ra, rb) = (record(&oa), record(&ob));
    assert_eq!(oa.status.code(), Some(1));
    assert_eq!(ob.status.code(), Some(1));
    assert_eq!(ra["decision"], rb["decision"]);
    let ran = ra["directors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] == "ran")
        .count();
    assert_eq!(
        moto.keys("team-a/cache/").len(),
        ran,
        "one entry per Director"
    );
    for r in [&ra, &rb] {
        assert!(
            r.get("warnings").is_none(),
            "a lost race is a quiet success: {r}"
        );
    }
    // Whoever won, the stored entries are good: a third runner asks nobody.
    let before = requests(&llm).await;
    let c = checkout();
    let (_, rc) = verify_json(&mut runner(&c, &moto, &llm), &c, "sum");
    assert_eq!(requests(&llm).await, before);
    assert_eq!(from_cache(&rc), ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_planted_entry_without_the_key_is_ignored_then_replaced() {
    let Some(moto) = Moto::start() else { return };
    let llm = provider(Duration::ZERO).await;
    let dir = checkout();
    let (_, first) = verify_json(&mut runner(&dir, &moto, &llm), &dir, "sum");
    let calls = requests(&llm).await;
    // Someone with write access to the bucket but not the key turns every verdict
    // into a pass: the same envelope, a pass payload, a tag they had to make up.
    let keys = moto.keys("team-a/cache/");
    for key in &keys {
        let mut entry: Value = serde_json::from_slice(&moto.get(key)).unwrap();
        let mut payload: Value = serde_json::from_str(entry["payload"].as_str().unwrap()).unwrap();
        payload["verdict"] = json!({"verdict": "pass", "summary": "planted", "findings": []});
        entry["payload"] = Value::String(payload.to_string());
        entry["tag"] = Value::String("00".repeat(32));
        moto.put(key, &serde_json::to_vec(&entry).unwrap());
    }
    let (code, second) = verify_json(&mut runner(&dir, &moto, &llm), &dir, "sum");
    assert_eq!(code, 1, "the planted passes were not believed");
    assert_eq!(second["decision"], first["decision"]);
    assert_eq!(
        requests(&llm).await,
        calls * 2,
        "every Director asked again"
    );
    assert_eq!(from_cache(&second), 0);
    let warnings = second["warnings"].to_string();
    assert!(
        warnings.contains("ignored verdict cache entry"),
        "{warnings}"
    );
    // The planted entries were replaced by good ones: the next run asks nobody.
    let (_, third) = verify_json(&mut runner(&dir, &moto, &llm), &dir, "sum");
    assert_eq!(requests(&llm).await, calls * 2);
    assert_eq!(from_cache(&third), calls);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_fleet_key_the_shared_cache_is_not_used() {
    let Some(moto) = Moto::start() else { return };
    let llm = provider(Duration::ZERO).await;
    let dir = checkout();
    let mut cmd = runner(&dir, &moto, &llm);
    cmd.env_remove("DIRECTOR_CACHE_KEY");
    let (code, record) = verify_json(&mut cmd, &dir, "sum");
    assert_eq!(code, 1);
    assert!(moto.keys("team-a/cache/").is_empty(), "nothing written");
    assert!(
        record["warnings"]
            .to_string()
            .contains("DIRECTOR_CACHE_KEY")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_stopped_mid_run_leaves_the_decision_alone_and_says_so() {
    let Some(mut moto) = Moto::start() else {
        return;
    };
    // The Security Director answers late: the others have stored their verdicts by
    // then, and the storage dies before Security's verdict is stored.
    let llm = provider(Duration::from_secs(4)).await;
    let dir = checkout();
    let child = spawn_runner(&dir, &moto, &llm);
    let deadline = Instant::now() + Duration::from_secs(20);
    while moto.keys("team-a/cache/").is_empty() {
        assert!(Instant::now() < deadline, "no verdict was cached");
        std::thread::sleep(Duration::from_millis(50));
    }
    moto.stop();
    let out = child.wait_with_output().unwrap();
    let record: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "decision unaffected: block");
    assert_eq!(record["decision"], "block");
    let warnings = record["warnings"].to_string();
    assert!(
        warnings.contains("unavailable") && warnings.contains("without the cache"),
        "{warnings}"
    );
    assert!(
        warnings.contains("could not be written to the shared store"),
        "{warnings}"
    );
    let local = dir.path().join(".director/runs/sum");
    assert_eq!(
        std::fs::read_dir(local).unwrap().count(),
        1,
        "record kept locally"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_prune_empties_the_shared_cache() {
    let Some(moto) = Moto::start() else { return };
    let llm = provider(Duration::ZERO).await;
    let dir = checkout();
    verify_json(&mut runner(&dir, &moto, &llm), &dir, "sum");
    let entries = moto.keys("team-a/cache/").len();
    assert!(entries > 0);
    let mut cmd = director(&dir.path());
    fleet_env(&mut cmd, &moto);
    let out = cmd
        .args([
            "cache",
            "prune",
            "--older-than",
            "1",
            "--store",
            &store_url(),
            "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        moto.keys("team-a/cache/").len(),
        entries,
        "young entries stay"
    );
    let mut cmd = director(&dir.path());
    fleet_env(&mut cmd, &moto);
    let out = cmd
        .args([
            "cache",
            "prune",
            "--older-than",
            "0",
            "--store",
            &store_url(),
            "--repo",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("pruned {entries} of {entries}")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(moto.keys("team-a/cache/").is_empty());
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A pass for every Director, whatever it is asked.
async fn passing_provider() -> MockServer {
    let server = MockServer::start().await;
    let pass = json!({"verdict": "pass", "summary": "fine", "findings": []});
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion(&pass.to_string())))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cache_entry_committed_to_the_repository_is_never_used() {
    // The trusted configuration keeps the cache in the repository's .director/cache
    // (the old default). The head commit carries entries for exactly this run's
    // Director input, validly sealed (made by a run against a provider that passes
    // everything): as tracked files they are ignored and the Directors are asked.
    let dir = checkout();
    let home = dir.path().join(".director/cache/home");
    let in_repo = |cmd: &mut assert_cmd::Command| {
        cmd.env("DIRECTOR_CACHE__DIR", ".director/cache")
            .env("DIRECTOR_CACHE_HOME", &home);
    };
    let lenient = passing_provider().await;
    let mut cmd = director(&dir.path());
    in_repo(&mut cmd);
    cmd.env("OPENAI_BASE_URL", format!("{}/v1", lenient.uri()));
    let (code, _) = verify_json(&mut cmd, &dir, "sum");
    assert_eq!(code, 0);
    let planted = requests(&lenient).await;
    git(&dir.path(), &["init", "-q", "-b", "main"]);
    git(
        &dir.path(),
        &[
            "add",
            "-f",
            "src",
            ".director/tasks",
            ".director/config.toml",
        ],
    );
    git(&dir.path(), &["add", "-f", ".director/cache/"]);
    git(&dir.path(), &["reset", "-q", ".director/cache/home"]);
    git(&dir.path(), &["commit", "-qm", "planted verdicts"]);

    let strict = provider(Duration::ZERO).await;
    let mut cmd = director(&dir.path());
    in_repo(&mut cmd);
    cmd.env("OPENAI_BASE_URL", format!("{}/v1", strict.uri()));
    let (code, record) = verify_json(&mut cmd, &dir, "sum");
    assert_eq!(code, 1, "the committed passes were not believed: {record}");
    assert_eq!(requests(&strict).await, planted, "every Director asked");
    assert_eq!(from_cache(&record), 0);
    assert!(
        record["warnings"].to_string().contains("tracked in git"),
        "{}",
        record["warnings"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn by_default_the_cache_lives_outside_the_repository() {
    let dir = checkout();
    let llm = passing_provider().await;
    let home = Dir::new();
    let mut cmd = director(&dir.path());
    cmd.env("OPENAI_BASE_URL", format!("{}/v1", llm.uri()))
        .env("DIRECTOR_CACHE_HOME", home.path());
    let (code, _) = verify_json(&mut cmd, &dir, "sum");
    assert_eq!(code, 0);
    assert!(!dir.path().join(".director/cache/verdicts").exists());
    let entries = std::fs::read_dir(home.path().join("verdicts"))
        .unwrap()
        .count();
    assert_eq!(entries, requests(&llm).await);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(home.path().join("key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key is private");
    }
}

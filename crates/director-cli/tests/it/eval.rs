//! `director eval`: the shipped suite replayed from its cassettes with exact scores
//! (so the scorer is tested end to end), a cassette mismatch as an error that names
//! the case, Director and key, and record mode through the loopback proxy against a
//! wiremock provider, replayed afterwards.

use crate::support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn seed_suite() -> PathBuf {
    workspace().join("evals/seed")
}

/// Copy `from` into `to` recursively.
fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A suite holding copies of some of the seed cases.
fn suite_of(cases: &[&str]) -> Dir {
    let dir = Dir::new();
    for case in cases {
        copy(
            &seed_suite().join("cases").join(case),
            &dir.path().join("cases").join(case),
        );
    }
    dir
}

fn case<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn director_score<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["directors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no Director {name}"))
}

fn counts(metrics: &Value) -> [u64; 4] {
    ["tp", "fp", "missed", "ignored"].map(|k| metrics[k].as_u64().unwrap())
}

#[test]
fn the_seed_suite_replays_with_the_scores_its_cassettes_imply() {
    let home = Dir::new();
    let out = home.path().join("scores.json");
    let run = director(&home.path())
        .args(["eval", "--replay", "--output"])
        .arg(&out)
        .arg(seed_suite())
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();

    assert_eq!(report["mode"], "replay");
    assert_eq!(report["models"], json!(["hand-written-reference"]));
    assert_eq!(report["cases"].as_array().unwrap().len(), 21);
    // One missed finding makes one wrong decision.
    assert_eq!(
        report["decision_accuracy"],
        json!({"count": 20, "of": 21, "rate": 20.0 / 21.0})
    );
    let wrong = case(&report, "testing-assertions-that-cannot-fail");
    assert_eq!(
        (&wrong["decision"], &wrong["expected_decision"]),
        (&json!("pass"), &json!("block"))
    );
    assert_eq!(counts(&wrong["findings"]), [0, 0, 1, 0]);
    assert_eq!(
        report["routing_accuracy"],
        json!({"count": 3, "of": 3, "rate": 1.0})
    );
    // 16 matched, 2 false positives (a hallucination and a style nit), 1 miss; 79
    // reports of `may` expectations (mostly analyzer findings) neither help nor hurt.
    assert_eq!(counts(&report["findings"]), [16, 2, 1, 79]);
    assert_eq!(report["findings"]["precision"], json!(16.0 / 18.0));
    assert_eq!(report["findings"]["recall"], json!(16.0 / 17.0));
    assert_eq!(report["findings"]["f1"], json!(32.0 / 35.0));
    // The hallucinated quote is the one unverified LLM finding of 25, and it cannot block.
    assert_eq!(
        report["unverified"],
        json!({"count": 1, "of": 25, "rate": 0.04})
    );
    let traversal = case(&report, "security-path-traversal");
    let fp = traversal["false_positives"].as_array().unwrap();
    assert_eq!(fp.len(), 1);
    let hallucinated = &traversal["observed"][fp[0].as_u64().unwrap() as usize];
    assert_eq!(hallucinated["verified"], false);
    assert_eq!(hallucinated["title"], "Hard-coded Flask secret key");
    assert_eq!(traversal["decision"], "block");

    assert_eq!(
        counts(&director_score(&report, "security")["findings"]),
        [4, 1, 0, 17]
    );
    assert_eq!(
        director_score(&report, "security")["unverified"]["count"],
        1
    );
    assert_eq!(
        counts(&director_score(&report, "testing")["findings"]),
        [2, 0, 1, 4]
    );
    assert_eq!(
        counts(&director_score(&report, "code-quality")["findings"]),
        [1, 1, 0, 0]
    );
    assert_eq!(
        counts(&director_score(&report, "infrastructure")["findings"]),
        [7, 0, 0, 56]
    );
    assert_eq!(director_score(&report, "requirements")["ran"], 4);
    let docs = case(&report, "docs-only-change");
    assert_eq!(docs["directors"], json!([]));
    assert_eq!(docs["usage"]["requests"], 0);
    assert_eq!(report["usage"]["requests"], 89);

    for line in [
        "decision accuracy        20/21 0.952",
        "routing accuracy         3/3 1.000",
        "unverified LLM findings  1/25 0.040",
    ] {
        assert!(stdout.contains(line), "{line:?} not in\n{stdout}");
    }
    let all = stdout
        .lines()
        .find(|l| l.starts_with("all findings"))
        .unwrap();
    let cells: Vec<&str> = all.split_whitespace().collect();
    assert_eq!(
        cells[2..],
        ["16", "2", "1", "79", "0.889", "0.941", "0.914"]
    );
}

#[test]
fn one_director_is_scored_alone_with_director() {
    let home = Dir::new();
    let suite = suite_of(&["security-path-traversal", "seed-1-autoscaling-bad"]);
    let out = home.path().join("scores.json");
    director(&home.path())
        .args(["eval", "--director", "security", "--output"])
        .arg(&out)
        .arg(suite.path())
        .assert()
        .code(0);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["director"], "security");
    let names: Vec<&str> = report["directors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["security"]);
    // Only the Security Director ran; the analyzers' security findings still count.
    let traversal = case(&report, "security-path-traversal");
    assert_eq!(traversal["directors"].as_array().unwrap().len(), 1);
    assert_eq!(counts(&traversal["findings"]), [1, 1, 0, 0]);
}

#[test]
fn a_request_the_cassette_does_not_hold_is_an_error_naming_case_director_and_key() {
    let home = Dir::new();
    let suite = suite_of(&["security-path-traversal"]);
    let cassette = suite
        .path()
        .join("cases/security-path-traversal/cassette.jsonl");
    let text = std::fs::read_to_string(&cassette).unwrap();
    let key = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["director"] == "security")
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(&cassette, text.replace(&key, "0000000000000000")).unwrap();
    let out = home.path().join("scores.json");
    let run = director(&home.path())
        .args(["eval", "--output"])
        .arg(&out)
        .arg(suite.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!(
            "cassette mismatch in case `security-path-traversal`: Director `security` sent request {key}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("\nhint: "), "{stderr}");
    assert!(!out.exists(), "no scores are written for a failed eval");
}

#[test]
fn bad_suites_are_input_errors() {
    let home = Dir::new();
    let run = director(&home.path())
        .args(["eval"])
        .arg(home.path().join("missing"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(stderr.contains("is not an eval suite"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");

    let suite = suite_of(&["docs-only-change"]);
    std::fs::write(
        suite.path().join("cases/docs-only-change/expected.toml"),
        "decision = \"pass\"\n[[finding]]\ncategory = \"cost\"\nlines = [1, 2]\n",
    )
    .unwrap();
    let run = director(&home.path())
        .arg("eval")
        .arg(suite.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(stderr.contains("`lines` needs a `path`"), "{stderr}");
}

/// A provider whose every Director passes, 1,000 prompt tokens an answer; `expect`
/// chat requests exactly, when given.
async fn passing_provider(expect: Option<u64>) -> MockServer {
    let provider = MockServer::start().await;
    let verdict = json!({"verdict": "pass", "summary": "fine", "findings": []}).to_string();
    let mock = Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "c", "object": "chat.completion", "created": 1, "model": "tiny",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": verdict},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 20, "total_tokens": 1020}})));
    match expect {
        Some(n) => mock.expect(n).mount(&provider).await,
        None => mock.mount(&provider).await,
    }
    provider
}

#[tokio::test]
async fn record_writes_cassettes_through_the_proxy_and_replay_serves_them() {
    let provider = passing_provider(Some(2)).await;
    let home = Dir::new();
    let suite = suite_of(&["seed-1-autoscaling-bad"]);
    let cassette = suite
        .path()
        .join("cases/seed-1-autoscaling-bad/cassette.jsonl");
    std::fs::remove_file(&cassette).unwrap();
    let base_url = format!("{}/v1", provider.uri());
    let home_path = home.path();
    let suite_path = suite.path();
    let recorded = tokio::task::spawn_blocking(move || {
        director(&home_path)
            .args([
                "eval",
                "--record",
                "--model",
                "tiny",
                "--base-url",
                &base_url,
            ])
            .arg(&suite_path)
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&recorded);
    assert!(stdout.contains("mode record, model tiny"), "{stdout}");
    // The analyzers still block the fixed-replica Deployment; both Directors passed.
    assert!(stdout.contains("decision accuracy        1/1"), "{stdout}");
    let text = std::fs::read_to_string(&cassette).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["source"], "recorded");
    assert_eq!(lines[0]["model"], "tiny");
    let mut directors: Vec<&str> = lines[1..]
        .iter()
        .map(|e| e["director"].as_str().unwrap())
        .collect();
    directors.sort_unstable();
    assert_eq!(directors, ["infrastructure", "security"]);
    assert!(
        lines[1..]
            .iter()
            .all(|e| e["status"] == 200 && e["response"]["usage"]["prompt_tokens"] == 1000)
    );
    // The provider is gone; replay answers from what was recorded, with its usage.
    drop(provider);
    let out = home.path().join("scores.json");
    director(&home.path())
        .args(["eval", "--output"])
        .arg(&out)
        .arg(suite.path())
        .assert()
        .code(0);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["mode"], "replay");
    assert_eq!(report["usage"]["prompt_tokens"], 2000);
    assert_eq!(report["decision_accuracy"]["count"], 1);
}

/// A recording against a small window (a local server's 4096-token slot, configured
/// as `[provider] context_window`) is fitted to it: compact prompts, the change in
/// parts. The cassette's header keeps the window and slots, and replay — without
/// that configuration — fits the same requests and finds every answer.
#[tokio::test]
async fn a_recording_keeps_the_window_it_was_fitted_to_and_replay_fits_the_same() {
    let provider = passing_provider(None).await;
    let home = Dir::new();
    home.write(
        ".config/director/config.toml",
        "[provider]\ncontext_window = 4096\nmax_in_flight = 1\n",
    );
    let suite = suite_of(&["seed-1-autoscaling-bad"]);
    let cassette = suite
        .path()
        .join("cases/seed-1-autoscaling-bad/cassette.jsonl");
    std::fs::remove_file(&cassette).unwrap();
    let base_url = format!("{}/v1", provider.uri());
    let (home_path, suite_path) = (home.path(), suite.path());
    tokio::task::spawn_blocking(move || {
        director(&home_path)
            .args([
                "eval",
                "--record",
                "--model",
                "tiny",
                "--base-url",
                &base_url,
            ])
            .arg(&suite_path)
            .assert()
            .code(0);
    })
    .await
    .unwrap();
    let text = std::fs::read_to_string(&cassette).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["context_window"], 4096, "{}", lines[0]);
    assert_eq!(lines[0]["max_in_flight"], 1);
    // Fitted to 4096 tokens: answers bounded to a fifth of the window or less.
    let bodies = provider.received_requests().await.unwrap();
    assert!(!bodies.is_empty());
    assert!(bodies.iter().all(|r| {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        body["max_tokens"].as_u64().is_some_and(|m| m <= 4096 / 5)
    }));

    // Replay with no window configured: the header's is used, every key is found.
    drop(provider);
    std::fs::remove_file(home.path().join(".config/director/config.toml")).unwrap();
    let out = home.path().join("scores.json");
    director(&home.path())
        .args(["eval", "--output"])
        .arg(&out)
        .arg(suite.path())
        .assert()
        .code(0);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["mode"], "replay");
    assert_eq!(
        report["usage"]["requests"].as_u64(),
        Some((lines.len() - 1) as u64)
    );

    // The same cassette without the header's window: replay fits the requests to
    // no window, and the recorded answers no longer match them.
    let mut header = lines[0].clone();
    header.as_object_mut().unwrap().remove("context_window");
    header.as_object_mut().unwrap().remove("max_in_flight");
    let rest: Vec<&str> = text.lines().skip(1).collect();
    std::fs::write(&cassette, format!("{header}\n{}\n", rest.join("\n"))).unwrap();
    let failed = director(&home.path())
        .args(["eval"])
        .arg(suite.path())
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("had no answer"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
}

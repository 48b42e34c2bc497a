//! Test support: temporary repositories and a wiremock OpenAI-compatible provider
//! that answers each Director with its own scripted reply and records what it saw.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The persona names of the built-in Directors, as the instruction names them.
pub const PERSONAS: &[(&str, &str)] = &[
    ("infrastructure", "DirInfra_Agent"),
    ("architecture", "DirArch_Agent"),
    ("code-quality", "DirQuality_Agent"),
    ("performance", "DirPerf_Agent"),
    ("security", "DirSec_Agent"),
    ("requirements", "DirReq_Agent"),
    ("testing", "DirTest_Agent"),
];

/// A folder with files and tasks; not a git repository (paths mode).
pub struct Repo {
    pub dir: tempfile::TempDir,
    /// The user's cache home for this test (verdict cache and its key), outside the
    /// repository and private to the test.
    pub cache_home: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        Repo {
            dir: tempfile::tempdir().unwrap(),
            cache_home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) -> &Repo {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    /// A task reviewing `paths` whole.
    pub fn task(&self, id: &str, paths: &[&str], extra: &str) -> &Repo {
        let list = paths
            .iter()
            .map(|p| format!("{p:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.write(
            &format!(".director/tasks/{id}.toml"),
            &format!("id = {id:?}\ntitle = \"Task {id}\"\ndescription = \"Test task\"\npaths = [{list}]\n{extra}\n"),
        )
    }

    pub fn root(&self) -> PathBuf {
        std::fs::canonicalize(self.dir.path()).unwrap()
    }
}

/// What the mock saw.
#[derive(Default)]
pub struct Seen {
    pub bodies: Vec<Value>,
    pub arrivals: Vec<(String, Instant)>,
}

/// Scripted replies per Director.
#[derive(Clone)]
pub struct Script {
    pub replies: Arc<Mutex<HashMap<String, Vec<ResponseTemplate>>>>,
    pub default: Arc<dyn Fn() -> ResponseTemplate + Send + Sync>,
    pub delay: Duration,
    pub seen: Arc<Mutex<Seen>>,
}

/// Which Director a request is for, from the persona the instruction (the first
/// user message) names; the Director prompts also name the other personas.
pub fn director_of(body: &Value) -> String {
    let text = body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|x| x["role"] == "user"))
        .and_then(|x| x["content"].as_str())
        .unwrap_or("")
        .to_string();
    PERSONAS
        .iter()
        .find(|(_, persona)| text.contains(persona))
        .map(|(name, _)| (*name).to_string())
        .unwrap_or_else(|| "unknown".into())
}

impl Respond for Script {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let director = director_of(&body);
        {
            let mut seen = self.seen.lock().unwrap();
            seen.arrivals.push((director.clone(), Instant::now()));
            seen.bodies.push(body);
        }
        let scripted = {
            let mut replies = self.replies.lock().unwrap();
            replies.get_mut(&director).and_then(|q| {
                if q.is_empty() {
                    None
                } else {
                    Some(q.remove(0))
                }
            })
        };
        // Scripted replies keep their own delay; the default one gets the server's.
        scripted.unwrap_or_else(|| (self.default)().set_delay(self.delay))
    }
}

/// An OpenAI chat completion body with `content`.
pub fn completion(content: &str, finish: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 80, "total_tokens": 1280}
    })
}

/// A 200 reply carrying a verdict.
pub fn verdict_reply(verdict: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(completion(&verdict.to_string(), "stop"))
}

/// A passing verdict with no findings.
pub fn pass_verdict() -> Value {
    json!({"verdict": "pass", "summary": "Nothing in my field stands in the way.", "findings": []})
}

/// A verdict with one finding.
pub fn finding_verdict(
    severity: &str,
    category: &str,
    path: &str,
    line: u32,
    evidence: &str,
) -> Value {
    json!({"verdict": if severity == "blocking" {"block"} else {"warn"}, "summary": "Found a problem.", "findings": [{
        "severity": severity, "category": category, "title": format!("{category} problem"),
        "resources": [], "path": path, "start_line": line, "end_line": line,
        "evidence": evidence, "recommendation": "Fix it."
    }]})
}

pub struct Provider {
    pub server: MockServer,
    pub script: Script,
}

impl Provider {
    pub async fn start(delay: Duration) -> Provider {
        let server = MockServer::start().await;
        let script = Script {
            replies: Arc::default(),
            default: Arc::new(|| verdict_reply(&pass_verdict())),
            delay,
            seen: Arc::default(),
        };
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(script.clone())
            .mount(&server)
            .await;
        Provider { server, script }
    }

    pub fn base_url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    pub fn reply(&self, director: &str, template: ResponseTemplate) {
        self.script
            .replies
            .lock()
            .unwrap()
            .entry(director.to_string())
            .or_default()
            .push(template);
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.script.seen.lock().unwrap().bodies.clone()
    }

    pub fn requests(&self) -> usize {
        self.script.seen.lock().unwrap().bodies.len()
    }

    pub fn directors_called(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .script
            .seen
            .lock()
            .unwrap()
            .arrivals
            .iter()
            .map(|(d, _)| d.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Most requests in flight at once: each is in flight from arrival until its
    /// reply leaves after the fixed delay.
    pub fn peak_concurrency(&self) -> usize {
        let seen = self.script.seen.lock().unwrap();
        let times: Vec<Instant> = seen.arrivals.iter().map(|(_, t)| *t).collect();
        times
            .iter()
            .map(|t| {
                times
                    .iter()
                    .filter(|u| **u <= *t && *t < **u + self.script.delay)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }
}

/// A verifier for `repo` talking to `provider` (or offline), with a private config home.
pub fn verifier(repo: &Repo, provider: Option<&Provider>) -> director::Verifier {
    verifier_with(repo, provider, director::Overrides::default())
}

pub fn verifier_with(
    repo: &Repo,
    provider: Option<&Provider>,
    mut overrides: director::Overrides,
) -> director::Verifier {
    overrides.write_record = overrides.write_record.or(Some(true));
    // These folders are the test's own (not git), so their `.director/` is trusted on
    // purpose; the trust boundary itself is tested in `trust.rs`.
    overrides.trust_worktree_config = overrides.trust_worktree_config.or(Some(true));
    let builder = director::Verifier::builder()
        .repo(repo.path())
        .cache_home(repo.cache_home.path())
        .overrides(overrides);
    let builder = match provider {
        Some(p) => builder.provider(p.base_url()),
        None => builder.provider(director::ProviderSpec::Offline),
    };
    builder.build().unwrap()
}

/// Run `git` in `dir` as a fixed author; panics with git's stderr on failure.
pub fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
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

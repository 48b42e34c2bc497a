//! `director eval`: measure review quality on a suite of cases instead of hoping
//! for it.
//!
//! Stages: [`Suite::load`] reads the cases → [`plan`] picks where answers come
//! from (cassettes, a live provider recorded or not, or none) → each case is
//! materialised into a temporary git repository and verified by the real
//! [`crate::Verifier`] (the same pipeline as `director verify`), its
//! provider pointed at the loopback cassette server in replay and record modes →
//! [`CaseResult::new`] scores the run record against the case's expectations →
//! [`SuiteReport::new`] aggregates. Scoring is pure ([`score`]).
//!
//! Replay never calls a live provider: a request the cassette cannot answer fails
//! that Director inside the run, and the eval as a whole then fails naming the
//! case, the Director and the request key.

pub mod cassette;
pub mod report;
pub mod score;
mod server;
pub mod suite;

pub use report::{CaseResult, SuiteReport, render_table};
pub use suite::{Case, Expected, Suite};

use crate::config::{Overrides, ResolvedConfig};
use crate::error::Error;
use crate::registry::Panel;
use crate::{EventSink, ProviderSpec, Verifier, VerifyOptions};
use cassette::{CASSETTE_VERSION, Cassette, Header, Source};
use server::{CaseTape, CassetteServer, Mode};
use tokio_util::sync::CancellationToken;

/// Replay or record, when the user chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeChoice {
    /// Answers from the cassettes only.
    Replay,
    /// Answers from the live provider, written to the cassettes.
    Record,
}

/// What `director eval` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// `--replay` / `--record`; `None` replays when any case has a cassette, else
    /// asks the configured provider live (or runs offline without one).
    pub mode: Option<ModeChoice>,
    /// `--model`.
    pub model: Option<String>,
    /// `--base-url` of the live provider.
    pub base_url: Option<String>,
    /// `--offline`: deterministic evidence only.
    pub offline: bool,
    /// `--director`: run and score this Director only.
    pub director: Option<String>,
}

/// Where the answers come from, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Cassettes.
    Replay,
    /// The live provider through the recording proxy.
    Record {
        /// Scheme, host and port of the provider.
        origin: String,
        /// Its API path, e.g. `/v1`.
        path: String,
    },
    /// The live provider, nothing stored.
    Live,
    /// No provider.
    Offline,
}

impl Plan {
    /// `replay`, `record`, `live` or `offline`.
    pub fn name(&self) -> &'static str {
        match self {
            Plan::Replay => "replay",
            Plan::Record { .. } => "record",
            Plan::Live => "live",
            Plan::Offline => "offline",
        }
    }
}

/// Decide where answers come from.
pub fn plan(suite: &Suite, opts: &EvalOptions) -> Result<Plan, Error> {
    if opts.offline {
        return Ok(Plan::Offline);
    }
    let live = || -> Result<Option<String>, Error> {
        let overrides = Overrides {
            model: opts.model.clone(),
            base_url: opts.base_url.clone(),
            ..Overrides::default()
        };
        let config = ResolvedConfig::load(None, &overrides)?;
        Ok(config
            .provider_configured()
            .then(|| crate::provider_config(&config).base_url))
    };
    match opts.mode {
        Some(ModeChoice::Replay) => Ok(Plan::Replay),
        Some(ModeChoice::Record) => {
            let url = live()?.ok_or_else(|| Error::Input {
                message: "--record needs a live provider, and none is configured".into(),
                hint: "pass --base-url http://127.0.0.1:8080/v1 (or set OPENAI_BASE_URL / OPENAI_API_KEY)".into(),
            })?;
            let (origin, path) = split_url(&url);
            Ok(Plan::Record { origin, path })
        }
        None if suite.cases.iter().any(|c| c.cassette_path().is_file()) => Ok(Plan::Replay),
        None => Ok(if live()?.is_some() {
            Plan::Live
        } else {
            Plan::Offline
        }),
    }
}

/// `https://host:1/v1/` → (`https://host:1`, `/v1`).
fn split_url(url: &str) -> (String, String) {
    let url = url.trim_end_matches('/');
    let after = url.find("://").map_or(0, |i| i + 3);
    match url[after..].find('/') {
        Some(i) => (url[..after + i].to_string(), url[after + i..].to_string()),
        None => (url.to_string(), String::new()),
    }
}

/// The chain of an error's messages, for one-line reports.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Run every case of `suite` as `plan` says; `on_case` sees each result as it comes.
pub async fn run(
    suite: &Suite,
    label: &str,
    plan: &Plan,
    opts: &EvalOptions,
    on_case: &mut (dyn FnMut(&CaseResult) + Send),
) -> Result<SuiteReport, Error> {
    let server = match plan {
        Plan::Replay => Some(CassetteServer::start(Mode::Replay).await?),
        Plan::Record { origin, .. } => Some(CassetteServer::start(record_mode(origin)?).await?),
        Plan::Live | Plan::Offline => None,
    };
    let mut results = Vec::new();
    let mut problems = Vec::new();
    for (n, case) in suite.cases.iter().enumerate() {
        let (result, tape, model) = run_case(case, n, plan, server.as_ref(), opts).await?;
        if let (Some(model), Some(tape)) = (model, tape) {
            problems.extend(tape_problems(case, &tape));
            if matches!(plan, Plan::Record { .. }) && tape.upstream_errors.is_empty() {
                save_recording(case, &model, tape, opts.director.as_deref())?;
            }
        }
        on_case(&result);
        results.push(result);
    }
    if !problems.is_empty() {
        return Err(Error::Input {
            message: format!(
                "{} request(s) had no answer:\n  {}",
                problems.len(),
                problems.join("\n  ")
            ),
            hint: "record the cassettes again with --record, or add the answer under the printed key (docs/evals.md, 'Writing answers by hand')".into(),
        });
    }
    Ok(SuiteReport::new(
        label.to_string(),
        plan.name().to_string(),
        opts.director.clone(),
        results,
    ))
}

fn record_mode(origin: &str) -> Result<Mode, Error> {
    // reqwest is built without a default TLS crypto provider; install ring's, as the
    // OpenAI provider does (a provider installed earlier is fine).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {}", chain(&e))))?;
    Ok(Mode::Record {
        origin: origin.to_string(),
        client,
    })
}

fn tape_problems(case: &Case, tape: &CaseTape) -> Vec<String> {
    let mismatches = tape.mismatches.iter().map(|m| {
        format!(
            "cassette mismatch in case `{}`: Director `{}` sent request {} that {} does not hold",
            case.name,
            m.director,
            m.key,
            case.cassette_path().display()
        )
    });
    let upstream = tape
        .upstream_errors
        .iter()
        .map(|e| format!("case `{}`: {e}", case.name));
    mismatches.chain(upstream).collect()
}

/// One case: materialise, verify, score. Returns the tape and the model asked
/// (`None` offline).
async fn run_case(
    case: &Case,
    n: usize,
    plan: &Plan,
    server: Option<&CassetteServer>,
    opts: &EvalOptions,
) -> Result<(CaseResult, Option<CaseTape>, Option<Asked>), Error> {
    let tmp = tempfile::tempdir().map_err(|e| Error::io("create", "a temporary folder", e))?;
    let root = case.materialize(tmp.path())?;
    // The case is the suite's own data, materialised here: its policy is trusted.
    let panel = Panel::load(Some(&crate::trust::TrustedPolicy::worktree(&root)?))?;
    let cassette = match plan {
        Plan::Replay if case.cassette_path().is_file() => {
            Some(Cassette::load(&case.cassette_path())?)
        }
        _ => None,
    };
    let mut overrides = Overrides {
        model: opts
            .model
            .clone()
            .or_else(|| cassette.as_ref().map(|c| c.header.model.clone())),
        write_record: Some(false),
        cache_enabled: Some(false),
        // A cassette holds chat answers, not the server's /props: with discovery the
        // probes would be requests the cassette cannot answer (and record and replay
        // could fit requests differently).
        discovery: (!matches!(plan, Plan::Live)).then_some(false),
        // Replay fits requests to the window and slots they were recorded with.
        context_window: cassette.as_ref().and_then(|c| c.header.context_window),
        max_in_flight: cassette.as_ref().and_then(|c| c.header.max_in_flight),
        ..Overrides::default()
    };
    let provider = match plan {
        Plan::Offline => Some(ProviderSpec::Offline),
        Plan::Live => {
            overrides.base_url = opts.base_url.clone();
            None
        }
        Plan::Replay | Plan::Record { .. } => None,
    };
    // The model as configuration resolves it, to tell the cassette server, and the
    // window and slots a recording is fitted to.
    let provider_section = ResolvedConfig::load(None, &overrides)?.config.provider;
    let model = provider_section.model.clone();
    let url = server.map(|s| {
        let tape = CaseTape {
            model: model.clone(),
            panel: panel
                .directors()
                .iter()
                .map(|d| (d.name().to_string(), d.def.display_name.clone()))
                .collect(),
            entries: cassette.map(|c| c.entries).unwrap_or_default(),
            ..CaseTape::default()
        };
        let path = match plan {
            Plan::Record { path, .. } => path.as_str(),
            _ => "/v1",
        };
        s.open(n, tape, path)
    });
    let mut builder = Verifier::builder().repo(&root).overrides(overrides);
    if let Some(p) = provider.or(url.map(ProviderSpec::BaseUrl)) {
        builder = builder.provider(p);
    }
    let verifier = builder.build()?;
    let mut options = VerifyOptions {
        directors: opts.director.iter().cloned().collect(),
        ..VerifyOptions::default()
    };
    if case.task.paths.is_empty() {
        options.base = Some("base".into());
        options.head = Some("head".into());
    }
    let record = verifier
        .verify_with(
            case.task.clone(),
            &options,
            &EventSink::none(),
            &CancellationToken::new(),
        )
        .await;
    let tape = server.map(|s| s.close(n));
    let record = record?;
    let expected = assign_directors(&case.expected.findings, &panel);
    let result = CaseResult::new(
        &case.name,
        case.expected.decision,
        case.expected.directors.as_deref(),
        expected,
        &record,
        opts.director.as_deref(),
    );
    let asked = (*plan != Plan::Offline).then_some(Asked {
        model,
        context_window: provider_section.context_window,
        max_in_flight: provider_section.max_in_flight,
    });
    Ok((result, tape, asked))
}

/// What a case asked of the provider: the model, and the window and slots its
/// requests were fitted to (a recording's header keeps them).
struct Asked {
    model: String,
    context_window: Option<u32>,
    max_in_flight: Option<usize>,
}

/// Expectations with their Director: the one named, else the one owning the category.
fn assign_directors(
    expected: &[score::ExpectedFinding],
    panel: &Panel,
) -> Vec<score::ExpectedFinding> {
    expected
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if e.director.is_none() {
                e.director = panel
                    .directors()
                    .iter()
                    .find(|d| d.def.owns.contains(&e.category))
                    .map(|d| d.name().to_string());
            }
            e
        })
        .collect()
}

/// Write what a case recorded as its cassette (atomically). With `--director`, the
/// other Directors' stored answers are kept.
fn save_recording(
    case: &Case,
    asked: &Asked,
    tape: CaseTape,
    only: Option<&str>,
) -> Result<(), Error> {
    let path = case.cassette_path();
    let mut entries = Vec::new();
    if let Some(only) = only
        && path.is_file()
    {
        let old = Cassette::load(&path)?;
        entries.extend(old.entries.into_iter().filter(|e| e.director != only));
    }
    entries.extend(tape.recorded);
    let cassette = Cassette {
        header: Header {
            cassette: CASSETTE_VERSION,
            model: asked.model.clone(),
            source: Source::Recorded,
            recorded_at: Some(crate::now_rfc3339()),
            note: None,
            context_window: asked.context_window,
            max_in_flight: asked.max_in_flight,
        },
        entries,
    };
    crate::store::write_atomic(&path, cassette.to_jsonl().as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_split_into_origin_and_api_path() {
        assert_eq!(
            super::split_url("http://127.0.0.1:8080/v1/"),
            ("http://127.0.0.1:8080".into(), "/v1".into())
        );
        assert_eq!(
            super::split_url("https://h.example"),
            ("https://h.example".into(), String::new())
        );
        assert_eq!(
            super::split_url("https://r.openai.azure.com/openai/deployments/x"),
            (
                "https://r.openai.azure.com".into(),
                "/openai/deployments/x".into()
            )
        );
    }
}

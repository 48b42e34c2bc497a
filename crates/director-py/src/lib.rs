//! `director._director`: the native half of the `director` Python package (PyO3). It
//! owns one multi-threaded tokio runtime for the process, releases the GIL while a
//! verification runs (`Python::detach`), and hands results to Python as run-record
//! JSON — the Python half (`python/director/`) wraps them in `Record`, maps errors
//! to the `DirectorError` hierarchy and builds `as_tool()`.
//!
//! `verify_background` is how `averify` is awaitable without a second async runtime
//! crate: the verification runs as a task on the extension's runtime and, when it
//! ends (a panic included), calls back into Python, where the callback settles an
//! `asyncio` future with `loop.call_soon_threadsafe`. Any event loop with that method
//! works, and the package depends on nothing but CPython.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::OnceLock;

pyo3::create_exception!(
    _director,
    NativeError,
    PyException,
    "A director error: args are (kind, message, hint); the Python package re-raises it as a DirectorError subclass."
);

/// The extension's runtime, started on first use and kept for the process.
fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("director")
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| {
            NativeError::new_err((
                "internal",
                format!("failed to start the async runtime: {e}"),
                None::<String>,
            ))
        })
}

/// (kind, message with its causes, hint) of a director error.
fn describe(e: &director::Error) -> (&'static str, String, Option<String>) {
    let kind = match e {
        director::Error::Config { .. } | director::Error::Director { .. } => "config",
        director::Error::Input { .. } | director::Error::Context(_) => "input",
        director::Error::Provider(_) => "provider",
        director::Error::Io { .. } => "io",
        director::Error::Internal(_) => "internal",
    };
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    (kind, message, e.hint())
}

fn to_py(e: &director::Error) -> PyErr {
    NativeError::new_err(describe(e))
}

/// `config=` of `Verifier`: the command-line layer of configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigOverrides {
    timeout_secs: Option<u64>,
    max_concurrency: Option<usize>,
    cache: Option<bool>,
    budget_tokens: Option<u64>,
    budget_usd: Option<f64>,
    on_incomplete: Option<director::core::OnIncomplete>,
    write_record: Option<bool>,
}

fn overrides(config_json: Option<&str>) -> Result<director::Overrides, director::Error> {
    let c: ConfigOverrides = match config_json {
        Some(text) => serde_json::from_str(text).map_err(|e| director::Error::Config {
            message: format!("Verifier(config=…): {e}"),
            hint: "keys: timeout_secs, max_concurrency, cache, budget_tokens, budget_usd, on_incomplete (\"fail\" or \"pass-with-warning\"), write_record".into(),
        })?,
        None => ConfigOverrides::default(),
    };
    Ok(director::Overrides {
        timeout_secs: c.timeout_secs,
        max_concurrency: c.max_concurrency,
        cache_enabled: c.cache,
        budget_tokens: c.budget_tokens,
        budget_usd: c.budget_usd,
        on_incomplete: c.on_incomplete,
        write_record: c.write_record,
        ..director::Overrides::default()
    })
}

/// Verify a task given by id or as task JSON; the record as JSON.
async fn verify(
    verifier: director::Verifier,
    task_id: Option<String>,
    task_json: Option<String>,
) -> Result<String, director::Error> {
    let task = match (task_id, task_json) {
        (_, Some(json)) => director::tasks::parse_task_json(&json, "the Python Task")?,
        (Some(id), None) => verifier.load_task(&id)?,
        (None, None) => {
            return Err(director::Error::Input {
                message: "no task given".into(),
                hint: "pass a task id (`.director/tasks/<id>.toml`) or a director.Task".into(),
            });
        }
    };
    let record = verifier.verify(task).await?;
    serde_json::to_string(&record).map_err(|e| director::Error::Internal(e.to_string()))
}

/// Run `verify` as its own task so that a panic is an error, not a lost result.
async fn verify_guarded(
    verifier: director::Verifier,
    task_id: Option<String>,
    task_json: Option<String>,
) -> Result<String, director::Error> {
    tokio::spawn(verify(verifier, task_id, task_json))
        .await
        .unwrap_or_else(|e| {
            Err(director::Error::Internal(format!(
                "the verification panicked: {e}"
            )))
        })
}

/// The native verifier behind `director.Verifier`.
#[pyclass(module = "director._director", frozen)]
struct NativeVerifier {
    inner: director::Verifier,
}

#[pymethods]
impl NativeVerifier {
    #[new]
    #[pyo3(signature = (repo=None, model=None, base_url=None, offline=false, config_json=None))]
    fn new(
        py: Python<'_>,
        repo: Option<PathBuf>,
        model: Option<String>,
        base_url: Option<String>,
        offline: bool,
        config_json: Option<String>,
    ) -> PyResult<NativeVerifier> {
        let rt = runtime()?;
        let built = py.detach(|| {
            let _guard = rt.enter();
            let mut overrides = overrides(config_json.as_deref())?;
            overrides.model = model;
            let mut builder = director::Verifier::builder();
            if let Some(repo) = repo {
                builder = builder.repo(repo);
            }
            if offline {
                builder = builder.provider(director::ProviderSpec::Offline);
            } else if let Some(url) = base_url {
                builder = builder.provider(url);
            }
            builder.overrides(overrides).build()
        });
        built
            .map(|inner| NativeVerifier { inner })
            .map_err(|e| to_py(&e))
    }

    /// The repository root.
    fn repo_root(&self) -> String {
        self.inner.repo_root().display().to_string()
    }

    /// Verify and return the run record as JSON; the GIL is released meanwhile.
    #[pyo3(signature = (task_id=None, task_json=None))]
    fn verify(
        &self,
        py: Python<'_>,
        task_id: Option<String>,
        task_json: Option<String>,
    ) -> PyResult<String> {
        let rt = runtime()?;
        let verifier = self.inner.clone();
        py.detach(|| rt.block_on(verify_guarded(verifier, task_id, task_json)))
            .map_err(|e| to_py(&e))
    }

    /// Verify on the extension's runtime; `callback(error, record_json)` is called
    /// once when it ends: `error` is None or (kind, message, hint).
    #[pyo3(signature = (callback, task_id=None, task_json=None))]
    fn verify_background(
        &self,
        callback: Py<PyAny>,
        task_id: Option<String>,
        task_json: Option<String>,
    ) -> PyResult<()> {
        let rt = runtime()?;
        let verifier = self.inner.clone();
        rt.spawn(async move {
            let result = verify_guarded(verifier, task_id, task_json).await;
            Python::attach(|py| {
                let called = match result {
                    Ok(json) => {
                        callback.call1(py, (None::<(String, String, Option<String>)>, Some(json)))
                    }
                    Err(e) => callback.call1(py, (Some(describe(&e)), None::<String>)),
                };
                if let Err(e) = called {
                    // Nothing else can receive it: Python prints it as unraisable.
                    e.write_unraisable(py, None);
                }
            });
        });
        Ok(())
    }
}

/// The version of the native extension (the director workspace version).
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _director(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeVerifier>()?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}

//! A verification's setup: the trusted policy (`crate::trust`) plus what is built from
//! it — the chat model, the verdict cache and where records go (`crate::storage`). A verifier keeps one setup per trusted
//! source it has met (usually one: the base commit all its tasks share).

use crate::config::{self, ResolvedConfig};
use crate::error::Error;
use crate::trust::Policy;
use director_llm::{ChatModel, OpenAiProvider, ProviderConfig};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Where the Directors' replies come from.
#[derive(Clone)]
pub enum ProviderSpec {
    /// An OpenAI-compatible base URL; everything else from configuration.
    BaseUrl(String),
    /// A ready chat model (e.g. a custom `ChatModel` implementation).
    Model(Arc<dyn ChatModel>),
    /// No provider: deterministic evidence only.
    Offline,
}

impl std::fmt::Debug for ProviderSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProviderSpec::BaseUrl(u) => write!(f, "BaseUrl({u})"),
            ProviderSpec::Model(_) => f.write_str("Model(..)"),
            ProviderSpec::Offline => f.write_str("Offline"),
        }
    }
}

impl From<&str> for ProviderSpec {
    fn from(url: &str) -> Self {
        ProviderSpec::BaseUrl(url.to_string())
    }
}

impl From<String> for ProviderSpec {
    fn from(url: String) -> Self {
        ProviderSpec::BaseUrl(url)
    }
}

impl From<Arc<dyn ChatModel>> for ProviderSpec {
    fn from(model: Arc<dyn ChatModel>) -> Self {
        ProviderSpec::Model(model)
    }
}

/// The policy of a verification and the model and cache built from it.
pub(crate) struct Setup {
    /// Configuration, panel, baseline and where they came from.
    pub policy: Policy,
    /// The model Directors talk to (`None`: offline).
    pub model: Option<Arc<dyn ChatModel>>,
    /// The verdict cache (`None`: off) and the record store.
    pub storage: crate::storage::Storage,
}

impl Setup {
    /// Build the model and cache for `policy`. `slots` is the concurrency cap every
    /// provider of the verifier draws from.
    pub(crate) fn build(
        policy: Policy,
        spec: Option<&ProviderSpec>,
        slots: &Arc<Semaphore>,
        repo_root: &Path,
        cache_home: Option<&Path>,
    ) -> Result<Setup, Error> {
        let resolved = &policy.config;
        let model: Option<Arc<dyn ChatModel>> = match spec {
            Some(ProviderSpec::Model(m)) => Some(m.clone()),
            Some(ProviderSpec::Offline) => None,
            _ if resolved.provider_configured() => {
                let provider = provider_config(resolved);
                let limiter = Arc::new(director_llm::Limiter::with_shared_concurrency(
                    provider.limits,
                    slots.clone(),
                ));
                Some(Arc::new(
                    OpenAiProvider::with_limiter(provider, limiter).map_err(Error::Provider)?,
                ))
            }
            _ => None,
        };
        let storage = crate::storage::open(resolved, repo_root, cache_home)?;
        Ok(Setup {
            policy,
            model,
            storage,
        })
    }

    /// The model the Directors of this run talk to: `None` offline. A model handed to
    /// the builder counts as configured even without `[provider]` settings; only an
    /// explicit offline switch overrides it.
    pub(crate) fn reviewing_model(&self) -> Option<Arc<dyn ChatModel>> {
        self.model
            .clone()
            .filter(|_| !self.policy.config.config.provider.offline)
    }
}

/// The provider settings from configuration.
pub fn provider_config(resolved: &ResolvedConfig) -> ProviderConfig {
    let p = &resolved.config.provider;
    let l = &resolved.config.limits;
    let mut cfg = ProviderConfig::new(
        p.base_url
            .clone()
            .unwrap_or_else(|| director_llm::DEFAULT_BASE_URL.into()),
        p.model.clone(),
    );
    cfg.api_key = resolved.api_key.clone();
    cfg.structured_output = match p.structured_output {
        config::StructuredOutputSetting::Auto => None,
        config::StructuredOutputSetting::JsonSchema => {
            Some(director_llm::StructuredOutput::JsonSchema)
        }
        config::StructuredOutputSetting::JsonObject => {
            Some(director_llm::StructuredOutput::JsonObject)
        }
        config::StructuredOutputSetting::Text => Some(director_llm::StructuredOutput::Text),
    };
    cfg.request_timeout = Duration::from_secs(p.request_timeout_secs.max(1));
    cfg.stream = p.stream;
    cfg.stall_timeout = Duration::from_secs(p.stall_timeout_secs.max(1));
    cfg.discovery = director_llm::DiscoveryConfig {
        enabled: p.discovery,
        context_window: p.context_window,
        max_in_flight: p.max_in_flight,
        cache_dir: director_llm::discovery::user_cache_dir(),
        ttl: Duration::from_secs(p.discovery_ttl_secs),
        ..director_llm::DiscoveryConfig::default()
    };
    cfg.retry.max_retries = p.max_retries;
    cfg.retry.initial_backoff = Duration::from_millis(p.initial_backoff_ms);
    cfg.retry.max_retry_after = Duration::from_secs(p.max_retry_after_secs);
    cfg.limits.max_concurrency = l.max_concurrency.max(1);
    cfg.limits.requests_per_minute = l.requests_per_minute;
    cfg.limits.tokens_per_minute = l.tokens_per_minute;
    cfg.limits.circuit_breaker_threshold = l.circuit_breaker_threshold;
    cfg.limits.circuit_breaker_cooldown = Duration::from_secs(l.circuit_breaker_cooldown_secs);
    if let Some(version) = &p.azure_api_version {
        cfg.azure = Some(director_llm::AzureConfig {
            api_version: version.clone(),
            deployment: p
                .azure_deployment
                .clone()
                .unwrap_or_else(|| p.model.clone()),
        });
    }
    cfg
}

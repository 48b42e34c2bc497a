//! [`OpenAiProvider`]: the [`ChatModel`] for every OpenAI-compatible server (OpenAI,
//! Azure OpenAI, vLLM, llama.cpp's `llama-server`, Ollama), built on async-openai.
//!
//! Requests are async-openai's own request types; the HTTP layer is our
//! retry service in `transport` (async-openai's retry switched off through its `middleware`
//! feature). Responses are read with the `byot` entry point into lenient types of
//! our own, because local servers omit fields async-openai's strict types require
//! (`id`, `created`, `object`) and send finish reasons it does not know; an empty
//! `choices` list is reported, not turned into a parse error.
//!
//! Answers are streamed (`stream: true`, with the usage in the final chunk where the
//! server supports it) and folded back into one completion by the transport. The
//! provider knows its server once [`ChatModel::profile`] has asked it (see
//! `discovery`): from then on it sends no more requests at once than the server has
//! slots (or `max_in_flight`), and llama-server gets `cache_prompt` so that a re-sent
//! attempt reuses the prompt it already processed.

use crate::config::{DEFAULT_BASE_URL, DiscoveryConfig, ProviderConfig, TokenLimitField};
use crate::discovery::{self, ModelProfile, Prober, ServerFacts, ServerKind};
use crate::error::LlmError;
use crate::limiter::Limiter;
use crate::model::{
    ChatMessage, ChatModel, ChatRequest, ChatResponse, FinishReason, ProviderInfo, ResponseMode,
    StructuredOutput, ToolCall,
};
use crate::transport::{
    CallContext, MAX_MESSAGE_CHARS, Redactor, RetryService, TransportSettings, error_chain,
    same_origin_redirects, truncate,
};
use async_openai::Client;
use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, ChatCompletionStreamOptions, ChatCompletionTool,
    ChatCompletionTools, CreateChatCompletionRequest, FunctionCall, FunctionObject, ResponseFormat,
    ResponseFormatJsonSchema,
};
use director_core::Usage;
use futures::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Once, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// An OpenAI-compatible chat-completions endpoint.
pub struct OpenAiProvider {
    client: Client<Box<dyn Config>>,
    info: ProviderInfo,
    token_limit_field: TokenLimitField,
    limiter: Arc<Limiter>,
    redactor: Redactor,
    /// The HTTP client and headers discovery probes use (same origin, same key).
    http: reqwest::Client,
    probe_headers: HeaderMap,
    discovery: DiscoveryConfig,
    /// The configured structured-output mode; `None` is `auto`.
    structured: Option<StructuredOutput>,
    stream: bool,
    /// The server's kind once known (hosted APIs from the URL, others by discovery).
    kind: OnceLock<ServerKind>,
    /// Requests in flight at once to this server: its slots, or `max_in_flight`.
    in_flight: OnceLock<Arc<Semaphore>>,
    /// Profiles discovered by this provider, by model.
    profiles: tokio::sync::Mutex<HashMap<String, ModelProfile>>,
}

impl std::fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiProvider")
            .field("info", &self.info)
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl OpenAiProvider {
    /// A provider with its own [`Limiter`] built from `config.limits`.
    pub fn new(config: ProviderConfig) -> Result<OpenAiProvider, LlmError> {
        let limiter = Arc::new(Limiter::new(config.limits));
        OpenAiProvider::with_limiter(config, limiter)
    }

    /// A provider that shares `limiter` with other providers and tasks
    /// (`config.limits` is then ignored).
    pub fn with_limiter(
        config: ProviderConfig,
        limiter: Arc<Limiter>,
    ) -> Result<OpenAiProvider, LlmError> {
        let base_url = validate_base_url(&config.base_url)?;
        if config.model.trim().is_empty() && config.azure.is_none() {
            return Err(config_error(
                "model is empty; hint: set a model name (e.g. DIRECTOR_MODEL=gpt-4o-mini)",
            ));
        }
        if config.request_timeout.is_zero() {
            return Err(config_error(
                "request_timeout is zero; hint: give a per-attempt timeout such as 120s",
            ));
        }
        let key = config.api_key.clone().filter(|k| !k.trim().is_empty());
        if let Some(key) = &key
            && HeaderValue::from_str(&format!("Bearer {key}")).is_err()
        {
            return Err(config_error(
                "the API key contains characters not allowed in an HTTP header; hint: check OPENAI_API_KEY for stray newlines or quotes",
            ));
        }
        let extra_headers = parse_headers(&config.extra_headers)?;
        install_crypto_provider();
        let mut http = reqwest::Client::builder()
            .connect_timeout(config.request_timeout.min(Duration::from_secs(30)))
            .redirect(same_origin_redirects());
        if discovery::hosted_kind(&base_url, config.azure.is_some()).is_none() {
            // A self-hosted server may close a kept-alive connection at its own limit
            // (llama-server: after 5 requests or 5 idle seconds) just as the next
            // request is written on it, which then fails having maybe been received
            // — an attempt lost for nothing. Against such servers (loopback or LAN;
            // a connection costs microseconds next to an answer's seconds) every
            // request opens its own connection.
            http = http.pool_max_idle_per_host(0);
        }
        let http = http.build().map_err(|e| {
            config_error(&format!(
                "cannot build the HTTP client: {}",
                error_chain(&e)
            ))
        })?;

        let (api_config, credential_header): (Box<dyn Config>, HeaderName) = match &config.azure {
            Some(azure) => (
                Box::new(
                    AzureConfig::new()
                        .with_api_base(base_url.clone())
                        .with_api_key(key.clone().unwrap_or_default())
                        .with_api_version(azure.api_version.clone())
                        .with_deployment_id(azure.deployment.clone()),
                ),
                HeaderName::from_static("api-key"),
            ),
            None => (
                Box::new(
                    // Cleared so OPENAI_ORG_ID / OPENAI_PROJECT_ID are not read behind the
                    // configuration's back; send them as extra headers if needed.
                    OpenAIConfig::new()
                        .with_org_id("")
                        .with_project_id("")
                        .with_api_base(base_url.clone())
                        .with_api_key(key.clone().unwrap_or_default()),
                ),
                AUTHORIZATION,
            ),
        };
        let mut probe_headers = extra_headers.clone();
        if let Some(key) = &key {
            let value = if config.azure.is_some() {
                HeaderValue::from_str(key)
            } else {
                HeaderValue::from_str(&format!("Bearer {key}"))
            };
            if let Ok(mut value) = value {
                value.set_sensitive(true);
                probe_headers.insert(credential_header.clone(), value);
            }
        }
        let mut secrets: Vec<String> = key.iter().cloned().collect();
        secrets.extend(config.extra_headers.iter().map(|(_, v)| v.clone()));
        let redactor = Redactor::new(secrets);
        let service = RetryService::new(
            ReqwestService::new(http.clone()),
            TransportSettings {
                policy: config.retry,
                attempt_timeout: config.request_timeout,
                stall_timeout: config.stall_timeout.max(Duration::from_millis(1)),
                stream: config.stream,
                max_response_bytes: config.max_response_bytes.max(1024),
                limiter: Arc::clone(&limiter),
                extra_headers,
                strip_header: key.is_none().then_some(credential_header),
                redactor: redactor.clone(),
            },
        );
        let client = Client::build(http.clone(), api_config).with_http_service(service);
        let token_limit_field = match config.token_limit_field {
            TokenLimitField::Auto
                if config.azure.is_some() || base_url.starts_with(DEFAULT_BASE_URL) =>
            {
                TokenLimitField::MaxCompletionTokens
            }
            TokenLimitField::Auto => TokenLimitField::MaxTokens,
            explicit => explicit,
        };
        let kind = OnceLock::new();
        if let Some(hosted) = discovery::hosted_kind(&base_url, config.azure.is_some()) {
            let _ = kind.set(hosted);
        }
        let in_flight = OnceLock::new();
        if let Some(n) = config.discovery.max_in_flight {
            let _ = in_flight.set(Arc::new(Semaphore::new(n.max(1))));
        }
        Ok(OpenAiProvider {
            client,
            info: ProviderInfo {
                base_url,
                default_model: config.model,
                structured_output: config
                    .structured_output
                    .unwrap_or(StructuredOutput::JsonSchema),
            },
            token_limit_field,
            limiter,
            redactor,
            http,
            probe_headers,
            discovery: config.discovery,
            structured: config.structured_output,
            stream: config.stream,
            kind,
            in_flight,
            profiles: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Learn what the server says about `model` (see `discovery`), from the cache
    /// file when it is fresh; the configuration's overrides applied.
    async fn discover(&self, model: &str) -> ModelProfile {
        let base = self.info.base_url.as_str();
        let hosted = self
            .kind
            .get()
            .copied()
            .filter(|k| matches!(k, ServerKind::OpenAi | ServerKind::Azure));
        let cache_dir = self.discovery.cache_dir.as_deref();
        let ttl = self.discovery.ttl;
        let mut from_cache = false;
        let facts = if let Some(kind) = hosted {
            ServerFacts::new(kind)
        } else if !self.discovery.enabled {
            let mut facts = ServerFacts::new(ServerKind::Unknown);
            facts.notes.push("discovery is switched off".into());
            facts
        } else if let Some(facts) = cache_dir.and_then(|d| discovery::cached(d, base, model, ttl)) {
            from_cache = true;
            facts
        } else {
            let prober = Prober {
                http: &self.http,
                base_url: base,
                headers: &self.probe_headers,
                timeout: self.discovery.probe_timeout,
            };
            let facts = prober.facts(model).await;
            if let Some(dir) = cache_dir {
                discovery::store(dir, base, model, &facts, ttl);
            }
            facts
        };
        let mut profile =
            ModelProfile::resolve(base, model, facts, &self.discovery, self.structured);
        profile.from_cache = from_cache;
        profile
    }

    /// The cap on requests in flight to this server (none until a profile says so).
    fn in_flight(&self) -> Arc<Semaphore> {
        Arc::clone(
            self.in_flight
                .get_or_init(|| Arc::new(Semaphore::new(Semaphore::MAX_PERMITS))),
        )
    }

    /// The limiter this provider admits its requests through.
    pub fn limiter(&self) -> Arc<Limiter> {
        Arc::clone(&self.limiter)
    }

    fn wire_request(&self, request: &ChatRequest) -> WireRequest {
        let model = if request.model.trim().is_empty() {
            self.info.default_model.clone()
        } else {
            request.model.clone()
        };
        let mut wire = CreateChatCompletionRequest {
            model,
            messages: wire_messages(&request.messages),
            temperature: request.temperature,
            response_format: match &request.response_format {
                ResponseMode::JsonSchema { name, schema } => Some(ResponseFormat::JsonSchema {
                    json_schema: ResponseFormatJsonSchema {
                        description: None,
                        name: name.clone(),
                        schema: schema.clone(),
                        strict: Some(true),
                    },
                }),
                ResponseMode::JsonObject => Some(ResponseFormat::JsonObject),
                ResponseMode::Text => None,
            },
            ..CreateChatCompletionRequest::default()
        };
        match self.token_limit_field {
            TokenLimitField::MaxCompletionTokens => {
                wire.max_completion_tokens = request.max_tokens;
            }
            TokenLimitField::MaxTokens | TokenLimitField::Auto => {
                // Local servers (llama.cpp, Ollama, older vLLM) only read `max_tokens`.
                #[expect(deprecated, reason = "the field non-OpenAI servers understand")]
                {
                    wire.max_tokens = request.max_tokens;
                }
            }
        }
        let kind = self.kind.get().copied().unwrap_or(ServerKind::Unknown);
        if self.stream {
            wire.stream = Some(true);
            // Azure rejects `stream_options` in older API versions; the usage is
            // estimated there when the stream carries none.
            if kind != ServerKind::Azure {
                wire.stream_options = Some(ChatCompletionStreamOptions {
                    include_usage: Some(true),
                    include_obfuscation: None,
                });
            }
        }
        if !request.tools.is_empty() {
            wire.tools = Some(
                request
                    .tools
                    .iter()
                    .map(|t| {
                        ChatCompletionTools::Function(ChatCompletionTool {
                            function: FunctionObject {
                                name: t.name.clone(),
                                description: Some(t.description.clone()),
                                parameters: Some(t.parameters.clone()),
                                strict: None,
                            },
                        })
                    })
                    .collect(),
            );
        }
        WireRequest {
            // llama-server keeps the slot's processed prompt, so a re-sent attempt
            // with the same prefix skips re-evaluating it.
            cache_prompt: (kind == ServerKind::LlamaCpp).then_some(true),
            base: wire,
        }
    }

    fn map_error(&self, error: OpenAIError, attempts: u32) -> LlmError {
        match error {
            OpenAIError::Boxed(boxed) => match boxed.downcast::<LlmError>() {
                Ok(error) => *error,
                Err(other) => LlmError::Connection {
                    message: self.redactor.apply(&error_chain(other.as_ref())),
                    attempts,
                },
            },
            OpenAIError::JSONDeserialize(e, body) => LlmError::Deserialize {
                message: format!(
                    "{e}; body starts with: {}",
                    self.redactor.apply(&truncate(body.trim(), 200))
                ),
                attempts,
            },
            OpenAIError::Reqwest(e) => LlmError::Connection {
                message: self.redactor.apply(&error_chain(&e)),
                attempts,
            },
            OpenAIError::ApiError(api) => LlmError::Http {
                status: api.status_code.as_u16(),
                message: self.redactor.apply(&api.api_error.message),
                attempts,
            },
            other => LlmError::Config {
                reason: self.redactor.apply(&other.to_string()),
            },
        }
    }
}

impl ChatModel for OpenAiProvider {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, LlmError>> {
        Box::pin(async move {
            // The server's own cap first, then the process-wide slot: a trial call of a
            // half-open circuit must not sit in either queue.
            let _server = self
                .in_flight()
                .acquire_owned()
                .await
                .map_err(|_| config_error("the provider's in-flight semaphore was closed"))?;
            let _slot = self.limiter.acquire_slot().await?;
            let guard = self.limiter.begin_call()?;
            let context = CallContext::new(request.estimated_tokens());
            let wire = self.wire_request(request);
            let chat = self.client.chat();
            let result = context
                .scope(chat.create_byot::<_, WireResponse>(wire))
                .await;
            let attempts = context.attempts();
            let result = match result {
                Ok(wire) => wire.into_response(attempts, &self.redactor),
                Err(e) => Err(self.map_error(e, attempts)),
            };
            guard.finish(&result);
            result
        })
    }

    fn info(&self) -> ProviderInfo {
        self.info.clone()
    }

    fn profile<'a>(&'a self, model: &'a str) -> BoxFuture<'a, ModelProfile> {
        Box::pin(async move {
            let model = if model.trim().is_empty() {
                self.info.default_model.as_str()
            } else {
                model
            };
            let mut profiles = self.profiles.lock().await;
            if let Some(profile) = profiles.get(model) {
                return profile.clone();
            }
            let profile = self.discover(model).await;
            let _ = self.kind.set(profile.facts.kind);
            if let Some(cap) = profile.max_in_flight {
                // The first profile sizes the cap; a provider already in use keeps its own.
                let _ = self.in_flight.set(Arc::new(Semaphore::new(cap)));
            }
            tracing::debug!(
                model,
                kind = profile.facts.kind.as_str(),
                window = ?profile.context_window,
                slots = ?profile.facts.slots,
                "discovered the model's server"
            );
            profiles.insert(model.to_string(), profile.clone());
            profile
        })
    }
}

fn config_error(reason: &str) -> LlmError {
    LlmError::Config {
        reason: reason.to_string(),
    }
}

fn validate_base_url(raw: &str) -> Result<String, LlmError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|e| {
        config_error(&format!(
            "base_url `{trimmed}` is not a URL ({e}); hint: use e.g. http://localhost:8080/v1"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config_error(&format!(
            "base_url `{trimmed}` must use http or https"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config_error(
            "base_url must not carry credentials; hint: put the key in OPENAI_API_KEY",
        ));
    }
    Ok(trimmed.to_string())
}

fn parse_headers(pairs: &[(String, String)]) -> Result<HeaderMap, LlmError> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            config_error(&format!(
                "extra header name `{name}` is not a valid HTTP header name"
            ))
        })?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            config_error(&format!(
                "the value of extra header `{name}` has characters not allowed in HTTP headers"
            ))
        })?;
        map.insert(header, value);
    }
    Ok(map)
}

/// Install rustls' ring crypto provider once per process (reqwest is built with
/// `rustls-no-provider`). Another crate may have installed one first; that is fine.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error only means a provider is already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The conversation on the wire, with consecutive system messages joined into one
/// (a blank line between them). Many chat templates accept a single leading system
/// message: Gemma's, for one, raises "Conversation roles must alternate" and
/// llama.cpp's `llama-server` answers 400 to `[system, system, user]`. The texts keep
/// their order, so a prefix shared by several Directors stays a prefix.
fn wire_messages(messages: &[ChatMessage]) -> Vec<ChatCompletionRequestMessage> {
    let mut wire = Vec::with_capacity(messages.len());
    let mut system: Option<String> = None;
    for message in messages {
        if let ChatMessage::System(text) = message {
            match &mut system {
                Some(joined) => {
                    joined.push_str("\n\n");
                    joined.push_str(text);
                }
                None => system = Some(text.clone()),
            }
            continue;
        }
        if let Some(text) = system.take() {
            wire.push(system_message(text));
        }
        wire.push(wire_message(message));
    }
    if let Some(text) = system {
        wire.push(system_message(text));
    }
    wire
}

fn system_message(text: String) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
        content: ChatCompletionRequestSystemMessageContent::Text(text),
        name: None,
    })
}

fn wire_message(message: &ChatMessage) -> ChatCompletionRequestMessage {
    match message {
        ChatMessage::System(text) => system_message(text.clone()),
        ChatMessage::User(text) => {
            ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                content: ChatCompletionRequestUserMessageContent::Text(text.clone()),
                name: None,
            })
        }
        ChatMessage::Assistant {
            content,
            tool_calls,
        } => ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
            content: content
                .clone()
                .map(ChatCompletionRequestAssistantMessageContent::Text),
            tool_calls: (!tool_calls.is_empty()).then(|| {
                tool_calls
                    .iter()
                    .map(|c| {
                        ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                            id: c.id.clone(),
                            function: FunctionCall {
                                name: c.name.clone(),
                                arguments: c.arguments.clone(),
                            },
                        })
                    })
                    .collect()
            }),
            ..ChatCompletionRequestAssistantMessage::default()
        }),
        ChatMessage::Tool { call_id, content } => {
            ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
                content: ChatCompletionRequestToolMessageContent::Text(content.clone()),
                tool_call_id: call_id.clone(),
            })
        }
    }
}

/// A request on the wire: OpenAI's fields plus the server-specific ones.
#[derive(Debug, Serialize)]
struct WireRequest {
    #[serde(flatten)]
    base: CreateChatCompletionRequest,
    /// llama-server: reuse the slot's processed prompt prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_prompt: Option<bool>,
}

/// A chat completion as any OpenAI-compatible server sends it; every field optional.
#[derive(Debug, Deserialize)]
struct WireResponse {
    #[serde(default)]
    choices: Option<Vec<WireChoice>>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
    /// Some proxies answer 200 with an error object instead of a completion.
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct WireChoice {
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<serde_json::Value>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Debug, Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Debug, Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<WirePromptDetails>,
}

#[derive(Debug, Deserialize)]
struct WirePromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

impl WireResponse {
    fn into_response(self, attempts: u32, redactor: &Redactor) -> Result<ChatResponse, LlmError> {
        let choices = self.choices.unwrap_or_default();
        if choices.is_empty()
            && let Some(error) = self.error
        {
            let text = error
                .pointer("/message")
                .and_then(serde_json::Value::as_str)
                .map_or_else(|| error.to_string(), str::to_string);
            return Err(LlmError::Http {
                status: 200,
                message: redactor.apply(&truncate(&text, MAX_MESSAGE_CHARS)),
                attempts,
            });
        }
        let usage = self.usage.and_then(|u| {
            // A usage object without token counts is as good as none.
            let (prompt, completion) = (u.prompt_tokens?, u.completion_tokens.unwrap_or(0));
            Some(Usage {
                requests: 1,
                prompt_tokens: prompt,
                cached_prompt_tokens: u
                    .prompt_tokens_details
                    .and_then(|d| d.cached_tokens)
                    .unwrap_or(0),
                completion_tokens: completion,
                cost_usd: None,
            })
        });
        let count = choices.len();
        let first = choices.into_iter().next();
        let finish_reason = first
            .as_ref()
            .and_then(|c| c.finish_reason.as_deref())
            .map(FinishReason::from_wire);
        let message = first.and_then(|c| c.message);
        let (content, refusal, tool_calls) = match message {
            None => (None, None, Vec::new()),
            Some(m) => (
                m.content.as_ref().and_then(content_text),
                m.refusal.filter(|r| !r.trim().is_empty()),
                m.tool_calls
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, c)| {
                        let function = c.function?;
                        Some(ToolCall {
                            id: c.id.unwrap_or_else(|| format!("call_{i}")),
                            name: function.name.unwrap_or_default(),
                            arguments: match function.arguments {
                                Some(serde_json::Value::String(s)) => s,
                                Some(other) => other.to_string(),
                                None => "{}".to_string(),
                            },
                        })
                    })
                    .collect(),
            ),
        };
        Ok(ChatResponse {
            content,
            refusal,
            tool_calls,
            finish_reason,
            usage,
            model: self.model,
            choices: count,
            attempts,
        })
    }
}

/// Message content as text: a string, or the text parts of a content array.
fn content_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(parts) => {
            let text: String = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(serde_json::Value::as_str))
                .collect();
            (!text.is_empty()).then_some(text)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ToolSpec;
    use serde_json::json;

    fn provider(base: &str) -> OpenAiProvider {
        OpenAiProvider::new(ProviderConfig::new(base, "m")).unwrap()
    }

    #[test]
    fn wire_request_shapes() {
        let request = ChatRequest {
            model: String::new(),
            messages: vec![
                ChatMessage::System("sys".into()),
                ChatMessage::User("hi".into()),
                ChatMessage::Assistant {
                    content: None,
                    tool_calls: vec![ToolCall {
                        id: "c1".into(),
                        name: "read_file".into(),
                        arguments: "{\"path\":\"a\"}".into(),
                    }],
                },
                ChatMessage::Tool {
                    call_id: "c1".into(),
                    content: "data".into(),
                },
            ],
            response_format: ResponseMode::JsonSchema {
                name: "verdict".into(),
                schema: json!({"type":"object"}),
            },
            max_tokens: Some(10),
            temperature: Some(0.0),
            tools: vec![ToolSpec {
                name: "read_file".into(),
                description: "read".into(),
                parameters: json!({"type":"object"}),
            }],
        };
        let local =
            serde_json::to_value(provider("http://localhost:1/v1").wire_request(&request)).unwrap();
        assert_eq!(local["model"], "m");
        assert_eq!(local["max_tokens"], 10);
        assert!(local.get("max_completion_tokens").is_none());
        assert_eq!(local["temperature"], 0.0);
        assert_eq!(local["response_format"]["type"], "json_schema");
        assert_eq!(local["response_format"]["json_schema"]["strict"], true);
        assert_eq!(
            local["messages"][2]["tool_calls"][0]["function"]["name"],
            "read_file"
        );
        assert_eq!(local["messages"][3]["tool_call_id"], "c1");
        assert_eq!(local["tools"][0]["type"], "function");
        let openai =
            serde_json::to_value(provider(DEFAULT_BASE_URL).wire_request(&request)).unwrap();
        assert_eq!(openai["max_completion_tokens"], 10);
        assert!(openai.get("max_tokens").is_none());
    }

    #[test]
    fn consecutive_system_messages_are_joined() {
        let wire = wire_messages(&[
            ChatMessage::System("frame".into()),
            ChatMessage::System("persona".into()),
            ChatMessage::User("review".into()),
            ChatMessage::System("late".into()),
        ]);
        let wire = serde_json::to_value(wire).unwrap();
        assert_eq!(
            wire,
            json!([
                {"role": "system", "content": "frame\n\npersona"},
                {"role": "user", "content": "review"},
                {"role": "system", "content": "late"}
            ])
        );
    }

    #[test]
    fn lenient_response_parsing() {
        let wire: WireResponse = serde_json::from_value(json!({
            "choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                        "finish_reason":"abort"}]
        }))
        .unwrap();
        let response = wire.into_response(1, &Redactor::default()).unwrap();
        assert_eq!(response.content.as_deref(), Some("ab"));
        assert_eq!(
            response.finish_reason,
            Some(FinishReason::Other("abort".into()))
        );
        assert_eq!(response.usage, None);
        let error: WireResponse =
            serde_json::from_value(json!({"error":{"message":"upstream failed"}})).unwrap();
        let err = error.into_response(1, &Redactor::default()).unwrap_err();
        assert!(err.to_string().contains("upstream failed"), "{err}");
    }

    #[test]
    fn config_validation() {
        let bad = |config: ProviderConfig| OpenAiProvider::new(config).unwrap_err().to_string();
        assert!(bad(ProviderConfig::new("not a url", "m")).contains("base_url"));
        assert!(bad(ProviderConfig::new("ftp://x/v1", "m")).contains("http"));
        assert!(bad(ProviderConfig::new("http://u:p@x/v1", "m")).contains("credentials"));
        assert!(bad(ProviderConfig::new("http://x/v1", " ")).contains("model"));
        let key = bad(ProviderConfig {
            api_key: Some("sk-abc\ndef".into()),
            ..ProviderConfig::new("http://x/v1", "m")
        });
        assert!(key.contains("API key") && !key.contains("sk-abc"), "{key}");
        let header = bad(ProviderConfig {
            extra_headers: vec![("bad header".into(), "v".into())],
            ..ProviderConfig::new("http://x/v1", "m")
        });
        assert!(header.contains("bad header"), "{header}");
        let info = provider("http://localhost:8080/v1/").info();
        assert_eq!(info.base_url, "http://localhost:8080/v1");
    }
}

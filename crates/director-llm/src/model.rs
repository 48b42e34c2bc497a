//! The provider-neutral chat contract: the [`ChatModel`] trait the review loop and the
//! orchestrator call, and the request and response types it speaks. Nothing here knows
//! about HTTP or any one provider.

use crate::discovery::ModelProfile;
use crate::error::LlmError;
/// A function the model may call (one type across the workspace, defined in `director-core`).
pub use director_core::ToolSpec;
use director_core::Usage;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A chat-completion model behind some provider.
pub trait ChatModel: Send + Sync {
    /// Send one chat request (the provider retries transient failures itself) and
    /// return the first choice.
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, LlmError>>;

    /// What this model is: endpoint (never the key), default model, capability.
    fn info(&self) -> ProviderInfo;

    /// What the server says about `model` (context window, slots, structured-output
    /// modes), with the configured overrides applied. Asked once per run; the
    /// default knows nothing beyond [`ChatModel::info`].
    fn profile<'a>(&'a self, model: &'a str) -> BoxFuture<'a, ModelProfile> {
        let info = self.info();
        let model = if model.trim().is_empty() {
            info.default_model.clone()
        } else {
            model.to_string()
        };
        Box::pin(
            async move { ModelProfile::unknown(&info.base_url, &model, info.structured_output) },
        )
    }
}

/// One HTTP attempt of a review and how it ended (`ok`, `http 429`, `timeout`,
/// `stalled`, `connection`, `cancelled`, …), with the time it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// How the attempt ended.
    pub outcome: String,
    /// Wall time of the attempt.
    pub elapsed: Duration,
}

/// Public description of a provider, safe to log and record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderInfo {
    /// Base URL of the API (no credentials).
    pub base_url: String,
    /// Model used when a request does not name one.
    pub default_model: String,
    /// How the provider can be asked for structured output.
    pub structured_output: StructuredOutput,
}

/// One chat request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// Model name; empty means the provider's default model.
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<ChatMessage>,
    /// How the answer must be shaped.
    pub response_format: ResponseMode,
    /// Cap on output tokens, if any.
    pub max_tokens: Option<u32>,
    /// Sampling temperature; `None` leaves the server default.
    pub temperature: Option<f32>,
    /// Tools the model may call; empty for none.
    pub tools: Vec<ToolSpec>,
}

impl ChatRequest {
    /// Rough token estimate of the request: characters / 4 of every message plus
    /// the output cap. Used for tokens-per-minute limiting and when a provider
    /// reports no usage.
    pub fn estimated_tokens(&self) -> u64 {
        let chars: usize = self.messages.iter().map(ChatMessage::chars).sum::<usize>()
            + self
                .tools
                .iter()
                .map(|t| t.name.len() + t.description.len() + t.parameters.to_string().len())
                .sum::<usize>()
            + match &self.response_format {
                ResponseMode::JsonSchema { schema, .. } => schema.to_string().len(),
                ResponseMode::JsonObject | ResponseMode::Text => 0,
            };
        estimate_tokens_from_chars(chars) + u64::from(self.max_tokens.unwrap_or(0))
    }
}

/// Token estimate for a text length: one token per four characters, rounded up.
pub(crate) fn estimate_tokens_from_chars(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatMessage {
    /// Instructions from the system.
    System(String),
    /// A user turn.
    User(String),
    /// An earlier model turn, possibly with tool calls.
    Assistant {
        /// Text of the turn, if any.
        content: Option<String>,
        /// Tool calls the model made in this turn.
        tool_calls: Vec<ToolCall>,
    },
    /// The result of a tool call.
    Tool {
        /// Id of the tool call this answers.
        call_id: String,
        /// The tool's output.
        content: String,
    },
}

impl ChatMessage {
    /// Characters of text the message carries.
    pub fn chars(&self) -> usize {
        match self {
            ChatMessage::System(s) | ChatMessage::User(s) => s.len(),
            ChatMessage::Assistant {
                content,
                tool_calls,
            } => {
                content.as_deref().map_or(0, str::len)
                    + tool_calls
                        .iter()
                        .map(|c| c.name.len() + c.arguments.len())
                        .sum::<usize>()
            }
            ChatMessage::Tool { content, .. } => content.len(),
        }
    }
}

/// How the answer of a request must be shaped.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseMode {
    /// Structured output against a JSON schema (`strict: true`).
    JsonSchema {
        /// Schema name sent to the provider.
        name: String,
        /// The JSON schema.
        schema: serde_json::Value,
    },
    /// Any JSON object (`response_format: json_object`).
    JsonObject,
    /// Free text.
    Text,
}

/// A function call the model asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// Call id to answer with a [`ChatMessage::Tool`].
    pub id: String,
    /// Function name.
    pub name: String,
    /// Arguments as a JSON text.
    pub arguments: String,
}

/// The first choice of a chat response.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// Text content, if any.
    pub content: Option<String>,
    /// The model's refusal message, if it refused.
    pub refusal: Option<String>,
    /// Tool calls the model asked for.
    pub tool_calls: Vec<ToolCall>,
    /// Why generation stopped; `None` when the response had no choice at all.
    pub finish_reason: Option<FinishReason>,
    /// Token usage of this request (`requests` = 1), if the provider reported it.
    pub usage: Option<Usage>,
    /// Model that answered, as the provider names it.
    pub model: Option<String>,
    /// Number of choices in the response; 0 means the provider answered with none.
    pub choices: usize,
    /// HTTP requests this call took, retries included.
    pub attempts: u32,
}

/// Why the model stopped generating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// Natural end of the answer.
    Stop,
    /// The output token cap was reached: the answer is truncated.
    Length,
    /// The model wants tool results.
    ToolCalls,
    /// The provider's content filter cut the answer.
    ContentFilter,
    /// Anything else a server reports.
    Other(String),
}

impl FinishReason {
    /// Parse the wire value; unknown values are kept as [`FinishReason::Other`].
    pub fn from_wire(value: &str) -> FinishReason {
        match value {
            "stop" | "end_turn" | "eos" => FinishReason::Stop,
            "length" | "max_tokens" => FinishReason::Length,
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_string()),
        }
    }
}

/// How a provider can be asked for structured output (config `structured_output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructuredOutput {
    /// `response_format: json_schema` with `strict: true` (OpenAI, Azure, vLLM, llama.cpp, Ollama).
    #[default]
    JsonSchema,
    /// `response_format: json_object`, schema in the prompt.
    JsonObject,
    /// No response format; schema in the prompt, JSON recovered from the text.
    Text,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_reasons_parse_leniently() {
        assert_eq!(FinishReason::from_wire("stop"), FinishReason::Stop);
        assert_eq!(FinishReason::from_wire("length"), FinishReason::Length);
        assert_eq!(
            FinishReason::from_wire("abort"),
            FinishReason::Other("abort".into())
        );
    }

    #[test]
    fn estimate_counts_messages_and_cap() {
        let request = ChatRequest {
            model: String::new(),
            messages: vec![
                ChatMessage::System("abcd".repeat(10)),
                ChatMessage::User("x".into()),
            ],
            response_format: ResponseMode::Text,
            max_tokens: Some(100),
            temperature: None,
            tools: vec![],
        };
        assert_eq!(request.estimated_tokens(), 11 + 100);
    }
}

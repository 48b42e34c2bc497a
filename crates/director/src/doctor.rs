//! `director doctor`: what director knows about the configured model and its
//! server — kind, context window, slots, structured-output mode, a tiny probe's
//! latency and speed — and what it will do with them ("window 4096: compact
//! prompts, larger changes reviewed in parts").
//!
//! Discovery is asked afresh (its cache is bypassed by the provider's own memo only);
//! the fitting is [`crate::fit`] applied to every Director's prompt sizes.

use crate::error::Error;
use crate::fit::{self, Fit, ProfileChoice, PromptProfile, Sizes, Window};
use crate::pipeline::Engine;
use crate::registry::PanelEntry;
use director_llm::{ChatMessage, ChatRequest, ModelProfile, ResponseMode};
use serde::Serialize;
use std::time::Instant;

/// What `director doctor` reports.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    /// The model's profile (server facts with the configuration applied).
    pub profile: ModelProfile,
    /// The tiny probe request.
    pub probe: Probe,
    /// Every Director's prompt sizes and how it fits.
    pub directors: Vec<DirectorFit>,
    /// One sentence: what director will do with this model.
    pub plan: String,
}

/// The result of one tiny chat request.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// Wall time of the request, in milliseconds.
    pub latency_ms: u64,
    /// Completion tokens per second over the whole request (prompt processing included).
    pub tokens_per_second: Option<f64>,
    /// Prompt and completion tokens the server reported.
    pub prompt_tokens: Option<u64>,
    /// Completion tokens the server reported.
    pub completion_tokens: Option<u64>,
    /// Why the probe failed, when it did.
    pub error: Option<String>,
}

/// One Director's prompt sizes (director tokens) and its fit with an empty context.
#[derive(Debug, Clone, Serialize)]
pub struct DirectorFit {
    /// The Director.
    pub name: String,
    /// Fixed prompt tokens in the full profile.
    pub full_tokens: usize,
    /// Fixed prompt tokens in the compact profile.
    pub compact_tokens: usize,
    /// The profile it would use.
    pub profile: Option<&'static str>,
    /// Context tokens one request can carry beside the prompt and the answer.
    pub context_room: Option<usize>,
    /// Set when nothing fits.
    pub too_small: Option<String>,
}

impl Engine {
    /// Ask the server, probe it, and size every Director's prompt against it.
    pub(crate) async fn doctor(&self) -> Result<DoctorReport, Error> {
        let setup = std::sync::Arc::clone(self.default_setup()?);
        let Some(model) = setup.model.clone() else {
            return Err(Error::Config {
                message: setup
                    .policy
                    .config
                    .offline_reason()
                    .unwrap_or_else(|| "no LLM provider is configured".into()),
                hint: "set OPENAI_BASE_URL (e.g. http://127.0.0.1:8080/v1) or [provider] base_url"
                    .into(),
            });
        };
        let cfg = &setup.policy.config.config;
        let panel = &setup.policy.panel;
        let profile = model.profile(&cfg.provider.model).await;
        let probe = probe(model.as_ref()).await;
        let window = profile.context_window.map(|tokens| Window {
            tokens,
            ratio: crate::pipeline::fitting::token_ratio(&profile),
        });
        let output = fit::output_plan(profile.context_window, cfg.run.max_output_tokens);
        let entries: Vec<PanelEntry> = panel.directors().iter().map(|d| d.panel_entry()).collect();
        let mut directors = Vec::new();
        for d in panel.directors() {
            let size = |profile| -> Result<usize, Error> {
                let frame = panel.render_frame_as(
                    &entries,
                    "0000000000000000",
                    "",
                    "production",
                    profile,
                )?;
                let own = panel.render_director_as(d, &entries, "production", profile)?;
                let instruction = panel.render_instruction_as(d, true, "", profile)?;
                Ok(self.tokens(&frame) + self.tokens(&own) + self.tokens(&instruction))
            };
            let sizes = Sizes {
                fixed_full: size(PromptProfile::Full)?,
                fixed_compact: size(PromptProfile::Compact)?,
                context: 0,
            };
            let decision = fit::fit(window, cfg.run.prompt_profile, sizes, output.max_tokens);
            let (profile_name, room, too_small) = match decision {
                Fit::Whole(p) | Fit::Parts { profile: p, .. } => {
                    let fixed = match p {
                        PromptProfile::Full => sizes.fixed_full,
                        PromptProfile::Compact => sizes.fixed_compact,
                    };
                    let room =
                        window.map(|w| w.prompt_room(output.max_tokens).saturating_sub(fixed));
                    (Some(p.as_str()), room, None)
                }
                Fit::TooSmall { needs, has } => (
                    None,
                    None,
                    Some(format!(
                        "context-too-small: needs ≥ {needs} tokens, model has {has}"
                    )),
                ),
            };
            directors.push(DirectorFit {
                name: d.name().to_string(),
                full_tokens: sizes.fixed_full,
                compact_tokens: sizes.fixed_compact,
                profile: profile_name,
                context_room: room,
                too_small,
            });
        }
        let plan = plan_sentence(
            &profile,
            &directors,
            cfg.run.prompt_profile,
            output.max_tokens,
        );
        Ok(DoctorReport {
            profile,
            probe,
            directors,
            plan,
        })
    }
}

/// A tiny chat request: latency and speed.
async fn probe(model: &dyn director_llm::ChatModel) -> Probe {
    let request = ChatRequest {
        model: String::new(),
        messages: vec![ChatMessage::User(
            "Reply with the single word: ready".into(),
        )],
        response_format: ResponseMode::Text,
        max_tokens: Some(16),
        temperature: Some(0.0),
        tools: Vec::new(),
    };
    let started = Instant::now();
    let result = model.complete(&request).await;
    let elapsed = started.elapsed();
    match result {
        Ok(response) => {
            let completion = response.usage.map(|u| u.completion_tokens);
            Probe {
                latency_ms: elapsed.as_millis() as u64,
                tokens_per_second: completion
                    .filter(|n| *n > 0)
                    .map(|n| n as f64 / elapsed.as_secs_f64().max(1e-3)),
                prompt_tokens: response.usage.map(|u| u.prompt_tokens),
                completion_tokens: completion,
                error: None,
            }
        }
        Err(e) => Probe {
            latency_ms: elapsed.as_millis() as u64,
            tokens_per_second: None,
            prompt_tokens: None,
            completion_tokens: None,
            error: Some(e.to_string()),
        },
    }
}

/// "window 4096: compact prompts; …" — what the fits add up to.
fn plan_sentence(
    profile: &ModelProfile,
    directors: &[DirectorFit],
    choice: ProfileChoice,
    output: u32,
) -> String {
    let Some(window) = profile.context_window else {
        return format!(
            "window unknown: {} prompts, the whole change in one request; set [provider] context_window to let director fit requests to the model",
            if choice == ProfileChoice::Compact {
                "compact"
            } else {
                "full"
            }
        );
    };
    let failing: Vec<&str> = directors
        .iter()
        .filter(|d| d.too_small.is_some())
        .map(|d| d.name.as_str())
        .collect();
    if failing.len() == directors.len() {
        return format!(
            "window {window}: too small for any Director (they fail before sending with context-too-small); hint: {}",
            profile.window_hint()
        );
    }
    let profiles: Vec<&str> = {
        let mut p: Vec<&str> = directors.iter().filter_map(|d| d.profile).collect();
        p.sort_unstable();
        p.dedup();
        p
    };
    let room = directors
        .iter()
        .filter_map(|d| d.context_room)
        .min()
        .unwrap_or(0);
    let mut sentence = format!(
        "window {window}: {} prompts, answers bounded to {output} tokens; changes up to about {room} context tokens go in one request, larger ones are reviewed in parts (files grouped by folder)",
        profiles.join("/")
    );
    if !failing.is_empty() {
        sentence.push_str(&format!(
            "; {} cannot fit even compact and will fail (hint: {})",
            failing.join(", "),
            profile.window_hint()
        ));
    }
    sentence
}

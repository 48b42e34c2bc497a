//! Prompts, part of the `plan` stage: the three messages each selected Director
//! receives — `[system: frame + context] [system: its spec and persona] [user:
//! instruction]` — their token counts, their tools, and the content address of the
//! whole input (tools offered included) for the verdict cache. The frame and context are byte-identical for every
//! Director of a run, so provider prompt caching applies.

use super::Engine;
use super::plan::Planned;
use crate::cache::VerdictCache;
use crate::error::Error;
use crate::registry::PanelEntry;
use crate::setup::Setup;
use crate::tools::RunTools;
use director_context::PackedContext;
use director_core::record::ContextSummary;
use director_llm::{ChatMessage, ChatModel, StructuredOutput};

/// The rendered requests and the context summary for the record.
pub(super) struct Rendered {
    /// One request per selected Director, in panel order.
    pub requests: Vec<Planned>,
    /// What the Directors are shown, with the shared-prefix share.
    pub context: ContextSummary,
}

impl Engine {
    /// Render the messages of every selected Director.
    pub(super) fn render_requests(
        &self,
        setup: &Setup,
        selected: &[usize],
        packed: &PackedContext,
        env_name: &str,
        model: Option<&dyn ChatModel>,
        tools: &RunTools,
    ) -> Result<Rendered, Error> {
        let cfg = &setup.policy.config.config;
        let entries: Vec<PanelEntry> = selected
            .iter()
            .map(|&i| setup.policy.panel.directors()[i].panel_entry())
            .collect();
        let frame =
            setup
                .policy
                .panel
                .render_frame(&entries, &packed.nonce, &packed.text, env_name)?;
        // The context comes last in the frame and was counted while packing; only the
        // fixed part is counted here (cached across runs).
        let placeholder = "0".repeat(packed.nonce.len());
        let fixed = setup
            .policy
            .panel
            .render_frame(&entries, &placeholder, "", env_name)?;
        let frame_tokens = self.tokens(&fixed) + packed.tokens;
        // Whether the server enforces the schema itself; otherwise the instruction
        // quotes it (and the review loop must not add a second copy).
        let structured =
            model.map(|m| m.info().structured_output) == Some(StructuredOutput::JsonSchema);
        let schema_text = serde_json::to_string_pretty(director_core::verdict::verdict_schema())
            .unwrap_or_default();
        let mut shares = Vec::new();
        let mut requests = Vec::new();
        for &i in selected {
            let d = &setup.policy.panel.directors()[i];
            let others: Vec<PanelEntry> = entries
                .iter()
                .filter(|e| e.name != d.name())
                .cloned()
                .collect();
            let own = setup.policy.panel.render_director(d, &others, env_name)?;
            let instruction = setup
                .policy
                .panel
                .render_instruction(d, structured, &schema_text)?;
            let prompt_tokens = frame_tokens + self.tokens(&own) + self.tokens(&instruction);
            shares.push(frame_tokens as f64 / prompt_tokens.max(1) as f64);
            let model_name = d
                .def
                .model
                .clone()
                .or_else(|| cfg.directors.models.get(d.name()).cloned())
                .unwrap_or_else(|| cfg.provider.model.clone());
            let max_output_tokens = d.def.max_output_tokens.unwrap_or(cfg.run.max_output_tokens);
            let director_tools = tools.for_director(d, &packed.nonce);
            // The tools offered are part of the input: a different set, another key.
            let tools_offered = director_tools
                .as_ref()
                .map(|t| t.fingerprint())
                .unwrap_or_default();
            let cache_key = VerdictCache::key(&[
                tools_offered.as_bytes(),
                d.fingerprint.as_bytes(),
                frame.as_bytes(),
                own.as_bytes(),
                instruction.as_bytes(),
                model_name.as_bytes(),
                format!(
                    "{max_output_tokens}/{}/{:?}",
                    cfg.run.tool_rounds, cfg.provider.structured_output
                )
                .as_bytes(),
            ]);
            requests.push(Planned {
                director_index: i,
                model: model_name,
                messages: vec![
                    ChatMessage::System(frame.clone()),
                    ChatMessage::System(own),
                    ChatMessage::User(instruction),
                ],
                prompt_tokens,
                max_output_tokens,
                schema_in_prompt: !structured,
                cache_key,
                cacheable: tools.cacheable(director_tools.as_deref()),
                tools: director_tools,
                fit: None,
            });
        }
        let context = ContextSummary {
            shared_prefix_tokens: frame_tokens as u64,
            shared_prefix_share: shares.iter().sum::<f64>() / shares.len().max(1) as f64,
            ..packed.summary(cfg.context.max_tokens)
        };
        Ok(Rendered { requests, context })
    }
}

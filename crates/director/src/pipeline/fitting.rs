//! Fitting, part of the `plan` stage: ask each model's server what it can take
//! (once per run), then fit every rendered request into its window with
//! [`crate::fit`]: the full prompts when they fit, the compact ones when only they
//! do, the change in parts when even that is too much, and a `context-too-small`
//! failure before anything is sent when nothing can fit.
//!
//! Parts are shared by every Director that needs them (packed once, for the
//! smallest room among them), so their prompts still share a prefix per part. A part
//! carries no deterministic evidence (it stands in the result whatever a Director
//! says), which leaves the little room there is to the code.

use super::Engine;
use super::plan::Planned;
use crate::error::Error;
use crate::fit::{self, FileCost, Fit, ProfileChoice, PromptProfile, Sizes, Window};
use crate::registry::{Director, PanelEntry};
use crate::setup::Setup;
use director_context::{ChangeSet, PackInput, PackedContext};
use director_core::record::Omission;
use director_core::{Finding, Task};
use director_llm::discovery::TOKENIZER_SAMPLE;
use director_llm::{AnswerBound, ChatMessage, ChatModel, ModelProfile, StructuredOutput};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Context rooms within this many tokens of each other share their parts.
const ROOM_STEP: usize = 256;

/// One part of a Director's review in parts.
pub(crate) struct PlannedPart {
    /// `part 2 of 3: infra/`.
    pub label: String,
    /// The files it covers.
    pub files: Vec<String>,
    /// The three messages, with the part's context.
    pub messages: Vec<ChatMessage>,
    /// Prompt tokens as counted locally.
    pub prompt_tokens: usize,
    /// Content address for the verdict cache.
    pub cache_key: String,
}

/// How one Director's request fits its model.
pub(crate) struct FitPlan {
    /// The prompt profile it is rendered in.
    pub profile: PromptProfile,
    /// The bound on its answer.
    pub bound: AnswerBound,
    /// The structured-output mode to ask for.
    pub structured_output: StructuredOutput,
    /// Whether the bounded schema may carry `maxLength`.
    pub schema_max_length: bool,
    /// The parts, when the change is reviewed in parts (else one request).
    pub parts: Vec<PlannedPart>,
    /// Files no request could hold.
    pub omitted: Vec<Omission>,
    /// Set when nothing fits: the failure reason, before any call.
    pub too_small: Option<String>,
}

/// The fitted requests and what discovery learnt about the default model.
pub(super) struct Fitted {
    pub requests: Vec<Planned>,
    pub server: Option<ModelProfile>,
}

/// Everything needed to render a Director's messages around some context.
struct RenderInput<'a> {
    entries: &'a [PanelEntry],
    env_name: &'a str,
    structured: bool,
    schema_text: &'a str,
}

impl Engine {
    /// Discover the servers, then fit every request (see the module docs).
    #[expect(
        clippy::too_many_arguments,
        reason = "the plan stage's data, passed through"
    )]
    pub(super) async fn fit_requests(
        &self,
        setup: &Setup,
        task: &Task,
        changes: &Arc<ChangeSet>,
        evidence: &[Finding],
        packed: &PackedContext,
        env_name: &str,
        model: &dyn ChatModel,
        requests: Vec<Planned>,
    ) -> Result<Fitted, Error> {
        let cfg = &setup.policy.config.config;
        let mut profiles: HashMap<String, ModelProfile> = HashMap::new();
        for plan in &requests {
            if !profiles.contains_key(&plan.model) {
                let profile = model.profile(&plan.model).await;
                profiles.insert(plan.model.clone(), profile);
            }
        }
        let server = profiles.get(&cfg.provider.model).cloned().or_else(|| {
            requests
                .first()
                .and_then(|p| profiles.get(&p.model).cloned())
        });
        let entries: Vec<PanelEntry> = requests
            .iter()
            .map(|p| setup.policy.panel.directors()[p.director_index].panel_entry())
            .collect();
        let structured = model.info().structured_output == StructuredOutput::JsonSchema;
        let schema_text = serde_json::to_string_pretty(director_core::verdict::verdict_schema())
            .unwrap_or_default();
        let input = RenderInput {
            entries: &entries,
            env_name,
            structured,
            schema_text: &schema_text,
        };
        let mut fitted = Vec::with_capacity(requests.len());
        let mut in_parts: Vec<(usize, PromptProfile, usize)> = Vec::new();
        for mut plan in requests {
            let d = setup.policy.panel.directors()[plan.director_index].clone();
            let profile = &profiles[&plan.model];
            let window = cfg
                .directors
                .context_windows
                .get(d.name())
                .copied()
                .or(profile.context_window);
            let win = window.map(|tokens| Window {
                tokens,
                ratio: token_ratio(profile),
            });
            let output = fit::output_plan(window, plan.max_output_tokens);
            plan.max_output_tokens = output.max_tokens;
            let own_entries = others(&entries, d.name());
            // The compact prompt is measured only when it may be chosen.
            let fixed_compact = if win.is_some() || cfg.run.prompt_profile == ProfileChoice::Compact
            {
                self.render_messages(
                    setup,
                    &d,
                    &own_entries,
                    &input,
                    PromptProfile::Compact,
                    None,
                )?
                .1
            } else {
                usize::MAX / 4
            };
            let sizes = Sizes {
                fixed_full: plan.prompt_tokens.saturating_sub(packed.tokens),
                fixed_compact,
                context: packed.tokens,
            };
            let mut fit_plan = FitPlan {
                profile: PromptProfile::Full,
                bound: output.bound,
                structured_output: profile.structured_output,
                schema_max_length: profile.schema_max_length,
                parts: Vec::new(),
                omitted: Vec::new(),
                too_small: None,
            };
            match fit::fit(win, cfg.run.prompt_profile, sizes, output.max_tokens) {
                Fit::Whole(PromptProfile::Full) => {}
                Fit::Whole(PromptProfile::Compact) => {
                    fit_plan.profile = PromptProfile::Compact;
                    let (messages, tokens) = self.render_messages(
                        setup,
                        &d,
                        &own_entries,
                        &input,
                        PromptProfile::Compact,
                        Some(packed),
                    )?;
                    plan.prompt_tokens = tokens;
                    plan.cache_key = self.cache_key(setup, &d, &plan, &messages, &fit_plan, "");
                    plan.messages = messages;
                }
                Fit::Parts {
                    profile,
                    context_budget,
                } => {
                    fit_plan.profile = profile;
                    in_parts.push((fitted.len(), profile, context_budget));
                }
                Fit::TooSmall { needs, has } => {
                    fit_plan.too_small = Some(format!(
                        "context-too-small: needs ≥ {needs} tokens, model has {has}; hint: {}",
                        profile.window_hint()
                    ));
                }
            }
            plan.fit = Some(fit_plan);
            fitted.push(plan);
        }
        // Directors whose room is about the same share their parts (and so a prompt
        // prefix per part); each is packed for the smallest room of its group.
        let mut by_room: BTreeMap<usize, Vec<(usize, PromptProfile, usize)>> = BTreeMap::new();
        for (i, profile, budget) in in_parts {
            by_room
                .entry(budget / ROOM_STEP)
                .or_default()
                .push((i, profile, budget));
        }
        for group in by_room.into_values() {
            let budget = group.iter().map(|(_, _, b)| *b).min().unwrap_or(0);
            let parts = self
                .pack_parts(setup, task, changes, evidence, budget)
                .await?;
            for (i, profile, _) in group {
                self.render_parts(setup, &mut fitted[i], &parts, &input, profile)?;
            }
        }
        Ok(Fitted {
            requests: fitted,
            server,
        })
    }

    /// Render a Director's three messages around `packed` (or no context, to measure
    /// the fixed part); returns the messages and their tokens.
    fn render_messages(
        &self,
        setup: &Setup,
        d: &Director,
        others: &[PanelEntry],
        input: &RenderInput<'_>,
        profile: PromptProfile,
        packed: Option<&PackedContext>,
    ) -> Result<(Vec<ChatMessage>, usize), Error> {
        let (nonce, text, context_tokens) = match packed {
            Some(p) => (p.nonce.clone(), p.text.as_str(), p.tokens),
            None => ("0".repeat(16), "", 0),
        };
        let frame = setup.policy.panel.render_frame_as(
            input.entries,
            &nonce,
            text,
            input.env_name,
            profile,
        )?;
        let fixed_frame = if packed.is_some() {
            setup.policy.panel.render_frame_as(
                input.entries,
                &"0".repeat(nonce.len()),
                "",
                input.env_name,
                profile,
            )?
        } else {
            frame.clone()
        };
        let own = setup
            .policy
            .panel
            .render_director_as(d, others, input.env_name, profile)?;
        let instruction = setup.policy.panel.render_instruction_as(
            d,
            input.structured,
            input.schema_text,
            profile,
        )?;
        let tokens = self.tokens(&fixed_frame)
            + context_tokens
            + self.tokens(&own)
            + self.tokens(&instruction);
        Ok((
            vec![
                ChatMessage::System(frame),
                ChatMessage::System(own),
                ChatMessage::User(instruction),
            ],
            tokens,
        ))
    }

    fn cache_key(
        &self,
        setup: &Setup,
        d: &Director,
        plan: &Planned,
        messages: &[ChatMessage],
        fit: &FitPlan,
        part: &str,
    ) -> String {
        let cfg = &setup.policy.config.config;
        let mut parts: Vec<Vec<u8>> = vec![d.fingerprint.clone().into_bytes()];
        for m in messages {
            if let ChatMessage::System(t) | ChatMessage::User(t) = m {
                parts.push(t.clone().into_bytes());
            }
        }
        parts.push(plan.model.clone().into_bytes());
        parts.push(
            format!(
                "{}/{}/{:?}/{:?}/{}/{}",
                plan.max_output_tokens,
                cfg.run.tool_rounds,
                fit.structured_output,
                fit.bound,
                fit.profile.as_str(),
                part
            )
            .into_bytes(),
        );
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        crate::cache::VerdictCache::key(&refs)
    }

    /// Group the change's files into parts of at most `budget` context tokens and
    /// pack each part.
    async fn pack_parts(
        &self,
        setup: &Setup,
        task: &Task,
        changes: &Arc<ChangeSet>,
        evidence: &[Finding],
        budget: usize,
    ) -> Result<Parts, Error> {
        let cfg = setup.policy.config.config.clone();
        let task = task.clone();
        let changes = Arc::clone(changes);
        // The evidence stands on its own; in a part the room goes to the code.
        let _ = evidence;
        super::blocking("packing the parts", move || {
            let pack_from = |files: &[String], budget: usize, window_from: Option<usize>| {
                let mut sub = (*changes).clone();
                sub.files.retain(|f| files.contains(&f.path));
                let related = if window_from.is_some() {
                    // A window holds one file's pieces; related files would crowd it.
                    Vec::new()
                } else {
                    director_context::find_related(&sub, &sub.root, cfg.context.related_files)
                };
                director_context::pack(&PackInput {
                    task: &task,
                    changes: &sub,
                    evidence: &[],
                    budget_tokens: budget,
                    context_lines: cfg.context.context_lines,
                    small_file_bytes: cfg.context.small_file_kib * 1024,
                    related: &related,
                    window_from,
                })
            };
            let pack = |files: &[String], budget: usize| pack_from(files, budget, None);
            let base = pack(&[], usize::MAX / 4).tokens;
            let costs: Vec<FileCost> = changes
                .files
                .iter()
                .map(|f| FileCost {
                    path: f.path.clone(),
                    tokens: pack(std::slice::from_ref(&f.path), usize::MAX / 4)
                        .tokens
                        .saturating_sub(base),
                })
                .collect();
            let grouping = fit::group_files(&costs, budget.saturating_sub(base), cfg.run.max_parts);
            let max_parts = cfg.run.max_parts.max(1);
            let mut omitted: Vec<Omission> = grouping
                .omitted
                .into_iter()
                .map(|(item, reason)| Omission { item, reason })
                .collect();
            // (files, context, window label) of every part, groups first.
            let mut contexts: Vec<(Vec<String>, PackedContext, Option<String>)> = grouping
                .parts
                .into_iter()
                .map(|files| {
                    let context = pack(&files, budget);
                    (files, context, None)
                })
                .collect();
            // A file larger than a part: one part per window of its pieces, in order,
            // until the file is covered or the part limit is reached.
            for path in grouping.windowed {
                let files = vec![path.clone()];
                let mut from = 0usize;
                loop {
                    if contexts.len() >= max_parts {
                        omitted.push(Omission {
                            item: path.clone(),
                            reason: format!(
                                "from piece {} on: beyond the {max_parts}-part limit ([run] max_parts)",
                                from + 1
                            ),
                        });
                        break;
                    }
                    let context = pack_from(&files, budget, Some(from));
                    let (shown, total) = context.pieces.get(&path).copied().unwrap_or((0, 0));
                    if shown == 0 {
                        omitted.push(Omission {
                            item: path.clone(),
                            reason: if total == 0 {
                                "not shown: its diff or content is not available in pieces".into()
                            } else {
                                format!(
                                    "piece {} of {total} is larger than a part's {} context tokens",
                                    from + 1,
                                    budget.saturating_sub(base)
                                )
                            },
                        });
                        break;
                    }
                    let window = format!("{path} pieces {}-{} of {total}", from + 1, from + shown);
                    contexts.push((files.clone(), context, Some(window)));
                    from += shown;
                    if from >= total {
                        break;
                    }
                }
            }
            let total = contexts.len();
            let packed = contexts
                .into_iter()
                .enumerate()
                .map(|(i, (files, context, window))| {
                    let what = window.unwrap_or_else(|| folders(&files));
                    let label = format!("part {} of {total}: {what}", i + 1);
                    (label, files, context)
                })
                .collect();
            Parts { packed, omitted }
        })
        .await
    }

    /// Render a Director's messages for every part.
    fn render_parts(
        &self,
        setup: &Setup,
        plan: &mut Planned,
        parts: &Parts,
        input: &RenderInput<'_>,
        profile: PromptProfile,
    ) -> Result<(), Error> {
        let d = setup.policy.panel.directors()[plan.director_index].clone();
        let own_entries = others(input.entries, d.name());
        let mut planned = Vec::with_capacity(parts.packed.len());
        for (label, files, context) in &parts.packed {
            let (messages, tokens) =
                self.render_messages(setup, &d, &own_entries, input, profile, Some(context))?;
            let fit = plan.fit.as_ref();
            let cache_key = match fit {
                Some(fit) => self.cache_key(setup, &d, plan, &messages, fit, label),
                None => String::new(),
            };
            planned.push(PlannedPart {
                label: label.clone(),
                files: files.clone(),
                messages,
                prompt_tokens: tokens,
                cache_key,
            });
        }
        plan.prompt_tokens = planned.iter().map(|p| p.prompt_tokens).sum();
        if let Some(fit) = plan.fit.as_mut() {
            if planned.is_empty() {
                // Not even one file fits a part: failing is all that is left; the
                // whole request must never go out instead.
                fit.too_small = Some(format!(
                    "context-too-small: no file of the change fits beside the prompt ({} omitted); hint: give the model a larger context window",
                    parts.omitted.len()
                ));
            }
            fit.parts = planned;
            fit.omitted.clone_from(&parts.omitted);
        }
        Ok(())
    }
}

/// The packed parts of a change, and the files none could hold.
struct Parts {
    packed: Vec<(String, Vec<String>, PackedContext)>,
    omitted: Vec<Omission>,
}

/// The panel entries other than `name`.
fn others(entries: &[PanelEntry], name: &str) -> Vec<PanelEntry> {
    entries.iter().filter(|e| e.name != name).cloned().collect()
}

/// Server tokens per director token: measured by discovery (llama-server's count of
/// the sample text against director's), else the default ratio.
pub(crate) fn token_ratio(profile: &ModelProfile) -> f64 {
    let ours = profile
        .facts
        .sample_tokens
        .map_or(0, |_| director_context::count_tokens(TOKENIZER_SAMPLE));
    fit::token_ratio(profile.facts.sample_tokens, ours)
}

/// The folders of a part's files, for its label.
fn folders(files: &[String]) -> String {
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    for f in files {
        seen.insert(f.rsplit_once('/').map_or(".", |(dir, _)| dir), ());
    }
    seen.keys()
        .map(|d| {
            if *d == "." {
                "./".to_string()
            } else {
                format!("{d}/")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

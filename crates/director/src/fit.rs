//! Fitting every request into the model's context window, before anything is sent.
//!
//! This module is the pure planning core: token counts in, decisions out.
//!
//! - **Output first.** The answer's budget is the configured `max_output_tokens`,
//!   at most 18% of a known window; the [`AnswerBound`] that fits it sizes the
//!   bounded schema and `max_tokens`, and that many tokens are reserved.
//! - **Profile.** A Director's prompt is rendered `full` (today's) or `compact`
//!   (checklist, criteria, output contract, the persona's essentials; examples
//!   dropped). `auto` takes `full` when the whole request fits, else `compact`.
//! - **Whole or in parts.** When even the compact request with the whole packed
//!   context does not fit, the change is reviewed in parts: files grouped by folder
//!   ([`group_files`]), each part packed into what the window leaves, each part a
//!   sub-review of the same Director. Files that cannot fit alone, and parts beyond
//!   `max_parts`, are listed as omitted.
//! - **Too small.** When the compact fixed part and the answer alone exceed the
//!   window, the Director fails before sending: `context-too-small: needs ≥ N
//!   tokens, model has M`.
//!
//! Token counts are director's (o200k); a server's tokenizer may count more.
//! [`Window`] carries the ratio discovery measured (or a default) and a margin for
//! the chat template, so that what director plans is what the server accepts.

use director_llm::AnswerBound;
use serde::{Deserialize, Serialize};

/// Share of a known window the answer may take at most (a 4096 window leaves 737
/// tokens to the answer: two or three findings).
const MAX_OUTPUT_SHARE: f64 = 0.18;
/// Smallest answer budget ever planned, in tokens.
const MIN_OUTPUT_TOKENS: u32 = 256;
/// Server tokens per director token when the server's tokenizer was not measured
/// (Gemma's counted 9.5% more than o200k on director's prompts).
pub const DEFAULT_TOKEN_RATIO: f64 = 1.15;
/// Tokens the chat template adds around the messages.
const TEMPLATE_TOKENS: u32 = 64;
/// Smallest context share of a part worth sending, in tokens.
const MIN_PART_CONTEXT: usize = 200;

/// Server tokens per director token, from the server's count of a sample text and
/// director's own count of it (a few percent on top: the sample is not the prompt);
/// the default ratio when the server did not count.
pub fn token_ratio(server_sample: Option<u32>, our_sample: usize) -> f64 {
    match server_sample {
        Some(server) => (f64::from(server) / our_sample.max(1) as f64 * 1.08).clamp(0.5, 3.0),
        None => DEFAULT_TOKEN_RATIO,
    }
}

/// `[run] prompt_profile`: which prompt profile Directors are rendered in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileChoice {
    /// `full` when the whole request fits the window, else `compact`.
    #[default]
    Auto,
    /// Always the full prompts (the context is still split into parts if needed).
    Full,
    /// Always the compact prompts.
    Compact,
}

/// A prompt profile, as the templates see it (`profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptProfile {
    /// Everything: the persona, examples, applicability and coordination notes.
    Full,
    /// The checklist, criteria and output contract, the persona's essentials.
    Compact,
}

impl PromptProfile {
    /// The name the templates branch on.
    pub fn as_str(self) -> &'static str {
        match self {
            PromptProfile::Full => "full",
            PromptProfile::Compact => "compact",
        }
    }
}

/// A model's context window as director plans with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// The window in the server's tokens.
    pub tokens: u32,
    /// Server tokens per director (o200k) token.
    pub ratio: f64,
}

impl Window {
    /// A window of `tokens` server tokens with the default tokenizer ratio.
    pub fn new(tokens: u32) -> Window {
        Window {
            tokens,
            ratio: DEFAULT_TOKEN_RATIO,
        }
    }

    /// Director tokens of prompt that fit beside `output` answer tokens.
    pub fn prompt_room(&self, output: u32) -> usize {
        let room = self
            .tokens
            .saturating_sub(output)
            .saturating_sub(TEMPLATE_TOKENS);
        (f64::from(room) / self.ratio.max(0.5)).floor() as usize
    }

    /// Server tokens a prompt of `tokens` director tokens and `output` answer tokens need.
    pub fn needed(&self, tokens: usize, output: u32) -> u32 {
        let prompt = (tokens as f64 * self.ratio.max(0.5)).ceil() as u32;
        prompt
            .saturating_add(output)
            .saturating_add(TEMPLATE_TOKENS)
    }
}

/// The answer's budget: the bound and the `max_tokens` it needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputPlan {
    /// Limits on the answer (sent as the bounded schema).
    pub bound: AnswerBound,
    /// `max_tokens` of a request, sized to the bound.
    pub max_tokens: u32,
}

/// The answer's budget for a window (if known) and the configured output budget.
pub fn output_plan(window: Option<u32>, configured: u32) -> OutputPlan {
    let mut budget = configured.max(MIN_OUTPUT_TOKENS);
    if let Some(w) = window {
        let share = (f64::from(w) * MAX_OUTPUT_SHARE) as u32;
        budget = budget.min(share.max(MIN_OUTPUT_TOKENS));
    }
    let bound = AnswerBound::for_output_tokens(budget);
    OutputPlan {
        bound,
        max_tokens: bound.max_tokens(),
    }
}

/// One Director's prompt sizes, in director tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Frame (without the context), spec and instruction in the full profile.
    pub fixed_full: usize,
    /// The same in the compact profile.
    pub fixed_compact: usize,
    /// The whole packed context.
    pub context: usize,
}

/// How one Director's review fits the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// One request with the whole context, in this profile.
    Whole(PromptProfile),
    /// Review in parts: each part's context within `context_budget` tokens.
    Parts {
        /// The profile of every part.
        profile: PromptProfile,
        /// Context tokens one part may take.
        context_budget: usize,
    },
    /// Nothing fits: the fixed part and the answer alone need `needs` server tokens.
    TooSmall {
        /// Server tokens the smallest request needs.
        needs: u32,
        /// The model's window.
        has: u32,
    },
}

/// Decide how one Director's review fits `window` (no window known: whole, as chosen).
pub fn fit(window: Option<Window>, choice: ProfileChoice, sizes: Sizes, output: u32) -> Fit {
    let Some(window) = window else {
        return Fit::Whole(match choice {
            ProfileChoice::Compact => PromptProfile::Compact,
            ProfileChoice::Auto | ProfileChoice::Full => PromptProfile::Full,
        });
    };
    let room = window.prompt_room(output);
    let profiles: &[(PromptProfile, usize)] = match choice {
        ProfileChoice::Auto => &[
            (PromptProfile::Full, sizes.fixed_full),
            (PromptProfile::Compact, sizes.fixed_compact),
        ],
        ProfileChoice::Full => &[(PromptProfile::Full, sizes.fixed_full)],
        ProfileChoice::Compact => &[(PromptProfile::Compact, sizes.fixed_compact)],
    };
    for &(profile, fixed) in profiles {
        if fixed + sizes.context <= room {
            return Fit::Whole(profile);
        }
    }
    // In parts, with the smallest fixed part allowed.
    let &(profile, fixed) = profiles.last().unwrap_or(&(PromptProfile::Compact, 0));
    if fixed + MIN_PART_CONTEXT <= room {
        return Fit::Parts {
            profile,
            context_budget: room - fixed,
        };
    }
    Fit::TooSmall {
        needs: window.needed(fixed + MIN_PART_CONTEXT, output),
        has: window.tokens,
    }
}

/// What one file of the change costs in a part's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCost {
    /// Repository-relative path.
    pub path: String,
    /// Context tokens the file (its hunks or content and its evidence) takes alone.
    pub tokens: usize,
}

/// Files grouped into parts, and the files left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grouping {
    /// Each part's files, in path order.
    pub parts: Vec<Vec<String>>,
    /// Files that fit no part, with the reason.
    pub omitted: Vec<(String, String)>,
    /// Files larger than a part: each is reviewed alone, in windows of its hunk groups
    /// or line ranges, one part per window.
    pub windowed: Vec<String>,
}

/// Group files into parts of at most `budget` context tokens each: a folder's files
/// stay together when they fit together, neighbouring folders share a part while
/// there is room, a file larger than a part is left to windows (`windowed`), and
/// parts beyond `max_parts` are omitted whole.
pub fn group_files(files: &[FileCost], budget: usize, max_parts: usize) -> Grouping {
    let mut sorted: Vec<&FileCost> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let folder = |path: &str| path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string();
    // Units: a whole folder when it fits one part, else its files one by one.
    let mut units: Vec<Vec<&FileCost>> = Vec::new();
    let mut grouping = Grouping::default();
    let mut i = 0;
    while i < sorted.len() {
        let dir = folder(&sorted[i].path);
        let end = sorted[i..]
            .iter()
            .position(|f| folder(&f.path) != dir)
            .map_or(sorted.len(), |n| i + n);
        let members = &sorted[i..end];
        if members.iter().map(|f| f.tokens).sum::<usize>() <= budget {
            units.push(members.to_vec());
        } else {
            units.extend(members.iter().map(|f| vec![*f]));
        }
        i = end;
    }
    let mut current: Vec<&FileCost> = Vec::new();
    let mut used = 0;
    for unit in units {
        let cost: usize = unit.iter().map(|f| f.tokens).sum();
        if cost > budget {
            grouping
                .windowed
                .extend(unit.into_iter().map(|f| f.path.clone()));
            continue;
        }
        if used + cost > budget && !current.is_empty() {
            grouping
                .parts
                .push(current.drain(..).map(|f| f.path.clone()).collect());
            used = 0;
        }
        used += cost;
        current.extend(unit);
    }
    if !current.is_empty() {
        grouping
            .parts
            .push(current.into_iter().map(|f| f.path.clone()).collect());
    }
    if grouping.parts.len() > max_parts.max(1) {
        for part in grouping.parts.split_off(max_parts.max(1)) {
            for path in part {
                grouping.omitted.push((
                    path,
                    format!("beyond the {max_parts}-part limit ([run] max_parts)"),
                ));
            }
        }
    }
    grouping
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(full: usize, compact: usize, context: usize) -> Sizes {
        Sizes {
            fixed_full: full,
            fixed_compact: compact,
            context,
        }
    }

    #[test]
    fn without_a_window_nothing_changes() {
        assert_eq!(
            fit(None, ProfileChoice::Auto, sizes(10_000, 2000, 50_000), 4096),
            Fit::Whole(PromptProfile::Full)
        );
        assert_eq!(
            fit(None, ProfileChoice::Compact, sizes(10_000, 2000, 5), 4096),
            Fit::Whole(PromptProfile::Compact)
        );
    }

    #[test]
    fn auto_prefers_full_then_compact_then_parts() {
        let big = Some(Window::new(32_768));
        assert_eq!(
            fit(big, ProfileChoice::Auto, sizes(10_500, 2000, 5400), 2000),
            Fit::Whole(PromptProfile::Full)
        );
        let small = Some(Window::new(8192));
        assert_eq!(
            fit(small, ProfileChoice::Auto, sizes(10_500, 2000, 3000), 1000),
            Fit::Whole(PromptProfile::Compact)
        );
        let tiny = Some(Window::new(4096));
        let Fit::Parts {
            profile,
            context_budget,
        } = fit(tiny, ProfileChoice::Auto, sizes(10_500, 1800, 5400), 1000)
        else {
            panic!("expected parts")
        };
        assert_eq!(profile, PromptProfile::Compact);
        // 4096 - 1000 - 64 = 3032 server tokens = 2636 director tokens; minus 1800.
        assert_eq!(context_budget, 2636 - 1800);
        // Forced full: parts in the full profile, or too small.
        assert!(matches!(
            fit(
                Some(Window::new(16_384)),
                ProfileChoice::Full,
                sizes(10_500, 1800, 9000),
                1000
            ),
            Fit::Parts {
                profile: PromptProfile::Full,
                ..
            }
        ));
    }

    #[test]
    fn a_window_smaller_than_the_fixed_part_is_too_small() {
        let Fit::TooSmall { needs, has } = fit(
            Some(Window::new(2048)),
            ProfileChoice::Auto,
            sizes(10_500, 1800, 100),
            1000,
        ) else {
            panic!("expected too small")
        };
        assert_eq!(has, 2048);
        assert_eq!(
            needs,
            Window::new(2048).needed(1800 + MIN_PART_CONTEXT, 1000)
        );
        assert!(needs > has);
    }

    #[test]
    fn the_output_plan_follows_the_window() {
        let roomy = output_plan(None, 4096);
        assert!(roomy.max_tokens <= 4096 + 64, "{roomy:?}");
        let small = output_plan(Some(4096), 4096);
        assert!(small.max_tokens <= 740, "{small:?}");
        assert!(small.bound.max_findings >= 2);
        let measured = Window {
            tokens: 4096,
            ratio: 1.0,
        };
        assert!(measured.prompt_room(1000) > Window::new(4096).prompt_room(1000));
    }

    fn cost(path: &str, tokens: usize) -> FileCost {
        FileCost {
            path: path.into(),
            tokens,
        }
    }

    #[test]
    fn files_group_by_folder_within_the_budget() {
        let files = [
            cost("k8s/api.yaml", 300),
            cost("infra/db.tf", 500),
            cost("infra/net.tf", 400),
            cost("Dockerfile", 100),
            cost("src/a.js", 700),
            cost("src/b.js", 700),
            cost("huge.sql", 5000),
        ];
        let g = group_files(&files, 1000, 8);
        assert_eq!(
            g.parts,
            vec![
                vec![
                    "Dockerfile".to_string(),
                    "infra/db.tf".into(),
                    "infra/net.tf".into()
                ],
                vec!["k8s/api.yaml".into(), "src/a.js".into()],
                vec!["src/b.js".into()],
            ]
        );
        // The root folder does not fit whole; its huge file alone fits no part, so it
        // is reviewed in windows.
        assert!(g.omitted.is_empty());
        assert_eq!(g.windowed, vec!["huge.sql".to_string()]);
        let capped = group_files(&files, 1000, 2);
        assert_eq!(capped.parts.len(), 2);
        assert!(
            capped
                .omitted
                .iter()
                .any(|(p, why)| p == "src/b.js" && why.contains("max_parts"))
        );
        assert_eq!(group_files(&[], 1000, 8), Grouping::default());
    }
}

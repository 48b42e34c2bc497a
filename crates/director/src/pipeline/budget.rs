//! The budget, last step of the `plan` stage: keep the highest-priority requests that
//! fit `--budget-tokens` / `--budget-usd` (estimated before any call: prompt tokens
//! plus the reply's output budget), drop the rest with the reason. A run that drops
//! an applicable Director is marked partial.

use super::Engine;
use super::plan::Planned;
use crate::error::Error;
use crate::setup::Setup;
use director_core::Usage;

/// Plans kept within the budget, and plans dropped with the reason.
pub(super) type BudgetSplit = (Vec<Planned>, Vec<(Planned, String)>);

impl Engine {
    /// Keep the plans that fit the budget, highest priority first.
    pub(super) fn apply_budget(
        &self,
        setup: &Setup,
        plans: Vec<Planned>,
    ) -> Result<BudgetSplit, Error> {
        let budget = &setup.policy.config.config.budget;
        if budget.max_tokens.is_none() && budget.max_usd.is_none() {
            return Ok((plans, Vec::new()));
        }
        let prices = &setup.policy.config.config.prices;
        let mut spent_tokens = 0u64;
        let mut spent_usd = 0f64;
        let mut kept = Vec::new();
        let mut dropped = Vec::new();
        // Plans are in panel order, which is priority order.
        for plan in plans {
            let estimate = Usage {
                requests: 1,
                prompt_tokens: plan.prompt_tokens as u64,
                cached_prompt_tokens: 0,
                completion_tokens: u64::from(plan.max_output_tokens),
                cost_usd: None,
            };
            let tokens = estimate.total_tokens();
            let usd = match budget.max_usd {
                Some(_) => Some(prices.cost(&plan.model, &estimate).ok_or_else(|| Error::Input {
                    message: format!("--budget-usd needs a price for model `{}`", plan.model),
                    hint: format!(
                        "add [prices.\"{}\"] input_per_mtok/output_per_mtok to .director/config.toml",
                        plan.model
                    ),
                })?),
                None => None,
            };
            let over_tokens = budget.max_tokens.is_some_and(|m| spent_tokens + tokens > m);
            let over_usd = matches!((budget.max_usd, usd), (Some(m), Some(u)) if spent_usd + u > m);
            if over_tokens || over_usd {
                let reason = if over_tokens {
                    format!(
                        "skipped for budget: needs about {tokens} tokens, {} of {} left",
                        budget.max_tokens.unwrap_or(0).saturating_sub(spent_tokens),
                        budget.max_tokens.unwrap_or(0)
                    )
                } else {
                    format!(
                        "skipped for budget: needs about ${:.4}, ${:.4} of ${:.4} left",
                        usd.unwrap_or(0.0),
                        (budget.max_usd.unwrap_or(0.0) - spent_usd).max(0.0),
                        budget.max_usd.unwrap_or(0.0)
                    )
                };
                dropped.push((plan, reason));
            } else {
                spent_tokens += tokens;
                spent_usd += usd.unwrap_or(0.0);
                kept.push(plan);
            }
        }
        Ok((kept, dropped))
    }
}

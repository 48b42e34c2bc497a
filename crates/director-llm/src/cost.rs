//! Cost estimation: a configurable price table (US dollars per million tokens, per
//! model) applied to token usage. Cached prompt tokens have their own price where
//! the provider discounts them.

use director_core::Usage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Prices of one model, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Uncached prompt tokens.
    pub input_per_mtok: f64,
    /// Prompt tokens served from the provider's prompt cache; the input price when absent.
    #[serde(default)]
    pub cached_input_per_mtok: Option<f64>,
    /// Completion tokens.
    pub output_per_mtok: f64,
}

/// Prices by model name (config `[prices."<model>"]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PriceTable(pub BTreeMap<String, Price>);

impl PriceTable {
    /// The price of `model`: an exact entry, else the longest entry that is a prefix
    /// of it (so `gpt-4o` prices `gpt-4o-2024-08-06`).
    pub fn price(&self, model: &str) -> Option<&Price> {
        self.0.get(model).or_else(|| {
            self.0
                .iter()
                .filter(|(name, _)| model.starts_with(name.as_str()))
                .max_by_key(|(name, _)| name.len())
                .map(|(_, price)| price)
        })
    }

    /// Estimated cost of `usage` on `model` in US dollars, if the model is priced.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        let price = self.price(model)?;
        let cached = usage.cached_prompt_tokens.min(usage.prompt_tokens);
        let uncached = usage.prompt_tokens - cached;
        let per_token = |per_mtok: f64, tokens: u64| per_mtok * tokens as f64 / 1_000_000.0;
        Some(
            per_token(price.input_per_mtok, uncached)
                + per_token(
                    price.cached_input_per_mtok.unwrap_or(price.input_per_mtok),
                    cached,
                )
                + per_token(price.output_per_mtok, usage.completion_tokens),
        )
    }

    /// Names of models with a negative or non-finite price (a config mistake).
    pub fn invalid_entries(&self) -> Vec<&str> {
        let bad = |v: f64| !v.is_finite() || v < 0.0;
        self.0
            .iter()
            .filter(|(_, p)| {
                bad(p.input_per_mtok)
                    || bad(p.output_per_mtok)
                    || p.cached_input_per_mtok.is_some_and(bad)
            })
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PriceTable {
        serde_json::from_str(
            r#"{"gpt-4o":{"input_per_mtok":2.5,"cached_input_per_mtok":1.25,"output_per_mtok":10.0},
                "gpt-4o-mini":{"input_per_mtok":0.15,"output_per_mtok":0.6}}"#,
        )
        .unwrap()
    }

    fn usage(prompt: u64, cached: u64, completion: u64) -> Usage {
        Usage {
            requests: 1,
            prompt_tokens: prompt,
            cached_prompt_tokens: cached,
            completion_tokens: completion,
            cost_usd: None,
        }
    }

    #[test]
    fn cost_splits_cached_prompt_tokens() {
        let cost = table()
            .cost("gpt-4o", &usage(1_000_000, 400_000, 100_000))
            .unwrap();
        // 600k * 2.5 + 400k * 1.25 + 100k * 10 per million.
        assert!((cost - (1.5 + 0.5 + 1.0)).abs() < 1e-9, "{cost}");
        let mini = table()
            .cost("gpt-4o-mini", &usage(1_000_000, 500_000, 0))
            .unwrap();
        assert!(
            (mini - 0.15).abs() < 1e-9,
            "cached falls back to the input price: {mini}"
        );
    }

    #[test]
    fn longest_prefix_and_unknown_models() {
        let t = table();
        assert_eq!(t.price("gpt-4o-mini-2024-07-18"), t.price("gpt-4o-mini"));
        assert_eq!(t.price("gpt-4o-2024-08-06"), t.price("gpt-4o"));
        assert_eq!(t.cost("llama3", &usage(10, 0, 10)), None);
        assert!(t.cost("gpt-4o", &usage(10, 0, 10)).is_some());
    }

    #[test]
    fn unknown_fields_are_rejected_and_negative_prices_flagged() {
        let err = serde_json::from_str::<PriceTable>(
            r#"{"m":{"input_per_mtok":1,"output_per_mtok":1,"input":3}}"#,
        );
        assert!(err.is_err());
        let negative: PriceTable =
            serde_json::from_str(r#"{"m":{"input_per_mtok":-1,"output_per_mtok":1}}"#).unwrap();
        assert_eq!(negative.invalid_entries(), ["m"]);
        assert!(table().invalid_entries().is_empty());
    }
}

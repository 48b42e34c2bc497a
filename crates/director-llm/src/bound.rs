//! Bounding the answer: a bounded form of the verdict schema, so that
//! grammar-constrained decoding has to stop, and the output budget sized to it.
//!
//! A small model under a grammar with an unbounded array has no reason to close it:
//! it repeats an item until the output cap. The bounded schema sends `maxItems` on
//! the findings and their resources and, where the server's grammar honours it
//! (llama.cpp, Ollama, vLLM; OpenAI strict mode rejects the keyword), `maxLength`
//! on every string. The largest answer the bound allows is then known, and
//! `max_tokens` is sized to it. Replies are still validated against the canonical
//! schema ([`director_core::verdict::verdict_schema`]), which the bounded one only
//! narrows.
//!
//! A reply cut off anyway (`finish_reason: length`) may still hold complete
//! findings: [`salvage`] keeps them as a partial verdict, which never counts as a
//! Director's answer on its own.

use director_core::Verdict;
use director_core::verdict::{validate_verdict_value, verdict_schema};
use serde_json::{Value, json};

/// Characters per output token assumed when sizing `max_tokens` to a bound: JSON
/// punctuation and keys are short tokens, prose and code longer ones.
const CHARS_PER_TOKEN: f64 = 3.5;
/// Output tokens added to the bound's estimate (the first tokens, whitespace).
const SLACK_TOKENS: u32 = 32;

/// Limits on the size of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerBound {
    /// Findings at most.
    pub max_findings: u32,
    /// Resources per finding at most.
    pub max_resources: u32,
    /// Characters of `summary`.
    pub summary_chars: u32,
    /// Characters of a finding's `title`.
    pub title_chars: u32,
    /// Characters of a finding's `category`.
    pub category_chars: u32,
    /// Characters of a finding's `path`.
    pub path_chars: u32,
    /// Characters of a finding's `evidence`.
    pub evidence_chars: u32,
    /// Characters of a finding's `recommendation`.
    pub recommendation_chars: u32,
    /// Characters of one resource name.
    pub resource_chars: u32,
}

impl AnswerBound {
    /// The bound for a roomy output budget: twelve findings, generous strings.
    pub const STANDARD: AnswerBound = AnswerBound {
        max_findings: 12,
        max_resources: 8,
        summary_chars: 600,
        title_chars: 160,
        category_chars: 40,
        path_chars: 200,
        evidence_chars: 800,
        recommendation_chars: 500,
        resource_chars: 100,
    };

    /// The smallest bound director shrinks to: two findings with short strings.
    pub const FLOOR: AnswerBound = AnswerBound {
        max_findings: 2,
        max_resources: 3,
        summary_chars: 200,
        title_chars: 80,
        category_chars: 32,
        path_chars: 120,
        evidence_chars: 160,
        recommendation_chars: 160,
        resource_chars: 60,
    };

    /// The largest bound (from [`AnswerBound::STANDARD`] down to
    /// [`AnswerBound::FLOOR`]) whose [`AnswerBound::max_tokens`] fits `tokens`:
    /// fewer findings first, then shorter strings.
    pub fn for_output_tokens(tokens: u32) -> AnswerBound {
        let mut bound = AnswerBound::STANDARD;
        while bound.max_tokens() > tokens && bound != AnswerBound::FLOOR {
            let floor = AnswerBound::FLOOR;
            if bound.max_findings > 4 {
                bound.max_findings -= 1;
                bound.max_resources = bound.max_resources.saturating_sub(1).max(4);
                continue;
            }
            let shrink = |v: u32, min: u32| (v * 4 / 5).max(min);
            let smaller = AnswerBound {
                max_findings: bound.max_findings,
                max_resources: bound.max_resources,
                summary_chars: shrink(bound.summary_chars, floor.summary_chars),
                title_chars: shrink(bound.title_chars, floor.title_chars),
                category_chars: shrink(bound.category_chars, floor.category_chars),
                path_chars: shrink(bound.path_chars, floor.path_chars),
                evidence_chars: shrink(bound.evidence_chars, floor.evidence_chars),
                recommendation_chars: shrink(
                    bound.recommendation_chars,
                    floor.recommendation_chars,
                ),
                resource_chars: shrink(bound.resource_chars, floor.resource_chars),
            };
            bound = if smaller == bound {
                // Strings at their floor: fewer findings and resources.
                AnswerBound {
                    max_findings: (bound.max_findings - 1).max(floor.max_findings),
                    max_resources: (bound.max_resources - 1).max(floor.max_resources),
                    ..bound
                }
            } else {
                smaller
            };
        }
        bound
    }

    /// The largest answer within the bound, serialized (every string at its limit).
    fn largest_answer(&self) -> Value {
        let text = |n: u32| "x".repeat(n as usize);
        let finding = json!({
            "severity": "blocking",
            "category": text(self.category_chars),
            "title": text(self.title_chars),
            "resources": vec![text(self.resource_chars); self.max_resources as usize],
            "path": text(self.path_chars),
            "start_line": u32::MAX,
            "end_line": u32::MAX,
            "evidence": text(self.evidence_chars),
            "recommendation": text(self.recommendation_chars),
        });
        json!({
            "verdict": "block",
            "summary": text(self.summary_chars),
            "findings": vec![finding; self.max_findings as usize],
        })
    }

    /// Characters of the largest answer within the bound.
    pub fn worst_case_chars(&self) -> usize {
        self.largest_answer().to_string().len()
    }

    /// Output tokens that hold the largest answer within the bound.
    pub fn max_tokens(&self) -> u32 {
        let tokens = (self.worst_case_chars() as f64 / CHARS_PER_TOKEN).ceil() as u32;
        tokens.saturating_add(SLACK_TOKENS)
    }

    /// The verdict schema with this bound: `maxItems` always, `maxLength` on the
    /// strings when `max_length` (the server's grammar honours it).
    pub fn schema(&self, max_length: bool) -> Value {
        let mut schema = verdict_schema().clone();
        let length = |schema: &mut Value, pointer: &str, chars: u32| {
            if let Some(Value::Object(node)) = schema.pointer_mut(pointer) {
                node.insert("maxLength".into(), json!(chars));
            }
        };
        if let Some(Value::Object(findings)) = schema.pointer_mut("/properties/findings") {
            findings.insert("maxItems".into(), json!(self.max_findings));
        }
        let item = "/properties/findings/items/properties";
        if let Some(Value::Object(resources)) = schema.pointer_mut(&format!("{item}/resources")) {
            resources.insert("maxItems".into(), json!(self.max_resources));
        }
        if max_length {
            length(&mut schema, "/properties/summary", self.summary_chars);
            for (field, chars) in [
                ("title", self.title_chars),
                ("category", self.category_chars),
                ("path", self.path_chars),
                ("evidence", self.evidence_chars),
                ("recommendation", self.recommendation_chars),
            ] {
                length(&mut schema, &format!("{item}/{field}"), chars);
            }
            length(
                &mut schema,
                &format!("{item}/resources/items"),
                self.resource_chars,
            );
        }
        schema
    }
}

/// The complete findings at the start of a reply that was cut off, as a verdict,
/// if there are any: the reply is cut after each complete finding, from the last
/// one back, closed, and validated against the canonical schema.
pub fn salvage(text: &str) -> Option<Verdict> {
    let text = text.trim_start();
    let findings_at = text.find("\"findings\"")?;
    let mut cuts: Vec<usize> = text[findings_at..]
        .match_indices('}')
        .map(|(i, _)| findings_at + i + 1)
        .collect();
    cuts.reverse();
    for cut in cuts {
        let closed = format!("{}]}}", &text[..cut]);
        let Ok(value) = serde_json::from_str::<Value>(&closed) else {
            continue;
        };
        if let Ok(verdict) = validate_verdict_value(&value)
            && !verdict.findings.is_empty()
        {
            return Some(verdict);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_shrinks_to_the_budget() {
        let standard = AnswerBound::STANDARD;
        assert!(standard.max_tokens() > 4000, "{}", standard.max_tokens());
        assert_eq!(AnswerBound::for_output_tokens(u32::MAX), standard);
        for budget in [512, 1024, 2048, 4096, 8192] {
            let bound = AnswerBound::for_output_tokens(budget);
            assert!(
                bound.max_tokens() <= budget || bound == AnswerBound::FLOOR,
                "{budget}: {bound:?} needs {}",
                bound.max_tokens()
            );
        }
        let small = AnswerBound::for_output_tokens(1024);
        assert!(
            small.max_findings >= 2 && small.max_findings <= 4,
            "{small:?}"
        );
        assert_eq!(AnswerBound::for_output_tokens(10), AnswerBound::FLOOR);
    }

    #[test]
    fn the_bounded_schema_narrows_the_canonical_one() {
        let bound = AnswerBound::for_output_tokens(1024);
        let grammar = bound.schema(true);
        assert_eq!(
            grammar["properties"]["findings"]["maxItems"],
            bound.max_findings
        );
        let item = &grammar["properties"]["findings"]["items"]["properties"];
        assert_eq!(item["resources"]["maxItems"], bound.max_resources);
        assert_eq!(item["evidence"]["maxLength"], bound.evidence_chars);
        assert_eq!(
            item["resources"]["items"]["maxLength"],
            bound.resource_chars
        );
        assert_eq!(
            grammar["properties"]["summary"]["maxLength"],
            bound.summary_chars
        );
        let strict = bound.schema(false);
        assert!(!strict.to_string().contains("maxLength"));
        assert!(strict.to_string().contains("maxItems"));
        // The largest bounded answer is a valid verdict under the canonical schema.
        validate_verdict_value(&bound.largest_answer()).unwrap();
        // The bounded schema is the canonical one plus bounds: nothing else changed.
        let mut stripped = grammar.clone();
        strip_bounds(&mut stripped);
        assert_eq!(&stripped, verdict_schema());
    }

    fn strip_bounds(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("maxItems");
                map.remove("maxLength");
                map.values_mut().for_each(strip_bounds);
            }
            Value::Array(items) => items.iter_mut().for_each(strip_bounds),
            _ => {}
        }
    }

    #[test]
    fn complete_findings_are_salvaged_from_a_cut_reply() {
        let finding = |title: &str| {
            json!({"severity": "warning", "category": "reliability", "title": title,
                "resources": ["a", "b"], "path": "main.tf", "start_line": 1, "end_line": 2,
                "evidence": "x = {}", "recommendation": "Fix {it}."})
        };
        let full = json!({"verdict": "warn", "summary": "s", "findings": [finding("one"), finding("two"), finding("three")]}).to_string();
        let cut = &full[..full.rfind("three").unwrap()];
        let verdict = salvage(cut).unwrap();
        assert_eq!(verdict.findings.len(), 2);
        assert_eq!(verdict.findings[1].title, "two");
        // Nothing complete: nothing salvaged.
        assert!(
            salvage(r#"{"verdict": "pass", "summary": "s", "findings": [{"severity": "warn"#)
                .is_none()
        );
        assert!(salvage(r#"{"verdict": "pass", "summary": "s", "findings": []"#).is_none());
        assert!(salvage("not json").is_none());
    }
}

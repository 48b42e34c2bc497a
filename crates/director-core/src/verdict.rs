//! The verdict a Director answers with, its JSON schema in the form OpenAI strict
//! structured outputs accept, and validation of raw replies against that schema.
//!
//! The schema is generated from the Rust types with schemars and then made strict:
//! every object lists all of its properties as required (optional values are
//! nullable instead), forbids additional properties, has every subschema inlined and
//! keeps the declaration order of its properties. Every reply is validated against
//! the very same schema before any of it is used.

use crate::error::CoreError;
use crate::severity::{Severity, VerdictKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The whole answer of one Director.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "DirectorVerdict")]
pub struct Verdict {
    /// `block` if any finding is blocking, `warn` if there are only warnings, else `pass`.
    pub verdict: VerdictKind,
    /// Two or three sentences: what was reviewed and the overall judgement.
    pub summary: String,
    /// Every problem found, most severe first. Empty when there is nothing to report.
    pub findings: Vec<ReportedFinding>,
}

/// One problem a Director reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedFinding {
    /// `blocking` only for problems that must be fixed before the work is complete.
    pub severity: Severity,
    /// The area of concern in kebab-case, e.g. `reliability`, `disaster-recovery`, `cost`.
    pub category: String,
    /// One line naming the problem.
    pub title: String,
    /// The resources affected, e.g. `aws_db_instance.main`, `Deployment/api-server`.
    pub resources: Vec<String>,
    /// Repository-relative path of the file the problem is in, or null if it is not in one file.
    pub path: Option<String>,
    /// First line (1-based) of the quoted evidence in `path`, or null.
    pub start_line: Option<u32>,
    /// Last line (1-based, inclusive) of the quoted evidence in `path`, or null.
    pub end_line: Option<u32>,
    /// The exact lines of code the finding is about, copied verbatim from the file, or null.
    pub evidence: Option<String>,
    /// The concrete fix.
    pub recommendation: String,
}

/// The verdict JSON schema in strict form. Computed once.
pub fn verdict_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(strict_schema_for::<Verdict>)
}

/// Generate the schema of `T` and make it acceptable to OpenAI strict structured outputs.
fn strict_schema_for<T: JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let mut value = generator.into_root_schema_for::<T>().to_value();
    make_strict(&mut value);
    value
}

/// Rewrite a JSON schema in place into the strict subset: all properties required,
/// no additional properties, no keywords strict mode rejects.
pub fn make_strict(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    // Keywords OpenAI strict mode does not accept, or that only add noise once
    // every subschema is inlined.
    // An unsigned integer's width becomes its `maximum` (strict mode and grammars
    // take the bound, not the `format`): a grammar-constrained model may otherwise
    // write a line number the deserializer cannot hold, a reply no repair fixes.
    let width_max = match map.get("format").and_then(Value::as_str) {
        Some("uint8") => Some(u64::from(u8::MAX)),
        Some("uint16") => Some(u64::from(u16::MAX)),
        Some("uint32") => Some(u64::from(u32::MAX)),
        _ => None,
    };
    if let Some(max) = width_max {
        map.entry("maximum").or_insert(Value::from(max));
    }
    for keyword in ["$schema", "format", "$defs", "definitions"] {
        map.remove(keyword);
    }
    collapse_const_one_of(map);
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        let names: Vec<Value> = props.keys().cloned().map(Value::String).collect();
        for sub in props.values_mut() {
            make_strict(sub);
        }
        map.insert("required".into(), Value::Array(names));
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    for key in ["items", "anyOf", "oneOf", "allOf"] {
        match map.get_mut(key) {
            Some(Value::Array(items)) => items.iter_mut().for_each(make_strict),
            Some(item @ Value::Object(_)) => make_strict(item),
            _ => {}
        }
    }
}

/// Strict mode (and most grammar-constrained local servers) accept `enum` but not
/// `oneOf`; schemars writes documented unit enums as a `oneOf` of `const` strings.
/// Rewrite those to one `enum`, folding the variants' docs into the description.
fn collapse_const_one_of(map: &mut Map<String, Value>) {
    let Some(Value::Array(branches)) = map.get("oneOf") else {
        return;
    };
    let mut values = Vec::new();
    let mut docs = Vec::new();
    for branch in branches {
        let (Some(Value::String(c)), Some("string")) = (
            branch.get("const"),
            branch.get("type").and_then(Value::as_str),
        ) else {
            return;
        };
        values.push(Value::String(c.clone()));
        if let Some(d) = branch.get("description").and_then(Value::as_str) {
            docs.push(format!("`{c}`: {d}"));
        }
    }
    map.remove("oneOf");
    map.insert("type".into(), Value::String("string".into()));
    map.insert("enum".into(), Value::Array(values));
    if !docs.is_empty() {
        let base = map
            .get("description")
            .and_then(Value::as_str)
            .map(|d| format!("{d} "))
            .unwrap_or_default();
        map.insert(
            "description".into(),
            Value::String(format!("{base}{}", docs.join(" "))),
        );
    }
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        // The schema is generated from our own types at startup; a failure here is a
        // programming error caught by the unit tests, never a user input problem.
        #[expect(clippy::expect_used, reason = "schema generated from our own types")]
        jsonschema::validator_for(verdict_schema()).expect("verdict schema compiles")
    })
}

/// Validate a parsed JSON value against the verdict schema and convert it.
pub fn validate_verdict_value(value: &Value) -> Result<Verdict, CoreError> {
    let errors: Vec<String> = validator()
        .iter_errors(value)
        .map(|e| {
            let path = e.instance_path().to_string();
            let path = if path.is_empty() {
                "/".to_string()
            } else {
                path
            };
            format!("at {path}: {e}")
        })
        .take(20)
        .collect();
    if !errors.is_empty() {
        return Err(CoreError::SchemaViolation {
            details: errors.join("; "),
        });
    }
    serde_json::from_value(value.clone()).map_err(|e| CoreError::SchemaViolation {
        details: e.to_string(),
    })
}

/// Parse and validate a raw reply text.
///
/// Accepts the JSON document alone, or — for servers without structured outputs —
/// one JSON object wrapped in a Markdown code fence or surrounded by prose.
pub fn parse_verdict(text: &str) -> Result<Verdict, CoreError> {
    let value = extract_json_object(text)?;
    validate_verdict_value(&value)
}

/// Find the JSON object in a reply: the whole text, a fenced block, or the outermost
/// `{ … }` span.
fn extract_json_object(text: &str) -> Result<Value, CoreError> {
    let trimmed = text.trim();
    let direct = serde_json::from_str::<Value>(trimmed);
    if let Ok(value @ Value::Object(_)) = &direct {
        return Ok(value.clone());
    }
    let candidates = fenced_blocks(trimmed)
        .into_iter()
        .chain(outer_braces(trimmed));
    for candidate in candidates {
        if let Ok(value @ Value::Object(_)) = serde_json::from_str::<Value>(candidate.trim()) {
            return Ok(value);
        }
    }
    match direct {
        Err(e) => Err(CoreError::NotJson(e)),
        Ok(_) => Err(CoreError::SchemaViolation {
            details: "at /: the reply is JSON but not an object".into(),
        }),
    }
}

fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        // Skip an info string such as `json` up to the end of the line.
        let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
        let body = &after[body_start..];
        match body.find("```") {
            Some(end) => {
                blocks.push(&body[..end]);
                rest = &body[end + 3..];
            }
            None => break,
        }
    }
    blocks
}

fn outer_braces(text: &str) -> Option<&str> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    (end > start).then(|| &text[start..=end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn walk(v: &Value, f: &mut impl FnMut(&Map<String, Value>)) {
        match v {
            Value::Object(m) => {
                f(m);
                m.values().for_each(|c| walk(c, f));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, f)),
            _ => {}
        }
    }

    #[test]
    fn schema_is_strict_everywhere() {
        let schema = verdict_schema();
        let mut objects = 0;
        walk(schema, &mut |m| {
            assert!(!m.contains_key("$ref"), "subschemas must be inlined");
            assert!(!m.contains_key("format"));
            assert!(
                !m.contains_key("oneOf"),
                "strict mode takes enum, not oneOf"
            );
            if let Some(Value::Object(props)) = m.get("properties") {
                objects += 1;
                assert_eq!(m.get("additionalProperties"), Some(&Value::Bool(false)));
                let required: Vec<&str> = m["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                let keys: Vec<&str> = props.keys().map(String::as_str).collect();
                assert_eq!(required, keys, "all properties required, in order");
            }
        });
        assert_eq!(objects, 2);
        assert!(!schema.as_object().unwrap().contains_key("$schema"));
    }

    #[test]
    fn property_order_is_declaration_order() {
        let top: Vec<&String> = verdict_schema()["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(top, ["verdict", "summary", "findings"]);
        assert_eq!(
            verdict_schema()["properties"]["verdict"]["enum"],
            serde_json::json!(["pass", "warn", "block"])
        );
        let item = &verdict_schema()["properties"]["findings"]["items"]["properties"];
        let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "severity",
                "category",
                "title",
                "resources",
                "path",
                "start_line",
                "end_line",
                "evidence",
                "recommendation"
            ]
        );
    }

    #[test]
    fn nullable_fields_accept_null() {
        let v = json!({"verdict":"warn","summary":"s","findings":[{"severity":"warning",
            "category":"cost","title":"t","resources":[],"path":null,"start_line":null,
            "end_line":null,"evidence":null,"recommendation":"r"}]});
        let verdict = validate_verdict_value(&v).unwrap();
        assert_eq!(verdict.findings[0].severity, Severity::Warning);
    }

    #[test]
    fn rejects_missing_and_extra_and_bad_enum() {
        let missing = json!({"verdict":"pass","findings":[]});
        let err = validate_verdict_value(&missing).unwrap_err().to_string();
        assert!(err.contains("summary"), "{err}");
        let extra = json!({"verdict":"pass","summary":"","findings":[],"extra":1});
        assert!(validate_verdict_value(&extra).is_err());
        let bad = json!({"verdict":"maybe","summary":"","findings":[]});
        let err = validate_verdict_value(&bad).unwrap_err().to_string();
        assert!(err.contains("/verdict"), "{err}");
        let neg = json!({"verdict":"warn","summary":"s","findings":[{"severity":"warning",
            "category":"cost","title":"t","resources":[],"path":"a","start_line":-3,
            "end_line":null,"evidence":null,"recommendation":"r"}]});
        assert!(validate_verdict_value(&neg).is_err());
        // A line number beyond u32 (Gemma 3 270M under a grammar wrote 1e15) is
        // outside the schema too, not only outside the deserializer.
        let huge = json!({"verdict":"warn","summary":"s","findings":[{"severity":"warning",
            "category":"cost","title":"t","resources":[],"path":"a","start_line":1_000_000_000_000_000_u64,
            "end_line":null,"evidence":null,"recommendation":"r"}]});
        let err = validate_verdict_value(&huge).unwrap_err().to_string();
        assert!(err.contains("start_line"), "{err}");
        let line = &verdict_schema()["properties"]["findings"]["items"]["properties"]["start_line"];
        assert_eq!(line["maximum"], json!(u32::MAX), "{line}");
    }

    #[test]
    fn extracts_json_from_fences_and_prose() {
        let body = r#"{"verdict":"pass","summary":"ok","findings":[]}"#;
        assert!(parse_verdict(body).is_ok());
        assert!(parse_verdict(&format!("```json\n{body}\n```")).is_ok());
        assert!(parse_verdict(&format!("Here is my verdict:\n{body}\nThanks.")).is_ok());
        assert!(matches!(
            parse_verdict("I think it is fine."),
            Err(CoreError::NotJson(_))
        ));
        assert!(matches!(
            parse_verdict("[1,2]"),
            Err(CoreError::SchemaViolation { .. })
        ));
    }
}

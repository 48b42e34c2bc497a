//! YAML (and JSON, which is YAML's flow syntax) loading for the Kubernetes and Compose
//! analyzers: `saphyr`'s marked documents turned into a small owned tree that knows
//! the 1-based line range of every node and mapping key.
//!
//! Two guards keep analysis total: input nested deeper than the analyzers follow is
//! rejected before parsing ([`director_core::nesting`]: saphyr builds and drops
//! documents recursively, so a pathological file could exhaust the stack), and when a multi-document stream fails
//! to parse, each `---` document is parsed on its own so that one broken document does
//! not hide the others.

use crate::error::EvidenceError;
use director_core::nesting::yaml_too_deep;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// A scalar or collection value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A mapping, in document order.
    Map(Vec<Entry>),
    /// A sequence.
    Seq(Vec<Node>),
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// `null`, `~`, an empty value, or anything the analyzers do not interpret (aliases).
    Null,
}

/// A mapping entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// The key as a string (non-scalar keys are dropped).
    pub key: String,
    /// The key's line.
    pub key_line: u32,
    /// The value.
    pub value: Node,
}

impl Entry {
    /// The lines from the key to the end of the value.
    pub fn lines(&self) -> (u32, u32) {
        (self.key_line, self.value.end.max(self.key_line))
    }
}

/// A node with its 1-based inclusive line range.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// The value.
    pub value: Value,
    /// First line.
    pub start: u32,
    /// Last line.
    pub end: u32,
}

impl Node {
    /// The entry for `key`, if this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value of `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Follow a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// True for a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// True for null (or a value the analyzers treat as absent).
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The mapping's entries, or none.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The sequence's items, or none.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The string value (scalars of other types are not converted).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean, also from the strings `true`/`false`.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            Value::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// An integer (integral floats included; strings are not numbers in Kubernetes).
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Int(i) => Some(*i),
            #[expect(
                clippy::cast_possible_truncation,
                reason = "checked to be integral and in range"
            )]
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }

    /// Any scalar rendered as a string (for labels and selectors).
    pub fn scalar_string(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A mapping's entries with scalar values, as strings (labels, `matchLabels`).
    pub fn scalar_pairs(&self) -> Vec<(String, String)> {
        self.entries()
            .iter()
            .filter_map(|e| Some((e.key.clone(), e.value.scalar_string()?)))
            .collect()
    }
}

/// Parse every document of a YAML (or JSON) stream. Documents that fail are reported
/// as errors; the others are returned with their lines in the whole file's numbering.
pub(crate) fn load(
    path: &str,
    text: &str,
    format: &'static str,
) -> (Vec<Node>, Vec<EvidenceError>) {
    if let Some(limit) = yaml_too_deep(text) {
        return (
            Vec::new(),
            vec![EvidenceError::TooDeep {
                path: path.to_string(),
                format,
                limit,
            }],
        );
    }
    match MarkedYaml::load_from_str(text) {
        Ok(docs) => (docs.iter().map(|d| convert(d, 0)).collect(), Vec::new()),
        Err(first_error) => {
            let chunks = split_documents(text);
            if chunks.len() < 2 {
                let line = u32::try_from(first_error.marker().line()).unwrap_or(u32::MAX);
                return (
                    Vec::new(),
                    vec![syntax(path, format, line, first_error.info())],
                );
            }
            let mut nodes = Vec::new();
            let mut errors = Vec::new();
            for (first_line, chunk) in chunks {
                match MarkedYaml::load_from_str(chunk) {
                    Ok(docs) => nodes.extend(docs.iter().map(|d| convert(d, first_line - 1))),
                    Err(e) => {
                        let line = u32::try_from(e.marker().line()).unwrap_or(0);
                        errors.push(syntax(path, format, first_line - 1 + line, e.info()));
                    }
                }
            }
            (nodes, errors)
        }
    }
}

fn syntax(path: &str, format: &'static str, line: u32, message: &str) -> EvidenceError {
    EvidenceError::Syntax {
        path: path.to_string(),
        format,
        line: line.max(1),
        message: message.to_string(),
    }
}

/// Split a stream at `---` document markers in column 0; each chunk with its first
/// (1-based) line.
fn split_documents(text: &str) -> Vec<(u32, &str)> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut offset = 0usize;
    for (line_no, line) in (1u32..).zip(text.split_inclusive('\n')) {
        let bare = line.trim_end_matches(['\n', '\r']);
        if line_no > 1 && (bare == "---" || bare.starts_with("--- ")) {
            chunks.push((start_line, &text[start..offset]));
            start = offset;
            start_line = line_no;
        }
        offset += line.len();
    }
    chunks.push((start_line, &text[start..]));
    chunks
}

fn line(marker_line: usize, shift: u32) -> u32 {
    u32::try_from(marker_line)
        .unwrap_or(u32::MAX)
        .saturating_add(shift)
}

fn convert(node: &MarkedYaml<'_>, shift: u32) -> Node {
    let start = line(node.span.start.line(), shift).max(1);
    let (value, end) = match &node.data {
        YamlData::Mapping(map) => {
            let mut end = start;
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map {
                let Some(key) = scalar_key(&k.data) else {
                    continue;
                };
                let value = convert(v, shift);
                let key_line = line(k.span.start.line(), shift).max(1);
                end = end.max(value.end).max(key_line);
                entries.push(Entry {
                    key,
                    key_line,
                    value,
                });
            }
            (Value::Map(entries), end)
        }
        YamlData::Sequence(seq) => {
            let items: Vec<Node> = seq.iter().map(|n| convert(n, shift)).collect();
            let end = items.iter().map(|n| n.end).fold(start, u32::max);
            (Value::Seq(items), end)
        }
        YamlData::Value(scalar) => (scalar_value(scalar), scalar_end(node, start, shift)),
        YamlData::Tagged(_, inner) => {
            let inner = convert(inner, shift);
            (inner.value, inner.end.max(start))
        }
        _ => (Value::Null, start),
    };
    Node { value, start, end }
}

fn scalar_end(node: &MarkedYaml<'_>, start: u32, shift: u32) -> u32 {
    let end = &node.span.end;
    let mut last = line(end.line(), shift);
    if end.col() == 0 && last > start {
        last -= 1;
    }
    last.max(start)
}

fn scalar_value(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Int(*i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::Str(s.to_string()),
    }
}

fn scalar_key<'i>(data: &YamlData<'i, MarkedYaml<'i>>) -> Option<String> {
    match data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Null) => Some(String::new()),
        YamlData::Tagged(_, inner) => scalar_key(&inner.data),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_nodes() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: c\n    image: x\n\n---\nkind: B\n";
        let (docs, errors) = load("f.yaml", text, "YAML");
        assert!(errors.is_empty());
        assert_eq!(docs.len(), 2);
        let pod = &docs[0];
        assert_eq!((pod.start, pod.end), (1, 8));
        let spec = pod.entry("spec").unwrap();
        assert_eq!(spec.key_line, 5);
        let c = &spec.value.get("containers").unwrap().items()[0];
        assert_eq!((c.start, c.end), (7, 8));
        assert_eq!(c.get("image").unwrap().as_str(), Some("x"));
        assert_eq!(docs[1].start, 11);
    }

    #[test]
    fn json_documents() {
        let text = "{\n  \"kind\": \"Pod\",\n  \"spec\": {\n    \"x\": true\n  }\n}\n";
        let (docs, errors) = load("f.json", text, "JSON");
        assert!(errors.is_empty());
        assert_eq!(docs[0].entry("spec").unwrap().key_line, 3);
        assert_eq!(docs[0].path(&["spec", "x"]).unwrap().as_bool(), Some(true));
    }

    #[test]
    fn broken_document_does_not_hide_others() {
        let text = "kind: A\n---\nkind: [\n---\nkind: C\n";
        let (docs, errors) = load("f.yaml", text, "YAML");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].start, 5);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .to_string()
                .starts_with("f.yaml: invalid YAML at line")
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let (docs, errors) = load("f.yaml", &"- ".repeat(400), "YAML");
        assert!(docs.is_empty());
        assert!(matches!(errors[0], EvidenceError::TooDeep { .. }));
        let (_, errors) = load("f.json", &"[".repeat(100), "JSON");
        assert!(matches!(errors[0], EvidenceError::TooDeep { .. }));
    }
}

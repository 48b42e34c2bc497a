//! Terraform's JSON syntax (`*.tf.json`, `*.tfvars.json`) read into the same model as
//! HCL: the JSON is loaded with its lines (through the crate's YAML loader, since JSON
//! is YAML's flow syntax) and written out as HCL whose constructs sit on the same
//! lines as in the JSON, then parsed like any `.tf` file. Findings therefore quote the
//! JSON file's own lines. (Pretty-printed JSON, one member per line as CDKTF, `jq` and
//! editors write it, lines up exactly; members that share a line are placed on the
//! following lines.)
//!
//! The mapping follows Terraform's JSON syntax: `resource`/`data` objects hold types,
//! then names, then bodies; `module`, `provider`, `variable`, `output` hold names, then
//! bodies; strings are templates (`"${var.x}"`) except in variable files. Inside
//! resource and provider bodies an object or a list of objects is a nested block, except
//! the attributes known to hold maps (`tags`, `labels`, `variables`, ...).

use super::FileRole;
use crate::error::EvidenceError;
use crate::yaml::{self, Entry, Node, Value};

/// Attributes whose object value is a map, not a nested block.
const MAP_ATTRIBUTES: &[&str] = &[
    "tags",
    "tags_all",
    "labels",
    "variables",
    "parameters",
    "annotations",
    "triggers",
    "environment_variables",
    "dimensions",
];
/// Nested blocks that do not configure the resource (not carried over).
const SKIPPED_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection", "//"];

/// HCL text generated from JSON, with its line index.
pub(crate) struct HclText {
    /// The generated HCL.
    pub text: String,
    starts: Vec<usize>,
}

impl HclText {
    fn new(text: String) -> HclText {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        HclText { text, starts }
    }

    /// The 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> u32 {
        let idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        u32::try_from(idx + 1).unwrap_or(u32::MAX)
    }

    /// The lines covering the byte range `start..end`.
    pub fn lines_of(&self, start: usize, end: usize) -> (u32, u32) {
        let first = self.line_of(start);
        let last = self.line_of(end.saturating_sub(1).max(start));
        (first, last.max(first))
    }
}

/// Convert a JSON configuration or variable file to line-aligned HCL.
pub(crate) fn to_hcl(path: &str, text: &str, role: FileRole) -> (HclText, Vec<EvidenceError>) {
    let (docs, errors) = yaml::load(path, text, "JSON");
    let mut w = Writer {
        out: String::with_capacity(text.len()),
        line: 1,
        dirty: false,
        templates: role == FileRole::Config,
    };
    if let Some(Value::Map(entries)) = docs.first().map(|d| &d.value) {
        match role {
            FileRole::Config => w.config(entries),
            FileRole::Vars => w.attributes(entries),
        }
    }
    (HclText::new(w.out), errors)
}

struct Writer {
    out: String,
    /// The line being written (1-based).
    line: u32,
    /// Whether the current line has content.
    dirty: bool,
    /// Strings are templates (configuration) or literals (variable files).
    templates: bool,
}

impl Writer {
    /// Start a construct on `line`, or on the next free line if that one is taken.
    fn at(&mut self, line: u32) {
        if self.dirty {
            self.newline();
        }
        while self.line < line {
            self.newline();
        }
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.line += 1;
        self.dirty = false;
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
        self.dirty = true;
    }

    fn config(&mut self, top: &[Entry]) {
        for entry in top {
            match entry.key.as_str() {
                kind @ ("resource" | "data") => {
                    for by_type in entry.value.entries() {
                        for named in by_type.value.entries() {
                            self.each_body(&named.value, |w, body| {
                                w.block(kind, &[&by_type.key, &named.key], body, true);
                            });
                        }
                    }
                }
                kind @ ("module" | "provider" | "variable" | "output") => {
                    let nested = kind == "provider";
                    for named in entry.value.entries() {
                        self.each_body(&named.value, |w, body| {
                            w.block(kind, &[&named.key], body, nested);
                        });
                    }
                }
                "locals" => self.each_body(&entry.value, |w, body| {
                    w.block("locals", &[], body, false);
                }),
                _ => {}
            }
        }
    }

    /// A body is an object, or a list of objects (several blocks of one name).
    fn each_body(&mut self, value: &Node, mut f: impl FnMut(&mut Writer, &Node)) {
        match &value.value {
            Value::Map(_) => f(self, value),
            Value::Seq(items) => items.iter().filter(|i| i.is_map()).for_each(|i| f(self, i)),
            _ => {}
        }
    }

    /// `kind "label" ... {` on the body's first line, its contents, `}` on its last.
    fn block(&mut self, kind: &str, labels: &[&str], body: &Node, nested: bool) {
        self.at(body.start);
        self.push(kind);
        for label in labels {
            self.push(" ");
            self.push(&quote(label, false));
        }
        self.push(" {");
        if nested {
            self.nested_body(body.entries());
        } else {
            self.attributes(body.entries());
        }
        self.at(body.end);
        self.push("}");
    }

    /// Every member as an attribute (module arguments, variables, outputs, locals, and
    /// the values of a variable file).
    fn attributes(&mut self, entries: &[Entry]) {
        for e in entries.iter().filter(|e| is_identifier(&e.key)) {
            self.attribute(e);
        }
    }

    fn attribute(&mut self, e: &Entry) {
        self.at(e.key_line);
        self.push(&e.key);
        self.push(" = ");
        let expr = self.expr(&e.value);
        self.push(&expr);
    }

    /// A resource or provider body: objects and lists of objects are nested blocks.
    fn nested_body(&mut self, entries: &[Entry]) {
        for e in entries {
            let key = e.key.as_str();
            if SKIPPED_BLOCKS.contains(&key) || !is_identifier(key) {
                continue;
            }
            if key == "dynamic" {
                for named in e.value.entries() {
                    self.each_body(&named.value, |w, body| {
                        w.block("dynamic", &[&named.key], body, true);
                    });
                }
                continue;
            }
            let is_block = !MAP_ATTRIBUTES.contains(&key)
                && match &e.value.value {
                    Value::Map(_) => true,
                    Value::Seq(items) => !items.is_empty() && items.iter().all(Node::is_map),
                    _ => false,
                };
            if is_block {
                self.each_body(&e.value, |w, body| w.block(key, &[], body, true));
            } else {
                self.attribute(e);
            }
        }
    }

    /// An HCL expression for a JSON value, on one line.
    fn expr(&self, n: &Node) -> String {
        match &n.value {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) if f.is_finite() => f.to_string(),
            Value::Float(_) => "null".into(),
            Value::Str(s) => quote(s, self.templates),
            Value::Seq(items) => {
                let parts: Vec<String> = items.iter().map(|i| self.expr(i)).collect();
                format!("[{}]", parts.join(", "))
            }
            Value::Map(entries) => {
                let parts: Vec<String> = entries
                    .iter()
                    .map(|e| format!("{} = {}", quote(&e.key, false), self.expr(&e.value)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
        }
    }
}

/// An HCL quoted string; `templates` keeps `${`/`%{` live, otherwise they are escaped.
fn quote(s: &str, templates: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if !templates && chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_keep_their_lines() {
        let json = r#"{
  "resource": {
    "aws_db_instance": {
      "db": {
        "engine": "postgres",
        "multi_az": false,
        "tags": {
          "Env": "prod"
        },
        "backup_retention_period": "${var.days}"
      }
    }
  },
  "variable": {
    "days": { "default": 1 }
  }
}"#;
        let (hcl, errors) = to_hcl("main.tf.json", json, FileRole::Config);
        assert!(errors.is_empty(), "{errors:?}");
        let lines: Vec<&str> = hcl.text.lines().collect();
        assert_eq!(lines[3].trim(), "resource \"aws_db_instance\" \"db\" {");
        assert_eq!(lines[5].trim(), "multi_az = false");
        assert_eq!(lines[6].trim(), "tags = { \"Env\" = \"prod\" }");
        assert_eq!(lines[9].trim(), "backup_retention_period = \"${var.days}\"");
        let body = hcl_edit::parser::parse_body(&hcl.text).expect("valid HCL");
        assert_eq!(body.blocks().count(), 2);
    }

    #[test]
    fn nested_blocks_and_variable_files() {
        let json = r#"{"resource": {"aws_security_group": {"sg": {"ingress": [{"from_port": 22, "cidr_blocks": ["0.0.0.0/0"]}]}}}}"#;
        let (hcl, _) = to_hcl("m.tf.json", json, FileRole::Config);
        let body = hcl_edit::parser::parse_body(&hcl.text).expect("valid HCL");
        let sg = body.blocks().next().expect("resource");
        assert_eq!(sg.body.get_blocks("ingress").count(), 1);
        let (vars, _) = to_hcl(
            "a.tfvars.json",
            r#"{"name": "${not-a-template}", "n": 3}"#,
            FileRole::Vars,
        );
        let body = hcl_edit::parser::parse_body(&vars.text).expect("valid HCL");
        let name = body.get_attribute("name").expect("name");
        assert!(super::super::eval::is_literal(&name.value));
    }

    #[test]
    fn broken_json_is_an_error_not_a_crash() {
        let (hcl, errors) = to_hcl("x.tf.json", "{\"resource\": ", FileRole::Config);
        assert!(hcl.text.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains("invalid JSON"),
            "{}",
            errors[0]
        );
    }
}

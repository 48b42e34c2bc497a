//! IAM: policy statements that allow every action on every resource (administrator
//! access) or `iam:PassRole` on every role. Policies are read in the three shapes
//! Terraform code uses: a JSON string (quoted or heredoc), `jsonencode({...})`, and the
//! `aws_iam_policy_document` data source's `statement` blocks. A statement whose
//! effect, actions or resources are computed is not judged.

use super::{Attr, Blk, Ctx, Res, lit_str, value};
use crate::rules::{IAM_PASSROLE_WILDCARD, IAM_WILDCARD_ADMIN};
use hcl_edit::expr::Expression;

/// Resource types whose `policy` attribute is an identity policy document.
const POLICY_RESOURCES: &[&str] = &[
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
];

/// One `Allow` statement, as far as it is known.
struct Statement {
    actions: Vec<String>,
    resources: Vec<String>,
    lines: (u32, u32),
}

impl Statement {
    fn allows_everything(&self) -> bool {
        self.actions.iter().any(|a| a == "*") && self.resources.iter().any(|r| r == "*")
    }

    fn passes_any_role(&self) -> bool {
        self.resources.iter().any(|r| r == "*")
            && self.actions.iter().any(|a| {
                let a = a.to_ascii_lowercase();
                a == "iam:passrole" || a == "iam:*" || a == "iam:pass*"
            })
    }
}

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for rtype in POLICY_RESOURCES {
        for r in index.targets(rtype) {
            if let Some(policy) = r.blk.attr("policy") {
                let statements = document_statements(policy);
                report(cx, r, &statements);
            }
        }
    }
    for doc in index
        .res
        .iter()
        .filter(|r| r.kind == "data" && r.rtype == "aws_iam_policy_document" && r.blk.file.target)
    {
        let statements = data_statements(doc.blk);
        report(cx, doc, &statements);
    }
}

fn report(cx: &mut Ctx<'_, '_, '_, '_>, r: &Res<'_>, statements: &[Statement]) {
    let address = r.address();
    if let Some(s) = statements.iter().find(|s| s.allows_everything()) {
        cx.emit(
            &IAM_WILDCARD_ADMIN,
            r,
            s.lines,
            format!("{address} allows every action (\"*\") on every resource (\"*\")"),
            "Replace `\"*\"` with the specific actions and resource ARNs the workload needs; keep administrator access to break-glass roles outside application code.".into(),
        );
        return;
    }
    if let Some(s) = statements.iter().find(|s| s.passes_any_role()) {
        cx.emit(
            &IAM_PASSROLE_WILDCARD,
            r,
            s.lines,
            format!("{address} allows iam:PassRole on every role (Resource \"*\")"),
            "Limit Resource to the ARNs of the roles this principal must pass, and add a `iam:PassedToService` condition.".into(),
        );
    }
}

/// Statements of a `policy = ...` attribute: a JSON string or `jsonencode({...})`.
fn document_statements(policy: Attr<'_>) -> Vec<Statement> {
    match policy.expr() {
        Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => {
            let Some(doc) = call.args.iter().next() else {
                return Vec::new();
            };
            hcl_statements(policy, doc)
        }
        e => match lit_str(e).map(serde_json::from_str::<serde_json::Value>) {
            Some(Ok(doc)) => json_statements(&doc, policy.lines()),
            _ => Vec::new(),
        },
    }
}

/// `Allow` statements of a JSON policy document; each is quoted with the attribute's lines.
fn json_statements(doc: &serde_json::Value, lines: (u32, u32)) -> Vec<Statement> {
    let list: Vec<&serde_json::Value> = match doc.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(single @ serde_json::Value::Object(_)) => vec![single],
        _ => return Vec::new(),
    };
    let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
        match v {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    list.into_iter()
        .filter(|s| s.get("Effect").and_then(serde_json::Value::as_str) == Some("Allow"))
        .map(|s| Statement {
            actions: strings(s.get("Action")),
            resources: strings(s.get("Resource")),
            lines,
        })
        .collect()
}

/// A string or list of string literals; `None` when any part is computed.
fn hcl_strings(e: &Expression) -> Option<Vec<String>> {
    if let Some(s) = lit_str(e) {
        return Some(vec![s.to_string()]);
    }
    value::str_list(e).map(|l| l.into_iter().map(str::to_string).collect())
}

/// `Allow` statements of a `jsonencode` object literal, each quoted with its own lines.
fn hcl_statements(policy: Attr<'_>, doc: &Expression) -> Vec<Statement> {
    let Some(statements) = value::obj_get(doc, "Statement") else {
        return Vec::new();
    };
    let items: Vec<&Expression> = match value::array(statements) {
        Some(a) => a.iter().collect(),
        None => vec![statements],
    };
    items
        .into_iter()
        .filter(|s| value::obj_get(s, "Effect").and_then(lit_str) == Some("Allow"))
        .filter_map(|s| {
            Some(Statement {
                actions: hcl_strings(value::obj_get(s, "Action")?)?,
                resources: hcl_strings(value::obj_get(s, "Resource")?)?,
                lines: policy.lines_of(s),
            })
        })
        .collect()
}

/// `statement` blocks of an `aws_iam_policy_document` (effect defaults to Allow).
fn data_statements(doc: Blk<'_>) -> Vec<Statement> {
    doc.blocks("statement")
        .into_iter()
        .filter(|s| {
            s.attr("effect")
                .is_none_or(|e| lit_str(e.expr()) == Some("Allow"))
        })
        .filter_map(|s| {
            Some(Statement {
                actions: hcl_strings(s.attr("actions")?.expr())?,
                resources: hcl_strings(s.attr("resources")?.expr())?,
                lines: s.lines(),
            })
        })
        .collect()
}

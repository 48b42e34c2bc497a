//! Literal values of HCL expressions, as far as they can be known without evaluating
//! Terraform: booleans, numbers, strings, lists, object keys, and the resources an
//! expression refers to. Anything computed (`var.x`, `"${local.y}"`, function calls)
//! is unknown, and rules treat unknown as "cannot judge", never as a failure.

use hcl_edit::expr::{Array, Expression, Object, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::Body;
use hcl_edit::template::{Element, Template};
use hcl_edit::visit::{self, Visit};

/// Roots of references that are not resources.
const NON_RESOURCE_ROOTS: &[&str] = &[
    "var",
    "local",
    "data",
    "module",
    "each",
    "count",
    "path",
    "self",
    "terraform",
];

/// A boolean literal; also `"true"`/`"false"` strings (Terraform converts them) and the
/// capitalised `True`/`False` that Checkov's parser accepts.
pub(crate) fn lit_bool(e: &Expression) -> Option<bool> {
    match e {
        Expression::Bool(b) => Some(*b.value()),
        Expression::Variable(v) => parse_bool(v.as_str()),
        Expression::Parenthesis(p) => lit_bool(p.inner()),
        _ => lit_str(e).and_then(parse_bool),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A numeric literal, including negative numbers and numeric strings.
pub(crate) fn lit_num(e: &Expression) -> Option<f64> {
    match e {
        Expression::Number(n) => n.value().as_f64(),
        Expression::UnaryOp(op) if *op.operator.value() == UnaryOperator::Neg => {
            lit_num(&op.expr).map(|n| -n)
        }
        Expression::Parenthesis(p) => lit_num(p.inner()),
        _ => lit_str(e).and_then(|s| s.trim().parse::<f64>().ok()),
    }
}

/// An integer literal (see [`lit_num`]).
pub(crate) fn lit_int(e: &Expression) -> Option<i64> {
    let n = lit_num(e)?;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "checked to be integral and in range"
    )]
    (n.fract() == 0.0 && n.abs() < 9.0e15).then_some(n as i64)
}

/// A string literal: a quoted string, or a template or heredoc without interpolation.
pub(crate) fn lit_str(e: &Expression) -> Option<&str> {
    match e {
        Expression::String(s) => Some(s.value().as_str()),
        Expression::StringTemplate(t) => template_literal(t),
        Expression::HeredocTemplate(h) => template_literal(&h.template),
        Expression::Parenthesis(p) => lit_str(p.inner()),
        _ => None,
    }
}

fn template_literal(t: &Template) -> Option<&str> {
    let mut elements = t.iter();
    match (elements.next(), elements.next()) {
        (None, _) => Some(""),
        (Some(Element::Literal(l)), None) => Some(l.value().as_str()),
        _ => None,
    }
}

/// True for `null`.
pub(crate) fn is_null(e: &Expression) -> bool {
    matches!(e, Expression::Null(_))
}

/// The array of an array literal.
pub(crate) fn array(e: &Expression) -> Option<&Array> {
    match e {
        Expression::Array(a) => Some(a),
        Expression::Parenthesis(p) => array(p.inner()),
        _ => None,
    }
}

/// The object of an object literal.
pub(crate) fn object(e: &Expression) -> Option<&Object> {
    match e {
        Expression::Object(o) => Some(o),
        Expression::Parenthesis(p) => object(p.inner()),
        _ => None,
    }
}

/// A literal object key (identifier or string).
pub(crate) fn key_str(key: &ObjectKey) -> Option<&str> {
    match key {
        ObjectKey::Ident(i) => Some(i.as_str()),
        ObjectKey::Expression(e) => lit_str(e),
    }
}

/// The value of `key` in an object literal.
pub(crate) fn obj_get<'e>(e: &'e Expression, key: &str) -> Option<&'e Expression> {
    object(e)?
        .iter()
        .find(|(k, _)| key_str(k) == Some(key))
        .map(|(_, v)| v.expr())
}

/// Every element of a list literal as a string; `None` if it is not a list of literals.
pub(crate) fn str_list(e: &Expression) -> Option<Vec<&str>> {
    array(e)?.iter().map(lit_str).collect()
}

/// Tag keys and literal values of a `tags` expression: an object literal, or `merge()`
/// of object literals. `None` if any part is computed (the keys cannot be known).
pub(crate) fn tag_map(e: &Expression) -> Option<Vec<(String, Option<String>)>> {
    match e {
        Expression::Object(o) => o
            .iter()
            .map(|(k, v)| {
                Some((
                    key_str(k)?.to_string(),
                    lit_str(v.expr()).map(str::to_string),
                ))
            })
            .collect(),
        Expression::FuncCall(call) if call.name.name.as_str() == "merge" => {
            let mut out = Vec::new();
            for arg in call.args.iter() {
                out.extend(tag_map(arg)?);
            }
            Some(out)
        }
        Expression::Parenthesis(p) => tag_map(p.inner()),
        _ => None,
    }
}

/// Collects `type.name` of every resource referenced.
#[derive(Default)]
struct Refs {
    out: Vec<String>,
}

impl Visit for Refs {
    fn visit_traversal(&mut self, node: &hcl_edit::expr::Traversal) {
        if let (Expression::Variable(root), Some(first)) = (&node.expr, node.operators.first()) {
            let root = root.as_str();
            if let TraversalOperator::GetAttr(attr) = first.value() {
                if root == "data" {
                    if let Some(TraversalOperator::GetAttr(name)) =
                        node.operators.get(1).map(|o| o.value())
                    {
                        self.out
                            .push(format!("data.{}.{}", attr.as_str(), name.as_str()));
                    }
                } else if root == "module" {
                    self.out.push(format!("module.{}", attr.as_str()));
                } else if !NON_RESOURCE_ROOTS.contains(&root) {
                    self.out.push(format!("{root}.{}", attr.as_str()));
                }
            }
        }
        visit::visit_traversal(self, node);
    }
}

/// Every resource address referenced anywhere in `body`.
pub(crate) fn body_refs(body: &Body) -> Vec<String> {
    let mut v = Refs::default();
    v.visit_body(body);
    v.out.sort_unstable();
    v.out.dedup();
    v.out
}

/// Every resource address referenced in `e`.
pub(crate) fn expr_refs(e: &Expression) -> Vec<String> {
    let mut v = Refs::default();
    v.visit_expr(e);
    v.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl_edit::parser::parse_expr;

    fn e(s: &str) -> Expression {
        parse_expr(s).unwrap()
    }

    #[test]
    fn literals() {
        assert_eq!(lit_bool(&e("true")), Some(true));
        assert_eq!(lit_bool(&e("False")), Some(false));
        assert_eq!(lit_bool(&e("\"false\"")), Some(false));
        assert_eq!(lit_bool(&e("var.x")), None);
        assert_eq!(lit_int(&e("-1")), Some(-1));
        assert_eq!(lit_int(&e("\"5\"")), Some(5));
        assert_eq!(lit_int(&e("1.5")), None);
        assert_eq!(lit_str(&e("\"a\"")), Some("a"));
        assert_eq!(lit_str(&e("\"${var.a}\"")), None);
        assert_eq!(str_list(&e("[\"a\", \"b\"]")), Some(vec!["a", "b"]));
        assert_eq!(str_list(&e("[\"a\", var.b]")), None);
        assert!(is_null(&e("null")));
        assert_eq!(
            obj_get(&e("{ a = 1, \"b\" = 2 }"), "b").and_then(lit_int),
            Some(2)
        );
    }

    #[test]
    fn tags() {
        let t = tag_map(&e(
            "merge({ Owner = \"x\" }, { \"Environment\" = \"prod\" })",
        ))
        .unwrap();
        assert_eq!(t[1], ("Environment".into(), Some("prod".into())));
        assert_eq!(tag_map(&e("merge(local.tags, { a = 1 })")), None);
    }

    #[test]
    fn references() {
        let r = expr_refs(&e("\"table/${aws_dynamodb_table.t.name}\""));
        assert_eq!(r, vec!["aws_dynamodb_table.t"]);
        let r = expr_refs(&e(
            "[aws_s3_bucket.b[each.key].id, var.x, data.aws_ami.a.id, module.m.out]",
        ));
        assert_eq!(r, vec!["aws_s3_bucket.b", "data.aws_ami.a", "module.m"]);
    }
}

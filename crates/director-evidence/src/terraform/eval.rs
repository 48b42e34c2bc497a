//! A small, total evaluator of Terraform expressions over `hcl-edit`'s syntax tree:
//! literals, `var.*`, `local.*`, `module.<name>.<output>`, `count.index` and `each.*`
//! (through a [`Scope`]), conditionals, the operators, string templates, and the
//! functions that decide configuration values in practice (`coalesce`, `try`, `can`,
//! `lookup`, `merge`, `tobool`, `tonumber`, `tostring`, `concat`, `length`, ...).
//! Anything else (resource attributes, data sources, `for` expressions, splats, other
//! functions) is [`Value::Unknown`], and unknown propagates: a rule never sees a guess.
//!
//! Why not `hcl-rs`'s evaluator: it works on its own expression type (a second syntax
//! tree next to the `hcl-edit` one whose byte spans give the findings their lines), and
//! an undefined variable or unsupported function there fails the whole expression, so
//! "unknown" cannot be told from "broken". Here every value also carries where it was
//! set ([`Ev::origin`]), so a finding can point at the module call that chose it.

use super::value::key_str;
use hcl_edit::expr::{
    BinaryOperator, Expression, FuncCall, Object, ObjectKey, ObjectValue, TraversalOperator,
    UnaryOperator,
};
use hcl_edit::template::{Element, Template};
use hcl_edit::{Decorated, Ident, Number};
use std::collections::BTreeMap;

/// Deepest expression nesting evaluated; deeper is unknown (a guard for the stack).
const MAX_DEPTH: usize = 64;

/// A Terraform value, or the admission that it cannot be known statically.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `null`: the attribute is treated as not set.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
    /// A list, tuple or set.
    List(Vec<Value>),
    /// A map or object.
    Object(BTreeMap<String, Value>),
    /// Known only after apply, or not computable here.
    Unknown,
}

/// Where a value was set: a file (by its index in the analysis) and 1-based lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Loc {
    /// Index of the file among the Terraform files of the run.
    pub file: usize,
    /// First and last line.
    pub lines: (u32, u32),
}

/// An evaluated value and, when it came through a module input or a variable file,
/// the place the user sets it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ev {
    /// The value.
    pub value: Value,
    /// Where the value was chosen, if not in the expression itself.
    pub origin: Option<Loc>,
}

impl Value {
    /// True if the value, or anything inside it, is unknown.
    pub fn has_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(items) => items.iter().any(Value::has_unknown),
            Value::Object(map) => map.values().any(Value::has_unknown),
            _ => false,
        }
    }
}

impl Ev {
    /// A value set in place.
    pub fn here(value: Value) -> Ev {
        Ev {
            value,
            origin: None,
        }
    }

    /// Unknown, set in place.
    pub fn unknown() -> Ev {
        Ev::here(Value::Unknown)
    }

    fn with(value: Value, origin: Option<Loc>) -> Ev {
        Ev { value, origin }
    }
}

/// An expression that cannot be evaluated (an error in Terraform): what `try` skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

type Res = Result<Ev, Invalid>;

/// What names resolve to.
pub(crate) trait Scope {
    /// `var.<name>`.
    fn var(&self, name: &str) -> Ev;
    /// `local.<name>`.
    fn local(&self, name: &str) -> Ev;
    /// `module.<name>.<output>`.
    fn output(&self, module: &str, output: &str) -> Ev;
    /// `count.index`, `each.key`, `each.value`: `None` when not iterating.
    fn iteration(&self, root: &str, attr: &str) -> Option<Value>;
}

/// A scope where nothing resolves (variable files, literals).
pub(crate) struct Empty;

impl Scope for Empty {
    fn var(&self, _: &str) -> Ev {
        Ev::unknown()
    }
    fn local(&self, _: &str) -> Ev {
        Ev::unknown()
    }
    fn output(&self, _: &str, _: &str) -> Ev {
        Ev::unknown()
    }
    fn iteration(&self, _: &str, _: &str) -> Option<Value> {
        None
    }
}

/// Evaluate `e` in `scope`; an invalid expression is unknown.
pub(crate) fn eval(e: &Expression, scope: &dyn Scope) -> Ev {
    eval_at(e, scope, 0).unwrap_or_else(|Invalid| Ev::unknown())
}

/// True if `e` is written as a literal (nothing to evaluate). Nesting deeper than the
/// evaluator follows is not a literal (it is then evaluated, to unknown).
pub(crate) fn is_literal(e: &Expression) -> bool {
    literal_at(e, 0)
}

fn literal_at(e: &Expression, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let d = depth + 1;
    match e {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_) => true,
        Expression::StringTemplate(t) => t.iter().all(Element::is_literal),
        Expression::HeredocTemplate(h) => h.template.iter().all(Element::is_literal),
        Expression::Parenthesis(p) => literal_at(p.inner(), d),
        Expression::UnaryOp(op) => literal_at(&op.expr, d),
        Expression::Array(a) => a.iter().all(|x| literal_at(x, d)),
        Expression::Object(o) => o
            .iter()
            .all(|(k, v)| key_str(k).is_some() && literal_at(v.expr(), d)),
        // A bare identifier (`True`, `unknown`) is read by the literal helpers as written.
        Expression::Variable(_) => true,
        _ => false,
    }
}

fn first_origin<'e>(evs: impl IntoIterator<Item = &'e Ev>) -> Option<Loc> {
    evs.into_iter().find_map(|e| e.origin)
}

fn eval_at(e: &Expression, scope: &dyn Scope, depth: usize) -> Res {
    if depth > MAX_DEPTH {
        return Ok(Ev::unknown());
    }
    let d = depth + 1;
    Ok(match e {
        Expression::Null(_) => Ev::here(Value::Null),
        Expression::Bool(b) => Ev::here(Value::Bool(*b.value())),
        Expression::Number(n) => Ev::here(n.value().as_f64().map_or(Value::Unknown, Value::Number)),
        Expression::String(s) => Ev::here(Value::String(s.value().clone())),
        Expression::Parenthesis(p) => eval_at(p.inner(), scope, d)?,
        Expression::Array(a) => {
            let items = a
                .iter()
                .map(|x| eval_at(x, scope, d))
                .collect::<Result<Vec<_>, _>>()?;
            let origin = first_origin(&items);
            Ev::with(
                Value::List(items.into_iter().map(|i| i.value).collect()),
                origin,
            )
        }
        Expression::Object(o) => {
            let mut out = BTreeMap::new();
            let mut origin = None;
            for (k, v) in o.iter() {
                let key = match k {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(k) => match eval_at(k, scope, d)?.value {
                        Value::String(s) => s,
                        Value::Number(n) => fmt_number(n),
                        Value::Bool(b) => b.to_string(),
                        // An unknown key makes the whole object's shape unknown.
                        _ => return Ok(Ev::unknown()),
                    },
                };
                let v = eval_at(v.expr(), scope, d)?;
                origin = origin.or(v.origin);
                out.insert(key, v.value);
            }
            Ev::with(Value::Object(out), origin)
        }
        Expression::StringTemplate(t) => template(t, scope, d)?,
        Expression::HeredocTemplate(h) => template(&h.template, scope, d)?,
        Expression::Variable(_) | Expression::ForExpr(_) => Ev::unknown(),
        Expression::Traversal(t) => traversal(&t.expr, &t.operators, scope, d)?,
        Expression::Conditional(c) => {
            let cond = eval_at(&c.cond_expr, scope, d)?;
            match cond.value {
                Value::Bool(true) => with_origin(eval_at(&c.true_expr, scope, d)?, cond.origin),
                Value::Bool(false) => with_origin(eval_at(&c.false_expr, scope, d)?, cond.origin),
                Value::Unknown => {
                    let (t, f) = (
                        eval_at(&c.true_expr, scope, d)?,
                        eval_at(&c.false_expr, scope, d)?,
                    );
                    if t.value == f.value {
                        with_origin(t, cond.origin)
                    } else {
                        Ev::unknown()
                    }
                }
                _ => return Err(Invalid),
            }
        }
        Expression::FuncCall(call) => func(call, scope, d)?,
        Expression::UnaryOp(op) => {
            let v = eval_at(&op.expr, scope, d)?;
            let value = match (op.operator.value(), v.value) {
                (_, Value::Unknown) => Value::Unknown,
                (UnaryOperator::Neg, x) => Value::Number(-to_number(&x).ok_or(Invalid)?),
                (UnaryOperator::Not, x) => Value::Bool(!to_bool(&x).ok_or(Invalid)?),
            };
            Ev::with(value, v.origin)
        }
        Expression::BinaryOp(op) => {
            let l = eval_at(&op.lhs_expr, scope, d)?;
            let r = eval_at(&op.rhs_expr, scope, d)?;
            let origin = l.origin.or(r.origin);
            Ev::with(binary(*op.operator.value(), &l.value, &r.value)?, origin)
        }
    })
}

/// A conditional's result keeps the chosen branch's origin; a literal branch takes the
/// condition's (the value was chosen where the condition's input was set).
fn with_origin(mut ev: Ev, condition: Option<Loc>) -> Ev {
    ev.origin = ev.origin.or(condition);
    ev
}

fn binary(op: BinaryOperator, l: &Value, r: &Value) -> Result<Value, Invalid> {
    use BinaryOperator as B;
    // Short circuits that hold whatever the other side is.
    match (op, l, r) {
        (B::And, Value::Bool(false), _) | (B::And, _, Value::Bool(false)) => {
            return Ok(Value::Bool(false));
        }
        (B::Or, Value::Bool(true), _) | (B::Or, _, Value::Bool(true)) => {
            return Ok(Value::Bool(true));
        }
        _ => {}
    }
    if *l == Value::Unknown || *r == Value::Unknown {
        return Ok(Value::Unknown);
    }
    let num = |v: &Value| to_number(v).ok_or(Invalid);
    Ok(match op {
        B::Eq => Value::Bool(loose_eq(l, r)),
        B::NotEq => Value::Bool(!loose_eq(l, r)),
        B::And => Value::Bool(to_bool(l).ok_or(Invalid)? && to_bool(r).ok_or(Invalid)?),
        B::Or => Value::Bool(to_bool(l).ok_or(Invalid)? || to_bool(r).ok_or(Invalid)?),
        B::Less => Value::Bool(num(l)? < num(r)?),
        B::LessEq => Value::Bool(num(l)? <= num(r)?),
        B::Greater => Value::Bool(num(l)? > num(r)?),
        B::GreaterEq => Value::Bool(num(l)? >= num(r)?),
        B::Plus => Value::Number(num(l)? + num(r)?),
        B::Minus => Value::Number(num(l)? - num(r)?),
        B::Mul => Value::Number(num(l)? * num(r)?),
        B::Div => {
            let divisor = num(r)?;
            if divisor == 0.0 {
                return Err(Invalid);
            }
            Value::Number(num(l)? / divisor)
        }
        B::Mod => {
            let divisor = num(r)?;
            if divisor == 0.0 {
                return Err(Invalid);
            }
            Value::Number(num(l)? % divisor)
        }
    })
}

/// Terraform compares values of different types as unequal, but numbers written as
/// strings in variable files are common; a number and its string compare equal.
fn loose_eq(l: &Value, r: &Value) -> bool {
    match (l, r) {
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => {
            b.trim().parse::<f64>().is_ok_and(|b| b == *a)
        }
        _ => l == r,
    }
}

fn template(t: &Template, scope: &dyn Scope, depth: usize) -> Res {
    let mut parts = t.iter();
    // A template that is exactly one interpolation yields the value itself, not a string.
    if let (Some(Element::Interpolation(i)), None) = (parts.next(), parts.next()) {
        return eval_at(&i.expr, scope, depth);
    }
    let mut out = String::new();
    let mut origin = None;
    for element in t.iter() {
        match element {
            Element::Literal(l) => out.push_str(l.value()),
            Element::Interpolation(i) => {
                let v = eval_at(&i.expr, scope, depth)?;
                origin = origin.or(v.origin);
                match v.value {
                    Value::Unknown => return Ok(Ev::unknown()),
                    other => out.push_str(&to_string(&other).ok_or(Invalid)?),
                }
            }
            Element::Directive(_) => return Ok(Ev::unknown()),
        }
    }
    Ok(Ev::with(Value::String(out), origin))
}

fn traversal(
    root: &Expression,
    ops: &[Decorated<TraversalOperator>],
    scope: &dyn Scope,
    depth: usize,
) -> Res {
    let name = |i: usize| match ops.get(i).map(|o| o.value()) {
        Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
        _ => None,
    };
    let (start, rest) = match root {
        Expression::Variable(v) => match (v.as_str(), name(0)) {
            ("var", Some(n)) => (scope.var(n), 1),
            ("local", Some(n)) => (scope.local(n), 1),
            ("module", Some(m)) => match name(1) {
                Some(o) => (scope.output(m, o), 2),
                None => return Ok(Ev::unknown()),
            },
            (root @ ("count" | "each"), Some(a)) => match scope.iteration(root, a) {
                Some(v) => (Ev::here(v), 1),
                None => return Ok(Ev::unknown()),
            },
            // Resources, data sources, path.*, terraform.*, self.*: known after apply.
            _ => return Ok(Ev::unknown()),
        },
        other => (eval_at(other, scope, depth)?, 0),
    };
    let mut value = start.value;
    for op in ops.iter().skip(rest) {
        if value == Value::Unknown {
            break;
        }
        value = match op.value() {
            TraversalOperator::GetAttr(a) => get(&value, &Value::String(a.to_string()))?,
            TraversalOperator::Index(i) => {
                let key = eval_at(i, scope, depth)?.value;
                if key == Value::Unknown {
                    Value::Unknown
                } else {
                    get(&value, &key)?
                }
            }
            TraversalOperator::LegacyIndex(n) => {
                #[expect(clippy::cast_precision_loss, reason = "list indexes are small")]
                let n = *n.value() as f64;
                get(&value, &Value::Number(n))?
            }
            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => Value::Unknown,
        };
    }
    Ok(Ev::with(value, start.origin))
}

/// `value[key]` / `value.key`: a missing key or index is an error, as in Terraform.
fn get(value: &Value, key: &Value) -> Result<Value, Invalid> {
    match (value, key) {
        (Value::Unknown, _) | (_, Value::Unknown) => Ok(Value::Unknown),
        (Value::Object(m), k) => m.get(&to_string(k).ok_or(Invalid)?).cloned().ok_or(Invalid),
        (Value::List(items), k) => {
            let i = to_number(k).ok_or(Invalid)?;
            if i < 0.0 || i.fract() != 0.0 {
                return Err(Invalid);
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked non-negative and integral"
            )]
            items.get(i as usize).cloned().ok_or(Invalid)
        }
        _ => Err(Invalid),
    }
}

fn func(call: &FuncCall, scope: &dyn Scope, depth: usize) -> Res {
    if !call.name.namespace.is_empty() || call.args.expand_final() {
        return Ok(Ev::unknown());
    }
    let args: Vec<&Expression> = call.args.iter().collect();
    let name = call.name.name.as_str();
    // `try` and `can` look at errors, so their arguments are evaluated lazily.
    match name {
        "try" => {
            for a in &args {
                if let Ok(v) = eval_at(a, scope, depth) {
                    return Ok(v);
                }
            }
            return Err(Invalid);
        }
        "can" => {
            let [a] = args.as_slice() else {
                return Err(Invalid);
            };
            return Ok(match eval_at(a, scope, depth) {
                Ok(v) if v.value == Value::Unknown => Ev::unknown(),
                Ok(_) => Ev::here(Value::Bool(true)),
                Err(Invalid) => Ev::here(Value::Bool(false)),
            });
        }
        _ => {}
    }
    let evs = args
        .iter()
        .map(|a| eval_at(a, scope, depth))
        .collect::<Result<Vec<_>, _>>()?;
    let origin = first_origin(&evs);
    let vals: Vec<Value> = evs.into_iter().map(|e| e.value).collect();
    Ok(Ev::with(call_known(name, &vals)?, origin))
}

/// The functions evaluated; any other is unknown.
fn call_known(name: &str, args: &[Value]) -> Result<Value, Invalid> {
    match name {
        "coalesce" | "coalescelist" | "lookup" | "merge" | "concat" => combine(name, args),
        _ if args.contains(&Value::Unknown) => Ok(Value::Unknown),
        _ => convert(name, args),
    }
}

/// Functions that choose among or combine their arguments, where an unknown argument
/// may or may not matter.
fn combine(name: &str, args: &[Value]) -> Result<Value, Invalid> {
    let unknown_arg = args.contains(&Value::Unknown);
    Ok(match name {
        "coalesce" => {
            for a in args {
                match a {
                    Value::Unknown => return Ok(Value::Unknown),
                    Value::Null => {}
                    Value::String(s) if s.is_empty() => {}
                    v => return Ok(v.clone()),
                }
            }
            return Err(Invalid);
        }
        "coalescelist" => {
            for a in args {
                match a {
                    Value::Unknown => return Ok(Value::Unknown),
                    Value::List(l) if l.is_empty() => {}
                    Value::List(_) => return Ok(a.clone()),
                    _ => return Err(Invalid),
                }
            }
            return Err(Invalid);
        }
        "lookup" => match args {
            [Value::Unknown, ..] | [_, Value::Unknown, ..] => Value::Unknown,
            [Value::Object(m), key, rest @ ..] if rest.len() <= 1 => {
                match m.get(&to_string(key).ok_or(Invalid)?) {
                    Some(v) => v.clone(),
                    None => rest.first().cloned().ok_or(Invalid)?,
                }
            }
            _ => return Err(Invalid),
        },
        "merge" => {
            if unknown_arg {
                return Ok(Value::Unknown);
            }
            let mut out = BTreeMap::new();
            for a in args {
                match a {
                    Value::Null => {}
                    Value::Object(m) => out.extend(m.clone()),
                    _ => return Err(Invalid),
                }
            }
            Value::Object(out)
        }
        "concat" => {
            if unknown_arg {
                return Ok(Value::Unknown);
            }
            let mut out = Vec::new();
            for a in args {
                match a {
                    Value::List(l) => out.extend(l.iter().cloned()),
                    _ => return Err(Invalid),
                }
            }
            Value::List(out)
        }
        _ => Value::Unknown,
    })
}

/// Conversions and functions of known arguments.
fn convert(name: &str, args: &[Value]) -> Result<Value, Invalid> {
    let one = || match args {
        [a] => Ok(a),
        _ => Err(Invalid),
    };
    Ok(match name {
        "tobool" => match one()? {
            Value::Null => Value::Null,
            v => Value::Bool(to_bool(v).ok_or(Invalid)?),
        },
        "tonumber" => match one()? {
            Value::Null => Value::Null,
            v => Value::Number(to_number(v).ok_or(Invalid)?),
        },
        "tostring" => match one()? {
            Value::Null => Value::Null,
            v => Value::String(to_string(v).ok_or(Invalid)?),
        },
        "tolist" | "toset" | "tomap" | "sensitive" | "nonsensitive" => one()?.clone(),
        "lower" => Value::String(to_string(one()?).ok_or(Invalid)?.to_lowercase()),
        "upper" => Value::String(to_string(one()?).ok_or(Invalid)?.to_uppercase()),
        "length" => match one()? {
            Value::List(l) => Value::Number(count(l.len())),
            Value::Object(m) => Value::Number(count(m.len())),
            Value::String(s) => Value::Number(count(s.chars().count())),
            _ => return Err(Invalid),
        },
        "contains" => match args {
            [Value::List(l), v] => Value::Bool(l.contains(v)),
            _ => return Err(Invalid),
        },
        "keys" => match one()? {
            Value::Object(m) => Value::List(m.keys().cloned().map(Value::String).collect()),
            _ => return Err(Invalid),
        },
        "values" => match one()? {
            Value::Object(m) => Value::List(m.values().cloned().collect()),
            _ => return Err(Invalid),
        },
        "join" => match args {
            [sep, Value::List(l)] => {
                let sep = to_string(sep).ok_or(Invalid)?;
                let parts = l.iter().map(to_string).collect::<Option<Vec<_>>>();
                Value::String(parts.ok_or(Invalid)?.join(&sep))
            }
            _ => return Err(Invalid),
        },
        "element" => match args {
            [Value::List(l), i] if !l.is_empty() => {
                let i = to_number(i).ok_or(Invalid)?;
                if i < 0.0 || i.fract() != 0.0 {
                    return Err(Invalid);
                }
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "checked non-negative and integral"
                )]
                l[(i as usize) % l.len()].clone()
            }
            _ => return Err(Invalid),
        },
        "min" | "max" => {
            let nums = args.iter().map(to_number).collect::<Option<Vec<f64>>>();
            let nums = nums.filter(|n| !n.is_empty()).ok_or(Invalid)?;
            let pick = if name == "min" { f64::min } else { f64::max };
            Value::Number(nums.into_iter().reduce(pick).ok_or(Invalid)?)
        }
        _ => Value::Unknown,
    })
}

#[expect(clippy::cast_precision_loss, reason = "collection sizes are small")]
fn count(n: usize) -> f64 {
    n as f64
}

/// Terraform's conversion to bool (`"true"`/`"false"` strings convert).
pub(crate) fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Terraform's conversion to number (numeric strings convert).
pub(crate) fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Terraform's conversion to string (numbers and bools convert).
pub(crate) fn to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(fmt_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "checked integral and in range"
        )]
        let i = n as i64;
        i.to_string()
    } else {
        n.to_string()
    }
}

/// The literal expression of a known value, so that the rules' literal readers see it.
/// An unknown part becomes the bare identifier `unknown`, which no reader takes for a
/// literal.
pub(crate) fn to_expr(v: &Value) -> Expression {
    match v {
        Value::Null => Expression::null(),
        Value::Bool(b) => Expression::from(*b),
        Value::Number(n) => {
            let number = if n.fract() == 0.0 && n.abs() < 9.0e15 {
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "checked integral and in range"
                )]
                Some(Number::from(*n as i64))
            } else {
                Number::from_f64(*n)
            };
            number.map_or_else(Expression::null, Expression::from)
        }
        Value::String(s) => Expression::from(s.as_str()),
        Value::List(items) => Expression::Array(items.iter().map(to_expr).collect()),
        Value::Object(m) => {
            let mut o = Object::with_capacity(m.len());
            for (k, v) in m {
                o.insert(
                    ObjectKey::Expression(Expression::from(k.as_str())),
                    ObjectValue::new(to_expr(v)),
                );
            }
            Expression::Object(o)
        }
        Value::Unknown => Expression::from(Ident::new("unknown")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl_edit::parser::parse_expr;
    use std::collections::HashMap;

    /// A scope from maps; `var.from_call` carries an origin.
    #[derive(Default)]
    struct Map {
        vars: HashMap<&'static str, Value>,
        locals: HashMap<&'static str, Value>,
        index: Option<f64>,
    }

    impl Scope for Map {
        fn var(&self, name: &str) -> Ev {
            let origin = (name == "from_call").then_some(Loc {
                file: 7,
                lines: (3, 3),
            });
            Ev::with(
                self.vars.get(name).cloned().unwrap_or(Value::Unknown),
                origin,
            )
        }
        fn local(&self, name: &str) -> Ev {
            Ev::here(self.locals.get(name).cloned().unwrap_or(Value::Unknown))
        }
        fn output(&self, module: &str, output: &str) -> Ev {
            Ev::here(if (module, output) == ("db", "port") {
                Value::Number(5432.0)
            } else {
                Value::Unknown
            })
        }
        fn iteration(&self, root: &str, attr: &str) -> Option<Value> {
            match (root, attr) {
                ("count", "index") => self.index.map(Value::Number),
                _ => None,
            }
        }
    }

    fn scope() -> Map {
        let mut m = Map::default();
        m.vars.insert("off", Value::Bool(false));
        m.vars.insert("days", Value::Number(1.0));
        m.vars.insert("name", Value::String("orders".into()));
        m.vars.insert("nothing", Value::Null);
        m.vars.insert("from_call", Value::Bool(false));
        m.vars.insert(
            "tags",
            Value::Object(BTreeMap::from([(
                "Env".into(),
                Value::String("prod".into()),
            )])),
        );
        m.vars.insert(
            "list",
            Value::List(vec![Value::String("a".into()), Value::String("b".into())]),
        );
        m.locals.insert("env", Value::String("prod".into()));
        m
    }

    fn ev(src: &str) -> Value {
        eval(&parse_expr(src).unwrap(), &scope()).value
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn literals_and_references() {
        assert_eq!(ev("true"), Value::Bool(true));
        assert_eq!(ev("-3"), Value::Number(-3.0));
        assert_eq!(ev("var.off"), Value::Bool(false));
        assert_eq!(ev("var.missing"), Value::Unknown);
        assert_eq!(ev("local.env"), s("prod"));
        assert_eq!(ev("var.tags.Env"), s("prod"));
        assert_eq!(ev("var.tags[\"Env\"]"), s("prod"));
        assert_eq!(ev("var.list[1]"), s("b"));
        assert_eq!(ev("module.db.port"), Value::Number(5432.0));
        assert_eq!(ev("module.db.other"), Value::Unknown);
        assert_eq!(ev("aws_db_instance.x.id"), Value::Unknown);
        assert_eq!(ev("data.aws_ami.a.id"), Value::Unknown);
        assert_eq!(ev("[for x in var.list : x]"), Value::Unknown);
        assert_eq!(ev("var.list[*]"), Value::Unknown);
        assert_eq!(ev("{ a = var.days, \"b\" = 2 }").to_owned(), {
            Value::Object(BTreeMap::from([
                ("a".into(), Value::Number(1.0)),
                ("b".into(), Value::Number(2.0)),
            ]))
        });
    }

    #[test]
    fn templates() {
        assert_eq!(ev("\"${local.env}-${var.name}\""), s("prod-orders"));
        assert_eq!(ev("\"${var.days}d\""), s("1d"));
        // A lone interpolation keeps its type.
        assert_eq!(ev("\"${var.off}\""), Value::Bool(false));
        assert_eq!(ev("\"${var.missing}-x\""), Value::Unknown);
        assert_eq!(ev("\"%{if var.off}a%{endif}\""), Value::Unknown);
        assert_eq!(ev("<<EOT\n${var.name}\nEOT"), s("orders\n"));
    }

    #[test]
    fn conditionals_and_operators() {
        assert_eq!(ev("local.env == \"prod\" ? 7 : 1"), Value::Number(7.0));
        assert_eq!(ev("var.off ? 7 : 1"), Value::Number(1.0));
        // An unknown condition is unknown unless both branches agree.
        assert_eq!(ev("var.missing ? 7 : 1"), Value::Unknown);
        assert_eq!(ev("var.missing ? 7 : 7"), Value::Number(7.0));
        assert_eq!(ev("!var.off"), Value::Bool(true));
        assert_eq!(ev("var.days + 6"), Value::Number(7.0));
        assert_eq!(ev("var.days >= 7"), Value::Bool(false));
        assert_eq!(ev("var.missing && false"), Value::Bool(false));
        assert_eq!(ev("var.missing || true"), Value::Bool(true));
        assert_eq!(ev("var.missing && true"), Value::Unknown);
        assert_eq!(ev("var.days / 0"), Value::Unknown);
    }

    #[test]
    fn functions() {
        assert_eq!(ev("coalesce(var.nothing, \"\", var.name)"), s("orders"));
        assert_eq!(ev("coalesce(var.missing, var.name)"), Value::Unknown);
        assert_eq!(ev("try(var.tags.Nope, \"fallback\")"), s("fallback"));
        assert_eq!(ev("try(var.tags.Env, \"fallback\")"), s("prod"));
        assert_eq!(ev("can(var.tags.Nope)"), Value::Bool(false));
        assert_eq!(ev("lookup(var.tags, \"Env\", \"dev\")"), s("prod"));
        assert_eq!(ev("lookup(var.tags, \"Team\", \"none\")"), s("none"));
        assert_eq!(
            ev("lookup(var.missing, \"Team\", \"none\")"),
            Value::Unknown
        );
        assert_eq!(
            ev("merge(var.tags, { Owner = \"x\" }, null)"),
            Value::Object(BTreeMap::from([
                ("Env".into(), s("prod")),
                ("Owner".into(), s("x")),
            ]))
        );
        assert_eq!(ev("merge(var.tags, var.missing)"), Value::Unknown);
        assert_eq!(ev("tobool(\"false\")"), Value::Bool(false));
        assert_eq!(ev("tobool(var.nothing)"), Value::Null);
        assert_eq!(ev("tonumber(\"35\")"), Value::Number(35.0));
        assert_eq!(ev("tostring(var.days)"), s("1"));
        assert_eq!(ev("length(var.list)"), Value::Number(2.0));
        assert_eq!(ev("contains(var.list, \"a\")"), Value::Bool(true));
        assert_eq!(ev("concat(var.list, [\"c\"])[2]"), s("c"));
        assert_eq!(ev("upper(local.env)"), s("PROD"));
        assert_eq!(ev("join(\",\", var.list)"), s("a,b"));
        assert_eq!(ev("max(var.days, 7)"), Value::Number(7.0));
        assert_eq!(ev("min(var.days, 7)"), Value::Number(1.0));
        assert_eq!(ev("coalescelist([], var.list)"), ev("var.list"));
        assert_eq!(ev("coalescelist([], var.missing)"), Value::Unknown);
        assert_eq!(ev("keys(var.tags)"), Value::List(vec![s("Env")]));
        assert_eq!(ev("values(var.tags)"), Value::List(vec![s("prod")]));
        assert_eq!(ev("element(var.list, 3)"), s("b"));
        assert_eq!(ev("lower(\"ABC\")"), s("abc"));
        assert_eq!(ev("tolist(var.list)"), ev("var.list"));
        assert_eq!(ev("toset(var.list)"), ev("var.list"));
        assert_eq!(ev("tomap(var.tags)"), ev("var.tags"));
        assert_eq!(ev("sensitive(var.days)"), Value::Number(1.0));
        assert_eq!(ev("length(var.tags)"), Value::Number(1.0));
        assert_eq!(ev("length(local.env)"), Value::Number(4.0));
        // Wrong types are errors, which `try` skips.
        assert_eq!(ev("try(tobool(\"maybe\"), true)"), Value::Bool(true));
        assert_eq!(ev("try(tonumber(\"x\"), 3)"), Value::Number(3.0));
        assert_eq!(ev("try(var.list[5], \"none\")"), s("none"));
        assert_eq!(ev("lookup(var.tags, \"Team\")"), Value::Unknown);
        assert_eq!(ev("timestamp()"), Value::Unknown);
        assert_eq!(ev("provider::aws::arn_parse(var.name)"), Value::Unknown);
    }

    #[test]
    fn unknown_propagates_and_origins_follow_values() {
        assert_eq!(ev("var.missing.x.y"), Value::Unknown);
        assert_eq!(
            ev("[var.missing, 1]"),
            Value::List(vec![Value::Unknown, Value::Number(1.0)])
        );
        let e = parse_expr("var.from_call == false ? 1 : 7").unwrap();
        let got = eval(&e, &scope());
        assert_eq!(got.value, Value::Number(1.0));
        assert_eq!(got.origin.map(|o| o.file), Some(7));
        let e = parse_expr("coalesce(var.from_call, true)").unwrap();
        assert_eq!(eval(&e, &scope()).origin.map(|o| o.lines), Some((3, 3)));
        assert_eq!(
            eval(&parse_expr("var.name").unwrap(), &scope()).origin,
            None
        );
    }

    #[test]
    fn iteration_values() {
        let mut sc = scope();
        let e = parse_expr("\"db-${count.index}\"").unwrap();
        assert_eq!(eval(&e, &sc).value, Value::Unknown);
        sc.index = Some(2.0);
        assert_eq!(eval(&e, &sc).value, s("db-2"));
    }

    #[test]
    fn values_become_literals() {
        use crate::terraform::{lit_bool, lit_int, lit_str, value};
        assert_eq!(lit_bool(&to_expr(&Value::Bool(false))), Some(false));
        assert_eq!(lit_int(&to_expr(&Value::Number(7.0))), Some(7));
        assert_eq!(lit_str(&to_expr(&s("x"))), Some("x"));
        let tags = to_expr(&ev("merge(var.tags, { Owner = \"x\" })"));
        assert_eq!(
            value::tag_map(&tags).unwrap(),
            vec![
                ("Env".to_string(), Some("prod".to_string())),
                ("Owner".to_string(), Some("x".to_string()))
            ]
        );
        assert_eq!(lit_bool(&to_expr(&Value::Unknown)), None);
        assert!(is_literal(
            &parse_expr("{ a = [1, \"x\"], b = null }").unwrap()
        ));
        assert!(!is_literal(&parse_expr("[var.a]").unwrap()));
        assert!(!is_literal(&parse_expr("\"${var.a}\"").unwrap()));
    }

    #[test]
    fn deep_nesting_is_unknown_not_a_crash() {
        let src = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        if let Ok(e) = parse_expr(&src) {
            let _ = eval(&e, &scope());
        }
    }
}

//! A Terraform plan file (`terraform show -json <planfile>`) as the values of a root
//! module: the plan is the fully resolved truth (variables, modules from registries
//! and git, provider defaults), so its values replace the static evaluation of the
//! root module it belongs to. Values known only after apply (`after_unknown`) are
//! unknown, never bad.
//!
//! The plan is matched to the analyzed root module whose resources and module calls
//! its addresses name. A planned resource of a module in the repository takes the
//! place of that module's block (so findings keep the block's lines and point at the
//! module call that set a value, as in the static evaluation); a resource of a module
//! that is not in the repository (registry, git) is reported at the module call that
//! brings it in. A resource of the root's tree that the plan does not create (count 0,
//! a false condition) is not judged.

use super::Blk;
use super::eval::{Value, to_expr};
use super::instance::Evaluated;
use super::module::World;
use crate::SourceFile;
use crate::error::EvidenceError;
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::{Decorated, Ident};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};

/// A planned resource, grouped over its `count`/`for_each` instances.
struct Planned {
    /// Module address without instance keys (`module.db.module.inner`), `""` at root.
    module: String,
    rtype: String,
    name: String,
    values: Value,
    used: bool,
}

/// Apply the plan to the evaluated blocks; returns the module addresses (as written
/// in the not-evaluated list, ``module `module.x` ``) that the plan covered.
pub(crate) fn apply<'a>(
    world: &World<'a>,
    evaluated: &mut Vec<Evaluated<'a>>,
    plan: &SourceFile,
) -> Result<Vec<String>, EvidenceError> {
    let error = |message: String, hint: &'static str| EvidenceError::Plan {
        path: plan.path.clone(),
        message,
        hint,
    };
    let json: Json = serde_json::from_str(&plan.content).map_err(|e| EvidenceError::Syntax {
        path: plan.path.clone(),
        format: "JSON",
        line: u32::try_from(e.line()).unwrap_or(0).max(1),
        message: e.to_string(),
    })?;
    let version = json.get("format_version").and_then(Json::as_str);
    match version.and_then(|v| v.split('.').next()) {
        Some("0" | "1") => {}
        _ => {
            return Err(error(
                format!("not a Terraform plan in JSON (format_version {version:?})"),
                "write it with `terraform show -json <planfile> > plan.json`",
            ));
        }
    }
    let mut planned = collect(&json);
    let configured = configured_names(&json);
    let Some(root) = best_root(world, evaluated, &planned, &configured) else {
        return Err(error(
            "none of its resources or module calls is among the analyzed Terraform root modules"
                .into(),
            "pass the plan of a root module whose files are analyzed",
        ));
    };
    let index: HashMap<(String, String, String), usize> = planned
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.module.clone(), p.rtype.clone(), p.name.clone()), i))
        .collect();
    evaluated.retain_mut(|ev| {
        if !in_tree(world, ev.inst, root) || ev.source.block.ident.as_str() != "resource" {
            return true;
        }
        let Some(key) = key_of(world, ev) else {
            return true;
        };
        match index.get(&key) {
            Some(&i) => {
                planned[i].used = true;
                ev.block = Some(patched(ev.source.block, &planned[i].values));
                true
            }
            // In the configuration, not in the plan: it creates nothing.
            None => false,
        }
    });
    let mut covered = Vec::new();
    for p in planned.iter().filter(|p| !p.used) {
        if let Some((inst, call, address)) = anchor(world, root, &p.module) {
            evaluated.push(Evaluated {
                source: Blk {
                    anchor: Some(call.head()),
                    ..call
                },
                block: Some(synthesized(p)),
                inst,
                redirects: Vec::new(),
                module: Some(p.module.clone()),
                synthetic: true,
            });
            covered.push(format!("module `{address}`"));
        }
    }
    covered.sort();
    covered.dedup();
    Ok(covered)
}

/// `(module address, type, name)` of a resource block of the static evaluation.
fn key_of(world: &World<'_>, ev: &Evaluated<'_>) -> Option<(String, String, String)> {
    let labels = &ev.source.block.labels;
    Some((
        world.insts[ev.inst].address.clone(),
        labels.first()?.as_str().to_string(),
        labels.get(1)?.as_str().to_string(),
    ))
}

fn in_tree(world: &World<'_>, mut inst: usize, root: usize) -> bool {
    loop {
        if inst == root {
            return true;
        }
        match world.insts[inst].parent {
            Some(p) => inst = p,
            None => return false,
        }
    }
}

/// The root module's resource addresses (`type.name`) and module call names
/// (`module.name`) in the plan's `configuration` section.
fn configured_names(json: &Json) -> Vec<String> {
    let Some(root) = json.pointer("/configuration/root_module") else {
        return Vec::new();
    };
    let resources = root
        .get("resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("address").and_then(Json::as_str).map(str::to_string));
    let calls = root
        .get("module_calls")
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|m| m.keys().map(|k| format!("module.{k}")));
    resources.chain(calls).collect()
}

/// The root instance whose blocks the plan names most: its planned resources and
/// module addresses, and its `configuration` section's root resources and calls.
fn best_root(
    world: &World<'_>,
    evaluated: &[Evaluated<'_>],
    planned: &[Planned],
    configured: &[String],
) -> Option<usize> {
    let mut scores: HashMap<usize, usize> = HashMap::new();
    for ev in evaluated {
        let mut root = ev.inst;
        while let Some(p) = world.insts[root].parent {
            root = p;
        }
        let address = &world.insts[ev.inst].address;
        let labels: Vec<&str> = ev.source.block.labels.iter().map(|l| l.as_str()).collect();
        let local = match (ev.source.block.ident.as_str(), labels.as_slice()) {
            ("resource", [t, n, ..]) => format!("{t}.{n}"),
            ("module", [name, ..]) => format!("module.{name}"),
            _ => String::new(),
        };
        if address.is_empty() && !local.is_empty() && configured.contains(&local) {
            *scores.entry(root).or_default() += 1;
        }
        let hit = match (ev.source.block.ident.as_str(), labels.as_slice()) {
            ("resource", [t, n, ..]) => planned
                .iter()
                .any(|p| &p.module == address && p.rtype == *t && p.name == *n),
            ("module", [name, ..]) => {
                let prefix = if address.is_empty() {
                    format!("module.{name}")
                } else {
                    format!("{address}.module.{name}")
                };
                planned
                    .iter()
                    .any(|p| p.module == prefix || p.module.starts_with(&format!("{prefix}.")))
            }
            _ => false,
        };
        if hit {
            *scores.entry(root).or_default() += 1;
        }
    }
    scores
        .into_iter()
        .max_by_key(|(root, score)| (*score, std::cmp::Reverse(*root)))
        .map(|(root, _)| root)
}

/// The deepest analyzed instance under `root` that `module` lies in, and the module
/// call there that leads towards it: where a resource of an unanalyzed module is
/// reported.
fn anchor<'a>(world: &World<'a>, root: usize, module: &str) -> Option<(usize, Blk<'a>, String)> {
    let segments: Vec<&str> = module.split('.').collect();
    let names: Vec<&str> = segments
        .chunks(2)
        .filter_map(|c| c.get(1).copied())
        .collect();
    let mut inst = root;
    for (depth, name) in names.iter().enumerate() {
        match world.child(inst, name) {
            Some(child) => inst = child,
            None => {
                let call = world.call(inst, name)?;
                let address = names[..=depth]
                    .iter()
                    .map(|n| format!("module.{n}"))
                    .collect::<Vec<_>>()
                    .join(".");
                return Some((inst, call, address));
            }
        }
    }
    None
}

/// The planned resources: `resource_changes` (or `planned_values` when a plan has no
/// changes section), managed resources only, grouped over instances.
fn collect(json: &Json) -> Vec<Planned> {
    let mut groups: BTreeMap<(String, String, String), Value> = BTreeMap::new();
    let mut add = |address: &str, rtype: &str, name: &str, values: Value| {
        let module = module_of(address);
        let key = (module, rtype.to_string(), name.to_string());
        let merged = match groups.remove(&key) {
            Some(prev) => agree(prev, values),
            None => values,
        };
        groups.insert(key, merged);
    };
    if let Some(changes) = json.get("resource_changes").and_then(Json::as_array) {
        for rc in changes {
            let (Some(address), Some(rtype), Some(name)) = (
                rc.get("address").and_then(Json::as_str),
                rc.get("type").and_then(Json::as_str),
                rc.get("name").and_then(Json::as_str),
            ) else {
                continue;
            };
            if rc.get("mode").and_then(Json::as_str) != Some("managed") {
                continue;
            }
            let change = rc.get("change");
            let after = change.and_then(|c| c.get("after")).unwrap_or(&Json::Null);
            if after.is_null() {
                continue; // destroyed
            }
            let unknown = change.and_then(|c| c.get("after_unknown"));
            add(address, rtype, name, overlay(after, unknown));
        }
    } else if let Some(root) = json.pointer("/planned_values/root_module") {
        let mut stack = vec![root];
        while let Some(m) = stack.pop() {
            for r in m
                .get("resources")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(address), Some(rtype), Some(name), Some("managed")) = (
                    r.get("address").and_then(Json::as_str),
                    r.get("type").and_then(Json::as_str),
                    r.get("name").and_then(Json::as_str),
                    r.get("mode").and_then(Json::as_str),
                ) {
                    let values = r.get("values").unwrap_or(&Json::Null);
                    add(address, rtype, name, overlay(values, None));
                }
            }
            stack.extend(
                m.get("child_modules")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten(),
            );
        }
    }
    groups
        .into_iter()
        .map(|((module, rtype, name), values)| Planned {
            module,
            rtype,
            name,
            values,
            used: false,
        })
        .collect()
}

/// The module part of a resource address, without instance keys:
/// `module.db["a"].module.x.aws_s3_bucket.b[0]` → `module.db.module.x`.
fn module_of(address: &str) -> String {
    let bare = strip_keys(address);
    let parts: Vec<&str> = bare.split('.').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < parts.len() && parts[i] == "module" {
        out.push(format!("module.{}", parts[i + 1]));
        i += 2;
    }
    out.join(".")
}

/// An address without its `[key]` parts (keys may hold quoted `]` and `.`).
fn strip_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let (mut depth, mut quoted, mut escaped) = (0u32, false, false);
    for c in address.chars() {
        if depth > 0 {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                ']' if !quoted => depth -= 1,
                _ => {}
            }
        } else if c == '[' {
            depth = 1;
        } else {
            out.push(c);
        }
    }
    out
}

/// `after` with the parts `after_unknown` marks as unknown.
fn overlay(after: &Json, unknown: Option<&Json>) -> Value {
    match unknown {
        Some(Json::Bool(true)) => Value::Unknown,
        Some(Json::Object(u)) => {
            let mut out = match super::module::from_json(after) {
                Value::Object(m) => m,
                _ => BTreeMap::new(),
            };
            for (k, flag) in u {
                let inner = after.get(k).unwrap_or(&Json::Null);
                out.insert(k.clone(), overlay(inner, Some(flag)));
            }
            Value::Object(out)
        }
        Some(Json::Array(u)) => {
            let items = after.as_array().map(Vec::as_slice).unwrap_or_default();
            let len = items.len().max(u.len());
            Value::List(
                (0..len)
                    .map(|i| overlay(items.get(i).unwrap_or(&Json::Null), u.get(i)))
                    .collect(),
            )
        }
        _ => super::module::from_json(after),
    }
}

/// The value two instances agree on; where they differ, unknown.
fn agree(a: Value, b: Value) -> Value {
    match (a, b) {
        (a, b) if a == b => a,
        (Value::Object(mut a), Value::Object(mut b)) => {
            let keys: Vec<String> = a.keys().chain(b.keys()).cloned().collect();
            let mut out = BTreeMap::new();
            for k in keys {
                if out.contains_key(&k) {
                    continue;
                }
                let merged = match (a.remove(&k), b.remove(&k)) {
                    (Some(x), Some(y)) => agree(x, y),
                    _ => Value::Unknown,
                };
                out.insert(k, merged);
            }
            Value::Object(out)
        }
        _ => Value::Unknown,
    }
}

/// A copy of `source` holding the planned `values`: attributes are set, added or
/// removed; nested blocks are patched in place when the plan has as many, else
/// replaced. Unknown values leave the source as written (or mark an attribute present).
fn patched(source: &Block, values: &Value) -> Block {
    let mut block = source.clone();
    if let Value::Object(m) = values {
        patch_body(&mut block.body, m);
    }
    block
}

fn patch_body(body: &mut Body, values: &BTreeMap<String, Value>) {
    for (key, v) in values {
        let has_attr = body.has_attribute(key);
        let blocks = body.get_blocks(key).count();
        match v {
            Value::Unknown => {
                if !has_attr && blocks == 0 {
                    body.push(Attribute::new(ident(key), to_expr(v)));
                }
            }
            Value::Null => {
                body.remove_attribute(key);
                body.remove_blocks(key);
            }
            Value::List(items) if !has_attr && (blocks > 0 || is_block_list(items)) => {
                let objects: Vec<&BTreeMap<String, Value>> = items
                    .iter()
                    .filter_map(|i| match i {
                        Value::Object(m) => Some(m),
                        _ => None,
                    })
                    .collect();
                if blocks == objects.len() {
                    for (b, m) in body.get_blocks_mut(key).zip(objects) {
                        patch_body(&mut b.body, m);
                    }
                } else {
                    body.remove_blocks(key);
                    for m in objects {
                        body.push(nested(key, m));
                    }
                }
            }
            Value::Object(m) if !has_attr && blocks == 1 => {
                if let Some(b) = body.get_blocks_mut(key).next() {
                    patch_body(&mut b.body, m);
                }
            }
            v => {
                body.remove_blocks(key);
                set(body, key, v);
            }
        }
    }
}

/// A list whose elements are all objects: nested blocks in a plan.
fn is_block_list(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|i| matches!(i, Value::Object(_)))
}

fn set(body: &mut Body, key: &str, v: &Value) {
    match body.get_attribute_mut(key) {
        Some(mut attr) => *attr.value_mut() = to_expr(v),
        None => body.push(Attribute::new(ident(key), to_expr(v))),
    }
}

fn nested(key: &str, values: &BTreeMap<String, Value>) -> Structure {
    let mut block = Block::new(ident(key));
    patch_body(&mut block.body, values);
    Structure::Block(block)
}

fn ident(key: &str) -> Decorated<Ident> {
    Decorated::new(Ident::new(key))
}

/// A resource block made from a planned resource that has no block in the files.
fn synthesized(p: &Planned) -> Block {
    let mut block = Block::builder(ident("resource"))
        .label(p.rtype.as_str())
        .label(p.name.as_str())
        .build();
    if let Value::Object(m) = &p.values {
        patch_body(&mut block.body, m);
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            module_of("module.db[\"a.b]\"].module.x.aws_s3_bucket.b[0]"),
            "module.db.module.x"
        );
        assert_eq!(module_of("aws_s3_bucket.b"), "");
        assert_eq!(strip_keys("aws_instance.web[3]"), "aws_instance.web");
    }

    #[test]
    fn unknown_after_apply_is_unknown() {
        let after = serde_json::json!({"multi_az": false, "tags": {"Env": "prod"}});
        let unknown = serde_json::json!({"arn": true, "tags": {"Owner": true}});
        let v = overlay(&after, Some(&unknown));
        let Value::Object(m) = v else {
            panic!("object")
        };
        assert_eq!(m["multi_az"], Value::Bool(false));
        assert_eq!(m["arn"], Value::Unknown);
        let Value::Object(tags) = &m["tags"] else {
            panic!("tags")
        };
        assert_eq!(tags["Owner"], Value::Unknown);
        assert_eq!(tags["Env"], Value::String("prod".into()));
    }

    #[test]
    fn instances_agree_or_are_unknown() {
        let a = super::super::module::from_json(&serde_json::json!({"x": 1, "y": 2}));
        let b = super::super::module::from_json(&serde_json::json!({"x": 1, "y": 3}));
        let Value::Object(m) = agree(a, b) else {
            panic!("object")
        };
        assert_eq!(m["x"], Value::Number(1.0));
        assert_eq!(m["y"], Value::Unknown);
    }

    #[test]
    fn patching_keeps_unknown_source_and_adds_defaults() {
        let body: Body = "resource \"aws_db_instance\" \"x\" {\n  kms_key_id = aws_kms_key.k.arn\n  backup_window = \"03:00-04:00\"\n}\n"
            .parse()
            .expect("hcl");
        let source = body.blocks().next().expect("block");
        let values = super::super::module::from_json(&serde_json::json!({
            "multi_az": false,
            "backup_window": null,
            "point_in_time_recovery": [{"enabled": true}]
        }));
        let Value::Object(mut m) = values else {
            panic!()
        };
        m.insert("kms_key_id".into(), Value::Unknown);
        let b = patched(source, &Value::Object(m));
        assert!(b.body.get_attribute("kms_key_id").is_some());
        assert!(b.body.get_attribute("backup_window").is_none());
        assert_eq!(
            b.body
                .get_attribute("multi_az")
                .map(|a| a.value.to_string()),
            Some("false".into())
        );
        assert_eq!(b.body.get_blocks("point_in_time_recovery").count(), 1);
    }
}

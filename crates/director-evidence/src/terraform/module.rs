//! Terraform modules as Terraform sees them: each folder of `.tf` files is a module with
//! its variables, locals, outputs and module calls; folders nobody calls are root
//! modules; a local call (`source = "./…"` or `"../…"`) instantiates the called folder
//! under an address such as `module.db.module.db_instance`, recursively and bounded.
//!
//! Values resolve the way Terraform resolves them: a child module's `var.x` is the
//! argument of its call evaluated in the caller (or the variable's default when the
//! call does not set it), a root module's `var.x` comes from (lowest to highest)
//! the default, `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars[.json]` in
//! lexical order, the configured var files, then the configured values. Every value
//! remembers where the user sets it: the argument of the outermost module call, or the
//! line of a variable file. Registry and git modules are not fetched; they are listed
//! as not evaluated.

use super::eval::{self, Ev, Loc, Scope, Value};
use super::{Blk, FileRole, TfFile, lit_str};
use crate::config::TerraformConfig;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Deepest chain of module calls followed.
const MAX_DEPTH: usize = 8;
/// Most module instances in one analysis.
const MAX_INSTANCES: usize = 512;
/// Deepest chain of lookups (`var` → caller's `local` → …) before giving up as unknown.
const MAX_HOPS: usize = 64;

/// One folder of Terraform files: a module.
pub(crate) struct Dir<'a> {
    /// The folder, repository-relative (`""` for the top).
    pub path: &'a str,
    /// Indexes of its configuration files.
    pub files: Vec<usize>,
    variables: HashMap<&'a str, Blk<'a>>,
    locals: HashMap<&'a str, (Blk<'a>, &'a str)>,
    outputs: HashMap<&'a str, Blk<'a>>,
    calls: Vec<Call<'a>>,
}

/// A `module` block.
struct Call<'a> {
    name: &'a str,
    blk: Blk<'a>,
    source: Option<&'a str>,
    /// The folder a local source names, or the path that is not among the files.
    local: Option<Result<usize, String>>,
}

/// An instance of a module: a root, or a call of one from its parent instance.
pub(crate) struct ModInst<'a> {
    /// The folder instantiated.
    pub dir: usize,
    /// `module.a.module.b`, or `""` for a root.
    pub address: String,
    /// The calling instance.
    pub parent: Option<usize>,
    /// The `module` block that created it, in the parent's folder.
    pub call: Option<Blk<'a>>,
    /// False when its call (or an ancestor's) has `count = 0` or an empty `for_each`.
    pub created: bool,
    /// True when a call on its chain, or a variable file it reads, is a target file.
    pub touches_target: bool,
    children: HashMap<&'a str, usize>,
    /// Root modules: values from variable files and configuration.
    assigned: HashMap<String, Ev>,
    /// Resolved names, by [`Kind`] (`var`, `local`, `module.output`).
    memo: [RefCell<HashMap<String, Ev>>; 3],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Var,
    Local,
    Output,
}

/// Every module and module instance of the analyzed files.
pub(crate) struct World<'a> {
    /// All Terraform files of the run (configuration and variable files), by index.
    pub files: &'a [TfFile<'a>],
    /// The folders.
    pub dirs: Vec<Dir<'a>>,
    /// The instances; a parent always comes before its children.
    pub insts: Vec<ModInst<'a>>,
    /// Modules that could not be looked into: calling instance, file of the call, why.
    skipped: Vec<(usize, usize, String)>,
    busy: RefCell<HashSet<(usize, Kind, String)>>,
    hops: Cell<usize>,
}

/// The iteration values of one `count`/`for_each` instance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Binding {
    index: Value,
    key: Value,
    value: Value,
}

impl Binding {
    /// Not iterating, or iterating over values that are not known.
    pub fn unknown() -> Binding {
        Binding {
            index: Value::Unknown,
            key: Value::Unknown,
            value: Value::Unknown,
        }
    }
}

/// Names resolved in one module instance (and one `count`/`for_each` instance).
pub(crate) struct InstScope<'w, 'a> {
    world: &'w World<'a>,
    inst: usize,
    binding: Option<&'w Binding>,
}

impl Scope for InstScope<'_, '_> {
    fn var(&self, name: &str) -> Ev {
        self.world.lookup(self.inst, Kind::Var, name, "")
    }
    fn local(&self, name: &str) -> Ev {
        self.world.lookup(self.inst, Kind::Local, name, "")
    }
    fn output(&self, module: &str, output: &str) -> Ev {
        self.world.lookup(self.inst, Kind::Output, module, output)
    }
    fn iteration(&self, root: &str, attr: &str) -> Option<Value> {
        let b = self.binding?;
        match (root, attr) {
            ("count", "index") => Some(b.index.clone()),
            ("each", "key") => Some(b.key.clone()),
            ("each", "value") => Some(b.value.clone()),
            _ => None,
        }
    }
}

/// The folder of a repository-relative path.
pub(crate) fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `dir` joined with a relative `source`, normalised; `None` if it leaves the tree.
fn join(dir: &str, source: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// A local module source, as Terraform recognises one.
pub(crate) fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

impl<'a> World<'a> {
    /// Group `files` into modules and instantiate them. With `follow` false every
    /// folder is a root and module calls are not followed (literal-only analysis).
    pub fn new(files: &'a [TfFile<'a>], config: &TerraformConfig, follow: bool) -> World<'a> {
        let mut by_path: BTreeMap<&'a str, usize> = BTreeMap::new();
        let mut dirs: Vec<Dir<'a>> = Vec::new();
        for file in files.iter().filter(|f| f.role == FileRole::Config) {
            let path = folder(file.src.path);
            let idx = *by_path.entry(path).or_insert_with(|| {
                dirs.push(Dir {
                    path,
                    files: Vec::new(),
                    variables: HashMap::new(),
                    locals: HashMap::new(),
                    outputs: HashMap::new(),
                    calls: Vec::new(),
                });
                dirs.len() - 1
            });
            dirs[idx].files.push(file.id);
            collect(&mut dirs[idx], file);
        }
        for dir in &mut dirs {
            let here = dir.path;
            for call in &mut dir.calls {
                call.local = call
                    .source
                    .filter(|s| is_local(s))
                    .map(|s| match join(here, s) {
                        Some(p) => by_path.get(p.as_str()).copied().ok_or(p),
                        None => Err(s.to_string()),
                    });
            }
        }
        let mut world = World {
            files,
            dirs,
            insts: Vec::new(),
            skipped: Vec::new(),
            busy: RefCell::new(HashSet::new()),
            hops: Cell::new(0),
        };
        let called: HashSet<usize> = if follow {
            world
                .dirs
                .iter()
                .enumerate()
                .flat_map(|(i, d)| {
                    d.calls
                        .iter()
                        .filter_map(|c| c.local.clone()?.ok())
                        .filter(move |&target| target != i)
                })
                .collect()
        } else {
            HashSet::new()
        };
        let roots: Vec<usize> = (0..world.dirs.len())
            .filter(|i| !called.contains(i))
            .collect();
        for root in roots {
            world.instantiate(root, None, config, follow);
        }
        // Folders that only call each other in a cycle: evaluate them as roots.
        let reached: HashSet<usize> = world.insts.iter().map(|i| i.dir).collect();
        for dir in 0..world.dirs.len() {
            if !reached.contains(&dir) {
                world.instantiate(dir, None, config, false);
            }
        }
        world.mark_created();
        world
    }

    /// Add an instance of `dir` (and, with `follow`, of the modules it calls).
    fn instantiate(
        &mut self,
        dir: usize,
        parent: Option<(usize, usize)>,
        config: &TerraformConfig,
        follow: bool,
    ) -> usize {
        let id = self.insts.len();
        let (address, call, touches, depth) = match parent {
            Some((p, c)) => {
                let call = &self.dirs[self.insts[p].dir].calls[c];
                let prefix = &self.insts[p].address;
                let address = if prefix.is_empty() {
                    format!("module.{}", call.name)
                } else {
                    format!("{prefix}.module.{}", call.name)
                };
                let touches = self.insts[p].touches_target || call.blk.file.target;
                let depth = self.calls(p).len() + 1;
                (address, Some(call.blk), touches, depth)
            }
            None => (String::new(), None, false, 0),
        };
        let (assigned, vars_touch) = match parent {
            None => root_values(self.files, self.dirs[dir].path, config),
            Some(_) => (HashMap::new(), false),
        };
        self.insts.push(ModInst {
            dir,
            address,
            parent: parent.map(|(p, _)| p),
            call,
            created: true,
            touches_target: touches || vars_touch,
            children: HashMap::new(),
            assigned,
            memo: Default::default(),
        });
        if !follow {
            return id;
        }
        for c in 0..self.dirs[dir].calls.len() {
            let call = &self.dirs[dir].calls[c];
            let (name, local) = (call.name, call.local.clone());
            let source = call.source.unwrap_or("");
            let at = format!("{}:{}", call.blk.file.src.path, call.blk.head().0);
            let file = call.blk.file.id;
            let reason = match local {
                Some(Ok(_)) if depth >= MAX_DEPTH || self.insts.len() >= MAX_INSTANCES => {
                    format!(
                        "module calls nest deeper than {MAX_DEPTH} levels or exceed {MAX_INSTANCES} instances"
                    )
                }
                Some(Ok(child)) => {
                    let child_id = self.instantiate(child, Some((id, c)), config, follow);
                    self.insts[id].children.insert(name, child_id);
                    continue;
                }
                Some(Err(path)) => {
                    format!(
                        "local source `{source}` (folder `{path}`) is not among the analyzed files"
                    )
                }
                None if source.is_empty() => "its source is not a literal string".to_string(),
                None => format!(
                    "remote source `{source}`: not fetched; pass a plan file (--terraform-plan) to evaluate it"
                ),
            };
            let prefix = &self.insts[id].address;
            let address = if prefix.is_empty() {
                format!("module.{name}")
            } else {
                format!("{prefix}.module.{name}")
            };
            self.skipped
                .push((id, file, format!("module `{address}` at {at}: {reason}")));
        }
        id
    }

    /// Apply `count = 0` and empty `for_each` on module calls (evaluated in the caller).
    fn mark_created(&mut self) {
        for i in 0..self.insts.len() {
            let created = match (self.insts[i].parent, self.insts[i].call) {
                (Some(p), Some(call)) => self.insts[p].created && self.bindings(p, call).is_some(),
                _ => true,
            };
            self.insts[i].created = created;
        }
    }

    /// The modules not looked into, for instances whose findings are reported.
    pub fn not_evaluated(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .skipped
            .iter()
            .filter(|(i, file, _)| {
                let inst = &self.insts[*i];
                inst.created && (inst.touches_target || self.files[*file].target)
            })
            .map(|(_, _, m)| m.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Names resolved in instance `inst`, with `binding` for `count`/`each`.
    pub fn scope<'w>(&'w self, inst: usize, binding: Option<&'w Binding>) -> InstScope<'w, 'a> {
        InstScope {
            world: self,
            inst,
            binding,
        }
    }

    /// The instances of a `count`/`for_each` block evaluated in `inst`: `None` if it
    /// creates none, one unknown binding if they cannot be listed (or are many).
    pub fn bindings(&self, inst: usize, blk: Blk<'_>) -> Option<Vec<Binding>> {
        const MAX_ITERATION: usize = 8;
        let scope = self.scope(inst, None);
        if let Some(count) = blk.attr("count") {
            return match eval::eval(count.expr(), &scope).value {
                Value::Number(n) if n < 1.0 => None,
                Value::Number(n) if n <= MAX_ITERATION as f64 => Some(
                    (0..MAX_ITERATION)
                        .map(|i| i as f64)
                        .take_while(|i| *i < n)
                        .map(|i| Binding {
                            index: Value::Number(i),
                            ..Binding::unknown()
                        })
                        .collect(),
                ),
                _ => Some(vec![Binding::unknown()]),
            };
        }
        if let Some(each) = blk.attr("for_each") {
            let pairs: Vec<(Value, Value)> = match eval::eval(each.expr(), &scope).value {
                Value::Object(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                Value::List(l) => l.into_iter().map(|v| (v.clone(), v)).collect(),
                _ => return Some(vec![Binding::unknown()]),
            };
            if pairs.is_empty() {
                return None;
            }
            if pairs.len() > MAX_ITERATION {
                return Some(vec![Binding::unknown()]);
            }
            return Some(
                pairs
                    .into_iter()
                    .map(|(key, value)| Binding {
                        key,
                        value,
                        ..Binding::unknown()
                    })
                    .collect(),
            );
        }
        Some(vec![Binding::unknown()])
    }

    /// The instance that `inst`'s module call `name` created.
    pub fn child(&self, inst: usize, name: &str) -> Option<usize> {
        self.insts[inst].children.get(name).copied()
    }

    /// The module call `name` in `inst`'s folder.
    pub fn call(&self, inst: usize, name: &str) -> Option<Blk<'a>> {
        self.dirs[self.insts[inst].dir]
            .calls
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.blk)
    }

    /// The module call chain of `inst`, outermost first.
    pub fn calls(&self, inst: usize) -> Vec<Blk<'a>> {
        let mut out = Vec::new();
        let mut at = Some(inst);
        while let Some(i) = at {
            if let Some(call) = self.insts[i].call {
                out.push(call);
            }
            at = self.insts[i].parent;
        }
        out.reverse();
        out
    }

    /// `var`, `local` or `module` output `name[.output]` in `inst`, memoised, with
    /// cycles and runaway chains answered as unknown.
    fn lookup(&self, inst: usize, kind: Kind, name: &str, output: &str) -> Ev {
        let memo = &self.insts[inst].memo[kind as usize];
        let joined;
        let key = if output.is_empty() {
            name
        } else {
            joined = format!("{name}.{output}");
            joined.as_str()
        };
        if let Some(ev) = memo.borrow().get(key) {
            return ev.clone();
        }
        let busy_key = (inst, kind, key.to_string());
        if self.hops.get() >= MAX_HOPS || !self.busy.borrow_mut().insert(busy_key.clone()) {
            return Ev::unknown();
        }
        self.hops.set(self.hops.get() + 1);
        let ev = match kind {
            Kind::Var => self.var(inst, name),
            Kind::Local => self.local(inst, name),
            Kind::Output => self.output(inst, name, output),
        };
        self.hops.set(self.hops.get() - 1);
        self.busy.borrow_mut().remove(&busy_key);
        memo.borrow_mut().insert(busy_key.2, ev.clone());
        ev
    }

    fn var(&self, inst: usize, name: &str) -> Ev {
        let me = &self.insts[inst];
        let decl = self.dirs[me.dir].variables.get(name);
        let default = || {
            decl.and_then(|d| d.attr("default"))
                .map(|a| eval::eval(a.expr(), &eval::Empty).value)
        };
        let non_nullable = || decl.and_then(|d| d.bool("nullable")) == Some(false);
        let (Some(call), Some(parent)) = (me.call, me.parent) else {
            return me
                .assigned
                .get(name)
                .cloned()
                .or_else(|| default().map(Ev::here))
                .unwrap_or_else(Ev::unknown);
        };
        match call.attr(name) {
            Some(arg) => {
                let ev = eval::eval(arg.expr(), &self.scope(parent, None));
                if ev.value == Value::Null
                    && non_nullable()
                    && let Some(v) = default()
                {
                    return Ev {
                        value: v,
                        origin: Some(loc(arg.owner.file, arg.lines())),
                    };
                }
                Ev {
                    origin: ev.origin.or(Some(loc(call.file, arg.lines()))),
                    value: ev.value,
                }
            }
            // Not set by the call: the default applies, and the call is where to set it.
            None => match default() {
                Some(value) => Ev {
                    value,
                    origin: Some(loc(call.file, call.head())),
                },
                None => Ev::unknown(),
            },
        }
    }

    fn local(&self, inst: usize, name: &str) -> Ev {
        match self.dirs[self.insts[inst].dir].locals.get(name) {
            Some((blk, key)) => match blk.attr(key) {
                Some(a) => eval::eval(a.expr(), &self.scope(inst, None)),
                None => Ev::unknown(),
            },
            None => Ev::unknown(),
        }
    }

    fn output(&self, inst: usize, module: &str, output: &str) -> Ev {
        let Some(&child) = self.insts[inst].children.get(module) else {
            return Ev::unknown();
        };
        match self.dirs[self.insts[child].dir]
            .outputs
            .get(output)
            .and_then(|o| o.attr("value"))
        {
            Some(v) => eval::eval(v.expr(), &self.scope(child, None)),
            None => Ev::unknown(),
        }
    }
}

fn loc(file: &TfFile<'_>, lines: (u32, u32)) -> Loc {
    Loc {
        file: file.id,
        lines,
    }
}

/// Record the variables, locals, outputs and module calls of `file` in `dir`.
fn collect<'a>(dir: &mut Dir<'a>, file: &'a TfFile<'a>) {
    for (base, body) in &file.chunks {
        for block in body.blocks() {
            let blk = Blk::new(block, file, *base);
            let label = block.labels.first().map(|l| l.as_str());
            match (block.ident.as_str(), label) {
                ("variable", Some(name)) => {
                    dir.variables.insert(name, blk);
                }
                ("output", Some(name)) => {
                    dir.outputs.insert(name, blk);
                }
                ("locals", _) => {
                    for attr in block.body.attributes() {
                        dir.locals
                            .insert(attr.key.as_str(), (blk, attr.key.as_str()));
                    }
                }
                ("module", Some(name)) => dir.calls.push(Call {
                    name,
                    blk,
                    source: blk.attr("source").and_then(|a| lit_str(a.expr())),
                    local: None,
                }),
                _ => {}
            }
        }
    }
}

/// Where a variable file sits in Terraform's order for a root in `dir`: `None` if it
/// does not apply automatically.
fn auto_rank(dir: &str, path: &str) -> Option<(u8, String)> {
    if folder(path) != dir {
        return None;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        "terraform.tfvars" => Some((0, String::new())),
        "terraform.tfvars.json" => Some((1, String::new())),
        n if n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json") => {
            Some((2, n.to_string()))
        }
        _ => None,
    }
}

/// A root module's variable values from its variable files and the configuration, in
/// Terraform's order (later wins); and whether a target file supplied any.
fn root_values(
    files: &[TfFile<'_>],
    dir: &str,
    config: &TerraformConfig,
) -> (HashMap<String, Ev>, bool) {
    let vars: Vec<&TfFile<'_>> = files.iter().filter(|f| f.role == FileRole::Vars).collect();
    let mut ordered: Vec<((u8, String), &TfFile<'_>)> = vars
        .iter()
        .filter_map(|f| Some((auto_rank(dir, f.src.path)?, *f)))
        .collect();
    ordered.sort_by(|a, b| a.0.cmp(&b.0));
    let mut chosen: Vec<&TfFile<'_>> = ordered.into_iter().map(|(_, f)| f).collect();
    for wanted in &config.var_files {
        let wanted = wanted.trim_start_matches("./");
        chosen.extend(vars.iter().filter(|f| f.src.path == wanted));
    }
    let mut out = HashMap::new();
    let mut touches = false;
    for file in chosen {
        touches |= file.target;
        for (base, body) in &file.chunks {
            for attr in body.attributes() {
                let blk_lines = super::span_lines(file, *base, hcl_edit::Span::span(attr));
                let value = eval::eval(&attr.value, &eval::Empty).value;
                out.insert(
                    attr.key.to_string(),
                    Ev {
                        value,
                        origin: Some(loc(file, blk_lines)),
                    },
                );
            }
        }
    }
    for (name, value) in &config.vars {
        out.insert(name.clone(), Ev::here(from_json(value)));
    }
    (out, touches)
}

/// A JSON value as a Terraform value.
pub(crate) fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => n.as_f64().map_or(Value::Unknown, Value::Number),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(folder("a/b/main.tf"), "a/b");
        assert_eq!(folder("main.tf"), "");
        assert_eq!(join("examples/complete", "../../").as_deref(), Some(""));
        assert_eq!(
            join("", "./modules/db_instance").as_deref(),
            Some("modules/db_instance")
        );
        assert_eq!(join("a", "../../x"), None);
        assert!(is_local("./x") && is_local("../x") && !is_local("hashicorp/consul/aws"));
        assert_eq!(
            auto_rank("env", "env/terraform.tfvars"),
            Some((0, String::new()))
        );
        assert_eq!(
            auto_rank("env", "env/b.auto.tfvars.json"),
            Some((2, "b.auto.tfvars.json".into()))
        );
        assert_eq!(auto_rank("", "env/terraform.tfvars"), None);
        assert_eq!(auto_rank("", "prod.tfvars"), None);
    }
}

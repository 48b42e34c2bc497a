//! Terraform: HCL files parsed with `hcl-edit` (which keeps byte spans, hence exact
//! lines), an index of every block across the analyzed files (targets and related)
//! with the resources each one references, and the environment of each resource.
//!
//! A syntax error does not blind the analyzer to the rest of the file: the blocks
//! before the error (the longest prefix ending at a top-level block boundary that
//! parses) and after it (from the next top-level block) are still analyzed, and the
//! error is reported. Only the broken block is lost.
//!
//! Values are evaluated before the rules run (`module` → `instance`, see those files):
//! the index holds one entry per block per module instance, whose attributes hold the
//! evaluated values; `plan` replaces them with a plan file's values; `place` decides
//! where a finding on a module instance points.

mod azure;
mod compute;
mod cost;
mod database;
mod eval;
mod iam;
mod instance;
mod json;
mod module;
mod monitoring;
mod network;
mod operations;
mod place;
mod plan;
mod recovery;
mod resilience;
mod secrets;
mod storage;
mod tiers;
mod value;

use crate::SourceFile;
use crate::config::TerraformConfig;
use crate::emit::{Hit, Sink};
use crate::env::{self, EnvGuess, Policy};
use crate::error::EvidenceError;
use crate::rules::{Rule, TAGS_MISSING, TF_MODULE_UNPINNED};
use crate::source::SourceText;
use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body};
use std::collections::HashMap;
use std::ops::Range;

pub(crate) use value::{lit_bool, lit_int, lit_num, lit_str};

/// How many syntax errors per file the recovery steps over before giving up.
const MAX_RECOVERIES: usize = 16;
/// How many candidate block boundaries are tried when cutting a prefix.
const MAX_PREFIX_TRIES: usize = 8;

/// What a Terraform file is to the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileRole {
    /// Configuration (`*.tf`, `*.tf.json`): part of the module of its folder.
    Config,
    /// Variable values (`*.tfvars`, `*.tfvars.json`, configured var files).
    Vars,
}

/// A parsed file: its text, and the bodies that parsed (with their byte offset).
pub(crate) struct TfFile<'a> {
    pub src: SourceText<'a>,
    pub chunks: Vec<(usize, Body)>,
    pub target: bool,
    /// Index among the run's Terraform files.
    pub id: usize,
    pub role: FileRole,
    /// For JSON syntax: the line-aligned HCL the chunks were parsed from.
    pub hcl: Option<json::HclText>,
}

impl TfFile<'_> {
    /// The lines covering the byte range `start..end` of the parsed text.
    pub fn lines_of(&self, start: usize, end: usize) -> (u32, u32) {
        match &self.hcl {
            Some(h) => h.lines_of(start, end),
            None => self.src.lines_of(start, end),
        }
    }

    /// The parsed text at a byte range.
    pub fn text(&self, range: Range<usize>) -> Option<&str> {
        match &self.hcl {
            Some(h) => h.text.get(range),
            None => self.src.text.get(range),
        }
    }
}

/// Parse one Terraform file (HCL or JSON syntax, configuration or variables).
fn parse_any<'a>(
    id: usize,
    path: &'a str,
    text: &'a str,
    target: bool,
    role: FileRole,
) -> (TfFile<'a>, Vec<EvidenceError>) {
    let src = SourceText::new(path, text);
    let (chunks, errors, hcl) = if path.to_ascii_lowercase().ends_with(".json") {
        let (hcl, mut errors) = json::to_hcl(path, text, role);
        let (chunks, more) = parse_chunks(path, &hcl.text, |at| hcl.line_of(at));
        errors.extend(more);
        (chunks, errors, Some(hcl))
    } else {
        let (chunks, errors) = parse_chunks(path, text, |at| src.line_of(at));
        (chunks, errors, None)
    };
    let file = TfFile {
        src,
        chunks,
        target,
        id,
        role,
        hcl,
    };
    (file, errors)
}

/// Parse one HCL file, recovering at top-level block boundaries.
#[cfg(test)]
fn parse_file<'a>(path: &'a str, text: &'a str, target: bool) -> (TfFile<'a>, Vec<EvidenceError>) {
    parse_any(0, path, text, target, FileRole::Config)
}

/// Parse HCL `text` into bodies, recovering at top-level block boundaries; `line_of`
/// turns a byte offset into the line reported with an error.
fn parse_chunks(
    path: &str,
    text: &str,
    line_of: impl Fn(usize) -> u32,
) -> (Vec<(usize, Body)>, Vec<EvidenceError>) {
    let mut chunks = Vec::new();
    let mut errors = Vec::new();
    let mut base = 0usize;
    loop {
        let rest = &text[base..];
        match hcl_edit::parser::parse_body(rest) {
            Ok(body) => {
                chunks.push((base, body));
                break;
            }
            Err(e) => {
                let at = (base + e.location().offset()).min(text.len());
                errors.push(EvidenceError::Syntax {
                    path: path.to_string(),
                    format: "HCL",
                    line: line_of(at),
                    message: e.message().replace('\n', " "),
                });
                // Blocks before the error: the longest prefix cut at a block start.
                let cuts: Vec<usize> = block_starts(text, base + 1, at + 1).collect();
                for &cut in cuts.iter().rev().take(MAX_PREFIX_TRIES) {
                    if let Ok(body) = hcl_edit::parser::parse_body(&text[base..cut]) {
                        if !body.is_empty() {
                            chunks.push((base, body));
                        }
                        break;
                    }
                }
                // Blocks after it: resume at the next top-level block.
                match block_starts(text, at + 1, text.len()).next() {
                    Some(next) if errors.len() < MAX_RECOVERIES => base = next,
                    _ => break,
                }
            }
        }
    }
    (chunks, errors)
}

/// Byte offsets in `from..to` where a line starts with an identifier in column 0, i.e.
/// where a top-level block or attribute may begin.
fn block_starts(text: &str, from: usize, to: usize) -> impl Iterator<Item = usize> + '_ {
    let bytes = text.as_bytes();
    let end = to.min(bytes.len());
    (from..end).filter(move |&i| {
        (i == 0 || bytes[i - 1] == b'\n') && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_')
    })
}

/// A block (or a `dynamic` block's `content`) with where it lives.
#[derive(Clone, Copy)]
pub(crate) struct Blk<'a> {
    pub block: &'a Block,
    pub file: &'a TfFile<'a>,
    pub base: usize,
    /// The lines to report for a block that has no span of its own (one that a plan
    /// file adds): the enclosing block's header.
    pub anchor: Option<(u32, u32)>,
}

/// An attribute with where it lives.
#[derive(Clone, Copy)]
pub(crate) struct Attr<'a> {
    pub attr: &'a Attribute,
    /// The block holding it.
    pub owner: Blk<'a>,
}

fn span_lines(file: &TfFile<'_>, base: usize, span: Option<Range<usize>>) -> (u32, u32) {
    match span {
        Some(r) => file.lines_of(base + r.start, base + r.end),
        None => (1, 1),
    }
}

impl<'a> Blk<'a> {
    /// A block of `file` parsed at byte offset `base`.
    pub fn new(block: &'a Block, file: &'a TfFile<'a>, base: usize) -> Blk<'a> {
        Blk {
            block,
            file,
            base,
            anchor: None,
        }
    }

    /// A nested block of this one.
    fn child(&self, block: &'a Block) -> Blk<'a> {
        let anchor = block.span().is_none().then(|| self.head());
        Blk {
            block,
            anchor,
            ..*self
        }
    }

    /// The block's body.
    pub fn body(&self) -> &'a Body {
        &self.block.body
    }

    /// The attribute `key`.
    pub fn attr(&self, key: &str) -> Option<Attr<'a>> {
        self.block
            .body
            .get_attribute(key)
            .map(|attr| Attr { attr, owner: *self })
    }

    /// The literal boolean of attribute `key` (`None` if absent or computed).
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.attr(key).and_then(|a| a.bool())
    }

    /// The literal string of attribute `key`.
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.attr(key).and_then(|a| lit_str(a.expr()))
    }

    /// The literal integer of attribute `key`.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.attr(key).and_then(|a| lit_int(a.expr()))
    }

    /// Nested blocks named `ident`, including the `content` of `dynamic "ident"` blocks.
    pub fn blocks(&self, ident: &str) -> Vec<Blk<'a>> {
        let mut out = Vec::new();
        for b in self.block.body.blocks() {
            if b.ident.as_str() == ident {
                out.push(self.child(b));
            } else if b.ident.as_str() == "dynamic"
                && b.labels.first().is_some_and(|l| l.as_str() == ident)
                && let Some(content) = b.body.get_blocks("content").next()
            {
                out.push(self.child(content));
            }
        }
        out
    }

    /// The first nested block named `ident` (see [`Blk::blocks`]).
    pub fn block(&self, ident: &str) -> Option<Blk<'a>> {
        self.blocks(ident).into_iter().next()
    }

    /// All lines of the block.
    pub fn lines(&self) -> (u32, u32) {
        match (self.block.span(), self.anchor) {
            (None, Some(anchor)) => anchor,
            (span, _) => span_lines(self.file, self.base, span),
        }
    }

    /// The block's first line (its header).
    pub fn head(&self) -> (u32, u32) {
        let (start, _) = self.lines();
        (start, start)
    }

    /// Where to quote `attr` of this block: its lines, or the block's header when absent.
    pub fn lines_or_head(&self, attr: Option<Attr<'_>>) -> (u32, u32) {
        attr.map_or_else(|| self.head(), |a| a.lines())
    }

    /// Where to report boolean attribute `key` as off: the attribute when it is literally
    /// false, the header when it is absent; `None` when it is true or computed.
    pub fn unset_or_false(&self, key: &str) -> Option<(u32, u32)> {
        let attr = self.attr(key);
        attr.is_none_or(|a| a.bool() == Some(false))
            .then(|| self.lines_or_head(attr))
    }

    /// As [`Blk::unset_or_false`], for a number whose `0` means off.
    pub fn unset_or_zero(&self, key: &str) -> Option<(u32, u32)> {
        let attr = self.attr(key);
        attr.is_none_or(|a| lit_int(a.expr()) == Some(0))
            .then(|| self.lines_or_head(attr))
    }
}

impl<'a> Attr<'a> {
    /// The value expression.
    pub fn expr(&self) -> &'a Expression {
        &self.attr.value
    }

    /// The attribute's lines (its block's header for an attribute a plan file adds).
    pub fn lines(&self) -> (u32, u32) {
        match self.attr.span() {
            Some(span) => span_lines(self.owner.file, self.owner.base, Some(span)),
            None => self.owner.head(),
        }
    }

    /// The literal boolean value.
    pub fn bool(&self) -> Option<bool> {
        lit_bool(self.expr())
    }

    /// The lines of `e`, an expression inside this attribute's value (the attribute's
    /// lines if `e` has no span).
    pub fn lines_of(&self, e: &Expression) -> (u32, u32) {
        e.span().map_or_else(
            || self.lines(),
            |r| span_lines(self.owner.file, self.owner.base, Some(r)),
        )
    }

    /// The value's source text (as written, also when the value was evaluated).
    pub fn text(&self) -> &'a str {
        let base = self.owner.base;
        self.attr
            .span()
            .and_then(|r| self.owner.file.text(base + r.start..base + r.end))
            .and_then(|t| t.split_once('=').map(|(_, v)| v.trim()))
            .unwrap_or("")
    }
}

/// A top-level block: a resource, data source, module, provider, variable, ...
pub(crate) struct Res<'a> {
    pub blk: Blk<'a>,
    /// The block type: `resource`, `data`, `module`, `provider`, ...
    pub kind: &'a str,
    /// First label (the resource type; the module or provider name).
    pub rtype: &'a str,
    /// Second label (the resource name).
    pub name: &'a str,
    /// Addresses referenced from the block (with the module prefix).
    pub refs: Vec<String>,
    pub env: EnvGuess,
    /// The block as written (its evaluated copy is in `blk`).
    pub source: &'a Block,
    /// The module address prefix (`module.db.module.db_instance`), `""` at the root.
    pub module: &'a str,
    /// The module instance (index into the instances of [`module::World`]).
    pub inst: usize,
    /// Attributes whose values were set elsewhere (a module call, a variable file).
    pub redirects: &'a [instance::Redirect],
    /// True if findings on it may be reported: its file, or a module call or variable
    /// file that shapes it, is a target.
    pub target: bool,
}

impl<'a> Res<'a> {
    /// `type.name` (resources), `data.type.name`, `module.name`, under the module
    /// prefix (`module.db.aws_db_instance.this`).
    pub fn address(&self) -> String {
        let local = match self.kind {
            "data" => format!("data.{}.{}", self.rtype, self.name),
            "module" => format!("module.{}", self.rtype),
            _ => format!("{}.{}", self.rtype, self.name),
        };
        prefixed(self.module, &local)
    }

    /// The addresses the attribute `key` refers to as written (with the module prefix).
    pub fn refs_of(&self, key: &str) -> Vec<String> {
        self.source
            .body
            .get_attribute(key)
            .map(|a| value::expr_refs(&a.value))
            .unwrap_or_default()
            .into_iter()
            .map(|r| prefixed(self.module, &r))
            .collect()
    }

    /// The literal tags (`tags = {...}` or `merge()` of literals), `None` if computed or absent.
    pub fn tags(&self) -> Option<Vec<(String, Option<String>)>> {
        self.blk.attr("tags").and_then(|a| value::tag_map(a.expr()))
    }
}

/// `module.x.` + `local`, or `local` at the root.
fn prefixed(module: &str, local: &str) -> String {
    if module.is_empty() {
        local.to_string()
    } else {
        format!("{module}.{local}")
    }
}

/// Every block of every analyzed Terraform file, once per module instance.
pub(crate) struct Index<'a> {
    pub res: Vec<Res<'a>>,
    /// The modules and files (for placing findings).
    pub world: &'a module::World<'a>,
    by_type: HashMap<&'a str, Vec<usize>>,
    by_address: HashMap<String, usize>,
    referrers: HashMap<String, Vec<usize>>,
    /// Resources by (type, source text of their `bucket` attribute), to pair S3
    /// companion resources that name the bucket the same way (`var.bucket`).
    by_bucket_text: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// Tag keys every AWS resource gets from a provider's `default_tags`.
    pub default_tag_keys: Vec<String>,
}

impl<'a> Index<'a> {
    /// Resources of `rtype` whose findings are reported (see [`Res::target`]).
    pub fn targets(&self, rtype: &str) -> impl Iterator<Item = &Res<'a>> {
        self.all(rtype).filter(|r| r.target)
    }

    /// Resources of `rtype` anywhere.
    pub fn all(&self, rtype: &str) -> impl Iterator<Item = &Res<'a>> {
        self.by_type
            .get(rtype)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.res[i])
    }

    /// The resource (or module) at `address`.
    pub fn get(&self, address: &str) -> Option<&Res<'a>> {
        self.by_address.get(address).map(|&i| &self.res[i])
    }

    /// Resources of `rtype` whose `bucket` attribute is written exactly as `text`.
    pub fn by_bucket_text<'s>(
        &'s self,
        rtype: &'s str,
        text: &'s str,
    ) -> impl Iterator<Item = &'s Res<'a>> {
        self.by_bucket_text
            .get(&(rtype, text))
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.res[i])
    }

    /// Blocks that reference `address`.
    pub fn referrers(&self, address: &str) -> impl Iterator<Item = &Res<'a>> {
        self.referrers
            .get(address)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.res[i])
    }

    /// Blocks of `rtype` that reference `address`.
    pub fn referrers_of_type<'s>(
        &'s self,
        address: &str,
        rtype: &'s str,
    ) -> impl Iterator<Item = &'s Res<'a>> {
        self.referrers(address)
            .filter(move |r| r.rtype == rtype && r.kind == "resource")
    }
}

/// Shared state of the Terraform rules.
pub(crate) struct Ctx<'i, 'a, 's, 'c> {
    pub index: &'i Index<'a>,
    pub sink: &'s mut Sink<'c>,
}

impl<'c> Ctx<'_, '_, '_, 'c> {
    /// Report `rule` on `res` with evidence `lines` of its file.
    pub fn emit(
        &mut self,
        rule: &Rule,
        res: &Res<'_>,
        lines: (u32, u32),
        title: String,
        fix: String,
    ) {
        self.emit_with(rule, res, lines, title, fix, None);
    }

    /// Report `rule` on the resource `address`, quoting `lines` of `at`'s file (a
    /// companion resource, e.g. a bucket's versioning configuration).
    pub fn emit_on(
        &mut self,
        rule: &Rule,
        at: &Res<'_>,
        address: String,
        lines: (u32, u32),
        title: String,
        fix: String,
    ) {
        self.report(rule, at, address, lines, (title, fix), None);
    }

    /// As [`Ctx::emit`], with a policy other than the rule's default.
    pub fn emit_with(
        &mut self,
        rule: &Rule,
        res: &Res<'_>,
        lines: (u32, u32),
        title: String,
        fix: String,
        policy: Option<Policy>,
    ) {
        self.report(rule, res, res.address(), lines, (title, fix), policy);
    }

    /// Place the finding (see [`place`]) and record it with its related locations.
    fn report(
        &mut self,
        rule: &Rule,
        at: &Res<'_>,
        address: String,
        lines: (u32, u32),
        (title, fix): (String, String),
        policy: Option<Policy>,
    ) {
        let Some(placed) = place::place(self.index.world, at, lines) else {
            return;
        };
        let finding = self.sink.emit(Hit {
            rule,
            src: placed.src,
            lines: placed.lines,
            resource: address,
            env: &at.env,
            title,
            fix,
            policy,
        });
        if let Some(f) = finding {
            f.related = placed.related;
        }
    }

    /// The analyzer configuration (borrowed for the whole run, not from `self`, so rules
    /// can read it while they emit).
    pub fn config(&self) -> &'c crate::AnalyzerConfig {
        self.sink.config()
    }
}

/// Analyze Terraform files; `files` pairs each file with "is a target". Variable files
/// (`*.tfvars[.json]` and the configured ones) and the configured plan are among them.
/// Returns the modules that could not be evaluated.
pub(crate) fn analyze(
    files: &[(&SourceFile, bool)],
    sink: &mut Sink<'_>,
    errors: &mut Vec<EvidenceError>,
) -> Vec<String> {
    let config = &sink.config().terraform;
    let plan_path = config.plan.as_deref().map(|p| p.trim_start_matches("./"));
    let mut plan_file = None;
    let mut to_parse = Vec::with_capacity(files.len());
    for &(file, target) in files {
        if Some(file.path.as_str()) == plan_path {
            plan_file = Some(file);
        } else {
            to_parse.push((to_parse.len(), file, target));
        }
    }
    // Each file parses on its own: on all cores, in file order.
    let results = director_core::par::map(&to_parse, |&(id, file, target)| {
        let role = if is_var_file(&file.path, config) {
            FileRole::Vars
        } else {
            FileRole::Config
        };
        parse_any(id, &file.path, &file.content, target, role)
    });
    let mut parsed = Vec::with_capacity(results.len());
    for ((_, _, target), (tf, errs)) in to_parse.iter().zip(results) {
        if *target {
            errors.extend(errs);
        }
        parsed.push(tf);
    }
    let world = module::World::new(&parsed, config, config.evaluate);
    let mut evaluated = instance::evaluate(&world, config.evaluate);
    let mut not_evaluated = world.not_evaluated();
    if let Some(plan) = plan_file {
        match plan::apply(&world, &mut evaluated, plan) {
            Ok(covered) => not_evaluated.retain(|m| !covered.iter().any(|c| m.starts_with(c))),
            Err(e) => errors.push(e),
        }
    }
    let not_evaluated = not_evaluated
        .into_iter()
        .map(|m| format!("not evaluated: {m}"))
        .collect();
    let index = build_index(&world, &evaluated, sink.config().environment);
    let mut cx = Ctx {
        index: &index,
        sink,
    };
    database::check(&mut cx);
    compute::check(&mut cx);
    network::check(&mut cx);
    storage::check(&mut cx);
    monitoring::check(&mut cx);
    azure::check(&mut cx);
    iam::check(&mut cx);
    secrets::check(&mut cx);
    modules(&mut cx);
    tags(&mut cx);
    operations::check(&mut cx, monitoring::CRITICAL);
    recovery::check(&mut cx);
    resilience::check(&mut cx);
    tiers::check(&mut cx);
    cost::check(&mut cx);
    not_evaluated
}

/// True if the configuration names `path` as a Terraform variable file or plan, so it
/// goes to this analyzer whatever its name.
pub(crate) fn claims(path: &str, config: &TerraformConfig) -> bool {
    config
        .plan
        .as_deref()
        .is_some_and(|p| p.trim_start_matches("./") == path)
        || config
            .var_files
            .iter()
            .any(|v| v.trim_start_matches("./") == path)
}

/// True for a variable file: `*.tfvars`, `*.tfvars.json`, or one named in the
/// configuration.
pub(crate) fn is_var_file(path: &str, config: &TerraformConfig) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".tfvars")
        || lower.ends_with(".tfvars.json")
        || config
            .var_files
            .iter()
            .any(|v| v.trim_start_matches("./") == path)
}

fn build_index<'a>(
    world: &'a module::World<'a>,
    evaluated: &'a [instance::Evaluated<'a>],
    task_env: Option<director_core::Environment>,
) -> Index<'a> {
    let mut res = Vec::with_capacity(evaluated.len());
    for ev in evaluated {
        let block = ev.block.as_ref().unwrap_or(ev.source.block);
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        let kind = block.ident.as_str();
        let (rtype, name) = match labels.as_slice() {
            [t, n, ..] => (*t, *n),
            [t] => (*t, ""),
            [] => ("", ""),
        };
        let inst = &world.insts[ev.inst];
        let module = ev.module.as_deref().unwrap_or(&inst.address);
        let source = if ev.synthetic { block } else { ev.source.block };
        res.push(Res {
            blk: Blk { block, ..ev.source },
            kind,
            rtype,
            name,
            refs: value::body_refs(&source.body)
                .into_iter()
                .map(|r| prefixed(module, &r))
                .collect(),
            env: EnvGuess::unknown(),
            source,
            module,
            inst: ev.inst,
            redirects: &ev.redirects,
            target: ev.source.file.target || inst.touches_target,
        });
    }
    let mut by_type: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_address: HashMap<String, usize> = HashMap::new();
    let mut by_bucket_text: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut referrers: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in res.iter().enumerate() {
        if r.kind == "resource" {
            by_type.entry(r.rtype).or_default().push(i);
            if let Some(text) = r
                .blk
                .attr("bucket")
                .map(|a| a.text().trim())
                .filter(|t| !t.is_empty())
            {
                by_bucket_text.entry((r.rtype, text)).or_default().push(i);
            }
        } else if r.kind == "module" {
            by_type.entry("module").or_default().push(i);
        }
        if matches!(r.kind, "resource" | "module" | "data") {
            by_address.entry(r.address()).or_insert(i);
        }
        for target in &r.refs {
            referrers.entry(target.clone()).or_default().push(i);
        }
    }

    // Provider default_tags: keys apply to every AWS resource; an Environment value
    // sets the environment of resources that say nothing themselves.
    let mut default_tag_keys = Vec::new();
    let mut default_env = None;
    for r in res
        .iter()
        .filter(|r| r.kind == "provider" && r.rtype == "aws")
    {
        for dt in r.blk.blocks("default_tags") {
            if let Some(tags) = dt.attr("tags").and_then(|a| value::tag_map(a.expr())) {
                for (k, v) in tags {
                    if let (true, Some(v)) = (is_env_key(&k), v.as_deref()) {
                        default_env = env::from_tag_value(v)
                            .map(|e| (e, format!("provider default tag `{k}`")));
                    }
                    default_tag_keys.push(k);
                }
            }
        }
    }

    for r in res.iter_mut() {
        let paths: Vec<&str> = world
            .calls(r.inst)
            .iter()
            .map(|c| c.file.src.path)
            .collect();
        r.env = guess_env(r, task_env, default_env.as_ref(), &paths);
    }
    // One hop: a resource that says nothing takes the environment of what it references
    // (a read replica of a production database is production).
    let known: HashMap<String, EnvGuess> = res
        .iter()
        .filter(|r| r.env.env.is_some() && r.kind == "resource")
        .map(|r| (r.address(), r.env.clone()))
        .collect();
    for r in res.iter_mut().filter(|r| r.env.env.is_none()) {
        if let Some((addr, guess)) = r.refs.iter().find_map(|a| known.get(a).map(|g| (a, g))) {
            r.env = EnvGuess {
                env: guess.env,
                basis: format!("inherited from `{addr}`"),
            };
        }
    }
    Index {
        res,
        world,
        by_type,
        by_address,
        referrers,
        by_bucket_text,
        default_tag_keys,
    }
}

fn is_env_key(key: &str) -> bool {
    matches!(
        key.to_ascii_lowercase().as_str(),
        "environment" | "env" | "stage" | "environment_name" | "tier"
    )
}

/// Attributes whose literal values name a resource.
const NAME_ATTRIBUTES: &[&str] = &[
    "name",
    "identifier",
    "cluster_identifier",
    "cluster_name",
    "node_group_name",
    "bucket",
    "function_name",
    "name_prefix",
    "replication_group_id",
    "cluster_id",
];

/// The environment of `r`: the task's, else its tags, the provider's default tags, its
/// name attributes, its name, its path, and the paths of the module calls that create
/// it (outermost first: `envs/prod/main.tf` calling `modules/db`).
fn guess_env(
    r: &Res<'_>,
    task_env: Option<director_core::Environment>,
    default_env: Option<&(director_core::Environment, String)>,
    call_paths: &[&str],
) -> EnvGuess {
    if let Some(e) = task_env {
        return EnvGuess::known(e, "task".into());
    }
    if let Some(tags) = r.tags() {
        for (k, v) in tags {
            if let (true, Some(v)) = (is_env_key(&k), v.as_deref())
                && let Some(e) = env::from_tag_value(v)
            {
                return EnvGuess::known(e, format!("tag `{k} = {v}`"));
            }
        }
    }
    for tag in r.blk.blocks("tag") {
        if let (Some(k), Some(v)) = (tag.str("key"), tag.str("value"))
            && is_env_key(k)
            && let Some(e) = env::from_tag_value(v)
        {
            return EnvGuess::known(e, format!("tag `{k} = {v}`"));
        }
    }
    if let Some((e, basis)) = default_env {
        return EnvGuess::known(*e, basis.clone());
    }
    for key in NAME_ATTRIBUTES {
        if let Some(v) = r.blk.str(key)
            && let Some(e) = env::from_name(v)
        {
            return EnvGuess::known(e, format!("{key} `{v}`"));
        }
    }
    if let Some(e) = env::from_name(r.name) {
        return EnvGuess::known(e, format!("name `{}`", r.name));
    }
    for path in std::iter::once(r.blk.file.src.path).chain(call_paths.iter().copied()) {
        if let Some(e) = env::from_path(path) {
            return EnvGuess::known(e, format!("path `{path}`"));
        }
    }
    EnvGuess::unknown()
}

/// Module sources must be pinned: registry modules by `version`, git sources by a
/// `ref` that is a version tag or a commit.
fn modules(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for m in index.targets("module") {
        let Some(source_attr) = m.blk.attr("source") else {
            continue;
        };
        let Some(source) = lit_str(source_attr.expr()) else {
            continue;
        };
        if source.starts_with("./") || source.starts_with("../") {
            continue;
        }
        let lines = source_attr.lines();
        let pinned = if let Some(reference) = git_ref(source) {
            is_version_or_commit(reference)
        } else if is_git_like(source) {
            false
        } else if is_registry(source) {
            m.blk.attr("version").is_some()
        } else {
            // s3::, gcs::, http archives and the like: not judged.
            continue;
        };
        if !pinned {
            cx.emit(
                &TF_MODULE_UNPINNED,
                m,
                lines,
                format!("module `{}` uses an unpinned source `{source}`", m.rtype),
                if is_registry(source) {
                    "Add `version = \"<exact version>\"` to the module block.".into()
                } else {
                    "Append `?ref=<version tag or commit SHA>` to the module source.".into()
                },
            );
        }
    }
}

fn git_ref(source: &str) -> Option<&str> {
    let query = source.split_once('?')?.1;
    query.split('&').find_map(|kv| kv.strip_prefix("ref="))
}

fn is_git_like(source: &str) -> bool {
    source.starts_with("git::")
        || source.starts_with("git@")
        || source.starts_with("github.com/")
        || source.starts_with("bitbucket.org/")
        || source.contains(".git")
}

fn is_registry(source: &str) -> bool {
    // `namespace/name/provider` or `host/namespace/name/provider`, optional `//subdir`.
    let main = source.split("//").next().unwrap_or(source);
    let parts = main.split('/').count();
    !source.contains("::")
        && !is_git_like(source)
        && (parts == 3 || parts == 4)
        && !main.starts_with('/')
}

fn is_version_or_commit(reference: &str) -> bool {
    let r = reference.strip_prefix('v').unwrap_or(reference);
    let is_commit = reference.len() >= 7
        && reference.len() <= 40
        && reference.chars().all(|c| c.is_ascii_hexdigit());
    let is_version = r.split('.').count() >= 2
        && r.split('.')
            .all(|p| !p.is_empty() && p.chars().next().is_some_and(|c| c.is_ascii_digit()));
    is_commit || is_version
}

/// Resource types that carry a `tags` map and are worth tagging for cost tracking.
const TAGGABLE: &[&str] = &[
    "aws_instance",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_s3_bucket",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_lb",
    "aws_alb",
    "aws_elb",
    "aws_ebs_volume",
    "aws_efs_file_system",
    "aws_dynamodb_table",
    "aws_elasticache_cluster",
    "aws_elasticache_replication_group",
    "aws_lambda_function",
    "aws_ecs_cluster",
    "aws_ecs_service",
    "aws_vpc",
    "aws_nat_gateway",
    "aws_redshift_cluster",
    "aws_docdb_cluster",
    "aws_neptune_cluster",
    "aws_launch_template",
    "aws_sqs_queue",
    "aws_sns_topic",
    "aws_kinesis_stream",
    "aws_opensearch_domain",
    "aws_elasticsearch_domain",
    "aws_msk_cluster",
    "aws_mq_broker",
    "azurerm_resource_group",
    "azurerm_kubernetes_cluster",
    "azurerm_linux_virtual_machine",
    "azurerm_windows_virtual_machine",
    "azurerm_storage_account",
    "azurerm_mssql_server",
    "azurerm_postgresql_server",
    "azurerm_postgresql_flexible_server",
    "azurerm_mysql_server",
    "azurerm_mysql_flexible_server",
    "azurerm_service_plan",
    "azurerm_key_vault",
];

fn tags(cx: &mut Ctx<'_, '_, '_, '_>) {
    let required = &cx.config().required_tags;
    if required.is_empty() || cx.sink.disabled(&TAGS_MISSING) {
        return;
    }
    let index = cx.index;
    for rtype in TAGGABLE {
        for r in index.targets(rtype) {
            let defaults: &[String] = if rtype.starts_with("aws_") {
                &index.default_tag_keys
            } else {
                &[]
            };
            let (present, lines): (Vec<String>, (u32, u32)) = match r.blk.attr("tags") {
                Some(a) => match value::tag_map(a.expr()) {
                    Some(t) => (t.into_iter().map(|(k, _)| k).collect(), a.lines()),
                    None => continue, // computed tags: cannot tell
                },
                None => (Vec::new(), r.blk.head()),
            };
            let missing: Vec<&str> = required
                .iter()
                .filter(|k| !present.contains(k) && !defaults.contains(k))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                cx.emit(
                    &TAGS_MISSING,
                    r,
                    lines,
                    format!("{} is missing tags: {}", r.address(), missing.join(", ")),
                    format!(
                        "Add {} to `tags` (or to the provider's default_tags).",
                        missing
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_keeps_blocks_around_an_error() {
        let text = "resource \"a\" \"one\" {\n  x = 1\n}\n\nresource \"a\" \"two\" {\n  y {\n    z = 1}\n}\n\nresource \"a\" \"three\" {\n  x = 3\n}\n";
        let (file, errors) = parse_file("m.tf", text, true);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .to_string()
                .contains("m.tf: invalid HCL at line 7"),
            "{}",
            errors[0]
        );
        let names: Vec<String> = file
            .chunks
            .iter()
            .flat_map(|(_, b)| {
                b.blocks()
                    .map(|b| b.labels[1].as_str().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(names, vec!["one", "three"]);
        // Spans of the resumed chunk are offset correctly.
        let (base, body) = &file.chunks[1];
        let block = body.blocks().next().unwrap();
        let blk = Blk::new(block, &file, *base);
        assert_eq!(blk.lines(), (10, 12));
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "{",
            "}",
            "resource",
            "resource \"a\" {",
            "a = ",
            "\"",
            "<<EOF\n",
            "a = [[[[",
            "\u{0}",
        ] {
            let _ = parse_file("g.tf", text, true);
        }
    }

    #[test]
    fn module_sources() {
        assert!(is_registry("terraform-aws-modules/vpc/aws"));
        assert!(is_registry(
            "terraform-aws-modules/cloudwatch/aws//modules/log-group"
        ));
        assert!(!is_registry("github.com/hashicorp/example"));
        assert!(is_git_like("git@github.com:hashicorp/example.git"));
        assert_eq!(
            git_ref("git::https://x/y.git?depth=1&ref=v1.2.0"),
            Some("v1.2.0")
        );
        assert!(is_version_or_commit("v5.0.0"));
        assert!(is_version_or_commit(
            "26c38a66f12e7c6c93b6a2ba127ad68981a48671"
        ));
        assert!(!is_version_or_commit("some_branch_name"));
        assert!(!is_version_or_commit("main"));
    }
}

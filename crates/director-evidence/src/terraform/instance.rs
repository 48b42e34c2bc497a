//! The blocks of every module instance, evaluated: each attribute that is not a
//! literal is evaluated in its instance (for every `count`/`for_each` instance, which
//! must agree or the attribute stays unknown), and a block with known results becomes
//! a copy whose attributes hold literal values. The rules read that copy exactly as
//! they read literal source, so they keep their shape; an unknown value keeps its
//! source expression, so a rule sees what it saw before evaluation existed, and a
//! `null` (or an empty list) removes the attribute, as Terraform does.
//!
//! The copy keeps the source's spans (attributes and nested blocks), so findings keep
//! their lines; for every attribute whose value was set somewhere else (a module call,
//! a variable file) a [`Redirect`] says where, and the finding is placed there.

use super::eval::{self, Ev, Loc, Value};
use super::module::{Binding, World};
use super::{Blk, span_lines};
use hcl_edit::Span;
use hcl_edit::structure::{Block, Body, Structure};

/// Attributes never evaluated (they name things rather than configure them).
const META: &[&str] = &["depends_on", "provider", "providers", "source", "version"];
/// Nested blocks that do not configure the resource.
const META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];

/// An attribute whose evaluated value was set elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Redirect {
    /// The attribute's lines in the block's file.
    pub lines: (u32, u32),
    /// Where the value was set.
    pub origin: Loc,
}

/// A block of a module instance.
pub(crate) struct Evaluated<'a> {
    /// The block as written.
    pub source: Blk<'a>,
    /// The evaluated copy, when evaluation changed anything.
    pub block: Option<Block>,
    /// The module instance (index into [`World::insts`]).
    pub inst: usize,
    /// Attributes whose value was set elsewhere.
    pub redirects: Vec<Redirect>,
    /// The module address, when it is not the instance's (plan resources of modules
    /// that are not in the repository).
    pub module: Option<String>,
    /// True for a resource made from a plan file alone: `block` is all there is, and
    /// `source` is the module call it is reported at.
    pub synthetic: bool,
}

/// A change to one attribute of a block copy, by position.
enum Patch {
    Set(Vec<usize>, Value),
    Remove(Vec<usize>),
}

/// Every block of every created module instance; with `evaluate` false, the blocks
/// as written.
pub(crate) fn evaluate<'a>(world: &World<'a>, evaluate: bool) -> Vec<Evaluated<'a>> {
    let mut out = Vec::new();
    for (i, inst) in world.insts.iter().enumerate() {
        if !inst.created {
            continue;
        }
        for &f in &world.dirs[inst.dir].files {
            let file = &world.files[f];
            for (base, body) in &file.chunks {
                for block in body.blocks() {
                    let blk = Blk::new(block, file, *base);
                    let kind = block.ident.as_str();
                    if evaluate && matches!(kind, "resource" | "data" | "provider") {
                        out.extend(evaluate_block(world, i, blk));
                    } else {
                        out.push(Evaluated {
                            source: blk,
                            block: None,
                            inst: i,
                            redirects: Vec::new(),
                            module: None,
                            synthetic: false,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Evaluate one block in instance `inst`; `None` if `count`/`for_each` create none.
fn evaluate_block<'a>(world: &World<'a>, inst: usize, blk: Blk<'a>) -> Option<Evaluated<'a>> {
    let bindings = world.bindings(inst, blk)?;
    let mut walk = Walk {
        world,
        inst,
        bindings: &bindings,
        blk,
        patches: Vec::new(),
        redirects: Vec::new(),
    };
    walk.body(&blk.block.body, &mut Vec::new());
    let Walk {
        patches, redirects, ..
    } = walk;
    let block = (!patches.is_empty()).then(|| apply(blk.block.clone(), patches));
    Some(Evaluated {
        source: blk,
        block,
        inst,
        redirects,
        module: None,
        synthetic: false,
    })
}

struct Walk<'w, 'a> {
    world: &'w World<'a>,
    inst: usize,
    bindings: &'w [Binding],
    blk: Blk<'a>,
    patches: Vec<Patch>,
    redirects: Vec<Redirect>,
}

impl Walk<'_, '_> {
    fn body(&mut self, body: &Body, path: &mut Vec<usize>) {
        for (i, structure) in body.iter().enumerate() {
            path.push(i);
            match structure {
                Structure::Attribute(attr) => {
                    if !META.contains(&attr.key.as_str()) && !eval::is_literal(&attr.value) {
                        let ev = self.value(&attr.value);
                        let lines = span_lines(self.blk.file, self.blk.base, attr.span());
                        self.record(ev, path.clone(), lines);
                    }
                }
                Structure::Block(b) => {
                    if !META_BLOCKS.contains(&b.ident.as_str()) {
                        self.body(&b.body, path);
                    }
                }
            }
            path.pop();
        }
    }

    /// The value across all `count`/`for_each` instances: theirs if they agree.
    fn value(&self, e: &hcl_edit::expr::Expression) -> Ev {
        let mut merged: Option<Ev> = None;
        for b in self.bindings {
            let ev = eval::eval(e, &self.world.scope(self.inst, Some(b)));
            merged = Some(match merged {
                None => ev,
                Some(m) if m.value == ev.value => Ev {
                    origin: m.origin.or(ev.origin),
                    ..m
                },
                Some(_) => return Ev::unknown(),
            });
        }
        merged.unwrap_or_else(Ev::unknown)
    }

    fn record(&mut self, ev: Ev, path: Vec<usize>, lines: (u32, u32)) {
        // A value unknown in any part keeps its source expression: a list of
        // references (`[aws_db_instance.main.arn]`) still names what it refers to.
        if ev.value.has_unknown() {
            return;
        }
        let patch = match ev.value {
            // `null` unsets an attribute; an empty list (`root_block_device =
            // var.none`) creates nothing either, as if the attribute were absent.
            Value::Null => Patch::Remove(path),
            Value::List(l) if l.is_empty() => Patch::Remove(path),
            v => Patch::Set(path, v),
        };
        self.patches.push(patch);
        if let Some(origin) = ev.origin {
            self.redirects.push(Redirect { lines, origin });
        }
    }
}

/// The body at `path` (positions of nested blocks) inside `body`.
fn body_at<'b>(body: &'b mut Body, path: &[usize]) -> Option<&'b mut Body> {
    match path.split_first() {
        None => Some(body),
        Some((&i, rest)) => body_at(&mut body.get_mut(i)?.as_block_mut()?.body, rest),
    }
}

/// Apply the patches to a copy of a block: values first, then removals from the last
/// position backwards so that earlier positions stay valid.
fn apply(mut block: Block, patches: Vec<Patch>) -> Block {
    let mut removals = Vec::new();
    for patch in patches {
        match patch {
            Patch::Set(path, value) => {
                let Some((&last, parent)) = path.split_last() else {
                    continue;
                };
                if let Some(attr) = body_at(&mut block.body, parent)
                    .and_then(|b| b.get_mut(last))
                    .and_then(Structure::as_attribute_mut)
                {
                    attr.value = eval::to_expr(&value);
                }
            }
            Patch::Remove(path) => removals.push(path),
        }
    }
    removals.sort_unstable_by(|a, b| b.cmp(a));
    for path in removals {
        if let Some((&last, parent)) = path.split_last()
            && let Some(body) = body_at(&mut block.body, parent)
            && last < body.len()
        {
            body.remove(last);
        }
    }
    block
}

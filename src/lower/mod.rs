//! Lowering: syntax trees to layers.
//!
//! Owns: the meaning of sections, `env`/`provider` blocks, dotted keys, object blocks, `@delete` / `@replace`, and
//! `use`. Input is the entry file and, through a [`ModuleLoader`], every module it uses; output is a [`Program`]: one
//! [`Layer`] of unevaluated definitions per base / provider / env / env+provider, plus the declared environments and
//! providers. Invariants: a layer never holds two definitions of one key (reported as TSK0201/0202 with both places);
//! every definition keeps its file, spans and layer; key order is source order; each module is lowered once, in
//! `use` order, and a `use` cycle is reported with the whole chain. Nothing here evaluates an expression.

pub mod project;

use std::borrow::Borrow;
use std::collections::HashSet;
use std::sync::Arc;

use indexmap::IndexMap;
use smallvec::SmallVec;

use crate::diagnostic::{did_you_mean, show_key, show_path, Code, Diagnostic, Sink};
use crate::ir::schema::Binding;
use crate::ir::{Declaration, Layer, LeafData, Node, ObjectNode, Program, VaryMark};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::*;
use crate::syntax::parse;
use crate::syntax::parser::MAX_DEPTH;
use crate::syntax::parser::parts::parse_in_parts;
use crate::value::{LayerId, LayerRef, Origin};

/// Where `use` and `@file` find files. The CLI reads the disk (confined to the project); the language server will
/// read open editor buffers first.
pub trait ModuleLoader {
    /// Resolve `path` as written in a `use` in file `from`, and load it into `sources`.
    fn load_module(
        &mut self,
        sources: &mut SourceMap,
        from: FileId,
        path: &str,
        span: Span,
    ) -> Result<FileId, Diagnostic>;
    /// Read a data file for `@file(path)` written in file `from`.
    fn read_data(
        &mut self,
        sources: &SourceMap,
        from: FileId,
        path: &str,
        span: Span,
    ) -> Result<Arc<str>, Diagnostic>;
}

/// Lower the entry file and everything it uses. `keep_syntax`: keep each file's syntax tree in `Program::asts`
/// (otherwise each is dropped as soon as it is lowered). `threads`: how many threads it may use (more than one only
/// when the trees are not kept: a long file is then parsed in parts on up to that many threads while it is lowered).
pub fn lower_program(
    entry: FileId,
    sources: &mut SourceMap,
    loader: &mut dyn ModuleLoader,
    sink: &mut Sink,
    keep_syntax: bool,
    threads: usize,
) -> Program {
    let errors_before = sink.error_count();
    let mut l = Lowerer {
        sources,
        loader,
        sink,
        program: Program::default(),
        stack: Vec::new(),
        done: HashSet::new(),
        keep_syntax,
        threads,
        last_scope: None,
        last_layer: None,
    };
    l.program.entry = Some(entry);
    l.program
        .layers
        .insert(LayerId::Base, new_layer(LayerId::Base, entry));
    l.lower_prelude();
    l.lower_file(entry);
    l.check_environments();
    l.program.has_errors = l.sink.error_count() > errors_before;
    l.program
}

/// The project-wide lints, run once the schema table is validated (`crate::schema::validate`): `parity`, `vary`,
/// and overlays that remove or set nothing. `errors_before`: the sink's error count before lowering began; the
/// overlay lints run only when nothing since was an error (lowering puts a stand-in `@delete` where a directive was
/// malformed). Sets [`Program::has_errors`].
pub fn lint(program: &mut Program, errors_before: usize, sink: &mut Sink) {
    check_parity(program, sink);
    check_vary(program, sink);
    if sink.error_count() == errors_before {
        check_overlays(program, sink);
    }
    program.has_errors = sink.error_count() > errors_before;
}

/// The layer `scope`'s definitions go into, created on first use. This runs once per definition: `last` remembers
/// the layer found last (consecutive definitions are nearly always in the same block), and otherwise the layer is
/// looked up before its `LayerId` is copied.
fn layer_of<'p>(
    program: &'p mut Program,
    last: &mut Option<(LayerRef, usize)>,
    scope: &Scope,
) -> &'p mut Layer {
    if let Some((layer, at)) = *last {
        if layer.same(scope.layer) {
            return &mut program.layers[at];
        }
    }
    let at = match program.layers.get_index_of(&*scope.layer) {
        Some(at) => at,
        None => {
            let id = (*scope.layer).clone();
            program
                .layers
                .insert_full(id.clone(), new_layer(id, scope.file))
                .0
        }
    };
    *last = Some((scope.layer, at));
    &mut program.layers[at]
}

fn new_layer(id: LayerId, file: FileId) -> Layer {
    let origin = Origin {
        file,
        span: Span::default(),
        layer: LayerRef::of(&id),
    };
    Layer {
        id,
        root: ObjectNode::new(origin),
        vars: IndexMap::new(),
        bindings: Vec::new(),
        defs: Vec::new(),
    }
}

struct Lowerer<'a> {
    sources: &'a mut SourceMap,
    loader: &'a mut dyn ModuleLoader,
    sink: &'a mut Sink,
    program: Program,
    /// Files being lowered, with the `use` span that led into each (for cycle reports).
    stack: Vec<(FileId, Span)>,
    done: HashSet<FileId>,
    /// Keep the syntax trees in `Program::asts`; otherwise each is dropped once lowered.
    keep_syntax: bool,
    /// How many threads lowering may use (see [`Lowerer::parse_and_lower`]).
    threads: usize,
    /// The scope of the last definition lowered (see [`Lowerer::scope_of`]).
    last_scope: Option<Arc<[String]>>,
    /// The layer of the last definition lowered and its index in [`Program::layers`] (see [`layer_of`]).
    last_layer: Option<(LayerRef, usize)>,
}

/// The `[section]` the items being lowered sit in: its key path, and how many entries follow its header (its object
/// is made with room for them all; in a file parsed in parts, those in the header's part).
#[derive(Default)]
struct SectionState {
    prefix: Vec<Ident>,
    size: usize,
}

/// Which block the items being lowered sit in.
#[derive(Clone)]
struct Scope {
    file: FileId,
    layer: LayerRef,
    env: Option<Arc<str>>,
    provider: Option<Arc<str>>,
}

impl<'a> Lowerer<'a> {
    /// `std/types` is always available: its types are declared before the entry file.
    fn lower_prelude(&mut self) {
        let Some(file) = crate::stdlib::load(self.sources, crate::stdlib::PRELUDE) else {
            return;
        };
        self.done.insert(file);
        let mut ast = parse(&self.sources.get(file).text, file, self.sink);
        for item in &mut ast.items {
            if let Item::Schema(d) = item {
                let decl = self.take_decl(d);
                self.program.schemas.declare_owned(decl, file, self.sink);
            }
        }
        self.keep(ast);
    }

    fn lower_file(&mut self, file: FileId) {
        self.done.insert(file);
        self.stack.push((file, Span::default()));
        self.parse_and_lower(file);
        self.stack.pop();
    }

    /// Parse `file` and lower its items into the base layer. A long file, when the syntax trees are not kept and
    /// there are threads to spare, is parsed in parts on several threads while this one lowers the parts parsed so
    /// far ([`parse_in_parts`]): the items, their order and the diagnostics are the same either way (the parser's
    /// diagnostics come first, as when the whole file is parsed before it is lowered).
    fn parse_and_lower(&mut self, file: FileId) {
        let scope = Scope {
            file,
            layer: LayerRef::BASE,
            env: None,
            provider: None,
        };
        let text = self.sources.get(file).text.clone();
        if self.keep_syntax {
            let mut ast = parse(&text, file, self.sink);
            self.lower_items(&mut ast.items, &scope);
            self.keep(ast);
            return;
        }
        let earlier = std::mem::take(self.sink);
        let mut parsed = Sink::new();
        let mut section = SectionState::default();
        // A module `use`d from this file is parsed whole, on this thread: the parts' threads are still at work, and
        // `threads` bounds them all.
        let threads = std::mem::replace(&mut self.threads, 1);
        parse_in_parts(&text, file, &mut parsed, threads, &mut |items| {
            self.lower_batch(items, &scope, &mut section)
        });
        self.threads = threads;
        let lowered = std::mem::replace(self.sink, earlier);
        self.sink.extend(parsed.into_vec());
        self.sink.extend(lowered.into_vec());
    }

    fn lower_items(&mut self, items: &mut Vec<Item>, scope: &Scope) {
        if self.keep_syntax {
            let mut section = SectionState::default();
            let mut rest = &mut items[..];
            while let Some((item, after)) = rest.split_first_mut() {
                self.lower_next(item, after, scope, &mut section);
                rest = after;
            }
        } else {
            let items = std::mem::take(items);
            self.lower_batch(items, scope, &mut SectionState::default());
        }
    }

    /// Lower the next items of a file or block (all of them, or the next part of a file), dropping each once
    /// lowered: the file's whole tree and its whole program are never both in memory.
    fn lower_batch(&mut self, items: Vec<Item>, scope: &Scope, section: &mut SectionState) {
        let mut items = items.into_iter();
        while let Some(mut item) = items.next() {
            self.lower_next(&mut item, items.as_slice(), scope, section);
        }
    }

    /// Lower `item`, followed by the items `after` it in its file or block.
    fn lower_next(&mut self, item: &mut Item, after: &[Item], scope: &Scope, section: &mut SectionState) {
        if let Item::Section(_) = item {
            section.size = entries_ahead(after);
        }
        self.lower_item(item, scope, &mut section.prefix, section.size);
    }

    /// One item of a file or block; `prefix` is the key path of the `[section]` the items since the last header sit
    /// in, and `size` how many entries follow that header.
    fn lower_item(&mut self, item: &mut Item, scope: &Scope, prefix: &mut Vec<Ident>, size: usize) {
        match item {
            Item::Section(s) => {
                *prefix = s.path.segments.clone();
                if let Some(ty) = &s.schema {
                    self.bind(scope, prefix, ty, s.span);
                }
            }
            Item::Schema(d) => {
                let decl = self.take_decl(d);
                self.program
                    .schemas
                    .declare_owned(decl, scope.file, self.sink)
            }
            Item::Bind(b) => self.bind(scope, &b.path, &b.ty, b.span),
            Item::Parity(p) => self.program.schemas.parity.push((p.clone(), scope.file)),
            Item::Vary(v) => {
                for k in &v.keys {
                    self.program.vary.push(VaryMark {
                        path: k.segments.iter().map(|s| s.name.clone()).collect(),
                        file: scope.file,
                        span: k.span,
                        declared: true,
                    });
                }
            }
            Item::Entry(e) => self.lower_entry(e, scope, prefix, size),
            Item::Env(b) => {
                if let Some(outer) = &scope.env {
                    self.sink.push(
                        Diagnostic::error(
                            Code::NestedBlock,
                            "an `env` block cannot be nested in another `env` block",
                        )
                        .primary(scope.file, b.name.span, format!("inside `env {outer}`"))
                        .help("move it to the top level; use `extends` for inheritance"),
                    );
                    return;
                }
                self.declare_env(b, scope.file);
                let env: Arc<str> = b.name.name.as_str().into();
                let provider = match &b.provider {
                    Some(p) => {
                        self.declare_provider(&p.name, scope.file, p.span);
                        Some(Arc::from(p.name.as_str()))
                    }
                    None => scope.provider.clone(),
                };
                let layer = match &provider {
                    Some(p) => LayerId::EnvProvider(env.clone(), p.clone()),
                    None => LayerId::Env(env.clone()),
                };
                let inner = Scope {
                    file: scope.file,
                    layer: layer.into(),
                    env: Some(env),
                    provider,
                };
                self.lower_items(&mut b.items, &inner);
            }
            Item::Provider(b) => {
                if let Some(outer) = &scope.provider {
                    self.sink.push(
                        Diagnostic::error(
                            Code::NestedBlock,
                            "a `provider` block cannot be nested in another `provider` block",
                        )
                        .primary(
                            scope.file,
                            b.name.span,
                            format!("inside `provider {outer}`"),
                        )
                        .help("move it to the top level"),
                    );
                    return;
                }
                self.declare_provider(&b.name.name, scope.file, b.name.span);
                let provider: Arc<str> = b.name.name.as_str().into();
                let layer = match &scope.env {
                    Some(e) => LayerId::EnvProvider(e.clone(), provider.clone()),
                    None => LayerId::Provider(provider.clone()),
                };
                let inner = Scope {
                    file: scope.file,
                    layer: layer.into(),
                    env: scope.env.clone(),
                    provider: Some(provider),
                };
                self.lower_items(&mut b.items, &inner);
            }
            Item::Use(u) => self.lower_use(u, scope.file),
        }
    }

    fn bind(&mut self, scope: &Scope, path: &[Ident], ty: &TypeExpr, span: Span) {
        let layer = layer_of(&mut self.program, &mut self.last_layer, scope);
        layer.bindings.push(Binding {
            path: path.iter().map(|s| s.name.clone()).collect(),
            ty: ty.clone(),
            file: scope.file,
            span,
            layer: scope.layer,
        });
    }

    fn lower_use(&mut self, u: &Use, file: FileId) {
        let target = match self
            .loader
            .load_module(self.sources, file, &u.path, u.path_span)
        {
            Ok(t) => t,
            Err(d) => {
                self.sink.push(d);
                return;
            }
        };
        if let Some(pos) = self.stack.iter().position(|(f, _)| *f == target) {
            let mut chain: Vec<String> = self.stack[pos..]
                .iter()
                .map(|(f, _)| self.sources.get(*f).name.clone())
                .collect();
            chain.push(self.sources.get(target).name.clone());
            let mut d = Diagnostic::error(
                Code::ImportCycle,
                format!("import cycle: {}", chain.join(" → ")),
            )
            .primary(file, u.path_span, "this `use` closes the cycle");
            for (f, span) in &self.stack[pos + 1..] {
                d = d.secondary(
                    self.stack_file_of(*f),
                    *span,
                    format!("uses `{}`", self.sources.get(*f).name),
                );
            }
            self.sink
                .push(d.help("move what both modules need into a third module that neither uses"));
            return;
        }
        if self.done.contains(&target) {
            return; // already lowered (diamond): its definitions are in place once.
        }
        self.done.insert(target);
        self.stack.push((target, u.path_span));
        self.parse_and_lower(target);
        self.stack.pop();
    }

    /// The file holding the `use` that led into `f` (the previous stack entry).
    fn stack_file_of(&self, f: FileId) -> FileId {
        let i = self.stack.iter().position(|(x, _)| *x == f).unwrap_or(0);
        if i == 0 {
            f
        } else {
            self.stack[i - 1].0
        }
    }

    fn declare_env(&mut self, b: &EnvBlock, file: FileId) {
        let extends = b.extends.as_ref().map(|p| (p.name.clone(), file, p.span));
        match self.program.environments.get_mut(&b.name.name) {
            None => {
                self.program.environments.insert(
                    b.name.name.clone(),
                    Declaration {
                        file,
                        span: b.name.span,
                        extends,
                    },
                );
            }
            Some(existing) => match (&existing.extends, extends) {
                (None, Some(e)) => existing.extends = Some(e),
                (Some((old, of, os)), Some((new, nf, ns))) if *old != new => {
                    let d = Diagnostic::error(
                        Code::ExtendsConflict,
                        format!(
                            "environment `{}` extends both `{old}` and `{new}`",
                            b.name.name
                        ),
                    )
                    .primary(nf, ns, format!("extends `{new}` here"))
                    .secondary(*of, *os, format!("extends `{old}` here"))
                    .help("an environment has one parent; name it in one `env` block");
                    self.sink.push(d);
                }
                _ => {}
            },
        }
    }

    fn declare_provider(&mut self, name: &str, file: FileId, span: Span) {
        self.program
            .providers
            .entry(name.to_string())
            .or_insert(Declaration {
                file,
                span,
                extends: None,
            });
    }

    fn check_environments(&mut self) {
        let names: Vec<String> = self.program.environments.keys().cloned().collect();
        for name in &names {
            let Some((parent, file, span)) = self
                .program
                .environments
                .get(name)
                .and_then(|d| d.extends.clone())
            else {
                continue;
            };
            if !self.program.environments.contains_key(&parent) {
                let mut d = Diagnostic::error(
                    Code::UnknownEnvironment,
                    format!("environment `{name}` extends unknown environment `{parent}`"),
                )
                .primary(file, span, "not declared");
                if let Some(s) = did_you_mean(&parent, names.iter().map(String::as_str)) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.sink.push(d);
                continue;
            }
            // Walk up from `name`; coming back to it is a cycle. Report it once, at its first member.
            let mut seen = vec![name.clone()];
            let mut cur = parent;
            while let Some(next) = self
                .program
                .environments
                .get(&cur)
                .and_then(|d| d.extends.clone())
            {
                seen.push(cur.clone());
                if next.0 == *name {
                    if seen.iter().min() == Some(name) {
                        seen.push(name.clone());
                        self.sink.push(
                            Diagnostic::error(
                                Code::ExtendsCycle,
                                format!(
                                    "environments extend each other in a cycle: {}",
                                    seen.join(" → ")
                                ),
                            )
                            .primary(file, span, "this `extends` is part of the cycle")
                            .help("remove one `extends`"),
                        );
                    }
                    break;
                }
                if seen.contains(&next.0) {
                    break;
                }
                cur = next.0;
            }
        }
    }

    /// `size`: how many entries the `[section]` at `prefix` has (room for them when its object is made).
    fn lower_entry(&mut self, e: &mut Entry, scope: &Scope, prefix: &[Ident], size: usize) {
        match &e.target {
            EntryTarget::Variable(v) => self.define_var(v, &mut e.value, scope, prefix),
            EntryTarget::Key(k) => {
                // Borrowed, not copied: a definition's path is looked at, and only its last key is kept.
                let path: Path<&Ident> = prefix.iter().chain(&k.segments).collect();
                if !self.depth_ok(path.len(), scope.file, k.span) {
                    return;
                }
                let names: Path<&str> = path.iter().map(|s| s.name.as_str()).collect();
                let node = self.lower_value(&mut e.value, scope, &names, k.span);
                let layer = layer_of(&mut self.program, &mut self.last_layer, scope);
                let room = Room {
                    depth: prefix.len().wrapping_sub(1),
                    size,
                };
                insert(&mut layer.root, &path, node, scope.file, self.sink, room);
            }
        }
    }

    /// A definition's expression for the program: moved out of the syntax tree when the tree is dropped once lowered
    /// (nothing reads it again), copied when the tree is kept.
    fn take_expr(&self, value: &mut Expr) -> Expr {
        if self.keep_syntax {
            return value.clone();
        }
        let stand_in = Expr {
            kind: ExprKind::Null,
            span: value.span,
        };
        std::mem::replace(value, stand_in)
    }

    /// A `schema`/`type` declaration for the table: moved or copied as [`Lowerer::take_expr`] says.
    fn take_decl(&self, decl: &mut SchemaDecl) -> SchemaDecl {
        if self.keep_syntax {
            return decl.clone();
        }
        let stand_in = SchemaDecl {
            name: Ident {
                name: String::new(),
                span: decl.name.span,
            },
            doc: None,
            ty: TypeExpr {
                kind: TypeKind::Error,
                span: decl.ty.span,
            },
            alias: decl.alias,
            span: decl.span,
        };
        std::mem::replace(decl, stand_in)
    }

    fn keep(&mut self, ast: Ast) {
        if self.keep_syntax {
            self.program.asts.push(ast);
        }
    }

    /// The shared [`LeafData::scope`] for `path`: the previous definition's when it sits in the same object (the
    /// usual case), else a new one.
    fn scope_of(&mut self, path: &[&str]) -> Arc<[String]> {
        match &self.last_scope {
            Some(s) if s.len() == path.len() && s.iter().zip(path).all(|(a, b)| a == b) => {
                s.clone()
            }
            _ => {
                let s: Arc<[String]> = path.iter().map(|p| p.to_string()).collect();
                self.last_scope = Some(s.clone());
                s
            }
        }
    }

    /// A new definition, numbered and recorded in [`Program::defs`].
    fn new_leaf(&mut self, make: impl FnOnce(usize) -> LeafData) -> Arc<LeafData> {
        let defs = Arc::make_mut(&mut self.program.defs);
        let leaf = Arc::new(make(defs.len()));
        defs.push(leaf.clone());
        leaf
    }

    /// Keys may nest at most [`MAX_DEPTH`] levels, however they are written (blocks, sections, dotted keys or all
    /// three): the pretty-printed output of deeper trees grows with the square of the depth.
    fn depth_ok(&mut self, depth: usize, file: FileId, span: Span) -> bool {
        if depth <= MAX_DEPTH as usize {
            return true;
        }
        self.sink.push(
            Diagnostic::error(
                Code::NestingTooDeep,
                format!("keys nest more than {MAX_DEPTH} levels deep"),
            )
            .primary(file, span, format!("this key is {depth} levels deep"))
            .help("flatten the structure: no configuration needs this depth"),
        );
        false
    }

    fn define_var(&mut self, v: &Ident, value: &mut Expr, scope: &Scope, prefix: &[Ident]) {
        let span = value.span;
        let expr = self.take_expr(value);
        let leaf = self.new_leaf(|id| LeafData {
            expr,
            origin: Origin {
                file: scope.file,
                span,
                layer: scope.layer,
            },
            key_span: v.span,
            scope: prefix.iter().map(|s| s.name.clone()).collect(),
            id,
        });
        let layer = layer_of(&mut self.program, &mut self.last_layer, scope);
        if let Some(first) = layer.vars.get(&v.name) {
            let (ff, fs) = (first.origin.file, first.key_span);
            let layer_name = scope.layer.to_string();
            self.sink.push(
                Diagnostic::error(Code::DuplicateVariable, format!("variable `${}` is defined twice in the {layer_name} layer", v.name))
                    .primary(scope.file, v.span, "defined again here")
                    .secondary(ff, fs, "first defined here")
                    .help("remove one definition; to change it for one target, define it in an `env` or `provider` block"),
            );
            return;
        }
        layer.vars.insert(v.name.clone(), leaf);
    }

    /// The value of the key at `path` as a layer node: object literals become object nodes (so they deep-merge),
    /// `@delete` / `@replace` become merge instructions, everything else a leaf whose references resolve from the
    /// key's parent outwards.
    fn lower_value(
        &mut self,
        value: &mut Expr,
        scope: &Scope,
        path: &[&str],
        key_span: Span,
    ) -> Node {
        let origin = Origin {
            file: scope.file,
            span: value.span,
            layer: scope.layer,
        };
        // A deletion is placed at its whole entry, `key: @delete`: warnings and "deleted here" labels name the key.
        let entry = if key_span.start < key_span.end && key_span.end <= value.span.start {
            Span {
                start: key_span.start,
                end: value.span.end,
            }
        } else {
            value.span
        };
        if let Some(delete) = lower_delete(
            value,
            Origin {
                span: entry,
                ..origin
            },
            self.sink,
        ) {
            return delete;
        }
        if let Some(replace) = lower_replace(value, origin, self.sink) {
            return match replace {
                Ok(arg) => match self.lower_value(arg, scope, path, key_span) {
                    Node::Object(mut o) => {
                        o.replace = true;
                        Node::Object(o)
                    }
                    other => other,
                },
                Err(stand_in) => stand_in,
            };
        }
        let span = value.span;
        match &mut value.kind {
            ExprKind::Object { entries, .. } => {
                let mut obj = ObjectNode::new(Origin {
                    span: key_span,
                    ..origin
                });
                // Usually one key per entry: room for them at once rather than rehashing as the object grows.
                obj.fields.reserve(entries.len());
                for e in entries {
                    match &e.target {
                        EntryTarget::Variable(v) => {
                            let at: Vec<Ident> = path
                                .iter()
                                .map(|n| Ident {
                                    name: n.to_string(),
                                    span: v.span,
                                })
                                .collect();
                            self.define_var(v, &mut e.value, scope, &at)
                        }
                        EntryTarget::Key(k) => {
                            let mut child: Path<&str> = SmallVec::from_slice(path);
                            child.extend(k.segments.iter().map(|s| s.name.as_str()));
                            if !self.depth_ok(child.len(), scope.file, k.span) {
                                continue;
                            }
                            let node = self.lower_value(&mut e.value, scope, &child, k.span);
                            insert(&mut obj, &k.segments, node, scope.file, self.sink, Room::NONE);
                        }
                    }
                }
                Node::Object(Box::new(obj))
            }
            ExprKind::Directive(d) if d.name.name == "vary" => {
                let at = d.name.span;
                match d.args.as_mut_slice() {
                    [arg] => {
                        self.program.vary.push(VaryMark {
                            path: path.iter().map(|s| s.to_string()).collect(),
                            file: scope.file,
                            span: at,
                            declared: false,
                        });
                        self.lower_value(arg, scope, path, key_span)
                    }
                    _ => {
                        self.sink.push(
                            Diagnostic::error(
                                Code::DirectiveArguments,
                                "`@vary` takes exactly one argument: the value",
                            )
                            .primary(scope.file, span, "write `key: @vary(value)`")
                            .help("or declare it at the top level: `vary key.path`"),
                        );
                        Node::Delete(origin)
                    }
                }
            }
            _ => {
                // A value typed on the command line is not in version control: TSK0610's advice does not apply.
                if scope.layer != LayerRef::OVERRIDE {
                    self.lint_plaintext_secret(value, path, scope.file);
                }
                let scope = self.scope_of(&path[..path.len().saturating_sub(1)]);
                let expr = self.take_expr(value);
                Node::Leaf(self.new_leaf(|id| LeafData {
                    expr,
                    origin,
                    key_span,
                    scope,
                    id,
                }))
            }
        }
    }

    /// TSK0610: a literal string that looks like a credential (reported once, where it is written).
    fn lint_plaintext_secret(&mut self, value: &Expr, path: &[&str], file: FileId) {
        let (Some(key), ExprKind::Str { parts, .. }) = (path.last(), &value.kind) else {
            return;
        };
        let [StrPart::Lit(text)] = parts.as_slice() else {
            return;
        };
        if let Some(why) = crate::secrets::looks_like_secret(key, text) {
            self.sink.push(
                Diagnostic::warning(Code::PlaintextSecret, format!("`{}` looks like a plaintext secret", show_path(path.iter().copied())))
                    .primary(file, value.span, why)
                    .help("store it: `tuskc secrets set NAME --env ENV`, write `@secret(\"NAME\")`, and rotate the credential: it is in version control")
                    .unquoted(),
            );
        }
    }
}

/// How many entries an object [`insert`] makes on its way may need: the object at `depth` along the path (a
/// `[section]`'s) gets room for `size` keys.
#[derive(Clone, Copy)]
struct Room {
    depth: usize,
    size: usize,
}

impl Room {
    const NONE: Room = Room {
        depth: usize::MAX,
        size: 0,
    };
}

/// How many entries come before the next item of another kind (the entries of a `[section]`, after its header).
fn entries_ahead(items: &[Item]) -> usize {
    items
        .iter()
        .take_while(|i| matches!(i, Item::Entry(_)))
        .count()
}

/// Insert `node` at `path` under `root`, merging objects; one layer may not define a key twice.
fn insert<I: std::borrow::Borrow<Ident>>(
    root: &mut ObjectNode,
    path: &[I],
    node: Node,
    file: FileId,
    sink: &mut Sink,
    room: Room,
) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let last = last.borrow();
    let mut cur = root;
    for (i, seg) in parents.iter().enumerate() {
        let seg = seg.borrow();
        // Look up before inserting: most parents exist already, and a new key costs an allocation.
        let at = match cur.fields.get_index_of(seg.name.as_str()) {
            Some(at) => at,
            None => {
                let mut fresh = ObjectNode::new(Origin {
                    file,
                    span: seg.span,
                    layer: cur.origin.layer,
                });
                if i == room.depth {
                    fresh.fields.reserve(room.size);
                }
                let fresh = Node::Object(Box::new(fresh));
                cur.fields
                    .insert_full(Arc::from(seg.name.as_str()), fresh)
                    .0
            }
        };
        match &mut cur.fields[at] {
            Node::Object(o) => cur = o,
            Node::Leaf(l) => {
                let shown: Vec<&str> = path[..=i]
                    .iter()
                    .map(|s| s.borrow().name.as_str())
                    .collect();
                sink.push(
                    Diagnostic::error(
                        Code::KeyConflict,
                        format!(
                            "`{}` is set to a value, so it cannot also have nested keys",
                            show_path(shown)
                        ),
                    )
                    .primary(file, seg.span, "nested keys added here")
                    .secondary(l.origin.file, l.key_span, "set to a value here")
                    .help("make it a block in both places, or remove one"),
                );
                return;
            }
            Node::Delete(o) => {
                let (of, os) = (o.file, o.span);
                sink.push(
                    Diagnostic::error(
                        Code::KeyConflict,
                        format!(
                            "`{}` is deleted in this layer, so it cannot also have nested keys",
                            seg.name
                        ),
                    )
                    .primary(file, seg.span, "nested keys added here")
                    .secondary(of, os, "deleted here"),
                );
                return;
            }
        }
    }
    match cur.fields.get_mut(last.name.as_str()) {
        None => {
            cur.fields.insert(Arc::from(last.name.as_str()), node);
        }
        Some(Node::Object(existing))
            if matches!(&node, Node::Object(n) if !n.replace) && !existing.replace =>
        {
            let Node::Object(new) = node else { return };
            for (k, v) in new.fields {
                let seg = Ident {
                    name: k.to_string(),
                    span: node_key_span(&v),
                };
                insert(existing, std::slice::from_ref(&seg), v, file, sink, Room::NONE);
            }
        }
        Some(existing) => {
            let (ef, es) = node_key_place(existing);
            let (code, msg) = match (&existing, &node) {
                (Node::Object(_), Node::Leaf(_)) | (Node::Leaf(_), Node::Object(_)) => (
                    Code::KeyConflict,
                    format!(
                        "`{}` is both a block and a value in this layer",
                        show_key(&last.name)
                    ),
                ),
                _ => (
                    Code::DuplicateKey,
                    format!("duplicate key `{}`", show_key(&last.name)),
                ),
            };
            let layer = cur.origin.layer;
            sink.push(
                Diagnostic::error(code, msg)
                    .primary(file, last.span, "defined again here")
                    .secondary(ef, es, "first defined here")
                    .note(format!("both definitions are in the {layer} layer"))
                    .help("remove one; to change a value for one target, set it in an `env` or `provider` block"),
            );
        }
    }
}

fn node_key_span(n: &Node) -> Span {
    node_key_place(n).1
}

fn node_key_place(n: &Node) -> (FileId, Span) {
    match n {
        Node::Object(o) => (o.origin.file, o.origin.span),
        Node::Leaf(l) => (l.origin.file, l.key_span),
        Node::Delete(o) => (o.file, o.span),
    }
}

/// `key: @delete` (in an overlay or a `--set`): the merge instruction that removes the inherited key.
fn lower_delete(value: &Expr, origin: Origin, sink: &mut Sink) -> Option<Node> {
    let ExprKind::Directive(d) = &value.kind else {
        return None;
    };
    let Directive {
        name, args, parens, ..
    } = &**d;
    if name.name != "delete" {
        return None;
    }
    if *parens || !args.is_empty() {
        sink.push(
            Diagnostic::error(Code::DirectiveArguments, "`@delete` takes no arguments").primary(
                origin.file,
                value.span,
                "write `key: @delete`",
            ),
        );
    }
    Some(Node::Delete(origin))
}

/// `key: @replace(value)` (in an overlay or a `--set`): the value that replaces the inherited one whole. Not exactly
/// one argument is TSK0305, and the key gets a stand-in `@delete` (the program has an error, so nothing is built).
/// `None` when `value` is not `@replace`.
fn lower_replace<'e>(
    value: &'e mut Expr,
    origin: Origin,
    sink: &mut Sink,
) -> Option<Result<&'e mut Expr, Node>> {
    let span = value.span;
    let ExprKind::Directive(d) = &mut value.kind else {
        return None;
    };
    let Directive { name, args, .. } = &mut **d;
    if name.name != "replace" {
        return None;
    }
    Some(match args.as_mut_slice() {
        [arg] => Ok(arg),
        _ => {
            sink.push(
                Diagnostic::error(
                    Code::DirectiveArguments,
                    "`@replace` takes exactly one argument",
                )
                .primary(origin.file, span, "write `key: @replace({ ... })`"),
            );
            Err(Node::Delete(origin))
        }
    })
}

/// The `--set path=value` layer. Each `--set` is lowered as the entry `path: value` would be in an overlay file
/// (one code path): an object literal deep-merges into the object below it, `@replace({...})` replaces it, `@delete`
/// removes the key. The layer numbers its own definitions (see [`LeafData::id`]).
pub fn override_layer(
    sets: Vec<(Vec<Ident>, Expr, FileId)>,
    sources: &mut SourceMap,
    sink: &mut Sink,
) -> Layer {
    let first = sets.first().map_or(FileId(0), |s| s.2);
    let mut l = Lowerer {
        sources,
        loader: &mut NoModules,
        sink,
        program: Program::default(),
        stack: Vec::new(),
        done: HashSet::new(),
        keep_syntax: false,
        threads: 1,
        last_scope: None,
        last_layer: None,
    };
    for (segments, value, file) in sets {
        let scope = Scope {
            file,
            layer: LayerRef::OVERRIDE,
            env: None,
            provider: None,
        };
        let mut entry = Entry {
            target: EntryTarget::Key(KeyPath {
                segments,
                span: Span::default(),
            }),
            separator: Separator::Colon,
            span: value.span,
            value,
        };
        l.lower_entry(&mut entry, &scope, &[], 0);
    }
    let defs = std::mem::take(&mut l.program.defs);
    let mut layer = l
        .program
        .layers
        .shift_remove(&LayerId::Override)
        .unwrap_or_else(|| new_layer(LayerId::Override, first));
    layer.defs = defs.iter().cloned().collect();
    layer
}

/// The `--set` layer's loader, never called: a `--set` value is one expression, and lowering an entry loads nothing
/// (`use` is an item; `@file` is read when evaluating).
struct NoModules;

impl ModuleLoader for NoModules {
    fn load_module(
        &mut self,
        _: &mut SourceMap,
        _: FileId,
        path: &str,
        _: Span,
    ) -> Result<FileId, Diagnostic> {
        Err(Diagnostic::error(
            Code::Usage,
            format!("`use \"{path}\"` cannot be written in a --set value"),
        ))
    }

    fn read_data(
        &mut self,
        _: &SourceMap,
        _: FileId,
        path: &str,
        _: Span,
    ) -> Result<Arc<str>, Diagnostic> {
        Err(Diagnostic::error(
            Code::Usage,
            format!("`@file(\"{path}\")` is read when the value is evaluated"),
        ))
    }
}

/// `parity provider` / `parity env`: every block of that kind defines the same key paths. Reported per missing key,
/// at the block that lacks it, with a block that has it.
fn check_parity(program: &Program, sink: &mut Sink) {
    let mut done: Vec<&str> = Vec::new();
    for (parity, pfile) in &program.schemas.parity {
        let kind = parity.kind.name.as_str();
        if done.contains(&kind) || !matches!(kind, "provider" | "env") {
            continue;
        }
        done.push(kind);
        let decls = if kind == "provider" {
            &program.providers
        } else {
            &program.environments
        };
        let only: Vec<String> = parity.keys.iter().map(KeyPath::dotted).collect();
        let compared = |k: &str| {
            only.is_empty()
                || only
                    .iter()
                    .any(|o| k == o || k.starts_with(&format!("{o}.")))
        };
        let blocks: Vec<(&String, Vec<KeyPlace>)> = decls
            .keys()
            .map(|name| {
                let id = if kind == "provider" {
                    LayerId::Provider(name.as_str().into())
                } else {
                    LayerId::Env(name.as_str().into())
                };
                let mut keys = Vec::new();
                if let Some(layer) = program.layer(&id) {
                    leaf_paths(&layer.root, &mut String::new(), &mut keys);
                }
                keys.retain(|(k, ..)| compared(k));
                (name, keys)
            })
            .collect();
        // Every compared key, with the first block that defines it (each missing key is reported against it).
        let mut first: IndexMap<&str, (&String, FileId, Span)> = IndexMap::new();
        for (name, keys) in &blocks {
            for (key, file, span) in keys {
                first.entry(key.as_str()).or_insert((*name, *file, *span));
            }
        }
        for (name, keys) in &blocks {
            let decl = &decls[name.as_str()];
            for (key, (other, file, span)) in &first {
                if keys.iter().any(|(k, ..)| k == key) {
                    continue;
                }
                let key = show_key(key);
                sink.push(
                    Diagnostic::error(
                        Code::ParityMissing,
                        format!("{kind} `{name}` does not define `{key}`, which {kind} `{other}` defines"),
                    )
                    .primary(decl.file, decl.span, format!("`{key}` missing from this {kind}"))
                    .secondary(*file, *span, format!("defined for {kind} `{other}` here"))
                    .secondary(*pfile, parity.span, format!("`parity {kind}` requires the same keys in every {kind} block"))
                    .help(format!("define `{key}` in the `{kind} {name}` block (or remove it from the others)")),
                );
            }
        }
    }
}

/// TSK0517: a `vary` declaration naming a key that no layer defines (a typo would silently mark nothing).
fn check_vary(program: &Program, sink: &mut Sink) {
    for mark in program.vary.iter().filter(|m| m.declared) {
        let defined = program
            .layers
            .values()
            .any(|l| defines(&l.root, &mark.path, true));
        if defined {
            continue;
        }
        let dotted = mark.path.join(".");
        let mut known = Vec::new();
        for layer in program.layers.values() {
            leaf_paths(&layer.root, &mut String::new(), &mut known);
        }
        let mut d = Diagnostic::warning(
            Code::VaryUnknownKey,
            format!(
                "`vary {}` names a key no layer defines",
                show_path(mark.path.iter().map(String::as_str))
            ),
        )
        .primary(
            mark.file,
            mark.span,
            "no base, env or provider block defines this key",
        )
        .help("name a key the configuration defines; a key and everything under it can be marked");
        if let Some(s) =
            crate::diagnostic::did_you_mean(&dotted, known.iter().map(|(k, ..)| k.as_str()))
        {
            d = d.help(format!("did you mean `{s}`?"));
        }
        sink.push(d);
    }
}

/// Whether `obj` defines `path`, or (`inside_values`) a value it lies inside, which an expression may build. An
/// `@delete` reaches only keys (the merge deletes nothing inside a value); a `vary` mark may name a key inside one.
fn defines<S: Borrow<str>>(obj: &ObjectNode, path: &[S], inside_values: bool) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    match obj.fields.get(first.borrow()) {
        Some(Node::Object(o)) => defines(o, rest, inside_values),
        Some(Node::Leaf(_)) => inside_values || rest.is_empty(),
        Some(Node::Delete(_)) => rest.is_empty(),
        None => false,
    }
}

/// Warnings about overlays that do not do what they say, found once per program by comparing each layer with the
/// layers that may lie below it in some target ([`lies_below`]): TSK0230, an `@delete` of a key no lower layer
/// defines (or in the base layer); TSK0231, keys set inside a key that a lower layer defines as one value (an
/// expression such as `$base`, or a scalar), which replace that value whole instead of merging into it.
fn check_overlays(program: &Program, sink: &mut Sink) {
    for layer in program.layers.values() {
        let lowers: Vec<&Layer> = program
            .layers
            .values()
            .filter(|l| lies_below(program, &l.id, &layer.id))
            .collect();
        overlay_walk(&layer.root, &mut Vec::new(), layer, &lowers, sink);
    }
}

/// Whether layer `lower` comes before layer `upper` in some target's layer order (`merge::layer_order`).
fn lies_below(program: &Program, lower: &LayerId, upper: &LayerId) -> bool {
    let ancestor = |env: &str, of: &str| {
        let chain = program.env_chain(of);
        chain[..chain.len().saturating_sub(1)]
            .iter()
            .any(|a| a == env)
    };
    match (upper, lower) {
        (LayerId::Base, _) | (_, LayerId::Override | LayerId::SchemaDefault) => false,
        (_, LayerId::Base) => true,
        (LayerId::Env(_), LayerId::Provider(_)) => true,
        (LayerId::Env(e), LayerId::Env(a) | LayerId::EnvProvider(a, _)) => ancestor(a, e),
        (LayerId::EnvProvider(_, p), LayerId::Provider(q)) => p == q,
        (LayerId::EnvProvider(e, _), LayerId::Env(a)) => a == e || ancestor(a, e),
        (LayerId::EnvProvider(e, p), LayerId::EnvProvider(a, q)) => p == q && ancestor(a, e),
        _ => false,
    }
}

fn overlay_walk<'a>(
    obj: &'a ObjectNode,
    path: &mut Vec<&'a str>,
    layer: &Layer,
    lowers: &[&Layer],
    sink: &mut Sink,
) {
    for (key, node) in &obj.fields {
        // Borrowed: the walk visits every key of every layer, and copying each one was most of its cost.
        path.push(key);
        match node {
            Node::Delete(at) => {
                if let Some(d) = removes_nothing(path, at, layer, lowers, None) {
                    sink.push(d);
                }
            }
            Node::Object(o) if !o.replace => {
                let value = lowers.iter().find_map(|l| match node_at(&l.root, path) {
                    Some(Node::Leaf(leaf)) => Some(leaf),
                    _ => None,
                });
                if let Some(leaf) = value {
                    let dotted = path.join(".");
                    let below = format!("`{dotted}` is one value here, not a `{{ ... }}` block");
                    let fix = format!("write `{dotted}` as a `{{ ... }}` block in the lower layer so the keys merge");
                    if o.only_deletes() {
                        // The merge leaves the value alone: there are no keys inside it to delete.
                        sink.push(
                            Diagnostic::warning(
                                Code::DeleteRemovesNothing,
                                format!("`@delete` inside `{dotted}` removes nothing: it is one value in {}", leaf.origin.layer),
                            )
                            .primary(o.origin.file, o.origin.span, format!("`{dotted}` has no keys to delete here"))
                            .secondary(leaf.origin.file, leaf.key_span, below)
                            .help(format!("set `{dotted}` whole in this layer, or {fix}")),
                        );
                        path.pop();
                        continue;
                    }
                    sink.push(
                        Diagnostic::warning(
                            Code::OverlayReplacesValue,
                            format!(
                                "keys set inside `{dotted}` replace its value from {} whole",
                                leaf.origin.layer
                            ),
                        )
                        .primary(
                            o.origin.file,
                            o.origin.span,
                            format!("these keys replace `{dotted}`; its other keys are lost"),
                        )
                        .secondary(leaf.origin.file, leaf.key_span, below)
                        .help(format!("repeat `{dotted}`'s other keys here, or {fix}")),
                    );
                }
                overlay_walk(o, path, layer, lowers, sink);
            }
            _ => {}
        }
        path.pop();
    }
}

/// TSK0230 for an `@delete` at `path` in `layer` that no layer of `lowers` gives anything to remove: the one rule for
/// an overlay's `key: @delete` and for `--set key=@delete`. An `argument` (the `--set` as typed) is named instead of
/// a place in a file: the command line has no line to point at.
fn removes_nothing<S: Borrow<str>>(
    path: &[S],
    at: &Origin,
    layer: &Layer,
    lowers: &[&Layer],
    argument: Option<&str>,
) -> Option<Diagnostic> {
    if lowers.iter().any(|l| defines(&l.root, path, false)) {
        return None;
    }
    let (key, parent) = path.split_last()?;
    let dotted = path.join(".");
    let d = match argument {
        Some(arg) => Diagnostic::warning(
            Code::DeleteRemovesNothing,
            format!("`{arg}` removes nothing: no layer defines `{dotted}`"),
        ),
        None if layer.id == LayerId::Base => Diagnostic::warning(
            Code::DeleteRemovesNothing,
            format!("`@delete` of `{dotted}` in the base layer removes nothing"),
        )
        .primary(at.file, at.span, "the base layer has no layer below it"),
        None => Diagnostic::warning(
            Code::DeleteRemovesNothing,
            format!(
                "`@delete` of `{dotted}` removes nothing: no layer below {} defines it",
                layer.id
            ),
        )
        .primary(
            at.file,
            at.span,
            format!("`{dotted}` is not defined below this layer"),
        ),
    };
    // Keys the lower layers define at the same level.
    let siblings: Vec<&str> = lowers
        .iter()
        .filter_map(|l| object_node_at(&l.root, parent))
        .flat_map(|o| o.fields.keys().map(|k| &**k))
        .collect();
    let suggestion = did_you_mean(key.borrow(), siblings).map(|s| {
        let mut at: Vec<&str> = parent.iter().map(|p| p.borrow()).collect();
        at.push(s);
        at.join(".")
    });
    Some(match (suggestion, argument) {
        (Some(s), Some(_)) => d.help(format!("did you mean `--set {s}=@delete`?")),
        (Some(s), None) => d.help(format!("did you mean `{s}`? If not, remove this line")),
        (None, Some(_)) => {
            d.help("`--set KEY=@delete` removes a key the configuration defines; fix the key path")
        }
        (None, None) => d.help(
            "`@delete` removes a key a lower layer defines; fix the key, or remove this line",
        ),
    })
}

/// TSK0230 for the `--set` layer's `@delete`s, against every layer of `program` (all lie below `--set` in some
/// target), so it is the same for every target. Pushed outside any target's diagnostics, the copies each target
/// reports merge into one ([`Sink::into_sorted`]).
pub fn check_set_deletes(program: &Program, set: &Layer, sources: &SourceMap, sink: &mut Sink) {
    fn walk(
        obj: &ObjectNode,
        path: &mut Vec<String>,
        cx: (&Layer, &[&Layer], &SourceMap),
        sink: &mut Sink,
    ) {
        for (key, node) in &obj.fields {
            path.push(key.to_string());
            match node {
                Node::Delete(at) => {
                    let file = cx.2.get(at.file);
                    let argument = format!("{}={}", file.name, file.text);
                    if let Some(d) = removes_nothing(path, at, cx.0, cx.1, Some(&argument)) {
                        sink.push(d);
                    }
                }
                Node::Object(o) => walk(o, path, cx, sink),
                Node::Leaf(_) => {}
            }
            path.pop();
        }
    }
    let lowers: Vec<&Layer> = program.layers.values().collect();
    walk(&set.root, &mut Vec::new(), (set, &lowers, sources), sink);
}

fn node_at<'a, S: Borrow<str>>(obj: &'a ObjectNode, path: &[S]) -> Option<&'a Node> {
    let (last, parent) = path.split_last()?;
    object_node_at(obj, parent)?.fields.get(last.borrow())
}

fn object_node_at<'a, S: Borrow<str>>(obj: &'a ObjectNode, path: &[S]) -> Option<&'a ObjectNode> {
    let mut cur = obj;
    for seg in path {
        match cur.fields.get(seg.borrow())? {
            Node::Object(o) => cur = o,
            _ => return None,
        }
    }
    Some(cur)
}

/// A key path being lowered: on the stack up to 8 keys deep (nearly every path), so a definition allocates no path.
type Path<T> = SmallVec<[T; 8]>;

/// A dotted key path and where its key is written.
type KeyPlace = (String, FileId, Span);

/// The dotted paths of every value a layer's object tree defines (not the objects themselves), with key spans.
fn leaf_paths(obj: &ObjectNode, prefix: &mut String, out: &mut Vec<KeyPlace>) {
    for (k, node) in &obj.fields {
        let len = prefix.len();
        if !prefix.is_empty() {
            prefix.push('.');
        }
        prefix.push_str(k);
        match node {
            Node::Object(o) => leaf_paths(o, prefix, out),
            Node::Leaf(l) => out.push((prefix.clone(), l.origin.file, l.key_span)),
            Node::Delete(o) => out.push((prefix.clone(), o.file, o.span)),
        }
        prefix.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    /// Lowering moves definitions out of a syntax tree it drops and copies them out of one it keeps: the program is
    /// the same either way, and a kept tree (the language server's) is whole.
    #[test]
    fn a_kept_tree_is_whole_and_the_program_is_the_same_without_it() {
        let text = "schema S {\n  ## the port\n  port: int(1..10) = 2\n  tags?: [string]\n}\n\
                    $v: \"a ${1 + 2}\"\n[app: S]\nport: 3\nname: @vary(\"x\")\n\
                    obj { a: [1, 2], b { c: $v } }\n\
                    env production {\n  obj: @replace({ a: @delete, d: true })\n}\n";
        let lowered = |keep: bool| {
            let mut sources = SourceMap::new();
            let file = sources.add(
                FileKind::Stdlib("t.tsk".into()),
                "t.tsk".into(),
                text.into(),
            );
            let mut sink = Sink::new();
            let program = lower_program(file, &mut sources, &mut NoModules, &mut sink, keep, 1);
            (program, file, sink)
        };
        let (kept, file, sink) = lowered(true);
        let (dropped, _, dropped_sink) = lowered(false);
        assert_eq!(sink.error_count(), 0);
        assert_eq!(format!("{sink:?}"), format!("{dropped_sink:?}"));
        assert!(dropped.asts.is_empty());
        let fresh = parse(text, file, &mut Sink::new());
        assert_eq!(kept.asts.last(), Some(&fresh));
        let exprs = |p: &Program| -> Vec<String> {
            p.defs.iter().map(|d| format!("{:?}", d.expr)).collect()
        };
        assert_eq!(exprs(&kept), exprs(&dropped));
        assert!(exprs(&kept).iter().any(|e| e.contains("Interp")));
        let schemas = |p: &Program| -> String { format!("{:?}", p.schemas.defs) };
        assert_eq!(schemas(&kept), schemas(&dropped));
        assert!(schemas(&dropped).contains("the port"));
    }
}

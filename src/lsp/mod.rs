//! `tuskc lsp`: the language server, over standard input and output.
//!
//! Owns: the protocol (the only module that knows LSP types), open documents, debouncing, and turning analyses
//! into protocol answers. Invariants: the server never stops serving because of one request — a panic in a handler
//! is caught, answered with an error and logged; positions are UTF-16 as the protocol requires (`text.rs`);
//! secrets are never decrypted (`analysis.rs`); the same diagnostics as the CLI, converted (primary label → range,
//! secondary labels → related information, notes and help → message lines).
//!
//! [`Server`] is a state machine: messages in, messages out. `run` drives it from stdio with a debounce timer; the
//! tests and the latency benchmark drive it directly.

pub mod analysis;
pub mod features;
pub mod locate;
pub mod text;

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use lsp_server::Message;
use lsp_server::{Connection, ErrorCode, Notification, Request, Response};
use lsp_types as lt;
use serde_json::{json, Value as Json};

use crate::diagnostic::{Diagnostic, Severity, Sink};
use crate::source::{FileId, FileKind, Span};
use analysis::{analyze, project_root, Analysis, Settings};

/// How long typing must pause before a document is re-checked.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

pub fn run() -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let code = match serve(&connection) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("tuskc lsp: {e}");
            1
        }
    };
    drop(connection);
    let _ = io_threads.join();
    code
}

pub fn capabilities() -> lt::ServerCapabilities {
    lt::ServerCapabilities {
        position_encoding: Some(lt::PositionEncodingKind::UTF16),
        text_document_sync: Some(lt::TextDocumentSyncCapability::Options(
            lt::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lt::TextDocumentSyncKind::INCREMENTAL),
                save: Some(lt::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lt::CompletionOptions {
            trigger_characters: Some(
                ["@", "$", "[", "\"", "/", ".", " "]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            ..Default::default()
        }),
        definition_provider: Some(lt::OneOf::Left(true)),
        document_symbol_provider: Some(lt::OneOf::Left(true)),
        document_formatting_provider: Some(lt::OneOf::Left(true)),
        ..Default::default()
    }
}

fn serve(conn: &Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let caps = serde_json::to_value(capabilities())?;
    let (id, params) = conn.initialize_start()?;
    let settings = params
        .get("initializationOptions")
        .map(Settings::from_json)
        .unwrap_or_default();
    conn.initialize_finish(
        id,
        json!({
            "capabilities": caps,
            "serverInfo": { "name": "tuskc", "version": env!("CARGO_PKG_VERSION") },
        }),
    )?;
    let mut server = Server::new(settings);
    loop {
        let msg = match server.next_deadline() {
            None => match conn.receiver.recv() {
                Ok(m) => Some(m),
                Err(_) => return Ok(()),
            },
            Some(at) => {
                let wait = at.saturating_duration_since(Instant::now());
                match conn.receiver.recv_timeout(wait) {
                    Ok(m) => Some(m),
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ok(()),
                }
            }
        };
        let out = match msg {
            Some(Message::Request(req)) => {
                if conn.handle_shutdown(&req)? {
                    return Ok(());
                }
                server.handle(Message::Request(req))
            }
            Some(Message::Notification(n)) if n.method == "exit" => return Ok(()),
            Some(m) => server.handle(m),
            None => server.flush_due(Instant::now()),
        };
        for m in out {
            conn.sender.send(m)?;
        }
        server.idle();
    }
}

/// One open document.
struct Doc {
    /// The URI exactly as the client sent it (diagnostics are published under it).
    uri: String,
    text: String,
    /// Its project directory (found once, at open: finding it reads the manifest).
    root: PathBuf,
}

pub struct Server {
    settings: Settings,
    /// Open documents with a file path, by canonical path.
    docs: HashMap<PathBuf, Doc>,
    /// Open documents without one (`untitled:`): syntax checks and formatting only.
    other: HashMap<String, String>,
    analyses: HashMap<PathBuf, Analysis>,
    /// Projects waiting to be re-checked, and when.
    due: HashMap<PathBuf, Instant>,
    /// URIs that got diagnostics from each project's last check (to clear them when they are fixed).
    published: HashMap<PathBuf, HashSet<String>>,
    /// Replaced analyses, dropped by [`Server::idle`] once the answers are out.
    retired: Vec<Analysis>,
    /// Messages produced while answering a request (diagnostics of a check the request triggered), sent with it.
    outbox: Vec<Message>,
    test_hooks: bool,
}

fn notification(method: &str, params: impl serde::Serialize) -> Message {
    Message::Notification(Notification::new(method.to_string(), params))
}

impl Server {
    pub fn new(settings: Settings) -> Self {
        Server {
            settings,
            docs: HashMap::new(),
            other: HashMap::new(),
            analyses: HashMap::new(),
            due: HashMap::new(),
            published: HashMap::new(),
            retired: Vec::new(),
            outbox: Vec::new(),
            test_hooks: std::env::var_os("TUSKC_LSP_TEST_HOOKS").is_some(),
        }
    }

    /// Work that can wait until the answers are sent: freeing replaced analyses.
    pub fn idle(&mut self) {
        self.retired.clear();
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.due.values().min().copied()
    }

    /// Handle one message; returns the messages to send. A panic is caught: a request gets an error response, and
    /// the client a log message; the server state stays usable (analyses are rebuilt from the documents).
    pub fn handle(&mut self, msg: Message) -> Vec<Message> {
        let id = match &msg {
            Message::Request(r) => Some(r.id.clone()),
            _ => None,
        };
        match catch_unwind(AssertUnwindSafe(|| self.dispatch(msg))) {
            Ok(mut out) => {
                out.append(&mut self.outbox);
                out
            }
            Err(_) => {
                // Whatever the handler was building may be half done: drop the cached analyses.
                self.analyses.clear();
                self.outbox.clear();
                let mut out = vec![notification(
                    "window/logMessage",
                    lt::LogMessageParams {
                        typ: lt::MessageType::ERROR,
                        message: "tuskc: internal error while handling a request (a bug; the server keeps running)"
                            .into(),
                    },
                )];
                if let Some(id) = id {
                    out.push(Message::Response(Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        "internal error in tuskc (a bug); the server keeps running".into(),
                    )));
                }
                out
            }
        }
    }

    fn dispatch(&mut self, msg: Message) -> Vec<Message> {
        match msg {
            Message::Request(req) => {
                let id = req.id.clone();
                match self.request(req) {
                    Ok(result) => vec![Message::Response(Response::new_ok(id, result))],
                    Err((code, message)) => {
                        vec![Message::Response(Response::new_err(
                            id,
                            code as i32,
                            message,
                        ))]
                    }
                }
            }
            Message::Notification(n) => self.notification(n),
            Message::Response(_) => vec![],
        }
    }

    // ----- documents -----

    fn doc_path(uri: &str) -> Option<PathBuf> {
        let p = text::uri_to_path(uri)?;
        Some(std::fs::canonicalize(&p).unwrap_or(p))
    }

    fn notification(&mut self, n: Notification) -> Vec<Message> {
        let now = Instant::now();
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params)
                else {
                    return vec![];
                };
                let uri = p.text_document.uri.as_str().to_string();
                match Self::doc_path(&uri) {
                    Some(path) => {
                        let root = project_root(&path);
                        self.due.insert(root.clone(), now);
                        self.docs.insert(
                            path,
                            Doc {
                                uri,
                                text: p.text_document.text,
                                root,
                            },
                        );
                        self.flush_due(now)
                    }
                    None => {
                        self.other.insert(uri.clone(), p.text_document.text);
                        self.syntax_only(&uri)
                    }
                }
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params)
                else {
                    return vec![];
                };
                let uri = p.text_document.uri.as_str().to_string();
                let doc = Self::doc_path(&uri).and_then(|path| self.docs.get_mut(&path));
                let (text, root) = match doc {
                    Some(d) => (Some(&mut d.text), Some(d.root.clone())),
                    None => (self.other.get_mut(&uri), None),
                };
                let Some(text) = text else {
                    return vec![];
                };
                for change in p.content_changes {
                    text::apply_change(text, change.range, &change.text);
                }
                match root {
                    Some(root) => {
                        self.due.insert(root, now + DEBOUNCE);
                        vec![]
                    }
                    None => self.syntax_only(&uri),
                }
            }
            "textDocument/didSave" => {
                let Ok(p) = serde_json::from_value::<lt::DidSaveTextDocumentParams>(n.params)
                else {
                    return vec![];
                };
                if let Some(d) = Self::doc_path(p.text_document.uri.as_str())
                    .and_then(|path| self.docs.get(&path))
                {
                    self.due.insert(d.root.clone(), now);
                }
                self.flush_due(now)
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params)
                else {
                    return vec![];
                };
                let uri = p.text_document.uri.as_str().to_string();
                let mut out = Vec::new();
                if let Some(closed) = Self::doc_path(&uri).and_then(|path| self.docs.remove(&path))
                {
                    let root = closed.root;
                    if self.docs.values().any(|d| d.root == root) {
                        self.due.insert(root, now);
                        out = self.flush_due(now);
                    } else {
                        self.analyses.remove(&root);
                        for u in self.published.remove(&root).unwrap_or_default() {
                            out.push(publish(&u, vec![]));
                        }
                    }
                } else {
                    self.other.remove(&uri);
                }
                out.push(publish(&uri, vec![]));
                out
            }
            "workspace/didChangeConfiguration" => {
                if let Some(s) = n.params.get("settings") {
                    self.settings = Settings::from_json(s);
                }
                let roots: HashSet<PathBuf> = self.docs.values().map(|d| d.root.clone()).collect();
                for r in roots {
                    self.due.insert(r, now);
                }
                self.flush_due(now)
            }
            _ => vec![],
        }
    }

    /// Re-check every project whose time has come; publish their diagnostics.
    pub fn flush_due(&mut self, now: Instant) -> Vec<Message> {
        let ready: Vec<PathBuf> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(r, _)| r.clone())
            .collect();
        let mut out = Vec::new();
        for root in ready {
            self.due.remove(&root);
            out.extend(self.check(&root));
        }
        out
    }

    /// Make sure the analysis of project `root` reflects the current buffers; the diagnostics of a check this
    /// triggers go out with the answer.
    fn fresh(&mut self, root: &Path) {
        if self.due.remove(root).is_some() || !self.analyses.contains_key(root) {
            let out = self.check(root);
            self.outbox.extend(out);
        }
    }

    /// The URIs of the open documents of project `root`.
    fn open_uris(&self, root: &Path) -> Vec<String> {
        self.docs
            .values()
            .filter(|d| d.root == root)
            .map(|d| d.uri.clone())
            .collect()
    }

    fn check(&mut self, root: &Path) -> Vec<Message> {
        let buffers: HashMap<PathBuf, String> = self
            .docs
            .iter()
            .map(|(p, d)| (p.clone(), d.text.clone()))
            .collect();
        let open = self.open_uris(root);
        let mut by_uri: HashMap<String, Vec<lt::Diagnostic>> = HashMap::new();
        match analyze(root, buffers, &self.settings) {
            Ok(a) => {
                for d in &a.diagnostics {
                    let (file, diag) = self.convert(&a, d);
                    let uri = match file.and_then(|f| a.path(f)) {
                        Some(p) => self.uri_for(p),
                        // Not tied to a project file: show it on every open document of the project.
                        None => {
                            for u in &open {
                                by_uri.entry(u.clone()).or_default().push(diag.clone());
                            }
                            continue;
                        }
                    };
                    by_uri.entry(uri).or_default().push(diag);
                }
                // Dropping a large project's trees takes milliseconds: do it after the diagnostics are sent.
                if let Some(old) = self.analyses.insert(root.to_path_buf(), a) {
                    self.retired.push(old);
                }
            }
            Err(d) => {
                let diag = convert_labels(&d, "", |_| None);
                for u in &open {
                    by_uri.entry(u.clone()).or_default().push(diag.clone());
                }
                self.analyses.remove(root);
            }
        }
        // Open documents always get a (possibly empty) list, so fixed problems disappear.
        for u in open {
            by_uri.entry(u).or_default();
        }
        let before = self.published.remove(root).unwrap_or_default();
        let mut out = Vec::new();
        for stale in before.iter().filter(|u| !by_uri.contains_key(*u)) {
            out.push(publish(stale, vec![]));
        }
        let mut uris: Vec<&String> = by_uri.keys().collect();
        uris.sort();
        for uri in uris {
            out.push(publish(uri, by_uri[uri].clone()));
        }
        self.published.insert(
            root.to_path_buf(),
            by_uri
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, _)| k)
                .collect(),
        );
        out
    }

    fn uri_for(&self, path: &Path) -> String {
        self.docs
            .get(path)
            .map(|d| d.uri.clone())
            .unwrap_or_else(|| text::path_to_uri(path))
    }

    fn syntax_only(&self, uri: &str) -> Vec<Message> {
        let Some(text) = self.other.get(uri) else {
            return vec![];
        };
        let mut sink = Sink::new();
        crate::syntax::parse(text, FileId(0), &mut sink);
        let diags = sink
            .into_sorted()
            .iter()
            .map(|d| convert_labels(d, text, |_| None))
            .collect();
        vec![publish(uri, diags)]
    }

    fn convert(&self, a: &Analysis, d: &Diagnostic) -> (Option<FileId>, lt::Diagnostic) {
        let primary = d.primary_label().map(|l| l.file);
        let text = primary.map_or("", |f| a.text(f));
        let related =
            |f: FileId| -> Option<lt::Uri> { a.path(f).and_then(|p| self.uri_for(p).parse().ok()) };
        let diag = convert_labels(d, text, |f| Some((related(f)?, a.text(f))));
        let on_disk =
            primary.filter(|f| matches!(a.session.sources.get(*f).kind, FileKind::Disk(_)));
        (on_disk, diag)
    }

    // ----- requests -----

    fn request(&mut self, req: Request) -> Result<Json, (ErrorCode, String)> {
        let bad = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
        match req.method.as_str() {
            "textDocument/hover" => {
                let p: lt::HoverParams = serde_json::from_value(req.params).map_err(bad)?;
                let pos = p.text_document_position_params;
                let Some((path, root, off)) =
                    self.locate(pos.text_document.uri.as_str(), pos.position)
                else {
                    return Ok(Json::Null);
                };
                let a = &self.analyses[&root];
                let Some((markdown, span)) = features::hover(a, &path, off) else {
                    return Ok(Json::Null);
                };
                let text = &self.docs[&path].text;
                Ok(serde_json::to_value(lt::Hover {
                    contents: lt::HoverContents::Markup(lt::MarkupContent {
                        kind: lt::MarkupKind::Markdown,
                        value: markdown,
                    }),
                    range: Some(text::range(text, span)),
                })
                .unwrap_or(Json::Null))
            }
            "textDocument/completion" => {
                let p: lt::CompletionParams = serde_json::from_value(req.params).map_err(bad)?;
                let pos = p.text_document_position;
                let uri = pos.text_document.uri.as_str().to_string();
                let Some((path, root, off)) = self.locate(&uri, pos.position) else {
                    return Ok(json!([]));
                };
                let items =
                    features::completion(&self.analyses[&root], &path, &self.docs[&path].text, off);
                Ok(
                    serde_json::to_value(lt::CompletionResponse::Array(items))
                        .unwrap_or(Json::Null),
                )
            }
            "textDocument/definition" => {
                let p: lt::GotoDefinitionParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let pos = p.text_document_position_params;
                let Some((path, root, off)) =
                    self.locate(pos.text_document.uri.as_str(), pos.position)
                else {
                    return Ok(Json::Null);
                };
                let locations = features::definition(&self.analyses[&root], &path, off);
                Ok(
                    serde_json::to_value(lt::GotoDefinitionResponse::Array(locations))
                        .unwrap_or(Json::Null),
                )
            }
            "textDocument/documentSymbol" => {
                let p: lt::DocumentSymbolParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let Some(text) = self.text_of(p.text_document.uri.as_str()) else {
                    return Ok(json!([]));
                };
                let mut sink = Sink::new();
                let ast = crate::syntax::parse(&text, FileId(0), &mut sink);
                let symbols = features::symbols(&ast, &text);
                Ok(
                    serde_json::to_value(lt::DocumentSymbolResponse::Nested(symbols))
                        .unwrap_or(Json::Null),
                )
            }
            "textDocument/formatting" => {
                let p: lt::DocumentFormattingParams =
                    serde_json::from_value(req.params).map_err(bad)?;
                let Some(text) = self.text_of(p.text_document.uri.as_str()) else {
                    return Ok(json!([]));
                };
                let mut sink = Sink::new();
                // A file with syntax errors is not formatted (its diagnostics say why): no edits.
                let edits = match crate::syntax::fmt::format_text(&text, FileId(0), &mut sink) {
                    Some(out) if out != text => vec![lt::TextEdit {
                        range: text::range(&text, Span::new(0, text.len())),
                        new_text: out,
                    }],
                    _ => vec![],
                };
                Ok(serde_json::to_value(edits).unwrap_or(Json::Null))
            }
            "tuskc/panic" if self.test_hooks => {
                panic!("deliberate panic (TUSKC_LSP_TEST_HOOKS)")
            }
            other => Err((
                ErrorCode::MethodNotFound,
                format!("tuskc does not handle `{other}`"),
            )),
        }
    }

    fn text_of(&self, uri: &str) -> Option<String> {
        match Self::doc_path(uri) {
            Some(p) => self.docs.get(&p).map(|d| d.text.clone()),
            None => self.other.get(uri).cloned(),
        }
    }

    /// The analysis of an open file document, fresh, and a byte offset for `pos` in it.
    fn locate(&mut self, uri: &str, pos: lt::Position) -> Option<(PathBuf, PathBuf, u32)> {
        let path = Self::doc_path(uri)?;
        let doc = self.docs.get(&path)?;
        let off = text::offset(&doc.text, pos) as u32;
        let root = doc.root.clone();
        self.fresh(&root);
        self.analyses
            .contains_key(&root)
            .then_some((path, root, off))
    }

    /// For tests and benchmarks: the current diagnostics of the project of `path`, re-checked now.
    #[cfg(feature = "internals")]
    pub fn recheck(&mut self, path: &Path) -> Vec<Message> {
        let root = self
            .docs
            .get(path)
            .map_or_else(|| project_root(path), |d| d.root.clone());
        self.due.remove(&root);
        self.check(&root)
    }
}

fn publish(uri: &str, diagnostics: Vec<lt::Diagnostic>) -> Message {
    notification(
        "textDocument/publishDiagnostics",
        json!({ "uri": uri, "diagnostics": diagnostics }),
    )
}

/// A diagnostic in the protocol's terms: the primary label's span as the range (in `text`, its file), the message
/// with the primary label's text, notes and help as further lines, secondary labels as related information.
fn convert_labels<'t>(
    d: &Diagnostic,
    text: &str,
    related: impl Fn(FileId) -> Option<(lt::Uri, &'t str)>,
) -> lt::Diagnostic {
    let primary = d.primary_label();
    let range = primary.map_or_else(lt::Range::default, |l| text::range(text, l.span));
    let mut message = d.message.clone();
    if let Some(l) = primary.filter(|l| !l.message.is_empty() && l.message != d.message) {
        message.push_str(&format!("\n{}", l.message));
    }
    for n in &d.notes {
        message.push_str(&format!("\nnote: {n}"));
    }
    if let Some(h) = &d.help {
        message.push_str(&format!("\nhelp: {h}"));
    }
    let info: Vec<lt::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter(|l| !l.primary)
        .filter_map(|l| {
            let (uri, file_text) = related(l.file)?;
            Some(lt::DiagnosticRelatedInformation {
                location: lt::Location {
                    uri,
                    range: text::range(file_text, l.span),
                },
                message: l.message.clone(),
            })
        })
        .collect();
    lt::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => lt::DiagnosticSeverity::ERROR,
            Severity::Warning => lt::DiagnosticSeverity::WARNING,
        }),
        code: Some(lt::NumberOrString::String(d.code.as_str().to_string())),
        source: Some("tuskc".into()),
        message,
        related_information: if info.is_empty() { None } else { Some(info) },
        ..Default::default()
    }
}

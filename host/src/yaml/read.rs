//! Reading: YAML text to JSON values, as Helm reads it.
//!
//! saphyr-parser turns the text into events with positions; this composer builds the JSON
//! value the way go-yaml v2 plus sigs.k8s.io/yaml would (see [`super::resolve`]), and is
//! stricter where Helm is silent or random:
//! - a key written twice in one map is an error (go-yaml keeps the last), as are two keys that
//!   Helm reads as the same key (`yes` and `true`, `1` and `"1"`);
//! - an unquoted `{placeholder}` is an error: YAML reads it as a one-key map;
//! - a second document is an error (Helm reads only the first);
//! - aliases may expand to at most [`MAX_NODES`] nodes (nesting depth is capped by
//!   saphyr-parser's own recursion limit).
//!
//! Merge keys (`<<: *base`, `<<: [*a, *b]`) apply as in go-yaml v2: in document order, so a key
//! written before the `<<` is overwritten by the merged map, and one written after it wins;
//! of several merged maps, the earlier wins.
//!
//! A long text (a pipeline of hundreds of releases) is read on two threads when the caller
//! has them ([`read_items`]): the parser on one, the composer on the other, with the same
//! value and the same errors as on one.

use super::YamlError;
use super::resolve::{self, CoreTag, Scalar};
pub use budget::Budget;
use budget::expanded_bytes;
use chars::CharIndex;
use checks::{check_characters, check_directives};
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The most nodes one document may expand to through aliases (a "billion laughs" guard).
pub const MAX_NODES: usize = 4_000_000;

/// Where each node of a document starts: key path (`releases[0].name`) → (key, value)
/// positions. Only collected for typed documents, to place deserialization errors.
pub type Spans = HashMap<String, (Marker, Marker)>;

/// Read the first document of `text` into a JSON value (`Null` for an empty document).
pub fn read(text: &str, file: &Path, spans: Option<&mut Spans>) -> Result<Value, YamlError> {
    compose(text, file, spans, 1, None, Budget::Local).map(|(value, _)| value)
}

/// [`read`] with the alias budget for what the network supplies ([`Budget::Remote`]).
pub fn read_remote(text: &str, file: &Path) -> Result<Value, YamlError> {
    compose(text, file, None, 1, None, Budget::Remote).map(|(value, _)| value)
}

/// [`read`] on up to `threads` threads, handing each item of the list under the top-level key
/// `key` to `each` as soon as it is read (a pipeline's releases, deserialized while the parser
/// reads on), in place of which the list holds a null. When `threads` allows and the text is
/// long (a pipeline of hundreds of releases), the parser runs on a second thread: it takes
/// about half the reading time, and the composer builds from its events as they come. Same
/// value, same errors. Returns `true` when the value's `key` is that list. It is
/// `false` when the list reached the value some other way (an anchored list, an alias, a
/// merge key); the value then holds the list's items, and what `each` saw does not count.
pub fn read_items(
    text: &str,
    file: &Path,
    threads: usize,
    key: &str,
    each: &mut dyn FnMut(Value),
) -> Result<(Value, bool), YamlError> {
    let items = Items {
        key,
        each,
        open: false,
        closed: false,
        placed: false,
    };
    let (value, items) = compose(text, file, None, threads, Some(items), Budget::Local)?;
    Ok((value, items.is_some_and(|i| i.placed)))
}

/// Files at least this long are parsed on a second thread, when there is one: below it the
/// hand-over costs more than it saves.
const PIPED_FROM: usize = 256 * 1024;

/// The composer over the parser's events, the parser on a second thread when `threads` is
/// above 1 and the text is long.
fn compose<'i>(
    text: &str,
    file: &Path,
    spans: Option<&mut Spans>,
    threads: usize,
    items: Option<Items<'i>>,
    budget: Budget,
) -> Result<(Value, Option<Items<'i>>), YamlError> {
    check_characters(text, file)?;
    // go-yaml drops a byte-order mark at the start; saphyr would make it part of a key. The
    // composer sees the text the parser sees, so positions slice the same characters.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut c = Composer {
        text,
        file,
        chars: CharIndex::new(text),
        anchors: HashMap::new(),
        stack: Vec::new(),
        nodes: 0,
        alias_bytes: 0,
        byte_budget: budget.bytes(text.len()),
        spans,
        root: None,
        documents: 0,
        items,
    };
    check_directives(text, file)?;
    let threads = if text.len() >= PIPED_FROM { threads } else { 1 };
    // The parser may go on after an error; nothing past the first is read.
    let mut failed = false;
    let events = Parser::new_from_str(text).take_while(move |next| {
        let go = !failed;
        failed |= next.is_err();
        go
    });
    crate::parallel::piped(events, threads, |next| {
        let (event, span) = next.map_err(|e| c.scan_error(&e))?;
        c.event(event, span.start)
    })?;
    Ok((c.root.unwrap_or(Value::Null), c.items))
}

struct Anchored {
    value: Value,
    scalar: Option<Scalar>,
    nodes: usize,
    /// [`expanded_bytes`] of the value: what each alias to it adds.
    bytes: usize,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        at: Marker,
        segment: String,
        nodes: usize,
    },
    Map {
        map: Map<String, Value>,
        anchor: usize,
        at: Marker,
        segment: String,
        nodes: usize,
        key: Option<Key>,
        /// Keys written in this map: Helm's key → (as written, line). A B-tree: most maps are
        /// small, and it needs no hashing.
        written: BTreeMap<String, (String, usize)>,
    },
}

enum Key {
    Named { name: String, at: Marker },
    Merge { at: Marker },
}

/// A finished node on its way into its parent.
struct Node {
    value: Value,
    scalar: Option<Scalar>,
    /// The text as written, for messages about keys.
    raw: String,
    at: Marker,
    nodes: usize,
}

/// The list whose items [`read_items`] hands over as they are read.
struct Items<'i> {
    key: &'i str,
    each: &'i mut dyn FnMut(Value),
    /// Its items are being read (the list is the top frame, under the root map).
    open: bool,
    /// It was just closed, on its way into the root map.
    closed: bool,
    /// The root map's `key` is that list (not since replaced by a merge key).
    placed: bool,
}

struct Composer<'a, 's, 'i> {
    text: &'a str,
    file: &'a Path,
    chars: CharIndex,
    anchors: HashMap<usize, Anchored>,
    stack: Vec<Frame>,
    /// Nodes produced so far, aliases expanded.
    nodes: usize,
    /// Bytes the aliases expanded so far have added, and the most they may add.
    alias_bytes: usize,
    byte_budget: usize,
    spans: Option<&'s mut Spans>,
    root: Option<Value>,
    documents: usize,
    items: Option<Items<'i>>,
}

impl Composer<'_, '_, '_> {
    fn event(&mut self, event: Event<'_>, at: Marker) -> Result<(), YamlError> {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => self.documents += 1,
            Event::Scalar(text, style, anchor, tag) => {
                let empty = style == ScalarStyle::Plain && (text.is_empty() || text == "~");
                if self.documents > 1 && !empty {
                    return Err(self.second_document(at));
                }
                if style == ScalarStyle::DoubleQuoted
                    && let Some((escape, line, col)) = self.unknown_escape(at)
                {
                    return Err(self.escape_error(escape, line, col));
                }
                if anchor != 0
                    && let Some(name) = self.anchor_before(at)
                {
                    self.check_anchor_name('&', &name, at)?;
                }
                let scalar = self.scalar(&text, style, tag.as_deref(), at)?;
                let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
                // A key is named by its scalar (and quoted in messages as written); a value
                // needs only its JSON. An anchored node keeps both, for its aliases.
                let (value, scalar) = match (is_key, anchor) {
                    (true, 0) => (Value::Null, Some(scalar)),
                    (false, 0) => (self.json(scalar, is_key, &text, at)?, None),
                    _ => (self.json(scalar.clone(), is_key, &text, at)?, Some(scalar)),
                };
                let raw = match style {
                    _ if !is_key => String::new(),
                    ScalarStyle::SingleQuoted => format!("'{text}'"),
                    ScalarStyle::DoubleQuoted => format!("\"{text}\""),
                    _ => text.into_owned(),
                };
                self.finish(
                    Node {
                        value,
                        scalar,
                        raw,
                        at,
                        nodes: 1,
                    },
                    anchor,
                    1,
                )?;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.documents > 1 {
                    return Err(self.second_document(at));
                }
                if anchor != 0
                    && let Some(name) = self.anchor_before(at)
                {
                    self.check_anchor_name('&', &name, at)?;
                }
                let segment = self.next_segment();
                if matches!(event, Event::SequenceStart(..)) && anchor == 0 {
                    // An anchored list could be copied by an alias: its items stay in it.
                    self.open_items();
                }
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        anchor,
                        at,
                        segment,
                        nodes: 1,
                    }
                } else {
                    self.check_placeholder(at)?;
                    Frame::Map {
                        map: Map::new(),
                        anchor,
                        at,
                        segment,
                        nodes: 1,
                        key: None,
                        written: BTreeMap::new(),
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(items) = self.items.as_mut()
                    && items.open
                    && self.stack.len() == 2
                {
                    items.open = false;
                    items.closed = true;
                }
                let node = match self.stack.pop().expect("the parser balances collections") {
                    Frame::Seq {
                        items,
                        anchor,
                        at,
                        nodes,
                        ..
                    } => (Value::Array(items), anchor, at, nodes),
                    Frame::Map {
                        map,
                        anchor,
                        at,
                        nodes,
                        ..
                    } => (Value::Object(map), anchor, at, nodes),
                };
                let (value, anchor, at, nodes) = node;
                self.finish(
                    Node {
                        value,
                        scalar: None,
                        raw: String::new(),
                        at,
                        nodes,
                    },
                    anchor,
                    1,
                )?;
            }
            Event::Alias(id) => {
                if self.documents > 1 {
                    return Err(self.second_document(at));
                }
                let name: String = self.text[self.chars.byte(at.index())..]
                    .chars()
                    .skip(1)
                    .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
                    .collect();
                self.check_anchor_name('*', &name, at)?;
                let Some(a) = self.anchors.get(&id) else {
                    return Err(self.error(
                        at,
                        format!(
                            "{}this alias refers to the node that contains it",
                            self.path_prefix()
                        ),
                    ));
                };
                // Counted before the copy is made: a string bomb stops here, not in memory.
                self.alias_bytes = self.alias_bytes.saturating_add(a.bytes);
                if self.alias_bytes > self.byte_budget {
                    let budget = self.byte_budget;
                    return Err(self.error(
                        at,
                        format!(
                            "{}the document expands to more than {} through aliases (the limit for a text of {} bytes; a string that aliases copy counts each time)",
                            self.path_prefix(),
                            crate::units::ByteSize(budget as u64),
                            self.text.len()
                        ),
                    ));
                }
                let node = Node {
                    value: a.value.clone(),
                    scalar: a.scalar.clone(),
                    raw: String::new(),
                    at,
                    nodes: a.nodes,
                };
                let fresh = node.nodes;
                self.finish(node, 0, fresh)?;
            }
        }
        Ok(())
    }

    /// A scalar's JSON value. A key becomes text (`.inf:` is the key ".inf"), so only values
    /// must be JSON.
    fn json(
        &self,
        scalar: Scalar,
        is_key: bool,
        text: &str,
        at: Marker,
    ) -> Result<Value, YamlError> {
        match resolve::to_json(scalar) {
            Ok(v) => Ok(v),
            Err(_) if is_key => Ok(Value::Null),
            Err(m) => Err(self.error(at, format!("{}`{text}` {m}", self.path_prefix()))),
        }
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        at: Marker,
    ) -> Result<Scalar, YamlError> {
        match tag {
            None if style == ScalarStyle::Plain => Ok(resolve::plain(text)),
            None => Ok(Scalar::Str(text.to_owned())),
            Some(tag) => {
                let core = if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
                    match tag.suffix.as_str() {
                        "str" => CoreTag::Str,
                        "int" => CoreTag::Int,
                        "float" => CoreTag::Float,
                        "bool" => CoreTag::Bool,
                        "null" => CoreTag::Null,
                        other => {
                            return Err(self.error(
                                at,
                                format!(
                                    "{}the tag `!!{other}` is not supported here",
                                    self.path_prefix()
                                ),
                            ));
                        }
                    }
                } else {
                    // A local tag (`!vault x`) does not change the value for Helm.
                    CoreTag::Other
                };
                resolve::tagged(text, core)
                    .map_err(|m| self.error(at, format!("{}{m}", self.path_prefix())))
            }
        }
    }

    /// go-yaml (libyaml) ends an anchor or alias name at the first character that is not a
    /// letter, digit, `_` or `-`; YAML 1.2 readers take more (`&a:` is the anchor `a:` to them,
    /// the anchor `a` on an empty key to Helm). Such names are refused.
    fn check_anchor_name(&self, sigil: char, name: &str, at: Marker) -> Result<(), YamlError> {
        if name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Ok(());
        }
        Err(self.error(
            at,
            format!(
                "{}the name in `{sigil}{name}` is read differently by Helm's reader, which ends it at \
                 the first character other than a letter, digit, `_` or `-`; rename it",
                self.path_prefix()
            ),
        ))
    }

    /// The anchor name written before the node starting at `at` (past a tag, if any).
    fn anchor_before(&self, at: Marker) -> Option<String> {
        const BLANKS: [char; 4] = [' ', '\t', '\n', '\r'];
        let before = &self.text[..self.chars.byte(at.index())];
        let mut rest = before.trim_end_matches(BLANKS);
        for _ in 0..2 {
            // YAML's blanks are ASCII, so the byte after one is a character boundary.
            let start = rest.rfind(BLANKS).map_or(0, |i| i + 1);
            let token = &rest[start..];
            // In flow context the token may carry the `[`, `{` or `,` before it.
            let token = token.rsplit(['[', '{', ',']).next().unwrap_or(token);
            if let Some(name) = token.strip_prefix('&') {
                return Some(name.to_owned());
            }
            if !token.starts_with('!') {
                return None;
            }
            rest = rest[..start].trim_end_matches(BLANKS);
        }
        None
    }

    /// Put a finished node into its parent (or make it the document). `fresh` is how many
    /// nodes it adds to the document: one for a scalar or a collection (its items were
    /// counted as they came), the whole copied tree for an alias.
    fn finish(&mut self, node: Node, anchor: usize, fresh: usize) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(fresh);
        if self.nodes > MAX_NODES {
            return Err(self.error(
                node.at,
                format!("the document expands to more than {MAX_NODES} nodes through aliases"),
            ));
        }
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchored {
                    bytes: expanded_bytes(&node.value),
                    value: node.value.clone(),
                    scalar: node.scalar.clone(),
                    nodes: node.nodes,
                },
            );
        }
        let hand = self.stack.len() == 2 && self.items.as_ref().is_some_and(|i| i.open);
        let Some(top) = self.stack.last_mut() else {
            if self.root.is_some() {
                // An empty document after the first (a trailing `---`).
                return Ok(());
            }
            if let Some(spans) = self.spans.as_deref_mut() {
                spans.insert(String::new(), (node.at, node.at));
            }
            self.root = Some(node.value);
            return Ok(());
        };
        match top {
            Frame::Seq { items, nodes, .. } => {
                *nodes += node.nodes;
                let index = items.len();
                match self.items.as_mut() {
                    Some(handed) if hand => {
                        (handed.each)(node.value);
                        items.push(Value::Null);
                    }
                    _ => items.push(node.value),
                }
                if self.spans.is_some() {
                    // The item is in place: its path is the list's path plus `[index]`.
                    let path = self.path("");
                    if let Some(spans) = self.spans.as_deref_mut() {
                        spans.insert(format!("{path}[{index}]"), (node.at, node.at));
                    }
                }
            }
            Frame::Map { key: None, .. } => return self.key(node),
            Frame::Map { .. } => return self.entry(node),
        }
        Ok(())
    }

    /// A finished node in key position.
    fn key(&mut self, mut node: Node) -> Result<(), YamlError> {
        // The path prefix of messages, built only for an error: every key passes here.
        let Some(scalar) = &node.scalar else {
            let prefix = self.path_prefix();
            return Err(self.error(
                node.at,
                format!("{prefix}a map key must be text or a number, not a map or list"),
            ));
        };
        let key = if *scalar == Scalar::Merge {
            Key::Merge { at: node.at }
        } else {
            let name = resolve::key(scalar)
                .map_err(|m| self.error(node.at, format!("{}{m}", self.path_prefix())))?;
            let raw = std::mem::take(&mut node.raw);
            let Some(Frame::Map { written, .. }) = self.stack.last_mut() else {
                unreachable!("key() is called for maps")
            };
            if let Some((first_raw, first_line)) = written.get(&name) {
                let (first_raw, first_line) = (first_raw.clone(), *first_line);
                let prefix = self.path_prefix();
                let message = if first_raw == raw {
                    format!(
                        "{prefix}duplicate key `{name}` (first defined at line {first_line}); YAML keeps only \
                         one of them, so merge the two blocks into one"
                    )
                } else {
                    format!(
                        "{prefix}the keys `{first_raw}` (line {first_line}) and `{raw}` are the same key \
                         `{name}` to Helm, which keeps only one of them; keep one, or quote the key \
                         that is meant as text"
                    )
                };
                return Err(self.error(node.at, message));
            }
            written.insert(name.clone(), (raw, node.at.line()));
            Key::Named { name, at: node.at }
        };
        if let Some(Frame::Map { key: slot, .. }) = self.stack.last_mut() {
            *slot = Some(key);
        }
        Ok(())
    }

    /// A finished node in value position.
    fn entry(&mut self, node: Node) -> Result<(), YamlError> {
        let Some(Frame::Map { key, .. }) = self.stack.last_mut() else {
            unreachable!("entry() is called for maps")
        };
        let key = key.take().expect("a key precedes its value");
        match key {
            Key::Named { name, at } => {
                if self.spans.is_some() {
                    let path = self.path(&name);
                    if let Some(spans) = self.spans.as_deref_mut() {
                        spans.insert(path, (at, node.at));
                    }
                }
                if self.stack.len() == 1
                    && let Some(items) = self.items.as_mut()
                    && name == items.key
                {
                    items.placed = std::mem::take(&mut items.closed);
                }
                let Some(Frame::Map { map, nodes, .. }) = self.stack.last_mut() else {
                    unreachable!()
                };
                *nodes += node.nodes;
                map.insert(name, node.value);
            }
            Key::Merge { at } => {
                let sources = match node.value {
                    Value::Object(m) => vec![m],
                    // Of several maps, the earlier wins: apply them last to first.
                    Value::Array(items) if items.iter().all(Value::is_object) => items
                        .into_iter()
                        .rev()
                        .filter_map(|v| match v {
                            Value::Object(m) => Some(m),
                            _ => None,
                        })
                        .collect(),
                    _ => {
                        return Err(self.error(
                            at,
                            format!(
                                "{}a merge key `<<` needs a map or a list of maps (an alias such as `*base`)",
                                self.path_prefix()
                            ),
                        ));
                    }
                };
                if self.stack.len() == 1
                    && let Some(items) = self.items.as_mut()
                    && sources.iter().any(|m| m.contains_key(items.key))
                {
                    items.placed = false;
                }
                let Some(Frame::Map { map, nodes, .. }) = self.stack.last_mut() else {
                    unreachable!()
                };
                *nodes += node.nodes;
                for source in sources {
                    for (k, v) in source {
                        map.insert(k, v);
                    }
                }
            }
        }
        Ok(())
    }

    /// A list starting now under the root map's key that [`read_items`] wants: hand its items
    /// over as they are read.
    fn open_items(&mut self) {
        let Some(items) = self.items.as_mut() else {
            return;
        };
        if let [
            Frame::Map {
                key: Some(Key::Named { name, .. }),
                ..
            },
        ] = self.stack.as_slice()
            && name == items.key
        {
            items.open = true;
        }
    }

    /// The segment a collection starting now gets in its parent's path.
    fn next_segment(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq { items, .. }) => format!("[{}]", items.len()),
            Some(Frame::Map {
                key: Some(Key::Named { name, .. }),
                ..
            }) => name.clone(),
            Some(Frame::Map {
                key: Some(Key::Merge { .. }),
                ..
            }) => "<<".into(),
            Some(Frame::Map { key: None, .. }) => "(key)".into(),
        }
    }

    /// The display path of a child `last` of the innermost collection.
    fn path(&self, last: &str) -> String {
        let mut out = String::new();
        let segments = self
            .stack
            .iter()
            .map(|f| match f {
                Frame::Seq { segment, .. } | Frame::Map { segment, .. } => segment.as_str(),
            })
            .chain([last]);
        for s in segments.filter(|s| !s.is_empty()) {
            if !out.is_empty() && !s.starts_with('[') {
                out.push('.');
            }
            out.push_str(s);
        }
        out
    }

    /// `path: ` for a message about the node being read now, or nothing at the top.
    fn path_prefix(&self) -> String {
        let last = match self.stack.last() {
            Some(Frame::Map {
                key: Some(Key::Named { name, .. }),
                ..
            }) => name.clone(),
            Some(Frame::Seq { items, .. }) => format!("[{}]", items.len()),
            _ => String::new(),
        };
        let p = self.path(&last);
        if p.is_empty() { p } else { format!("{p}: ") }
    }

    /// A flow map that is exactly `{word}`: a template placeholder left in the file.
    fn check_placeholder(&self, at: Marker) -> Result<(), YamlError> {
        let rest = &self.text[self.chars.byte(at.index())..];
        let Some(inner) = rest.strip_prefix('{') else {
            return Ok(());
        };
        let word: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if word.is_empty() || !inner[word.len()..].starts_with('}') {
            return Ok(());
        }
        Err(self.error(
            at,
            format!(
                "`{{{word}}}` is unquoted, so YAML reads it as a map (`{word}: null`), not text; \
                 replace the placeholder with a real value, or quote it (`\"{{{word}}}\"`) if the braces are meant"
            ),
        ))
    }

    fn second_document(&self, at: Marker) -> YamlError {
        self.error(
            at,
            "a second YAML document (after `---`): Helm reads only the first, so this one would be \
             ignored; move its keys into the first document or into another file"
                .into(),
        )
    }

    fn error(&self, at: Marker, message: String) -> YamlError {
        YamlError {
            file: self.file.to_owned(),
            line: Some(at.line()),
            column: Some(at.col() + 1),
            message,
        }
    }
}

mod budget;
mod chars;
mod checks;
mod errors;
#[cfg(test)]
mod tests;

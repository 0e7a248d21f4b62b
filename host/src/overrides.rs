//! Command-line values: `--set`, `--set-string`, `--set-json`, `--set-file`, `--set-literal`,
//! with Helm's syntax and semantics (a port of Helm's `pkg/strvals` and of the order in
//! `pkg/cli/values`).
//!
//! Helm applies them after every `-f` file, kind by kind: `--set-json`, `--set`,
//! `--set-string`, `--set-file`, `--set-literal`, each kind in command-line order. They write
//! *into* the merged values rather than layering on top: `--set list[1]=x` changes one item of
//! a list a values file set, and `--set a.b=1` fails when `a` is text. So this module works in
//! two steps:
//! - [`Overrides::parse`] reads the arguments once (syntax errors, `--set-file` contents,
//!   `--set-json` documents), into assignments whose values the secrets stage may resolve;
//! - [`Overrides::apply`] replays them into one release's composed values, with Helm's rules,
//!   including the ones that depend on what is already there.
//!
//! Syntax (as Helm's): `a.b=1,c=x` sets several keys; `\` escapes the next character
//! (`a\.b` is one key, `x\,y` one value); `name[N]` indexes a list and may nest (`m[0][1]`,
//! `l[0].k`); `{a,b}` is a list. `--set` types a value as Helm does: `true`/`false`/`null` in
//! any case, and integers without a leading zero become booleans, null and numbers;
//! everything else (`1.5`, `0755`, `yes`) stays text. `--set-literal` takes everything after
//! the first `=` as one string, with no escapes or commas.

use serde_json::{Map, Value};
use std::path::Path;

/// Helm's `MaxIndex`: the largest list index `--set` may write.
pub const MAX_INDEX: i64 = 65_536;
/// Helm's `MaxNestedNameLevel`: how many `.` a key path may have.
pub const MAX_NESTING: usize = 30;
/// The largest integer Helm's values file can carry exactly (it reads numbers as float64).
const EXACT: i64 = 1 << 53;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Json,
    Set,
    String,
    File,
    Literal,
}

impl Flag {
    /// Helm's order of application.
    pub const ORDER: [Flag; 5] = [
        Flag::Json,
        Flag::Set,
        Flag::String,
        Flag::File,
        Flag::Literal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Flag::Json => "--set-json",
            Flag::Set => "--set",
            Flag::String => "--set-string",
            Flag::File => "--set-file",
            Flag::Literal => "--set-literal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {flag} `{input}`: {reason}", flag = flag.name())]
pub struct SetError {
    pub flag: Flag,
    pub input: String,
    pub reason: String,
}

/// One step of a key path, as written.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(i64),
}

/// A key path and the value for it; `None` when the argument ended before a value
/// (`a.`, `list[0]`), which Helm accepts and mostly ignores.
#[derive(Debug, Clone, PartialEq)]
struct Assignment {
    path: Vec<Step>,
    value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    Assignments(Vec<Assignment>),
    /// `--set-json '{…}'`: a whole map, merged like a values file.
    Merge(Map<String, Value>),
}

#[derive(Debug, Clone, PartialEq)]
struct Arg {
    flag: Flag,
    input: String,
    parsed: Parsed,
}

/// Every command-line values argument, parsed, in Helm's order of application.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    args: Vec<Arg>,
}

impl Overrides {
    /// Parse arguments given as (flag, argument) in command-line order. `--set-file` paths
    /// are read here, relative to `cwd`.
    pub fn parse<'a>(
        given: impl IntoIterator<Item = (Flag, &'a str)>,
        cwd: &Path,
    ) -> Result<Self, SetError> {
        let given: Vec<(Flag, &str)> = given.into_iter().collect();
        let mut args = Vec::new();
        for flag in Flag::ORDER {
            for (_, input) in given.iter().filter(|(f, _)| *f == flag) {
                let err = |reason: String| SetError {
                    flag,
                    input: (*input).to_owned(),
                    reason,
                };
                let parsed = match flag {
                    Flag::Json if input.trim_start().starts_with('{') => {
                        let map: Map<String, Value> = serde_json::from_str(input.trim())
                            .map_err(|e| err(format!("not a JSON object: {e}")))?;
                        Parsed::Merge(as_helm_holds(map))
                    }
                    _ => Parsed::Assignments(Parser::new(input, flag, cwd).parse().map_err(err)?),
                };
                args.push(Arg {
                    flag,
                    input: (*input).to_owned(),
                    parsed,
                });
            }
        }
        Ok(Overrides { args })
    }

    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Every value the arguments carry (for the secrets stage to resolve references in).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.args
            .iter_mut()
            .flat_map(|a| -> Box<dyn Iterator<Item = &mut Value>> {
                match &mut a.parsed {
                    Parsed::Assignments(list) => {
                        Box::new(list.iter_mut().filter_map(|x| x.value.as_mut()))
                    }
                    Parsed::Merge(map) => Box::new(map.values_mut()),
                }
            })
    }

    /// Write every argument into `values` (a release's composed values), as Helm does.
    pub fn apply(&self, values: &mut Map<String, Value>) -> Result<(), SetError> {
        for arg in &self.args {
            let err = |reason: String| SetError {
                flag: arg.flag,
                input: arg.input.clone(),
                reason,
            };
            match &arg.parsed {
                Parsed::Merge(map) => crate::values::compose(values, map.clone()),
                Parsed::Assignments(list) => {
                    for a in list {
                        let Some((Step::Key(first), rest)) = a.path.split_first() else {
                            unreachable!("a path starts with a key")
                        };
                        match set_key(values, first, rest, a.value.as_ref(), 0) {
                            Ok(()) | Err(Stop::Eof) => {}
                            Err(Stop::Error(reason)) => return Err(err(reason)),
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Numbers in a `--set-json` document as Helm holds them (float64).
fn as_helm_holds(map: Map<String, Value>) -> Map<String, Value> {
    match crate::yaml::as_helm_reads(&Value::Object(map)) {
        Value::Object(m) => m,
        _ => unreachable!("a map stays a map"),
    }
}

/// Why applying stopped: Helm's `io.EOF` (the argument ended early: not an error), or an
/// error.
enum Stop {
    Eof,
    Error(String),
}

fn type_error(found: &Value, wanted: &str) -> Stop {
    // Helm's message is Go's failed type assertion, recovered from a panic.
    let found = match found {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    };
    Stop::Error(format!(
        "unable to parse key: interface conversion: interface {{}} is {found}, not {wanted} \
         (the key path goes through a value of another type)"
    ))
}

/// Helm's `set`: an empty key is silently not set.
fn set(data: &mut Map<String, Value>, key: &str, value: Value) {
    if !key.is_empty() {
        data.insert(key.to_owned(), value);
    }
}

/// Helm's `parser.key` from the point the key `key` was read; `rest` is what followed it.
fn set_key(
    data: &mut Map<String, Value>,
    key: &str,
    rest: &[Step],
    value: Option<&Value>,
    nesting: usize,
) -> Result<(), Stop> {
    match rest.split_first() {
        // `key=value`, or the argument ended after a `.` (`a.`): nothing to set.
        None => match value {
            Some(v) => {
                set(data, key, v.clone());
                Ok(())
            }
            None => Err(Stop::Eof),
        },
        Some((Step::Key(next), rest)) => {
            let nesting = nesting + 1;
            if nesting > MAX_NESTING {
                return Err(Stop::Error(format!(
                    "value name nested level is greater than maximum supported nested level of {MAX_NESTING}"
                )));
            }
            let mut inner = match data.get(key) {
                None => Map::new(),
                Some(Value::Object(m)) => m.clone(),
                Some(other) => return Err(type_error(other, "map[string]interface {}")),
            };
            let result = set_key(&mut inner, next, rest, value, nesting);
            if result.is_ok() && inner.is_empty() {
                return Err(Stop::Error(format!("key map \"{key}\" has no value")));
            }
            if !inner.is_empty() {
                set(data, key, Value::Object(inner));
            }
            result
        }
        Some((Step::Index(i), rest)) => {
            let list = match data.get(key) {
                None => Vec::new(),
                Some(Value::Array(l)) => l.clone(),
                Some(other) => return Err(type_error(other, "[]interface {}")),
            };
            let (list, result) = list_item(list, *i, rest, value, nesting);
            set(data, key, Value::Array(list));
            result
        }
    }
}

/// Helm's `parser.listItem`: item `i` of `list`, then whatever followed the `]`.
fn list_item(
    mut list: Vec<Value>,
    i: i64,
    rest: &[Step],
    value: Option<&Value>,
    nesting: usize,
) -> (Vec<Value>, Result<(), Stop>) {
    let idx = i as usize;
    match rest.split_first() {
        None => match value {
            Some(v) => set_index(list, i, v.clone()),
            None => (list, Err(Stop::Eof)),
        },
        Some((Step::Index(next), rest)) => {
            let current = match list.get(idx) {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(l)) => l.clone(),
                Some(other) => {
                    let e = type_error(other, "[]interface {}");
                    return (list, Err(e));
                }
            };
            let (inner, result) = list_item(current, *next, rest, value, nesting);
            if result.is_err() {
                return (list, result);
            }
            set_index(list, i, Value::Array(inner))
        }
        Some((Step::Key(key), rest)) => {
            let mut inner = Map::new();
            if let Some(item) = list.get_mut(idx) {
                match item {
                    Value::Object(m) => inner = m.clone(),
                    // Helm replaces an item of another type with an empty map here.
                    other => *other = Value::Object(Map::new()),
                }
            }
            let result = set_key(&mut inner, key, rest, value, nesting);
            if result.is_err() {
                return (list, result);
            }
            set_index(list, i, Value::Object(inner))
        }
    }
}

/// Helm's `setIndex`: grow the list with nulls as needed.
fn set_index(mut list: Vec<Value>, index: i64, value: Value) -> (Vec<Value>, Result<(), Stop>) {
    if index < 0 {
        return (
            list,
            Err(Stop::Error(format!("negative {index} index not allowed"))),
        );
    }
    if index > MAX_INDEX {
        return (
            list,
            Err(Stop::Error(format!(
                "index of {index} is greater than maximum supported index of {MAX_INDEX}"
            ))),
        );
    }
    let index = index as usize;
    if list.len() <= index {
        list.resize(index + 1, Value::Null);
    }
    list[index] = value;
    (list, Ok(()))
}

/// Reads one argument into assignments, following the structure of Helm's parser (and its
/// literal parser for `--set-literal`).
struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    flag: Flag,
    cwd: &'a Path,
    path: Vec<Step>,
    nesting: usize,
}

/// The end of a read: the stop character, or `None` at the end of the argument.
type Until = (String, Option<char>);

impl<'a> Parser<'a> {
    fn new(input: &str, flag: Flag, cwd: &'a Path) -> Self {
        Parser {
            chars: input.chars().collect(),
            pos: 0,
            flag,
            cwd,
            path: Vec::new(),
            nesting: 0,
        }
    }

    fn parse(mut self) -> Result<Vec<Assignment>, String> {
        let mut out = Vec::new();
        loop {
            self.path.clear();
            self.nesting = 0;
            let (assignment, more) = self.key()?;
            out.extend(assignment);
            if !more {
                return Ok(out);
            }
        }
    }

    /// Characters up to one of `stop`; `\` takes the next character as is (not for
    /// `--set-literal`).
    fn until(&mut self, stop: &[char]) -> Until {
        let mut out = String::new();
        while let Some(&c) = self.chars.get(self.pos) {
            self.pos += 1;
            if stop.contains(&c) {
                return (out, Some(c));
            }
            if c == '\\' && self.flag != Flag::Literal {
                match self.chars.get(self.pos) {
                    Some(&next) => {
                        self.pos += 1;
                        out.push(next);
                    }
                    None => return (out, None),
                }
            } else {
                out.push(c);
            }
        }
        (out, None)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// Helm's `key`: returns the assignment read (if any) and whether to read more.
    fn key(&mut self) -> Result<(Option<Assignment>, bool), String> {
        let stop: &[char] = if self.flag == Flag::Literal {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (key, last) = self.until(stop);
        match last {
            None if key.is_empty() => {
                if self.path.is_empty() {
                    return Ok((None, false));
                }
                self.path.push(Step::Key(key));
                Ok((Some(self.done(None)), false))
            }
            None => Err(format!(
                "key \"{key}\" has no value (write `key=value`, several joined by commas)"
            )),
            Some('[') => {
                let i = self.index()?;
                self.path.push(Step::Key(key));
                self.path.push(Step::Index(i));
                self.list_item()
            }
            Some('=') => {
                self.path.push(Step::Key(key));
                let (value, more) = self.value()?;
                Ok((Some(self.done(Some(value))), more))
            }
            Some(',') => Err(format!("key \"{key}\" has no value (cannot end with ,)")),
            Some(_) => {
                self.nesting += 1;
                if self.nesting > MAX_NESTING {
                    return Err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTING}"
                    ));
                }
                self.path.push(Step::Key(key));
                self.key()
            }
        }
    }

    /// Helm's `listItem`, after `[N]`.
    fn list_item(&mut self) -> Result<(Option<Assignment>, bool), String> {
        if let Some(Step::Index(i)) = self.path.last()
            && *i < 0
        {
            return Err(format!("negative {i} index not allowed"));
        }
        let (junk, last) = self.until(&['[', '.', '=']);
        if !junk.is_empty() {
            return Err(format!("unexpected data at end of array index: \"{junk}\""));
        }
        match last {
            None => Ok((Some(self.done(None)), false)),
            Some('=') => {
                let (value, _) = self.value()?;
                // After a list item's value Helm carries on even at the end.
                let more = self.pos < self.chars.len();
                Ok((Some(self.done(Some(value))), more))
            }
            Some('[') => {
                let i = self.index()?;
                self.path.push(Step::Index(i));
                self.list_item()
            }
            Some(_) => self.key(),
        }
    }

    fn done(&mut self, value: Option<Value>) -> Assignment {
        Assignment {
            path: std::mem::take(&mut self.path),
            value,
        }
    }

    /// Helm's `keyIndex`: the digits up to `]`, read with Go's `strconv.Atoi`.
    fn index(&mut self) -> Result<i64, String> {
        let (digits, last) = self.until(&[']']);
        if last.is_none() {
            return Err("error parsing index: EOF".into());
        }
        let body = digits.strip_prefix(['+', '-']).unwrap_or(&digits);
        if body.is_empty() || !body.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "error parsing index: strconv.Atoi: parsing \"{digits}\": invalid syntax"
            ));
        }
        digits.parse().map_err(|_| {
            format!("error parsing index: strconv.Atoi: parsing \"{digits}\": value out of range")
        })
    }

    /// The value after `=`; returns it and whether more assignments may follow.
    fn value(&mut self) -> Result<(Value, bool), String> {
        match self.flag {
            Flag::Literal => {
                let rest: String = self.chars[self.pos..].iter().collect();
                self.pos = self.chars.len();
                Ok((Value::String(rest), false))
            }
            Flag::Json => self.json_value(),
            _ => {
                // Helm's `valList`: `{a,b}` is a list; the end right after `=` is "".
                match self.peek() {
                    None => Ok((Value::String(String::new()), false)),
                    Some('{') => {
                        self.pos += 1;
                        let mut list = Vec::new();
                        loop {
                            let (item, last) = self.until(&[',', '}']);
                            match last {
                                None => return Err("list must terminate with '}'".into()),
                                Some('}') => {
                                    if self.peek() == Some(',') {
                                        self.pos += 1;
                                    }
                                    list.push(self.read(&item)?);
                                    return Ok((Value::Array(list), true));
                                }
                                Some(_) => list.push(self.read(&item)?),
                            }
                        }
                    }
                    Some(_) => {
                        let (raw, _) = self.until(&[',']);
                        Ok((self.read(&raw)?, true))
                    }
                }
            }
        }
    }

    /// Helm's JSON value reader for `--set-json key=JSON`: blank up to a comma or the end is
    /// null; otherwise one JSON document, then blanks and an optional comma.
    fn json_value(&mut self) -> Result<(Value, bool), String> {
        if self.empty_value() {
            return Ok((Value::Null, true));
        }
        let rest: String = self.chars[self.pos..].iter().collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
        let value = match stream.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(format!("not JSON: {e}")),
            None => return Err("not JSON: nothing after `=`".into()),
        };
        let consumed = rest[..stream.byte_offset()].chars().count();
        self.pos += consumed;
        self.empty_value();
        Ok((crate::yaml::as_helm_reads(&value), true))
    }

    /// Helm's `emptyVal`: skip blanks; true at a comma (consumed) or the end.
    fn empty_value(&mut self) -> bool {
        while let Some(c) = self.peek() {
            if c == ',' {
                self.pos += 1;
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
            self.pos += 1;
        }
        true
    }

    /// The value of one item, by flag.
    fn read(&self, raw: &str) -> Result<Value, String> {
        match self.flag {
            Flag::Set => typed(raw),
            Flag::String => Ok(Value::String(raw.to_owned())),
            Flag::File => read_file(&self.cwd.join(raw), raw),
            Flag::Json | Flag::Literal => unreachable!("read by json_value / value"),
        }
    }
}

/// Helm's `typedVal` for `--set`.
fn typed(raw: &str) -> Result<Value, String> {
    let eq = |w: &str| raw.eq_ignore_ascii_case(w);
    if eq("true") {
        return Ok(Value::Bool(true));
    }
    if eq("false") {
        return Ok(Value::Bool(false));
    }
    if eq("null") {
        return Ok(Value::Null);
    }
    if raw == "0" {
        return Ok(Value::from(0));
    }
    if !raw.is_empty()
        && !raw.starts_with('0')
        && let Ok(n) = raw.parse::<i64>()
    {
        if !(-EXACT..=EXACT).contains(&n) {
            // Helm keeps this exact on its own command line, but reads every number in a
            // values file as a float64: the chart would see another number.
            return Err(format!(
                "the integer {n} is too large to pass through a values file exactly (Helm reads \
                 numbers there as 64-bit floats, beyond ±2^53); use --set-string for text"
            ));
        }
        return Ok(Value::from(n));
    }
    Ok(Value::String(raw.to_owned()))
}

/// The most bytes `--set-file` reads from one file.
pub const MAX_SET_FILE: u64 = 16 << 20;

fn read_file(path: &Path, raw: &str) -> Result<Value, String> {
    if raw.trim() == "-" {
        return Err("reading a value from standard input (`-`) is not supported".into());
    }
    if raw.contains("://") {
        return Err(format!(
            "`{raw}` is a URL; --set-file reads local files only (Helm would fetch it)"
        ));
    }
    // A regular file (after symlinks) of at most MAX_SET_FILE bytes: `/dev/zero` would grow
    // without bound and a FIFO would block for ever.
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!(
            "{} is not a regular file (--set-file reads regular files only)",
            path.display()
        ));
    }
    if meta.len() > MAX_SET_FILE {
        return Err(format!(
            "{} is {}, past the --set-file limit of {}",
            path.display(),
            crate::units::ByteSize(meta.len()),
            crate::units::ByteSize(MAX_SET_FILE)
        ));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            std::fs::File::open(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            MAX_SET_FILE + 1,
        ),
        &mut bytes,
    )
    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_SET_FILE {
        return Err(format!(
            "{} grew past the --set-file limit of {} while it was read",
            path.display(),
            crate::units::ByteSize(MAX_SET_FILE)
        ));
    }
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

#[cfg(test)]
mod tests;

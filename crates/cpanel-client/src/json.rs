//! One pass over an answer's bytes as they arrive, building nothing big ([`Checker`]): whether
//! it is JSON at all, the first thing a strict reader refuses (invalid UTF-8, a raw control
//! character or half a surrogate pair in a string), how deep it nests, the members that decide
//! the verdict (copied into a small *skeleton*), and where the payload (`--data`) lies.
//!
//! Why one pass while reading: an answer of any size is judged without holding it, and the
//! judging parser never sees strings it does not need, so without these checks such text would
//! print in one mode and fail in another (`--jq`, `--paginate`); with them, one rule holds
//! everywhere. Chunks may split the text anywhere: every state survives a boundary.

use std::ops::Range;

/// The deepest nesting accepted: far past any real answer (they nest under ten), bounding the
/// checker's stack and what an indented layout of a hostile answer costs (its indentation
/// grows with the square of the depth).
pub const MAX_DEPTH: usize = 10_000;
/// The most bytes of verdict members copied; a status block bigger than this is not an API's.
const SKELETON_LIMIT: usize = 1 << 20;
/// The longest key read for its name (escapes included); longer keys are none of ours.
const KEY_LIMIT: usize = 128;
/// How much of the start is kept for messages about answers that are not JSON (HTML pages).
const HEAD_LIMIT: usize = 4096;

/// The members whose values decide a verdict (response.rs `Fields`): copied whole.
const CAPTURED: [&str; 7] = [
    "metadata", "status", "errors", "warnings", "messages", "error", "event",
];

/// Where the payload of each envelope is: `data`, `result.data`, `cpanelresult.data`,
/// `data.uapi.data` (response.rs `payload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// `data` (WHM API 1, UAPI).
    Data = 0,
    /// `result.data` (UAPI through WHM).
    ResultData = 1,
    /// `cpanelresult.data` (API 2).
    CpanelresultData = 2,
    /// `data.uapi.data` (WHM's `uapi_cpanel`).
    DataUapiData = 3,
}

/// What one pass found.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// How many bytes the answer had.
    pub len: u64,
    /// The deepest nesting of arrays and objects.
    pub depth: usize,
    /// The first byte of the top-level value (`{`, `[`, `"`, a digit…), if any.
    pub top: Option<u8>,
    /// Offset of the first byte that is not UTF-8 (or of a sequence cut off at the end).
    pub bad_utf8: Option<u64>,
    /// The first defect inside a string: its offset and what it is.
    pub defect: Option<(u64, &'static str)>,
    /// Offset where the text stopped being JSON (its length, when it ended too early).
    pub syntax: Option<u64>,
    /// The verdict members of the answer, in their nesting and order, all else left out: a
    /// small JSON text the judge parses instead of the answer.
    pub skeleton: Vec<u8>,
    /// The verdict members were over 1 MiB (`SKELETON_LIMIT`).
    pub skeleton_overflow: bool,
    /// The first bytes of the answer, for messages about what it is instead of JSON.
    pub head: Vec<u8>,
    payloads: [Option<(u64, u64)>; 4],
}

/// What was found, without the bytes it copied (the status members and the start of the
/// answer may quote a credential the server echoed).
impl std::fmt::Debug for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checked")
            .field("len", &self.len)
            .field("depth", &self.depth)
            .field("json", &self.is_json())
            .field("bad_utf8", &self.bad_utf8)
            .field("defect", &self.defect)
            .field("syntax", &self.syntax)
            .field("skeleton_bytes", &self.skeleton.len())
            .finish_non_exhaustive()
    }
}

impl Checked {
    /// Whole, well-formed JSON text in UTF-8.
    pub fn is_json(&self) -> bool {
        self.syntax.is_none() && self.bad_utf8.is_none() && self.len > 0
    }

    /// Where a payload's value lies in the answer, when present.
    pub fn payload(&self, which: Payload) -> Option<Range<u64>> {
        self.payloads[which as usize].map(|(start, end)| start..end)
    }
}

/// Checks `body` whole.
pub fn check(body: &[u8]) -> Checked {
    let mut checker = Checker::default();
    checker.feed(body);
    checker.finish()
}

/// The role of an object the skeleton keeps (one on the path to a verdict member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    Data,
    Result,
    Cpanelresult,
    DataUapi,
    /// Another object under a nested member name: kept, but holds no payload.
    Other,
    /// Not kept in the skeleton.
    Skipped,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    object: bool,
    place: Place,
    /// Members written to the skeleton so far (for commas).
    written: u32,
    /// This container is a payload: its end is recorded when it closes.
    payload: Option<Payload>,
}

/// What the value after a key in a kept object becomes in the skeleton.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Copied whole (`status`, `metadata`…).
    Captured(usize),
    /// Kept as an object of this place (`data`, `result`…), `null` when not an object.
    Nested(&'static str, Place),
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    E,
    ESign,
    Exp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    /// A value must come (start, after `:`, after `,` in an array).
    Value,
    /// After `[`: a value or `]`.
    ValueOrClose,
    /// After `{`: a key or `}`.
    KeyOrClose,
    /// After `,` in an object.
    Key,
    Colon,
    /// After a value inside a container: `,` or its close.
    After,
    Str,
    Escape,
    Hex(u8, u16),
    Number(Num),
    Literal(&'static [u8], u8),
    /// The top-level value is complete: only whitespace may follow.
    Done,
    /// Not JSON: nothing further is read.
    Stopped,
}

/// The incremental checker: [`feed`](Checker::feed) chunks in order, then
/// [`finish`](Checker::finish).
#[derive(Debug)]
pub struct Checker {
    found: Checked,
    offset: u64,
    st: St,
    stack: Vec<Frame>,
    /// The current string is a key.
    in_key: bool,
    /// The current string is a key of a kept object: its raw bytes, for its name.
    key: Option<Vec<u8>>,
    /// The role the next value has, decided by its key.
    role: Role,
    /// The payload the value after the current key is.
    role_payload: Option<Payload>,
    /// The scalar being read is a payload.
    scalar_payload: Option<Payload>,
    /// A captured value is being copied: the stack depth it started at, and where in the
    /// current chunk its bytes start.
    capture: Option<usize>,
    capture_from: usize,
    /// Offset of a `\u` escape of a high surrogate still waiting for its low half.
    high_at: Option<u64>,
    escape_at: u64,
    utf8_carry: Vec<u8>,
    utf8_carry_at: u64,
}

impl Default for Checker {
    fn default() -> Self {
        Checker {
            found: Checked::default(),
            offset: 0,
            st: St::Value,
            stack: Vec::new(),
            in_key: false,
            key: None,
            role: Role::Skipped,
            role_payload: None,
            scalar_payload: None,
            capture: None,
            capture_from: 0,
            high_at: None,
            escape_at: 0,
            utf8_carry: Vec::new(),
            utf8_carry_at: 0,
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl Checker {
    /// The next bytes of the answer.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.found.head.len() < HEAD_LIMIT {
            let take = (HEAD_LIMIT - self.found.head.len()).min(chunk.len());
            self.found.head.extend_from_slice(&chunk[..take]);
        }
        self.utf8(chunk);
        self.capture_from = 0;
        let mut i = 0;
        while i < chunk.len() {
            i = match self.st {
                St::Str => self.string(chunk, i),
                St::Stopped => break,
                _ => self.step(chunk, i),
            };
        }
        if self.capture.is_some() {
            self.keep(&chunk[self.capture_from.min(chunk.len())..]);
        }
        self.offset += chunk.len() as u64;
    }

    /// Where a payload begins, and where it ends once its end has been read.
    pub fn payload_so_far(&self, which: Payload) -> Option<(u64, Option<u64>)> {
        self.found.payloads[which as usize]
            .map(|(start, end)| (start, (end > start).then_some(end)))
    }

    /// How many bytes were fed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// What the whole answer was found to be.
    pub fn finish(mut self) -> Checked {
        let end = self.offset;
        self.found.len = end;
        if !self.utf8_carry.is_empty() && self.found.bad_utf8.is_none() {
            self.found.bad_utf8 = Some(self.utf8_carry_at);
        }
        match self.st {
            St::Done => {}
            St::Number(Num::Zero | Num::Int | Num::Frac | Num::Exp) if self.stack.is_empty() => {}
            St::Stopped => {}
            _ => self.found.syntax = Some(end),
        }
        self.found
    }

    fn at(&self, i: usize) -> u64 {
        self.offset + i as u64
    }

    fn fail(&mut self, i: usize) -> usize {
        if self.found.syntax.is_none() {
            self.found.syntax = Some(self.at(i));
        }
        self.st = St::Stopped;
        usize::MAX
    }

    fn note(&mut self, at: u64, what: &'static str) {
        if self.found.defect.is_none() {
            self.found.defect = Some((at, what));
        }
    }

    /// Appends to the skeleton, within its limit.
    fn keep(&mut self, bytes: &[u8]) {
        if self.found.skeleton.len() + bytes.len() > SKELETON_LIMIT {
            self.found.skeleton_overflow = true;
        } else {
            self.found.skeleton.extend_from_slice(bytes);
        }
    }

    /// One step from `chunk[i]`; the index to go on from.
    fn step(&mut self, chunk: &[u8], i: usize) -> usize {
        let b = chunk[i];
        match self.st {
            St::Str => return self.string(chunk, i),
            St::Escape => {
                self.key_byte(b);
                match b {
                    b'u' => {
                        self.st = St::Hex(0, 0);
                        return i + 1;
                    }
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    _ => return self.fail(i),
                }
                self.unpaired_high();
                self.st = St::Str;
            }
            St::Hex(n, acc) => {
                let Some(d) = (b as char).to_digit(16) else {
                    let at = self.escape_at;
                    self.note(at, "a \\u escape without four hex digits");
                    return self.fail(i);
                };
                let acc = acc << 4 | d as u16;
                self.key_byte(b);
                if n < 3 {
                    self.st = St::Hex(n + 1, acc);
                    return i + 1;
                }
                self.st = St::Str;
                self.surrogate(acc);
            }
            St::Number(n) => return self.number(chunk, i, n),
            St::Literal(word, k) => {
                if b != word[k as usize] {
                    return self.fail(i);
                }
                if k as usize + 1 == word.len() {
                    return self.value_end(chunk, i + 1);
                }
                self.st = St::Literal(word, k + 1);
            }
            _ if is_space(b) => {}
            St::Value => return self.value_start(chunk, i),
            St::ValueOrClose => {
                return match b {
                    b']' => self.close(chunk, i),
                    _ => self.value_start(chunk, i),
                }
            }
            St::KeyOrClose | St::Key => match b {
                b'"' => self.key_start(),
                b'}' if self.st == St::KeyOrClose => return self.close(chunk, i),
                _ => return self.fail(i),
            },
            St::Colon => match b {
                b':' => self.st = St::Value,
                _ => return self.fail(i),
            },
            St::After => match (b, self.stack.last().map(|f| f.object)) {
                (b',', Some(true)) => self.st = St::Key,
                (b',', Some(false)) => self.st = St::Value,
                (b'}', Some(true)) | (b']', Some(false)) => return self.close(chunk, i),
                _ => return self.fail(i),
            },
            St::Done | St::Stopped => return self.fail(i),
        }
        i + 1
    }

    /// A key's opening quote was read.
    fn key_start(&mut self) {
        let kept =
            self.stack.last().is_some_and(|f| f.place != Place::Skipped) && self.capture.is_none();
        self.key = kept.then(Vec::new);
        self.in_key = true;
        self.st = St::Str;
    }

    /// Inside a string: skips plain bytes eight at a time (strings are most of an answer).
    fn string(&mut self, chunk: &[u8], i: usize) -> usize {
        let end = plain_run(chunk, i);
        if end > i {
            self.unpaired_high();
            if let Some(key) = self.key.as_mut() {
                let room = KEY_LIMIT.saturating_sub(key.len()).min(end - i);
                key.extend_from_slice(&chunk[i..i + room]);
                if end - i > room {
                    key.push(0); // too long to be a name of ours; the 0 keeps it unmatched
                }
            }
        }
        if end >= chunk.len() {
            return end;
        }
        match chunk[end] {
            b'"' => {
                self.unpaired_high();
                if self.in_key {
                    self.in_key = false;
                    match self.key.take() {
                        Some(key) => self.classify(&key),
                        None => (self.role, self.role_payload) = (Role::Skipped, None),
                    }
                    // Compact JSON (`"key":"value"`) goes on without a round through `step`.
                    if chunk.get(end + 1) == Some(&b':') {
                        self.st = St::Value;
                        if chunk.get(end + 2).is_some_and(|b| !is_space(*b)) {
                            return self.value_start(chunk, end + 2);
                        }
                        return end + 2;
                    }
                    self.st = St::Colon;
                    return end + 1;
                }
                self.value_end(chunk, end + 1)
            }
            b'\\' => {
                self.escape_at = self.at(end);
                self.key_byte(b'\\');
                self.st = St::Escape;
                end + 1
            }
            control => {
                self.unpaired_high();
                let at = self.at(end);
                self.note(at, "a raw control character inside a string");
                self.key_byte(control);
                end + 1
            }
        }
    }

    fn key_byte(&mut self, b: u8) {
        if let Some(key) = self.key.as_mut() {
            if key.len() < KEY_LIMIT {
                key.push(b);
            }
        }
    }

    fn surrogate(&mut self, unit: u16) {
        let at = self.escape_at;
        match unit {
            0xD800..=0xDBFF => {
                self.unpaired_high();
                self.high_at = Some(at);
            }
            0xDC00..=0xDFFF => {
                if self.high_at.take().is_none() {
                    self.note(at, "a \\u escape of half a surrogate pair");
                }
            }
            _ => self.unpaired_high(),
        }
    }

    /// A high surrogate followed by anything but its low half.
    fn unpaired_high(&mut self) {
        if let Some(at) = self.high_at.take() {
            self.note(at, "a \\u escape of half a surrogate pair");
        }
    }

    fn number(&mut self, chunk: &[u8], mut i: usize, mut n: Num) -> usize {
        while i < chunk.len() {
            n = match self.digit(chunk, i, n) {
                Ok(next) => next,
                Err(go_on) => return go_on,
            };
            i += 1;
        }
        self.st = St::Number(n);
        i
    }

    /// One byte of a number: the state after it, or (the number over) where to go on.
    fn digit(&mut self, chunk: &[u8], i: usize, n: Num) -> Result<Num, usize> {
        let b = chunk[i];
        Ok(match (n, b) {
            (Num::Minus, b'0') => Num::Zero,
            (Num::Minus, b'1'..=b'9') => Num::Int,
            (Num::Int, b'0'..=b'9') => Num::Int,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Dot | Num::Frac, b'0'..=b'9') => Num::Frac,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::E,
            (Num::E, b'+' | b'-') => Num::ESign,
            (Num::E | Num::ESign | Num::Exp, b'0'..=b'9') => Num::Exp,
            (Num::Zero | Num::Int | Num::Frac | Num::Exp, _) => {
                // The number ended just before this byte, which is read again.
                return Err(self.value_end(chunk, i));
            }
            _ => return Err(self.fail(i)),
        })
    }

    /// A value starts at `chunk[i]`: decide what the skeleton makes of it.
    fn value_start(&mut self, chunk: &[u8], i: usize) -> usize {
        let b = chunk[i];
        let (role, payload) = match (self.capture, self.stack.last()) {
            (Some(_), _) => (Role::Skipped, None),
            (None, None) => {
                self.found.top = Some(b);
                (Role::Nested("", Place::Root), None)
            }
            (None, Some(f)) if f.object && f.place != Place::Skipped => {
                (self.role, self.role_payload)
            }
            _ => (Role::Skipped, None),
        };
        if let Some(which) = payload {
            if self.found.payloads[which as usize].is_none() {
                self.found.payloads[which as usize] = Some((self.at(i), self.at(i)));
            }
        }
        let mut place = Place::Skipped;
        match role {
            Role::Captured(k) => {
                self.member_name(CAPTURED[k]);
                self.capture = Some(self.stack.len());
                self.capture_from = i;
            }
            Role::Nested(name, p) => {
                if !name.is_empty() {
                    self.member_name(name);
                }
                match (b, self.stack.is_empty()) {
                    (b'{', _) => {
                        self.keep(b"{");
                        place = p;
                    }
                    (_, false) => self.keep(b"null"),
                    // A top-level value of another kind: one of its kind, for the message.
                    (b'[', true) => self.keep(b"[]"),
                    (b'"', true) => self.keep(b"\"\""),
                    (b't' | b'f' | b'n', true) => self.keep(b"null"),
                    (_, true) => self.keep(b"0"),
                }
            }
            Role::Skipped => {}
        }
        match b {
            b'{' | b'[' => {
                if self.stack.len() >= MAX_DEPTH {
                    return self.fail(i);
                }
                self.stack.push(Frame {
                    object: b == b'{',
                    place,
                    written: 0,
                    payload,
                });
                self.found.depth = self.found.depth.max(self.stack.len());
                self.st = if b == b'{' {
                    St::KeyOrClose
                } else {
                    St::ValueOrClose
                };
            }
            b'"' => {
                self.scalar_payload = payload;
                self.st = St::Str;
            }
            b'-' | b'0'..=b'9' => {
                self.scalar_payload = payload;
                self.st = St::Number(match b {
                    b'-' => Num::Minus,
                    b'0' => Num::Zero,
                    _ => Num::Int,
                });
            }
            b't' | b'f' | b'n' => {
                self.scalar_payload = payload;
                let word: &'static [u8] = match b {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                self.st = St::Literal(word, 1);
            }
            _ => return self.fail(i),
        }
        i + 1
    }

    /// Writes `,"name":` into the kept object on top of the stack.
    fn member_name(&mut self, name: &str) {
        let Some(frame) = self.stack.last_mut() else {
            return;
        };
        let comma = frame.written > 0;
        frame.written += 1;
        if comma {
            self.keep(b",");
        }
        self.keep(format!("\"{name}\":").as_bytes());
    }

    /// A container closes at `chunk[i]`.
    fn close(&mut self, chunk: &[u8], i: usize) -> usize {
        let Some(frame) = self.stack.pop() else {
            return self.fail(i);
        };
        if frame.place != Place::Skipped {
            self.keep(b"}");
        }
        if let Some(which) = frame.payload {
            self.end_payload(which, self.at(i + 1));
        }
        self.value_end(chunk, i + 1)
    }

    /// A value ended just before `chunk[end]`.
    fn value_end(&mut self, chunk: &[u8], end: usize) -> usize {
        if self.capture == Some(self.stack.len()) {
            self.keep(&chunk[self.capture_from.min(end)..end]);
            self.capture = None;
        }
        if let Some(which) = self.scalar_payload.take() {
            self.end_payload(which, self.at(end));
        }
        let Some(parent) = self.stack.last() else {
            self.st = St::Done;
            return end;
        };
        self.st = St::After;
        // Compact JSON (`…,"key"` and `…,value`) goes on without a round through `step`.
        if chunk.get(end) == Some(&b',') {
            if !parent.object {
                self.st = St::Value;
                return end + 1;
            }
            self.st = St::Key;
            if chunk.get(end + 1) == Some(&b'"') {
                self.key_start();
                return end + 2;
            }
            return end + 1;
        }
        end
    }

    fn end_payload(&mut self, which: Payload, end: u64) {
        if let Some((start, stop)) = &mut self.found.payloads[which as usize] {
            if *stop == *start {
                *stop = end;
            }
        }
    }

    /// Decides the role of the value after `raw` (a key of a kept object).
    fn classify(&mut self, raw: &[u8]) {
        let name: Option<String> = if raw.contains(&b'\\') {
            let mut quoted = Vec::with_capacity(raw.len() + 2);
            quoted.push(b'"');
            quoted.extend_from_slice(raw);
            quoted.push(b'"');
            serde_json::from_slice(&quoted).ok()
        } else {
            std::str::from_utf8(raw).ok().map(str::to_string)
        };
        let parent = self.stack.last().map_or(Place::Skipped, |f| f.place);
        let name = name.unwrap_or_default();
        self.role_payload = match (parent, name.as_str()) {
            (Place::Root, "data") => Some(Payload::Data),
            (Place::Result, "data") => Some(Payload::ResultData),
            (Place::Cpanelresult, "data") => Some(Payload::CpanelresultData),
            (Place::DataUapi, "data") => Some(Payload::DataUapiData),
            _ => None,
        };
        self.role = if let Some(k) = CAPTURED.iter().position(|c| *c == name) {
            Role::Captured(k)
        } else {
            match (parent, name.as_str()) {
                (Place::Root, "data") => Role::Nested("data", Place::Data),
                (Place::Root, "result") => Role::Nested("result", Place::Result),
                (Place::Root, "cpanelresult") => Role::Nested("cpanelresult", Place::Cpanelresult),
                (Place::Data, "uapi") => Role::Nested("uapi", Place::DataUapi),
                (_, "data") => Role::Nested("data", Place::Other),
                (_, "result") => Role::Nested("result", Place::Other),
                (_, "cpanelresult") => Role::Nested("cpanelresult", Place::Other),
                (_, "uapi") => Role::Nested("uapi", Place::Other),
                _ => Role::Skipped,
            }
        };
    }

    /// UTF-8 across chunk boundaries: a sequence cut by the boundary waits for the next chunk.
    fn utf8(&mut self, mut chunk: &[u8]) {
        if self.found.bad_utf8.is_some() {
            return;
        }
        let mut base = self.offset;
        if !self.utf8_carry.is_empty() {
            let width = match self.utf8_carry[0] {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let take = (width - self.utf8_carry.len()).min(chunk.len());
            self.utf8_carry.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            base += take as u64;
            if self.utf8_carry.len() < width {
                return;
            }
            if std::str::from_utf8(&self.utf8_carry).is_err() {
                self.found.bad_utf8 = Some(self.utf8_carry_at);
                return;
            }
            self.utf8_carry.clear();
        }
        if let Err(e) = std::str::from_utf8(chunk) {
            let at = base + e.valid_up_to() as u64;
            match e.error_len() {
                Some(_) => self.found.bad_utf8 = Some(at),
                None => {
                    self.utf8_carry = chunk[e.valid_up_to()..].to_vec();
                    self.utf8_carry_at = at;
                }
            }
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that equals `byte` (exact for the lowest such byte).
fn bytes_equal(x: u64, byte: u8) -> u64 {
    let y = x ^ (ONES * u64::from(byte));
    y.wrapping_sub(ONES) & !y & HIGHS
}

/// The index of the first byte from `i` that `stop` picks, eight bytes at a time: `flags`
/// marks such bytes in a word (its lowest mark must be exact), `stop` tells them one by one.
fn first_stop(
    body: &[u8],
    mut i: usize,
    flags: impl Fn(u64) -> u64,
    stop: impl Fn(u8) -> bool,
) -> usize {
    while let Some(chunk) = body.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = flags(u64::from_le_bytes(word));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < body.len() && !stop(body[i]) {
        i += 1;
    }
    i
}

/// The index of the next `"` or `\` from `i` (or the length): strings are short, and a
/// library search costs more than it saves on a dozen bytes.
pub fn quote_or_backslash(body: &[u8], i: usize) -> usize {
    first_stop(
        body,
        i,
        |x| bytes_equal(x, b'"') | bytes_equal(x, b'\\'),
        |b| matches!(b, b'"' | b'\\'),
    )
}

/// The index of the next byte from `i` that a string scan must look at (`"`, `\`, or a
/// control character): strings are most of an answer's bytes.
fn plain_run(body: &[u8], i: usize) -> usize {
    // Bytes below 0x20: subtracting 0x20 borrows into the high bit (for ASCII bytes; bytes
    // >= 0x80 are told apart by `!x`).
    let control = |x: u64| x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    first_stop(
        body,
        i,
        |x| bytes_equal(x, b'"') | bytes_equal(x, b'\\') | control(x),
        |b| matches!(b, b'"' | b'\\' | 0x00..=0x1f),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same findings whether the text comes whole, byte by byte, or in odd pieces.
    fn checked(body: &[u8]) -> Checked {
        let whole = check(body);
        for size in [1, 2, 3, 7] {
            let mut c = Checker::default();
            for piece in body.chunks(size) {
                c.feed(piece);
            }
            assert_eq!(
                c.finish(),
                whole,
                "{} in pieces of {size}",
                String::from_utf8_lossy(body)
            );
        }
        whole
    }

    #[test]
    fn defects_and_depth_table() {
        let half = Some("a \\u escape of half a surrogate pair");
        let cases: &[(&str, usize, Option<&str>)] = &[
            ("[[1]]", 2, None),
            (r#"{"a":"[[[[[["}"#, 1, None),
            (r#"{"a":"\"[[[["}"#, 1, None),
            (r#"{"a":{"b":[]}}"#, 3, None),
            (r#"["\ud83d\ude00 fine"]"#, 1, None),
            (r#"["\u00e9\n\\"]"#, 1, None),
            (r#"{"a":"\ud800 x"}"#, 1, half),
            (r#"{"a":"\udc00"}"#, 1, half),
            (r#"{"a":"\ud800\u0041"}"#, 1, half),
            (r#"{"a":"\ud800"}"#, 1, half),
            (r#"{"a":"\ud800\n"}"#, 1, half),
            (
                r#"{"a":"\u12"}"#,
                1,
                Some("a \\u escape without four hex digits"),
            ),
            (
                "[\"a\u{1b}b\"]",
                1,
                Some("a raw control character inside a string"),
            ),
        ];
        for (body, depth, defect) in cases {
            let found = checked(body.as_bytes());
            assert_eq!(found.depth, *depth, "{body}");
            assert_eq!(found.defect.map(|(_, what)| what), *defect, "{body}");
        }
        assert_eq!(checked(br#"{"a":"\ud800"}"#).defect.map(|d| d.0), Some(6));
    }

    #[test]
    fn syntax_table() {
        let cases: &[(&str, Option<u64>)] = &[
            (r#"{"a":1}"#, None),
            (
                " {\"a\" : [1, 2.5e-3, -0, true, false, null, \"x\"]} \n",
                None,
            ),
            ("12", None),
            ("\"s\"", None),
            ("", Some(0)),
            ("{", Some(1)),
            (r#"{"a":1"#, Some(6)),
            (r#"{"a":1,}"#, Some(7)),
            (r#"{"a" 1}"#, Some(5)),
            ("[1 2]", Some(3)),
            ("[01]", Some(2)),
            ("[1.]", Some(3)),
            ("[-]", Some(2)),
            ("[tru]", Some(4)),
            (r#"{"a":1}x"#, Some(7)),
            (r#"{"a":1}}"#, Some(7)),
            (r#"["\x"]"#, Some(3)),
            ("<html>", Some(0)),
            ("[1e5,1E+2,0.5]", None),
        ];
        for (body, syntax) in cases {
            assert_eq!(checked(body.as_bytes()).syntax, *syntax, "{body}");
        }
    }

    #[test]
    fn utf8_table() {
        let cases: &[(&[u8], Option<u64>)] = &[
            ("[\"é€😀\"]".as_bytes(), None),
            (b"[\"\xff\"]", Some(2)),
            (b"[\"a\xc3\"]", Some(3)),
            (b"[\"\xe2\x82\"]", Some(2)),
            (b"\"\xe2\x82", Some(1)),
        ];
        for (body, bad) in cases {
            assert_eq!(checked(body).bad_utf8, *bad, "{body:?}");
        }
    }

    #[test]
    fn skeleton_keeps_only_the_verdict_members() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"data":{"acct":[{"status":0}]},"metadata":{"result":1,"reason":"OK"}}"#,
                r#"{"data":{},"metadata":{"result":1,"reason":"OK"}}"#,
            ),
            (
                r#"{"status":"1","errors":null,"data":[1,2],"messages":["a"]}"#,
                r#"{"status":"1","errors":null,"data":null,"messages":["a"]}"#,
            ),
            (
                r#"{"metadata":{"result":1},"data":{"uapi":{"status":0,"errors":["no"],"data":{"x":1}}}}"#,
                r#"{"metadata":{"result":1},"data":{"uapi":{"status":0,"errors":["no"],"data":{}}}}"#,
            ),
            (
                r#"{"cpanelresult":{"event":{"result":1},"data":[{"a":1}],"error":null}}"#,
                r#"{"cpanelresult":{"event":{"result":1},"data":null,"error":null}}"#,
            ),
            (r#"{"st\u0061tus":1}"#, r#"{"status":1}"#),
            (r#"{"status":1,"status":0}"#, r#"{"status":1,"status":0}"#),
            (r#"[{"status":1}]"#, "[]"),
            (r#""x""#, r#""""#),
            ("null", "null"),
            ("-3", "0"),
        ];
        for (body, skeleton) in cases {
            let found = checked(body.as_bytes());
            assert_eq!(
                String::from_utf8_lossy(&found.skeleton),
                *skeleton,
                "{body}"
            );
        }
    }

    #[test]
    fn payload_ranges() {
        let cases: &[(&str, Payload, Option<&str>)] = &[
            (
                r#"{"data":{"a":[1,2]},"metadata":{}}"#,
                Payload::Data,
                Some(r#"{"a":[1,2]}"#),
            ),
            (r#"{"data": 12 ,"status":1}"#, Payload::Data, Some("12")),
            (r#"{"data":"x\"y"}"#, Payload::Data, Some(r#""x\"y""#)),
            (r#"{"data":null}"#, Payload::Data, Some("null")),
            (r#"{"status":1}"#, Payload::Data, None),
            (
                r#"{"result":{"data":[3]}}"#,
                Payload::ResultData,
                Some("[3]"),
            ),
            (
                r#"{"cpanelresult":{"data":[{"x":1}]}}"#,
                Payload::CpanelresultData,
                Some(r#"[{"x":1}]"#),
            ),
            (
                r#"{"data":{"uapi":{"data":true}}}"#,
                Payload::DataUapiData,
                Some("true"),
            ),
            (r#"{"x":{"data":1}}"#, Payload::Data, None),
        ];
        for (body, which, want) in cases {
            let found = checked(body.as_bytes());
            let got = found
                .payload(*which)
                .map(|r| &body[r.start as usize..r.end as usize]);
            assert_eq!(got, *want, "{body}");
        }
    }

    #[test]
    fn deep_answers_are_bounded() {
        let deep = "[".repeat(MAX_DEPTH + 5);
        let found = check(deep.as_bytes());
        assert_eq!(found.depth, MAX_DEPTH);
        assert!(found.syntax.is_some());
        let fine = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
        assert_eq!(check(fine.as_bytes()).depth, 5_000);
        assert!(check(fine.as_bytes()).is_json());
    }
}

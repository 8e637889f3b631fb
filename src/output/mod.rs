//! Writing the answer to stdout: as received, indented, or compact.
//!
//! The formatter works on the bytes of a body already known to be valid JSON, token by token,
//! so numbers, key order, duplicate keys and escapes stay exactly as the server sent them, and
//! a large answer is never held twice.

pub mod answer;
pub mod curl;
pub mod filter;
pub mod jq_input;
pub mod lines;
pub mod stderr;
pub mod table;

use std::io::{self, Write};

use cpanel_client::__internals::Body;
use cpanel_client::View;

/// Whoever reads stdout went away (`| head -c1`): a write met EPIPE.
static READER_GONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes a failed write to stdout: `true` when it failed because the reader went away, which
/// is not an error to report but the end of the run — no further call is started (a batch must
/// not go on creating accounts for nobody), and cpcall exits as a program killed by SIGPIPE
/// would (141), as `cat` does in the same place.
pub fn reader_gone(e: &io::Error) -> bool {
    let gone = e.kind() == io::ErrorKind::BrokenPipe;
    if gone {
        READER_GONE.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    gone
}

/// Whether a write to stdout found its reader gone.
pub fn stdout_closed() -> bool {
    READER_GONE.load(std::sync::atomic::Ordering::Relaxed)
}

/// The exit status of a run whose stdout reader went away: 128 + SIGPIPE.
pub const READER_GONE_EXIT: u8 = 141;

/// `-o FILE`: stdout is a temporary file that replaces FILE on success.
static OUTPUT_FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Stdout is the temporary file of `-o FILE` from now on.
pub fn set_output_file(path: &std::path::Path) {
    let _ = OUTPUT_FILE.set(path.to_path_buf());
}

/// What stdout is, for messages: `standard output`, or (`-o FILE`) FILE, whose old copy a
/// failure leaves as it was.
pub fn stdout_name() -> String {
    match OUTPUT_FILE.get() {
        Some(path) => format!("{} (its old copy stays as it was)", path.display()),
        None => "standard output".to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The bytes as received, plus a final newline if missing.
    AsReceived,
    /// Two-space indentation, like `jq .`.
    Pretty,
    /// No insignificant whitespace: one line.
    Compact,
}

/// Writes the JSON of `view` in `style`; `color` adds ANSI colours (keys, strings, numbers,
/// literals). The text streams through piece by piece, so an answer of any size costs the
/// same memory.
pub fn write_json(out: &mut dyn Write, view: &View, style: Style, color: bool) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    match (style, color) {
        (Style::AsReceived, false) => {
            let mut last = None;
            view.each_piece(&mut |piece| {
                last = piece.last().copied().or(last);
                out.write_all(piece)
            })?;
            if last != Some(b'\n') {
                out.write_all(b"\n")?;
            }
        }
        _ => {
            let indent = (style == Style::Pretty).then_some(2);
            write_layout(&mut out, view, indent, color)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()
}

/// Writes `view` re-laid (indented by `indent`, or compact), without a final line break.
pub fn write_layout(
    out: &mut impl Write,
    view: &View,
    indent: Option<usize>,
    color: bool,
) -> io::Result<()> {
    let mut layout = Layout::new(indent, color);
    view.each_piece(&mut |piece| layout.feed(out, piece))
}

/// Writes whole JSON text held in memory (tests, small answers).
pub fn write_bytes(out: &mut dyn Write, json: &[u8], style: Style, color: bool) -> io::Result<()> {
    let body = Body::from_vec(json.to_vec());
    write_json(out, &View::whole(&body), style, color)
}

/// A single call's answer written to stdout as it arrives, when stdout is a regular file (the
/// cron job's `> listing.json`): no copy waits in a temporary file, and an answer that turns out
/// broken is cut off again ([`undo`](Direct::undo) truncates the file to where it stood), so
/// the promise holds: nothing of a broken answer stays on stdout. On a pipe or a terminal,
/// which cannot be taken back, the answer waits until judged (in the library's spool).
pub struct Direct {
    style: Style,
    color: bool,
    /// Where stdout's file stood before the answer.
    start: u64,
    /// Something was written since the start (or the last undo).
    wrote: bool,
    layout: Layout,
    last: Option<u8>,
    /// stdout's file itself (a duplicate descriptor): std's stdout would look for line breaks
    /// in every piece. Pieces past the buffer's size go straight through.
    out: io::BufWriter<Gated>,
}

/// What the library's client writes as the answer arrives ([`cpanel_client::Client::stream_to`]).
impl cpanel_client::Sink for Direct {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.emit(bytes)
    }
    fn finish(&mut self) -> io::Result<()> {
        Direct::finish(self)
    }
    fn undo(&mut self) -> io::Result<()> {
        Direct::undo(self)
    }
    fn keep(&mut self) {
        crate::signals::keep_stdout();
    }
    fn name(&self) -> String {
        stdout_name()
    }
}

/// stdout's file, written behind the gate a signal's clean-up takes (crate::signals): no
/// piece lands after a signal cut the file back.
struct Gated(std::fs::File);

impl Write for Gated {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        crate::signals::write_stdout_file(&mut self.0, buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Direct {
    /// A direct writer when stdout is a regular file; `payload` for `--data`.
    ///
    /// Only where cutting back takes nothing but the answer: a file opened for writing at its
    /// end (`> file`). A file in append mode (`>> log`) may have other writers, whose lines a
    /// cut would take; a file opened read-write in its middle (`1<> file`) holds text after the
    /// answer's place. Those, like pipes, get the answer once it is judged.
    pub fn for_stdout(style: Style, color: bool) -> Option<Direct> {
        use rustix::fs::{fcntl_getfl, fstat, seek, FileType, OFlags, SeekFrom};
        let fd = rustix::stdio::stdout();
        let stat = fstat(fd).ok()?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile
            || fcntl_getfl(fd).ok()?.contains(OFlags::APPEND)
        {
            return None;
        }
        let start = seek(fd, SeekFrom::Current(0)).ok()?;
        if start != stat.st_size as u64 {
            return None;
        }
        // `> log 2>&1`: stderr's lines (-v, warnings) go to the same file after the answer's
        // start, and cutting the answer back would take them too.
        if let Ok(err) = fstat(rustix::stdio::stderr()) {
            if (err.st_dev, err.st_ino) == (stat.st_dev, stat.st_ino) {
                return None;
            }
        }
        // A signal that ends cpcall mid-answer cuts the file back too.
        crate::signals::cut_stdout_on_signal(start);
        Some(Direct {
            style,
            color,
            start,
            wrote: false,
            layout: Layout::new((style == Style::Pretty).then_some(2), color),
            last: None,
            out: io::BufWriter::with_capacity(
                64 << 10,
                Gated(std::fs::File::from(rustix::io::dup(fd).ok()?)),
            ),
        })
    }

    fn raw(&self) -> bool {
        self.style == Style::AsReceived && !self.color
    }

    /// Writes shown bytes (all of the answer, or a payload's part).
    pub fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.wrote = true;
        self.last = bytes.last().copied();
        match self.raw() {
            true => self.out.write_all(bytes),
            false => self.layout.feed(&mut self.out, bytes),
        }
    }

    /// The answer is complete: the final line break.
    pub fn finish(&mut self) -> io::Result<()> {
        self.wrote = true;
        if !self.raw() || self.last != Some(b'\n') {
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }

    /// Takes back everything written: the file is cut to where it stood. Also before a second
    /// answer (a request sent again after a new login).
    pub fn undo(&mut self) -> io::Result<()> {
        if !self.wrote {
            return Ok(());
        }
        self.out.flush()?;
        let file = &self.out.get_ref().0;
        rustix::fs::ftruncate(file, self.start)?;
        rustix::fs::seek(file, rustix::fs::SeekFrom::Start(self.start))?;
        self.wrote = false;
        self.layout = Layout::new(self.layout.indent, self.color);
        self.last = None;
        Ok(())
    }
}

const KEY: &[u8] = b"\x1b[1;34m";
const STRING: &[u8] = b"\x1b[32m";
const NUMBER: &[u8] = b"\x1b[36m";
const LITERAL: &[u8] = b"\x1b[33m";
const NULL: &[u8] = b"\x1b[90m";
const RESET: &[u8] = b"\x1b[0m";

/// Re-lays valid JSON with `indent` spaces per level, or compact when `None`, fed in pieces
/// split anywhere. Keys are told from strings by position (after `{` or `,` in an object), and
/// an empty `{}` or `[]` stays on one line by holding the line break after an opening bracket
/// until the next byte shows whether the container is empty. Each piece is laid out into a
/// buffer and written at once: many tiny writes cost more than the layout.
struct Layout {
    indent: Option<usize>,
    color: bool,
    /// The open containers: true for objects.
    stack: Vec<bool>,
    key_next: bool,
    open_pending: bool,
    in_string: bool,
    escaped: bool,
    in_token: bool,
    buf: Vec<u8>,
}

impl Layout {
    fn new(indent: Option<usize>, color: bool) -> Layout {
        Layout {
            indent,
            color,
            stack: Vec::new(),
            key_next: false,
            open_pending: false,
            in_string: false,
            escaped: false,
            in_token: false,
            buf: Vec::new(),
        }
    }

    fn newline(&mut self) {
        if let Some(width) = self.indent {
            self.buf.push(b'\n');
            let mut spaces = self.stack.len() * width;
            while spaces > 0 {
                let n = spaces.min(SPACES.len());
                self.buf.extend_from_slice(&SPACES[..n]);
                spaces -= n;
            }
        }
    }

    fn paint(&mut self, code: &[u8]) {
        if self.color {
            self.buf.extend_from_slice(code);
        }
    }

    /// Inside a string from `piece[i]`: the index just past its closing quote, or the end of
    /// the piece.
    fn string_run(&mut self, piece: &[u8], mut j: usize) -> usize {
        loop {
            if self.escaped {
                if j >= piece.len() {
                    return j;
                }
                self.escaped = false;
                j += 1;
                continue;
            }
            let k = cpanel_client::__internals::quote_or_backslash(piece, j);
            match piece.get(k) {
                None => return piece.len(),
                Some(b'\\') => {
                    self.escaped = true;
                    j = k + 1;
                }
                Some(_) => {
                    self.in_string = false;
                    return k + 1;
                }
            }
        }
    }

    fn feed(&mut self, out: &mut impl Write, piece: &[u8]) -> io::Result<()> {
        self.buf.clear();
        self.buf.reserve(piece.len() + piece.len() / 2);
        match (self.indent, self.color) {
            (None, false) => self.compact(piece),
            _ => self.general(piece, out)?,
        }
        out.write_all(&self.buf)
    }

    /// Compact without colour: the text less its whitespace outside strings, copied in runs.
    fn compact(&mut self, piece: &[u8]) {
        let (mut i, mut from) = (0, 0);
        while i < piece.len() {
            if self.in_string {
                i = self.string_run(piece, i);
                continue;
            }
            while i < piece.len() && !matches!(piece[i], b'"' | b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            if i == piece.len() {
                break;
            }
            if piece[i] == b'"' {
                self.in_string = true;
                i += 1;
                continue;
            }
            self.buf.extend_from_slice(&piece[from..i]);
            while i < piece.len() && matches!(piece[i], b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            from = i;
        }
        self.buf.extend_from_slice(&piece[from..]);
    }

    /// Indented (or coloured) output grows with the nesting: written out as it grows, so a
    /// deep answer costs output, not memory.
    fn general(&mut self, piece: &[u8], out: &mut impl Write) -> io::Result<()> {
        let mut i = 0;
        while i < piece.len() {
            if self.buf.len() >= 256 << 10 {
                out.write_all(&self.buf)?;
                self.buf.clear();
            }
            if self.in_string {
                let j = self.string_run(piece, i);
                self.buf.extend_from_slice(&piece[i..j]);
                if !self.in_string {
                    self.paint(RESET);
                }
                i = j;
                continue;
            }
            if self.in_token {
                let end = piece[i..]
                    .iter()
                    .position(|b| {
                        matches!(b, b',' | b']' | b'}' | b':' | b' ' | b'\t' | b'\n' | b'\r')
                    })
                    .map_or(piece.len(), |k| i + k);
                self.buf.extend_from_slice(&piece[i..end]);
                if end < piece.len() {
                    self.in_token = false;
                    self.paint(RESET);
                }
                i = end;
                continue;
            }
            let b = piece[i];
            i += 1;
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                continue;
            }
            if self.open_pending {
                self.open_pending = false;
                if matches!(b, b'}' | b']') {
                    self.stack.pop();
                    self.buf.push(b);
                    continue;
                }
                self.newline();
            }
            match b {
                b'"' => {
                    self.paint(if self.key_next { KEY } else { STRING });
                    self.key_next = false;
                    self.in_string = true;
                    self.buf.push(b'"');
                }
                b'{' | b'[' => {
                    self.buf.push(b);
                    self.stack.push(b == b'{');
                    self.open_pending = true;
                    self.key_next = b == b'{';
                }
                b'}' | b']' => {
                    self.stack.pop();
                    self.newline();
                    self.buf.push(b);
                }
                b',' => {
                    self.buf.push(b',');
                    self.newline();
                    self.key_next = self.stack.last() == Some(&true);
                }
                b':' => {
                    self.buf
                        .extend_from_slice(if self.indent.is_some() { b": " } else { b":" })
                }
                _ => {
                    let code = match b {
                        b'n' => NULL,
                        b't' | b'f' => LITERAL,
                        _ => NUMBER,
                    };
                    self.paint(code);
                    self.buf.push(b);
                    self.in_token = true;
                }
            }
        }
        Ok(())
    }
}

const SPACES: &[u8] = &[b' '; 64];

#[cfg(test)]
mod tests {
    use super::*;

    fn render(body: &str, style: Style) -> String {
        let mut out = Vec::new();
        write_bytes(&mut out, body.as_bytes(), style, false).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn styles_table() {
        let body = r#"{"b":1.10,"a":[1, {}],"s":"x\"y, {z}","e":[ ],"n":{"k":null}}"#;
        let pretty = "{\n  \"b\": 1.10,\n  \"a\": [\n    1,\n    {}\n  ],\n  \"s\": \"x\\\"y, {z}\",\n  \"e\": [],\n  \"n\": {\n    \"k\": null\n  }\n}\n";
        let compact =
            "{\"b\":1.10,\"a\":[1,{}],\"s\":\"x\\\"y, {z}\",\"e\":[],\"n\":{\"k\":null}}\n";
        let cases = [
            (body, Style::Pretty, pretty.to_string()),
            (body, Style::Compact, compact.to_string()),
            (body, Style::AsReceived, format!("{body}\n")),
            ("{\"a\":1}\n", Style::AsReceived, "{\"a\":1}\n".to_string()),
            ("\"\\\\\"", Style::Pretty, "\"\\\\\"\n".to_string()),
            ("[]", Style::Pretty, "[]\n".to_string()),
        ];
        for (input, style, want) in cases {
            assert_eq!(render(input, style), want, "{input} {style:?}");
        }
    }

    #[test]
    fn colours_mark_keys_strings_numbers_and_literals() {
        let mut out = Vec::new();
        write_bytes(
            &mut out,
            br#"{"k":"v","n":-1.5e3,"t":true,"z":null}"#,
            Style::Compact,
            true,
        )
        .unwrap();
        let want = "{\x1b[1;34m\"k\"\x1b[0m:\x1b[32m\"v\"\x1b[0m,\x1b[1;34m\"n\"\x1b[0m:\x1b[36m-1.5e3\x1b[0m,\x1b[1;34m\"t\"\x1b[0m:\x1b[33mtrue\x1b[0m,\x1b[1;34m\"z\"\x1b[0m:\x1b[90mnull\x1b[0m}\n";
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    /// `--data` in each style, through the same writer: the payload's own text, re-laid.
    #[test]
    fn data_in_every_style_table() {
        use cpanel_client::__internals::payload_of;
        use cpanel_client::Kind;
        let body = br#"{"metadata":{"result":1},"data":{"acct":[{"user":"a","n":1.50}]}}"#;
        let owned = Body::from_vec(body.to_vec());
        let range = cpanel_client::__internals::check(body)
            .payload(payload_of(Kind::Whm))
            .map(|r| (r.start, r.end));
        let view = View::part(&owned, range);
        let cases = [
            (Style::AsReceived, false, "{\"acct\":[{\"user\":\"a\",\"n\":1.50}]}\n"),
            (Style::Compact, false, "{\"acct\":[{\"user\":\"a\",\"n\":1.50}]}\n"),
            (
                Style::Pretty,
                false,
                "{\n  \"acct\": [\n    {\n      \"user\": \"a\",\n      \"n\": 1.50\n    }\n  ]\n}\n",
            ),
            (
                Style::Compact,
                true,
                "{\x1b[1;34m\"acct\"\x1b[0m:[{\x1b[1;34m\"user\"\x1b[0m:\x1b[32m\"a\"\x1b[0m,\x1b[1;34m\"n\"\x1b[0m:\x1b[36m1.50\x1b[0m}]}\n",
            ),
        ];
        for (style, color, want) in cases {
            let mut out = Vec::new();
            write_json(&mut out, &view, style, color).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "{style:?} {color}");
        }
        let mut out = Vec::new();
        let absent = View::part(&owned, None);
        write_json(&mut out, &absent, Style::Pretty, false).unwrap();
        assert_eq!(out, b"null\n");
    }

    /// Pieces split anywhere (inside strings, escapes, numbers, `{}`) lay out the same.
    #[test]
    fn any_split_lays_out_the_same() {
        let body = br#"{"a\"b":[1.5e3,{},[],"x\\",{"k":null}],"t":true , "s":"\u00e9"}"#;
        for (indent, color) in [(Some(2), false), (None, false), (Some(2), true)] {
            let mut whole = Vec::new();
            Layout::new(indent, color).feed(&mut whole, body).unwrap();
            for size in 1..5 {
                let mut split = Vec::new();
                let mut layout = Layout::new(indent, color);
                for piece in body.chunks(size) {
                    layout.feed(&mut split, piece).unwrap();
                }
                assert_eq!(
                    String::from_utf8_lossy(&split),
                    String::from_utf8_lossy(&whole),
                    "{size}"
                );
            }
        }
    }

    #[test]
    fn pretty_output_is_the_same_json() {
        let body = r#"{"metadata":{"result":1,"reason":"OK"},"data":{"acct":[{"user":"a b","n":[1,2,{"x":"\u00e9"}]}]}}"#;
        for style in [Style::Pretty, Style::Compact] {
            let a: serde_json::Value = serde_json::from_str(body).unwrap();
            let b: serde_json::Value = serde_json::from_str(&render(body, style)).unwrap();
            assert_eq!(a, b);
        }
    }
}

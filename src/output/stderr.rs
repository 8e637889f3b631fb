//! Everything cpcall tells the person on stderr goes through here, for two reasons:
//!
//! - a closed stderr (`2>&-`, a reader that went away) must never panic the process, as
//!   `eprintln!` does; a line that cannot be written is dropped;
//! - text that came from a server (reasons, errors, certificate names, headers) may hold terminal
//!   escape sequences that retitle or clear the terminal: every control character is shown
//!   escaped (`\u{1b}`), so each message stays one visible line;
//! - a server may echo what it was sent (a reason quoting the Authorization header): every
//!   secret this run holds is masked as `***` in anything written here.

use std::borrow::Cow;
use std::io::Write;

/// Writes `text` and a line break, masked and escaped.
pub fn line(text: &str) {
    let text = crate::mask::masked(text);
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(escape(&text).as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}

/// `cpcall: TEXT`.
pub fn say(text: impl std::fmt::Display) {
    line(&format!("cpcall: {text}"));
}

/// `-q`: only errors are said.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on, say nothing but errors (`-q`): no warnings, no [`info`].
pub fn set_quiet() {
    QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// `cpcall: TEXT` that is not an error (the API's notes on success, what a command did):
/// dropped with `-q`.
pub fn info(text: impl std::fmt::Display) {
    if !quiet() {
        say(text);
    }
}

/// `cpcall: warning: TEXT`: cpcall goes on, but the user should know. Once per run: a batch
/// of 500 calls warns about a loose file mode once, not 500 times. Dropped with `-q`.
pub fn warn(text: impl std::fmt::Display) {
    let text = text.to_string();
    if first_time(&text) {
        warning_line(&text);
    }
}

/// `cpcall: warning: TEXT`, said whether or not it was said before (not with `-q`).
pub fn warning_line(text: &str) {
    if !quiet() {
        line(&format!("cpcall: warning: {text}"));
    }
}

/// Whether this warning is new to the run (warnings are said once).
pub fn first_time(text: &str) -> bool {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.iter().any(|s| s == text) {
        return false;
    }
    said.push(text.to_string());
    true
}

/// Several lines of one message (a certificate's details), each escaped on its own.
pub fn lines(text: &str) {
    for l in text.lines() {
        line(l);
    }
}

/// A question without a line break after it (the answer follows on the same line).
pub fn prompt(text: &str) {
    let text = crate::mask::masked(text);
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(escape(&text).as_bytes())
        .and_then(|()| err.flush());
}

/// Bytes of cpcall's own making, as they are: the progress line's `\r` and erase sequence.
pub fn raw(bytes: &[u8]) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes).and_then(|()| err.flush());
}

/// The library's words (its `-v` traffic, warnings, a `*_command`'s stderr) on stderr, as
/// cpcall says its own: masked, escaped, each warning once a run.
pub struct Reporter;

impl cpanel_client::Reporter for Reporter {
    fn traffic(&self, text: &str) {
        line(text);
    }
    fn warning(&self, message: &str) {
        let message = crate::mask::masked(message);
        if first_time(&message) {
            warning_line(&message);
        }
    }
    fn passthrough(&self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let text = crate::mask::masked(&text);
        raw(escape_for_terminal(&text).as_bytes());
    }
}

/// `text` with every control character (C0, DEL, C1) and every bidirectional override shown
/// as `\u{…}`, so that nothing in it acts on the terminal.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Like [`escape`], but line breaks and tabs stay: for text meant to be read as lines.
pub fn escape_for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    text.split('\n')
        .map(escape)
        .collect::<Vec<_>>()
        .join("\n")
        .into()
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_table() {
        let cases = [
            ("plain text", "plain text"),
            ("tab\tkept", "tab\tkept"),
            ("bad \u{1b}]0;pwned\u{7}", "bad \\u{1b}]0;pwned\\u{7}"),
            ("clear \u{1b}[2J", "clear \\u{1b}[2J"),
            ("two\nlines\r", "two\\u{a}lines\\u{d}"),
            ("c1 \u{9b}31m", "c1 \\u{9b}31m"),
            ("del \u{7f}", "del \\u{7f}"),
            ("bidi \u{202e}gnp.exe", "bidi \\u{202e}gnp.exe"),
            ("accents é ü ✓", "accents é ü ✓"),
        ];
        for (input, want) in cases {
            assert_eq!(escape(input), want, "{input:?}");
        }
        assert_eq!(
            escape_for_terminal("a\nb\u{1b}[2J\r\n"),
            "a\nb\\u{1b}[2J\\u{d}\n"
        );
    }
}

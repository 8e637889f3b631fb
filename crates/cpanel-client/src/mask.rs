//! Masking the secrets of a run in the text cpcall shows: a server may echo what it was sent
//! (a refusal quoting the `Authorization` header, a login page repeating the form), and that
//! text reaches stderr, JSON lines' `error`, doctor's report and library error messages.
//!
//! A secret can come back in another encoding than it went out in, and every encoder has its
//! own dialect (which characters `%`-encode, `+` or `%20` for a space, `&#39;` or `&#x27;`,
//! `\u00e9` or `é`, upper- or lower-case hex). So a secret is not matched as a string but
//! character by character, each character in any of its forms: as itself; percent-encoded
//! (either hex case; `+` for a space); JSON-escaped (`\"`, `\/`, `\uXXXX` in either case); an
//! HTML entity (`&amp;`, `&#39;`, `&#x27;`…). Mixed forms match too. Besides the secret as it
//! was read, its trimmed form (a server trims header values), its percent-decoded form (a
//! framework decodes a cookie before quoting it) and its base64 (alone, and `user:secret` as
//! in a Basic header; standard and URL-safe, padded or not) are looked for the same way.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use base64::Engine;

/// Secrets shorter than this are not masked: masking a short word would blank it in every
/// message (`root`, `test`); cPanel's password rules refuse such passwords anyway. A 2FA code
/// is never added: it lives a minute.
pub const MIN_MASKED: usize = 6;

/// What stands where a secret was.
pub const MASK: &str = "***";

/// A set of secrets, each in the forms it is looked for in, longest first, so that a header
/// holding a token is masked whole rather than around the token.
#[derive(Default)]
pub struct Mask {
    patterns: Vec<Vec<char>>,
    seen: HashSet<String>,
}

/// Never shows what it masks.
impl std::fmt::Debug for Mask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mask({} patterns)", self.patterns.len())
    }
}

impl Mask {
    /// Remembers `secret` (and its trimmed, decoded and base64 forms). Whether it was new.
    pub fn add(&mut self, secret: &str) -> bool {
        if secret.chars().count() < MIN_MASKED || !self.seen.insert(secret.to_string()) {
            return false;
        }
        let mut forms = vec![secret.to_string(), secret.trim().to_string()];
        // The percent-decoded form (a cookie as a framework decodes it) is encoded again as
        // the secret is: base64, hex.
        let decoded = percent_decoded(secret);
        for text in std::iter::once(secret).chain(decoded.as_deref()) {
            forms.extend(encoded_forms(text.as_bytes()));
        }
        forms.extend(decoded);
        forms.extend(latin1_misread(secret));
        for form in forms {
            self.insert(form);
        }
        true
    }

    /// Remembers the base64 of `user:password`, the form a Basic `Authorization` header carries.
    pub fn add_pair(&mut self, user: &str, password: &str) {
        let pair = format!("{user}:{password}");
        if password.chars().count() < MIN_MASKED || !self.seen.insert(pair.clone()) {
            return;
        }
        // The header's own text may come back encoded again (a dump of the request in
        // base64 or hex): the base64 is masked as a secret of its own, in all its forms.
        for form in base64_forms(pair.as_bytes()) {
            self.insert(form);
        }
        let header = base64::engine::general_purpose::STANDARD.encode(pair.as_bytes());
        for form in encoded_forms(header.as_bytes()) {
            self.insert(form);
        }
    }

    fn insert(&mut self, form: String) {
        let chars: Vec<char> = form.chars().collect();
        if chars.len() < MIN_MASKED || self.patterns.contains(&chars) {
            return;
        }
        let at = self.patterns.partition_point(|p| p.len() >= chars.len());
        self.patterns.insert(at, chars);
    }

    /// `text` with every remembered secret, in any of its forms, replaced by `***`.
    pub fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.patterns.is_empty() {
            return Cow::Borrowed(text);
        }
        let bytes = text.as_bytes();
        let mut out: Option<String> = None;
        let (mut i, mut copied) = (0, 0);
        while i < bytes.len() {
            match self.patterns.iter().find_map(|p| matches_at(bytes, i, p)) {
                Some(end) => {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    out.push_str(&text[copied..i]);
                    out.push_str(MASK);
                    i = end;
                    copied = end;
                }
                None => i += utf8_len(bytes[i]),
            }
        }
        match out {
            None => Cow::Borrowed(text),
            Some(mut out) => {
                out.push_str(&text[copied..]);
                Cow::Owned(out)
            }
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// The end of `pattern` matched at `text[start..]`, each of its characters in any form; the
/// longest such match. The set of positions a prefix can end at is carried along, so mixed
/// and ambiguous forms (`%` alone or `%25`) cost no backtracking.
fn matches_at(text: &[u8], start: usize, pattern: &[char]) -> Option<usize> {
    let first = pattern.first()?;
    // Most positions fail on the first byte: a quick look before the general matcher.
    let b = text[start];
    let mut buf = [0u8; 4];
    let lead = first.encode_utf8(&mut buf).as_bytes()[0];
    if b != lead && !matches!(b, b'%' | b'\\' | b'&' | b'+') {
        return None;
    }
    let mut ends = vec![start];
    for (i, c) in pattern.iter().enumerate() {
        let mut next = Vec::new();
        for &at in &ends {
            forms_at(text, at, *c, &mut next);
        }
        if next.is_empty() {
            return None;
        }
        // A secret may be wrapped across lines between its characters (MIME base64 at 76
        // columns, a folded header, a log that breaks long lines), never after the last.
        if i + 1 < pattern.len() {
            let wrapped: Vec<usize> = next.iter().filter_map(|&at| line_break(text, at)).collect();
            next.extend(wrapped);
        }
        next.sort_unstable();
        next.dedup();
        ends = next;
    }
    ends.last().copied()
}

/// The end of a line break at `text[at..]`: `\n`, `\r\n` or `\r`, as bytes or as the JSON
/// escapes, after a quoted-printable `=` or not, followed by any indentation.
fn line_break(text: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    if text.get(i) == Some(&b'=') {
        i += 1;
    }
    let rest = text.get(i..)?;
    let n = [&b"\r\n"[..], b"\n", b"\r", b"\\r\\n", b"\\n", b"\\r"]
        .iter()
        .find(|b| rest.starts_with(b))?
        .len();
    i += n;
    while matches!(text.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    Some(i)
}

/// Where `c` ends when written at `text[at..]` in one of its forms (pushed onto `ends`).
fn forms_at(text: &[u8], at: usize, c: char, ends: &mut Vec<usize>) {
    let rest = &text[at.min(text.len())..];
    let mut buf = [0u8; 4];
    let utf8 = c.encode_utf8(&mut buf).as_bytes();
    if rest.starts_with(utf8) {
        ends.push(at + utf8.len());
    }
    if c == ' ' && rest.first() == Some(&b'+') {
        ends.push(at + 1);
    }
    // Percent-encoded, byte by byte, hex in either case.
    if let Some(n) = percent_run(rest, utf8) {
        ends.push(at + n);
    }
    // JSON escapes.
    let short = match c {
        '"' => Some(&b"\\\""[..]),
        '\\' => Some(&b"\\\\"[..]),
        '/' => Some(&b"\\/"[..]),
        '\n' => Some(&b"\\n"[..]),
        '\t' => Some(&b"\\t"[..]),
        '\r' => Some(&b"\\r"[..]),
        _ => None,
    };
    if let Some(short) = short.filter(|s| rest.starts_with(s)) {
        ends.push(at + short.len());
    }
    if let Some(n) = unicode_escape_run(rest, c) {
        ends.push(at + n);
    }
    // HTML entities: named, decimal or hex, any leading zeros.
    if rest.first() == Some(&b'&') {
        if let Some(n) = entity(rest, c) {
            ends.push(at + n);
        }
    }
}

/// `%XX%YY…` for exactly the bytes `utf8`: how many bytes of `text` that takes.
fn percent_run(text: &[u8], utf8: &[u8]) -> Option<usize> {
    for (i, byte) in utf8.iter().enumerate() {
        let at = i * 3;
        if text.get(at) != Some(&b'%') {
            return None;
        }
        let hex = std::str::from_utf8(text.get(at + 1..at + 3)?).ok()?;
        if u8::from_str_radix(hex, 16).ok()? != *byte {
            return None;
        }
    }
    Some(utf8.len() * 3)
}

/// `\uXXXX` (twice for a character past the BMP), hex in either case.
fn unicode_escape_run(text: &[u8], c: char) -> Option<usize> {
    let mut units = [0u16; 2];
    let units = c.encode_utf16(&mut units);
    for (i, unit) in units.iter().enumerate() {
        let at = i * 6;
        if text.get(at..at + 2) != Some(&b"\\u"[..]) {
            return None;
        }
        let hex = std::str::from_utf8(text.get(at + 2..at + 6)?).ok()?;
        if u16::from_str_radix(hex, 16).ok()? != *unit {
            return None;
        }
    }
    Some(units.len() * 6)
}

/// An HTML entity for `c` at the start of `text` (which starts with `&`): its length.
fn entity(text: &[u8], c: char) -> Option<usize> {
    let end = text.iter().take(12).position(|b| *b == b';')?;
    let name = std::str::from_utf8(&text[1..end]).ok()?;
    let named = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    };
    let value = named.or_else(|| {
        let number = name.strip_prefix('#')?;
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        char::from_u32(code)
    })?;
    (value == c).then_some(end + 1)
}

/// The secret with its `%XX` decoded, when it has any and they decode to UTF-8 text.
fn percent_decoded(secret: &str) -> Option<String> {
    if !secret.contains('%') {
        return None;
    }
    let bytes = secret.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().filter(|d| d != secret)
}

fn base64_forms(bytes: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut forms: Vec<String> = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .map(|engine| engine.encode(bytes))
        .collect();
    // Inside the base64 of a longer text (`cpanel bob:TOKEN`, a JSON dump), the secret's bytes
    // start 0, 1 or 2 bytes into a 3-byte group, and each start encodes differently. The
    // characters that only the secret's bits decide are the same wherever it sits: the core
    // of each alignment, with the characters shared with unknown neighbours left off.
    for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
        for offset in 0..3usize {
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(bytes);
            let encoded = engine.encode(&shifted);
            let skip = (offset * 8).div_ceil(6);
            let keep = ((offset + bytes.len()) * 8) / 6;
            if let Some(core) = encoded.get(skip..keep) {
                forms.push(core.to_string());
            }
        }
    }
    forms
}

/// `bytes` encoded as a dump would show them again: base64 (every dialect and alignment) and hex.
fn encoded_forms(bytes: &[u8]) -> impl Iterator<Item = String> {
    base64_forms(bytes).into_iter().chain(hex_forms(bytes))
}

/// A non-ASCII secret as a program shows it that reads its UTF-8 bytes as Latin-1 (each byte
/// a character: `é` as `Ã©`), as HTTP header values are often decoded.
fn latin1_misread(secret: &str) -> Option<String> {
    (!secret.is_ascii()).then(|| secret.bytes().map(char::from).collect())
}

/// The secret as hex digits, both cases (a debug dump of the bytes).
fn hex_forms(bytes: &[u8]) -> [String; 2] {
    let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let upper = lower.to_ascii_uppercase();
    [lower, upper]
}

/// The secrets a target masks in what it says, in every form a server may echo them in (as
/// written, percent- and form-encoded, base64 of `user:secret`, JSON `\u` escapes, HTML
/// entities, hex): shared by the target's clones and clients, wiped when the last goes. A
/// program printing server text of its own masks it with [`Shared::masked`].
#[derive(Clone, Default)]
pub struct Shared(Arc<Mutex<Mask>>);

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with(|mask| write!(f, "{mask:?}"))
    }
}

impl Shared {
    fn with<T>(&self, f: impl FnOnce(&mut Mask) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Masks `secret` (in all its forms) in everything shown from now on.
    pub fn hide(&self, secret: &str) {
        self.with(|mask| mask.add(secret));
    }

    /// Masks the base64 of `user:password` too (a Basic header echoed without its `Basic`).
    pub fn hide_pair(&self, user: &str, password: &str) {
        self.with(|mask| mask.add_pair(user, password));
    }

    /// `text` with every secret masked.
    pub fn masked<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.with(|mask| match mask.apply(text) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(s) => Cow::Owned(s),
        })
    }
}

/// The secrets' forms are wiped from memory with the mask.
impl Drop for Mask {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for pattern in &mut self.patterns {
            pattern.iter_mut().for_each(|c| *c = '\0');
        }
        for mut seen in std::mem::take(&mut self.seen) {
            seen.zeroize();
        }
    }
}

impl Shared {
    /// Whether `other` is this very mask (a clone of it), not merely an equal one.
    pub fn same_as(&self, other: &Shared) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The most bytes a secret masked can take in text, in its longest encoding (12 bytes a
    /// character: `\uD83D\uDE00`); 0 for none. Text cut for showing must be masked with this
    /// much beyond the cut.
    pub fn longest(&self) -> usize {
        self.with(|mask| mask.patterns.iter().map(Vec::len).max().unwrap_or(0) * 12)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each form a server, proxy or framework sends a secret back in is masked, whatever the
    /// encoder's dialect; short words are not.
    #[test]
    fn forms_table() {
        let secret = "p~a*s's<w>&0rd/é+!";
        let mut mask = Mask::default();
        mask.add(secret);
        mask.add_pair("bob", secret);
        mask.add("12345");
        let b64 = |s: &str, e: base64::engine::GeneralPurpose| e.encode(s);
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let cases = [
            format!("as written: {secret}."),
            "ours (form): p%7Ea*s%27s%3Cw%3E%260rd%2F%C3%A9%2B%21".into(),
            "php urlencode: p%7Ea%2As%27s%3Cw%3E%260rd%2F%C3%A9%2B%21".into(),
            "lower hex: p%7ea%2as%27s%3cw%3e%260rd%2f%c3%a9%2b%21".into(),
            "encodeURIComponent: p~a*s's%3Cw%3E%260rd%2F%C3%A9%2B!".into(),
            "python quote: p~a%2As%27s%3Cw%3E%260rd/%C3%A9%2B%21".into(),
            "json: p~a*s's<w>&0rd\\/\\u00e9+!".into(),
            "go json: p~a*s's\\u003cw\\u003e\\u00260rd/\\u00E9+!".into(),
            "php html: p~a*s&#039;s&lt;w&gt;&amp;0rd/é+!".into(),
            "python html: p~a*s&#x27;s&lt;w&gt;&amp;0rd/&#233;+!".into(),
            format!("basic: Basic {}", b64(&format!("bob:{secret}"), STANDARD)),
            format!(
                "url-safe: {}",
                b64(&format!("bob:{secret}"), URL_SAFE_NO_PAD)
            ),
            format!("alone: {}", b64(secret, STANDARD)),
            format!("one byte in: {}", b64(&format!("x{secret}yz"), STANDARD)),
            format!(
                "two bytes in: {}",
                b64(&format!("xy{secret}z"), URL_SAFE_NO_PAD)
            ),
            format!(
                "a header: {}",
                b64(&format!("cpanel bob:{secret}"), STANDARD)
            ),
            format!(
                "hex: {}",
                secret
                    .bytes()
                    .map(|b| format!("{b:02X}"))
                    .collect::<String>()
            ),
            format!(
                "percent-encoded header: {}",
                b64(&format!("bob:{secret}"), STANDARD)
                    .replace('+', "%2B")
                    .replace('/', "%2F")
                    .replace('=', "%3D")
            ),
        ];
        for text in &cases {
            let got = mask.apply(text);
            assert!(got.contains(MASK), "{text} -> {got}");
            assert!(!got.contains("0rd"), "{text} -> {got}");
        }
        let header = format!("Basic {}", b64(&format!("bob:{secret}"), STANDARD));
        let wrapped = {
            let long = b64(&format!("{}{secret}", "x".repeat(50)), STANDARD);
            let (a, b) = long.split_at(76);
            format!("{a}\n{b}")
        };
        let more = [
            format!("base64 of the header: {}", b64(&header, STANDARD)),
            format!(
                "hex of the header: {}",
                header
                    .bytes()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            ),
            "split: p~a*s's<w>\r\n  &0rd/é+!".to_string(),
            "json split: p~a*s's<w>&0\\nrd/é+!".to_string(),
            "quoted-printable: p~a*s's<w>&0rd=\r\n/é+!".to_string(),
            format!("mime: {wrapped}"),
            format!(
                "latin-1: {}",
                secret.bytes().map(char::from).collect::<String>()
            ),
        ];
        for text in &more {
            let got = mask.apply(text);
            assert!(got.contains(MASK), "{text} -> {got}");
            assert!(
                !got.contains("0rd") && !got.contains("/é"),
                "{text} -> {got}"
            );
        }
        assert_eq!(mask.apply("a short one: 12345"), "a short one: 12345");
        assert_eq!(
            mask.apply("line ends after it: x\n"),
            "line ends after it: x\n",
            "a break is only allowed inside a secret"
        );
        assert!(!format!("{mask:?}").contains("0rd"));
    }

    /// A header holding a secret is masked whole; a trimmed, or percent-decoded, secret too.
    #[test]
    fn whole_trimmed_and_decoded() {
        let mut mask = Mask::default();
        mask.add("TOKENVALUE99 ");
        mask.add("whm root:TOKENVALUE99 ");
        mask.add("bob%3aCOOKIESECRET0123%2cabc");
        let cases = [
            ("got whm root:TOKENVALUE99 ", "got ***"),
            ("got whm root:TOKENVALUE99.", "got ***."),
            ("cookie bob:COOKIESECRET0123,abc;", "cookie ***;"),
            ("cookie bob%3aCOOKIESECRET0123%2cabc;", "cookie ***;"),
            // The decoded cookie, base64-encoded again (a debug dump).
            ("dump Ym9iOkNPT0tJRVNFQ1JFVDAxMjMsYWJj.", "dump ***."),
        ];
        for (text, want) in cases {
            assert_eq!(mask.apply(text), want, "{text}");
        }
    }

    /// Adding many secrets stays cheap: no quadratic re-sorting, no duplicates.
    #[test]
    fn many_secrets_are_kept_once() {
        let mut mask = Mask::default();
        for i in 0..2000 {
            mask.add(&format!("password-{i:05}"));
            mask.add(&format!("password-{i:05}"));
        }
        // Each in its forms: as read, base64 (4 dialects, 6 alignment cores), hex (2 cases).
        assert!(mask.patterns.len() <= 2000 * 13);
        assert_eq!(mask.apply("x password-01234 y"), "x *** y");
    }
}

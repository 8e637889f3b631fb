//! Masking the secrets of a run in the text cpcall shows: a server may echo what it was sent
//! (a refusal quoting the `Authorization` header, a login page repeating the form), and that
//! text reaches stderr, JSON lines' `error`, doctor's report and library error messages.
//!
//! A secret can come back in another encoding than it went out in, so each is remembered in
//! every form a server is known to send back: as written, form-encoded (`p%40ss+w0rd%21`),
//! percent-encoded (`%20`), in upper- or lower-case hex, base64 (alone, and of `user:secret`,
//! as in a Basic header), JSON-escaped (`\"`, `\/`, `\u00e9`) and HTML-escaped (`&amp;`).

use std::borrow::Cow;
use std::sync::Mutex;

use base64::Engine;

/// Secrets shorter than this are not masked: a 6-digit 2FA code lives a minute, and masking a
/// short word would blank it in every message (`root`, `test`). cPanel's password rules refuse
/// such passwords anyway.
pub const MIN_MASKED: usize = 6;

/// What stands where a secret was.
pub const MASK: &str = "***";

/// A set of secrets and their encodings, longest first, so that a header holding a token is
/// masked whole rather than around the token.
#[derive(Default)]
pub struct Mask {
    patterns: Vec<String>,
}

/// Never shows what it masks.
impl std::fmt::Debug for Mask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mask({} patterns)", self.patterns.len())
    }
}

impl Mask {
    /// Remembers `secret` in all its encodings. Whether it was new.
    pub fn add(&mut self, secret: &str) -> bool {
        if secret.chars().count() < MIN_MASKED || self.patterns.iter().any(|p| p == secret) {
            return false;
        }
        let mut forms = encodings(secret);
        forms.push(base64_of(secret.as_bytes(), false));
        forms.push(base64_of(secret.as_bytes(), true));
        self.extend(forms);
        true
    }

    /// Remembers the base64 of `user:password`, the form a Basic `Authorization` header carries.
    pub fn add_pair(&mut self, user: &str, password: &str) {
        if password.chars().count() < MIN_MASKED {
            return;
        }
        let pair = format!("{user}:{password}");
        self.extend([
            base64_of(pair.as_bytes(), false),
            base64_of(pair.as_bytes(), true),
        ]);
    }

    fn extend(&mut self, forms: impl IntoIterator<Item = String>) {
        for form in forms {
            if form.len() >= MIN_MASKED && !self.patterns.contains(&form) {
                self.patterns.push(form);
            }
        }
        self.patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
    }

    /// `text` with every remembered form replaced by `***`.
    pub fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for pattern in &self.patterns {
            if text.contains(pattern.as_str()) {
                text = Cow::Owned(text.replace(pattern.as_str(), MASK));
            }
        }
        text
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// The forms a secret's text takes when a server sends it back.
fn encodings(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    for (space, upper) in [("+", true), ("+", false), ("%20", true), ("%20", false)] {
        forms.push(percent(secret, space, upper));
    }
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or_default()
        .to_string();
    forms.push(json.replace('/', "\\/"));
    for upper in [false, true] {
        let ascii = json_ascii(&json, upper);
        forms.push(ascii.replace('/', "\\/"));
        forms.push(ascii);
    }
    forms.push(json);
    forms.push(html(secret));
    forms
}

/// Percent-encoding as forms (`space` = `+`) or URLs (`%20`) do it, in upper- or lower-case
/// hex; only the unreserved characters stay as they are.
fn percent(text: &str, space: &str, upper: bool) -> String {
    let hex: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push_str(space),
            _ => {
                out.push('%');
                out.push(hex[(b >> 4) as usize] as char);
                out.push(hex[(b & 15) as usize] as char);
            }
        }
    }
    out
}

/// JSON text with every non-ASCII character as `\uXXXX` (surrogate pairs past the BMP), as
/// encoders in ASCII mode write it.
fn json_ascii(json: &str, upper: bool) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            match upper {
                true => out.push_str(&format!("\\u{unit:04X}")),
                false => out.push_str(&format!("\\u{unit:04x}")),
            }
        }
    }
    out
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn base64_of(bytes: &[u8], padded: bool) -> String {
    match padded {
        true => base64::engine::general_purpose::STANDARD.encode(bytes),
        false => base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes),
    }
}

/// The secrets this process has read, in all their encodings.
static RUN: Mutex<Mask> = Mutex::new(Mask {
    patterns: Vec::new(),
});

fn run() -> std::sync::MutexGuard<'static, Mask> {
    RUN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Masks `secret` (in all its encodings) in everything shown from now on.
pub fn hide(secret: &str) {
    run().add(secret);
}

/// Masks the base64 of `user:password` too (a Basic header echoed without its `Basic`).
pub fn hide_pair(user: &str, password: &str) {
    run().add_pair(user, password);
}

/// `text` with every secret of the run masked.
pub fn masked(text: &str) -> Cow<'_, str> {
    let mask = run();
    if mask.is_empty() {
        return Cow::Borrowed(text);
    }
    match mask.apply(text) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(s) => Cow::Owned(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each encoding a server may send a secret back in is masked; short words are not.
    #[test]
    fn encodings_table() {
        let mut mask = Mask::default();
        mask.add("p@ss w0rd!/é");
        mask.add_pair("bob", "p@ss w0rd!/é");
        mask.add("12345");
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let cases = [
            ("as written: p@ss w0rd!/é.".to_string(), "as written: ***."),
            ("form: p%40ss+w0rd%21%2F%C3%A9".into(), "form: ***"),
            ("url: p%40ss%20w0rd%21%2F%C3%A9".into(), "url: ***"),
            ("lower: p%40ss%20w0rd%21%2f%c3%a9".into(), "lower: ***"),
            ("json: \"p@ss w0rd!/é\"".into(), "json: \"***\""),
            ("json slash: p@ss w0rd!\\/é".into(), "json slash: ***"),
            ("json ascii: p@ss w0rd!\\/\\u00e9".into(), "json ascii: ***"),
            ("json ASCII: p@ss w0rd!/\\u00E9".into(), "json ASCII: ***"),
            (format!("Basic {}", b64("bob:p@ss w0rd!/é")), "Basic ***"),
            (format!("alone {}", b64("p@ss w0rd!/é")), "alone ***"),
            ("html: p@ss w0rd!/é".into(), "html: ***"),
            ("a short one: 12345".into(), "a short one: 12345"),
        ];
        for (text, want) in cases {
            assert_eq!(mask.apply(&text), want, "{text}");
        }
        let mut quotes = Mask::default();
        quotes.add("a\"b<c>'d&e");
        for text in ["a\\\"b<c>'d&e", "a&quot;b&lt;c&gt;&#39;d&amp;e"] {
            assert_eq!(quotes.apply(text), "***", "{text}");
        }
        assert!(!format!("{mask:?}").contains("w0rd"));
    }

    /// A header holding a secret is masked whole, not around the secret.
    #[test]
    fn longest_first() {
        let mut mask = Mask::default();
        mask.add("TOKENVALUE");
        mask.add("whm root:TOKENVALUE");
        assert_eq!(mask.apply("got whm root:TOKENVALUE"), "got ***");
    }
}

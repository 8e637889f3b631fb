//! API parameters: their type, their form encoding, and which are secrets.

/// One API parameter. Order and repeats are kept: the server numbers repeated keys.
pub type Param = (String, String);

/// `application/x-www-form-urlencoded`, in the given order, repeats kept.
pub fn encode_form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(k, &mut out);
        out.push('=');
        encode_component(v, &mut out);
    }
    out
}

fn encode_component(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

/// The form encoding with the values of sensitive parameters replaced by `***`: how cpcall
/// shows a request (`-v`, `--curl`).
pub fn masked_form(params: &[Param]) -> String {
    encode_form(
        params
            .iter()
            .map(|(k, v)| (k.as_str(), if is_sensitive(k) { "***" } else { v.as_str() })),
    )
}

/// Parameter names whose values are secrets: masked wherever cpcall shows a request.
pub fn is_sensitive(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "token", "secret", "hash", "otp", "key"]
        .iter()
        .any(|word| key.contains(word))
}

/// `text` without its one final line break (`\n`, or `\r\n` from an editor on Windows); any
/// other is the value's own.
pub fn without_line_end(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_form_table() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("a", "b")], "a=b"),
            (&[("k", "1"), ("k", "2")], "k=1&k=2"),
            (&[("q", "a b&c=d")], "q=a+b%26c%3Dd"),
            (&[("api.version", "1")], "api.version=1"),
            (&[("u", "é/+")], "u=%C3%A9%2F%2B"),
            (&[], ""),
        ];
        for (pairs, want) in cases {
            assert_eq!(encode_form(pairs.iter().copied()), *want);
        }
    }

    #[test]
    fn sensitive_names() {
        for k in [
            "pass",
            "password",
            "PassWord",
            "tfa_token",
            "api_token",
            "accesshash",
            "totp_secret",
        ] {
            assert!(is_sensitive(k), "{k}");
        }
        for k in ["user", "domain", "email", "plan", "quota"] {
            assert!(!is_sensitive(k), "{k}");
        }
    }
}

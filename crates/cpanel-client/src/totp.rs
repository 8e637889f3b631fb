//! Two-factor codes as cPanel makes them: RFC 6238 TOTP, HMAC-SHA-1, 6 digits, 30-second steps.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// A decoded TOTP key. Only [`TotpKey::code_at`] and [`TotpKey::now`] read it.
pub struct TotpKey(Vec<u8>);

impl std::fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpKey(***)")
    }
}

impl TotpKey {
    /// Parses the base32 secret a user pastes: case, spaces, dashes and `=` padding don't matter.
    pub fn parse(secret: &Secret) -> Result<Self> {
        let key = base32_decode(secret.expose()).ok_or_else(|| {
            Error::config(
                "totp_secret is not valid base32 (letters A-Z and digits 2-7): copy the secret \
                 shown when 2FA was set up in cPanel/WHM",
            )
        })?;
        Ok(TotpKey(key))
    }

    pub fn code_at(&self, unix_seconds: u64) -> Secret {
        Secret::new(totp_lite::totp_custom::<totp_lite::Sha1>(
            30,
            6,
            &self.0,
            unix_seconds,
        ))
    }

    pub fn now(&self) -> Secret {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.code_at(now)
    }
}

/// RFC 4648 base32 without the strictness: returns `None` for any character outside the
/// alphabet, or when nothing is left.
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    let mut seen = 0;
    for c in text.chars() {
        let value = match c.to_ascii_uppercase() {
            ' ' | '-' | '=' | '\t' => continue,
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        seen += 1;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    (seen > 0 && !out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_table() {
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("MZXW6YTBOI", Some(b"foobar")),
            ("MZXW6YTBOI======", Some(b"foobar")),
            ("mzxw 6ytb oi", Some(b"foobar")),
            ("MZXW-6YTB-OI", Some(b"foobar")),
            ("MZXW6YQ=", Some(b"foob")),
            ("MY", Some(b"f")),
            ("", None),
            ("====", None),
            ("MZXW1", None),
            ("MZXW8", None),
            ("é", None),
        ];
        for (input, want) in cases {
            assert_eq!(base32_decode(input).as_deref(), *want, "{input:?}");
        }
    }

    #[test]
    fn rfc6238_vectors_truncated_to_six_digits() {
        // RFC 6238 appendix B, SHA-1 key "12345678901234567890"; cPanel uses the last 6 digits.
        let key = TotpKey::parse(&Secret::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")).unwrap();
        let cases = [
            (59, "287082"),
            (1111111109, "081804"),
            (1111111111, "050471"),
            (1234567890, "005924"),
            (2000000000, "279037"),
        ];
        for (t, want) in cases {
            assert_eq!(key.code_at(t).expose(), want, "t={t}");
        }
    }

    #[test]
    fn lower_case_and_spaces_give_the_same_codes() {
        let a = TotpKey::parse(&Secret::new("QSARBVKLZHYHLJ3M")).unwrap();
        let b = TotpKey::parse(&Secret::new("qsar bvkl zhyh lj3m")).unwrap();
        assert_eq!(a.code_at(1_700_000_000), b.code_at(1_700_000_000));
    }

    #[test]
    fn invalid_secret_is_a_usage_error_without_the_secret() {
        let err = TotpKey::parse(&Secret::new("not base32!")).unwrap_err();
        assert_eq!(*err.kind(), crate::ErrorKind::Config);
        assert!(!err.to_string().contains("not base32!"));
    }
}

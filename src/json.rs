//! One pass over the bytes of a JSON text, without building anything: how deep it nests, and
//! the first thing in its strings that a strict reader refuses (a raw control character, a
//! `\u` escape of half a surrogate pair). The judging parser skips strings it does not need,
//! so without this pass such text would print in one mode and fail in another (`--jq`,
//! `--paginate`); with it, one rule holds everywhere.

/// What one pass found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// The deepest nesting of arrays and objects.
    pub depth: usize,
    /// The first defect inside a string: its byte offset and what it is.
    pub defect: Option<(usize, &'static str)>,
}

pub fn scan(body: &[u8]) -> Scan {
    let mut found = Scan::default();
    let mut depth = 0usize;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => {
                let (end, defect) = string(body, i + 1);
                if found.defect.is_none() {
                    found.defect = defect;
                }
                i = end;
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                found.depth = found.depth.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    found
}

/// Scans a string's contents from `i` (just after the opening quote): the index after its
/// closing quote, and its first defect.
fn string(body: &[u8], mut i: usize) -> (usize, Option<(usize, &'static str)>) {
    let mut defect = None;
    let note = |at: usize, what: &'static str, defect: &mut Option<_>| {
        if defect.is_none() {
            *defect = Some((at, what));
        }
    };
    while i < body.len() {
        i = plain_run(body, i);
        if i >= body.len() {
            break;
        }
        match body[i] {
            b'"' => return (i + 1, defect),
            b'\\' if body.get(i + 1) == Some(&b'u') => {
                let unit = hex4(body, i + 2);
                match unit {
                    Some(0xD800..=0xDBFF) => {
                        let low = (body.get(i + 6) == Some(&b'\\')
                            && body.get(i + 7) == Some(&b'u'))
                        .then(|| hex4(body, i + 8))
                        .flatten();
                        if matches!(low, Some(0xDC00..=0xDFFF)) {
                            i += 12;
                            continue;
                        }
                        note(i, "a \\u escape of half a surrogate pair", &mut defect);
                    }
                    Some(0xDC00..=0xDFFF) => {
                        note(i, "a \\u escape of half a surrogate pair", &mut defect)
                    }
                    Some(_) => {}
                    None => note(i, "a \\u escape without four hex digits", &mut defect),
                }
                i += 6;
                continue;
            }
            b'\\' => i += 1,
            0x00..=0x1f => note(i, "a raw control character inside a string", &mut defect),
            _ => {}
        }
        i += 1;
    }
    (i, defect)
}

/// The index of the next byte from `i` that a string scan must look at (`"`, `\`, or a
/// control character), eight bytes at a time: strings are most of an answer's bytes.
fn plain_run(body: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    while let Some(chunk) = body.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let quote = has_zero(x ^ (ONES * u64::from(b'"')));
        let backslash = has_zero(x ^ (ONES * u64::from(b'\\')));
        // Bytes below 0x20: subtracting 0x20 borrows into the high bit (for ASCII bytes;
        // bytes >= 0x80 are told apart by `!x`).
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        if quote | backslash | control != 0 {
            break;
        }
        i += 8;
    }
    while i < body.len() && !matches!(body[i], b'"' | b'\\' | 0x00..=0x1f) {
        i += 1;
    }
    i
}

fn hex4(body: &[u8], at: usize) -> Option<u32> {
    let digits = body.get(at..at + 4)?;
    let text = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_table() {
        let half = Some("a \\u escape of half a surrogate pair");
        let cases: &[(&str, usize, Option<&str>)] = &[
            ("[[1]]", 2, None),
            (r#"{"a":"[[[[[["}"#, 1, None),
            (r#"{"a":"\"[[[["}"#, 1, None),
            (r#"{"a":{"b":[]}}"#, 3, None),
            ("", 0, None),
            (r#"["\ud83d\ude00 fine"]"#, 1, None),
            (r#"["\u00e9\n\\"]"#, 1, None),
            (r#"{"a":"\ud800 x"}"#, 1, half),
            (r#"{"a":"\udc00"}"#, 1, half),
            (r#"{"a":"\ud800\u0041"}"#, 1, half),
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
            let found = scan(body.as_bytes());
            assert_eq!(found.depth, *depth, "{body}");
            assert_eq!(found.defect.map(|(_, what)| what), *defect, "{body}");
        }
        assert_eq!(scan(br#"{"a":"\ud800"}"#).defect.map(|d| d.0), Some(6));
    }
}

//! Writing the answer to stdout: as received, indented, or compact.
//!
//! The formatter works on the bytes of a body already known to be valid JSON, token by token,
//! so numbers, key order, duplicate keys and escapes stay exactly as the server sent them, and
//! a large answer is never held twice.

use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The bytes as received, plus a final newline if missing.
    AsReceived,
    /// Two-space indentation, like `jq .`.
    Pretty,
    /// No insignificant whitespace: one line.
    Compact,
}

pub fn write_json(out: &mut impl Write, body: &[u8], style: Style) -> io::Result<()> {
    match style {
        Style::AsReceived => out.write_all(body)?,
        Style::Pretty => reformat(out, body, Some(2))?,
        Style::Compact => reformat(out, body, None)?,
    }
    if style != Style::AsReceived || !body.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Re-lays valid JSON with `indent` spaces per level, or compact when `None`.
fn reformat(out: &mut impl Write, json: &[u8], indent: Option<usize>) -> io::Result<()> {
    let mut buf = io::BufWriter::with_capacity(64 * 1024, out);
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |buf: &mut io::BufWriter<_>, depth: usize| -> io::Result<()> {
        if let Some(width) = indent {
            buf.write_all(b"\n")?;
            for _ in 0..depth * width {
                buf.write_all(b" ")?;
            }
        }
        Ok(())
    };
    while i < json.len() {
        let b = json[i];
        match b {
            b'"' => {
                let end = string_end(json, i);
                buf.write_all(&json[i..end])?;
                i = end;
                continue;
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                match next_significant(json, i + 1) {
                    Some(j) if json[j] == close => {
                        buf.write_all(&[b, close])?;
                        i = j + 1;
                        continue;
                    }
                    _ => {
                        buf.write_all(&[b])?;
                        depth += 1;
                        newline(&mut buf, depth)?;
                    }
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut buf, depth)?;
                buf.write_all(&[b])?;
            }
            b',' => {
                buf.write_all(b",")?;
                newline(&mut buf, depth)?;
            }
            b':' => buf.write_all(if indent.is_some() { b": " } else { b":" })?,
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => buf.write_all(&[b])?,
        }
        i += 1;
    }
    buf.flush()
}

/// Index just past the string that starts at `start` (a `"`).
fn string_end(json: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < json.len() {
        match json[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    json.len()
}

fn next_significant(json: &[u8], from: usize) -> Option<usize> {
    (from..json.len()).find(|&j| !matches!(json[j], b' ' | b'\t' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(body: &str, style: Style) -> String {
        let mut out = Vec::new();
        write_json(&mut out, body.as_bytes(), style).unwrap();
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
    fn pretty_output_is_the_same_json() {
        let body = r#"{"metadata":{"result":1,"reason":"OK"},"data":{"acct":[{"user":"a b","n":[1,2,{"x":"\u00e9"}]}]}}"#;
        for style in [Style::Pretty, Style::Compact] {
            let a: serde_json::Value = serde_json::from_str(body).unwrap();
            let b: serde_json::Value = serde_json::from_str(&render(body, style)).unwrap();
            assert_eq!(a, b);
        }
    }
}

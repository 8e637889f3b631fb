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

/// Writes the JSON in `style`; `color` adds ANSI colours (keys, strings, numbers, literals).
pub fn write_json(out: &mut impl Write, body: &[u8], style: Style, color: bool) -> io::Result<()> {
    match (style, color) {
        (Style::AsReceived, false) => out.write_all(body)?,
        (Style::Pretty, _) => reformat(out, body, Some(2), color)?,
        (Style::Compact | Style::AsReceived, _) => reformat(out, body, None, color)?,
    }
    if style != Style::AsReceived || color || !body.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.flush()
}

const KEY: &[u8] = b"\x1b[1;34m";
const STRING: &[u8] = b"\x1b[32m";
const NUMBER: &[u8] = b"\x1b[36m";
const LITERAL: &[u8] = b"\x1b[33m";
const NULL: &[u8] = b"\x1b[90m";
const RESET: &[u8] = b"\x1b[0m";

fn paint(buf: &mut impl Write, color: Option<&[u8]>, token: &[u8]) -> io::Result<()> {
    match color {
        Some(code) => {
            buf.write_all(code)?;
            buf.write_all(token)?;
            buf.write_all(RESET)
        }
        None => buf.write_all(token),
    }
}

/// Re-lays valid JSON with `indent` spaces per level, or compact when `None`.
fn reformat(
    out: &mut impl Write,
    json: &[u8],
    indent: Option<usize>,
    color: bool,
) -> io::Result<()> {
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
                let is_key = next_significant(json, end).is_some_and(|j| json[j] == b':');
                let code = if is_key { KEY } else { STRING };
                paint(&mut buf, color.then_some(code), &json[i..end])?;
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
            _ => {
                let end = (i..json.len())
                    .find(|&j| {
                        matches!(
                            json[j],
                            b',' | b']' | b'}' | b':' | b' ' | b'\t' | b'\n' | b'\r'
                        )
                    })
                    .unwrap_or(json.len());
                let token = &json[i..end];
                let code = match b {
                    b'n' => NULL,
                    b't' | b'f' => LITERAL,
                    _ => NUMBER,
                };
                paint(&mut buf, color.then_some(code), token)?;
                i = end;
                continue;
            }
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
        write_json(&mut out, body.as_bytes(), style, false).unwrap();
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
        write_json(
            &mut out,
            br#"{"k":"v","n":-1.5e3,"t":true,"z":null}"#,
            Style::Compact,
            true,
        )
        .unwrap();
        let want = "{\x1b[1;34m\"k\"\x1b[0m:\x1b[32m\"v\"\x1b[0m,\x1b[1;34m\"n\"\x1b[0m:\x1b[36m-1.5e3\x1b[0m,\x1b[1;34m\"t\"\x1b[0m:\x1b[33mtrue\x1b[0m,\x1b[1;34m\"z\"\x1b[0m:\x1b[90mnull\x1b[0m}\n";
        assert_eq!(String::from_utf8(out).unwrap(), want);
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

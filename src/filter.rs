//! `--jq FILTER`: jq filters run in-process (jaq), so cron hosts need no jq. Strings print raw
//! and each result on its own line, like `jq -r`.

use std::io::Write;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;

use crate::error::{Error, Result};

/// Runs `code` on the JSON `input` and writes the results. Any filter error is exit 2.
pub fn run(code: &str, input: &[u8], pretty: bool, out: &mut dyn Write) -> Result<()> {
    let pp = jaq_json::write::Pp {
        indent: pretty.then(|| "  ".to_string()),
        ..Default::default()
    };
    let mut emit = |value: &Val| -> std::io::Result<()> {
        match value {
            Val::TStr(bytes) => out.write_all(bytes)?,
            other => jaq_json::write::write(out, &pp, 0, other)?,
        }
        out.write_all(b"\n")
    };
    for value in apply(code, input)? {
        match emit(&value) {
            Ok(()) => {}
            // A reader that stops early (`| head`) is not an error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => {
                return Err(Error::usage(format!(
                    "cannot write the filter's output: {e}"
                )))
            }
        }
    }
    out.flush()
        .or_else(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(|e| Error::usage(format!("cannot write the filter's output: {e}")))
}

/// The filter's outputs as JSON texts (strings stay quoted), for embedding in JSON lines.
pub fn values(code: &str, input: &[u8]) -> Result<Vec<Box<serde_json::value::RawValue>>> {
    apply(code, input)?
        .iter()
        .map(|v| {
            let mut text = Vec::new();
            jaq_json::write::write(&mut text, &jaq_json::write::Pp::default(), 0, v)
                .map_err(|e| Error::usage(format!("jq output: {e}")))?;
            serde_json::value::RawValue::from_string(String::from_utf8_lossy(&text).into_owned())
                .map_err(|e| Error::usage(format!("jq output is not JSON: {e}")))
        })
        .collect()
}

/// Compiles and runs the filter: every output, or the first error.
fn apply(code: &str, input: &[u8]) -> Result<Vec<Val>> {
    let input = jaq_json::read::parse_single(input).map_err(|e| {
        Error::transport(format!("the answer is not JSON the filter can read: {e}"))
    })?;
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(&arena, File { code, path: () })
        .map_err(|errs| {
            filter_error(&format!(
                "{:?}",
                errs.into_iter().map(|(_, e)| e).collect::<Vec<_>>()
            ))
        })?;
    let filter = Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| {
            filter_error(&format!(
                "{:?}",
                errs.into_iter().map(|(_, e)| e).collect::<Vec<_>>()
            ))
        })?;
    let ctx = Ctx::<data::JustLut<Val>>::new(&filter.lut, Vars::new([]));
    filter
        .id
        .run((ctx, input))
        .map(unwrap_valr)
        .map(|r| r.map_err(|e| Error::usage(format!("jq filter error: {e}"))))
        .collect()
}

/// jaq's parse and compile errors, on one line.
fn filter_error(detail: &str) -> Error {
    let detail: String = detail.split_whitespace().collect::<Vec<_>>().join(" ");
    let detail: String = detail.chars().take(300).collect();
    Error::usage(format!("invalid --jq filter: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(code: &str, input: &str) -> Result<String> {
        let mut out = Vec::new();
        run(code, input.as_bytes(), false, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn filter_table() {
        let acct = r#"{"data":{"acct":[{"user":"bob","disk":1.5},{"user":"amy","disk":2}]}}"#;
        let cases = [
            (".data.acct[].user", "bob\namy\n"),
            (".data.acct | length", "2\n"),
            (
                "[.data.acct[] | select(.disk > 1.6) | .user]",
                "[\"amy\"]\n",
            ),
            (".data.acct[0]", "{\"user\":\"bob\",\"disk\":1.5}\n"),
            (".missing", "null\n"),
            ("empty", ""),
            (".data.acct | map(.user) | join(\",\")", "bob,amy\n"),
        ];
        for (code, want) in cases {
            assert_eq!(filter(code, acct).unwrap(), want, "{code}");
        }
    }

    #[test]
    fn filter_errors_are_usage_errors_on_one_line() {
        for code in [
            ".data[",
            "nosuchfunction(1)",
            ".data | error(\"boom\")",
            ".a + 1 | .x",
        ] {
            let err = filter(code, r#"{"a":"s","data":1}"#).unwrap_err();
            assert_eq!(err.exit, crate::error::Exit::Usage, "{code}");
            assert!(!err.message().contains('\n'), "{err}");
        }
    }
}

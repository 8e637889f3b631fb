//! `KEY=VALUE` arguments of a command line: parsing, and `@file` / `@-` values.

use std::io::Read;

use cpanel_client::params::{without_line_end, Param};

use crate::error::{Error, Result};

/// Parses the `KEY=VALUE` arguments of a call. `stdin` is read at most once, for `KEY=@-`.
pub fn parse(args: &[String], stdin: &mut dyn Read) -> Result<Vec<Param>> {
    let mut stdin_used = false;
    args.iter()
        .map(|arg| parse_one(arg, stdin, &mut stdin_used))
        .collect()
}

fn parse_one(arg: &str, stdin: &mut dyn Read, stdin_used: &mut bool) -> Result<Param> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(Error::usage(format!(
            "parameter `{arg}` has no `=`: write KEY=VALUE, e.g. `user=bob` (use `{arg}=` for an empty value)"
        )));
    };
    if key.is_empty() {
        return Err(Error::usage(format!(
            "parameter `{arg}` has an empty name: write KEY=VALUE"
        )));
    }
    let value = if let Some(literal) = value.strip_prefix("\\@") {
        format!("@{literal}")
    } else if value == "@-" {
        if std::mem::replace(stdin_used, true) {
            return Err(Error::usage(format!(
                "`{key}=@-`: standard input can feed only one parameter; use @FILE for the others"
            )));
        }
        let text = read_limited(stdin)
            .map_err(|e| Error::usage(format!("cannot read `{key}` from standard input: {e}")))?;
        strip_one_line_end(text)
    } else if let Some(path) = value.strip_prefix('@') {
        let text = std::fs::File::open(path)
            .and_then(|mut file| read_limited(&mut file))
            .map_err(|e| {
                Error::usage(format!(
                    "cannot read `{key}` from file {path}: {e} (write `{key}=\\@…` for a value that starts with @)"
                ))
            })?;
        strip_one_line_end(text)
    } else {
        value.to_string()
    };
    Ok((key.to_string(), value))
}

/// The largest value `KEY=@FILE` or `KEY=@-` reads: far above any real parameter (a zone file,
/// a certificate bundle), far below what would exhaust memory (`@/dev/zero`).
pub const MAX_FILE_VALUE: u64 = 16 << 20;

fn read_limited(source: &mut dyn Read) -> std::io::Result<String> {
    cpanel_client::files::read_text_from(source, MAX_FILE_VALUE).map_err(|e| match e.kind() {
        std::io::ErrorKind::FileTooLarge => {
            std::io::Error::other(format!("{e}, the most a parameter may be"))
        }
        _ => e,
    })
}

/// A file or pipe ends with one line break that is not part of the value (`echo pw > file`).
fn strip_one_line_end(mut text: String) -> String {
    text.truncate(without_line_end(&text).len());
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parse_table() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\r\n").unwrap();
        let at_file = format!("password=@{}", file.display());
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            (&["user=bob"], &[("user", "bob")]),
            (&["a=b=c"], &[("a", "b=c")]),
            (&["empty="], &[("empty", "")]),
            (
                &["k=1", "k=2", "k=1"],
                &[("k", "1"), ("k", "2"), ("k", "1")],
            ),
            (&["note=\\@home"], &[("note", "@home")]),
            (&["in=@-"], &[("in", "from stdin")]),
            (&[at_file.as_str()], &[("password", "s3cret")]),
        ];
        for (input, want) in cases {
            let mut stdin = "from stdin\n".as_bytes();
            let got = parse(&args(input), &mut stdin).unwrap();
            let want: Vec<Param> = want
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn parse_errors_table() {
        let cases: &[(&[&str], &str)] = &[
            (&["user"], "has no `=`"),
            (&["=bob"], "empty name"),
            (&["a=@/nonexistent/cpcall-file"], "/nonexistent/cpcall-file"),
            (&["a=@-", "b=@-"], "only one parameter"),
            (&["big=@/dev/zero"], "/dev/zero: it holds more than 16 MiB"),
        ];
        for (input, want) in cases {
            let err = parse(&args(input), &mut "x".as_bytes()).unwrap_err();
            assert!(err.message().contains(want), "{input:?}: {err}");
            assert_eq!(err.exit, crate::error::Exit::Usage);
        }
    }
}

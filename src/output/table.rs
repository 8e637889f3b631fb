//! `--format table|csv|tsv`: a listing (the payload's array of objects, or the filter's
//! objects; with several profiles, every profile's, under a `profile` column) as rows for a
//! person or a spreadsheet.

use serde_json::{Map, Value};
use unicode_width::UnicodeWidthStr;

use crate::error::{Error, Result};

/// How answers are printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The API's JSON (the default)
    Json,
    /// Aligned columns that fit the terminal
    Table,
    /// Comma-separated values, quoted per RFC 4180 (CRLF line ends)
    Csv,
    /// Tab-separated values, tabs and line breaks escaped as jq's @tsv does
    Tsv,
}

/// One row: the record's fields, in the order the server sent them.
pub type Record = Map<String, Value>;

/// The records of a payload: an array of objects; an object with exactly one member that is
/// an array of objects (WHM's `{"acct": […]}`); else one object is one record.
pub fn records_of(payload: &Value) -> Result<Vec<Record>> {
    match payload {
        Value::Array(items) => items.iter().map(record).collect(),
        Value::Object(map) => {
            // An empty array is an empty listing (`{"acct": []}`: no account matched).
            let lists: Vec<&String> = map
                .iter()
                .filter(|(_, v)| v.as_array().is_some_and(|a| a.iter().all(Value::is_object)))
                .map(|(k, _)| k)
                .collect();
            match lists.as_slice() {
                [] => Ok(vec![map.clone()]),
                [one] => records_of(&map[one.as_str()]),
                many => {
                    Err(Error::usage(format!(
                    "the payload holds several listings ({}): pick one with --jq, e.g. -d --jq '.{}[]'",
                    many.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
                    many[0]
                )))
                }
            }
        }
        Value::Null => Ok(Vec::new()),
        other => Err(not_a_listing(other)),
    }
}

/// The records of a filter's outputs: each object is one; an array of objects, its items.
pub fn records_of_outputs(outputs: &[Value]) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    for output in outputs {
        match output {
            Value::Object(map) => records.push(map.clone()),
            Value::Array(items) => {
                for item in items {
                    records.push(record(item)?);
                }
            }
            other => return Err(not_a_listing(other)),
        }
    }
    Ok(records)
}

fn record(value: &Value) -> Result<Record> {
    match value {
        Value::Object(map) => Ok(map.clone()),
        other => Err(not_a_listing(other)),
    }
}

fn not_a_listing(value: &Value) -> Error {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array of non-objects",
        Value::Object(_) => "an object",
    };
    Error::usage(format!(
        "--format table, csv and tsv show records (objects), and this is {kind}: pick the records with --jq, or use --format json"
    ))
}

/// Fields that later records have and the columns leave out (none when `--columns` chose):
/// said, so that a report does not lose them unnoticed.
pub fn unseen(records: &[Record], columns: &[String], asked: bool) -> Option<String> {
    if asked {
        return None;
    }
    let mut extra: Vec<&str> = Vec::new();
    for record in records {
        for key in record.keys() {
            if !columns.contains(key) && !extra.contains(&key.as_str()) {
                extra.push(key);
            }
        }
    }
    (!extra.is_empty()).then(|| {
        format!(
            "some records have fields the first has not ({}): name every column with --columns",
            extra.join(", ")
        )
    })
}

/// The columns: those asked for (each must be in some record), else the first record's keys.
pub fn columns(records: &[Record], asked: Option<&[String]>) -> Result<Vec<String>> {
    match asked {
        Some(asked) => {
            for name in asked {
                if !records.is_empty() && !records.iter().any(|r| r.contains_key(name)) {
                    let keys: Vec<&str> = records[0].keys().map(String::as_str).take(12).collect();
                    return Err(Error::usage(format!(
                        "--columns: no record has {name:?}; the records' fields include {}",
                        keys.join(", ")
                    )));
                }
            }
            Ok(asked.to_vec())
        }
        None => Ok(records
            .first()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default()),
    }
}

/// A field as text: strings as they are, null as nothing, anything else as compact JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The narrowest a table's column is cut to before columns are left out.
const NARROWEST: usize = 6;

/// The rows as `format` writes them, header first, and a note when a table left columns out
/// to fit. `width` bounds a table's lines (the terminal's columns); `None` for no bound.
pub fn render(
    format: Format,
    columns: &[String],
    records: &[Record],
    width: Option<usize>,
) -> (String, Option<String>) {
    let mut columns = columns.to_vec();
    let mut note = None;
    if let (Format::Table, Some(width)) = (format, width) {
        // Columns at their narrowest, two spaces apart: as many as fit, from the left.
        let fit = ((width + 2) / (NARROWEST + 2)).max(1);
        if columns.len() > fit {
            let left_out = columns.split_off(fit);
            note = Some(format!(
                "the table shows {} of {} columns to fit {width} columns (left out: {}): pick them with --columns, or use --format csv",
                columns.len(),
                columns.len() + left_out.len(),
                left_out.join(", ")
            ));
        }
    }
    if columns.is_empty() {
        // No records and no --columns: nothing to show, not even a header.
        return (String::new(), note);
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| columns.iter().map(|c| cell(r.get(c))).collect())
        .collect();
    let text = match format {
        Format::Csv => lines(&columns, &rows, csv_field, ",", "\r\n"),
        Format::Tsv => lines(&columns, &rows, tsv_field, "\t", "\n"),
        Format::Table | Format::Json => table(&columns, records, &rows, width),
    };
    (text, note)
}

/// CSV or TSV for a terminal: a server's control characters (escape sequences that retitle or
/// recolour it) shown escaped, line breaks and tabs kept; piped, the bytes as they are.
pub fn for_terminal(text: String) -> String {
    text.split("\r\n")
        .map(|line| crate::output::stderr::escape_for_terminal(line).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn lines(
    columns: &[String],
    rows: &[Vec<String>],
    field: fn(&str) -> String,
    separator: &str,
    end: &str,
) -> String {
    let mut out = String::new();
    for row in std::iter::once(columns).chain(rows.iter().map(Vec::as_slice)) {
        let fields: Vec<String> = row.iter().map(|f| field(f)).collect();
        out.push_str(&fields.join(separator));
        out.push_str(end);
    }
    out
}

/// RFC 4180: quoted when it holds a comma, a quote, a line break, or spaces at its ends (which
/// spreadsheets would trim); a quote doubled.
fn csv_field(text: &str) -> String {
    let quote =
        text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ');
    match quote {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text.to_string(),
    }
}

/// As jq's @tsv: backslash, tab, line feed and carriage return escaped.
fn tsv_field(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// Aligned columns, two spaces apart; numbers right-aligned. Too wide for `width`: the widest
/// columns give way first, their cells cut with `…`. Control characters are shown escaped, so
/// a server's text cannot act on the terminal.
fn table(
    columns: &[String],
    records: &[Record],
    rows: &[Vec<String>],
    width: Option<usize>,
) -> String {
    let shown = |text: &str| -> String {
        crate::output::stderr::escape(&text.replace(['\n', '\r', '\t'], " ")).into_owned()
    };
    let header: Vec<String> = columns.iter().map(|c| shown(c)).collect();
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| shown(c)).collect())
        .collect();
    let numeric: Vec<bool> = columns
        .iter()
        .map(|c| {
            let mut seen = false;
            records.iter().all(|r| match r.get(c) {
                Some(Value::Number(_)) => {
                    seen = true;
                    true
                }
                None | Some(Value::Null) => true,
                _ => false,
            }) && seen
        })
        .collect();
    let mut widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            body.iter()
                .map(|r| r[i].width())
                .chain([h.width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    if let Some(width) = width {
        let gaps = 2 * widths.len().saturating_sub(1);
        while widths.iter().sum::<usize>() + gaps > width {
            let Some((i, w)) = widths.iter().copied().enumerate().max_by_key(|(_, w)| *w) else {
                break;
            };
            if w <= NARROWEST {
                break;
            }
            widths[i] = w - 1;
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(body.iter()) {
        let mut line = String::new();
        for (i, text) in row.iter().enumerate() {
            let text = fit(text, widths[i]);
            let pad = " ".repeat(widths[i].saturating_sub(text.width()));
            let last = i + 1 == row.len();
            match (numeric[i], last) {
                (true, _) => {
                    line.push_str(&pad);
                    line.push_str(&text);
                }
                (false, true) => line.push_str(&text),
                (false, false) => {
                    line.push_str(&text);
                    line.push_str(&pad);
                }
            }
            if !last {
                line.push_str("  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `text` cut to `width` display columns, with `…` where it was cut.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let (mut kept, mut used) = (String::new(), 0);
    for c in text.chars() {
        let next = used + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if next + 1 > width {
            break;
        }
        kept.push(c);
        used = next;
    }
    kept.push('…');
    kept
}

/// The terminal's width when stdout is one (else `COLUMNS` when set), for a table.
pub fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        if let Ok(size) = rustix::termios::tcgetwinsize(rustix::stdio::stdout()) {
            if size.ws_col > 0 {
                return Some(size.ws_col as usize);
            }
        }
    }
    std::env::var("COLUMNS")
        .ok()?
        .parse()
        .ok()
        .filter(|w| *w > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(json: &str) -> Vec<Record> {
        records_of(&serde_json::from_str(json).unwrap()).unwrap()
    }

    #[test]
    fn records_table() {
        let cases = [
            (r#"[{"a":1},{"a":2}]"#, 2),
            (r#"{"acct":[{"a":1},{"a":2},{"a":3}],"count":3}"#, 3),
            (r#"{"version":"11.130"}"#, 1),
            (r#"[]"#, 0),
            ("null", 0),
            (r#"{"acct":[],"count":0}"#, 0),
        ];
        for (json, n) in cases {
            assert_eq!(recs(json).len(), n, "{json}");
        }
        for json in [r#"{"a":[{"x":1}],"b":[{"y":2}]}"#, "[1,2]", "\"text\"", "3"] {
            assert!(
                records_of(&serde_json::from_str(json).unwrap()).is_err(),
                "{json}"
            );
        }
    }

    #[test]
    fn csv_and_tsv_fields() {
        let records = recs(
            r#"[{"user":"bob","plan":"gold \"VIP\", yearly","note":"a\nb\tc\\d","n":5,"x":null,"t":true,"tags":["a"]}]"#,
        );
        let columns = columns(&records, None).unwrap();
        assert_eq!(
            render(Format::Csv, &columns, &records, None).0,
            "user,plan,note,n,x,t,tags\r\nbob,\"gold \"\"VIP\"\", yearly\",\"a\nb\tc\\d\",5,,true,\"[\"\"a\"\"]\"\r\n"
        );
        assert_eq!(
            render(Format::Tsv, &columns, &records, None).0,
            "user\tplan\tnote\tn\tx\tt\ttags\nbob\tgold \"VIP\", yearly\ta\\nb\\tc\\\\d\t5\t\ttrue\t[\"a\"]\n"
        );
    }

    #[test]
    fn terminal_csv_shows_control_characters_escaped() {
        let text = "u\r\n\u{1b}]0;pwned\u{7}\r\n".to_string();
        assert_eq!(for_terminal(text), "u\r\n\\u{1b}]0;pwned\\u{7}\r\n");
        let records = recs(r#"[{"a":1},{"a":2,"b":3}]"#);
        let note = unseen(&records, &["a".to_string()], false).unwrap();
        assert!(note.contains("(b)"), "{note}");
        assert!(unseen(&records, &["a".to_string()], true).is_none());
    }

    #[test]
    fn tables_align_and_fit() {
        let records = recs(
            r#"[{"user":"bob","disk":5,"domain":"bob.example"},{"user":"amélie","disk":1200,"domain":"a-very-long-domain-name.example"}]"#,
        );
        let columns = columns(&records, None).unwrap();
        assert_eq!(
            render(Format::Table, &columns, &records, None).0,
            "user    disk  domain\nbob        5  bob.example\namélie  1200  a-very-long-domain-name.example\n"
        );
        let (narrow, note) = render(Format::Table, &columns, &records, Some(30));
        assert!(note.is_none());
        for line in narrow.lines() {
            assert!(line.width() <= 30, "{line:?}");
        }
        assert!(narrow.contains('…'), "{narrow}");
        let (tight, note) = render(Format::Table, &columns, &records, Some(14));
        assert!(tight.lines().all(|l| l.width() <= 14), "{tight}");
        assert!(note.is_some_and(|n| n.contains("shows 2 of 3 columns") && n.contains("domain")));
        let asked = ["domain".to_string(), "user".to_string()];
        assert!(super::columns(&records, Some(&asked)).is_ok());
        let wrong = ["usr".to_string()];
        let err = super::columns(&records, Some(&wrong)).unwrap_err();
        assert!(err.message().contains("no record has \"usr\""), "{err}");
    }
}

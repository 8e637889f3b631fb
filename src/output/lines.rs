//! The JSON line of one call when many run at once (fan-out over profiles, `batch`): which call
//! it was, whether it succeeded, and the answer, the filter's results or the error.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::{Exit, Result};
use crate::output::answer::Shown;
use crate::output::filter::Filter;

/// Which call a JSON line belongs to.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tag<'a> {
    pub line: Option<usize>,
    pub profile: Option<&'a str>,
    pub host: Option<&'a str>,
}

/// The members of a JSON line before the answer.
#[derive(Serialize)]
struct Head<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    ok: bool,
    exit: u8,
}

/// The members of a JSON line after the answer.
#[derive(Serialize, Default)]
struct Tail {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    result: Vec<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// One call's JSON line, ready to write: `{"profile":…,"host":…,"ok":…,"exit":…,"response":…}`,
/// with `result` (the filter's outputs) instead of `response` under `--jq`, and `error` when
/// the call got no API answer or the API said no. The answer is not copied into the line: it
/// streams from where it waits (memory or spool) when the line is written.
pub struct JsonLine {
    pub exit: Exit,
    head: String,
    response: Option<(Shown, bool)>,
    tail: String,
}

impl JsonLine {
    /// Writes the line and its line break.
    pub fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        use std::io::Write;
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
        out.write_all(self.head.as_bytes())?;
        if let Some((shown, data)) = &self.response {
            // Compact: a server's indented answer must not break the line.
            out.write_all(b",\"response\":")?;
            crate::output::write_layout(&mut out, &shown.answer.view(*data), None, false)?;
        }
        out.write_all(self.tail.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }
}

/// The JSON line of one call.
pub fn json_line(tag: Tag, result: Result<Shown>, data: bool, jq: Option<&Filter>) -> JsonLine {
    let mut tail = Tail::default();
    let mut response = None;
    let exit = match result {
        Err(e) => {
            tail.error = Some(e.message().to_string());
            e.exit
        }
        Ok(shown) => {
            // The judge checked the answer as JSON, so it embeds as it is; a filter may
            // still fail on it.
            let trouble = match jq {
                Some(filter) => filter
                    .json_values(&shown.answer.view(data))
                    .map(|v| tail.result = v)
                    .err(),
                None => None,
            };
            let reasons = match &shown.reasons {
                Some(reasons) => reasons
                    .iter()
                    .cloned()
                    .chain(shown.hints.iter().map(|h| format!("hint: {h}")))
                    .collect::<Vec<_>>()
                    .join("; "),
                None => String::new(),
            };
            tail.error = match (&trouble, reasons.is_empty()) {
                (Some(e), true) => Some(e.message().to_string()),
                (Some(e), false) => Some(format!("{reasons}; {}", e.message())),
                (None, false) => Some(reasons),
                (None, true) => None,
            };
            // The API's failure decides; a filter's trouble counts only on success.
            let exit = match (shown.exit(), trouble) {
                (Exit::Success, Some(e)) => e.exit,
                (exit, _) => exit,
            };
            if jq.is_none() {
                response = Some((shown, data));
            }
            exit
        }
    };
    // Its words quote servers (and filters quoting answers): no secret of the run in them.
    tail.error = tail.error.map(|e| crate::mask::masked(&e).into_owned());
    let head = Head {
        line: tag.line,
        profile: tag.profile,
        host: tag.host,
        ok: exit == Exit::Success,
        exit: exit.code(),
    };
    // Both serialize to objects ("{…}"); the line is the head's members, the answer, then
    // the tail's members.
    let head = serde_json::to_string(&head).unwrap_or_else(|_| "{\"ok\":false}".into());
    let tail = serde_json::to_string(&tail).unwrap_or_else(|_| "{}".into());
    let head = head.strip_suffix('}').unwrap_or(&head).to_string();
    let tail = match tail.strip_prefix('{') {
        Some("}") | None => "}".to_string(),
        Some(members) => format!(",{members}"),
    };
    JsonLine {
        exit,
        head,
        response,
        tail,
    }
}

//! Where a response is judged: success, API-reported failure, refused credentials, or an answer
//! that is not the API's at all (docs/protocol.md, "Answers").
//!
//! Judged by status and body, never by Content-Type (real servers send JSON as `text/plain`).
//! Only the status fields are deserialized; the payload is skipped, not built, so a 50 MB
//! `listaccts` costs one pass of the parser and no tree.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Term};
use crate::json::{Checked, Payload};

/// Which envelope the answer comes in.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// WHM API 1: `metadata.result`.
    Whm,
    /// WHM API 1 `uapi_cpanel`: `metadata.result` and the inner UAPI `data.uapi.status`.
    WhmUapiCpanel,
    /// UAPI: `status`, `errors`.
    Uapi,
    /// UAPI through WHM's `cpanel` proxy: the UAPI body in `result`, or a proxy `error`.
    ProxyUapi,
    /// cPanel API 2 (direct or through WHM): `cpanelresult.error`, `cpanelresult.event.result`.
    Api2,
}

/// What an answer says, judged by its status and body (never its Content-Type).
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The call succeeded.
    Success {
        /// The API's warnings and messages (the command line prints them on stderr).
        notes: Vec<String>,
    },
    /// The API answered and said no: exit 1, JSON still printed.
    Failed {
        /// The API's reasons (`metadata.reason`, `errors`, …).
        reasons: Vec<String>,
    },
    /// Credentials or 2FA code refused: exit 3.
    Refused(String),
    /// Not an API answer (HTML, 5xx, garbage): exit 4, nothing printed.
    Broken(String),
}

impl Verdict {
    /// The verdict with the secrets `mask` knows masked in its words: they quote the server,
    /// which may echo what it was sent.
    pub(crate) fn masked(self, mask: &crate::mask::Shared) -> Verdict {
        let mask = |text: String| mask.masked(&text).into_owned();
        match self {
            Verdict::Success { notes } => Verdict::Success {
                notes: notes.into_iter().map(mask).collect(),
            },
            Verdict::Failed { reasons } => Verdict::Failed {
                reasons: reasons.into_iter().map(mask).collect(),
            },
            Verdict::Refused(m) => Verdict::Refused(mask(m)),
            Verdict::Broken(m) => Verdict::Broken(mask(m)),
        }
    }

    /// A refusal or a broken answer as an error, of the kind its `status` says; `None` for
    /// the API's own answer, success or failure.
    pub(crate) fn error(&self, status: u16) -> Option<Error> {
        let error = match self {
            Verdict::Refused(m) => Error::refused(m.clone()),
            Verdict::Broken(m) if status != 200 => {
                Error::new(ErrorKind::HttpStatus(status), m.clone())
            }
            Verdict::Broken(m) => Error::broken(m.clone()),
            Verdict::Success { .. } | Verdict::Failed { .. } => return None,
        };
        Some(error.with_status(status))
    }
}

/// The fields that decide a verdict, at any level of nesting; everything else is skipped.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Fields {
    #[serde(deserialize_with = "unique")]
    metadata: Option<Value>,
    #[serde(deserialize_with = "unique")]
    status: Option<Value>,
    #[serde(deserialize_with = "unique")]
    errors: Option<Value>,
    #[serde(deserialize_with = "unique")]
    warnings: Option<Value>,
    #[serde(deserialize_with = "unique")]
    messages: Option<Value>,
    #[serde(deserialize_with = "unique")]
    error: Option<Value>,
    #[serde(deserialize_with = "unique")]
    event: Option<Value>,
    cpanelresult: Nested,
    result: Nested,
    data: Nested,
    uapi: Nested,
}

/// A verdict member read as JSON with one rule more than serde_json's: a key twice in one
/// object (`"result":0,"result":1`) is an error, as a member twice in the answer is for
/// [`Fields`]. Which of the two the server meant cannot be told, and the last one winning would
/// let a hostile answer turn a failure into a success.
fn unique<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Unique::deserialize(d).map(|u| Some(u.0))
}

struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Unique;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let Unique(value) = map.next_value()?;
                    if out.insert(key.clone(), value).is_some() {
                        return Err(de::Error::custom(format!("duplicate field `{key}`")));
                    }
                }
                Ok(Unique(Value::Object(out)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
                let mut out = Vec::new();
                while let Some(Unique(value)) = seq.next_element()? {
                    out.push(value);
                }
                Ok(Unique(Value::Array(out)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Unique, E> {
                Ok(Unique(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Unique, E> {
                Ok(Unique(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Unique, E> {
                Ok(Unique(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Unique, E> {
                Ok(Unique(
                    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
                ))
            }
            fn visit_str<E>(self, v: &str) -> Result<Unique, E> {
                Ok(Unique(v.into()))
            }
            fn visit_string<E>(self, v: String) -> Result<Unique, E> {
                Ok(Unique(v.into()))
            }
            fn visit_unit<E>(self) -> Result<Unique, E> {
                Ok(Unique(Value::Null))
            }
        }
        d.deserialize_any(V)
    }
}

/// A member that may be an object holding [`Fields`], or anything else (skipped).
#[derive(Default)]
struct Nested(Option<Box<Fields>>);

impl<'de> Deserialize<'de> for Nested {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Nested;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Nested, A::Error> {
                Fields::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|f| Nested(Some(Box::new(f))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nested, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Nested(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Nested, E> {
                Ok(Nested(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Nested, E> {
                Ok(Nested(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Nested, E> {
                Ok(Nested(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Nested, E> {
                Ok(Nested(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Nested, E> {
                Ok(Nested(None))
            }
            fn visit_unit<E>(self) -> Result<Nested, E> {
                Ok(Nested(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// `1`, `"1"`, `true` → Some(true); `0`, `"0"`, `false` → Some(false); anything else → None.
fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        // cPanel's flags are 1 and 0; any other number is no verdict (never a success).
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Messages as the APIs send them: null, one string, or a list. The server's words cannot
/// hold this crate's message markers (a server could otherwise make a message say the
/// crate's own advice, with a fingerprint of its choosing).
fn texts(v: Option<&Value>) -> Vec<String> {
    raw_texts(v)
        .into_iter()
        .map(|t| crate::error::unmarked(&t).into_owned())
        .collect()
}

fn raw_texts(v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if s.is_empty() => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(other) => vec![other.to_string()],
    }
}

/// Judges a whole answer held in memory.
pub fn judge(kind: Kind, status: u16, body: &[u8]) -> Verdict {
    judge_checked(kind, status, &crate::json::check(body))
}

/// Judges an answer from what one pass over its bytes found ([`crate::json::Checker`]): the
/// verdict members come from its skeleton, so the answer itself need not be held.
pub fn judge_checked(kind: Kind, status: u16, checked: &Checked) -> Verdict {
    verdict_of(kind, status, checked)
}

fn verdict_of(kind: Kind, status: u16, checked: &Checked) -> Verdict {
    let read = (checked.is_json() && !checked.skeleton_overflow)
        .then(|| serde_json::from_slice::<Fields>(&checked.skeleton));
    let repeated = match &read {
        Some(Err(e)) if e.to_string().contains("duplicate field") => Some(e.to_string()),
        _ => None,
    };
    let parsed = read.and_then(|r| r.ok());
    match status {
        401 | 403 => return Verdict::Refused(refusal(status, parsed.as_ref(), &checked.head)),
        301 | 302 | 303 | 307 | 308 => {
            return Verdict::Broken(format!(
                "the server answered with a redirect (HTTP {status}): check host, port and tls in the profile"
            ))
        }
        404 => {
            return Verdict::Broken(
                "HTTP 404: the server does not serve this URL on this port: check the port and service (WHM API on 2087, UAPI on 2083, Webmail on 2096) and the function name".into(),
            )
        }
        500..=599 => {
            let detail = parsed.as_ref().map(first_reason).unwrap_or_default();
            let detail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
            let hint = if status == 503 { " (cPanel may be updating; try again later)" } else { "" };
            return Verdict::Broken(format!("the server failed with HTTP {status}{detail}{hint}"));
        }
        200 => {}
        other => return Verdict::Broken(unexpected_status(other, parsed.as_ref())),
    }
    // The parser skips the payload without decoding it: bad bytes inside a string would reach
    // stdout (and `--data`, `--jq`, JSON lines would each fail differently). One rule: exit 4.
    if let Some(at) = checked.bad_utf8 {
        let json = matches!(checked.head.trim_ascii_start().first(), Some(b'{' | b'['));
        return Verdict::Broken(if json {
            format!(
                "the server's JSON is not valid UTF-8 (bad bytes at offset {at}): not printed; check the account data on the server, or get it with curl"
            )
        } else {
            not_json(checked)
        });
    }
    if let Some((at, what)) = checked.defect {
        return Verdict::Broken(format!(
            "the server's JSON has {what} at offset {at}, which strict readers refuse: not printed; check the account data on the server, or get it with curl"
        ));
    }
    if checked.skeleton_overflow {
        return Verdict::Broken(
            "the server's status members are over 1 MiB: not an API answer; check the port and service".into(),
        );
    }
    if let Some(e) = repeated {
        let key = e.split('`').nth(1).unwrap_or("a member");
        return Verdict::Broken(format!(
            "the server's answer has `{key}` twice in one of its status members: which one it meant cannot be told, so it is not taken as success or failure; check the server (or its proxy)"
        ));
    }
    let Some(fields) = parsed else {
        return Verdict::Broken(not_json(checked));
    };
    match kind {
        Kind::Whm => judge_whm(&fields),
        Kind::WhmUapiCpanel => match judge_whm(&fields) {
            Verdict::Success { .. } => {
                match fields.data.0.as_ref().and_then(|d| d.uapi.0.as_deref()) {
                    Some(inner) => judge_uapi(inner),
                    None => Verdict::Broken("uapi_cpanel answered without data.uapi".into()),
                }
            }
            other => other,
        },
        Kind::Uapi => judge_uapi(&fields),
        Kind::ProxyUapi => match fields.result.0.as_deref() {
            Some(inner) => judge_uapi(inner),
            None => denied_or_unknown(&fields, "a UAPI answer through WHM (no result)"),
        },
        Kind::Api2 => match fields.cpanelresult.0.as_deref() {
            Some(inner) => judge_api2(inner),
            None => denied_or_unknown(&fields, "a cPanel API 2 answer (no cpanelresult)"),
        },
    }
}

fn judge_api2(c: &Fields) -> Verdict {
    let errors = texts(c.error.as_ref());
    if errors
        .iter()
        .any(|e| e.to_ascii_lowercase().contains("access denied"))
    {
        return Verdict::Refused(explain_refusal(&errors[0]));
    }
    let event = flag(c.event.as_ref().and_then(|e| e.get("result")));
    match (errors.is_empty(), event) {
        (false, _) => Verdict::Failed { reasons: errors },
        (true, Some(false)) => Verdict::Failed {
            reasons: nonempty(Vec::new(), "cpanelresult.event.result is 0"),
        },
        (true, _) => Verdict::Success { notes: Vec::new() },
    }
}

fn judge_whm(f: &Fields) -> Verdict {
    let metadata = f.metadata.as_ref();
    match flag(metadata.and_then(|m| m.get("result"))) {
        Some(true) => Verdict::Success { notes: Vec::new() },
        Some(false) => Verdict::Failed {
            reasons: nonempty(
                texts(metadata.and_then(|m| m.get("reason"))),
                "metadata.result is 0",
            ),
        },
        None => denied_or_unknown(f, "a WHM API 1 answer (no metadata.result)"),
    }
}

fn judge_uapi(f: &Fields) -> Verdict {
    match flag(f.status.as_ref()) {
        Some(true) => {
            let mut notes: Vec<String> = texts(f.errors.as_ref())
                .into_iter()
                .map(|e| format!("error: {e}"))
                .collect();
            notes.extend(
                texts(f.warnings.as_ref())
                    .into_iter()
                    .map(|w| format!("warning: {w}")),
            );
            notes.extend(
                texts(f.messages.as_ref())
                    .into_iter()
                    .map(|m| format!("message: {m}")),
            );
            Verdict::Success { notes }
        }
        Some(false) => Verdict::Failed {
            reasons: nonempty(texts(f.errors.as_ref()), "status is 0"),
        },
        None => denied_or_unknown(f, "a UAPI answer (no status)"),
    }
}

/// An answer without the expected status field: an access error some servers send with 200,
/// or something else entirely.
fn denied_or_unknown(f: &Fields, expected: &str) -> Verdict {
    let reason = first_reason(f);
    if reason.to_ascii_lowercase().contains("access denied") || reason.contains("TwoFactorAuth") {
        return Verdict::Refused(explain_refusal(&reason));
    }
    if !reason.is_empty() {
        return Verdict::Failed {
            reasons: vec![reason],
        };
    }
    Verdict::Broken(format!(
        "the server's JSON is not {expected}: check the port and service"
    ))
}

/// The error text of the shapes servers use for errors outside the normal envelope.
fn first_reason(f: &Fields) -> String {
    let candidates = [
        texts(f.error.as_ref()),
        f.cpanelresult
            .0
            .as_ref()
            .map(|c| texts(c.error.as_ref()))
            .unwrap_or_default(),
        texts(f.metadata.as_ref().and_then(|m| m.get("reason"))),
    ];
    candidates.into_iter().flatten().next().unwrap_or_default()
}

fn refusal(status: u16, f: Option<&Fields>, body: &[u8]) -> String {
    let reason = f.map(first_reason).unwrap_or_default();
    if !reason.is_empty() {
        return explain_refusal(&reason);
    }
    if looks_like_html(body) {
        return format!(
            "not authenticated: the server answered HTTP {status} with an HTML page: check the user, the credentials and the port"
        );
    }
    format!("the server refused the credentials (HTTP {status}): check the user and the secret")
}

fn explain_refusal(reason: &str) -> String {
    if reason.contains("TwoFactorAuth") {
        format!(
            "two-factor code missing or refused ({reason}): check totp_secret and that this machine's clock is right"
        )
    } else if reason.contains("Token authentication allows access") {
        format!("{reason}: use a WHM API token (service = \"whm\") for WHM API 1 calls")
    } else {
        format!("access denied by the server ({reason}): check the user and the secret, and that the service matches the port")
    }
}

/// A status an API call is never answered with, named as such (304 is no redirect: it
/// answers a conditional request cpcall never makes, so something in between sent it).
fn unexpected_status(status: u16, f: Option<&Fields>) -> String {
    let name = match status {
        100..=199 => "an interim answer",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        304 => "Not Modified",
        305 | 306 => "a proxy redirect",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        429 => "Too Many Requests",
        _ => "",
    };
    let name = match name {
        "" => String::new(),
        name => format!(" ({name})"),
    };
    let detail = f.map(first_reason).unwrap_or_default();
    let detail = match detail.is_empty() {
        true => String::new(),
        false => format!(": {detail}"),
    };
    let fix = match status {
        304 | 305 | 306 | 100..=199 => "not an answer an API call gets: check host and port, and any proxy or cache in between",
        414 => return format!(
            "the server answered with unexpected HTTP status {status}{name}{detail}; the request is too long for the server: send its parameters in the body (drop {})",
            Term::Get
        ),
        429 => "the server limits how often it is called: wait, then try again with fewer calls at once (-j)",
        400..=499 => "check the function name and parameters, and the port",
        _ => "check host, port and service",
    };
    format!("the server answered with unexpected HTTP status {status}{name}{detail}; {fix}")
}

fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<head")
        || head.contains("<body")
}

fn not_json(checked: &Checked) -> String {
    let head = &checked.head;
    if checked.len == 0 {
        return "the server sent an empty body instead of JSON".into();
    }
    if looks_like_html(head) {
        let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
        if lower.contains("login") || lower.contains("password") {
            return "got an HTML login page instead of JSON: check the port and credentials".into();
        }
        return "got an HTML page instead of JSON: check the host, port and service".into();
    }
    if checked.bad_utf8.is_some() {
        return "the server's answer is not text (not UTF-8): check the port and tls settings"
            .into();
    }
    if checked.depth >= crate::json::MAX_DEPTH {
        return format!(
            "the server's JSON nests deeper than {} levels: not an API answer",
            crate::json::MAX_DEPTH
        );
    }
    if !checked.is_json() {
        return "the server's answer is not valid JSON (truncated or not an API answer)".into();
    }
    if checked.depth > 100 {
        return "the server's JSON nests too deep where its status should be (over 100 levels): not an API answer".into();
    }
    let what = match checked.top {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "a list",
        Some(b'{') => "an object of another shape",
        _ => "a number",
    };
    format!(
        "the server answered with {what} in JSON, not an API answer: check the port and service"
    )
}

fn nonempty(list: Vec<String>, fallback: &str) -> Vec<String> {
    if list.is_empty() {
        vec![format!(
            "the API reported failure ({fallback}) without a reason"
        )]
    } else {
        list
    }
}

/// Which payload `--data` shows for an envelope: WHM and UAPI `data`, UAPI through WHM
/// `result.data`, `uapi_cpanel`'s `data.uapi.data`, API 2 `cpanelresult.data`.
pub fn payload_of(kind: Kind) -> Payload {
    match kind {
        Kind::Whm | Kind::Uapi => Payload::Data,
        Kind::ProxyUapi => Payload::ResultData,
        Kind::Api2 => Payload::CpanelresultData,
        Kind::WhmUapiCpanel => Payload::DataUapiData,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The payload of a whole answer (`--data`); `None` when absent. Borrowed from the body as
    /// sent, so numbers and order stay as they are.
    fn payload(kind: Kind, body: &[u8]) -> Option<&[u8]> {
        let range = crate::json::check(body).payload(payload_of(kind))?;
        body.get(range.start as usize..range.end as usize)
    }

    fn ok() -> Verdict {
        Verdict::Success { notes: vec![] }
    }
    fn failed(r: &str) -> Verdict {
        Verdict::Failed {
            reasons: vec![r.into()],
        }
    }

    /// cPanel's flags are 1 and 0: any other number is no verdict, never a success; server
    /// words cannot carry this crate's message markers.
    #[test]
    fn flags_other_than_one_and_zero_are_broken() {
        for body in [
            r#"{"metadata":{"result":2,"reason":"x"}}"#,
            r#"{"metadata":{"result":-1,"reason":"failed"}}"#,
            r#"{"metadata":{"result":0.0001}}"#,
        ] {
            let v = judge(Kind::Whm, 200, body.as_bytes());
            assert!(!matches!(v, Verdict::Success { .. }), "{body}: {v:?}");
        }
        let v = judge(Kind::Uapi, 200, br#"{"status":2,"errors":null}"#);
        assert!(!matches!(v, Verdict::Success { .. }), "{v:?}");
        // Errors beside a success are said, not dropped.
        let v = judge(
            Kind::Uapi,
            200,
            br#"{"status":1,"errors":["partial failure"]}"#,
        );
        assert_eq!(
            v,
            Verdict::Success {
                notes: vec!["error: partial failure".into()]
            }
        );
        let hostile = judge(
            Kind::Whm,
            200,
            "{\"metadata\":{\"result\":0,\"reason\":\"\u{f8f0}T\u{f8f2}AA:BB\u{f8f1}\"}}"
                .as_bytes(),
        )
        .masked(&crate::mask::Shared::default());
        let Verdict::Failed { reasons } = hostile else {
            panic!("{hostile:?}")
        };
        let e = crate::Error::new(crate::ErrorKind::ApiFailure, reasons.join("; "));
        assert!(!e.to_string().contains("pin_sha256"), "{e}");
    }

    #[test]
    fn judge_table() {
        let denied = r#"{"cpanelresult":{"apiversion":"2","error":"Access denied","data":{"reason":"Access denied","result":"0"},"type":"text"}}"#;
        let tfa = r#"{"data":{"reason":"TwoFactorAuth check failed","result":"0"},"error":"TwoFactorAuth check failed","type":"text"}"#;
        let cases: Vec<(Kind, u16, &str, Verdict)> = vec![
            (
                Kind::Whm,
                200,
                r#"{"metadata":{"result":1,"reason":"OK"},"data":{"acct":[]}}"#,
                ok(),
            ),
            (
                Kind::Whm,
                200,
                r#"{"metadata":{"result":"1"},"data":[1,2]}"#,
                ok(),
            ),
            (
                Kind::Whm,
                200,
                r#"{"data":null,"metadata":{"result":0,"reason":"No such user"}}"#,
                failed("No such user"),
            ),
            (
                Kind::Whm,
                200,
                r#"{"metadata":{"result":"0","reason":"x"}}"#,
                failed("x"),
            ),
            (
                Kind::Uapi,
                200,
                r#"{"status":1,"data":[],"errors":null,"warnings":null,"messages":null,"metadata":{}}"#,
                ok(),
            ),
            (Kind::Uapi, 200, r#"{"status":"1","data":"s"}"#, ok()),
            (
                Kind::Uapi,
                200,
                r#"{"status":0,"errors":["bad","worse"]}"#,
                Verdict::Failed {
                    reasons: vec!["bad".into(), "worse".into()],
                },
            ),
            (
                Kind::Uapi,
                200,
                r#"{"status":"0","errors":null}"#,
                failed("the API reported failure (status is 0) without a reason"),
            ),
            (
                Kind::Uapi,
                200,
                r#"{"status":1,"warnings":["w"],"messages":"m"}"#,
                Verdict::Success {
                    notes: vec!["warning: w".into(), "message: m".into()],
                },
            ),
            (
                Kind::WhmUapiCpanel,
                200,
                r#"{"metadata":{"result":1},"data":{"uapi":{"status":0,"errors":["inner"]}}}"#,
                failed("inner"),
            ),
            (
                Kind::WhmUapiCpanel,
                200,
                r#"{"metadata":{"result":1},"data":{"uapi":{"status":1}}}"#,
                ok(),
            ),
        ];
        for (kind, status, body, want) in cases {
            assert_eq!(judge(kind, status, body.as_bytes()), want, "{body}");
        }
        for (status, body, want) in [
            (403, denied, "Access denied"),
            (200, denied, "Access denied"),
            (403, tfa, "two-factor"),
            (401, "<html><body>Login</body></html>", "HTML page"),
        ] {
            match judge(Kind::Uapi, status, body.as_bytes()) {
                Verdict::Refused(m) => assert!(m.contains(want), "{m}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn payload_table() {
        let cases = [
            (
                Kind::Whm,
                r#"{"metadata":{"result":1},"data":{"acct":[1.50]}}"#,
                Some(r#"{"acct":[1.50]}"#),
            ),
            (
                Kind::Uapi,
                r#"{"status":1,"data":[{"a":1}],"errors":null}"#,
                Some(r#"[{"a":1}]"#),
            ),
            (Kind::Uapi, r#"{"status":1,"data":null}"#, Some("null")),
            (
                Kind::ProxyUapi,
                r#"{"apiversion":3,"result":{"status":1,"data":"x"}}"#,
                Some(r#""x""#),
            ),
            (
                Kind::Api2,
                r#"{"cpanelresult":{"event":{"result":1},"data":[{"e":"m"}]}}"#,
                Some(r#"[{"e":"m"}]"#),
            ),
            (
                Kind::WhmUapiCpanel,
                r#"{"metadata":{"result":1},"data":{"uapi":{"status":1,"data":{"k":2}}}}"#,
                Some(r#"{"k":2}"#),
            ),
            (Kind::Whm, r#"{"metadata":{"result":1}}"#, None),
            (Kind::ProxyUapi, r#"{"error":"x"}"#, None),
            (Kind::Whm, "not json", None),
        ];
        for (kind, body, want) in cases {
            assert_eq!(
                payload(kind, body.as_bytes()).map(|r| std::str::from_utf8(r).unwrap()),
                want,
                "{body}"
            );
        }
    }

    #[test]
    fn broken_answers_table() {
        let cases: &[(u16, &[u8], &str)] = &[
            (200, b"", "empty body"),
            (
                200,
                b"<!DOCTYPE html><html><form>login password</form></html>",
                "HTML login page",
            ),
            (200, b"<html><body>hello</body></html>", "HTML page"),
            (200, b"{\"metadata\":{\"result\":1", "not valid JSON"),
            (200, b"\xff\xfe\x00garbage", "not UTF-8"),
            (
                200,
                b"{\"metadata\":{\"result\":1},\"data\":\"a\xffb\"}",
                "not valid UTF-8 (bad bytes at offset 34)",
            ),
            (
                200,
                b"{\"metadata\":{\"result\":1},\"data\":{\"x\":\"\xff\"}}",
                "not valid UTF-8 (bad bytes at offset 38)",
            ),
            (200, b"null", "null in JSON, not an API answer"),
            (200, b"7", "a number in JSON"),
            (
                200,
                b"{\"metadata\":{\"result\":1},\"data\":{\"a\":\"\\ud800 x\"}}",
                "half a surrogate pair at offset 38",
            ),
            (200, b"{\"status\":1}", "not a WHM API 1 answer"),
            (500, b"<html>Internal</html>", "HTTP 500"),
            (503, b"", "updating"),
            (302, b"", "redirect"),
            (404, b"", "HTTP 404"),
            (418, b"", "418"),
        ];
        for (status, body, want) in cases {
            match judge(Kind::Whm, *status, body) {
                Verdict::Broken(m) => assert!(m.contains(want), "{m}"),
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }

    /// A key twice, at the top or inside a status member, is one rule: not judged (exit 4),
    /// whichever comes last. Twice in the payload is the payload's business.
    #[test]
    fn repeated_keys_are_one_rule_at_every_level() {
        let cases = [
            (
                Kind::Uapi,
                r#"{"status":1,"status":0,"data":[]}"#,
                "`status` twice",
            ),
            (
                Kind::Whm,
                r#"{"metadata":{"result":0,"result":1},"data":{}}"#,
                "`result` twice",
            ),
            (
                Kind::Whm,
                r#"{"metadata":{"result":1,"result":0}}"#,
                "`result` twice",
            ),
            (
                Kind::Whm,
                r#"{"metadata":{"result":1},"metadata":{"result":1}}"#,
                "`metadata` twice",
            ),
            (
                Kind::Api2,
                r#"{"cpanelresult":{"event":{"result":1,"result":0}}}"#,
                "`result` twice",
            ),
            (
                Kind::ProxyUapi,
                r#"{"result":{"status":0,"status":1}}"#,
                "`status` twice",
            ),
        ];
        for (kind, body, want) in cases {
            match judge(kind, 200, body.as_bytes()) {
                Verdict::Broken(m) => assert!(m.contains(want), "{body}: {m}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let fine = r#"{"metadata":{"result":1},"data":{"acct":[{"user":"a","user":"b"}]}}"#;
        assert!(matches!(
            judge(Kind::Whm, 200, fine.as_bytes()),
            Verdict::Success { .. }
        ));
    }

    /// Statuses no API call gets are named, not taken for redirects.
    #[test]
    fn unexpected_statuses_are_named() {
        let cases = [
            (304, "unexpected HTTP status 304 (Not Modified)"),
            (204, "unexpected HTTP status 204 (No Content)"),
            (414, "send its parameters in the body"),
            (429, "Too Many Requests"),
            (302, "redirect (HTTP 302)"),
        ];
        for (status, want) in cases {
            match judge(Kind::Whm, status, b"") {
                Verdict::Broken(m) => assert!(m.contains(want), "{status}: {m}"),
                other => panic!("{status}: {other:?}"),
            }
        }
    }
}

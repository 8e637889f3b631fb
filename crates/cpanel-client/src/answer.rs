//! One API call from request to judged answer, and the JSON line it becomes when many calls
//! run at once (fan-out over profiles, `batch`).

use serde::Serialize;
use serde_json::value::RawValue;

use crate::api::{Budget, Call, Method};
use crate::auth;
use crate::body::{Body, View};
use crate::json::Checked;
use crate::paginate;
use crate::response::{self, Kind, Verdict};
use crate::transport::{Client, Response};
use crate::target::Target;
use crate::error::{Error, Exit, Result};
use crate::output::filter::Filter;

/// How calls are made: POST or GET, and `--paginate` with its page size.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// POST (the default: parameters out of URLs and logs) or GET.
    pub method: Method,
    /// Every page of a listing, this many records a page.
    pub paginate: Option<usize>,
}

/// A judged answer.
#[derive(Debug)]
pub struct Answer {
    /// The envelope it came in.
    pub kind: Kind,
    /// What it says: success, the API's "no", a refusal, or not an API answer at all.
    pub verdict: Verdict,
    pub(crate) body: Body,
    /// What one pass over the body found (where its payload lies).
    pub(crate) checked: Checked,
    /// cpcall's own advice on a failure (the closest function names), shown after the API's.
    pub(crate) hints: Vec<String>,
}

impl Answer {
    /// The whole answer as JSON (not kept when it went to stdout as it arrived).
    pub fn json(&self) -> Result<serde_json::Value> {
        self.parse(self.shown(false))
    }

    /// The payload (`data`, `result.data`, `cpanelresult.data`…) as JSON; `null` when absent.
    pub fn payload(&self) -> Result<serde_json::Value> {
        self.parse(self.shown(true))
    }

    fn parse(&self, view: View) -> Result<serde_json::Value> {
        // A refusal's or a broken answer's body is no API data (a login page, an error page
        // that may quote the credential): the verdict's error is all there is to read.
        if let Some(e) = self.verdict.error("") {
            return Err(e);
        }
        if self.body.printed() {
            return Err(Error::usage(
                "the answer went to standard output as it arrived",
            ));
        }
        serde_json::from_reader(std::io::BufReader::new(view.reader()))
            .map_err(|e| Error::transport(format!("the answer is not JSON: {e}")))
    }

    /// What to print: the whole body, or with `--data` only the payload (`null` when absent).
    pub(crate) fn shown(&self, data: bool) -> View<'_> {
        match data {
            true => View {
                body: &self.body,
                range: self
                    .checked
                    .payload(response::payload_of(self.kind))
                    .map(|r| (r.start, r.end)),
            },
            false => View::whole(&self.body),
        }
    }

    /// cpcall's advice on a failure (the closest function names), after the API's reasons.
    pub fn hints(&self) -> &[String] {
        &self.hints
    }

    /// The documented exit code of its verdict.
    pub fn exit(&self) -> Exit {
        self.verdict.exit()
    }
}

/// Everything about a call that can be known without sending it: its names and parameters, and
/// whether `--paginate` can page it. Run before the first request of a run.
pub fn check(call: &Call, options: &Options) -> Result<()> {
    call.request(options.method)?;
    if let Some(size) = options.paginate {
        paginate::page_params(call.kind(), 1, size)?;
        if let Some((key, _)) = call
            .params()
            .iter()
            .find(|(k, _)| paginate::is_paging_param(k))
        {
            return Err(Error::usage(format!(
                "{key} is set by --paginate: drop it, or drop --paginate"
            )));
        }
    }
    Ok(())
}

pub fn fetch(client: &Client, target: &Target, call: &Call, options: &Options) -> Result<Answer> {
    check(call, options)?;
    let kind = call.kind();
    let fetched = match options.paginate {
        Some(size) => fetch_all_pages(client, target, call, size, options.method),
        None => {
            let mut request = call.request(options.method)?;
            request.streamed = true;
            auth::send(client, target, &request).map(|response| (response.verdict(kind), response))
        }
    };
    // What went to stdout as it arrived stays only with an API's answer (success or failure).
    if let Ok((Verdict::Refused(_), _)) = &fetched {
        auth::remember_refusal(target);
    }
    let (verdict, response) = match fetched {
        Ok((verdict @ (Verdict::Success { .. } | Verdict::Failed { .. }), response)) => {
            crate::signals::keep_stdout();
            (verdict, response)
        }
        Ok(other) => {
            client.undo_printed();
            other
        }
        Err(e) => {
            client.undo_printed();
            return Err(e);
        }
    };
    let mut hints = Vec::new();
    let verdict = wrong_port_hint(verdict, target, &mut hints);
    Ok(Answer {
        kind,
        verdict,
        body: response.body,
        checked: response.checked,
        hints,
    })
}

/// cPanel answers a function on the wrong port with "Permission denied", "Function not found"
/// or a 404, whatever else is right (docs/protocol.md, "Services and ports"): such an answer gets a
/// hint naming the port that was likely meant. So does a refusal on another service's standard
/// port (a cPanel token on 2087 is "Access denied"). An API failure keeps its reasons and gets
/// the hint in `hints`; a refusal or broken answer, in its one message.
fn wrong_port_hint(verdict: Verdict, target: &Target, hints: &mut Vec<String>) -> Verdict {
    let misplaced = other_service_port(target).is_some();
    match verdict {
        Verdict::Failed { reasons } if reasons.iter().any(|r| wrong_port_telltale(r)) => {
            hints.push(wrong_port_advice(target));
            Verdict::Failed { reasons }
        }
        Verdict::Refused(m) if wrong_port_telltale(&m) || misplaced => {
            Verdict::Refused(format!("{m}; {}", wrong_port_advice(target)))
        }
        Verdict::Broken(m) if wrong_port_telltale(&m) => {
            Verdict::Broken(format!("{m}; {}", wrong_port_advice(target)))
        }
        other => other,
    }
}

/// The words of cPanel's answers to a function on the wrong port.
pub fn wrong_port_telltale(text: &str) -> bool {
    ["Permission denied", "Function not found", "HTTP 404"]
        .iter()
        .any(|t| text.contains(t))
}

/// The service whose standard port the target's port is, when it is not the target's own.
fn other_service_port(target: &Target) -> Option<crate::target::Service> {
    use crate::target::Service;
    let port = target.port;
    [Service::Whm, Service::Cpanel, Service::Webmail]
        .into_iter()
        .find(|s| {
            *s != target.service && (s.default_port(true) == port || s.default_port(false) == port)
        })
}

/// Which port the target's calls likely belong on.
pub fn wrong_port_advice(target: &Target) -> String {
    let (port, service) = (target.port, target.service);
    let expected = service.default_port(target.tls);
    match other_service_port(target) {
        Some(other) => format!(
            "port {port} is the {} port, and {} calls go to {expected}: check port and service",
            other.name(),
            service.name()
        ),
        None if port != expected => format!(
            "is {port} the {} port? (its default is {expected}; WHM 2087, cPanel 2083, Webmail 2096)",
            service.name()
        ),
        None => format!(
            "is this a {} function? (WHM API 1 on 2087, UAPI and API 2 on 2083, Webmail on 2096)",
            service.name()
        ),
    }
}

/// `--paginate`: every page, merged into one answer. A page that fails ends it with that page's
/// verdict and body. The pages share one `--timeout` and one `--max-size`, as one call would:
/// a server announcing a billion records cannot make the run outlast or outgrow them. Records
/// go to a spool as they arrive (paginate::Merger), so memory stays flat however many pages.
fn fetch_all_pages(
    client: &Client,
    target: &Target,
    call: &Call,
    size: usize,
    method: Method,
) -> Result<(Verdict, Response)> {
    let kind = call.kind();
    let started = std::time::Instant::now();
    let mut budget = Budget {
        deadline: started + target.timeout,
        bytes: client.max_body(),
    };
    let mut merger = paginate::Merger::new(kind);
    let mut notes = Vec::new();
    let (mut start, mut announced) = (1usize, None);
    for _ in 0..paginate::MAX_PAGES {
        let page = call.with_params(paginate::page_params(kind, start, size)?);
        let mut request = page.request(method)?;
        request.budget = Some(budget);
        let response = auth::send(client, target, &request)
            .map_err(|e| over_budget(e, &budget, started, &merger, announced))?;
        budget.bytes = budget.bytes.saturating_sub(response.checked.len);
        match response.verdict(kind) {
            Verdict::Success { notes: n } => notes.extend(n),
            other => return Ok((other, response)),
        }
        let page = merger
            .add(View::whole(&response.body).reader())
            .map_err(|e| {
                Error::transport(format!(
                    "--paginate cannot merge the page at record {start} ({e}): run without --paginate"
                ))
            })?;
        let total = paginate::total(kind, &page.metadata).map_err(|raw| {
            Error::transport(format!(
                "--paginate cannot read the page count the server sent ({raw}) at record {start}: nothing printed; run without --paginate"
            ))
        })?;
        // A server that ignores the start asked for would hand the same records twice.
        if let Some(echoed) = paginate::echoed_start(kind, &page.metadata) {
            if echoed != start as u64 {
                return Err(Error::transport(format!(
                    "--paginate asked for the page at record {start}, the server sent the one at {echoed}: nothing printed; run without --paginate"
                )));
            }
        }
        announced = announced.or(total);
        // The next page starts after the records this one really held: a server may cap
        // pages below the size asked for.
        start += page.records as usize;
        match total {
            Some(total) if page.records > 0 && merger.records < total => continue,
            _ => break,
        }
    }
    let fetched = merger.records;
    if let Some(total) = announced.filter(|t| *t != fetched) {
        return Err(Error::transport(format!(
            "--paginate got {fetched} records, but the server announced {total}: the listing changed while paging, or the server pages in a way cpcall does not follow; nothing printed — run again"
        )));
    }
    let mut spool = crate::body::Spool::new(0);
    let mut checker = crate::json::Checker::default();
    merger
        .finish(&mut |piece| {
            checker.feed(piece);
            spool.write(piece)
        })
        .map_err(|e| Error::transport(format!("cannot merge the pages: {e}")))?;
    notes.dedup();
    Ok((
        Verdict::Success { notes },
        Response {
            status: 200,
            headers: Vec::new(),
            body: spool.finish(),
            checked: checker.finish(),
        },
    ))
}

/// A page that failed because the run's time or bytes ran out, said as such: the limit was
/// the whole run's, not the page's.
fn over_budget(
    e: Error,
    budget: &Budget,
    started: std::time::Instant,
    merger: &paginate::Merger,
    announced: Option<u64>,
) -> Error {
    let so_far = match announced {
        Some(total) => format!("{} of {total} records", merger.records),
        None => format!("{} records", merger.records),
    };
    if std::time::Instant::now() >= budget.deadline && e.exit == Exit::Transport {
        return Error::transport(format!(
            "--paginate did not finish within {:.0} s (--timeout, for all pages together; {so_far} fetched): raise --timeout, or narrow the listing (api.filter); nothing printed",
            (budget.deadline - started).as_secs_f64()
        ));
    }
    if e.message().contains("(--max-size)") {
        return Error::transport(format!(
            "--paginate's pages together are larger than --max-size ({so_far} fetched): raise --max-size, or narrow the listing (api.filter); nothing printed"
        ));
    }
    e
}

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
    response: Option<(Answer, bool)>,
    tail: String,
}

impl JsonLine {
    /// Writes the line and its line break.
    pub fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        use std::io::Write;
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
        out.write_all(self.head.as_bytes())?;
        if let Some((answer, data)) = &self.response {
            // Compact: a server's indented answer must not break the line.
            out.write_all(b",\"response\":")?;
            crate::output::write_layout(&mut out, &answer.shown(*data), None, false)?;
        }
        out.write_all(self.tail.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }
}

/// The JSON line of one call.
pub fn json_line(tag: Tag, result: Result<Answer>, data: bool, jq: Option<&Filter>) -> JsonLine {
    let mut tail = Tail::default();
    let mut response = None;
    let exit = match result {
        Err(e) => {
            tail.error = Some(e.message().to_string());
            e.exit
        }
        Ok(answer) => match &answer.verdict {
            Verdict::Refused(m) | Verdict::Broken(m) => {
                tail.error = Some(m.clone());
                answer.exit()
            }
            Verdict::Success { .. } | Verdict::Failed { .. } => {
                // The judge checked the answer as JSON, so it embeds as it is; a filter may
                // still fail on it.
                let trouble = match jq {
                    Some(filter) => filter
                        .json_values(&answer.shown(data))
                        .map(|v| tail.result = v)
                        .err(),
                    None => None,
                };
                let reasons = match &answer.verdict {
                    Verdict::Failed { reasons } => reasons
                        .iter()
                        .cloned()
                        .chain(answer.hints.iter().map(|h| format!("hint: {h}")))
                        .collect::<Vec<_>>()
                        .join("; "),
                    _ => String::new(),
                };
                tail.error = match (&trouble, reasons.is_empty()) {
                    (Some(e), true) => Some(e.message().to_string()),
                    (Some(e), false) => Some(format!("{reasons}; {}", e.message())),
                    (None, false) => Some(reasons),
                    (None, true) => None,
                };
                // The API's failure decides; a filter's trouble counts only on success.
                let exit = match (answer.exit(), trouble) {
                    (Exit::Success, Some(e)) => e.exit,
                    (exit, _) => exit,
                };
                if jq.is_none() {
                    response = Some((answer, data));
                }
                exit
            }
        },
    };
    // Its words quote servers (and filters quoting answers): no secret of the run in them.
    tail.error = tail
        .error
        .map(|e| crate::mask::masked(&e).into_owned());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A refusal on another service's standard port names the port, whatever the refusal says.
    #[test]
    fn wrong_port_hints_table() {
        let target = |service: &str, port: u16| {
            let text = format!(
                "[profiles.p]\nhost='h.example'\nservice='{service}'\nport={port}\nuser='bob'\ntoken='t'\n"
            );
            let file = crate::config::parse(&text, std::path::Path::new("c.toml")).unwrap();
            let loaded = crate::config::Loaded {
                path: "c.toml".into(),
                file,
                others_can_write: None,
            };
            crate::config::profile::resolve(&Default::default(), Some(&loaded), &|_| None).unwrap()
        };
        let refused = || Verdict::Refused("Access denied".into());
        let cases = [
            (
                target("cpanel", 2087),
                refused(),
                Some("port 2087 is the whm port, and cpanel calls go to 2083"),
            ),
            (
                target("whm", 2083),
                refused(),
                Some("port 2083 is the cpanel port"),
            ),
            (target("whm", 2087), refused(), None),
            (
                target("cpanel", 2083),
                Verdict::Failed {
                    reasons: vec!["Function not found".into()],
                },
                Some("is this a cpanel function?"),
            ),
        ];
        for (t, verdict, want) in cases {
            let mut hints = Vec::new();
            let text = match wrong_port_hint(verdict, &t, &mut hints) {
                Verdict::Refused(m) => m,
                _ => hints.join("; "),
            };
            match want {
                Some(w) => assert!(text.contains(w), "{text}"),
                None => assert_eq!(text, "Access denied"),
            }
        }
    }
}

//! One API call from request to judged answer: [`Answer`] for the API's own answer, an
//! [`Error`] for everything else (its "no" included, with the answer inside).

use crate::auth;
use crate::body::{Body, View};
use crate::call::{Budget, Call, Method};
use crate::error::{Error, ErrorKind, Result, Term};
use crate::json::Checked;
use crate::paginate;
use crate::response::{self, Kind, Verdict};
use crate::target::Target;
use crate::transport::{Client, Response};

/// How a call is made: POST or GET, one page or all of them.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOptions {
    /// POST (the default: parameters out of URLs and logs) or GET.
    pub method: Method,
    /// Every page of a listing, this many records a page (WHM `api.chunk`, UAPI
    /// `api.paginate`), merged into one answer.
    pub paginate: Option<usize>,
    /// The call only reads: when a kept-alive connection ends before any byte of its answer,
    /// it goes again on a new connection (a call that changes something goes again only when
    /// the server's reset proves it never read it).
    pub idempotent: bool,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions {
            method: Method::Post,
            paginate: None,
            idempotent: false,
        }
    }
}

impl CallOptions {
    /// Sent as `method`.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
    /// The call only reads (see [`CallOptions::idempotent`]).
    pub fn idempotent(mut self, only_reads: bool) -> Self {
        self.idempotent = only_reads;
        self
    }

    /// Every page, `page_size` records a page.
    pub fn paginate(mut self, page_size: usize) -> Self {
        self.paginate = Some(page_size);
        self
    }
}

/// The API's own answer: a success, or (inside an [`Error`] of kind
/// [`ErrorKind::ApiFailure`]) its "no". The body waits in memory, or in a spool file past
/// 8 MiB, until the answer is dropped.
#[derive(Debug)]
pub struct Answer {
    kind: Kind,
    status: u16,
    body: Body,
    /// What one pass over the body found (where its payload lies).
    checked: Checked,
    notes: Vec<String>,
    hints: Vec<String>,
}

impl Answer {
    /// The envelope it came in.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Its HTTP status (200 for an API's answer; merged pages say 200).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The whole answer as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        self.parse(self.view(false))
    }

    /// The payload (`data`, `result.data`, `cpanelresult.data`…) as JSON; `null` when absent.
    pub fn payload(&self) -> Result<serde_json::Value> {
        self.parse(self.view(true))
    }

    /// The payload read into a type of the caller's (`Vec<Account>`); `null` when absent.
    pub fn payload_as<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        self.parse(self.view(true))
    }

    fn parse<T: serde::de::DeserializeOwned>(&self, view: View) -> Result<T> {
        if self.body.printed() {
            return Err(Error::invalid_call(
                "the answer went to the sink as it arrived: read it there",
            ));
        }
        serde_json::from_reader(std::io::BufReader::new(view.reader())).map_err(|e| {
            Error::broken(format!("the answer does not read as asked: {e}")).because(e)
        })
    }

    /// Its bytes as they came: the whole answer, or with `payload` only the payload's (no
    /// bytes when absent). Read them with [`View::reader`] or [`View::each_piece`].
    pub fn view(&self, payload: bool) -> View<'_> {
        match payload {
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

    /// Whether its bytes went to a sink as they arrived ([`crate::Client::stream_to`]) and
    /// are not kept here.
    pub fn streamed(&self) -> bool {
        self.body.printed()
    }

    /// The API's warnings and messages on a success.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// This crate's advice on a failure (the port that was likely meant), after the API's
    /// reasons.
    pub fn hints(&self) -> &[String] {
        &self.hints
    }
}

/// Everything about a call that can be known without sending it: its names and parameters,
/// and whether it can be paged.
pub(crate) fn check(call: &Call, options: &CallOptions) -> Result<()> {
    call.to_request(options.method)?;
    if let Some(size) = options.paginate {
        if size == 0 {
            return Err(Error::invalid_call(
                "a page holds at least one record: give a page size of 1 or more",
            ));
        }
        paginate::page_params(call.kind(), 1, size)?;
        if let Some((key, _)) = call
            .params()
            .iter()
            .find(|(k, _)| paginate::is_paging_param(k))
        {
            return Err(Error::invalid_call(format!(
                "{key} is set by {}: drop it, or drop {}",
                Term::Paging,
                Term::Paging
            )));
        }
    }
    Ok(())
}

/// Sends the call and judges the answer: `Ok` only for the API's success.
pub(crate) fn fetch(
    client: &Client,
    target: &Target,
    call: &Call,
    options: &CallOptions,
) -> Result<Answer> {
    check(call, options)?;
    let kind = call.kind();
    let fetched = match options.paginate {
        Some(size) => fetch_all_pages(client, target, call, size, options.method),
        None => {
            let mut request = call.to_request(options.method)?;
            request.streamed = true;
            request.idempotent = options.idempotent;
            auth::send(client, target, &request).map(|response| (response.verdict(kind), response))
        }
    };
    if let Ok((Verdict::Refused(_), _)) = &fetched {
        auth::remember_refusal(target);
    }
    // What went to the sink as it arrived stays only with an API's answer (success or failure).
    let (verdict, response) = match fetched {
        Ok((verdict @ (Verdict::Success { .. } | Verdict::Failed { .. }), response)) => {
            client.keep_printed();
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
    let verdict = wrong_port_hint(verdict, target, &mut hints).masked(target.voice.mask());
    let hints: Vec<String> = hints
        .iter()
        .map(|h| target.voice.masked(h).into_owned())
        .collect();
    if let Some(e) = verdict.error(response.status) {
        return Err(e);
    }
    let mut answer = Answer {
        kind,
        status: response.status,
        body: response.body,
        checked: response.checked,
        notes: Vec::new(),
        hints,
    };
    match verdict {
        Verdict::Success { notes } => {
            answer.notes = notes;
            Ok(answer)
        }
        Verdict::Failed { reasons } => {
            let words = match reasons.is_empty() {
                true => "the API reported a failure".to_string(),
                false => reasons.join("; "),
            };
            Err(Error::new(ErrorKind::ApiFailure, words)
                .with_reasons(reasons)
                .with_answer(answer))
        }
        Verdict::Refused(_) | Verdict::Broken(_) => Err(Error::broken("no verdict")),
    }
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
    let port = target.port();
    [Service::Whm, Service::Cpanel, Service::Webmail]
        .into_iter()
        .find(|s| {
            *s != target.service()
                && (s.default_port(true) == port || s.default_port(false) == port)
        })
}

/// Which port the target's calls likely belong on.
pub fn wrong_port_advice(target: &Target) -> String {
    let (port, service) = (target.port(), target.service());
    let expected = service.default_port(target.tls());
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
        deadline: started + target.timeout(),
        bytes: client.max_body(),
    };
    let mut merger = paginate::Merger::new(kind, client.spooling());
    let mut notes = Vec::new();
    let (mut start, mut announced) = (1usize, None);
    for _ in 0..paginate::MAX_PAGES {
        let page = call.with_params(paginate::page_params(kind, start, size)?);
        let mut request = page.to_request(method)?;
        request.budget = Some(budget);
        // Pages only read.
        request.idempotent = true;
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
                Error::broken(format!(
                    "{} cannot merge the page at record {start} ({e}): run without {}",
                    Term::Paging,
                    Term::Paging
                ))
            })?;
        let total = paginate::total(kind, &page.metadata).map_err(|raw| {
            Error::broken(format!(
                "{} cannot read the page count the server sent ({raw}) at record {start}: nothing printed; run without {}",
                Term::Paging,
                Term::Paging
            ))
        })?;
        // A server that ignores the start asked for would hand the same records twice.
        if let Some(echoed) = paginate::echoed_start(kind, &page.metadata) {
            if echoed != start as u64 {
                return Err(Error::broken(format!(
                    "{} asked for the page at record {start}, the server sent the one at {echoed}: nothing printed; run without {}",
                    Term::Paging,
                    Term::Paging
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
        return Err(Error::broken(format!(
            "{} got {fetched} records, but the server announced {total}: the listing changed while paging, or the server pages in a way {} does not follow; nothing printed — run again",
            Term::Paging,
            Term::Program
        )));
    }
    let mut spool = crate::body::Spool::new(0, client.spooling());
    let mut checker = crate::json::Checker::default();
    merger
        .finish(&mut |piece| {
            checker.feed(piece);
            spool.write(piece)
        })
        .map_err(|e| Error::local(format!("cannot merge the pages: {e}")).because(e))?;
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
    let network = matches!(
        e.kind(),
        ErrorKind::Timeout | ErrorKind::Disconnected | ErrorKind::Connect | ErrorKind::Dns
    );
    if std::time::Instant::now() >= budget.deadline && network {
        return Error::new(
            ErrorKind::Timeout,
            format!(
                "{} did not finish within {:.0} s ({}, for all pages together; {so_far} fetched): raise {}, or narrow the listing (api.filter); nothing printed",
                Term::Paging,
                (budget.deadline - started).as_secs_f64(),
                Term::Timeout,
                Term::Timeout
            ),
        );
    }
    if *e.kind() == ErrorKind::TooLarge {
        return Error::new(
            ErrorKind::TooLarge,
            format!(
                "{}'s pages together are larger than {} ({so_far} fetched): raise {}, or narrow the listing (api.filter); nothing printed",
                Term::Paging,
                Term::MaxBody,
                Term::MaxBody
            ),
        );
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refusal on another service's standard port names the port, whatever the refusal says.
    #[test]
    fn wrong_port_hints_table() {
        let target = |service: &str, port: u16| {
            let service = match service {
                "whm" => crate::Service::Whm,
                _ => crate::Service::Cpanel,
            };
            Target::builder("h.example")
                .service(service)
                .port(port)
                .user("bob")
                .token("t")
                .build()
                .unwrap()
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

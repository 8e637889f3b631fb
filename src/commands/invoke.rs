//! What a command line asks of the calls it makes, shared by single calls, fan-out and batch:
//! the call a `whm` or `cpanel` command becomes, the options it is made with, its checks against
//! the catalogue, its curl form, and writing to stdout.

use std::io::Write;

use cpanel_client::{Call, CallOptions, Method};

use crate::catalog::Class;

pub use crate::output::answer::{shown, Shown};

use crate::cli::{Command, Global};
use crate::config::profile::Target;
use crate::error::{Error, Result};
use crate::output::filter::Filter;

/// One call on `client` (tried again as `--retry` says), with the catalogue's hint when the
/// server does not know its function.
pub fn fetch(
    g: &Global,
    client: &cpanel_client::Client,
    call: &Call,
    options: &CallOptions,
) -> Result<Shown> {
    let options = for_class(call, options);
    fetch_by(g, client.target(), call, || {
        client.call_with(call, &options)
    })
}

/// One call made by `attempt` (tried again as `--retry` says), its answer as shown, with the
/// catalogue's hint when the server does not know its function.
pub fn fetch_by(
    g: &Global,
    target: &Target,
    call: &Call,
    attempt: impl FnMut() -> cpanel_client::Result<cpanel_client::Answer>,
) -> Result<Shown> {
    let result = with_retries(g, target, call, attempt);
    // A refusal (401/403, a bad token) or an API "no" ran nothing; a failure on the way back
    // (a 5xx, a connection closed or a timeout after the request was sent) may have.
    let may_have_run = matches!(&result, Err(e) if e.may_have_run() && matches!(
        e.kind(),
        cpanel_client::ErrorKind::HttpStatus(500..=599)
            | cpanel_client::ErrorKind::Disconnected
            | cpanel_client::ErrorKind::Timeout
            | cpanel_client::ErrorKind::Broken
    ));
    let verb = match class_of(call).0 {
        Class::Read => None,
        Class::Change => Some("changes"),
        Class::Unknown => Some("may change"),
    };
    let mut shown = shown(result).map_err(|e| match verb.filter(|_| may_have_run) {
        // "Try again" is not the advice for a change the server may have made.
        Some(verb) => crate::error::Error::new(
            e.exit,
            format!(
                "{}; {} {verb} the server and may have run: check (a listing, the server's logs) before sending it again",
                without_try_again(e.message()),
                label(call),
            ),
        ),
        None => e,
    })?;
    unknown_function_hint(call, &mut shown);
    Ok(shown)
}

/// What one run needs besides the command: the global flags and the compiled `--jq` filter.
pub struct Ctx<'a> {
    pub g: &'a Global,
    pub jq: Option<&'a Filter>,
}

/// A transport message without its "try again" advice, which is wrong for a change that may
/// have run (the advice that replaces it follows).
fn without_try_again(message: &str) -> String {
    message
        .replace(
            " (cPanel may be updating; try again later)",
            " (cPanel may be updating)",
        )
        .replace(": try again, or check the server's logs", "")
}

/// The catalogue's entry for a call, and its name in messages; `None` for API 2 and for what
/// the catalogue does not know (the server may be newer).
pub fn catalogued(call: &Call) -> Option<(&'static crate::catalog::Function, String)> {
    match call {
        Call::Whm { function, .. } => {
            crate::catalog::whm(function).map(|f| (f, f.name.to_string()))
        }
        Call::Uapi {
            module, function, ..
        } => crate::catalog::uapi(module, function).map(|f| (f, format!("{module}::{function}"))),
        _ => None,
    }
}

/// The call against the catalogue: each parameter it does not know and each required one
/// missing is a warning (after `place`, such as "batch line 3: "), or with `strict` an error
/// (exit 2) before anything is sent.
pub fn vet(call: &Call, strict: bool, place: &str) -> Result<()> {
    let findings = findings(call);
    match findings.first() {
        Some(first) if strict => Err(Error::usage(format!(
            "{first}; nothing sent (strict): fix the call, or call without strict (drop --strict, CPCALL_STRICT=0) if the server is newer than the catalogue"
        ))),
        _ => {
            for finding in findings {
                crate::output::stderr::warn(format!("{place}{finding}"));
            }
            Ok(())
        }
    }
}

/// What the catalogue questions about a call: a function or module it does not know; for one
/// it knows, parameters it does not take, required ones missing, values outside a listed set.
/// API 2 calls are not questioned (the catalogue is UAPI's).
fn findings(call: &Call) -> Vec<String> {
    let Some((function, label)) = catalogued(call) else {
        let unknown = match call {
            Call::Whm { function, .. } => crate::catalog::unknown_whm(function),
            Call::Uapi {
                module, function, ..
            } => crate::catalog::unknown_uapi(module, function),
            _ => None,
        };
        return unknown
            .map(|u| format!("{u} {}", crate::catalog::attribution()))
            .into_iter()
            .collect();
    };
    let keys: Vec<&str> = call.params().iter().map(|(k, _)| k.as_str()).collect();
    let mut findings = crate::catalog::check_params(function, &label, &keys);
    findings.extend(crate::catalog::check_values(
        function,
        &label,
        call.params(),
    ));
    findings
}

/// When the server says the function does not exist (WHM "Unknown app", UAPI "Failed to load
/// module" or "function not found", API 2 "Could not find function"), the catalogue's closest
/// names, as a hint.
pub fn unknown_function_hint(call: &Call, answer: &mut Shown) {
    use crate::catalog::{self, closest};
    let Some(reasons) = &answer.reasons else {
        return;
    };
    let telltale = reasons.iter().any(|r| {
        let r = r.to_ascii_lowercase();
        [
            "unknown app",
            "failed to load module",
            "function not found",
            "could not find function",
        ]
        .iter()
        .any(|t| r.contains(t))
    });
    if !telltale {
        return;
    }
    let hint = match call {
        Call::Whm { function, .. } => match catalog::unknown_whm(function) {
            Some(unknown) => unknown,
            None => return,
        },
        // API 2 names differ from UAPI's (listpopswithdisk): the catalogue's closest are UAPI
        // functions, called without --api2.
        Call::Api2 {
            module, function, ..
        } => {
            let names = catalog::module(module)
                .map(|m| closest(function, m.functions.iter().map(|f| f.name), 3))
                .unwrap_or_default();
            if names.is_empty() {
                return;
            }
            format!(
                "the catalogue holds UAPI, not API 2: its closest {module} functions are {} (call them without --api2)",
                names.join(", ")
            )
        }
        Call::Uapi {
            module, function, ..
        } => match catalog::unknown_uapi(module, function) {
            Some(unknown) => unknown,
            None => return,
        },
        _ => return,
    };
    answer
        .hints
        .push(format!("{hint} {}", catalog::attribution()));
}

/// Whether the calls of this run are held to the catalogue: `--strict`; else `CPCALL_STRICT`
/// (1 or 0, so `CPCALL_STRICT=0` relaxes a profile for one run); else the profile's `strict`.
pub fn strict(g: &Global, target: &Target) -> Result<bool> {
    if g.strict {
        return Ok(true);
    }
    Ok(strict_env()?.unwrap_or(crate::config::profile::strict(target)))
}

/// `CPCALL_STRICT`: unset or empty is no say.
fn strict_env() -> Result<Option<bool>> {
    switch_env("CPCALL_STRICT", "refuse questioned calls")
}

/// A `1`-or-`0` variable: unset or empty is no say.
fn switch_env(name: &str, what: &str) -> Result<Option<bool>> {
    let Some(value) = std::env::var_os(name) else {
        return Ok(None);
    };
    match value.to_string_lossy().trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "1" | "true" | "yes" | "on" => Ok(Some(true)),
        "0" | "false" | "no" | "off" => Ok(Some(false)),
        _ => Err(Error::usage(format!(
            "{name}={} is neither 1 nor 0: set it to 1 ({what}) or 0, or unset it",
            crate::output::stderr::escape_for_terminal(&value.to_string_lossy())
        ))),
    }
}

/// Whether calls that change the server are refused: `--read-only`; else `CPCALL_READ_ONLY`;
/// else the profile's `read_only`.
pub fn read_only(g: &Global, target: &Target) -> Result<bool> {
    if g.read_only {
        return Ok(true);
    }
    let env = switch_env("CPCALL_READ_ONLY", "refuse calls that change the server")?;
    Ok(env.unwrap_or(target.settings().read_only.unwrap_or(false)))
}

/// How a call counts, as far as the catalogue knows: read, change or unknown (a function the
/// catalogue does not know, and API 2's, are unknown), and why.
pub fn class_of(call: &Call) -> (Class, String) {
    match catalogued(call) {
        Some((f, _)) => (f.class, f.class_why.to_string()),
        None => (Class::Unknown, "the catalogue does not know it".to_string()),
    }
}

/// The checks a call passes before anything is sent: the catalogue's questions ([`vet`]),
/// and under read-only, that it only reads (exit 2, its class named).
pub fn admit(call: &Call, g: &Global, target: &Target, place: &str) -> Result<()> {
    vet(call, strict(g, target)?, place)?;
    if read_only(g, target)? {
        let (class, why) = class_of(call);
        if class != Class::Read {
            return Err(Error::usage(format!(
                "{} {} ({why}): not sent, since {} is read-only (--read-only, CPCALL_READ_ONLY or read_only = true); drop that for this call",
                label(call),
                crate::commands::describe::class_words(class),
                target.describe()
            )));
        }
    }
    if let Some((f, name)) = catalogued(call) {
        if f.deprecated {
            let instead = f
                .replaced_by
                .map_or_else(String::new, |by| format!(": use {by} instead"));
            crate::output::stderr::warn(format!(
                "{place}{name} is deprecated {}{instead}",
                crate::catalog::attribution()
            ));
        }
    }
    Ok(())
}

/// `whm listaccts`, `cpanel Email::add_pop`, for messages.
fn label(call: &Call) -> String {
    match call {
        Call::Whm { function, .. } => format!("whm {function}"),
        Call::Uapi {
            module, function, ..
        } => format!("cpanel {module}::{function}"),
        Call::Api2 {
            module, function, ..
        } => format!("API 2 {module}::{function}"),
        _ => "the call".to_string(),
    }
}

/// The run's `--retry` (else the profile's `retry`): how many times a call that only reads,
/// or that never reached the server, is tried again.
pub fn retries(g: &Global, target: &Target) -> u32 {
    g.retry.or(target.settings().retry).unwrap_or(0)
}

/// A failure that may pass, for a call of `class`: one that never reached the server (the
/// connection refused, a name not resolved yet, a proxy down) for any call; for a call that
/// only reads, also a timeout, a connection cut, a 5xx (cpsrvd restarting). Never a refusal
/// (cPHulk), an API's "no", or a change that may have run.
pub fn may_pass(e: &cpanel_client::Error, class: Class) -> bool {
    use cpanel_client::ErrorKind as K;
    let transient = matches!(
        e.kind(),
        K::Connect | K::Dns | K::Proxy | K::Timeout | K::Disconnected | K::HttpStatus(500..=599)
    );
    // 429: the server asks to wait; what it refused to do was not done, but only a read is
    // sure to be worth the wait.
    let slow_down = matches!(e.kind(), K::HttpStatus(429)) && class == Class::Read;
    slow_down || transient && (e.never_sent() || class == Class::Read)
}

/// Tries `attempt` again after failures that may pass ([`may_pass`]), `retries` times at
/// most, waiting 0.5 s, 1 s, 2 s… (each ±50%, so parallel runs do not come back together),
/// all within the target's timeout from the first try.
pub fn with_retries<T>(
    g: &Global,
    target: &Target,
    call: &Call,
    mut attempt: impl FnMut() -> cpanel_client::Result<T>,
) -> cpanel_client::Result<T> {
    let retries = retries(g, target);
    let (class, _) = class_of(call);
    let deadline = std::time::Instant::now() + target.timeout();
    let mut wait = std::time::Duration::from_millis(500);
    let mut tried = 0;
    loop {
        tried += 1;
        let result = attempt();
        let e = match result {
            Err(e) if tried <= retries && may_pass(&e, class) => e,
            other => return other,
        };
        let pause = wait.mul_f64(0.5 + jitter());
        if std::time::Instant::now() + pause >= deadline {
            crate::output::stderr::warn(format!(
                "{}: gave up after {tried} of {} tries: another would end past --timeout ({} s)",
                label(call),
                retries + 1,
                target.timeout().as_secs_f64()
            ));
            return Err(e);
        }
        if g.verbose {
            crate::output::stderr::line(&format!(
                "* {} failed ({}); trying again in {} ms (try {} of {})",
                label(call),
                crate::error::words(&e),
                pause.as_millis(),
                tried + 1,
                retries + 1
            ));
        }
        std::thread::sleep(pause);
        wait *= 2;
    }
}

/// A number in [0, 1) that differs between processes and moments (not for secrets).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() % 10_000) as f64 / 10_000.0
}

/// The `KEY=VALUE` arguments of a `whm` or `cpanel` command line.
pub fn command_params(command: &Command) -> &[String] {
    match command {
        Command::Whm { params, .. } | Command::Cpanel { params, .. } => params,
        _ => &[],
    }
}

/// The API call a `whm` or `cpanel` command line makes on `target`, with its parsed `params`.
pub fn call(
    command: &Command,
    target: &Target,
    params: Vec<cpanel_client::params::Param>,
) -> Result<Call> {
    let call = match command {
        Command::Whm { function, .. } => Call::Whm {
            function: function.clone(),
            params,
        },
        Command::Cpanel {
            user,
            api2,
            module,
            function,
            ..
        } => {
            let (module, function, via_whm) = (module.clone(), function.clone(), user.clone());
            if *api2 {
                Call::Api2 {
                    module,
                    function,
                    params,
                    via_whm,
                }
            } else {
                Call::Uapi {
                    module,
                    function,
                    params,
                    via_whm,
                }
            }
        }
        _ => return Err(Error::usage("not an API call")),
    };
    // Already fitted unless the profile's cpanel_user was filled in.
    let fitted = match call.fit_to(target)? {
        std::borrow::Cow::Owned(fitted) => Some(fitted),
        std::borrow::Cow::Borrowed(_) => None,
    };
    Ok(fitted.unwrap_or(call))
}

/// The options for this call: a call the catalogue knows to only read may be sent again on a
/// fresh connection when a kept-alive one ends before its answer.
pub fn for_class(call: &Call, options: &CallOptions) -> CallOptions {
    options.idempotent(class_of(call).0 == Class::Read)
}

pub fn options(g: &Global) -> CallOptions {
    let options = CallOptions::default().method(if g.get { Method::Get } else { Method::Post });
    match g.paginate {
        true => options.paginate(g.page_size as usize),
        false => options,
    }
}

/// The library's client for `target`, with this run's `-v` and `--max-size`, its words on
/// stderr as cpcall's own.
pub fn client(g: &Global, target: &Target) -> Result<cpanel_client::Client> {
    let options = cpanel_client::Options::default()
        .verbose(g.verbose)
        .max_body(max_body(g))
        .reporter(std::sync::Arc::new(crate::output::stderr::Reporter));
    Ok(cpanel_client::Client::new(target.clone(), options)?)
}

pub fn max_body(g: &Global) -> u64 {
    g.max_size
        .unwrap_or(cpanel_client::__internals::DEFAULT_MAX_BODY)
}

pub fn print_bytes(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if !crate::output::reader_gone(&e) => Err(Error::usage(format!(
            "cannot write to {}: {e}",
            crate::output::stdout_name()
        ))),
        _ => Ok(()),
    }
}

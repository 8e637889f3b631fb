//! What a command line asks of the calls it makes, shared by single calls, fan-out and batch:
//! the call a `whm` or `cpanel` command becomes, the options it is made with, its checks against
//! the catalogue, its curl form, and writing to stdout.

use std::io::Write;

use cpanel_client::{Call, CallOptions, Method};

pub use crate::output::answer::{shown, Shown};

use crate::cli::{Command, Global};
use crate::config::profile::Target;
use crate::error::{Error, Result};
use crate::output::filter::Filter;

/// One call on `client`, with the catalogue's hint when the server does not know its function.
pub fn fetch(client: &cpanel_client::Client, call: &Call, options: &CallOptions) -> Result<Shown> {
    let mut shown = shown(client.call_with(call, options))?;
    unknown_function_hint(call, &mut shown);
    Ok(shown)
}

/// What one run needs besides the command: the global flags and the compiled `--jq` filter.
pub struct Ctx<'a> {
    pub g: &'a Global,
    pub jq: Option<&'a Filter>,
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
    let Some(value) = std::env::var_os("CPCALL_STRICT") else {
        return Ok(None);
    };
    match value.to_string_lossy().trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "1" | "true" | "yes" | "on" => Ok(Some(true)),
        "0" | "false" | "no" | "off" => Ok(Some(false)),
        _ => Err(Error::usage(format!(
            "CPCALL_STRICT={} is neither 1 nor 0: set it to 1 (refuse questioned calls) or 0, or unset it",
            crate::output::stderr::escape_for_terminal(&value.to_string_lossy())
        ))),
    }
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

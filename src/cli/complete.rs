//! Completion of the API's vocabulary at TAB: WHM function names, UAPI modules and functions,
//! a function's parameters (`name=`, required ones first, those on the line not again) and
//! their documented values, from the catalogue.
//!
//! clap's completion engine hands a completer only the word under the cursor; what came
//! before it (which function, which parameters) is read from the whole command line, which
//! `main` hands over with [`remember`]. bash splits `key=value` at `=` (COMP_WORDBREAKS), so
//! there the line ends `… key = value` and candidates are the value alone; zsh and fish keep
//! the word whole and get `key=value` back.

use std::ffi::OsStr;
use std::sync::OnceLock;

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;

use crate::catalog::{self, Function};

static LINE: OnceLock<Vec<String>> = OnceLock::new();

/// The command line being completed: the words after `--` (the program's name first), the
/// last being the word under the cursor.
pub fn remember(args: &[String]) {
    let words = match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].to_vec(),
        None => args.to_vec(),
    };
    let _ = LINE.set(words);
}

/// What the line says before the word under the cursor.
struct Context {
    subcommand: String,
    /// `whm` function, or `cpanel` module (and function).
    first: Option<String>,
    second: Option<String>,
    api2: bool,
    /// The `KEY=VALUE` words so far, as the shell split them.
    params: Vec<String>,
}

fn context() -> Option<Context> {
    let line = LINE.get()?;
    let before = &line[..line.len().saturating_sub(1)];
    let matches = crate::cli::Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(before)
        .ok()?;
    let (name, sub) = matches.subcommand()?;
    let value = |id: &str| sub.try_get_one::<String>(id).ok().flatten().cloned();
    let (first, second) = match name {
        "whm" => (value("function"), None),
        "cpanel" => (value("module"), value("function")),
        "describe" => (value("name"), value("function")),
        _ => (None, None),
    };
    Some(Context {
        subcommand: name.to_string(),
        first,
        second,
        api2: sub
            .try_get_one::<bool>("api2")
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false),
        params: sub
            .try_get_many::<String>("params")
            .ok()
            .flatten()
            .map(|v| v.cloned().collect())
            .unwrap_or_default(),
    })
}

fn candidates<'a>(
    current: &OsStr,
    names: impl Iterator<Item = (&'a str, String)>,
) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    names
        .filter(|(name, _)| name.starts_with(current.as_ref()))
        .map(|(name, help)| CompletionCandidate::new(name).help(Some(help.into())))
        .collect()
}

pub fn whm_functions(current: &OsStr) -> Vec<CompletionCandidate> {
    candidates(current, catalog::WHM.iter().map(|f| (f.name, about(f))))
}

pub fn modules(current: &OsStr) -> Vec<CompletionCandidate> {
    candidates(
        current,
        catalog::UAPI
            .iter()
            .map(|m| (m.name, format!("{} functions", m.functions.len()))),
    )
}

pub fn uapi_functions(current: &OsStr) -> Vec<CompletionCandidate> {
    // API 2 names differ from UAPI's (listpopswithdisk): the catalogue has none to offer.
    let Some(module) = context()
        .filter(|c| !c.api2)
        .and_then(|c| c.first)
        .and_then(|m| catalog::module(&m))
    else {
        return Vec::new();
    };
    candidates(current, module.functions.iter().map(|f| (f.name, about(f))))
}

/// `describe whm NAME` or `describe cpanel MODULE`.
pub fn describe_name(current: &OsStr) -> Vec<CompletionCandidate> {
    match LINE
        .get()
        .and_then(|l| l.iter().rev().nth(1))
        .map(String::as_str)
    {
        Some("whm") => whm_functions(current),
        Some("cpanel") => modules(current),
        _ => Vec::new(),
    }
}

/// `describe cpanel MODULE FUNCTION`.
pub fn describe_function(current: &OsStr) -> Vec<CompletionCandidate> {
    uapi_functions(current)
}

fn about(f: &Function) -> String {
    // The class first, where the shell shows descriptions (zsh, fish): a change is seen
    // before Enter.
    let class = match f.class {
        crate::catalog::Class::Read => "reads",
        crate::catalog::Class::Change => "changes",
        crate::catalog::Class::Unknown => "may change",
    };
    let mut text = format!(
        "{class} · {}",
        f.summary
            .map_or_else(|| f.section.replace('-', " "), str::to_string)
    );
    if f.deprecated {
        text.push_str(" (deprecated)");
    }
    text
}

/// The function the line calls, when the catalogue knows it.
fn function_of(ctx: &Context) -> Option<&'static Function> {
    match (ctx.subcommand.as_str(), &ctx.first, &ctx.second) {
        ("whm", Some(f), _) => catalog::whm(f),
        ("cpanel", Some(m), Some(f)) if !ctx.api2 => catalog::uapi(m, f),
        _ => None,
    }
}

/// A parameter's name (`username=`, no space after it), or one of its documented values.
pub fn params(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(ctx) = context() else {
        return Vec::new();
    };
    let Some(function) = function_of(&ctx) else {
        return Vec::new();
    };
    let current = current.to_string_lossy().into_owned();
    // bash: the word before the cursor, whole; bash completes only what follows its `=`.
    if let Some(word) = bash_word() {
        if let Some((key, prefix)) = word.split_once('=') {
            return values(function, key, prefix, "");
        }
    }
    // zsh, fish: `key=va<TAB>`.
    if let Some((key, prefix)) = current.split_once('=') {
        return values(function, key, prefix, &format!("{key}="));
    }
    let given = given_keys(&ctx.params);
    let mut params: Vec<_> = function
        .params
        .iter()
        .filter(|p| {
            Function::offered(p) && p.name.starts_with(&current) && !given.contains(&p.name)
        })
        .collect();
    // Required parameters first; then in the catalogue's order.
    params.sort_by_key(|p| !p.required);
    params
        .into_iter()
        .map(|p| {
            let mut help = p.kind.to_string();
            if p.required {
                help = format!("required, {help}");
            }
            if !p.values.is_empty() {
                help.push_str(&format!(": {}", p.values.join(", ")));
            }
            CompletionCandidate::new(format!("{}=", p.name)).help(Some(help.into()))
        })
        .collect()
}

/// Under bash, the last word of the line up to the cursor, as typed (`searchmethod=ex`): our
/// bash script passes the line, since bash's own words have lost the `=` by then.
fn bash_word() -> Option<String> {
    let line = std::env::var("_CPCALL_COMP_LINE").ok()?;
    if line.ends_with(char::is_whitespace) {
        return Some(String::new());
    }
    line.split_whitespace().last().map(str::to_string)
}

/// The keys already on the line, in both shapes the shells leave them.
fn given_keys(words: &[String]) -> Vec<&str> {
    let mut keys = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if let Some((key, _)) = word.split_once('=').filter(|(k, _)| !k.is_empty()) {
            keys.push(key);
        } else if words.get(i + 1).is_some_and(|next| next == "=") {
            keys.push(word.as_str());
        }
    }
    keys
}

fn values(function: &Function, key: &str, prefix: &str, lead: &str) -> Vec<CompletionCandidate> {
    let Some(param) = function.param(key) else {
        return Vec::new();
    };
    param
        .values
        .iter()
        .filter(|v| v.starts_with(prefix))
        .map(|v| {
            let help = if param.default == Some(*v) {
                "default"
            } else {
                ""
            };
            CompletionCandidate::new(format!("{lead}{v}")).help(Some(help.into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_keys_table() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            given_keys(&words(&["user=bob", "plan", "=", "x", "=y"])),
            ["user", "plan"]
        );
    }
}

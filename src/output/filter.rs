//! `--jq FILTER`: jq filters run in-process (jaq), so cron hosts need no jq. Strings print raw
//! and each result on its own line, like `jq -r`.
//!
//! The filter is compiled before anything is sent ([`Filter::compile`]), so a typo costs no
//! call. Its outputs never decide the exit code: `halt` and `halt_error` only stop the filter
//! (the API's verdict still decides), and a runtime error is exit 2 with a short message.

use std::fmt::Write as _;
use std::io::Write;

use jaq_core::load::{lex, parse, Arena, File, Loader};
use jaq_core::native::{run, v, Fun};
use jaq_core::{data, Compiler, Ctx, Vars};
use jaq_json::Val;

use crate::error::{Error, Exit, Result};
use cpanel_client::View;

/// How deep an answer may nest for the filter: jaq reads and walks values recursively, and a
/// hostile answer 30,000 levels deep would overflow the stack. Real answers nest < 10.
pub const MAX_DEPTH: usize = 512;
/// The memory a filter may add to the process: at least this much…
const MEMORY_FLOOR: u64 = 2 << 30;
/// …or this many times the answer's size (jaq's values take 5–10 bytes of memory per byte of
/// JSON).
const MEMORY_PER_INPUT_BYTE: u64 = 20;

/// The process's resident memory, from /proc (Linux); `None` where it cannot be read.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a constant of the system.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok().filter(|p| *p > 0).unwrap_or(4096))
}

/// The most results a filter may make: they are kept until it ends (so that a failing filter
/// prints nothing), and `range(1e12)` must not take the host's memory with it.
const MAX_OUTPUTS: usize = 10_000_000;
/// The longest piece of a value a message quotes.
const QUOTE_LIMIT: usize = 120;

type Data = data::JustLut<Val>;

/// The stack a filter runs on: far more than any real filter needs, so that only a recursion
/// that never ends reaches its end (and is then reported, see `signals::JqRunning`).
const FILTER_STACK: usize = 64 << 20;

/// A filter that compiled: its text, checked. Compiled again where it runs (jaq's compiled
/// form is tied to one thread), which costs well under a millisecond.
#[derive(Debug, Clone)]
pub struct Filter {
    code: String,
    /// How long one run may take (the run's --timeout): a filter that never ends is stopped.
    budget: std::time::Duration,
    /// `--arg NAME VALUE` and `--argjson NAME JSON`: each name and its value as JSON text.
    named: Vec<(String, String)>,
}

/// What the filter made of one answer.
#[derive(Debug, Default)]
pub struct Outputs {
    pub values: Vec<Val>,
    /// `halt` or `halt_error` stopped it: the outputs before are kept, nothing else changes.
    pub halted: bool,
}

impl Filter {
    /// Parses and compiles `code`; an error names the position in the filter (exit 2).
    pub fn compile(
        code: &str,
        budget: std::time::Duration,
        named: Vec<(String, String)>,
    ) -> Result<Filter> {
        compiled(code, &named)?;
        Ok(Filter {
            code: code.to_string(),
            budget,
            named,
        })
    }

    /// Runs the filter on the JSON `input` on a thread of its own, and hands the outputs to
    /// `format` there (jaq's values cannot leave their thread): within the budget, or an
    /// error that says the filter does not end.
    fn guarded<T: Send + 'static>(
        &self,
        input: &View,
        format: impl FnOnce(Outputs) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut input.reader(), &mut bytes)
            .map_err(|e| Error::transport(format!("cannot read the answer for --jq: {e}")))?;
        let memory_cap = MEMORY_FLOOR.max(bytes.len() as u64 * MEMORY_PER_INPUT_BYTE);
        let memory_before = resident_bytes().unwrap_or(0);
        let code = self.code.clone();
        let named = self.named.clone();
        let (done, result) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("jq".into())
            .stack_size(FILTER_STACK)
            .spawn(move || {
                let _running = crate::signals::JqRunning::start();
                let outputs = evaluate(&code, &bytes, &named).and_then(format);
                let _ = done.send(outputs);
            })
            .map_err(|e| Error::usage(format!("cannot start the --jq filter: {e}")))?;
        // Waited for in steps, each a look at the process's memory: a filter that builds one
        // value without end (`[range(1e12)]`) is stopped long before the host's memory is gone.
        let start = std::time::Instant::now();
        loop {
            let step = self
                .budget
                .saturating_sub(start.elapsed())
                .min(std::time::Duration::from_millis(100));
            match result.recv_timeout(step) {
                Ok(outputs) => return outputs,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Error::usage("the --jq filter stopped without a result"))
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
            if start.elapsed() >= self.budget {
                return Err(Error::usage(format!(
                    "the --jq filter was still running after {} s (--timeout): it may never end (a recursion without a base case, an endless range): fix the filter",
                    self.budget.as_secs_f64()
                )));
            }
            // Growth since this filter started, against one cap per filter running now (the
            // jobs of a fan-out filter at once).
            let running = crate::signals::filters_running().max(1) as u64;
            if resident_bytes()
                .is_some_and(|rss| rss.saturating_sub(memory_before) > memory_cap * running)
            {
                return Err(Error::usage(format!(
                    "the --jq filter took more than {} MiB of memory (it may build a value without end): bound it (limit(N; …), first), or filter the answer in steps",
                    memory_cap >> 20
                )));
            }
        }
    }

    /// Runs the filter and writes its outputs, one per line (strings raw). On a `terminal`, the
    /// control characters of raw strings are shown escaped (line breaks and tabs kept), so a
    /// server's string cannot act on the terminal; piped, they pass as `jq -r` passes them.
    pub fn print(
        &self,
        input: &View,
        style: crate::output::Style,
        color: bool,
        terminal: bool,
        out: &mut dyn Write,
    ) -> Result<()> {
        let text = self.guarded(input, move |outputs| {
            let mut text = Vec::new();
            let fail = |e: std::io::Error| Error::usage(format!("jq output: {e}"));
            for value in &outputs.values {
                match value {
                    Val::TStr(bytes) if terminal => {
                        text.extend_from_slice(
                            crate::output::stderr::escape_for_terminal(&String::from_utf8_lossy(
                                bytes,
                            ))
                            .as_bytes(),
                        );
                        text.push(b'\n');
                    }
                    Val::TStr(bytes) => {
                        text.extend_from_slice(bytes);
                        text.push(b'\n');
                    }
                    // Laid out and coloured as cpcall prints an answer: indented and in colour
                    // on a terminal, as the flags say.
                    other => {
                        crate::output::write_bytes(&mut text, &compact(other)?, style, color)
                            .map_err(fail)?;
                    }
                }
            }
            Ok(text)
        })?;
        match out.write_all(&text).and_then(|()| out.flush()) {
            // A reader that stops early (`| head`) is not an error.
            Err(e) if !crate::output::reader_gone(&e) => Err(Error::usage(format!(
                "cannot write the filter's output: {e}"
            ))),
            _ => Ok(()),
        }
    }

    /// The outputs as JSON texts (strings stay quoted), for embedding in JSON lines.
    pub fn json_values(&self, input: &View) -> Result<Vec<Box<serde_json::value::RawValue>>> {
        self.guarded(input, |outputs| {
            outputs
                .values
                .iter()
                .map(|v| {
                    serde_json::value::RawValue::from_string(
                        String::from_utf8_lossy(&compact(v)?).into_owned(),
                    )
                    .map_err(|e| Error::usage(format!("jq output is not JSON: {e}")))
                })
                .collect()
        })
    }
}

/// Runs `code` on the JSON text `input`: every output up to the end, a `halt`, or the first
/// error.
fn evaluate(code: &str, input: &[u8], named: &[(String, String)]) -> Result<Outputs> {
    let input = crate::output::jq_input::read(input, MAX_DEPTH).map_err(Error::transport)?;
    let filter = compiled(code, named)?;
    let value = |json: &str| {
        crate::output::jq_input::read(json.as_bytes(), MAX_DEPTH).map_err(Error::usage)
    };
    let mut globals = vec![value(&environment())?, value(&args(named))?];
    for (_, json) in named {
        globals.push(value(json)?);
    }
    let ctx = Ctx::<Data>::new(&filter.lut, Vars::new(globals));
    let mut outputs = Outputs::default();
    for result in filter.id.run((ctx, input)) {
        match result {
            Ok(_) if outputs.values.len() >= MAX_OUTPUTS => {
                return Err(Error::usage(format!(
                    "the --jq filter made more than {MAX_OUTPUTS} results, which would fill the memory before one is printed: bound it (limit(N; …), first, an index)"
                )))
            }
            Ok(value) => outputs.values.push(value),
            Err(exn) => match exn.get_err() {
                Ok(error) => {
                    return Err(Error::usage(format!(
                        "jq filter error: {}",
                        quote(&error.into_val(), QUOTE_LIMIT * 2)
                    )))
                }
                // `halt`, `halt_error`: the filter ends here; the exit code stays the API's.
                Err(_) => {
                    outputs.halted = true;
                    break;
                }
            },
        }
    }
    Ok(outputs)
}

/// `--arg NAME VALUE` and `--argjson NAME JSON` (clap gives each as two values in a row) as
/// names with JSON texts, checked: a name jq could write after `$`, JSON that parses.
pub fn named_args(args: &[String], json_args: &[String]) -> Result<Vec<(String, String)>> {
    let valid = |name: &str| {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !matches!(name, "ENV" | "ARGS" | "__loc__")
    };
    let mut named: Vec<(String, String)> = Vec::new();
    for (flag, list) in [("--arg", args), ("--argjson", json_args)] {
        for pair in list.chunks(2) {
            let [name, value] = pair else {
                return Err(Error::usage(format!("{flag} takes a NAME and a VALUE")));
            };
            if !valid(name) {
                return Err(Error::usage(format!(
                    "{flag} {name:?}: a variable name is letters, digits and _ (not starting with a digit), and not ENV or ARGS: e.g. {flag} user bob"
                )));
            }
            let json = match flag {
                "--arg" => serde_json::Value::String(value.clone()).to_string(),
                _ => serde_json::from_str::<serde_json::Value>(value)
                    .map_err(|e| {
                        Error::usage(format!(
                            "--argjson {name}: the value is not JSON ({e}); quote a string as '\"text\"' or use --arg"
                        ))
                    })?
                    .to_string(),
            };
            // As jq: the first value given for a name is the one.
            if !named.iter().any(|(n, _)| n == name) {
                named.push((name.clone(), json));
            }
        }
    }
    Ok(named)
}

/// `$ENV` as JSON: the environment, less what would show a credential (cpcall's own
/// `CPCALL_*` secrets, and any value the run masks as a secret).
fn environment() -> String {
    const SECRETS: [&str; 7] = [
        "CPCALL_TOKEN",
        "CPCALL_ACCESSHASH",
        "CPCALL_PASSWORD",
        "CPCALL_TOTP_SECRET",
        "CPCALL_OTP",
        "CPCALL_SESSION_COOKIE",
        "CPCALL_SESSION_TOKEN",
    ];
    let vars: serde_json::Map<String, serde_json::Value> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, v)| {
            !SECRETS.contains(&k.as_str()) && crate::mask::masked(v).as_ref() == v.as_str()
        })
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    serde_json::Value::Object(vars).to_string()
}

/// `$ARGS` as jq has it: `{"positional": [], "named": {NAME: value…}}`.
fn args(named: &[(String, String)]) -> String {
    let named: serde_json::Map<String, serde_json::Value> = named
        .iter()
        .filter_map(|(k, json)| Some((k.clone(), serde_json::from_str(json).ok()?)))
        .collect();
    serde_json::json!({ "positional": [], "named": named }).to_string()
}

/// A value as compact JSON text, as jaq writes it.
fn compact(value: &Val) -> Result<Vec<u8>> {
    let mut text = Vec::new();
    jaq_json::write::write(&mut text, &jaq_json::write::Pp::default(), 0, value)
        .map_err(|e| Error::usage(format!("jq output: {e}")))?;
    Ok(text)
}

/// cpcall's additions to the standard library (`@csv`, `@tsv`, `tostream`, `env`…).
const OWN_DEFS: &str = include_str!("jq_defs.jq");

/// The filter compiled against jaq's standard library and cpcall's additions, with cpcall's own
/// `stderr`; `$ENV`, `$ARGS` and each `--arg`/`--argjson` name are its global variables.
fn compiled(code: &str, named: &[(String, String)]) -> Result<jaq_core::Filter<Data>> {
    let own = jaq_core::load::parse(OWN_DEFS, |p| p.defs())
        .ok_or_else(|| Error::usage("cpcall's jq definitions do not parse"))?;
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .chain(own);
    // jaq's own `env` reads every variable, credentials included: `env` is `$ENV` here.
    let funs = jaq_core::funs()
        .chain(jaq_std::funs().filter(|(name, _, _)| !matches!(*name, "stderr_empty" | "env")))
        .chain(jaq_json::funs())
        .chain([stderr_empty()]);
    let globals: Vec<String> = ["$ENV".to_string(), "$ARGS".to_string()]
        .into_iter()
        .chain(named.iter().map(|(name, _)| format!("${name}")))
        .collect();
    let arena = Arena::default();
    let modules = Loader::new(defs)
        .load(&arena, File { code, path: () })
        .map_err(|errs| {
            let first = errs.into_iter().next().map(|(_, e)| e);
            syntax_error(code, first)
        })?;
    Compiler::default()
        .with_funs(funs)
        .with_global_vars(globals.iter().map(String::as_str))
        .compile(modules)
        .map_err(|errs| {
            let first = errs.into_iter().flat_map(|(_, e)| e).next();
            match first {
                Some((name, undefined)) => Error::usage(format!(
                    "invalid --jq filter at {}: undefined {} `{name}`",
                    position(code, name),
                    undefined.as_str()
                )),
                None => Error::usage("invalid --jq filter"),
            }
        })
}

/// `stderr`, `debug`-like output and `halt_error` messages: one escaped, shortened line on
/// stderr (jaq's own writes through a logger cpcall does not have, and could panic).
fn stderr_empty() -> Fun<Data> {
    run(("stderr_empty", v(0), |cv| {
        crate::output::stderr::say(format!("jq: {}", quote(&cv.1, QUOTE_LIMIT * 8)));
        Box::new(core::iter::empty())
    }))
}

/// A string as its text, anything else as JSON; cut after about `limit` bytes.
///
/// Masked before it is cut: a secret cut in two would no longer be recognised, and its first
/// part would show. So it is formatted as far as the longest secret form beyond `limit`
/// (a secret starting before the cut then ends inside what was formatted), masked, then cut.
fn quote(value: &Val, limit: usize) -> String {
    let window = limit + crate::mask::longest() + 4;
    let text = match value {
        Val::TStr(bytes) | Val::BStr(bytes) => {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(window + 4)]);
            bounded(&text, window)
        }
        other => bounded(other, window),
    };
    let (text, cut) = match text.strip_suffix('…') {
        Some(kept) => (kept.to_string(), true),
        None => (text, false),
    };
    let text = crate::mask::masked(&text);
    if text.len() <= limit {
        return if cut {
            format!("{text}…")
        } else {
            text.into_owned()
        };
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// `value` formatted, cut after about `limit` bytes: formatting stops there, so a 40 MB value
/// costs nothing.
fn bounded(value: &dyn std::fmt::Display, limit: usize) -> String {
    struct Cap(String, usize);
    impl std::fmt::Write for Cap {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let room = self.1.saturating_sub(self.0.len());
            if s.len() <= room {
                self.0.push_str(s);
                return Ok(());
            }
            let mut end = room;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            self.0.push_str(&s[..end]);
            Err(std::fmt::Error)
        }
    }
    let mut cap = Cap(String::new(), limit);
    match write!(cap, "{value}") {
        Ok(()) => cap.0,
        Err(_) => cap.0 + "…",
    }
}

/// A parse error as one line: where in the filter, what was expected, what was found.
fn syntax_error(code: &str, error: Option<jaq_core::load::Error<&str>>) -> Error {
    use jaq_core::load::Error as E;
    let (expected, found): (String, &str) = match error {
        Some(E::Lex(errs)) => match errs.into_iter().next() {
            Some((expect, at)) => (lex_expectation(&expect), at),
            None => (String::new(), ""),
        },
        Some(E::Parse(errs)) => match errs.into_iter().next() {
            Some((expect, at)) => (parse_expectation(&expect), at),
            None => (String::new(), ""),
        },
        Some(E::Io(errs)) => {
            let detail = errs.into_iter().next().map(|(_, e)| e).unwrap_or_default();
            return Error::usage(format!("invalid --jq filter: {detail}"));
        }
        None => (String::new(), ""),
    };
    let what = match found.chars().next() {
        None => "the end of the filter".to_string(),
        Some(_) => {
            let token: String = found.chars().take(20).collect();
            format!("`{}`", crate::output::stderr::escape(&token))
        }
    };
    Error::new(
        Exit::Usage,
        format!(
            "invalid --jq filter at {}: expected {expected}, found {what}",
            position(code, found)
        ),
    )
}

fn lex_expectation(expect: &lex::Expect<&str>) -> String {
    match expect {
        lex::Expect::Delim("(") => "a closing parenthesis".into(),
        lex::Expect::Delim("[") => "a closing bracket".into(),
        lex::Expect::Delim("{") => "a closing brace".into(),
        lex::Expect::Delim("\"") => "a closing quote".into(),
        lex::Expect::Delim(other) => format!("the end of `{other}`"),
        other => other.as_str().to_string(),
    }
}

fn parse_expectation(expect: &parse::Expect<&str>) -> String {
    match expect {
        parse::Expect::Just(s) => format!("`{s}`"),
        parse::Expect::Term => "a value or expression".into(),
        parse::Expect::Nothing => "nothing more".into(),
        other => other.as_str().to_string(),
    }
}

/// `line:column` (1-based) of `part`, a slice of `code`; the end when it is not one.
fn position(code: &str, part: &str) -> String {
    let start = code.as_ptr() as usize;
    let at = (part.as_ptr() as usize)
        .checked_sub(start)
        .filter(|o| *o <= code.len())
        .unwrap_or(code.len());
    let before = &code[..floor_boundary(code, at)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{line}:{column}")
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(code: &str, input: &str) -> Result<String> {
        let mut out = Vec::new();
        let body = cpanel_client::__internals::Body::from_vec(input.as_bytes().to_vec());
        Filter::compile(code, std::time::Duration::from_secs(5), Vec::new())?.print(
            &View::whole(&body),
            crate::output::Style::AsReceived,
            false,
            false,
            &mut out,
        )?;
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
            // halt ends the filter; what came before stays.
            (".data.acct[0].user, halt, 1", "bob\n"),
            ("1, halt_error(7), 2", "1\n"),
        ];
        for (code, want) in cases {
            assert_eq!(filter(code, acct).unwrap(), want, "{code}");
        }
    }

    /// Non-string results are laid out and coloured as answers are: indented and in colour
    /// when asked (a terminal), as jq does; strings stay raw.
    #[test]
    fn results_are_laid_out_like_answers() {
        let body =
            cpanel_client::__internals::Body::from_vec(br#"{"a":{"b":[1,"x"]},"s":"t"}"#.to_vec());
        let run = |style, color| {
            let mut out = Vec::new();
            Filter::compile(".a, .s", std::time::Duration::from_secs(5), Vec::new())
                .unwrap()
                .print(&View::whole(&body), style, color, false, &mut out)
                .unwrap();
            String::from_utf8(out).unwrap()
        };
        use crate::output::Style;
        assert_eq!(run(Style::AsReceived, false), "{\"b\":[1,\"x\"]}\nt\n");
        assert_eq!(
            run(Style::Pretty, false),
            "{\n  \"b\": [\n    1,\n    \"x\"\n  ]\n}\nt\n"
        );
        let colored = run(Style::Pretty, true);
        assert!(colored.contains("\x1b["), "{colored:?}");
        assert!(colored.ends_with("\nt\n"), "strings stay raw: {colored:?}");
    }

    /// The memory watch reads this process's resident size: some, and at least what a
    /// fresh allocation touched.
    #[test]
    fn resident_memory_is_read() {
        let before = resident_bytes().unwrap();
        let block = vec![1u8; 64 << 20];
        let after = resident_bytes().unwrap();
        assert!(after >= before + (32 << 20), "{before} -> {after}");
        drop(block);
    }

    #[test]
    fn errors_are_short_usage_errors_with_a_position() {
        let cases = [
            (".data[", "at 1:7: expected a closing bracket"),
            (
                "nosuchfunction(1)",
                "at 1:1: undefined filter `nosuchfunction`",
            ),
            (".a |\n  $nope", "at 2:3: undefined variable"),
            (".data | error(\"boom\")", "jq filter error: boom"),
            (".a + 1 | .x", "jq filter error: cannot"),
            ("if . then 1", "expected"),
            (
                "",
                "expected a value or expression, found the end of the filter",
            ),
        ];
        for (code, want) in cases {
            let err = filter(code, r#"{"a":"s","data":1}"#).unwrap_err();
            assert_eq!(err.exit, Exit::Usage, "{code}");
            assert!(err.message().contains(want), "{code}: {err}");
            assert!(!err.message().contains('\n'), "{err}");
            assert!(!err.message().contains("Lex("), "{err}");
        }
    }

    #[test]
    fn a_runtime_error_on_a_big_answer_quotes_only_a_little_of_it() {
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(1_000_000));
        let err = filter(".a + 1", &big).unwrap_err();
        assert!(err.message().len() < 400, "{} bytes", err.message().len());
    }

    #[test]
    fn deep_answers_are_refused_not_overflowed() {
        let deep = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
        let err = filter(".", &deep).unwrap_err();
        assert_eq!(err.exit, Exit::Transport);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        // The limit must hold on a fan-out worker's 2 MiB stack too.
        let out = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || filter("[paths] | length", &ok).map(|s| s.trim().to_string()))
            .unwrap()
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(out, (MAX_DEPTH - 1).to_string());
    }
}

//! One call's answer shown (style, colour, `--data`, `--jq`, the API's words on stderr), and
//! the same call on many profiles at once.

use std::io::IsTerminal;

use cpanel_client::{Call, CallOptions};

use crate::cli::{Command, Global};
use crate::commands::invoke::{call, command_params, options, print_bytes, Ctx, Shown};
use crate::commands::{batch, fanout};
use crate::config::profile::Target;
use crate::error::{Error, Exit, Result};
use crate::output::curl::of_call as curl_of;
use crate::output::stderr;
use crate::output::table::{self, Format, Record};
use crate::output::{self, Style};

/// The same command against several profiles at once (`-p a,b`, `--all`, `--group`).
pub fn many(ctx: &Ctx, command: &Command, targets: Vec<(String, Result<Target>)>) -> Result<Exit> {
    let g = ctx.g;
    match command {
        Command::Batch {
            file,
            stop_on_error,
            check,
        } => batch::run(
            ctx,
            targets,
            &batch::Asked {
                file: file.as_deref(),
                stop_on_error: *stop_on_error,
                check: *check,
                tag_profiles: true,
            },
        ),
        Command::Whm { .. } | Command::Cpanel { .. } => {
            // Parameters are read once (KEY=@- included) and sent to every profile.
            let parsed =
                crate::params::parse(command_params(command), &mut std::io::stdin().lock())?;
            let options = options(g);
            // A profile that does not fit fails alone; a call that cannot be made (a bad name,
            // a reserved parameter) stops the run before anything is sent.
            let calls: Vec<Result<Call>> = targets
                .iter()
                .map(|(_, target)| {
                    call(
                        command,
                        target.as_ref().map_err(Error::clone)?,
                        parsed.clone(),
                    )
                })
                .collect();
            for (call, (_, target)) in calls.iter().zip(&targets) {
                if let (Ok(call), Ok(target)) = (call, target) {
                    call.check(target, &options)?;
                    crate::commands::invoke::admit(call, g, target, "")?;
                }
            }
            if g.curl {
                return curl_many(&targets, &calls, &options);
            }
            if g.format != Format::Json {
                return sheet_many(ctx, &targets, &calls, &options);
            }
            let mut tally = fanout::Tally::new(targets.len(), g.verbose);
            let jobs: Vec<usize> = (0..targets.len()).collect();
            let run_one = |&i: &usize| -> output::lines::JsonLine {
                let (name, target) = &targets[i];
                let result = calls[i].clone().and_then(|call| {
                    let target = target.as_ref().map_err(Error::clone)?;
                    let client = crate::commands::invoke::client(g, target)?;
                    crate::commands::invoke::fetch(g, &client, &call, &options)
                });
                let host = target.as_ref().ok().map(|t| t.host());
                let tag = output::lines::Tag {
                    line: None,
                    profile: Some(name),
                    host,
                };
                output::lines::json_line(tag, result, g.data, ctx.jq)
            };
            fanout::parallel(&jobs, g.jobs.unwrap_or(16) as usize, run_one, |i, line| {
                tally.record(&targets[i].0, &line)
            });
            Ok(tally.finish("profiles"))
        }
        _ => Err(Error::usage(
            "login, logout, login-url, trust and completions work on one profile at a time: name one with -p",
        )),
    }
}

/// `--format table|csv|tsv` on several profiles: one sheet of every profile's records, a
/// `profile` column first; a profile that failed is said on stderr and counted.
fn sheet_many(
    ctx: &Ctx,
    targets: &[(String, Result<Target>)],
    calls: &[Result<Call>],
    options: &CallOptions,
) -> Result<Exit> {
    let g = ctx.g;
    let mut tally = fanout::Tally::new(targets.len(), g.verbose);
    let jobs: Vec<usize> = (0..targets.len()).collect();
    let run_one = |&i: &usize| -> (Exit, std::result::Result<Vec<Record>, Error>) {
        let result = calls[i].clone().and_then(|call| {
            let target = targets[i].1.as_ref().map_err(Error::clone)?;
            let client = crate::commands::invoke::client(g, target)?;
            let shown = crate::commands::invoke::fetch(g, &client, &call, options)?;
            if let Some(reasons) = &shown.reasons {
                return Err(Error::new(shown.exit(), reasons.join("; ")));
            }
            records(&shown, ctx)
        });
        match result {
            Ok(records) => (Exit::Success, Ok(records)),
            Err(e) => (e.exit, Err(e)),
        }
    };
    let mut sheets: Vec<Option<Vec<Record>>> = vec![None; targets.len()];
    let mut failures = Vec::new();
    fanout::parallel(
        &jobs,
        g.jobs.unwrap_or(16) as usize,
        run_one,
        |i, (exit, result)| {
            match result {
                Ok(records) => sheets[i] = Some(records),
                Err(e) => failures.push(format!("profile {}: {}", targets[i].0, e.message())),
            }
            tally.count(&targets[i].0, exit)
        },
    );
    let mut all = Vec::new();
    for (records, (name, _)) in sheets.into_iter().zip(targets) {
        for record in records.unwrap_or_default() {
            let mut row = Record::new();
            row.insert("profile".into(), serde_json::Value::String(name.clone()));
            row.extend(record);
            all.push(row);
        }
    }
    let columns = match g.columns.as_deref() {
        Some(asked) if !asked.iter().any(|c| c == "profile") => {
            let mut with = vec!["profile".to_string()];
            with.extend(asked.iter().cloned());
            table::columns(&all, Some(&with))?
        }
        asked => table::columns(&all, asked)?,
    };
    print_sheet(g, &columns, &all)?;
    for failure in failures {
        stderr::say(failure);
    }
    Ok(tally.finish("profiles"))
}

/// The records an answer shows under `--format`: the filter's objects with `--jq`, else the
/// payload's listing.
fn records(shown: &Shown, ctx: &Ctx) -> Result<Vec<Record>> {
    match ctx.jq {
        Some(filter) => {
            let outputs = filter.json_values(&shown.answer.view(ctx.g.data))?;
            let values: Vec<serde_json::Value> = outputs
                .iter()
                .map(|raw| serde_json::from_str(raw.get()))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::usage(format!("jq output: {e}")))?;
            table::records_of_outputs(&values)
        }
        None => table::records_of(&shown.answer.payload()?),
    }
}

/// `records` as `--format` asks, on stdout: a table within the terminal's width, CSV and TSV
/// uncut (their control characters escaped on a terminal); what the sheet left out, said.
fn print_sheet(g: &Global, columns: &[String], records: &[Record]) -> Result<()> {
    let terminal = std::io::stdout().is_terminal();
    let width = match g.format {
        Format::Table => table::terminal_width(),
        _ => None,
    };
    let (text, note) = table::render(g.format, columns, records, width);
    let text = match terminal && g.format != Format::Table {
        true => table::for_terminal(text),
        false => text,
    };
    print_bytes(text.as_bytes())?;
    for note in note
        .into_iter()
        .chain(table::unseen(records, columns, g.columns.is_some()))
    {
        stderr::warn(note);
    }
    Ok(())
}

/// One answer under `--format table|csv|tsv`: its records as rows on stdout; a failure's
/// reasons on stderr and nothing on stdout.
fn report_sheet(shown: &Shown, ctx: &Ctx) -> Result<Exit> {
    let g = ctx.g;
    if let Some(reasons) = &shown.reasons {
        for reason in reasons {
            stderr::say(format!("API error: {reason}"));
        }
        for hint in &shown.hints {
            stderr::say(format!("hint: {hint}"));
        }
        return Ok(shown.exit());
    }
    let records = records(shown, ctx)?;
    let columns = table::columns(&records, g.columns.as_deref())?;
    print_sheet(g, &columns, &records)?;
    for note in shown.answer.notes() {
        stderr::info(note);
    }
    Ok(shown.exit())
}

/// `--curl` on several profiles: each profile's command under a `# profile NAME` line.
pub fn curl_many(
    targets: &[(String, Result<Target>)],
    calls: &[Result<Call>],
    options: &CallOptions,
) -> Result<Exit> {
    let mut worst = Exit::Success;
    let mut text = String::new();
    let names = crate::output::curl::Names::per_profile(targets.iter().map(|(n, _)| n.as_str()));
    for (((name, target), call), names) in targets.iter().zip(calls).zip(&names) {
        let command = target
            .as_ref()
            .map_err(Error::clone)
            .and_then(|t| curl_of(t, call.as_ref().map_err(Error::clone)?, options, names));
        match command {
            Ok(command) => text.push_str(&format!("# profile {name}\n{command}")),
            Err(e) => {
                stderr::say(format!("profile \"{name}\": {e}"));
                worst = worst.max(e.exit);
            }
        }
    }
    print_bytes(text.as_bytes())?;
    Ok(worst)
}

/// How an answer is laid out: `--pretty`, `--compact`, else pretty on a terminal and as
/// received otherwise.
pub fn style(g: &Global) -> Style {
    if g.pretty {
        Style::Pretty
    } else if g.compact {
        Style::Compact
    } else if std::io::stdout().is_terminal() {
        Style::Pretty
    } else {
        Style::AsReceived
    }
}

/// Prints the answer and the API's own words, and picks the exit code.
pub fn report(shown: &Shown, ctx: &Ctx) -> Result<Exit> {
    let g = ctx.g;
    if g.format != Format::Json {
        return report_sheet(shown, ctx);
    }
    let answer = &shown.answer;
    let body = answer.view(g.data);
    let exit = shown.exit();
    // The API's own words: its reasons for a failure always, its notes on success unless -q.
    let (lines, errors): (Vec<String>, bool) = match &shown.reasons {
        None => (answer.notes().to_vec(), false),
        Some(reasons) => (
            reasons.iter().map(|r| format!("API error: {r}")).collect(),
            true,
        ),
    };
    let printed = match ctx.jq {
        // Written to stdout as it arrived (stdout is a file): nothing more to print.
        _ if answer.streamed() => Ok(()),
        Some(filter) => filter.print(
            &body,
            style(g),
            color(g),
            std::io::stdout().is_terminal(),
            &mut std::io::stdout().lock(),
        ),
        None => print_json(&body, style(g), color(g)),
    };
    for line in lines {
        match errors {
            true => stderr::say(line),
            false => stderr::info(line),
        }
    }
    for hint in &shown.hints {
        stderr::say(format!("hint: {hint}"));
    }
    match printed {
        // The API's failure decides the exit code; a filter that could not handle the failed
        // answer (`.data.acct[]` of null) is said, not counted.
        Err(e) if exit == Exit::ApiFailure => {
            stderr::say(e);
            Ok(exit)
        }
        Err(e) => Err(e),
        Ok(()) => Ok(exit),
    }
}

/// Colour on a terminal, unless NO_COLOR says no (<https://no-color.org>) or --color decides.
pub fn color(g: &Global) -> bool {
    match g.color {
        crate::cli::Color::Always => true,
        crate::cli::Color::Never => false,
        crate::cli::Color::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

pub fn print_json(body: &cpanel_client::View, style: Style, color: bool) -> Result<()> {
    match output::write_json(&mut std::io::stdout().lock(), body, style, color) {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if !crate::output::reader_gone(&e) => Err(Error::usage(format!(
            "cannot write the answer to {}: {e}",
            crate::output::stdout_name()
        ))),
        _ => Ok(()),
    }
}

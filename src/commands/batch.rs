//! `cpcall batch [FILE|-]`: many calls in one run, one per line in the normal argument syntax
//! (`whm createacct username=bob domain=bob.example`), over pooled keep-alive connections, in
//! order or `-j N` at a time, one JSON line per call. Every line is checked before any runs.

use std::io::{BufRead, Read};
use std::path::Path;

use clap::Parser;

use cpanel_client::{Call, CallOptions};

use crate::cli::{BatchLine, Command};
use crate::commands::fanout::{self, Tally};
use crate::commands::invoke::Ctx;
use crate::config::profile::Target;
use crate::error::{Error, Exit, Result};
use crate::output::lines::{json_line, JsonLine, Tag};

/// One call to make: its line, its profile, and the call.
struct Job {
    line: usize,
    target: usize,
    call: Call,
}

/// What `batch` was asked: its file, `--stop-on-error`, `--check`, and whether its JSON lines
/// name their profile (several profiles).
pub(crate) struct Asked<'a> {
    pub file: Option<&'a Path>,
    pub stop_on_error: bool,
    pub check: bool,
    pub tag_profiles: bool,
}

pub(crate) fn run(
    ctx: &Ctx,
    targets: Vec<(String, Result<Target>)>,
    asked: &Asked,
) -> Result<Exit> {
    let g = ctx.g;
    let (stop_on_error, tag_profiles) = (asked.stop_on_error, asked.tag_profiles);
    let options = crate::commands::invoke::options(g);
    let lines = read(asked.file)?;
    // Every line of every profile is made into its call and checked before any is sent.
    let mut jobs = Vec::new();
    let mut problems = Vec::new();
    for (i, (name, target)) in targets.iter().enumerate() {
        let Ok(target) = target else { continue };
        for (n, text) in &lines {
            let checked = parse(text, target)
                .and_then(|call| {
                    call.check(target, &options)
                        .map(|()| call)
                        .map_err(Error::from)
                })
                .and_then(|call| {
                    crate::commands::invoke::admit(&call, g, target, &format!("batch line {n}: "))
                        .map(|()| call)
                })
                .map_err(|e| {
                    let on = profile_suffix(name, tag_profiles);
                    Error::usage(format!("batch line {n}{on}: {}", e.message()))
                });
            match checked {
                Ok(call) => jobs.push(Job {
                    line: *n,
                    target: i,
                    call,
                }),
                // --check reports every problem; a run stops at the first, before sending.
                Err(e) if asked.check => problems.push(e),
                Err(e) => return Err(e),
            }
        }
    }
    if asked.check {
        return checked(&problems, lines.len(), targets.len());
    }
    if g.curl {
        return curl(&targets, &jobs, &options, tag_profiles);
    }
    let mut tally = Tally::new(lines.len() * targets.len(), g.verbose);
    // A client per profile: its connections are kept alive and shared by that profile's calls.
    let mut clients = Vec::new();
    for (name, target) in &targets {
        let target = match target {
            Ok(t) => t,
            Err(e) => {
                let line = json_line(
                    Tag {
                        profile: Some(name),
                        ..Tag::default()
                    },
                    Err(e.clone()),
                    false,
                    None,
                );
                tally.record(name, &line);
                clients.push(None);
                continue;
            }
        };
        let client = crate::commands::invoke::client(g, target)?;
        if g.jobs.unwrap_or(1) > 1 {
            client.ensure_session()?;
        }
        clients.push(Some(client));
    }
    let jobs_at_once = g.jobs.unwrap_or(1) as usize;
    let work = |job: &Job| -> JsonLine {
        let (name, target) = &targets[job.target];
        let result = match (target, &clients[job.target]) {
            (Ok(_), Some(client)) => crate::commands::invoke::fetch(g, client, &job.call, &options),
            _ => Err(Error::usage(
                "unreachable: a profile without client has no jobs",
            )),
        };
        let host = target.as_ref().ok().map(|t| t.host());
        let profile = tag_profiles.then_some(name.as_str());
        json_line(
            Tag {
                line: Some(job.line),
                profile,
                host: host.filter(|_| tag_profiles),
            },
            result,
            g.data,
            ctx.jq,
        )
    };
    fanout::parallel(&jobs, jobs_at_once, work, |i, line| {
        let exit = line.exit;
        let job = &jobs[i];
        let reader_there = tally.record(
            &format!(
                "line {}{}",
                job.line,
                profile_suffix(&targets[job.target].0, tag_profiles)
            ),
            &line,
        );
        reader_there && !(stop_on_error && exit != Exit::Success)
    });
    Ok(tally.finish("calls"))
}

/// `batch --check`: every problem said, one line each; exit 2 when there was one.
fn checked(problems: &[Error], lines: usize, profiles: usize) -> Result<Exit> {
    for problem in problems {
        crate::output::stderr::say(problem);
    }
    let calls = lines * profiles;
    if problems.is_empty() {
        crate::output::stderr::info(format!("checked {calls} calls: nothing sent"));
        return Ok(Exit::Success);
    }
    crate::output::stderr::say(format!(
        "checked {calls} calls: {} with problems; nothing sent",
        problems.len()
    ));
    Ok(Exit::Usage)
}

/// ` on PROFILE` when the batch runs on several profiles.
fn profile_suffix(name: &str, tag_profiles: bool) -> String {
    match tag_profiles {
        true => format!(" on {name}"),
        false => String::new(),
    }
}

/// `--curl batch`: the curl command of every line, each under a `# line N` comment; nothing
/// is sent.
fn curl(
    targets: &[(String, Result<Target>)],
    jobs: &[Job],
    options: &CallOptions,
    tag_profiles: bool,
) -> Result<Exit> {
    let mut text = String::new();
    let mut worst = Exit::Success;
    for (name, target) in targets {
        if let Err(e) = target {
            crate::output::stderr::say(format!("profile \"{name}\": {e}"));
            worst = worst.max(e.exit);
        }
    }
    let names = crate::output::curl::Names::per_profile(targets.iter().map(|(n, _)| n.as_str()));
    for job in jobs {
        let (_, target) = &targets[job.target];
        let Ok(target) = target else { continue };
        text.push_str(&format!(
            "# line {}{}\n",
            job.line,
            profile_suffix(&targets[job.target].0, tag_profiles)
        ));
        let names = match tag_profiles {
            true => names[job.target].clone(),
            false => crate::output::curl::Names::default(),
        };
        text.push_str(&crate::output::curl::of_call(
            target, &job.call, options, &names,
        )?);
    }
    crate::commands::invoke::print_bytes(text.as_bytes())?;
    Ok(worst)
}

/// The longest batch line, and the most calls in one batch: a batch is read whole before it
/// runs (every line is checked first), so `batch /dev/zero` must end in an error, not in OOM.
const MAX_LINE: u64 = 16 << 20;
const MAX_CALLS: usize = 1_000_000;

/// The calls of the file: numbered lines, without blank lines and `#` comments.
fn read(file: Option<&Path>) -> Result<Vec<(usize, String)>> {
    let reader: Box<dyn BufRead> = match file {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p == Path::new("-") => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(std::io::BufReader::new(std::fs::File::open(p).map_err(
            |e| Error::usage(format!("cannot read batch file {}: {e}", p.display())),
        )?)),
    };
    let mut reader = reader;
    let mut lines = Vec::new();
    for n in 1.. {
        let mut bytes = Vec::new();
        let read = (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(|e| Error::usage(format!("cannot read the batch: {e}")))?;
        if read == 0 {
            break;
        }
        if bytes.len() as u64 > MAX_LINE {
            return Err(Error::usage(format!(
                "batch line {n} is longer than {} MiB: is this a file of calls? (put big values in files: KEY=@FILE)",
                MAX_LINE >> 20
            )));
        }
        let line = String::from_utf8(bytes)
            .map_err(|_| Error::usage(format!("batch line {n} is not UTF-8 text")))?;
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            if lines.len() >= MAX_CALLS {
                return Err(Error::usage(format!(
                    "the batch holds more than {MAX_CALLS} calls: split it into several runs"
                )));
            }
            lines.push((n, trimmed.to_string()));
        }
    }
    Ok(lines)
}

/// Standard input holds the batch itself (or nothing for it): `KEY=@-` cannot read it.
struct NoStdin;

impl Read for NoStdin {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other(
            "standard input is not available to batch lines: use KEY=@FILE",
        ))
    }
}

/// Why shell-style splitting refused a line: a trailing backslash (lines do not continue)
/// or a quote left open.
fn unsplittable(text: &str) -> &'static str {
    let trailing = text.trim_end().len() - text.trim_end().trim_end_matches('\\').len();
    match trailing % 2 {
        1 => "the line ends with a backslash, and batch lines do not continue on the next: join them into one line",
        _ => "unbalanced quotes: close the quote, or escape it with a backslash",
    }
}

fn parse(text: &str, target: &Target) -> Result<Call> {
    let words = shlex::split(text).ok_or_else(|| Error::usage(unsplittable(text)))?;
    let line = BatchLine::try_parse_from(&words).map_err(|e| {
        // clap's message up to its usage block, on one line ("…not provided: <FUNCTION>").
        let text = e.to_string();
        let message: Vec<&str> = text
            .lines()
            .map(str::trim)
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
            .filter(|l| !l.is_empty())
            .collect();
        Error::usage(message.join(" ").trim_start_matches("error: ").to_string())
    })?;
    match &line.command {
        Command::Whm { .. } | Command::Cpanel { .. } => {
            let params = crate::params::parse(
                crate::commands::invoke::command_params(&line.command),
                &mut NoStdin,
            )?;
            crate::commands::invoke::call(&line.command, target, params)
        }
        _ => Err(Error::usage("a batch line is a `whm` or `cpanel` call")),
    }
}

#[cfg(test)]
mod tests {
    use super::unsplittable;

    #[test]
    fn unsplittable_lines_are_named() {
        for (line, says) in [
            ("whm listaccts search=a\\", "ends with a backslash"),
            ("whm listaccts search=a \\  ", "ends with a backslash"),
            ("whm listaccts search='a", "unbalanced quotes"),
            ("whm listaccts search=\"a\\\\", "unbalanced quotes"),
        ] {
            assert!(unsplittable(line).contains(says), "{line:?}");
        }
    }
}

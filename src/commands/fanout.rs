//! Many servers at once: `-p a,b,c`, `--all`, `--group NAME` run the same call against each
//! profile, `-j N` at a time, one JSON line per profile as each finishes; and the worker pool
//! that `batch` uses too. One slow server delays nobody but itself.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::cli::Global;
use crate::config::profile::{self, Flags, Target};
use crate::config::Loaded;
use crate::error::{Error, Exit, Result};

/// The profiles a fan-out names, or `None` for a run against one profile.
pub fn selected(g: &Global, loaded: Option<&Loaded>) -> Result<Option<Vec<String>>> {
    let chosen = g.all || g.group.is_some();
    if chosen && g.profile.is_some() && !g.profile_from_env {
        return Err(Error::usage(
            "-p and --all/--group both choose the profiles: use one of them",
        ));
    }
    let many = chosen || g.profile.as_deref().is_some_and(|p| p.contains(','));
    if !many {
        return Ok(None);
    }
    // Each profile names its own host: one --host for all would send every profile's
    // credentials to that one server.
    if let Some(host) = &g.host {
        return Err(Error::usage(format!(
            "--host {host} cannot go with several profiles: each names its own host (and credentials); leave out --host"
        )));
    }
    let loaded = loaded.ok_or_else(|| {
        Error::usage("running against several profiles needs a config file (see README)")
    })?;
    let names: Vec<String> = if g.all {
        loaded.file.profiles.keys().cloned().collect()
    } else if let Some(group) = &g.group {
        loaded.file.groups.get(group).cloned().ok_or_else(|| {
            let known: Vec<&str> = loaded.file.groups.keys().map(String::as_str).collect();
            Error::usage(format!(
                "no group named \"{group}\"; known groups: {} (config: [groups] {group} = [\"a\", \"b\"])",
                if known.is_empty() { "(none)".to_string() } else { known.join(", ") }
            ))
        })?
    } else {
        g.profile
            .iter()
            .flat_map(|p| p.split(','))
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect()
    };
    // A profile named twice (`-p a,a`, a group that lists it twice) runs once; a name that is
    // no profile is a typo, caught before anything is sent.
    let mut seen = std::collections::HashSet::new();
    let names: Vec<String> = names
        .into_iter()
        .filter(|n| seen.insert(n.clone()))
        .collect();
    let in_group = g.group.as_ref().map_or_else(String::new, |group| {
        format!(" (listed in group \"{group}\")")
    });
    if let Some(unknown) = names
        .iter()
        .find(|n| !loaded.file.profiles.contains_key(*n))
    {
        let known: Vec<&str> = loaded.file.profiles.keys().map(String::as_str).collect();
        return Err(Error::usage(format!(
            "no profile named \"{unknown}\"{in_group} in the config file; known profiles: {}",
            known.join(", ")
        )));
    }
    // --all or a group over a config of mixed services: --service keeps the profiles of one.
    let names = match (chosen, g.service.map(crate::config::Service::from)) {
        (true, Some(service)) => {
            let of_service = |n: &String| {
                loaded.file.profiles[n]
                    .service
                    .unwrap_or(crate::config::Service::Whm)
                    == service
            };
            let kept: Vec<String> = names.into_iter().filter(of_service).collect();
            if kept.is_empty() {
                return Err(Error::usage(format!(
                    "no {} profile among those chosen: check --service, or the profiles' service",
                    service.name()
                )));
            }
            kept
        }
        _ => names,
    };
    if names.is_empty() {
        return Err(Error::usage(match &g.group {
            Some(group) => format!("group \"{group}\" lists no profiles: add some to [groups] {group} = [\"a\", \"b\"]"),
            None => "no profiles to run against".to_string(),
        }));
    }
    Ok(Some(names))
}

/// Each named profile resolved; a profile that does not resolve fails alone.
pub fn targets(names: &[String], g: &Global, loaded: &Loaded) -> Vec<(String, Result<Target>)> {
    names
        .iter()
        .map(|name| {
            let flags = Flags {
                profile: Some(name.clone()),
                ..g.flags()
            };
            (
                name.clone(),
                profile::resolve(&flags, Some(loaded), &|v| std::env::var(v).ok()),
            )
        })
        .collect()
}

/// Runs `work` on every item, `jobs` at a time, and hands each result to `done` as it comes
/// (on this thread). `done` returns false to start no further items (with `jobs` > 1, those
/// already under way still finish).
pub fn parallel<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    work: impl Fn(&T) -> R + Sync,
    mut done: impl FnMut(usize, R) -> bool,
) {
    // One at a time runs here, so "stop" is exact: nothing starts after `done` says no.
    if jobs <= 1 {
        for (i, item) in items.iter().enumerate() {
            if !done(i, work(item)) {
                break;
            }
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                if tx.send((i, work(item))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            if !done(i, result) {
                stop.store(true, Ordering::SeqCst);
            }
        }
    });
}

/// Counts outcomes, shows progress on a terminal, and prints the closing summary.
pub struct Tally {
    total: usize,
    finished: usize,
    failed: Vec<(String, Exit)>,
    worst: Exit,
    progress: bool,
    /// Why stdout could not take a line (a full disk; a closed pipe is not a failure).
    unwritten: Option<std::io::Error>,
}

impl Tally {
    pub fn new(total: usize, verbose: bool) -> Self {
        Tally {
            total,
            finished: 0,
            failed: Vec::new(),
            worst: Exit::Success,
            progress: std::io::stderr().is_terminal() && !verbose,
            unwritten: None,
        }
    }

    /// Prints `line` on stdout and counts it; whether to go on (stdout's reader is still
    /// there).
    pub fn record(&mut self, name: &str, line: &crate::output::lines::JsonLine) -> bool {
        self.counted(name, line.exit);
        let mut out = std::io::stdout().lock();
        if let Err(e) = line.write(&mut out).and_then(|()| out.flush()) {
            if !crate::output::reader_gone(&e) && self.unwritten.is_none() {
                self.unwritten = Some(e);
            }
        }
        self.show_progress()
    }

    /// Counts a finished call whose output is printed later (a `--format` sheet).
    pub fn count(&mut self, name: &str, exit: Exit) -> bool {
        self.counted(name, exit);
        self.show_progress()
    }

    fn counted(&mut self, name: &str, exit: Exit) {
        self.finished += 1;
        self.worst = self.worst.max(exit);
        if exit != Exit::Success {
            self.failed.push((name.to_string(), exit));
        }
        self.clear_progress();
    }

    /// Shows progress on stderr; whether to go on (stdout's reader is still there).
    fn show_progress(&mut self) -> bool {
        if self.progress && self.finished < self.total {
            crate::output::stderr::raw(
                format!(
                    "\r[{}/{}] {} failed so far",
                    self.finished,
                    self.total,
                    self.failed.len()
                )
                .as_bytes(),
            );
        }
        !crate::output::stdout_closed()
    }

    fn clear_progress(&self) {
        if self.progress {
            crate::output::stderr::raw(b"\r\x1b[2K");
        }
    }

    /// The summary line on stderr; the worst exit code.
    pub fn finish(self, what: &str) -> Exit {
        self.clear_progress();
        let ok = self.finished - self.failed.len();
        let failed: Vec<String> = self
            .failed
            .iter()
            .map(|(n, e)| format!("{n} (exit {})", e.code()))
            .collect();
        let skipped = self.total - self.finished;
        let mut summary = format!("cpcall: {ok} ok, {} failed", self.failed.len());
        if !failed.is_empty() {
            summary.push_str(&format!(": {}", failed.join(", ")));
        }
        if skipped > 0 {
            summary.push_str(&format!("; {skipped} {what} not run"));
        }
        // All went well: said to a person at a terminal, not to a cron mail (nor with -q).
        if !failed.is_empty() || skipped > 0 {
            crate::output::stderr::line(&summary);
        } else if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            crate::output::stderr::info(summary.trim_start_matches("cpcall: "));
        }
        match self.unwritten {
            Some(e) => {
                crate::output::stderr::say(format!(
                    "cannot write to {}: {e}",
                    crate::output::stdout_name()
                ));
                self.worst.max(Exit::Usage)
            }
            None => self.worst,
        }
    }
}

//! The command line: every flag and subcommand, and nothing else.

pub mod complete;
pub mod man;

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter, CompletionCandidate};

use crate::config::Service;

/// `--service`: the library's [`Service`] as clap reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceArg {
    /// WHM (ports 2087/2086): root and resellers.
    Whm,
    /// cPanel (2083/2082): one account.
    Cpanel,
    /// Webmail (2096/2095): one mail account.
    Webmail,
}

impl From<ServiceArg> for Service {
    fn from(s: ServiceArg) -> Service {
        match s {
            ServiceArg::Whm => Service::Whm,
            ServiceArg::Cpanel => Service::Cpanel,
            ServiceArg::Webmail => Service::Webmail,
        }
    }
}

const DESCRIBE_EXAMPLES: &str = "\
Examples:
  cpcall describe whm                      all WHM API 1 functions, with their section
  cpcall describe whm createacct           parameters, method, version, documentation link
  cpcall describe cpanel Email             the functions of a UAPI module
  cpcall describe cpanel Email add_pop --json
  cpcall describe --search dns             functions whose module, name or section has dns";

const EXAMPLES: &str = "\
Examples:
  cpcall whm listaccts search=example searchtype=domain
  cpcall -p prod whm createacct username=bob domain=bob.example password=@pw.txt
  cpcall cpanel Email list_pops
  cpcall --host server.example.com whm version      (credentials from CPCALL_* variables)
  cpcall describe whm listaccts                     (the built-in API reference)
  cpcall --strict whm listaccts serach=bob          (exit 2: serach is not a parameter)

Exit codes: 0 success, 1 the API reported failure, 2 usage or configuration error,
3 authentication refused, 4 transport failure (connect, TLS, timeout, not the API's JSON).";

#[derive(Debug, Parser)]
#[command(name = "cpcall", version, about = "Call the cPanel & WHM APIs of remote servers", after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Profile from the config file
    #[arg(
        short,
        long,
        env = "CPCALL_PROFILE",
        global = true,
        value_name = "NAME",
        add = ArgValueCompleter::new(profile_list)
    )]
    pub profile: Option<String>,
    /// Whether `profile` came from `CPCALL_PROFILE` rather than `-p` (set after parsing): a
    /// flag such as `--all` then wins over the variable instead of clashing with it.
    #[arg(skip)]
    pub profile_from_env: bool,
    /// Whether `service` came from `CPCALL_SERVICE` (set after parsing), for messages.
    #[arg(skip)]
    pub service_from_env: bool,
    /// Run against every profile of the config file
    #[arg(long, global = true, conflicts_with = "group")]
    pub all: bool,
    // `[groups]` is the config file's table, not a link.
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Run against the profiles of a [groups] entry of the config file
    #[arg(long, global = true, value_name = "NAME", add = ArgValueCompleter::new(group_list))]
    pub group: Option<String>,
    /// How many calls at once [default: 16 for several profiles, 1 (in order) for batch]
    #[arg(short, long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Config file [default: ~/.config/cpcall/config.toml]
    #[arg(short, long, env = "CPCALL_CONFIG", global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Server host name or address; without -p, credentials come from CPCALL_* variables
    #[arg(long, global = true, value_name = "HOST")]
    pub host: Option<String>,
    /// Port [default: 2087 whm, 2083 cpanel, 2096 webmail]
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Service of the target when not set by the profile; with --all or --group, runs only
    /// the profiles of that service
    #[arg(long, env = "CPCALL_SERVICE", global = true, value_enum)]
    pub service: Option<ServiceArg>,
    /// Skip TLS certificate verification (prefer --pin-sha256 or --ca-file)
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Trust the certificates of this PEM file (a CA, or the server's own certificate), as the
    /// profile's ca_file does [env: CPCALL_CA_FILE, for targets without a trust setting]
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Accept only the certificate with this SHA-256 fingerprint, as the profile's pin_sha256
    /// does [env: CPCALL_PIN_SHA256, for targets without a trust setting]
    #[arg(long, global = true, value_name = "FINGERPRINT")]
    pub pin_sha256: Option<String>,
    /// Give up after this many seconds [default: 60]
    #[arg(long, global = true, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Largest answer to read, in bytes (suffixes K, M, G) [default: 256M]
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
    /// Fetch every page of a long listing (WHM api.chunk, UAPI api.paginate) and merge them
    #[arg(long, global = true)]
    pub paginate: bool,
    /// Records per page with --paginate
    #[arg(long, global = true, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
    /// Send parameters in the query string instead of a POST body
    #[arg(long, global = true)]
    pub get: bool,
    /// Print only the payload: WHM/UAPI `data`, `result.data` through WHM, API 2 `cpanelresult.data`
    #[arg(short = 'd', long, global = true)]
    pub data: bool,
    /// Filter the answer with a jq program (built in; strings print raw, like jq -r)
    #[arg(long, global = true, value_name = "FILTER")]
    pub jq: Option<String>,
    /// Print a listing as a table, CSV or TSV instead of JSON (records: the payload's array
    /// of objects, or the --jq filter's objects; with several profiles a profile column)
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "json",
        value_name = "FORMAT"
    )]
    pub format: crate::output::table::Format,
    /// With --format: the fields to show, in order [default: the first record's]
    #[arg(long, global = true, value_delimiter = ',', value_name = "NAME,…")]
    pub columns: Option<Vec<String>>,
    /// With --jq: $NAME is the string VALUE (as jq --arg)
    #[arg(long = "arg", global = true, num_args = 2, value_names = ["NAME", "VALUE"], action = clap::ArgAction::Append)]
    pub jq_arg: Vec<String>,
    /// With --jq: $NAME is the JSON value JSON (as jq --argjson)
    #[arg(long = "argjson", global = true, num_args = 2, value_names = ["NAME", "JSON"], action = clap::ArgAction::Append)]
    pub jq_argjson: Vec<String>,
    /// With --jq: strings print raw — already the default, accepted as jq's -r
    #[arg(short = 'r', long = "raw-output", global = true)]
    pub raw_output: bool,
    /// Colour the JSON: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: Color,
    /// Indent the JSON (the default on a terminal)
    #[arg(long, global = true, conflicts_with = "compact")]
    pub pretty: bool,
    /// Print the JSON on one line
    #[arg(long, global = true)]
    pub compact: bool,
    /// Print the equivalent curl command instead of calling (secrets as $CPCALL_… variables)
    #[arg(long, global = true)]
    pub curl: bool,
    /// Refuse (exit 2) a call the catalogue questions: an unknown parameter, a required one
    /// missing; without it those are warnings [env: CPCALL_STRICT=1 or 0]
    #[arg(long, global = true)]
    pub strict: bool,
    /// Refuse (exit 2) calls that change the server, and those the catalogue cannot tell to
    /// only read; for monitoring tokens and reports [env: CPCALL_READ_ONLY=1 or 0]
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Try a call that only reads again up to N times after a failure that may pass (a
    /// timeout, a restart's 5xx), within --timeout; a call that changes the server only when
    /// it never reached it [default: the profile's retry, else 0]
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retry: Option<u32>,
    /// Show the request and response on stderr (secrets masked)
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Say nothing on stderr but errors: no warnings, no notes of the API's on success, no
    /// summary of a fan-out that all went well (for cron)
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Write stdout's output to FILE, via a temporary file beside it renamed over FILE only
    /// on exit 0: on any failure the old FILE stays as it was (a new FILE is mode 600)
    #[arg(short, long, global = true, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Call a WHM API 1 function: /json-api/FUNCTION?api.version=1
    #[command(after_help = "Example:\n  cpcall whm listaccts search=example searchtype=domain")]
    Whm {
        /// WHM API 1 function, e.g. listaccts, createacct, version
        #[arg(add = ArgValueCompleter::new(crate::cli::complete::whm_functions))]
        function: String,
        /// Parameters: KEY=VALUE, KEY=@FILE, KEY=@- (stdin); keys may repeat
        #[arg(value_name = "KEY=VALUE", add = ArgValueCompleter::new(crate::cli::complete::params))]
        params: Vec<String>,
    },
    /// Call a UAPI (or --api2: cPanel API 2) function, directly or through WHM with --user
    #[command(
        after_help = "Examples:\n  cpcall cpanel Email list_pops\n  cpcall -p whm cpanel --user bob Email list_pops\n  cpcall cpanel --api2 Email listpopswithdisk"
    )]
    Cpanel {
        /// On a WHM profile: the cPanel account to act as (/json-api/cpanel through WHM)
        #[arg(long, value_name = "USER")]
        user: Option<String>,
        /// Call cPanel API 2 instead of UAPI
        #[arg(long)]
        api2: bool,
        /// Module (case-sensitive), e.g. Email, Ftp, Variables
        #[arg(add = ArgValueCompleter::new(crate::cli::complete::modules))]
        module: String,
        /// Function, e.g. list_pops
        #[arg(add = ArgValueCompleter::new(crate::cli::complete::uapi_functions))]
        function: String,
        /// Parameters: KEY=VALUE, KEY=@FILE, KEY=@- (stdin); keys may repeat
        #[arg(value_name = "KEY=VALUE", add = ArgValueCompleter::new(crate::cli::complete::params))]
        params: Vec<String>,
    },
    /// Log in and keep the session for later calls of this profile (2FA: --otp or totp_secret)
    #[command(
        after_help = "Example:\n  cpcall -p prod login\n  cpcall -p prod login --otp 123456"
    )]
    Login {
        /// The current two-factor code, when the profile has no totp_secret
        #[arg(long, value_name = "CODE")]
        otp: Option<String>,
    },
    /// End the saved session on the server and delete it
    Logout,
    /// A one-time login link for an account (WHM's create_user_session): prints the URL only
    #[command(
        name = "login-url",
        after_help = "Examples:\n  cpcall -p prod login-url bob                    # bob's cPanel\n  cpcall -p prod login-url bob --to webmail\n  cpcall -p prod login-url bob --open             # in this machine's browser\n\nThe URL logs in without a password until it is used or expires: treat it as a secret."
    )]
    LoginUrl {
        /// The account (a cPanel user; for --to whm, a WHM user such as a reseller)
        user: String,
        /// Where the link logs in (not --service, which names the profile's own service)
        #[arg(long, value_enum, default_value = "cpanel", value_name = "SERVICE")]
        to: ServiceArg,
        /// Open the link in this machine's browser instead of printing it
        #[arg(long)]
        open: bool,
    },
    /// Run the calls of a file (or stdin), one per line: `whm FUNCTION k=v`, `cpanel MODULE FUNCTION k=v`
    #[command(
        after_help = "Example:\n  printf 'whm version\\nwhm listaccts search=bob\\n' | cpcall -p prod batch\n  cpcall --all -j 32 batch calls.txt"
    )]
    Batch {
        /// File of calls; - or nothing for standard input
        file: Option<PathBuf>,
        /// Start no further call after one fails
        #[arg(long)]
        stop_on_error: bool,
        /// Check every line (syntax, names, parameters; with --strict the catalogue's questions
        /// too), report all problems, and send nothing
        #[arg(long)]
        check: bool,
    },
    /// Check a profile step by step and say what to fix (--all: every profile)
    #[command(after_help = "Examples:\n  cpcall -p prod doctor\n  cpcall --all doctor --json")]
    Doctor {
        /// One JSON object per profile instead of lines
        #[arg(long)]
        json: bool,
    },
    /// Where the config file is, its profiles, one profile, or a new one
    #[command(subcommand)]
    Config(ConfigAction),
    /// The built-in API reference: every WHM API 1 and UAPI function and its parameters
    #[command(after_help = DESCRIBE_EXAMPLES)]
    Describe {
        /// whm or cpanel (nothing: what the catalogue holds)
        #[arg(value_parser = ["whm", "cpanel"])]
        api: Option<String>,
        /// A WHM function, or a UAPI module
        #[arg(add = ArgValueCompleter::new(crate::cli::complete::describe_name))]
        name: Option<String>,
        /// A function of that UAPI module
        #[arg(add = ArgValueCompleter::new(crate::cli::complete::describe_function))]
        function: Option<String>,
        /// Functions whose module, name or documentation section contains WORD
        #[arg(long, value_name = "WORD", conflicts_with_all = ["name", "function"])]
        search: Option<String>,
        /// The catalogue's entries as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print the shell completion script (profile names complete from the config file)
    #[command(
        after_help = "Examples:\n  source <(cpcall completions bash)        # in ~/.bashrc\n  cpcall completions fish > ~/.config/fish/completions/cpcall.fish"
    )]
    Completions {
        #[arg(value_parser = SHELLS)]
        shell: String,
    },
    /// Show the server's certificate and pin it (pin_sha256) in the profile after confirmation
    #[command(
        after_help = "Examples:\n  cpcall -p prod trust\n  cpcall -p prod trust --sha256 AB:CD:…   # in scripts: pins only that certificate\n  cpcall -p prod trust --replace --sha256 AB:CD:…   # after a renewal: replaces the old pin\n\nOn the server, the fingerprint: openssl x509 -noout -fingerprint -sha256 -in CERT.pem"
    )]
    Trust {
        /// Pin without asking
        #[arg(long)]
        yes: bool,
        /// Pin only if the server presents the certificate with this SHA-256 fingerprint (hex,
        /// with or without colons), without asking; anything else: exit 4, nothing changed
        #[arg(long, value_name = "FINGERPRINT")]
        sha256: Option<String>,
        /// Replace a pin the profile already has with the certificate the server presents now
        /// (a renewed certificate); without it, a different pin is never replaced unasked
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the config file's path
    Path,
    /// List the profiles: host, port, service, auth (no secrets)
    List,
    /// Show one profile, secrets as ***
    Show {
        #[arg(add = ArgValueCandidates::new(profile_names))]
        name: String,
    },
    /// Ask for a new profile's settings, test them with a harmless call, and save it (mode 0600)
    #[command(after_help = "Example:\n  cpcall config add prod")]
    Add { name: String },
}

impl Cli {
    /// Parses the process's arguments, noting where the profile came from.
    /// The command line, or clap's answer instead of a run (`--help`, a usage error).
    pub fn parse_args() -> std::result::Result<Cli, clap::Error> {
        use clap::FromArgMatches;
        let matches = Cli::command().try_get_matches()?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        let from_env =
            |id| matches.value_source(id) == Some(clap::parser::ValueSource::EnvVariable);
        cli.global.profile_from_env = from_env("profile");
        cli.global.service_from_env = from_env("service");
        Ok(cli)
    }
}

impl Global {
    /// The flags that override a profile's settings.
    pub fn flags(&self) -> crate::config::profile::Flags {
        crate::config::profile::Flags {
            profile: self.profile.clone(),
            profile_typed: self.profile.is_some() && !self.profile_from_env,
            host: self.host.clone(),
            port: self.port,
            service: self.service.map(Service::from),
            service_from_env: self.service_from_env,
            insecure: self.insecure,
            ca_file: self.ca_file.clone(),
            pin_sha256: self.pin_sha256.clone(),
            timeout: self.timeout,
        }
    }
}

/// The shells `cpcall completions` writes scripts for.
pub const SHELLS: [&str; 5] = ["bash", "zsh", "fish", "elvish", "powershell"];

/// The completion script for `shell`: it asks `cpcall` itself for candidates at each TAB
/// (`COMPLETE=SHELL cpcall -- …`), so profile names come from the config file of the moment.
pub fn completion_script(shell: &str) -> std::io::Result<Vec<u8>> {
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells
        .completer(shell)
        .ok_or_else(|| std::io::Error::other(format!("unknown shell {shell}")))?;
    let mut buf = Vec::new();
    completer.write_registration("COMPLETE", "cpcall", "cpcall", "cpcall", &mut buf)?;
    if shell == "bash" {
        // bash splits `key=value` at `=` before cpcall sees the words, and at `key=<TAB>` the
        // `=` is lost from them: the line up to the cursor tells what is being completed.
        // After `key=` only values fit: the engine's flags would have readline insert their
        // common prefix `--` into the value.
        let script = String::from_utf8_lossy(&buf)
            .replace(
                "_CLAP_IFS=\"$IFS\" \\",
                "_CLAP_IFS=\"$IFS\" \\\n        _CPCALL_COMP_LINE=\"${COMP_LINE:0:$COMP_POINT}\" \\",
            )
            .replace(
                "        compopt -o nospace\n    fi\n}",
                "        compopt -o nospace\n    fi\n    if [[ \"${COMP_LINE:0:$COMP_POINT}\" =~ (^|[[:space:]])[^-[:space:]][^[:space:]]*=[^[:space:]]*$ ]]; then\n        local _cpcall_values=() _cpcall_c\n        for _cpcall_c in \"${COMPREPLY[@]}\"; do\n            [[ $_cpcall_c == --* ]] || _cpcall_values+=(\"$_cpcall_c\")\n        done\n        COMPREPLY=(\"${_cpcall_values[@]}\")\n    fi\n}",
            );
        return Ok(script.into_bytes());
    }
    if shell == "zsh" {
        // `username=` wants its value typed right after it: no space, as bash and fish do.
        let script = String::from_utf8_lossy(&buf)
            .replace(
                "        local -a other=()\n",
                "        local -a other=()\n        local -a keys=()\n",
            )
            .replace(
                "            else\n                other+=(\"$completion\")",
                "            elif [[ \"$value\" == *= ]]; then\n                keys+=(\"$completion\")\n            else\n                other+=(\"$completion\")",
            )
            .replace(
                "        [[ -n $other ]] && _describe -V 'values' other\n",
                "        [[ -n $other ]] && _describe -V 'values' other\n        [[ -n $keys ]] && _describe -V 'values' keys -S ''\n",
            );
        return Ok(script.into_bytes());
    }
    Ok(buf)
}

/// When to colour the JSON (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

/// One line of a batch file: the subcommand part of a command line.
#[derive(Debug, Parser)]
#[command(name = "batch line", no_binary_name = true)]
pub struct BatchLine {
    #[command(subcommand)]
    pub command: Command,
}

/// The `-c PATH` / `--config PATH` / `--config=PATH` / `-cPATH` of a command line being
/// completed, so that profile names come from that file.
pub fn config_in_args(args: &[String]) -> Option<String> {
    let mut found = None;
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "-c" || word == "--config" {
            // bash splits `--config=x` into `--config`, `=`, `x`.
            let next = match words.next() {
                Some(eq) if eq == "=" => words.next(),
                other => other,
            };
            found = next.cloned().or(found);
        } else if let Some(path) = word.strip_prefix("--config=") {
            found = Some(path.to_string());
        } else if let Some(path) = word.strip_prefix("-c").filter(|p| !p.is_empty()) {
            found = Some(path.to_string());
        }
    }
    found.filter(|p| !p.is_empty())
}

/// `-p a,b,<TAB>`: the names already typed stay, the last one completes, and a name is not
/// offered twice.
fn profile_list(current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let (typed, partial) = match current.rfind(',') {
        Some(i) => (&current[..=i], &current[i + 1..]),
        None => ("", current.as_ref()),
    };
    let listed: Vec<&str> = typed.split(',').collect();
    profile_names()
        .into_iter()
        .filter_map(|candidate| {
            let name = candidate.get_value().to_string_lossy().into_owned();
            (name.starts_with(partial) && !listed.contains(&name.as_str())).then(|| {
                let help = candidate.get_help().cloned();
                CompletionCandidate::new(format!("{typed}{name}")).help(help)
            })
        })
        .collect()
}

/// The config file of the command line being completed; `None` on any problem (completion
/// is silent).
fn config_for_completion() -> Option<crate::config::Loaded> {
    let path = std::env::var_os("CPCALL_CONFIG").map(std::path::PathBuf::from);
    crate::config::load(path.as_deref()).ok().flatten()
}

/// `[groups]` names from the config file, each with its profiles, for `--group <TAB>`.
fn group_list(current: &std::ffi::OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let Some(loaded) = config_for_completion() else {
        return Vec::new();
    };
    loaded
        .file
        .groups
        .iter()
        .filter(|(name, _)| name.starts_with(current.as_ref()))
        .map(|(name, members)| CompletionCandidate::new(name).help(Some(members.join(", ").into())))
        .collect()
}

/// Profile names from the config file, for completion; silent about any problem.
fn profile_names() -> Vec<CompletionCandidate> {
    let Some(loaded) = config_for_completion() else {
        return Vec::new();
    };
    loaded
        .file
        .profiles
        .iter()
        .map(|(name, p)| {
            let about = format!(
                "{} {}",
                p.host.as_deref().unwrap_or("?"),
                p.service.map_or("whm", |s| s.name())
            );
            CompletionCandidate::new(name).help(Some(about.into()))
        })
        .collect()
}

/// `1048576`, `512K`, `256M`, `2G` (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_uppercase()),
        _ => (text, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(format!("unknown unit {unit:?}: use K, M or G")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 64M"))?;
    n.checked_shl(shift)
        .filter(|v| *v > 0 && v >> shift == n)
        .ok_or_else(|| format!("{text:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_table() {
        let cases = [
            ("1", Ok(1)),
            ("512K", Ok(512 << 10)),
            ("256m", Ok(256 << 20)),
            ("2G", Ok(2 << 30)),
            ("0", Err(())),
            ("", Err(())),
            ("12X", Err(())),
            ("M", Err(())),
            ("99999999999G", Err(())),
        ];
        for (text, want) in cases {
            assert_eq!(parse_size(text).map_err(|_| ()), want, "{text}");
        }
    }

    #[test]
    fn config_in_args_table() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (
                &["cpcall", "--", "cpcall", "-c", "x.toml", "-p", ""],
                Some("x.toml"),
            ),
            (
                &["cpcall", "--", "cpcall", "--config", "y.toml", "-p"],
                Some("y.toml"),
            ),
            (
                &["cpcall", "--", "cpcall", "--config=z.toml", "-p"],
                Some("z.toml"),
            ),
            (
                &["cpcall", "--", "cpcall", "-cw.toml", "-p"],
                Some("w.toml"),
            ),
            (&["cpcall", "--", "cpcall", "-p", ""], None),
            (&["cpcall", "--", "cpcall", "-c"], None),
            (
                &["cpcall", "--", "cpcall", "--config", "=", "v.toml", "-p"],
                Some("v.toml"),
            ),
        ];
        for (args, want) in cases {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            assert_eq!(config_in_args(&args).as_deref(), *want, "{args:?}");
        }
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

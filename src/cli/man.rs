//! The man pages: `cpcall(1)` from the same definitions as `--help`, plus what the README
//! answers that `--help` cannot (the config file, exit codes, environment, files, examples),
//! and a `cpcall-NAME(1)` page for every subcommand it names. Kept fresh by a test.

use clap::CommandFactory;

use super::Cli;

/// Every page, as (file name, roff): `cpcall.1` first, then `cpcall-whm.1`, ….
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // Built, so that clap's own `help` subcommands are there as its pages name them.
    let mut cli = Cli::command();
    cli.build();
    let mut pages = vec![("cpcall.1".to_string(), main_page(&cli)?)];
    subcommand_pages(&cli, "cpcall", &mut pages)?;
    Ok(pages)
}

/// `cpcall(1)`: clap's sections, then cpcall's own.
fn main_page(cli: &clap::Command) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cli.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    out.extend_from_slice(own_sections(cli).as_bytes());
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// A page for each subcommand (and theirs, as `cpcall-config-add(1)`), titled as clap's
/// subcommand section names them.
fn subcommand_pages(
    parent: &clap::Command,
    prefix: &str,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    for sub in parent.get_subcommands() {
        let name = format!("{prefix}-{}", sub.get_name());
        // clap's `help` has a subcommand per sibling: its page is one page, not a tree.
        let page = match sub.get_name() {
            "help" => clap::Command::new(name.clone())
                .about(sub.get_about().cloned().unwrap_or_default())
                .arg(
                    clap::Arg::new("COMMAND")
                        .num_args(0..)
                        .help("The subcommand to explain"),
                ),
            _ => sub.clone(),
        }
        .name(name.clone())
        .bin_name(name.replace("-", " "));
        let mut out = Vec::new();
        clap_mangen::Man::new(page.clone()).render(&mut out)?;
        out.extend_from_slice(format!(".SH \"SEE ALSO\"\n{}\n", bold_page("cpcall")).as_bytes());
        pages.push((format!("{name}.1"), out));
        subcommand_pages(&page, &name, pages)?;
    }
    Ok(())
}

fn bold_page(name: &str) -> String {
    format!("\\fB{}\\fR(1)", roff(name))
}

/// Text for roff: backslashes and dashes escaped, no line starting with a control character.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    escaped
        .lines()
        .map(|l| match l.starts_with(['.', '\'']) {
            true => format!("\\&{l}"),
            false => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A section of tagged paragraphs.
fn section(title: &str, intro: &str, items: &[(&str, &str)]) -> String {
    let mut out = format!(".SH \"{title}\"\n");
    if !intro.is_empty() {
        out.push_str(&roff(intro));
        out.push('\n');
    }
    for (term, text) in items {
        out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(term), roff(text)));
    }
    out
}

/// The config file's keys, as the library reads them (`[profiles.NAME]`).
pub const PROFILE_KEYS: &[(&str, &str)] = &[
    ("host", "The server's host name or address: no scheme, no port (required). International names are sent in their ASCII form."),
    ("port", "A port other than the service's default (2087 whm, 2083 cpanel, 2096 webmail; 2086/2082/2095 without TLS)."),
    ("service", "whm, cpanel or webmail (default whm)."),
    ("user", "The user calls are made as (root by default on WHM; an e-mail address for Webmail)."),
    ("auth", "accesshash, token, password or session: which credential to use when more than one is given; session logs in once and calls with the session's cookie and cpsess token."),
    ("tls", "false for plain HTTP (default true; false on the plain ports)."),
    ("insecure", "true skips certificate verification (always warned about; a pin wins over it)."),
    ("ca_file", "A PEM file of certificates to trust besides the system's: a CA, or the server's own (self-signed) certificate. Refused when someone other than you or root could replace it."),
    ("pin_sha256", "The SHA-256 fingerprint (hex, colons optional) of the one certificate to accept; cpcall trust writes it."),
    ("timeout", "Seconds a call may take, all tries included (default 60)."),
    ("cpanel_user", "The cPanel account a WHM profile's cpanel calls are made for by default (--user)."),
    ("strict", "true: calls the catalogue questions (unknown function or parameter, missing required one) are refused, not warned about."),
    ("read_only", "true: calls that change the server, or may (unknown ones), are refused before anything is sent (exit 2)."),
    ("retry", "0 to 10: how many times a call that only reads is tried again after a failure that may pass (a restart's 5xx, a timeout); a change only when it never reached the server."),
    ("accesshash", "A WHM access hash (Authorization: WHM user:hash)."),
    ("token", "An API token (Authorization: whm user:token, or cpanel user:token)."),
    ("password", "The password: HTTP Basic on every call, or the session login."),
    ("totp_secret", "The base32 secret of the account's two-factor authentication: cpcall makes the X-CPANEL-OTP code."),
];

/// The forms every secret key (`accesshash`, `token`, `password`, `totp_secret`) has.
pub const SECRET_FORMS: &[(&str, &str)] = &[
    ("KEY = \"...\"", "The value itself (keep the file mode 600)."),
    ("KEY_file = \"PATH\"", "The file's content, one final line break dropped (~ is the home directory; relative paths are relative to the config file's folder)."),
    ("KEY_env = \"NAME\"", "The value of that environment variable."),
    ("KEY_command = \"COMMAND\"", "What the command prints (sh -c, within --timeout, one final line break dropped); a failing command is an error naming its exit status, never its output."),
];

/// Exit codes, as a cron job may trust them.
pub const EXIT_CODES: &[(&str, &str)] = &[
    ("0", "Success: the API answered and reported success."),
    ("1", "The API answered but reported failure (WHM metadata.result 0, UAPI status 0, API 2 errors); its reasons are on stderr."),
    ("2", "Usage or configuration error: a bad flag, parameter, config key or profile, an unreadable secret, a refused --read-only call, a --jq filter that fails; nothing was sent, or its answer could not be shown."),
    ("3", "Authentication refused: a token, password, access hash, 2FA code or login the server refused (never retried: cPHulk counts them), or an expired session without a password."),
    ("4", "Transport failure: connection, DNS, proxy, TLS, timeout, an answer that is not the API's JSON, too large an answer."),
    ("128+N", "Killed by signal N (130 Ctrl-C, 143 SIGTERM); a temporary file being written is removed first."),
    ("141", "Stdout's reader went away (| head): nothing more is started."),
];

/// The environment cpcall reads.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("CPCALL_CONFIG", "The config file (as -c)."),
    ("CPCALL_PROFILE", "The profile (as -p)."),
    ("CPCALL_SERVICE", "The service when the profile does not say (as --service)."),
    ("CPCALL_USER", "With --host and no profile: the user."),
    ("CPCALL_TOKEN", "With --host and no profile: an API token."),
    ("CPCALL_ACCESSHASH", "With --host and no profile: a WHM access hash."),
    ("CPCALL_PASSWORD", "With --host and no profile: a password."),
    ("CPCALL_TOTP_SECRET", "With --host and no profile: the 2FA secret."),
    ("CPCALL_CA_FILE", "A CA file for targets without a trust setting (as --ca-file)."),
    ("CPCALL_PIN_SHA256", "A certificate pin for targets without a trust setting (as --pin-sha256)."),
    ("CPCALL_STRICT", "1 or 0: as --strict, or not."),
    ("CPCALL_READ_ONLY", "1 or 0: as --read-only, or not."),
    ("https_proxy, HTTPS_PROXY, http_proxy, all_proxy, ALL_PROXY", "The proxy for TLS servers (https_proxy), plain-HTTP ones (http_proxy, lower case only), or both (all_proxy): http://, with user:password if needed."),
    ("no_proxy, NO_PROXY", "Hosts reached without the proxy."),
    ("SSL_CERT_FILE, SSL_CERT_DIR", "The system's CA certificates, where they are elsewhere than the platform's default."),
    ("TMPDIR", "Where a large answer waits while it arrives (an unlinked temporary file)."),
    ("NO_COLOR", "Set and not empty: no colour (unless --color always)."),
    ("BROWSER", "The browser login-url --open starts (arguments and %s allowed; : between alternatives), else xdg-open."),
    ("XDG_CONFIG_HOME, XDG_STATE_HOME", "Where the config file and the sessions are (FILES)."),
];

/// Files cpcall reads and writes.
pub const FILES: &[(&str, &str)] = &[
    ("~/.config/cpcall/config.toml", "The config file ($XDG_CONFIG_HOME/cpcall/config.toml). Refused when its folder can be written by others; warned about when it holds secrets and others can read it."),
    ("~/.local/state/cpcall/sessions/", "Saved sessions (mode 0600, in a 0700 folder) with their login locks and refusal marks; removed by logout ($XDG_STATE_HOME)."),
    ("/usr/share/man/man1/cpcall*.1, /usr/share/bash-completion/completions/cpcall", "The man pages and completions the packages install (zsh: vendor-completions or site-functions; fish: vendor_completions.d)."),
];

/// cpcall's own sections of cpcall(1).
fn own_sections(cli: &clap::Command) -> String {
    let mut out = String::new();
    out.push_str(&section(
        "CONFIGURATION FILE",
        "TOML. default_profile = \"NAME\" names the profile used without -p (else the profile named default, else the only one). Each [profiles.NAME] table holds these keys; unknown keys and wrong types are errors naming the file, line and column:",
        PROFILE_KEYS,
    ));
    out.push_str(&section(
        "SECRETS",
        "Every secret key (accesshash, token, password, totp_secret) can be written four ways; use one per secret:",
        SECRET_FORMS,
    ));
    out.push_str(&section(
        "GROUPS",
        "",
        &[(
            "[groups]",
            "web = [\"web1\", \"web2\"] names several profiles at once: cpcall --group web whm version runs the call on each, one JSON line per profile (or one sheet with --format).",
        )],
    ));
    out.push_str(&section("EXIT STATUS", "", EXIT_CODES));
    out.push_str(&section("ENVIRONMENT", "", ENVIRONMENT));
    out.push_str(&section("FILES", "", FILES));
    out.push_str(&section(
        "EXAMPLES",
        "",
        &[
            ("cpcall whm listaccts", "Every account of the default profile's server, as the API's JSON."),
            ("cpcall -p prod whm listaccts --format table --columns user,domain,plan", "The same as a table that fits the terminal."),
            ("cpcall --paginate whm listaccts --format csv > accounts.csv", "Every page of a long listing, as CSV for a spreadsheet."),
            ("cpcall whm listaccts --jq '.data.acct[] | [.user, .domain] | @tsv'", "A built-in jq filter: no jq needed on the host."),
            ("cpcall -p bob cpanel Email list_pops", "A UAPI call with a cPanel profile."),
            ("cpcall -p prod cpanel --user bob Email add_pop email=info password=@pw.txt", "A UAPI call for an account through WHM; the password read from a file."),
            ("cpcall --all -j 32 whm version", "The same call on every profile, 32 at a time, one JSON line each."),
            ("cpcall -p prod --read-only --retry 3 whm listaccts", "A monitoring call: refused if it could change anything, tried again after a restart's 503."),
            ("cpcall -p prod login-url bob", "A one-time login link to bob's cPanel."),
            ("cpcall describe --search \"list database\"", "Find a function; describe shows its parameters, whether it reads or changes, and its documentation."),
            ("cpcall --curl whm createacct username=x domain=x.example", "The curl command of a call, with $CPCALL_* variables where the secrets go; nothing is sent."),
        ],
    ));
    let mut see = vec![];
    for sub in cli.get_subcommands() {
        see.push(bold_page(&format!("cpcall-{}", sub.get_name())));
    }
    see.push("\\fBjq\\fR(1), \\fBcurl\\fR(1)".to_string());
    out.push_str(&format!(
        ".SH \"SEE ALSO\"\n{}\n.PP\nThe README (installed with the package) has the full guide.\n",
        see.join(", ")
    ));
    out
}

//! Integration tests: the real `cpcall` binary against the in-process emulator.

use cpanel_emulator as emulator;

/// answers past the in-memory part: every style, broken ones leave nothing, direct to a file
mod big_answers;
/// describe, call-time checks against the catalogue, --strict, hints, the catalogue builder
mod catalogue;
/// read, change or unknown: describe, --read-only, --retry, login-url
mod classes;
/// the fixture: an emulator, a scratch folder, the real binary, secret sweeps, tmux
mod common;
/// TAB in real bash, zsh and fish under tmux: functions, modules, parameters, values
mod completion;
/// calls with every credential kind, profiles, TLS modes, output
mod core;
/// cron-grade runs: quiet success, -q, -o FILE surviving failures
mod cron;
/// cpcall doctor: one check per line, each with its fix
mod doctor;
/// UAPI and API 2 through WHM for a cPanel user, API 2 direct, Webmail
mod doors;
/// --curl never sends; everything checkable offline is checked before the first request
mod dry_run;
/// the emulator held to a real server's rules and to the vendor clients' requests
mod emulator_rules;
/// misbehaving servers and networks: one line, the right exit code, never a retry that could run twice
mod faults;
/// fan-out over profiles and batch: JSON lines, -j, kept-alive connections, closes
mod fleet;
/// whatever a server sends: deep nesting, bad UTF-8, escapes, echoed secrets
mod hostile_server;
/// bad input, --curl, files open to others, the layers
mod hygiene;
/// bounded reads of secrets and @files, signals, symlinked configs, atomic writes
mod local_files;
/// the .deb installed with dpkg: the binary, man pages, completions
mod package;
/// https_proxy, no_proxy and CONNECT tunnels
mod proxies;
/// reports: --jq beside the system jq, tables and CSV
mod reports;
/// login/logout, 2FA, session expiry, the login lock
mod sessions;
/// state and config folders others control, links, umask 000, parallel edits, owners kept
mod shared_folders;
/// --data, --jq, colour, completions and man page freshness, config commands
mod shell;
/// cpcall trust, ca_file with self-signed certificates, the platform store, first contact
mod trust;
/// the vendor's Perl example clients run unchanged against the emulator
mod vendor_clients;

//! Test fixture: an emulator, a scratch directory, and a way to run the real `cpcall` binary
//! with a clean environment. Every run is checked for leaked secrets.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::emulator::{accounts, Emulator, Options, Service};

pub struct Fixture {
    pub emu: Emulator,
    pub dir: tempfile::TempDir,
    /// Whether the test sends parameters the catalogue does not know on purpose.
    unknown_params: std::cell::Cell<bool>,
}

/// cpcall's catalogue, for the emulator's note of parameters a function does not take.
struct Catalogue;

impl cpanel_emulator::Catalogue for Catalogue {
    fn knows(&self, module: Option<&str>, function: &str, param: &str) -> Option<bool> {
        let function = match module {
            Some(module) => cpcall::internal::uapi(module, function),
            None => cpcall::internal::whm(function),
        }?;
        Some(function.param(param).is_some())
    }
}

/// Tests call the emulator's functions with the parameters cPanel documents for them (the
/// catalogue), so the emulator is never exercised in ways a real server would not be.
impl Drop for Fixture {
    fn drop(&mut self) {
        let unknown = self
            .emu
            .state
            .unknown_params
            .lock()
            .map(|u| u.clone())
            .unwrap_or_default();
        if !std::thread::panicking() && !self.unknown_params.get() {
            assert!(
                unknown.is_empty(),
                "parameters the catalogue does not know were sent: {unknown:?} (call f.sends_unknown_params() if on purpose)"
            );
        }
    }
}

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
    /// stdout as JSON lines (fan-out, batch).
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code; {self:#?}");
        self
    }
    #[track_caller]
    pub fn assert_stderr(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {self:#?}"
        );
        self
    }
    #[track_caller]
    pub fn assert_stdout(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}: {self:#?}"
        );
        self
    }
    /// A fan-out or batch where all N calls went well: N JSON lines, each ok, exit 0, and no
    /// summary on stderr (success is quiet off a terminal).
    #[track_caller]
    pub fn assert_all_ok(&self, n: usize) -> &Self {
        self.assert_code(0);
        let lines = self.lines();
        assert_eq!(lines.len(), n, "{self:#?}");
        assert!(lines.iter().all(|l| l["ok"] == true), "{self:#?}");
        assert!(!self.stderr.contains(" ok, "), "no summary: {self:#?}");
        self
    }

    /// Exit 3 and 4 print nothing on stdout; diagnostics are one line.
    #[track_caller]
    pub fn assert_failure(&self, code: i32, needle: &str) -> &Self {
        self.assert_code(code).assert_stderr(needle);
        assert!(self.stdout.is_empty(), "stdout must be empty: {self:#?}");
        assert_eq!(
            self.stderr
                .trim_end()
                .lines()
                .filter(|l| l.starts_with("cpcall: ") && !l.contains("warning"))
                .count(),
            1,
            "{self:#?}"
        );
        self
    }
}

impl Fixture {
    pub fn new() -> Self {
        Self::with(Options::default())
    }

    pub fn with(options: Options) -> Self {
        cpanel_emulator::use_catalogue(&Catalogue);
        Fixture {
            emu: Emulator::start_with(options),
            dir: tempfile::tempdir().expect("tempdir"),
            unknown_params: std::cell::Cell::new(false),
        }
    }

    /// This test sends parameters the catalogue does not know, on purpose.
    pub fn sends_unknown_params(&self) {
        self.unknown_params.set(true);
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write fixture file");
        path
    }

    pub fn ca_file(&self) -> PathBuf {
        self.write("ca.pem", &self.emu.ca_pem)
    }

    /// A `[profiles.NAME]` table for the emulator's SERVICE port, trusting its CA.
    pub fn profile(&self, name: &str, service: Service, extra: &str) -> String {
        format!(
            "[profiles.{name}]\nhost = \"127.0.0.1\"\nport = {}\nservice = \"{}\"\nca_file = \"{}\"\n{extra}\n",
            self.emu.port(service, true),
            service.name(),
            self.ca_file().display()
        )
    }

    /// A WHM profile with root's API token, and EXTRA lines.
    pub fn root_token(&self, name: &str, extra: &str) -> String {
        self.profile(
            name,
            Service::Whm,
            &format!(
                "token = \"{}\"\n{extra}",
                accounts::ROOT.whm_token.unwrap_or_default()
            ),
        )
    }

    /// A WHM profile with root's API token on another emulator, trusting that one's CA.
    /// A WHM profile whose `token_command` prints root's token and adds a line to `ran` each
    /// time it runs.
    pub fn root_token_command(&self, name: &str, ran: &Path) -> String {
        let command = format!(
            "echo run >> '{}'; printf {}",
            ran.display(),
            accounts::ROOT.whm_token.unwrap_or_default()
        );
        self.profile(
            name,
            Service::Whm,
            &format!("token_command = \"{command}\""),
        )
    }

    pub fn root_token_on(&self, emu: &Emulator, name: &str) -> String {
        let ca = self.write(&format!("ca-{name}.pem"), &emu.ca_pem);
        format!(
            "[profiles.{name}]\nhost = \"127.0.0.1\"\nport = {}\nca_file = \"{}\"\ntoken = \"{}\"\n",
            emu.port(Service::Whm, true),
            ca.display(),
            accounts::ROOT.whm_token.unwrap_or_default()
        )
    }

    /// A profile for BOB with his cPanel API token.
    pub fn bob_token(&self, name: &str, service: Service) -> String {
        self.profile(
            name,
            service,
            &format!(
                "user = \"bob\"\ntoken = \"{}\"",
                accounts::BOB.cpanel_token.unwrap_or_default()
            ),
        )
    }

    /// A profile with ACCOUNT's user name and password.
    pub fn password_profile(
        &self,
        name: &str,
        service: Service,
        account: &accounts::Account,
    ) -> String {
        self.profile(
            name,
            service,
            &format!(
                "user = \"{}\"\npassword = \"{}\"",
                account.user, account.password
            ),
        )
    }

    /// A profile with ACCOUNT's user name, password and TOTP secret (2FA), and EXTRA lines.
    pub fn tfa_profile(
        &self,
        name: &str,
        service: Service,
        account: &accounts::Account,
        extra: &str,
    ) -> String {
        let totp = account.totp.unwrap_or_default();
        self.profile(
            name,
            service,
            &format!(
                "user = \"{}\"\npassword = \"{}\"\ntotp_secret = \"{totp}\"\n{extra}",
                account.user, account.password
            ),
        )
    }

    /// The sessions folder of the fixture's state home.
    pub fn sessions_dir(&self) -> PathBuf {
        self.path("xdg-state/cpcall/sessions")
    }

    /// PROFILE's saved session file, whatever account and server it is for (one that does
    /// not exist when there is none).
    pub fn session_file(&self, profile: &str) -> PathBuf {
        let dir = self.sessions_dir();
        std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                let name = p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                name.starts_with(&format!("{profile}@")) && name.ends_with(".json")
            })
            .unwrap_or_else(|| dir.join(format!("{profile}@(none).json")))
    }

    /// The name (without `.json`, `.lock` or `.refused`) cpcall keeps PROFILE's session of
    /// USER on the emulator's SERVICE port under.
    pub fn session_stem(&self, profile: &str, user: &str, service: Service) -> String {
        format!(
            "{profile}@{user}@127.0.0.1_{}_{}",
            self.emu.port(service, true),
            service.name()
        )
    }

    /// Writes `config.toml` and returns `["-c", path]`-ready path.
    pub fn config(&self, text: &str) -> String {
        self.write("config.toml", text).display().to_string()
    }

    /// Writes `config.toml` with mode 600, as a careful user keeps it (no warning about it).
    pub fn private_config(&self, text: &str) -> String {
        let path = self.config(text);
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod config");
        path
    }

    /// The binary with an empty environment: only PATH, and HOME/XDG dirs inside the fixture.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cpcall"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("xdg-config"))
            .env("XDG_CACHE_HOME", self.path("xdg-cache"))
            .env("XDG_STATE_HOME", self.path("xdg-state"))
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Out {
        let mut cmd = self.cmd();
        cmd.args(args);
        self.output(cmd, None)
    }

    /// Runs with `config` as the config file.
    /// A call as root with the WHM token (profile "w").
    pub fn as_root(&self, args: &[&str]) -> Out {
        self.call(&self.root_token("w", ""), args)
    }

    pub fn call(&self, config: &str, args: &[&str]) -> Out {
        let mut cmd = self.cmd();
        cmd.arg("-c").arg(self.config(config)).args(args);
        self.output(cmd, None)
    }

    pub fn output(&self, cmd: Command, stdin: Option<&str>) -> Out {
        let child = Self::start(cmd, stdin);
        self.finish(child)
    }

    /// Runs all the commands at once (each with its stdin), as parallel cron jobs would, and
    /// returns their outputs in order.
    pub fn output_all(&self, cmds: Vec<(Command, Option<&str>)>) -> Vec<Out> {
        let children: Vec<_> = cmds
            .into_iter()
            .map(|(cmd, stdin)| Self::start(cmd, stdin))
            .collect();
        children.into_iter().map(|c| self.finish(c)).collect()
    }

    fn start(mut cmd: Command, stdin: Option<&str>) -> std::process::Child {
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn cpcall");
        if let Some(input) = stdin {
            if let Err(e) = child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
            {
                // cpcall may stop before reading all of it.
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
            }
        }
        child
    }

    fn finish(&self, child: std::process::Child) -> Out {
        let out = child.wait_with_output().expect("wait for cpcall");
        let out = Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.assert_no_secrets(&out);
        out
    }

    /// No credential of any account, and no session cookie, in what cpcall printed.
    #[track_caller]
    pub fn assert_no_secrets(&self, out: &Out) {
        let mut secrets = accounts::all_secrets();
        secrets.extend(self.emu.state.cookies());
        for secret in secrets {
            assert!(
                !out.stdout.contains(&secret),
                "stdout leaks a secret ({} chars): {out:#?}",
                secret.len()
            );
            assert!(
                !out.stderr.contains(&secret),
                "stderr leaks a secret ({} chars): {out:#?}",
                secret.len()
            );
        }
        assert!(!out.stderr.contains("panicked"), "{out:#?}");
    }

    /// The last request the emulator received.
    pub fn last(&self) -> crate::emulator::http::Request {
        self.emu
            .requests()
            .pop()
            .expect("the emulator received a request")
            .request
    }

    /// The requests the emulator received on SERVICE's TLS or plain port.
    pub fn requests(&self) -> Vec<crate::emulator::Recorded> {
        self.emu.requests()
    }

    /// The bodies of the requests the emulator saw, as text.
    pub fn bodies(&self) -> Vec<String> {
        let body =
            |r: &crate::emulator::Recorded| String::from_utf8_lossy(&r.request.body).into_owned();
        self.requests().iter().map(body).collect()
    }
}

/// A hand-made HTTP exchange, byte for byte, as another client would send it.
pub struct Raw {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends `request` (which must say `Connection: close`) and reads the whole answer.
pub fn raw(emu: &Emulator, service: Service, tls: bool, request: &str) -> Raw {
    let tcp = std::net::TcpStream::connect(("127.0.0.1", emu.port(service, tls))).expect("connect");
    let mut bytes = Vec::new();
    if tls {
        let mut roots = rustls::RootCertStore::empty();
        use rustls::pki_types::pem::PemObject;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(emu.ca_pem.as_bytes()) {
            roots.add(cert.expect("CA pem")).expect("add CA");
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let conn = rustls::ClientConnection::new(Arc::new(config), "127.0.0.1".try_into().unwrap())
            .unwrap();
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        stream.write_all(request.as_bytes()).expect("send");
        let _ = stream.read_to_end(&mut bytes);
    } else {
        let mut tcp = tcp;
        tcp.write_all(request.as_bytes()).expect("send");
        let _ = tcp.read_to_end(&mut bytes);
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Raw {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// Says that a test skipped its work, where `cargo test` shows it: straight to the process's
/// stderr, past the harness's capture of `eprintln!`, so a run that says "ok" also says what
/// it did not test.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED ({}): {why}",
        std::thread::current().name().unwrap_or("a test")
    );
}

/// Whether a helper program the test needs is installed. CI installs them all (`.ci/run`), so
/// there a missing one fails the test; elsewhere the test says why it is skipped.
pub fn have_tool(program: &str, why: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is missing ({why}): .ci/run installs it"
        );
        skipped(&format!("{program} is not installed ({why})"));
    }
    found
}

/// An interactive shell in a terminal (tmux on a private socket), driven as a person would:
/// type, press keys, read the screen.
pub struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    /// `bash --norc` in an 200x50 terminal with the fixture's environment and `cpcall` on PATH.
    pub fn start(f: &Fixture) -> Option<Tmux> {
        Self::start_shell(f, &["bash", "--norc", "--noprofile"], "PS1='$ '; clear")
    }

    /// `shell` (program and arguments) in tmux, set up by typing `setup`: the prompt must
    /// become `$ `.
    pub fn start_shell(f: &Fixture, shell: &[&str], setup: &str) -> Option<Tmux> {
        if !have_tool("tmux", "it drives an interactive shell")
            || !have_tool(shell[0], "its completion is tested")
        {
            return None;
        }
        let socket = f.path("tmux.sock");
        let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_cpcall"))
            .parent()
            .expect("binary dir")
            .to_path_buf();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let status = Command::new("tmux")
            .env_clear()
            .env("PATH", &path)
            .env("HOME", f.dir.path())
            .env("TERM", "xterm")
            .env("XDG_CONFIG_HOME", f.path("xdg-config"))
            .env("XDG_CACHE_HOME", f.path("xdg-cache"))
            .env("XDG_STATE_HOME", f.path("xdg-state"))
            .arg("-S")
            .arg(&socket)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "200",
                "-y",
                "50",
            ])
            .args(shell)
            .status()
            .expect("start tmux");
        assert!(status.success(), "tmux did not start");
        let tmux = Tmux { socket };
        tmux.send(setup);
        tmux.key("Enter");
        Some(tmux)
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket);
        cmd
    }

    /// Types `text` as it is.
    pub fn send(&self, text: &str) {
        let status = self
            .tmux()
            .args(["send-keys", "-l", text])
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// Presses keys by tmux name: `Enter`, `Tab`, `C-c`.
    pub fn key(&self, key: &str) {
        let status = self
            .tmux()
            .args(["send-keys", key])
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    pub fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen once `needle` appears on it (within 10 s).
    #[track_caller]
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(needle, |screen| screen.contains(needle))
    }

    /// The screen once `ready` says so (within 10 s); `what` names the wait in a failure.
    #[track_caller]
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what:?} never appeared:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// `openssl s_server` on a free loopback port with a certificate `openssl req -x509` made
/// (RSA of `bits`, for localhost and 127.0.0.1), and `args`: a real TLS server of a kind the
/// emulator's rustls cannot be (TLS 1.0 only, a 1024-bit key). Stopped when dropped; `None`
/// (the test skips, or fails under CI) without openssl.
pub struct OpensslServer {
    child: std::process::Child,
    pub port: u16,
    /// The server's certificate (PEM), for ca_file.
    pub cert: PathBuf,
}

impl OpensslServer {
    pub fn start(f: &Fixture, bits: u32, args: &[&str]) -> Option<OpensslServer> {
        if !have_tool("openssl", "a real TLS 1.0 or weak-key server") {
            return None;
        }
        let (cert, key) = (
            f.path(&format!("ossl-{bits}.pem")),
            f.path(&format!("ossl-{bits}.key")),
        );
        let made = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                &format!("rsa:{bits}"),
                "-nodes",
                "-days",
                "3650",
            ])
            .args([
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("run openssl req");
        assert!(made.status.success(), "{made:?}");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-accept", &port.to_string(), "-www", "-quiet"])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openssl s_server");
        let server = OpensslServer { child, port, cert };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "openssl s_server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(server)
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

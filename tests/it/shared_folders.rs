//! Files in places others control, and files two processes edit at once: a state or config
//! folder another user can change is refused before anything is opened in it; state files
//! are never opened through a link and never wider than 0600 (umask 000 included); parallel
//! `config add` and `trust` keep every edit; a rewritten config keeps its owner and mode.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::common::Fixture;
use crate::emulator::accounts::BOB;
use crate::emulator::Service;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Another user's numeric id (`nobody` on Debian), for trees root hands over.
const OTHER_UID: u32 = 65534;

fn chown_tree(path: &Path, uid: u32) {
    for entry in walk(path) {
        std::os::unix::fs::lchown(&entry, Some(uid), Some(uid)).unwrap();
    }
}

fn walk(path: &Path) -> Vec<std::path::PathBuf> {
    let mut all = vec![path.to_path_buf()];
    if std::fs::symlink_metadata(path).unwrap().is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            all.extend(walk(&entry.unwrap().path()));
        }
    }
    all
}

/// A sessions folder others can write, or (as root) one another user owns, with links to
/// files planted where the session, lock and refusal mark go: refused (exit 2, the fix),
/// and the files the links point at are untouched.
#[test]
fn a_state_folder_another_user_controls_is_refused_and_no_link_is_followed() {
    let f = Fixture::new();
    let config = f.profile(
        "s",
        Service::Cpanel,
        &format!(
            "auth = \"session\"\nuser = \"bob\"\npassword = \"{}\"",
            BOB.password
        ),
    );
    let sessions = f.path("xdg-state/cpcall/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let victim = f.write("victim", "precious\n");
    let stem = f.session_stem("s", "bob", Service::Cpanel);
    for ext in ["json", "lock", "refused"] {
        std::os::unix::fs::symlink(&victim, sessions.join(format!("{stem}.{ext}"))).unwrap();
    }
    type Setup<'a> = (&'a str, Box<dyn Fn() + 'a>, &'a str);
    let mut setups: Vec<Setup> = vec![(
        "writable by anyone",
        Box::new(|| chmod(&f.path("xdg-state"), 0o777)),
        "chmod go-w",
    )];
    if is_root() {
        setups.push((
            "another user's",
            Box::new(|| {
                chmod(&f.path("xdg-state"), 0o700);
                chown_tree(&f.path("xdg-state"), OTHER_UID);
            }),
            "belongs to user 65534",
        ));
    } else {
        crate::common::skipped("not root: the other-owner case needs chown");
    }
    for (label, setup, fix) in setups {
        setup();
        for args in [
            &["-p", "s", "login"][..],
            &["-p", "s", "cpanel", "Email", "list_pops"],
            &["-p", "s", "logout"],
        ] {
            let out = f.call(&config, args);
            out.assert_failure(2, "the sessions folder")
                .assert_stderr("is not safe to use")
                .assert_stderr(fix);
            assert_eq!(
                std::fs::read_to_string(&victim).unwrap(),
                "precious\n",
                "{label} {args:?}"
            );
        }
        assert_eq!(f.emu.logins(), 0, "{label}: no login was tried");
    }
}

/// A link where a state file goes, in the user's own folder: never followed (the session is
/// written beside it, the lock refuses), never truncated.
#[test]
fn a_link_in_the_own_sessions_folder_is_not_followed() {
    let f = Fixture::new();
    let config = f.profile(
        "s",
        Service::Cpanel,
        &format!(
            "auth = \"session\"\nuser = \"bob\"\npassword = \"{}\"",
            BOB.password
        ),
    );
    let sessions = f.path("xdg-state/cpcall/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let victim = f.write("victim", "precious\n");
    let stem = f.session_stem("s", "bob", Service::Cpanel);
    std::os::unix::fs::symlink(&victim, sessions.join(format!("{stem}.lock"))).unwrap();
    f.call(&config, &["-p", "s", "login"])
        .assert_failure(2, "symbolic link");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // A link where the refusal mark goes is an error too, not a refusal dated by its target.
    std::fs::remove_file(sessions.join(format!("{stem}.lock"))).unwrap();
    std::os::unix::fs::symlink(&victim, sessions.join(format!("{stem}.refused"))).unwrap();
    f.call(&config, &["-p", "s", "cpanel", "Ftp", "list_ftp"])
        .assert_failure(2, "symbolic link");
    assert_eq!(f.emu.logins(), 0, "no login was tried");
}

/// A config in a folder others can write is refused for reading and for writing: whoever
/// writes the folder chooses the hosts, the secrets' sources and the commands.
#[test]
fn a_config_folder_others_can_write_is_refused() {
    let f = Fixture::new();
    let dir = f.path("shared");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, f.root_token("w", "")).unwrap();
    chmod(&path, 0o600);
    chmod(&dir, 0o777);
    let run = |args: &[&str]| {
        let mut cmd = f.cmd();
        cmd.arg("-c").arg(&path).args(args);
        f.output(cmd, None)
    };
    for args in [
        &["-p", "w", "whm", "version"][..],
        &["-p", "w", "trust", "--yes"],
        &["config", "list"],
    ] {
        run(args)
            .assert_failure(2, "the config file's folder")
            .assert_stderr("chmod go-w");
    }
    assert!(f.requests().is_empty(), "nothing was sent");
    chmod(&dir, 0o700);
    run(&["-p", "w", "whm", "version"]).assert_code(0);
}

/// A ca_file others could replace decides whom cpcall trusts: one writable by others, or in a
/// folder others can write, is refused (exit 2, the chmod) before anything is sent; as root,
/// one another user owns too.
#[test]
fn a_ca_file_others_can_replace_is_refused() {
    let f = Fixture::new();
    let dir = f.path("cas");
    std::fs::create_dir(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &f.emu.ca_pem).unwrap();
    let config = f.root_token("w", "").replace(
        &format!("ca_file = \"{}\"", f.ca_file().display()),
        &format!("ca_file = \"{}\"", ca.display()),
    );
    assert!(config.contains("/cas/ca.pem"), "{config}");
    for (file_mode, dir_mode, says) in [
        (0o666, 0o700, "ca_file"),
        (0o644, 0o777, "the folder of ca_file"),
    ] {
        chmod(&ca, file_mode);
        chmod(&dir, dir_mode);
        f.call(&config, &["whm", "version"])
            .assert_failure(2, says)
            .assert_stderr("chmod go-w");
    }
    if is_root() {
        chmod(&dir, 0o755);
        chmod(&ca, 0o644);
        std::os::unix::fs::lchown(&ca, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
        f.call(&config, &["whm", "version"])
            .assert_failure(2, "belongs to user 65534");
        std::os::unix::fs::lchown(&ca, Some(0), Some(0)).unwrap();
    }
    assert!(f.requests().is_empty(), "nothing was sent");
    chmod(&dir, 0o700);
    chmod(&ca, 0o644);
    f.call(&config, &["whm", "version"]).assert_code(0);
}

/// Under umask 000, every file cpcall makes is 0600 and every folder 0700: sessions, locks,
/// refusal marks, and a config made by `config add`.
#[test]
fn umask_000_makes_nothing_wider_than_600() {
    let f = Fixture::new();
    let good = f.profile(
        "s",
        Service::Cpanel,
        &format!(
            "auth = \"session\"\nuser = \"bob\"\npassword = \"{}\"",
            BOB.password
        ),
    );
    let bad = f.profile(
        "r",
        Service::Cpanel,
        "auth = \"session\"\nuser = \"bob\"\npassword = \"wrong-password\"",
    );
    let config = f.config(&format!("{good}{bad}"));
    let new_config = f.path("fresh/cpcall/config.toml");
    let port = f.emu.port(Service::Cpanel, true);
    let answers = format!(
        "127.0.0.1\ncpanel\n{port}\nbob\ntoken\n{}\n{}\n",
        BOB.cpanel_token.unwrap(),
        f.ca_file().display()
    );
    let umask0 = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = f.cmd();
        cmd.args(args);
        // SAFETY: umask is one system call, safe between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                rustix::process::umask(rustix::fs::Mode::empty());
                Ok(())
            });
        }
        f.output(cmd, stdin)
    };
    umask0(
        &["-c", &config, "-p", "s", "cpanel", "Email", "list_pops"],
        None,
    )
    .assert_code(0);
    umask0(
        &["-c", &config, "-p", "r", "cpanel", "Email", "list_pops"],
        None,
    )
    .assert_code(3);
    let new_config = new_config.display().to_string();
    umask0(
        &["-c", &new_config, "config", "add", "shop"],
        Some(&answers),
    )
    .assert_code(0);
    let mut seen = Vec::new();
    for root in [f.path("xdg-state/cpcall"), f.path("fresh")] {
        for entry in walk(&root) {
            let meta = std::fs::symlink_metadata(&entry).unwrap();
            let want = if meta.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(meta.mode() & 0o777, want, "{}", entry.display());
            seen.push(entry.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    let (s, r) = (
        f.session_stem("s", "bob", Service::Cpanel),
        f.session_stem("r", "bob", Service::Cpanel),
    );
    for name in [
        format!("{s}.json"),
        format!("{s}.lock"),
        format!("{r}.lock"),
        format!("{r}.refused"),
        "config.toml".into(),
    ] {
        assert!(seen.contains(&name), "{name} made: {seen:?}");
    }
}

/// 20 `config add` at once: every one says saved, and every profile is in the file.
#[test]
fn parallel_config_adds_keep_every_profile() {
    let f = Fixture::new();
    let path = f.path("cfg/config.toml");
    let port = f.emu.port(Service::Cpanel, true);
    let answers = format!(
        "127.0.0.1\ncpanel\n{port}\nbob\ntoken\n{}\n{}\n",
        BOB.cpanel_token.unwrap(),
        f.ca_file().display()
    );
    let cmds = (0..20)
        .map(|i| {
            let mut cmd = f.cmd();
            cmd.arg("-c")
                .arg(&path)
                .args(["config", "add", &format!("p{i:02}")]);
            (cmd, Some(answers.as_str()))
        })
        .collect();
    let outs = f.output_all(cmds);
    for out in &outs {
        out.assert_code(0).assert_stderr("saved");
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let file: toml::Table = text.parse().unwrap();
    assert_eq!(file["profiles"].as_table().unwrap().len(), 20, "{text}");
}

/// 40 `trust --sha256` at once, each on its own profile of one file: 40 pins.
#[test]
fn parallel_trusts_keep_every_pin() {
    let f = Fixture::new();
    let port = f.emu.port(Service::Whm, true);
    let config: String = (0..40)
        .map(|i| {
            format!("[profiles.p{i:02}]\nhost = \"127.0.0.1\"\nport = {port}\ntoken = \"x\"\n\n")
        })
        .collect();
    let path = f.config(&config);
    chmod(Path::new(&path), 0o600);
    let pin = f.emu.pin_hex();
    let cmds = (0..40)
        .map(|i| {
            let mut cmd = f.cmd();
            cmd.args([
                "-c",
                &path,
                "-p",
                &format!("p{i:02}"),
                "trust",
                "--sha256",
                &pin,
            ]);
            (cmd, None)
        })
        .collect();
    let outs = f.output_all(cmds);
    for out in &outs {
        out.assert_code(0);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("pin_sha256").count(), 40, "{text}");
}

/// root running `trust` on a user's config (in a folder root owns) leaves it the user's, with
/// its mode: the user's own cpcall still reads it.
#[test]
fn rewriting_a_config_keeps_its_owner_and_mode() {
    if !is_root() {
        crate::common::skipped("not root: changing a file's owner needs root");
        return;
    }
    let f = Fixture::new();
    let path = f.config(&f.root_token("w", "").replace("ca_file", "# ca_file"));
    chmod(Path::new(&path), 0o640);
    std::os::unix::fs::chown(&path, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    f.run(&["-c", &path, "-p", "w", "trust", "--yes"])
        .assert_code(0);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o777),
        (OTHER_UID, OTHER_UID, 0o640)
    );
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("pin_sha256"));
}

/// `-o FILE` where someone else could read or swap what cpcall writes: a folder others can
/// write is refused, and (as root) a file another user owns, which the rename would hand
/// back to them with their mode. Nothing is sent.
#[test]
fn an_output_file_others_control_is_refused() {
    let f = Fixture::new();
    let config = f.root_token("w", "");
    let open = f.path("open");
    std::fs::create_dir(&open).unwrap();
    chmod(&open, 0o777);
    let target = open.join("report.json");
    f.call(&config, &["whm", "version", "-o", target.to_str().unwrap()])
        .assert_failure(2, "the folder of -o")
        .assert_stderr("chmod go-w");
    chmod(&open, 0o700);
    if is_root() {
        std::fs::write(&target, "theirs\n").unwrap();
        chmod(&target, 0o666);
        std::os::unix::fs::lchown(&target, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
        f.call(&config, &["whm", "version", "-o", target.to_str().unwrap()])
            .assert_failure(2, "belongs to user 65534");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "theirs\n");
    }
    assert!(f.requests().is_empty(), "nothing was sent");
    f.call(
        &config,
        &[
            "whm",
            "version",
            "-o",
            open.join("mine.json").to_str().unwrap(),
        ],
    )
    .assert_code(0);
}

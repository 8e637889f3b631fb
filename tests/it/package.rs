//! The Debian package as a user gets it: `cargo deb` packs the binary this test suite built
//! (the same assets as a release), dpkg installs it into a root of the test's own, and the
//! installed files answer: `cpcall --version`, `man -w cpcall`, bash completion.

use crate::common::{have_tool, Fixture};

#[test]
fn the_deb_installs_the_binary_man_pages_and_completions() {
    if !have_tool("cargo-deb", "it makes the .deb (cargo install cargo-deb)")
        || !have_tool("dpkg", "it installs the .deb")
        || !have_tool("man", "man -w finds the installed page")
    {
        return;
    }
    let f = Fixture::new();
    let out = f.path("deb");
    // The binary cargo test built (target/debug), stripped by cargo-deb as a release's is.
    let mut deb = std::process::Command::new("cargo");
    deb.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "deb",
            "--no-build",
            "--profile",
            "dev",
            "--fast",
            "-q",
            "-o",
        ])
        .arg(&out);
    let made = f.output(deb, None);
    made.assert_code(0);
    let package = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("a .deb");
    let root = f.path("root");
    for dir in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    let mut dpkg = std::process::Command::new("dpkg");
    dpkg.arg(format!("--root={}", root.display()))
        .args([
            "--force-depends",
            "--force-not-root",
            "--log=/dev/null",
            "-i",
        ])
        .arg(&package);
    f.output(dpkg, None).assert_code(0);

    let bin = root.join("usr/bin/cpcall");
    let mut version = std::process::Command::new(&bin);
    version.arg("--version");
    f.output(version, None)
        .assert_code(0)
        .assert_stdout(&format!("cpcall {}", env!("CARGO_PKG_VERSION")));

    let mut man = std::process::Command::new("man");
    man.env("MANPATH", root.join("usr/share/man"))
        .args(["-w", "cpcall"]);
    f.output(man, None)
        .assert_code(0)
        .assert_stdout("usr/share/man/man1/cpcall.1");
    let mut sub = std::process::Command::new("man");
    sub.env("MANPATH", root.join("usr/share/man"))
        .args(["-w", "cpcall-whm"]);
    f.output(sub, None).assert_code(0);

    let completion = root.join("usr/share/bash-completion/completions/cpcall");
    let script = format!(
        "source '{}'; COMP_WORDS=(cpcall wh); COMP_CWORD=1; COMP_LINE='cpcall wh'; COMP_POINT=9; _clap_complete_cpcall cpcall wh cpcall; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        completion.display()
    );
    let mut bash = std::process::Command::new("bash");
    bash.env(
        "PATH",
        format!(
            "{}:{}",
            root.join("usr/bin").display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    )
    .args(["--norc", "--noprofile", "-c", &script]);
    f.output(bash, None).assert_code(0).assert_stdout("whm\n");
    for file in [
        "usr/share/zsh/vendor-completions/_cpcall",
        "usr/share/fish/vendor_completions.d/cpcall.fish",
        "usr/share/doc/cpcall/README.md",
    ] {
        assert!(root.join(file).is_file(), "{file} is not in the package");
    }
}

//! Completion as a person meets it: the script `cpcall completions bash` installs, in a real
//! interactive bash under tmux (readline splits `key=value` at `=`, so this is the only honest
//! test of `searchmethod=<TAB>`), completing the API's vocabulary from the catalogue.

use crate::common::{Fixture, Tmux};

/// bash with cpcall's completion loaded, and a config with one profile.
fn shell(f: &Fixture) -> Option<Tmux> {
    let term = Tmux::start(f)?;
    let config = f.config(&f.root_token("w", ""));
    term.send(&format!(
        "export CPCALL_CONFIG={config}; source <(cpcall completions bash); clear"
    ));
    term.key("Enter");
    term.wait_until("a clean prompt", |s| s.trim() == "$");
    Some(term)
}

/// Types `text`, presses TAB `tabs` times, then types `@` to show where the cursor stands
/// (a terminal does not show a trailing space), and returns the screen; then clears the line.
fn tab(term: &Tmux, text: &str, tabs: usize, until: &str) -> String {
    term.send(text);
    for _ in 0..tabs {
        term.key("Tab");
        // Readline lists on a second TAB only once the first has done its work.
        std::thread::sleep(std::time::Duration::from_millis(400));
    }
    term.wait_for(until);
    term.send("@");
    let screen = term.wait_until("the cursor mark", |s| edited(s).ends_with('@'));
    // A completion still running swallows a Ctrl-C: press it until the line is abandoned.
    for _ in 0..50 {
        term.key("C-c");
        std::thread::sleep(std::time::Duration::from_millis(100));
        let now = term.screen();
        if now
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(str::trim)
            == Some("$")
        {
            break;
        }
    }
    term.send("clear");
    term.key("Enter");
    term.wait_until("a clean prompt", |s| s.trim() == "$");
    screen
}

/// The line being edited: the last line that starts with the prompt.
fn edited(screen: &str) -> String {
    screen
        .lines()
        .rfind(|l| l.starts_with("$ "))
        .unwrap_or_default()
        .trim_start_matches("$ ")
        .to_string()
}

#[test]
fn tab_completes_functions_modules_parameters_and_values() {
    let f = Fixture::new();
    let Some(term) = shell(&f) else { return };

    let screen = tab(&term, "cpcall whm listacc", 1, "listaccts");
    assert_eq!(edited(&screen), "cpcall whm listaccts @", "{screen}");

    let screen = tab(&term, "cpcall cpanel Email", 2, "EmailAuth");
    assert!(
        screen.contains("Email ") || screen.contains("Email\n"),
        "{screen}"
    );

    let screen = tab(&term, "cpcall whm createacct usern", 1, "username=");
    assert_eq!(
        edited(&screen),
        "cpcall whm createacct username=@",
        "no space after =: {screen}"
    );

    let screen = tab(&term, "cpcall whm listaccts searchmethod=", 2, "regex");
    assert!(screen.contains("exact"), "{screen}");
    assert!(!screen.contains("--jq"), "only values after key=: {screen}");
    // A free-text value: nothing to offer, and nothing put into it (not the flags' `--`).
    let screen = tab(&term, "cpcall whm createacct domain=", 2, "domain=");
    assert_eq!(
        edited(&screen),
        "cpcall whm createacct domain=@",
        "{screen}"
    );
    let screen = tab(
        &term,
        "cpcall whm listaccts searchmethod=ex",
        1,
        "searchmethod=exact",
    );
    assert_eq!(
        edited(&screen),
        "cpcall whm listaccts searchmethod=exact @",
        "{screen}"
    );

    let screen = tab(
        &term,
        "cpcall -p w cpanel --user bob Email list_pops",
        2,
        "list_pops_with_disk",
    );
    assert!(screen.contains("list_pops "), "{screen}");

    // Parameters already on the line are not offered again.
    let screen = tab(
        &term,
        "cpcall whm listaccts search=bob search",
        2,
        "searchtype=",
    );
    assert!(screen.contains("searchmethod="), "{screen}");
    let offered = screen
        .split_whitespace()
        .filter(|w| *w == "search=")
        .count();
    assert_eq!(offered, 0, "{screen}");

    // Required parameters first.
    let screen = tab(&term, "cpcall whm createacct ", 2, "username=");
    let listing: Vec<&str> = screen
        .split_whitespace()
        .filter(|w| w.ends_with('='))
        .collect();
    assert_eq!(listing.first(), Some(&"username="), "{screen}");

    let screen = tab(&term, "cpcall describe cpanel Ftp list_f", 1, "list_ftp");
    assert!(
        edited(&screen).starts_with("cpcall describe cpanel Ftp list_ftp"),
        "{screen}"
    );
    assert!(f.requests().is_empty(), "completion sends nothing");
}

/// zsh and fish, through the scripts `cpcall completions zsh|fish` prints: the same vocabulary,
/// and `key=` waits for its value (no space), as in bash.
#[test]
fn zsh_and_fish_complete_the_vocabulary_too() {
    let f = Fixture::new();
    let config = f.config(&f.root_token("w", ""));
    let shells: [(&[&str], String); 2] = [
        (
            &["zsh", "-f"],
            format!(
                "PS1='$ '; export CPCALL_CONFIG={config}; autoload -Uz compinit && compinit -u; source <(cpcall completions zsh); clear"
            ),
        ),
        (
            &["fish", "--no-config"],
            format!(
                "function fish_prompt; echo -n '$ '; end; set -x CPCALL_CONFIG {config}; cpcall completions fish | source; clear"
            ),
        ),
    ];
    for (shell, setup) in shells {
        let Some(term) = Tmux::start_shell(&f, shell, &setup) else {
            continue;
        };
        term.wait_until("a clean prompt", |s| s.trim() == "$");
        // (typed, what the screen shows once done, the line after TAB; @ is the cursor)
        let cases = [
            (
                "cpcall whm createacct usern",
                "username=",
                "cpcall whm createacct username=@",
            ),
            (
                "cpcall whm listaccts searchmethod=ex",
                "exact",
                "cpcall whm listaccts searchmethod=exact @",
            ),
            (
                "cpcall cpanel --user bob Email list_pops_w",
                "disk",
                "cpcall cpanel --user bob Email list_pops_with_disk @",
            ),
        ];
        for (typed, done, want) in cases {
            let screen = tab(&term, typed, 1, done);
            assert_eq!(edited(&screen), want, "{shell:?}: {screen}");
        }
    }
    assert!(f.requests().is_empty(), "completion sends nothing");
}

/// What bash runs on each TAB (the speed of it is measured by bench/run.sh, not here): the
/// catalogue's names, nothing sent, whatever the profile.
#[test]
fn a_tab_lists_the_catalogue_and_sends_nothing() {
    let f = Fixture::new();
    let config = f.config(&f.root_token("w", ""));
    for (words, expected) in [
        (&["cpcall", "whm", ""][..], "listaccts"),
        (&["cpcall", "whm", "createacct", ""], "username="),
        (&["cpcall", "cpanel", "Email", ""], "list_pops"),
        (
            &["cpcall", "-p", "w", "whm", "listaccts", "searchmethod="],
            "searchmethod=regex",
        ),
    ] {
        let mut cmd = f.cmd();
        cmd.env("COMPLETE", "bash")
            .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
            .env("_CLAP_IFS", "\n")
            .env("CPCALL_CONFIG", &config)
            .arg("--")
            .args(words);
        let out = f.output(cmd, None);
        out.assert_code(0);
        assert!(
            out.stdout.lines().any(|l| l == expected),
            "{words:?}: {}",
            out.stdout
        );
    }
    assert!(f.requests().is_empty(), "completion sends nothing");
}

//! Words quoted for a shell, in the commands cpcall prints (`--curl`) and advises (`run
//! cpcall -c 'my config.toml' -p prod trust`).

/// `'…'` for the shell: nothing inside is expanded.
pub fn single(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A word as a shell reads it: as it is when it needs no quotes, else in single quotes.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    match plain {
        true => s.to_string(),
        false => single(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_table() {
        let cases = [
            (single("a b"), "'a b'"),
            (single("it's"), r"'it'\''s'"),
            (
                shell_word("/etc/cpcall/config.toml"),
                "/etc/cpcall/config.toml",
            ),
            (shell_word("my config.toml"), "'my config.toml'"),
            (shell_word("$(rm -rf ~)"), "'$(rm -rf ~)'"),
            (shell_word(""), "''"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}

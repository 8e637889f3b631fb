//! The fuzz targets' doors (fuzz/fuzz_targets/): each takes any bytes and must never panic
//! except on the assertions here, which state what must hold for every input.

use cpanel_client::__internals::{
    check, judge, read_login_answer, security_token, Checker, LoginAnswer, Response,
};
use cpanel_client::Kind;

use crate::config::profile::{resolve, Flags};
use crate::config::Loaded;
use crate::output::{write_bytes, Style};

/// Any text as a config file: parsed, every profile resolved; an error, never a panic.
/// (Secrets are not read: a `_command` from fuzz input must never run.)
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let path = std::path::Path::new("fuzz.toml");
    let Ok(file) = crate::config::parse(&text, path) else {
        return;
    };
    let names: Vec<String> = file.profiles.keys().cloned().collect();
    let loaded = Loaded::new(path.into(), file);
    let _ = resolve(&Flags::default(), Some(&loaded), &|_| None);
    for name in names {
        let flags = Flags {
            profile: Some(name),
            ..Flags::default()
        };
        if let Ok(target) = resolve(&flags, Some(&loaded), &|_| None) {
            let _ = target.base_url();
        }
    }
}

/// A login answer (two bytes of status, header lines, a blank line, the body) in, a token and
/// cookie or a refusal out.
pub fn login(data: &[u8]) {
    let [a, b, rest @ ..] = data else { return };
    let status = 100 + u16::from_le_bytes([*a, *b]) % 500;
    let text = String::from_utf8_lossy(rest);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let headers = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect();
    let response = Response::from_bytes(status, headers, body.as_bytes().to_vec());
    for name in ["cpsession", "whostmgrsession", "webmailsession"] {
        if let LoginAnswer::Accepted { token, cookie } = read_login_answer(&response, name) {
            assert!(
                security_token(&token).as_deref() == Some(token.as_str()),
                "token is /cpsess + 10 digits"
            );
            assert!(!cookie.expose().is_empty());
        }
    }
    for line in text.lines() {
        if let Some(token) = security_token(line) {
            assert_eq!(token.len(), 17);
        }
    }
}

/// Lines as KEY=VALUE arguments, the rest (after a blank line) as standard input: parsed and
/// form-encoded.
pub fn params(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (args, stdin) = text.split_once("\n\n").unwrap_or((&text, ""));
    // Values naming files (`@/dev/zero`) would read the fuzzing machine's files; `@-` stays.
    let args: Vec<String> = args
        .lines()
        .filter(|a| {
            !a.split_once('=')
                .is_some_and(|(_, v)| v.starts_with('@') && v != "@-")
        })
        .map(str::to_string)
        .collect();
    if let Ok(params) = crate::params::parse(&args, &mut stdin.as_bytes()) {
        let encoded = cpanel_client::params::encode_form(
            params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        assert!(
            encoded.bytes().all(|b| b.is_ascii_graphic()),
            "form encoding is printable ASCII"
        );
        let _ = cpanel_client::params::masked_form(&params);
    }
}

/// Any status and bytes in, a verdict out; the one-pass checker finds the same in any split of
/// the bytes and calls JSON only what serde_json reads as JSON; for valid JSON, the pretty,
/// compact and coloured forms are the same JSON.
pub fn response(data: &[u8]) {
    let [first, a, b, body @ ..] = data else {
        return;
    };
    let kinds = [
        Kind::Whm,
        Kind::WhmUapiCpanel,
        Kind::Uapi,
        Kind::ProxyUapi,
        Kind::Api2,
    ];
    let kind = kinds[*first as usize % kinds.len()];
    let status = 100 + u16::from_le_bytes([*a, *b]) % 500;
    let _ = judge(kind, status, body);
    let whole = check(body);
    let mut pieces = Checker::default();
    for piece in body.chunks(1 + *first as usize % 7) {
        pieces.feed(piece);
    }
    assert_eq!(pieces.finish(), whole, "pieces and whole differ");
    if whole.is_json() && whole.defect.is_none() && whole.depth < 100 {
        // Numbers past f64 (1e999) are JSON, which serde_json's Value refuses.
        let parsed = serde_json::from_slice::<serde_json::Value>(body);
        assert!(
            parsed.is_ok() || parsed.is_err_and(|e| e.to_string().contains("number out of range")),
            "checker took non-JSON"
        );
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    for style in [Style::Pretty, Style::Compact, Style::AsReceived] {
        let written = |style, colour| {
            let mut out = Vec::new();
            write_bytes(&mut out, body, style, colour).expect("writing to a Vec");
            out
        };
        let again: serde_json::Value =
            serde_json::from_slice(&written(style, false)).expect("reformatted JSON parses");
        assert_eq!(again, value, "{style:?} changed the JSON");
        // Colour only adds escape sequences around tokens.
        let coloured = String::from_utf8_lossy(&written(style, true)).into_owned();
        let plain = [
            "\x1b[1;34m",
            "\x1b[32m",
            "\x1b[36m",
            "\x1b[33m",
            "\x1b[90m",
            "\x1b[0m",
        ]
        .iter()
        .fold(coloured, |text, escape| text.replace(escape, ""));
        let uncoloured = match style {
            Style::AsReceived => written(Style::Compact, false),
            other => written(other, false),
        };
        assert_eq!(
            plain.as_bytes(),
            &uncoloured[..],
            "colour changed more than colour"
        );
    }
}

//! Lines as KEY=VALUE arguments, the rest as standard input: parsed and form-encoded.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (args, stdin) = text.split_once("\n\n").unwrap_or((&text, ""));
    // Values naming files (`@/dev/zero`) would read the fuzzing machine's files; `@-` stays.
    let args: Vec<String> = args
        .lines()
        .filter(|a| !a.split_once('=').is_some_and(|(_, v)| v.starts_with('@') && v != "@-"))
        .map(str::to_string)
        .collect();
    if let Ok(params) = cpcall::client::params::parse(&args, &mut stdin.as_bytes()) {
        let encoded = cpcall::client::params::encode_form(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert!(encoded.bytes().all(|b| b.is_ascii_graphic()), "form encoding is printable ASCII");
        let _ = cpcall::client::params::masked_form(&params);
    }
});

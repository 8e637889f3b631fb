//! Any status and bytes in, a verdict out; and for valid JSON, the pretty and compact forms
//! are the same JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

use cpcall::output::{write_bytes, Style};
use cpcall::client::response::{judge, Kind};

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let kinds = [Kind::Whm, Kind::WhmUapiCpanel, Kind::Uapi, Kind::ProxyUapi, Kind::Api2];
    let kind = kinds[data[0] as usize % kinds.len()];
    let status = 100 + u16::from_le_bytes([data[1], data[2]]) % 500;
    let body = &data[3..];
    let _ = judge(kind, status, body);
    // The one-pass checker finds the same in any split of the bytes, and calls JSON only
    // what serde_json reads as JSON.
    let whole = cpcall::client::json::check(body);
    let mut pieces = cpcall::client::json::Checker::default();
    for piece in body.chunks(1 + data[0] as usize % 7) {
        pieces.feed(piece);
    }
    assert_eq!(pieces.finish(), whole, "pieces and whole differ");
    if whole.is_json() && whole.defect.is_none() && whole.depth < 100 {
        // Numbers past f64 (1e999) are JSON, which serde_json's Value refuses: compared as text.
        let parsed = serde_json::from_slice::<serde_json::Value>(body);
        assert!(
            parsed.is_ok() || parsed.is_err_and(|e| e.to_string().contains("number out of range")),
            "checker took non-JSON"
        );
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        for style in [Style::Pretty, Style::Compact, Style::AsReceived] {
            let mut out = Vec::new();
            write_bytes(&mut out, body, style, false).expect("writing to a Vec");
            let again: serde_json::Value = serde_json::from_slice(&out).expect("reformatted JSON parses");
            assert_eq!(again, value, "{style:?} changed the JSON");
            // Colour only adds escape sequences around tokens.
            let mut coloured = Vec::new();
            write_bytes(&mut coloured, body, style, true).expect("writing to a Vec");
            let plain = String::from_utf8_lossy(&coloured)
                .replace("\x1b[1;34m", "")
                .replace("\x1b[32m", "")
                .replace("\x1b[36m", "")
                .replace("\x1b[33m", "")
                .replace("\x1b[90m", "")
                .replace("\x1b[0m", "");
            let mut uncoloured = Vec::new();
            write_bytes(&mut uncoloured, body, if style == Style::AsReceived { Style::Compact } else { style }, false).expect("writing to a Vec");
            assert_eq!(plain.as_bytes(), &uncoloured[..], "colour changed more than colour");
        }
    }
});

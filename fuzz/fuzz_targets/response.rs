//! Any status and bytes in, a verdict out; and for valid JSON, the pretty and compact forms
//! are the same JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

use cpcall::output::{write_json, Style};
use cpcall::response::{judge, Kind};

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let kinds = [Kind::Whm, Kind::WhmUapiCpanel, Kind::Uapi, Kind::ProxyUapi, Kind::Api2];
    let kind = kinds[data[0] as usize % kinds.len()];
    let status = 100 + u16::from_le_bytes([data[1], data[2]]) % 500;
    let body = &data[3..];
    let _ = judge(kind, status, body);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        for style in [Style::Pretty, Style::Compact, Style::AsReceived] {
            let mut out = Vec::new();
            write_json(&mut out, body, style, false).expect("writing to a Vec");
            let again: serde_json::Value = serde_json::from_slice(&out).expect("reformatted JSON parses");
            assert_eq!(again, value, "{style:?} changed the JSON");
            // Colour only adds escape sequences around tokens.
            let mut coloured = Vec::new();
            write_json(&mut coloured, body, style, true).expect("writing to a Vec");
            let plain = String::from_utf8_lossy(&coloured)
                .replace("\x1b[1;34m", "")
                .replace("\x1b[32m", "")
                .replace("\x1b[36m", "")
                .replace("\x1b[33m", "")
                .replace("\x1b[90m", "")
                .replace("\x1b[0m", "");
            let mut uncoloured = Vec::new();
            write_json(&mut uncoloured, body, if style == Style::AsReceived { Style::Compact } else { style }, false).expect("writing to a Vec");
            assert_eq!(plain.as_bytes(), &uncoloured[..], "colour changed more than colour");
        }
    }
});

//! A login answer (status, header lines, body) in, a token and cookie or a refusal out.
#![no_main]
use libfuzzer_sys::fuzz_target;

use cpcall::client::session::{read_login_answer, security_token, LoginAnswer};
use cpcall::client::transport::Response;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let text = String::from_utf8_lossy(&data[2..]);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let headers = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect();
    let response = Response::from_bytes(status, headers, body.as_bytes().to_vec());
    for name in ["cpsession", "whostmgrsession", "webmailsession"] {
        if let LoginAnswer::Accepted { token, cookie } = read_login_answer(&response, name) {
            assert!(security_token(&token).as_deref() == Some(token.as_str()), "token is /cpsess + 10 digits");
            assert!(!cookie.expose().is_empty());
        }
    }
    for line in text.lines() {
        if let Some(token) = security_token(line) {
            assert_eq!(token.len(), 17);
        }
    }
});

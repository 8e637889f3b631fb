//! The accounts the emulator knows, with every credential the tests use. `all_secrets` lists
//! each secret so a test can prove none of them is ever printed.

use base64::Engine;

pub struct Account {
    pub user: &'static str,
    pub password: &'static str,
    /// Base32 TOTP secret when the account has two-factor authentication.
    pub totp: Option<&'static str>,
    /// Root or reseller: may use WHM.
    pub whm: bool,
    /// Has a cPanel account (UAPI, cPanel login).
    pub cpanel: bool,
    pub whm_token: Option<&'static str>,
    pub cpanel_token: Option<&'static str>,
    pub domain: &'static str,
    pub owner: &'static str,
}

/// The access hash as `/root/.accesshash` holds it: several lines.
pub const ROOT_ACCESSHASH: &str = "9c4e5a0b1d2f3e4a5b6c7d8e9f0a1b2c\n3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a\n0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e\n";

pub const ROOT: Account = Account {
    user: "root",
    password: "r00t-Pa55word-xyzzy",
    totp: None,
    whm: true,
    cpanel: false,
    whm_token: Some("RT7Q2K9M4X1V8B3N6C5Z0L2J7H4G1F9D"),
    cpanel_token: None,
    domain: "server.example",
    owner: "root",
};

pub const RESELLER: Account = Account {
    user: "reseller",
    password: "Res3ller-pass-plugh",
    totp: None,
    whm: true,
    cpanel: true,
    whm_token: Some("RS1A2B3C4D5E6F7G8H9J0K1L2M3N4P5Q"),
    cpanel_token: None,
    domain: "reseller.example",
    owner: "root",
};

/// A plain cPanel user without 2FA.
pub const BOB: Account = Account {
    user: "bob",
    password: "b0b-Secret-pass-42",
    totp: None,
    whm: false,
    cpanel: true,
    whm_token: None,
    cpanel_token: Some("BT9Z8Y7X6W5V4U3T2S1R0Q9P8N7M6L5K"),
    domain: "bob.example",
    owner: "reseller",
};

/// The vendor's session example (two-factor-authentication.txt): cptest / blahblah with 2FA.
pub const CPTEST: Account = Account {
    user: "cptest",
    password: "blahblah",
    totp: Some("QSARBVKLZHYHLJ3M"),
    whm: false,
    cpanel: true,
    whm_token: None,
    cpanel_token: None,
    domain: "cptest.example",
    owner: "root",
};

/// The vendor's per-request example: asder / blah1 with 2FA, and a WHM token.
pub const ASDER: Account = Account {
    user: "asder",
    password: "blah1",
    totp: Some("FZ4ZVGTMFTIOF54T"),
    whm: true,
    cpanel: true,
    whm_token: Some("UWU28DCA23NKY76CN17MDPKM3O7EFQY8"),
    cpanel_token: None,
    domain: "asder.example",
    owner: "root",
};

/// A WHM operator whose password has every character that encodes differently in a form, a
/// URL, JSON, HTML and base64 (`@`, space, `!`, `/`, `é`, `&`, `<`, `>`): a server that
/// echoes it in any of those forms must still not get it shown.
pub const OPS: Account = Account {
    user: "ops",
    password: "p@ss w0rd!/é&<x>",
    totp: None,
    whm: true,
    cpanel: false,
    whm_token: None,
    cpanel_token: None,
    domain: "ops.example",
    owner: "root",
};

pub const ACCOUNTS: [&Account; 6] = [&ROOT, &RESELLER, &BOB, &CPTEST, &ASDER, &OPS];

/// Webmail users: (e-mail address, password, owning cPanel user).
pub const MAILBOXES: [(&str, &str, &str); 1] =
    [("info@bob.example", "Ma1lbox-pass-frobozz", "bob")];

pub fn find(user: &str) -> Option<&'static Account> {
    ACCOUNTS.iter().copied().find(|a| a.user == user)
}

pub fn root_accesshash_joined() -> String {
    ROOT_ACCESSHASH.replace('\n', "")
}

/// Every secret a test could leak, in the forms it could leak in: as it is, form-encoded,
/// percent-encoded (either hex case), JSON-escaped (slashes and non-ASCII too), HTML-escaped,
/// and base64 (alone, and the `user:password` of a Basic header).
pub fn all_secrets() -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut plain = vec![root_accesshash_joined()];
    plain.extend(ROOT_ACCESSHASH.lines().map(str::to_string));
    let mut out = Vec::new();
    // A token's or hash's header, and `user:secret`, in base64 (as a debug page shows them).
    let headers = |user: &str, secret: &str, schemes: &[&str]| {
        let mut forms = vec![b64(&format!("{user}:{secret}"))];
        forms.extend(schemes.iter().map(|s| b64(&format!("{s} {user}:{secret}"))));
        forms
    };
    out.extend(headers("root", &root_accesshash_joined(), &["WHM"]));
    for a in ACCOUNTS {
        plain.push(a.password.to_string());
        out.push(b64(&format!("{}:{}", a.user, a.password)));
        for token in a.whm_token.iter().chain(a.cpanel_token.iter()) {
            out.extend(headers(a.user, token, &["whm", "cpanel"]));
        }
        plain.extend(a.totp.map(str::to_string));
        plain.extend(a.whm_token.map(str::to_string));
        plain.extend(a.cpanel_token.map(str::to_string));
    }
    for (email, password, _) in MAILBOXES {
        plain.push(password.to_string());
        out.push(b64(&format!("{email}:{password}")));
    }
    for secret in plain {
        out.extend(encoded_forms(&secret));
        out.push(secret);
    }
    out.sort();
    out.dedup();
    out
}

/// A secret's forms other than itself, made independently of cpcall's own encoders.
fn encoded_forms(secret: &str) -> Vec<String> {
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let url = form.replace('+', "%20");
    let lower = |s: &str| {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('%') {
            out.push_str(&rest[..i]);
            out.push('%');
            out.push_str(&rest[i + 1..i + 3].to_ascii_lowercase());
            rest = &rest[i + 3..];
        }
        out + rest
    };
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json[1..json.len() - 1].to_string();
    let ascii: String = json
        .chars()
        .map(|c| match c {
            c if c.is_ascii() => c.to_string(),
            c => c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|u| format!("\\u{u:04x}"))
                .collect(),
        })
        .collect();
    let html = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    vec![
        lower(&form),
        lower(&url),
        form,
        url,
        json.replace('/', "\\/"),
        ascii.replace('/', "\\/"),
        ascii,
        json,
        html,
        b64,
    ]
}

/// How cpcall shows a certificate fingerprint (`AB:CD:…`), from lower-case hex.
pub fn fingerprint_hint(hex: &str) -> String {
    hex.as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

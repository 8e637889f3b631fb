//! Any text as a config file: parsed, every profile resolved; an error, never a panic.
//! (Secrets are not read: a `_command` from fuzz input must never run.)
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = std::path::Path::new("fuzz.toml");
    if let Ok(file) = cpcall::config::parse(&text, path) {
        let names: Vec<String> = file.profiles.keys().cloned().collect();
        let loaded = cpcall::config::Loaded { path: path.into(), file };
        let _ = cpcall::config::profile::resolve(&cpcall::config::profile::Flags::default(), Some(&loaded), &|_| None);
        for name in names {
            let flags = cpcall::config::profile::Flags { profile: Some(name), ..Default::default() };
            if let Ok(target) = cpcall::config::profile::resolve(&flags, Some(&loaded), &|_| None) {
                let _ = target.base_url();
            }
        }
    }
});

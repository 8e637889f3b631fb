//! See `cpcall::internal::fuzz::config` (src/fuzz.rs): what it feeds and what must hold.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cpcall::internal::fuzz::config(data));

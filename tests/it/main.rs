//! Integration tests: the real `cpcall` binary against the in-process emulator.

#[path = "../emulator/mod.rs"]
mod emulator;

mod big_answers;
mod catalogue;
mod common;
mod completion;
mod core;
mod doctor;
mod doors;
mod dry_run;
mod emulator_rules;
mod faults;
mod fleet;
mod hostile_server;
mod hygiene;
mod local_files;
mod proxies;
mod sessions;
mod shell;
mod trust;
mod vendor_clients;

//! The `cpcall` command: all of it lives in the library (`app::main`).
fn main() -> std::process::ExitCode {
    cpcall::internal::main()
}

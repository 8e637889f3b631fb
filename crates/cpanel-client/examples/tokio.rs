//! `cargo run -p cpanel-client --example tokio`: the blocking client from async code. Each
//! call runs in `tokio::task::spawn_blocking`, so no runtime thread waits on the network; one
//! `Client` (Send + Sync, its connections kept alive) is shared by the tasks in an `Arc`.

use std::sync::Arc;

use cpanel_client::{Call, Client, Options, Target};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = cpanel_emulator::Emulator::start();
    let target = Target::builder("127.0.0.1")
        .port(server.port(cpanel_emulator::Service::Whm, true))
        .ca_pem(server.ca_pem.as_bytes().to_vec())
        .token(
            cpanel_emulator::accounts::ROOT
                .whm_token
                .unwrap_or_default(),
        )
        .build()?;
    let client = Arc::new(Client::new(target, Options::default())?);
    let mut tasks = Vec::new();
    for function in ["version", "listaccts", "myprivs"] {
        let client = client.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            client
                .call(&Call::whm(function))
                .map(|answer| (function, answer.status()))
        }));
    }
    for task in tasks {
        let (function, status) = task.await??;
        println!("{function}: HTTP {status}");
    }
    Ok(())
}

//! `oncelink` server binary: see [`server::run`].

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run().await
}

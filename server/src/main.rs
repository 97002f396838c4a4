//! `oncelink` server binary: see [`server::run`].

/// mimalloc: glibc malloc/free took a fifth of the server's CPU per request (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::run().await
}

//! SIGTERM on the real binary: it stops accepting, finishes what is in flight within the
//! grace period, and exits 0.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(grace_seconds: u64) -> Server {
    let port = testkit::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "oncelink")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("ONCELINK_SHUTDOWN_GRACE_SECONDS", grace_seconds.to_string())
        .env_remove("REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn sigterm(server: &Server) {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(server: &mut Server, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the server did not exit in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A create request whose body is sent in two halves.
fn half_sent_create(port: u16) -> (TcpStream, Vec<u8>) {
    let payload = {
        let key = crypto_core::MasterKey::generate().unwrap();
        let id = crypto_core::SecretId::generate().unwrap();
        crypto_core::seal(&key, &id, b"\x00in flight").unwrap()
    };
    let body = format!(
        "{{\"ciphertext\": \"{}\"}}",
        crypto_core::base64::encode(&payload)
    )
    .into_bytes();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /api/secrets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let half = body.len() / 2;
    stream.write_all(&body[..half]).unwrap();
    stream.flush().unwrap();
    (stream, body[half..].to_vec())
}

#[test]
fn sigterm_finishes_in_flight_requests_and_exits_zero() {
    let mut server = start(10);
    let (mut stream, rest) = half_sent_create(server.port);
    std::thread::sleep(Duration::from_millis(200));
    sigterm(&server);
    std::thread::sleep(Duration::from_millis(300));
    // No new connections once stopping.
    assert!(
        TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "still accepting after SIGTERM"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );
    // The request in flight completes normally.
    stream.write_all(&rest).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let status = wait_exit(&mut server, Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_request_that_never_finishes_is_cut_at_the_grace_period() {
    let mut server = start(1);
    let (_stream, _rest) = half_sent_create(server.port);
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    sigterm(&server);
    let status = wait_exit(&mut server, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "{took:?}: did not wait for the request"
    );
}

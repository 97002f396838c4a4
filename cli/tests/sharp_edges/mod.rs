//! The CLI's sharp edges, each driven through the built binary against a real server (or a
//! stand-in where the real one cannot misbehave the way a test needs).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::{TestServer, code, run, send, stderr, stdout, tempdir};

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A bad `-o` (a missing directory, a directory even root cannot write in, a path under a
/// regular file) or an unwritable current directory fails before the reveal: the same link
/// opens afterwards.
#[test]
fn open_checks_its_output_before_revealing() {
    let server = TestServer::start(false);
    let dir = tempdir("edges-output");
    let image = testkit::fixtures::repository_fixtures().image("gps.png");
    let link = send(
        &server,
        &dir,
        &["--image", image.to_str().unwrap(), "cap"],
        None,
    );
    std::fs::write(dir.join("a-file"), b"x").unwrap();
    // Root ignores directory permission bits, so "read-only" is made real: sysfs refuses new
    // files to everyone (EACCES, or EROFS where it is mounted read-only), and nothing can be
    // created under a regular file (ENOTDIR).
    assert!(
        std::fs::File::create("/sys/oncelink-probe").is_err(),
        "this test needs /sys to refuse new files"
    );
    for output in [
        "missing/dir/out.png",
        "/sys/oncelink-out.png",
        "a-file/out.png",
    ] {
        let out = run(&dir, &["open", "-o", output, &link], None, &[]);
        assert_eq!(code(&out), 1, "{output}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("nothing was opened"),
            "{}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{output}: nothing revealed");
    }
    // No -o and a current directory that takes no new file.
    let out = run(Path::new("/sys"), &["open", &link], None, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write in the current directory"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files_in(&dir), ["a-file"], "no probe or placeholder left");

    let out = run(&dir, &["open", "-o", "out.png", &link], None, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "cap");
    assert!(
        std::fs::read(dir.join("out.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );

    // A text-only secret opened with -o leaves no empty file behind.
    let link = send(&server, &dir, &["only text"], None);
    let out = run(&dir, &["open", "-o", "unused.png", &link], None, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!dir.join("unused.png").exists());
}

/// When writing fails only after the reveal (here `/dev/full`: it opens, then every write
/// fails with ENOSPC), the text is still printed and the image is kept in a private
/// temporary file, named on stderr; the exit code says a file could not be written.
#[cfg(unix)]
#[test]
fn a_write_failing_after_the_reveal_keeps_the_image_in_a_private_temporary_file() {
    let server = TestServer::start(false);
    let dir = tempdir("edges-fallback");
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let image = testkit::fixtures::repository_fixtures().image("gps.png");
    let cleaned = image_privacy::clean(&std::fs::read(&image).unwrap())
        .unwrap()
        .bytes;
    let link = send(
        &server,
        &dir,
        &["--image", image.to_str().unwrap(), "cap"],
        None,
    );
    let out = run(
        &dir,
        &["open", "--force", "-o", "/dev/full", &link],
        None,
        &[("TMPDIR", tmp.to_str().unwrap())],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(stdout(&out), "cap", "the text is printed anyway");
    let saved = files_in(&tmp);
    assert_eq!(saved.len(), 1, "{saved:?}");
    let path = tmp.join(&saved[0]);
    assert!(
        stderr(&out).contains(path.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("/dev/full"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&path).unwrap(), cleaned);
    assert_eq!(mode(&path), 0o600);
    // It was consumed: the image exists only in that file now.
    assert_eq!(code(&run(&dir, &["open", &link], None, &[])), 3);
}

/// Every file the CLI writes is 0600, whatever the umask allows.
#[cfg(unix)]
#[test]
fn files_are_created_private() {
    let server = TestServer::start(false);
    let dir = tempdir("edges-private");
    let image = testkit::fixtures::repository_fixtures().image("gps.png");
    let image = image.to_str().unwrap();
    let link = send(&server, &dir, &["--image", image], None);
    let out = run(&dir, &["open", "-o", "given.png", &link], None, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(mode(&dir.join("given.png")), 0o600);

    let link = send(&server, &dir, &["--image", image], None);
    let out = run(&dir, &["open", &link], None, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let default = files_in(&dir)
        .into_iter()
        .find(|n| n.starts_with("oncelink-") && n.ends_with(".png"))
        .unwrap();
    assert_eq!(mode(&dir.join(default)), 0o600);
}

/// Links on stdin, so they need not appear in `ps`: `open -`, `open` with a piped stdin, and
/// the same for manage links.
#[test]
fn links_can_come_on_stdin() {
    let server = TestServer::start(false);
    let dir = tempdir("edges-stdin");
    let out = run(
        &dir,
        &[
            "send",
            "--server",
            &server.base,
            "--views",
            "3",
            "--json",
            "piped",
        ],
        None,
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let link = format!("{}\n", json["link"].as_str().unwrap());
    let manage = json["manage_link"].as_str().unwrap().to_owned();

    let out = run(&dir, &["open", "-"], Some(link.as_bytes()), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "piped");
    let out = run(&dir, &["status", "--json"], Some(manage.as_bytes()), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let status: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(status["views_used"], 1);
    let out = run(&dir, &["open"], Some(link.as_bytes()), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "piped");
    let out = run(&dir, &["destroy", "-"], Some(manage.as_bytes()), &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    for (stdin, message) in [
        (b"".as_slice(), "no link on stdin"),
        (b"one\ntwo\n".as_slice(), "one line"),
    ] {
        let out = run(&dir, &["open", "-"], Some(stdin), &[]);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
    }
}

/// Runs the binary with stdout and stderr on a pseudo-terminal, through `script` from
/// util-linux: the CLI sees a real terminal, as a person's shell would give it.
fn run_on_a_terminal(dir: &Path, args: &[&str]) -> Vec<u8> {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_oncelink"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let out: Output = Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("this test needs `script` (util-linux) for a pseudo-terminal");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    out.stdout
}

/// A secret's control characters act on nothing: escaped on a terminal (an OSC 52 clipboard
/// write, a bell, a `\r` drawing a fake line), unchanged into a pipe.
#[test]
fn control_characters_are_escaped_on_a_terminal_only() {
    let server = TestServer::start(false);
    let dir = tempdir("edges-escape");
    let secret = "a\u{1b}]52;c;aGVsbG8=\u{7}b\roncelink: fake\u{9b}31m\n";
    let link = send(&server, &dir, &["--views", "2"], Some(secret.as_bytes()));
    let out = run(&dir, &["open", &link], None, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), secret, "a pipe gets the bytes unchanged");

    let shown = run_on_a_terminal(&dir, &["open", &link]);
    let shown_text = String::from_utf8_lossy(&shown);
    for raw in ['\u{1b}', '\u{7}', '\u{9b}'] {
        assert!(
            !shown_text.contains(raw),
            "{raw:?} reached the terminal: {shown_text:?}"
        );
    }
    // A pseudo-terminal turns "\n" into "\r\n"; no other carriage return may appear.
    assert!(
        !shown_text.replace("\r\n", "\n").contains('\r'),
        "{shown_text:?}"
    );
    assert!(shown_text.contains(r"a\x1b]52;c;aGVsbG8=\x07b\roncelink: fake\u{9b}31m"));
    assert!(shown_text.contains("control characters, shown escaped"));
}

/// A stand-in server: `/api/health` answers `health`, `POST /api/secrets` records the body
/// and answers like the reference (plus `expires_at` and `max_views` when `health` says
/// oncelink). Nothing else.
mod stand_in {
    use std::sync::{Arc, Mutex};

    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use serde_json::{Value, json};

    /// The bodies of the create requests received.
    pub type Received = Arc<Mutex<Vec<Value>>>;

    pub fn start(runtime: &tokio::runtime::Runtime, health: Value, received: Received) -> String {
        let oncelink = health["service"] == "oncelink";
        runtime.block_on(async {
            let app = Router::new()
                .route("/api/health", get(move || async move { Json(health) }))
                .route("/api/secrets", post(create))
                .with_state((received, oncelink));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await });
            base
        })
    }

    async fn create(
        State((received, oncelink)): State<(Received, bool)>,
        Json(body): Json<Value>,
    ) -> (StatusCode, Json<Value>) {
        let mut answer = json!({ "id": body["id"], "alias": "Ref23456" });
        if oncelink {
            answer["expires_at"] = 4_102_444_800u64.into();
            answer["max_views"] = body["max_views"].clone();
        }
        received.lock().unwrap().push(body);
        (StatusCode::CREATED, Json(answer))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A server that does not say it is oncelink gets no silent downgrade to unguarded
/// secrets: exit 2 and a clear message, unless `--reference` asks for exactly that.
#[test]
fn send_refuses_to_downgrade_to_the_reference_api_unasked() {
    let runtime = runtime();
    let received = stand_in::Received::default();
    let base = stand_in::start(
        &runtime,
        serde_json::json!({ "status": "ok" }),
        std::sync::Arc::clone(&received),
    );
    let dir = tempdir("edges-reference");
    let out = run(&dir, &["send", "--server", &base, "x"], None, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not identify as an oncelink server"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--reference"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(received.lock().unwrap().is_empty(), "nothing was uploaded");

    for (ttl, ok) in [("1h", true), ("72h", true), ("73h", false), ("90m", false)] {
        let out = run(
            &dir,
            &["send", "--server", &base, "--reference", "--ttl", ttl, "x"],
            None,
            &[],
        );
        assert_eq!(code(&out) == 0, ok, "{ttl}: {}", stderr(&out));
    }
    let bodies = received.lock().unwrap();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["ttl_hours"], 1);
    assert_eq!(bodies[1]["ttl_hours"], 72);
    assert!(bodies[0].get("access_verifier").is_none());
}

/// `--ttl` takes exactly what the server takes: 5 minutes to its advertised maximum, whole
/// seconds; anything else fails here, before an upload, with a clear message.
#[test]
fn ttl_edges_match_the_server() {
    let server = TestServer::start(false);
    let dir = tempdir("edges-ttl");
    for (ttl, message) in [
        ("2m", "too short"),
        ("4m59s", "too short"),
        ("299s", "too short"),
        ("7d1s", "too long"),
        ("8d", "too long"),
    ] {
        let out = run(
            &dir,
            &["send", "--server", &server.base, "--ttl", ttl, "x"],
            None,
            &[],
        );
        assert_eq!(code(&out), 2, "{ttl}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{ttl}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    for ttl in ["5m", "300s", "7d", "604800s"] {
        let out = run(
            &dir,
            &[
                "send",
                "--server",
                &server.base,
                "--ttl",
                ttl,
                "--json",
                "x",
            ],
            None,
            &[],
        );
        assert_eq!(code(&out), 0, "{ttl}: {}", stderr(&out));
    }

    // The maximum is the one the server advertises.
    let runtime = runtime();
    let received = stand_in::Received::default();
    let base = stand_in::start(
        &runtime,
        serde_json::json!({
            "status": "ok", "service": "oncelink", "max_views": 10, "max_ttl_seconds": 3600,
        }),
        std::sync::Arc::clone(&received),
    );
    let out = run(
        &dir,
        &["send", "--server", &base, "--ttl", "61m", "x"],
        None,
        &[],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("3600 seconds"), "{}", stderr(&out));
    let out = run(
        &dir,
        &["send", "--server", &base, "--ttl", "1h", "x"],
        None,
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(received.lock().unwrap()[0]["ttl_seconds"], 3600);
}

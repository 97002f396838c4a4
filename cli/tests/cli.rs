//! The built `oncelink` binary against the real server (embedded store and a real
//! redis-server), and against a stand-in for the reference API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use axum::response::IntoResponse as _;
use serde_json::Value;
use server::{AppState, Config};
use testkit::TestRedis;
use testkit::fixtures::{FixtureRoot, fixture_roots};

/// A real oncelink server on a private runtime, stopped on drop.
struct TestServer {
    base: String,
    _runtime: tokio::runtime::Runtime,
    _redis: Option<TestRedis>,
    _files: testkit::TempDir,
}

impl TestServer {
    fn start(redis: bool) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = <Config as clap::Parser>::parse_from([
            "oncelink-server",
            "--rate-create=100000",
            "--rate-reveal=100000",
            "--failed-attempts=100000",
        ]);
        let files = testkit::TempDir::new(
            "oncelink-cli-files",
            &format!("{redis}-{:?}", std::thread::current().id()),
        );
        config.files_dir = Some(files.to_path_buf());
        let redis = redis.then(|| TestRedis::new("cli"));
        if let Some(r) = &redis {
            config.redis_url = Some(r.url.clone());
            config.redis_prefix = r.prefix.clone();
        }
        let base = runtime.block_on(async {
            let options = leptos::config::LeptosOptions::builder()
                .output_name("oncelink")
                .site_root("target/site")
                .build();
            let state = AppState::from_config(&config, options).await.unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(server::serve(
                listener,
                server::app(state),
                std::future::pending(),
            ));
            base
        });
        Self {
            base,
            _runtime: runtime,
            _redis: redis,
            _files: files,
        }
    }
}

/// Runs the binary with `args`, `stdin` piped in (or none), in `dir`.
fn run(dir: &Path, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oncelink"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("ONCELINK_SERVER")
        .env_remove("ONCELINK_PASSPHRASE")
        // Claims kept between runs go into the test's own directory.
        .env("XDG_STATE_HOME", dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// `send` and return the one line it printed: the link.
fn send(server: &TestServer, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> String {
    let mut all = vec!["send", "--server", &server.base];
    all.extend_from_slice(args);
    let out = run(dir, &all, stdin, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "stdout is only the link: {text:?}");
    text.trim_end().to_owned()
}

/// A scratch directory for one test, removed when the test ends.
fn tempdir(name: &str) -> testkit::TempDir {
    testkit::TempDir::new("oncelink-cli", name)
}

macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod embedded {
            $( #[test] fn $test() { super::$test(super::TestServer::start(false), stringify!($test)); } )*
        }
        mod redis {
            $( #[test] fn $test() { super::$test(super::TestServer::start(true), concat!("redis-", stringify!($test))); } )*
        }
    };
}

both_backends!(
    text_from_argument_and_stdin,
    image_round_trip_is_the_cleaned_image,
    views_passphrase_status_destroy,
    bad_input_has_clear_messages_and_exit_codes,
    files_round_trip_into_a_directory,
);

/// Several files with text: a document as it is, an image cleaned, an empty file; opened into
/// a directory, once.
fn files_round_trip_into_a_directory(server: TestServer, name: &str) {
    let dir = tempdir(name);
    let root = testkit::fixtures::repository_fixtures();
    let document: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.join("contract.pdf"), &document).unwrap();
    std::fs::write(dir.join("empty.txt"), b"").unwrap();
    std::fs::copy(root.image("gps-camera.jpg"), dir.join("photo.jpg")).unwrap();
    let cleaned = image_privacy::clean(&root.image_bytes("gps-camera.jpg"))
        .unwrap()
        .bytes;
    // An iPhone photo (HEIC) is cleaned too, without re-encoding.
    let heic = root.image_bytes("photo-gps-rotated.heic");
    std::fs::write(dir.join("iphone.HEIC"), &heic).unwrap();
    let heic_cleaned = image_privacy::clean_heif(&heic).unwrap().bytes;
    assert_ne!(heic_cleaned, heic);
    // And a Word document loses its author, company, comments and custom properties.
    let docx = std::fs::read(root.image("../documents/form.docx")).unwrap();
    std::fs::write(dir.join("form.docx"), &docx).unwrap();
    let docx_cleaned = image_privacy::clean_office(&docx).unwrap().bytes;
    // And a PDF is written back as one clean revision.
    let pdf = std::fs::read(root.image("../documents/report.pdf")).unwrap();
    std::fs::write(dir.join("report.pdf"), &pdf).unwrap();
    let pdf_cleaned = image_privacy::clean_pdf(&pdf).unwrap().bytes;
    let link = send(
        &server,
        &dir,
        &[
            "the signed papers",
            "--file",
            "contract.pdf",
            "photo.jpg",
            "empty.txt",
            "iphone.HEIC",
            "form.docx",
            "report.pdf",
        ],
        None,
    );
    std::fs::create_dir(dir.join("out")).unwrap();
    let opened = run(&dir, &["open", "-o", "out", &link], None, &[]);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    assert_eq!(stdout(&opened), "the signed papers");
    assert_eq!(
        std::fs::read(dir.join("out/contract.pdf")).unwrap(),
        document
    );
    assert_eq!(std::fs::read(dir.join("out/photo.jpg")).unwrap(), cleaned);
    assert_eq!(std::fs::read(dir.join("out/empty.txt")).unwrap(), b"");
    assert_eq!(
        std::fs::read(dir.join("out/iphone.HEIC")).unwrap(),
        heic_cleaned
    );
    assert_eq!(
        std::fs::read(dir.join("out/form.docx")).unwrap(),
        docx_cleaned
    );
    assert_eq!(
        std::fs::read(dir.join("out/report.pdf")).unwrap(),
        pdf_cleaned
    );
    assert!(
        stderr(&opened).contains("file saved to"),
        "{}",
        stderr(&opened)
    );
    // Opened whole: the claim kept for a rerun (in the directory made for it) is gone again.
    let claims = dir.join("oncelink/claims");
    assert!(claims.is_dir(), "the claim was kept while opening");
    assert_eq!(std::fs::read_dir(&claims).unwrap().count(), 0);
    let again = run(&dir, &["open", "-o", "out", &link], None, &[]);
    assert_eq!(code(&again), 3, "{}", stderr(&again));

    // A directory is refused before anything is sent.
    let out = run(
        &dir,
        &["send", "--server", &server.base, "--file", "out"],
        None,
        &[],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
}

fn text_from_argument_and_stdin(server: TestServer, name: &str) {
    let dir = tempdir(name);
    let link = send(&server, &dir, &["correct horse battery staple"], None);
    assert!(link.starts_with(&format!("{}/s/", server.base)), "{link}");
    assert!(link.contains('#'));
    let opened = run(&dir, &["open", &link], None, &[]);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    assert_eq!(stdout(&opened), "correct horse battery staple");
    // The second open: gone, exit code 3.
    let again = run(&dir, &["open", &link], None, &[]);
    assert_eq!(code(&again), 3, "{}", stderr(&again));
    assert!(stderr(&again).contains("not found"), "{}", stderr(&again));

    // From stdin, exactly (trailing newline and Unicode kept); never echoed anywhere.
    let secret = "api-key: sk_live_51Hx ünïcödé 你好\n";
    let out = run(
        &dir,
        &["send", "--server", &server.base, "--json"],
        Some(secret.as_bytes()),
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stdout(&out).contains("sk_live") && !stderr(&out).contains("sk_live"));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let link = json["link"].as_str().unwrap();
    assert_eq!(json["alias"].as_str().unwrap().len(), 8);
    assert!(json["expires_at"].as_u64().unwrap() > 1_700_000_000);
    assert!(json["manage_link"].as_str().unwrap().contains("/m/"));
    let opened = run(&dir, &["open", link], None, &[]);
    assert_eq!(stdout(&opened), secret);

    // --qr draws on stderr; stdout stays just the link.
    let out = run(
        &dir,
        &["send", "--server", &server.base, "--qr", "qr"],
        None,
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(
        stderr(&out).contains('█') || stderr(&out).contains('▀'),
        "{}",
        stderr(&out)
    );

    // A link from the environment's server.
    let out = run(
        &dir,
        &["send", "env server"],
        None,
        &[("ONCELINK_SERVER", &server.base)],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

fn image_round_trip_is_the_cleaned_image(server: TestServer, name: &str) {
    for root in fixture_roots() {
        image_round_trip_of(&server, &root, &format!("{name}-{}", root.name()));
    }
}

fn image_round_trip_of(server: &TestServer, root: &FixtureRoot, name: &str) {
    let dir = tempdir(name);
    let original = root.image_bytes("gps-camera.jpg");
    let cleaned = image_privacy::clean(&original).unwrap().bytes;
    assert_ne!(cleaned, original);
    let image = root.image("gps-camera.jpg");
    let link = send(
        server,
        &dir,
        &["--image", image.to_str().unwrap(), "the caption"],
        None,
    );
    let opened = run(&dir, &["open", "-o", "out.jpg", &link], None, &[]);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    assert_eq!(stdout(&opened), "the caption");
    assert_eq!(std::fs::read(dir.join("out.jpg")).unwrap(), cleaned);

    // --keep-metadata sends the bytes as they are; without -o the image gets a free name.
    let link = send(
        server,
        &dir,
        &["--image", image.to_str().unwrap(), "--keep-metadata"],
        None,
    );
    let opened = run(&dir, &["open", &link], None, &[]);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    let alias = link
        .split("/s/")
        .nth(1)
        .unwrap()
        .split(['?', '#'])
        .next()
        .unwrap();
    assert_eq!(
        std::fs::read(dir.join(format!("oncelink-{alias}.jpg"))).unwrap(),
        original
    );

    // "-o -" writes the image to stdout when it is not a terminal.
    let link = send(
        server,
        &dir,
        &["--image", root.image("gps.png").to_str().unwrap()],
        None,
    );
    let opened = run(&dir, &["open", "-o", "-", &link], None, &[]);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    assert!(opened.stdout.starts_with(b"\x89PNG"));
}

fn views_passphrase_status_destroy(server: TestServer, name: &str) {
    let dir = tempdir(name);
    let pass = [("ONCELINK_PASSPHRASE", "tango oscar")];
    let out = run(
        &dir,
        &[
            "send",
            "--server",
            &server.base,
            "--views",
            "2",
            "--passphrase",
            "--ttl",
            "30m",
            "--json",
            "two views",
        ],
        None,
        &pass,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let (link, manage) = (
        json["link"].as_str().unwrap(),
        json["manage_link"].as_str().unwrap(),
    );

    let status = run(&dir, &["status", manage], None, &[]);
    assert_eq!(code(&status), 0, "{}", stderr(&status));
    assert!(
        stdout(&status).contains("waiting to be opened"),
        "{}",
        stdout(&status)
    );
    assert!(stdout(&status).contains("views:      0 of 2"));

    // Wrong passphrase: exit 5, tries left said, nothing burned.
    let wrong = run(
        &dir,
        &["open", link],
        None,
        &[("ONCELINK_PASSPHRASE", "tango")],
    );
    assert_eq!(code(&wrong), 5, "{}", stderr(&wrong));
    assert!(stderr(&wrong).contains("tries left before the secret is destroyed: 4"));
    // No passphrase and no terminal: a clear input error before anything is consumed.
    let none = run(&dir, &["open", link], None, &[]);
    assert_eq!(code(&none), 2, "{}", stderr(&none));
    assert!(stderr(&none).contains("ONCELINK_PASSPHRASE"));

    let opened = run(&dir, &["open", link], None, &pass);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    assert_eq!(stdout(&opened), "two views");
    assert!(stderr(&opened).contains("views left after this one: 1"));

    let status = run(&dir, &["status", "--json", manage], None, &[]);
    let json: Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(json["state"], "opened");
    assert_eq!(json["views_used"], 1);
    assert_eq!(json["tries_left"], 4);

    let destroyed = run(&dir, &["destroy", manage], None, &[]);
    assert_eq!(code(&destroyed), 0, "{}", stderr(&destroyed));
    let after = run(&dir, &["open", link], None, &pass);
    assert_eq!(code(&after), 3, "{}", stderr(&after));
    let twice = run(&dir, &["destroy", manage], None, &[]);
    assert_eq!(code(&twice), 3, "{}", stderr(&twice));
    let status = run(&dir, &["status", manage], None, &[]);
    assert!(stdout(&status).contains("destroyed by you"));
}

/// Arguments, stdin, expected exit code, words the message must contain.
type Case<'a> = (Vec<&'a str>, Option<&'a [u8]>, i32, &'a str);

fn bad_input_has_clear_messages_and_exit_codes(server: TestServer, name: &str) {
    let dir = tempdir(name);
    let base = server.base.as_str();
    let svg = dir.join("x.svg");
    std::fs::write(&svg, "<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
    let text_file = dir.join("notes.jpg");
    std::fs::write(&text_file, "just some text, named .jpg").unwrap();
    let roots = fixture_roots();
    let disguised_svgs: Vec<PathBuf> = roots.iter().map(|r| r.image("not-an-image.jpg")).collect();
    let truncated: Vec<PathBuf> = roots.iter().map(|r| r.image("truncated.jpg")).collect();
    let mut cases: Vec<Case> = vec![
        (vec!["send", "x"], None, 2, "no server"),
        (vec!["send", "--server", "ftp://x", "x"], None, 2, "http://"),
        (vec!["send", "--server", base], None, 2, "nothing to send"),
        (
            vec!["send", "--server", base],
            Some(b"".as_slice()),
            2,
            "nothing to send",
        ),
        (
            vec!["send", "--server", base],
            Some(b"\xff\xfe".as_slice()),
            2,
            "not UTF-8",
        ),
        (
            vec!["send", "--server", base, "--ttl", "5x", "x"],
            None,
            2,
            "not a duration",
        ),
        (
            vec!["send", "--server", base, "--ttl", "30d", "x"],
            None,
            2,
            "too long",
        ),
        (
            vec!["send", "--server", base, "--ttl", "1m", "x"],
            None,
            2,
            "too short",
        ),
        (
            vec!["send", "--server", base, "--views", "11", "x"],
            None,
            2,
            "--views must be from 1 to 10",
        ),
        (
            vec!["send", "--server", base, "--views", "0", "x"],
            None,
            2,
            "--views",
        ),
        (
            vec!["send", "--server", base, "--image", "missing.jpg"],
            None,
            2,
            "cannot read missing.jpg",
        ),
        (
            vec!["send", "--server", base, "--image", svg.to_str().unwrap()],
            None,
            2,
            "SVG",
        ),
        (
            vec![
                "send",
                "--server",
                base,
                "--image",
                text_file.to_str().unwrap(),
            ],
            None,
            2,
            "not a JPEG",
        ),
        (
            vec!["send", "--server", base, "--passphrase", "x"],
            None,
            2,
            "ONCELINK_PASSPHRASE",
        ),
        (vec!["open", "not a link"], None, 4, "no valid key"),
        (
            vec!["open", "https://x.example/s/Ab3dEf9h#tooshort"],
            None,
            4,
            "no valid key",
        ),
        (
            vec![
                "open",
                "https://x.example/nope#AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ],
            None,
            2,
            "not an oncelink link",
        ),
        (
            vec!["status", "https://x.example/m/Ab3dEf9h"],
            None,
            4,
            "no token",
        ),
        (
            vec!["send", "--server", "http://127.0.0.1:9", "x"],
            None,
            6,
            "cannot reach the server",
        ),
        (vec!["bogus"], None, 2, "unrecognized subcommand"),
    ];
    // The image fixtures of every root: an SVG named .jpg, and a JPEG cut short.
    for (paths, message) in [(&disguised_svgs, "SVG"), (&truncated, "incomplete")] {
        for path in paths {
            let image = path.to_str().unwrap();
            cases.push((
                vec!["send", "--server", base, "--image", image],
                None,
                2,
                message,
            ));
        }
    }
    for (args, stdin, expected, message) in cases {
        let out = run(&dir, &args, stdin, &[]);
        assert_eq!(code(&out), expected, "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(message),
            "{args:?}: {:?} lacks {message:?}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}");
    }

    // A wrong key or an -o that exists consume nothing.
    let link = send(&server, &dir, &["still here"], None);
    let (head, key) = link.split_once('#').unwrap();
    let wrong_key = format!("{head}#{}", "A".repeat(43));
    assert_ne!(key, "A".repeat(43));
    let out = run(&dir, &["open", &wrong_key], None, &[]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("key is wrong"));
    std::fs::write(dir.join("taken.jpg"), b"mine").unwrap();
    let out = run(&dir, &["open", "-o", "taken.jpg", &link], None, &[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.join("taken.jpg")).unwrap(), b"mine");
    let out = run(&dir, &["open", &link], None, &[]);
    assert_eq!(stdout(&out), "still here");
    // No message ever carries the key.
    assert!(!stderr(&out).contains(key));
}

#[test]
fn help_reads_well() {
    let dir = tempdir("help");
    let out = run(&dir, &["--help"], None, &[]);
    assert_eq!(code(&out), 0);
    let help = stdout(&out);
    for word in [
        "send",
        "open",
        "request",
        "inbox",
        "answer",
        "status",
        "destroy",
        "Exit codes",
        "not found",
        "answered already",
    ] {
        assert!(help.contains(word), "{word}: {help}");
    }
    for sub in [
        "send", "open", "request", "inbox", "answer", "status", "destroy",
    ] {
        let out = run(&dir, &[sub, "--help"], None, &[]);
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).len() > 200, "{sub}");
    }
    let send_help = stdout(&run(&dir, &["send", "--help"], None, &[]));
    for flag in [
        "--image",
        "--keep-metadata",
        "--ttl",
        "--views",
        "--passphrase",
        "--qr",
        "--json",
        "ONCELINK_SERVER",
    ] {
        assert!(send_help.contains(flag), "{flag}");
    }
}

/// A stand-in for the reference server, from its README: `POST /api/secrets`
/// (`ciphertext`, `ttl_hours`, `id`) → `{id, alias}`, `GET /api/secrets/{key}` once,
/// `GET /api/health` → `{"status": "ok"}`. Nothing else.
mod reference {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use serde_json::{Value, json};

    type Secrets = Arc<Mutex<HashMap<String, (String, String)>>>;

    pub fn start(runtime: &tokio::runtime::Runtime, secrets: Secrets) -> String {
        runtime.block_on(async {
            let app = Router::new()
                .route(
                    "/api/health",
                    get(|| async { Json(json!({ "status": "ok" })) }),
                )
                .route("/api/secrets", post(create))
                .route("/api/secrets/{key}", get(read))
                .with_state(secrets);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await });
            base
        })
    }

    async fn create(
        State(secrets): State<Secrets>,
        Json(body): Json<Value>,
    ) -> (StatusCode, Json<Value>) {
        let hours = body["ttl_hours"].as_u64().unwrap_or(24);
        assert!((1..=72).contains(&hours));
        // The reference knows none of oncelink's fields.
        for field in [
            "ttl_seconds",
            "max_views",
            "access_verifier",
            "manage_verifier",
        ] {
            assert!(
                body.get(field).is_none(),
                "{field} sent to a reference server"
            );
        }
        let id = body["id"].as_str().unwrap().to_owned();
        let alias = "Ref23456".to_owned();
        let ciphertext = body["ciphertext"].as_str().unwrap().to_owned();
        secrets
            .lock()
            .unwrap()
            .insert(alias.clone(), (id.clone(), ciphertext));
        (
            StatusCode::CREATED,
            Json(json!({ "id": id, "alias": alias })),
        )
    }

    async fn read(
        State(secrets): State<Secrets>,
        Path(key): Path<String>,
    ) -> (StatusCode, Json<Value>) {
        match secrets.lock().unwrap().remove(&key) {
            Some((id, ciphertext)) => (
                StatusCode::OK,
                Json(json!({ "id": id, "ciphertext": ciphertext })),
            ),
            None => (StatusCode::NOT_FOUND, Json(json!({ "error": "not found" }))),
        }
    }
}

#[test]
fn works_against_the_reference_api() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let secrets = Default::default();
    let base = reference::start(&runtime, std::sync::Arc::clone(&secrets));
    let dir = tempdir("reference");
    // One image is enough here: this test is about the reference format, not images.
    let image = testkit::fixtures::repository_fixtures().image("gps.png");
    let out = run(
        &dir,
        &[
            "send",
            "--server",
            &base,
            "--reference",
            "--ttl",
            "2h",
            "--image",
            image.to_str().unwrap(),
            "for the reference",
        ],
        None,
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let link = stdout(&out).trim().to_owned();
    assert_eq!(
        link.split('#').next().unwrap(),
        format!("{base}/s/Ref23456")
    );

    // What was stored is the reference format exactly: version 0x01, an unpadded envelope.
    let key = crypto_core::Link::parse(&link).unwrap();
    let (id, ciphertext) = secrets.lock().unwrap().get("Ref23456").cloned().unwrap();
    let payload = crypto_core::base64::decode(&ciphertext).unwrap();
    assert_eq!(payload[0], 0x01);
    let id = crypto_core::SecretId::parse(&id).unwrap();
    let plain = crypto_core::open(key.key(), &id, &payload).unwrap();
    assert_eq!(plain[0], 0x01, "text + image envelope, not padded");

    for (args, message) in [
        (vec!["--views", "2"], "--views must be 1"),
        (vec!["--ttl", "30m"], "whole hours"),
        (vec!["--passphrase"], "no passphrases"),
    ] {
        let mut all = vec!["send", "--server", &base, "--reference"];
        all.extend(args);
        all.push("x");
        let out = run(&dir, &all, None, &[("ONCELINK_PASSPHRASE", "p")]);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
    }

    let opened = run(&dir, &["open", "-o", "img.png", &link], None, &[]);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    assert_eq!(stdout(&opened), "for the reference");
    assert!(
        std::fs::read(dir.join("img.png"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    let again = run(&dir, &["open", &link], None, &[]);
    assert_eq!(code(&again), 3);
}

/// Output checks before a reveal, links on stdin, private files, escaping, the reference
/// downgrade and TTL edges.
mod sharp_edges;

/// Requests: asked for with `request`, answered once with `answer`, read once with `inbox`.
mod requests;

/// A download of file data cut off halfway by the network: `open` asks again from the first
/// chunk it did not get whole, and the file arrives byte for byte.
#[test]
fn open_resumes_a_download_cut_short() {
    use std::sync::atomic::Ordering;
    let server = TestServer::start(false);
    let gateway = LossyGateway::start(&server.base);
    let dir = tempdir("cut-download");
    let document: Vec<u8> = (0..3_000_000u32).map(|i| (i * 13 % 251) as u8).collect();
    std::fs::write(dir.join("scan.bin"), &document).unwrap();
    let out = run(
        &dir,
        &["send", "--server", &gateway.base, "--file", "scan.bin"],
        None,
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let link = stdout(&out).trim_end().to_owned();
    std::fs::create_dir(dir.join("out")).unwrap();
    let opened = run(&dir, &["open", "-o", "out", &link], None, &[]);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    assert!(stderr(&opened).contains("resuming"), "{}", stderr(&opened));
    assert_eq!(std::fs::read(dir.join("out/scan.bin")).unwrap(), document);
    let ranges = gateway.data_ranges.lock().unwrap().clone();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    // The second asks from a chunk boundary (64 KiB + tag) inside what the first delivered.
    let from: u64 = ranges[1]
        .strip_prefix("bytes=")
        .and_then(|r| r.split('-').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        from > 0 && from <= CUT_AFTER as u64 && from.is_multiple_of(65_552),
        "{ranges:?}"
    );
    assert_eq!(gateway.confirms.load(Ordering::SeqCst), 1);
}

/// Bytes of file data the gateway lets through before it cuts the first download.
const CUT_AFTER: usize = 1_000_000;

/// A gateway in front of a server: forwards every request, but answers the first reveal with
/// `504` after the server has answered it (the view is counted) — an answer lost on the way —
/// and cuts the connection of the first file-data download after [`CUT_AFTER`] bytes.
struct LossyGateway {
    base: String,
    reveals: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    confirms: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// The `Range` of each file-data request, in order.
    data_ranges: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _runtime: tokio::runtime::Runtime,
}

impl LossyGateway {
    fn start(upstream: &str) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let reveals = std::sync::Arc::new(AtomicUsize::new(0));
        let confirms = std::sync::Arc::new(AtomicUsize::new(0));
        let data_ranges = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (r, c, d, upstream) = (
            reveals.clone(),
            confirms.clone(),
            data_ranges.clone(),
            upstream.to_owned(),
        );
        let client = reqwest::Client::new();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let (r, c, d, upstream, client) = (
                r.clone(),
                c.clone(),
                d.clone(),
                upstream.clone(),
                client.clone(),
            );
            async move {
                let path = request.uri().path().to_owned();
                let method = request.method().clone();
                let headers = request.headers().clone();
                let body = axum::body::to_bytes(request.into_body(), usize::MAX)
                    .await
                    .unwrap();
                let mut forward = client.request(method, format!("{upstream}{path}"));
                for (name, value) in &headers {
                    if name != "host" && name != "content-length" {
                        forward = forward.header(name, value);
                    }
                }
                let answer = forward.body(body).send().await.unwrap();
                let status = axum::http::StatusCode::from_u16(answer.status().as_u16()).unwrap();
                let mut kept = axum::http::HeaderMap::new();
                for name in ["content-type", "content-range", "content-length"] {
                    if let Some(value) = answer.headers().get(name) {
                        kept.insert(name, value.as_bytes().try_into().unwrap());
                    }
                }
                let bytes = answer.bytes().await.unwrap();
                if path.ends_with("/confirm") {
                    c.fetch_add(1, Ordering::SeqCst);
                }
                if path.ends_with("/reveal") && r.fetch_add(1, Ordering::SeqCst) == 0 {
                    return (axum::http::StatusCode::GATEWAY_TIMEOUT, Vec::new()).into_response();
                }
                if path.ends_with("/data") {
                    let range = headers
                        .get("range")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let first = {
                        let mut ranges = d.lock().unwrap();
                        ranges.push(range);
                        ranges.len() == 1
                    };
                    if first && bytes.len() > CUT_AFTER {
                        // The headers promise everything; the connection breaks after part.
                        let cut: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
                            Ok(bytes.slice(..CUT_AFTER)),
                            Err(std::io::Error::other("cut")),
                        ];
                        let body = axum::body::Body::from_stream(futures::stream::iter(cut));
                        return (status, kept, body).into_response();
                    }
                }
                (status, kept, bytes.to_vec()).into_response()
            }
        });
        let base = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await });
            base
        });
        Self {
            base,
            reveals,
            confirms,
            data_ranges,
            _runtime: runtime,
        }
    }
}

/// The answer to a reveal is lost behind a gateway after the server counted the view: `open`
/// asks again with the same claim, gets the same view, and confirms it.
#[test]
fn open_survives_a_lost_answer() {
    use std::sync::atomic::Ordering;
    let server = TestServer::start(true);
    let gateway = LossyGateway::start(&server.base);
    let dir = tempdir("lost-answer");
    let out = run(
        &dir,
        &[
            "send",
            "--server",
            &gateway.base,
            "lost once, delivered anyway",
        ],
        None,
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let link = stdout(&out).trim_end().to_owned();
    let opened = run(&dir, &["open", &link], None, &[]);
    assert_eq!(code(&opened), 0, "{}", stderr(&opened));
    assert_eq!(stdout(&opened), "lost once, delivered anyway");
    assert_eq!(gateway.reveals.load(Ordering::SeqCst), 2);
    assert_eq!(gateway.confirms.load(Ordering::SeqCst), 1);
    // Used up for everyone else.
    let again = run(&dir, &["open", &link], None, &[]);
    assert_eq!(code(&again), 3, "{}", stderr(&again));
}

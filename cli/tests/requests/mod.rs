//! Requests through the built binary against a real server: `request` prints a request link
//! and keeps the inbox link, `answer` answers it once, `inbox` reads the answer once (or
//! waits for it, or cancels the request).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{TestServer, code, run, stderr, stdout, tempdir};

both_backends!(
    a_request_is_answered_once_and_read_once,
    request_wait_prints_the_answer,
);

/// The exit codes these tests expect (`oncelink --help`).
const IO: i32 = 1;
const GONE: i32 = 3;
const DAMAGED: i32 = 4;
const ALREADY_ANSWERED: i32 = 7;
const CANCELLED: i32 = 8;

/// `request` with an inbox file: the request link, the only line on stdout.
fn request(server: &TestServer, dir: &Path, inbox_file: &str, note: &str) -> String {
    let out = run(
        dir,
        &[
            "request",
            "--server",
            &server.base,
            "--inbox-file",
            inbox_file,
            note,
        ],
        None,
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "stdout is only the link: {text:?}");
    let link = text.trim_end().to_owned();
    assert!(link.starts_with(&format!("{}/r/", server.base)), "{link}");
    assert!(
        !stderr(&out).contains("/i/"),
        "the inbox link went to its file only: {}",
        stderr(&out)
    );
    link
}

/// Answers `link` with `args`; the whole output.
fn answer(dir: &Path, link: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["answer", link];
    all.extend_from_slice(args);
    run(dir, &all, None, &[])
}

fn a_request_is_answered_once_and_read_once(server: TestServer, name: &str) {
    let dir = tempdir(name);
    let link = request(&server, &dir, "inbox.txt", "your passport number, please");
    let inbox_link = std::fs::read_to_string(dir.join("inbox.txt")).unwrap();
    assert!(inbox_link.starts_with(&format!("{}/i/", server.base)));
    let image = testkit::fixtures::repository_fixtures().image("gps-camera.jpg");
    let cleaned = image_privacy::clean(&std::fs::read(&image).unwrap())
        .unwrap()
        .bytes;

    // Before the answer: waiting, nothing revealed.
    let waiting = run(&dir, &["inbox", "inbox.txt"], None, &[]);
    assert_eq!(code(&waiting), 0, "{}", stderr(&waiting));
    assert!(
        stderr(&waiting).contains("state: waiting"),
        "{}",
        stderr(&waiting)
    );
    assert!(stdout(&waiting).is_empty());

    let answered = answer(
        &dir,
        &link,
        &["P1234567", "--image", image.to_str().unwrap()],
    );
    assert_eq!(code(&answered), 0, "{}", stderr(&answered));
    let said = stderr(&answered);
    assert!(
        said.contains("your passport number, please"),
        "the note: {said}"
    );
    assert!(said.contains("removed from the image: location"), "{said}");
    assert!(said.contains("answered"), "{said}");
    assert!(!said.contains("P1234567") && stdout(&answered).is_empty());

    // The inbox reveals the text and the cleaned image, once (the link on stdin this time).
    let read = run(
        &dir,
        &["inbox", "-o", "photo.jpg"],
        Some(inbox_link.as_bytes()),
        &[],
    );
    assert_eq!(code(&read), 0, "{}", stderr(&read));
    assert_eq!(stdout(&read), "P1234567");
    assert!(
        stderr(&read).contains("state: answered"),
        "{}",
        stderr(&read)
    );
    assert_eq!(std::fs::read(dir.join("photo.jpg")).unwrap(), cleaned);

    // Read: said so, nothing revealed, no file made.
    let again = run(
        &dir,
        &["inbox", inbox_link.trim(), "-o", "again.jpg"],
        None,
        &[],
    );
    assert_eq!(code(&again), GONE, "{}", stderr(&again));
    assert!(
        stderr(&again).contains("state: answered"),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("read"), "{}", stderr(&again));
    assert!(stdout(&again).is_empty());
    assert!(!dir.join("again.jpg").exists());

    // A request takes one answer.
    let second = answer(&dir, &link, &["another"]);
    assert_eq!(code(&second), ALREADY_ANSWERED, "{}", stderr(&second));
    assert!(
        stderr(&second).contains("answered already"),
        "{}",
        stderr(&second)
    );
}

/// A child process killed (by its own id) if the test ends before it does.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn request_wait_prints_the_answer(server: TestServer, name: &str) {
    let dir = tempdir(name);
    let child = Command::new(env!("CARGO_BIN_EXE_oncelink"))
        .args([
            "request",
            "--server",
            &server.base,
            "--wait",
            "the Wi-Fi password",
        ])
        .current_dir(&*dir)
        .env_remove("ONCELINK_SERVER")
        .env("XDG_STATE_HOME", &*dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut waiting = Background(child);
    let mut out = BufReader::new(waiting.0.stdout.take().unwrap());
    let mut link = String::new();
    out.read_line(&mut link).unwrap();
    let link = link.trim_end();
    assert!(link.contains("/r/"), "the request link first: {link:?}");

    let answered = answer(&dir, link, &["correct horse battery staple"]);
    assert_eq!(code(&answered), 0, "{}", stderr(&answered));

    // It polls every 2 s; a minute is far more than it needs.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = waiting.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "request --wait did not see the answer"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut said = String::new();
    waiting
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    assert!(status.success(), "{said}");
    assert_eq!(rest, "correct horse battery staple");
    assert!(
        said.contains("/i/"),
        "without --inbox-file, on stderr: {said}"
    );
    assert!(said.contains("only way to read the answer"), "{said}");
}

#[test]
fn a_cancelled_request_takes_no_answer() {
    let server = TestServer::start(false);
    let dir = tempdir("requests-cancel");
    let link = request(&server, &dir, "inbox.txt", "");
    let cancelled = run(&dir, &["inbox", "--cancel", "inbox.txt"], None, &[]);
    assert_eq!(code(&cancelled), 0, "{}", stderr(&cancelled));
    assert!(stderr(&cancelled).contains("cancelled"));

    let refused = answer(&dir, &link, &["too late"]);
    assert_eq!(code(&refused), CANCELLED, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("cancelled"),
        "{}",
        stderr(&refused)
    );
    let inbox = run(&dir, &["inbox", "inbox.txt"], None, &[]);
    assert_eq!(code(&inbox), CANCELLED, "{}", stderr(&inbox));
    assert!(
        stderr(&inbox).contains("state: cancelled"),
        "{}",
        stderr(&inbox)
    );
}

#[test]
fn the_inbox_file_is_private_and_never_replaced() {
    let server = TestServer::start(false);
    let dir = tempdir("requests-inbox-file");
    request(&server, &dir, "inbox.txt", "n");
    let path = dir.join("inbox.txt");
    let kept = std::fs::read(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = run(
        &dir,
        &[
            "request",
            "--server",
            &server.base,
            "--inbox-file",
            "inbox.txt",
            "n",
        ],
        None,
        &[],
    );
    assert_eq!(code(&out), IO, "{}", stderr(&out));
    assert!(stderr(&out).contains("exists"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no request was made"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), kept);
}

/// A request link whose public key was replaced on its way (the first 43 characters of its
/// fragment taken from another request's link): refused before anything is sealed, and the
/// request is still waiting for its real answer.
#[test]
fn an_altered_request_link_is_refused() {
    let server = TestServer::start(false);
    let dir = tempdir("requests-altered");
    let genuine = request(&server, &dir, "inbox.txt", "the real one");
    let other = request(&server, &dir, "other.txt", "another");
    let (head, fragment) = genuine.split_once('#').unwrap();
    let (_, imposter) = other.split_once('#').unwrap();
    assert_eq!((fragment.len(), imposter.len()), (86, 86));
    let altered = format!("{head}#{}{}", &imposter[..43], &fragment[43..]);

    let out = answer(&dir, &altered, &["secret"]);
    assert_eq!(code(&out), DAMAGED, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("this request link is damaged or was altered; ask for a new one"),
        "{}",
        stderr(&out)
    );
    let inbox = run(&dir, &["inbox", "inbox.txt"], None, &[]);
    assert!(
        stderr(&inbox).contains("state: waiting"),
        "{}",
        stderr(&inbox)
    );
    let real = answer(&dir, &genuine, &["secret"]);
    assert_eq!(code(&real), 0, "{}", stderr(&real));
}

/// A server without requests (the reference API) is refused by both sides, before anything
/// is sent.
#[test]
fn a_server_without_requests_is_refused() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let base = super::reference::start(&runtime, Default::default());
    let dir = tempdir("requests-reference");
    let out = run(
        &dir,
        &[
            "request",
            "--server",
            &base,
            "--inbox-file",
            "inbox.txt",
            "n",
        ],
        None,
        &[],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not take requests"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("inbox.txt").exists());
    let key = crypto_core::request::InboxKey::generate().unwrap();
    let link = format!("{base}/r/Ab3dEf9h#{}", key.request_key().to_base64url());
    let out = answer(&dir, &link, &["x"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not take requests"),
        "{}",
        stderr(&out)
    );
}

/// An answer whose key box was sealed to another public key (a request link altered on its
/// way, and a server that let it through): `inbox` refuses it before asking for the answer,
/// so nothing is consumed. A stand-in server plays the part; every other call is counted.
#[test]
fn an_answer_sealed_to_another_key_is_not_revealed() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Json;
    use axum::routing::post;
    use crypto_core::request::{InboxKey, InboxLink, prepare_request};
    use crypto_core::{Alias, Envelope, Protection, prepare_secret};
    use serde_json::json;

    let request = prepare_request("the real note").unwrap();
    let answer = prepare_secret(
        Envelope::text_only("never shown"),
        Protection::Guarded { passphrase: None },
    )
    .unwrap()
    .seal()
    .unwrap();
    let imposter = InboxKey::generate().unwrap().request_key();
    let key_box = imposter
        .seal_answer_key(&request.id, &answer.upload.id, &answer.keys)
        .unwrap();
    let inbox = json!({
        "state": "answered",
        "id": request.id.as_str(),
        "note": crypto_core::base64::encode(&request.note),
        "expires_at": 4_000_000_000u64,
        "answer": {
            "alias": "Ans23456",
            "id": answer.upload.id.as_str(),
            "key_box": crypto_core::base64::encode_url(&key_box),
            "answered_at": 1_800_000_000u64,
        },
    });
    let others = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&others);
    let app = axum::Router::new()
        .route(
            "/api/requests/{alias}/inbox",
            post(move || async move { Json(inbox) }),
        )
        .fallback(move || async move {
            counted.fetch_add(1, Ordering::SeqCst);
            axum::http::StatusCode::INTERNAL_SERVER_ERROR
        });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let base = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        base
    });
    let alias = Alias::parse("Req23456").unwrap();
    let link = InboxLink::new(&base, alias, None, request.key).to_url();

    let dir = tempdir("requests-other-key");
    let out = run(&dir, &["inbox", &link], None, &[]);
    assert_eq!(code(&out), DAMAGED, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was NOT revealed"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    assert_eq!(others.load(Ordering::SeqCst), 0, "no reveal was asked for");
}

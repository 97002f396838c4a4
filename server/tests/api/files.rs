//! File data through the REST API, as a client makes it: files sealed as STREAMs, uploaded in
//! parts (any order, one again, one refused), the secret created with the upload token,
//! revealed with a claim, the data downloaded whole and by range and decrypted, then gone
//! once the claim is confirmed.

use crypto_core::stream::{FileKey, open_stream, seal_stream, sealed_len};
use crypto_core::{Envelope, FileEntry, MasterKey, Proof, SecretId, stream_offsets};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

both_backends!(
    files_go_up_in_parts_and_come_down_once,
    uploads_refuse_what_does_not_fit,
    the_pages_reveal_of_a_secret_with_files_claims_its_data
);

/// The tests' part size (`default_config`).
const PART: u64 = 65_536;

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Two files sealed end to end: their entries, plaintexts and the data.
fn files() -> (Vec<FileEntry>, Vec<Vec<u8>>, Vec<u8>) {
    let plain = vec![content(100, 1), content(150_000, 2)];
    let mut entries = Vec::new();
    let mut data = Vec::new();
    for (name, bytes) in ["note.txt", "scan.pdf"].iter().zip(&plain) {
        let key = FileKey::generate().unwrap();
        let size = bytes.len() as u64;
        seal_stream(&key, size, bytes.as_slice(), &mut data).unwrap();
        entries.push(FileEntry::new(*name, "application/octet-stream", size, key).unwrap());
    }
    (entries, plain, data)
}

async fn begin(server: &TestServer, id: &SecretId, length: u64) -> (StatusCode, Value) {
    server
        .post_to(
            "/api/uploads",
            json!({"secret_id": id.to_string(), "length": length}),
        )
        .await
}

async fn put_part(
    server: &TestServer,
    id: &SecretId,
    n: u64,
    token: &str,
    body: &[u8],
) -> (StatusCode, Value) {
    let response = server
        .client
        .put(server.url(&format!("/api/uploads/{id}/parts/{n}")))
        .bearer_auth(token)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn download(
    server: &TestServer,
    alias: &str,
    access: &str,
    claim: &str,
    range: Option<&str>,
) -> reqwest::Response {
    let mut request = server
        .client
        .get(server.url(&format!("/api/secrets/{alias}/data")))
        .header("Oncelink-Access-Proof", access)
        .header("Oncelink-Claim", claim);
    if let Some(range) = range {
        request = request.header("Range", range);
    }
    request.send().await.unwrap()
}

async fn files_go_up_in_parts_and_come_down_once(server: TestServer) {
    let (entries, plain, data) = files();
    let length = data.len() as u64;
    assert_eq!(length, sealed_len(100) + sealed_len(150_000));
    let key = MasterKey::generate().unwrap();
    let id = SecretId::generate().unwrap();
    let (status, begun) = begin(&server, &id, length).await;
    assert_eq!(status, StatusCode::CREATED, "{begun}");
    assert_eq!(begun["part_size"], PART);
    let parts = begun["parts"].as_u64().unwrap();
    assert_eq!(parts, length.div_ceil(PART));
    let token = begun["upload_token"].as_str().unwrap().to_owned();
    let part = |n: u64| &data[(n * PART) as usize..((n + 1) * PART).min(length) as usize];

    // Parts in reverse, the last one twice; a wrong token and a short part are refused.
    for n in (0..parts).rev() {
        assert_eq!(
            put_part(&server, &id, n, &token, part(n)).await.0,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        put_part(&server, &id, parts - 1, &token, part(parts - 1))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let other = Proof::generate().unwrap().to_base64url();
    let (status, body) = put_part(&server, &id, 0, &other, part(0)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("wrong_upload_token"))
    );
    let (status, body) = put_part(&server, &id, 0, &token, &part(0)[1..]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_part"))
    );
    // A refused part is not counted as received: resuming shows what is missing.
    let response = server
        .client
        .get(server.url(&format!("/api/uploads/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let status: Value = response.json().await.unwrap();
    assert_eq!(status["received"], json!((0..parts).collect::<Vec<_>>()));

    // The secret: its manifest in the payload, the upload token once more.
    let envelope = Envelope::with_files("two files", entries)
        .pack_padded()
        .unwrap();
    let payload = crypto_core::seal(&key, &id, &envelope).unwrap();
    let access = key.access_proof();
    let (status, created) = server
        .post(json!({
            "ciphertext": crypto_core::base64::encode(&payload),
            "id": id.to_string(),
            "ttl_seconds": 600,
            "access_verifier": access.verifier().to_base64url(),
            "upload_token": token,
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let alias = created["alias"].as_str().unwrap().to_owned();
    assert!(server.files.join("blobs").join(id.to_string()).exists());

    // Before a reveal there is no claim, so no download.
    let claim = Proof::generate().unwrap().to_base64url();
    let access = access.to_base64url();
    assert_eq!(
        download(&server, &alias, &access, &claim, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (status, revealed) = server
        .reveal(&alias, json!({"access_proof": access, "claim": claim}))
        .await;
    assert_eq!(status, StatusCode::OK, "{revealed}");
    let payload = crypto_core::base64::decode(revealed["ciphertext"].as_str().unwrap()).unwrap();
    let opened = Envelope::unpack(&crypto_core::open(&key, &id, &payload).unwrap()).unwrap();
    let offsets = stream_offsets(opened.files());
    assert_eq!(offsets.last().copied(), Some(length));

    // The whole data, then the second file alone by range; both decrypt.
    let whole = download(&server, &alias, &access, &claim, None).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.bytes().await.unwrap().as_ref(), data.as_slice());
    let range = format!("bytes={}-", offsets[1]);
    let second = download(&server, &alias, &access, &claim, Some(&range)).await;
    assert_eq!(second.status(), StatusCode::PARTIAL_CONTENT);
    let expected_range = format!("bytes {}-{}/{length}", offsets[1], length - 1);
    assert_eq!(second.headers()["content-range"], expected_range.as_str());
    let sealed = second.bytes().await.unwrap();
    let file = &opened.files()[1];
    let mut out = Vec::new();
    open_stream(file.key(), file.size(), sealed.as_ref(), &mut out).unwrap();
    assert_eq!(out, plain[1]);
    let outside = download(
        &server,
        &alias,
        &access,
        &claim,
        Some(&format!("bytes={length}-")),
    )
    .await;
    assert_eq!(outside.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        outside.headers()["content-range"],
        format!("bytes */{length}").as_str()
    );

    // Another claim, or no access proof, gets nothing; a used claim neither.
    let stranger = Proof::generate().unwrap().to_base64url();
    assert_eq!(
        download(&server, &alias, &access, &stranger, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        download(&server, &alias, &stranger, &claim, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = server
        .post_to(
            &format!("/api/secrets/{alias}/confirm"),
            json!({"claim": claim}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        download(&server, &alias, &access, &claim, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        !server.files.join("blobs").join(id.to_string()).exists(),
        "the data is deleted with the last view"
    );
}

async fn uploads_refuse_what_does_not_fit(server: TestServer) {
    let id = SecretId::generate().unwrap();
    let max = server.service.file_limits().unwrap().max_bytes;
    let (status, body) = begin(&server, &id, max + 1).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );
    let (status, body) = server
        .post_to("/api/uploads", json!({"secret_id": "nope", "length": 5}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_id"))
    );
    let (status, body) = begin(&server, &id, 100).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["upload_token"].as_str().unwrap().to_owned();
    let (status, body) = begin(&server, &id, 100).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("id_exists"))
    );
    let (status, body) = put_part(&server, &id, 1, &token, b"x").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_part"))
    );
    assert_eq!(
        put_part(&server, &id, 0, &token, &[7; 100]).await.0,
        StatusCode::NO_CONTENT
    );
    // Cancelled: nothing is left, and the upload is gone for every request.
    let abort = |token: String| {
        server
            .client
            .delete(server.url(&format!("/api/uploads/{id}")))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        abort(Proof::generate().unwrap().to_base64url())
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        abort(token.clone()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        abort(token.clone()).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        std::fs::read_dir(server.files.join("uploads"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        put_part(&server, &id, 0, &token, &[7; 100]).await.0,
        StatusCode::NOT_FOUND
    );
}

/// The web page's reveal door (`/fn/reveal`) counts the view of a secret with files like the
/// REST door, and its claim fetches the data over REST.
async fn the_pages_reveal_of_a_secret_with_files_claims_its_data(server: TestServer) {
    let key = FileKey::generate().unwrap();
    let mut data = Vec::new();
    seal_stream(&key, 10, &[5u8; 10][..], &mut data).unwrap();
    let entry = FileEntry::new("a.bin", "application/octet-stream", 10, key).unwrap();
    let master = MasterKey::generate().unwrap();
    let id = SecretId::generate().unwrap();
    let (status, begun) = begin(&server, &id, data.len() as u64).await;
    assert_eq!(status, StatusCode::CREATED, "{begun}");
    let token = begun["upload_token"].as_str().unwrap().to_owned();
    assert_eq!(
        put_part(&server, &id, 0, &token, &data).await.0,
        StatusCode::NO_CONTENT
    );
    let envelope = Envelope::with_files("", vec![entry]).pack_padded().unwrap();
    let payload = crypto_core::seal(&master, &id, &envelope).unwrap();
    let access = master.access_proof();
    let (status, created) = server
        .post(json!({
            "ciphertext": crypto_core::base64::encode(&payload),
            "id": id.to_string(),
            "access_verifier": access.verifier().to_base64url(),
            "upload_token": token,
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let alias = created["alias"].as_str().unwrap().to_owned();
    let claim = Proof::generate().unwrap().to_base64url();
    let request = protocol::web::RevealSecretRequest {
        alias: alias.clone(),
        access_proof: access.to_base64url(),
        passphrase_proof: None,
        claim: claim.clone(),
    };
    let revealed: Result<protocol::web::RevealOutcome, protocol::ErrorBody> =
        crate::doors::call(&server, "reveal", &request).await;
    assert!(
        matches!(
            revealed,
            Ok(protocol::web::RevealOutcome::Revealed { views_left: 0, .. })
        ),
        "{revealed:?}"
    );
    let response = download(&server, &alias, &access.to_base64url(), &claim, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().as_ref(), data.as_slice());
    let (status, _) = server.info(&alias).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The server's settings for `target`'s bucket, 5 MiB parts (the least it takes with S3).
fn s3_config(target: &testkit::garage::S3Target, secret: &str) -> server::Config {
    <server::Config as clap::Parser>::parse_from([
        "oncelink-server".to_owned(),
        "--rate-create=100000".into(),
        "--rate-reveal=100000".into(),
        "--failed-attempts=100000".into(),
        format!("--upload-part-bytes={}", blobs::S3Blobs::MIN_PART_SIZE),
        format!("--s3-bucket={}", target.bucket),
        format!("--s3-endpoint={}", target.endpoint),
        format!("--s3-region={}", target.region),
        format!("--s3-access-key-id={}", target.access_key_id),
        format!("--s3-secret-access-key={secret}"),
        format!("--s3-prefix={}", target.prefix),
        "--s3-allow-http".into(),
    ])
}

/// The REST flow over object storage: a real Garage behind `--s3-*`, two parts (5 MiB and a
/// few bytes), a download whole and by range across the parts, gone once confirmed. The
/// start asks the bucket first, so a wrong key stops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_up_and_come_down_through_object_storage() {
    let Some(target) = testkit::garage::S3Target::for_test("server_files") else {
        return;
    };
    let wrong = s3_config(&target, &"0".repeat(64));
    let refused = server::AppState::from_config(&wrong, leptos_options()).await;
    assert!(
        matches!(refused, Err(server::StartError::Files(_))),
        "a wrong key must stop the start"
    );
    let config = s3_config(&target, &target.secret_access_key);
    server::AppState::from_config(&config, leptos_options())
        .await
        .unwrap();
    let server = start_with(server::open_store(&config).await.unwrap(), &config, None).await;

    let part = blobs::S3Blobs::MIN_PART_SIZE;
    let data = content((part + 1000) as usize, 7);
    let length = data.len() as u64;
    let id = SecretId::generate().unwrap();
    let (status, begun) = begin(&server, &id, length).await;
    assert_eq!(status, StatusCode::CREATED, "{begun}");
    assert_eq!(
        (begun["part_size"].as_u64(), begun["parts"].as_u64()),
        (Some(part), Some(2))
    );
    let token = begun["upload_token"].as_str().unwrap().to_owned();
    let (first, last) = data.split_at(part as usize);
    for (n, body) in [(1, last), (0, first), (1, last)] {
        assert_eq!(
            put_part(&server, &id, n, &token, body).await.0,
            StatusCode::NO_CONTENT
        );
    }
    let key = MasterKey::generate().unwrap();
    let payload = crypto_core::seal(&key, &id, b"\x00manifest stand-in").unwrap();
    let access = key.access_proof();
    let (status, created) = server
        .post(json!({
            "ciphertext": crypto_core::base64::encode(&payload),
            "id": id.to_string(),
            "ttl_seconds": 600,
            "access_verifier": access.verifier().to_base64url(),
            "upload_token": token,
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let alias = created["alias"].as_str().unwrap().to_owned();
    let claim = Proof::generate().unwrap().to_base64url();
    let access = access.to_base64url();
    let (status, _) = server
        .reveal(&alias, json!({"access_proof": access, "claim": claim}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let whole = download(&server, &alias, &access, &claim, None).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.bytes().await.unwrap().as_ref(), data.as_slice());
    let (from, to) = (part - 10, part + 9);
    let range = format!("bytes={from}-{to}");
    let across = download(&server, &alias, &access, &claim, Some(&range)).await;
    assert_eq!(across.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        across.bytes().await.unwrap().as_ref(),
        &data[from as usize..=to as usize]
    );
    let (status, _) = server
        .post_to(
            &format!("/api/secrets/{alias}/confirm"),
            json!({"claim": claim}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        download(&server, &alias, &access, &claim, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let Ok(service::Files { blobs, .. }) = config.files() else {
        panic!("the same settings open the same bucket");
    };
    assert_eq!(
        blobs.len(&id).await.unwrap(),
        None,
        "deleted with the last view"
    );
}

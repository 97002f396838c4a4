//! Creating secrets: the reference round trip, input rules, ids, lifetimes, size limits.

use crypto_core::{Envelope, MasterKey, SecretId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

both_backends!(
    round_trip_seal_post_fetch_open,
    server_makes_the_id_when_none_is_sent,
    ttl_hours_bounds,
    bad_bodies_are_4xx_and_store_nothing,
    duplicate_id_is_409,
    new_bad_inputs_are_clear_4xx,
    finer_expiry_in_seconds,
);

async fn round_trip_seal_post_fetch_open(server: TestServer) {
    let (key, id, ciphertext) = sealed("correct horse battery staple");
    let (status, body) = server
        .post(json!({ "ciphertext": ciphertext, "ttl_hours": 1, "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], id.as_str());
    let alias = body["alias"].as_str().unwrap();
    assert_eq!(alias.len(), 8);
    assert!(alias.bytes().all(|b| b.is_ascii_alphanumeric()));

    let (status, body) = server.get(alias).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["ciphertext"], ciphertext.as_str());
    let payload = crypto_core::base64::decode(body["ciphertext"].as_str().unwrap()).unwrap();
    let returned_id = SecretId::parse(body["id"].as_str().unwrap()).unwrap();
    let envelope =
        Envelope::unpack(&crypto_core::open(&key, &returned_id, &payload).unwrap()).unwrap();
    assert_eq!(envelope.text(), "correct horse battery staple");

    let (status, _) = server.get(alias).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.get(id.as_str()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn server_makes_the_id_when_none_is_sent(server: TestServer) {
    let (status, body) = server
        .post(json!({ "ciphertext": valid_ciphertext() }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap();
    assert!(SecretId::parse(id).is_ok());
    let (status, body) = server.get(id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], id);
}

async fn ttl_hours_bounds(server: TestServer) {
    for ok in [json!(1), json!(72), json!(24), Value::Null] {
        let (status, body) = server
            .post(json!({ "ciphertext": valid_ciphertext(), "ttl_hours": ok }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "ttl_hours {ok}: {body}");
    }
    for bad in [
        json!(0),
        json!(73),
        json!(-1),
        json!(1.5),
        json!("24"),
        json!(true),
        json!([1]),
    ] {
        let (status, body) = server
            .post(json!({ "ciphertext": valid_ciphertext(), "ttl_hours": bad }))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "ttl_hours {bad}");
        assert_eq!(body["error"], "ttl_hours must be an integer from 1 to 72");
    }
}

async fn bad_bodies_are_4xx_and_store_nothing(server: TestServer) {
    let id = SecretId::generate().unwrap();
    let v2 = crypto_core::base64::encode(&[2u8; 40]);
    let short = crypto_core::base64::encode(&[1u8; 28]);
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        ("".into(), StatusCode::BAD_REQUEST, "empty"),
        ("{".into(), StatusCode::BAD_REQUEST, "not valid JSON"),
        (
            vec![0xffu8, 0xfe],
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
        ("[1,2]".into(), StatusCode::BAD_REQUEST, "JSON object"),
        ("\"text\"".into(), StatusCode::BAD_REQUEST, "JSON object"),
        (
            json!({ "id": id.as_str() }).to_string().into(),
            StatusCode::BAD_REQUEST,
            "ciphertext is required",
        ),
        (
            json!({ "ciphertext": 12, "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "must be a string",
        ),
        (
            json!({ "ciphertext": "%%%", "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "base64",
        ),
        (
            json!({ "ciphertext": "", "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "empty",
        ),
        (
            json!({ "ciphertext": v2, "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "version",
        ),
        (
            json!({ "ciphertext": short, "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "too short",
        ),
        (
            json!({ "ciphertext": valid_ciphertext(), "id": "not-a-uuid" })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "UUID",
        ),
        (
            json!({ "ciphertext": valid_ciphertext(), "id": 7 })
                .to_string()
                .into(),
            StatusCode::BAD_REQUEST,
            "UUID",
        ),
        (
            json!({ "ciphertext": "A".repeat(16 * 1024 * 1024), "id": id.as_str() })
                .to_string()
                .into(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the limit",
        ),
    ];
    for (body, expected, message) in cases {
        let (status, json) = server.post_raw(body).await;
        assert_eq!(status, expected, "{message}: {json}");
        let error = json["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {json}"));
        assert!(
            error.contains(message),
            "{error:?} should mention {message:?}"
        );
    }
    // None of those stored anything: the id is still free.
    let (status, body) = server
        .post(json!({ "ciphertext": valid_ciphertext(), "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn duplicate_id_is_409(server: TestServer) {
    let (_, id, ciphertext) = sealed("first");
    let (status, _) = server
        .post(json!({ "ciphertext": ciphertext, "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = server
        .post(json!({ "ciphertext": valid_ciphertext(), "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"].as_str().unwrap().contains("already exists"));
    let (status, body) = server.get(id.as_str()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ciphertext"], ciphertext.as_str());
}

async fn new_bad_inputs_are_clear_4xx(server: TestServer) {
    let id = SecretId::generate().unwrap();
    let c = valid_ciphertext();
    let good = MasterKey::generate()
        .unwrap()
        .access_proof()
        .verifier()
        .to_base64url();
    let cases = [
        (
            json!({ "max_views": 0 }),
            "max_views must be an integer from 1 to 10",
        ),
        (json!({ "max_views": 11 }), "max_views"),
        (json!({ "max_views": -1 }), "max_views"),
        (json!({ "max_views": "3" }), "max_views"),
        (json!({ "max_views": 1.5 }), "max_views"),
        (
            json!({ "access_verifier": "abc" }),
            "access_verifier must be 32 bytes",
        ),
        (json!({ "access_verifier": 5 }), "access_verifier"),
        (
            json!({ "access_verifier": format!("{good}AA") }),
            "access_verifier",
        ),
        (
            json!({ "passphrase_verifier": "!!!" }),
            "passphrase_verifier",
        ),
        (
            json!({ "passphrase_verifier": good, "access_verifier": "x" }),
            "access_verifier",
        ),
        (
            json!({ "manage_verifier": "not base64" }),
            "manage_verifier",
        ),
        // A passphrase alone would let anyone with the alias spend its tries.
        (
            json!({ "passphrase_verifier": good }),
            "passphrase_verifier needs an access_verifier",
        ),
        (
            json!({ "ttl_seconds": 60 }),
            "ttl_seconds must be an integer from 300 to 604800",
        ),
        (json!({ "ttl_seconds": 8 * 86400 }), "ttl_seconds"),
        (json!({ "ttl_seconds": "3600" }), "ttl_seconds"),
        (json!({ "ttl_seconds": 3600, "ttl_hours": 1 }), "not both"),
    ];
    for (extra, message) in cases {
        let mut body = json!({ "ciphertext": c, "id": id.as_str() });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, reply) = server.post(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {reply}");
        let error = reply["error"].as_str().unwrap();
        assert!(
            error.contains(message),
            "{error:?} should mention {message:?}"
        );
    }
    // None of those stored anything.
    let (status, _) = server
        .post(json!({ "ciphertext": c, "id": id.as_str() }))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let g = create_guarded(&server, "x", None, json!({})).await;
    let endpoint = |what: &str| format!("/api/secrets/{}/{what}", g.alias);
    let bad = [
        (endpoint("status"), json!({}), "manage_token"),
        (
            endpoint("status"),
            json!({ "manage_token": "short" }),
            "manage_token",
        ),
        (
            endpoint("destroy"),
            json!({ "manage_token": 42 }),
            "manage_token",
        ),
        (
            endpoint("reveal"),
            json!({ "access_proof": "%%%" }),
            "access_proof",
        ),
        (
            endpoint("reveal"),
            json!({ "access_proof": g.access, "passphrase_proof": [] }),
            "passphrase_proof",
        ),
        (
            format!("/api/secrets/{}/status", g.id),
            json!({ "manage_token": g.manage }),
            "alias",
        ),
        (
            "/api/secrets/bad!/reveal".to_string(),
            json!({}),
            "not a valid secret id",
        ),
    ];
    for (path, body, message) in bad {
        let (status, reply) = server.post_to(&path, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {reply}");
        let error = reply["error"].as_str().unwrap();
        assert!(
            error.contains(message),
            "{error:?} should mention {message:?}"
        );
    }
    let response = server
        .client
        .post(server.url(&endpoint("reveal")))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // Still there after all of that.
    assert_eq!(
        server.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::OK
    );
}

async fn finer_expiry_in_seconds(server: TestServer) {
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (extra, ttl) in [
        (json!({ "ttl_seconds": 300 }), 300),
        (json!({ "ttl_seconds": 7 * 86400 }), 7 * 86400),
        (json!({ "ttl_hours": 72 }), 72 * 3600),
        (json!({}), 24 * 3600),
    ] {
        let mut body = json!({ "ciphertext": valid_ciphertext() });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, created) = server.post(body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let expires = created["expires_at"].as_u64().unwrap();
        assert!(
            (before + ttl..=before + ttl + 5).contains(&expires),
            "{extra}: {expires} vs {before}+{ttl}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smaller_payload_limit_is_enforced() {
    let mut config = default_config();
    config.max_payload_bytes = 100;
    let server = embedded("limit", config).await;
    let big = crypto_core::base64::encode(&[1u8; 101]);
    let (status, body) = server.post(json!({ "ciphertext": big })).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"].as_str().unwrap().contains("100 bytes"));
    let fits = crypto_core::base64::encode(&[1u8; 100]);
    assert_eq!(
        server.post(json!({ "ciphertext": fits })).await.0,
        StatusCode::CREATED
    );
}

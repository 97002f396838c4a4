//! Reading secrets: references, one-time and view limits under concurrency, access proofs,
//! passphrases.

use crypto_core::{MasterKey, SecretId};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

use crate::support::*;

both_backends!(
    bad_references_are_400,
    unknown_consumed_and_expired_look_the_same,
    concurrent_fetches_serve_once,
    wrong_or_missing_access_proof_consumes_nothing,
    view_limit_counts_down_and_holds_under_concurrency,
    wrong_passphrase_burns_nothing_until_the_last_try,
);

async fn bad_references_are_400(server: TestServer) {
    for bad in [
        "abc",
        "Kx7mP2n!",
        "Kx7mP2nQQ",
        "a1b2c3d4-0000-4000-8000-00000000000g",
        "%20",
    ] {
        let (status, body) = server.get(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("not a valid secret id or alias")
        );
    }
}

async fn unknown_consumed_and_expired_look_the_same(server: TestServer) {
    let (_, unknown) = server.get("Unknown1").await;
    let (_, unknown_id) = server.get(SecretId::generate().unwrap().as_str()).await;

    let (_, created) = server
        .post(json!({ "ciphertext": valid_ciphertext() }))
        .await;
    let alias = created["alias"].as_str().unwrap();
    assert_eq!(server.get(alias).await.0, StatusCode::OK);
    let (status, consumed) = server.get(alias).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let short = store::NewSecret {
        id: SecretId::generate().unwrap(),
        payload: crypto_core::base64::decode(&valid_ciphertext())
            .unwrap()
            .into(),
        ttl: Duration::from_millis(200),
        access: store::Access::default(),
    };
    let short = server.store.create(short).await.unwrap();
    // Poll (info consumes nothing) until it has expired, rather than a fixed sleep.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.info(short.alias.as_str()).await.0 != StatusCode::NOT_FOUND {
        assert!(tokio::time::Instant::now() < deadline, "never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, expired) = server.get(short.alias.as_str()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(unknown, consumed);
    assert_eq!(unknown, expired);
    assert_eq!(unknown, unknown_id);
}

async fn concurrent_fetches_serve_once(server: TestServer) {
    let (_, created) = server
        .post(json!({ "ciphertext": valid_ciphertext() }))
        .await;
    let url = server.url(&format!(
        "/api/secrets/{}",
        created["alias"].as_str().unwrap()
    ));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (client, url) = (server.client.clone(), url.clone());
            tokio::spawn(async move { client.get(url).send().await.unwrap().status() })
        })
        .collect();
    assert_eq!(served(tasks).await, 1);
}

async fn wrong_or_missing_access_proof_consumes_nothing(server: TestServer) {
    let g = create_guarded(&server, "launch codes", None, json!({})).await;
    let other = MasterKey::generate().unwrap().access_proof().to_base64url();
    let (status, info) = server.info(&g.alias).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["proof_required"], true);
    assert_eq!(info["passphrase_required"], false);

    // The reference GET, a missing proof, a wrong proof, the manage token as proof, by id too.
    let (status, body) = server.get(&g.alias).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for body in [
        json!({}),
        json!({ "access_proof": other }),
        json!({ "access_proof": g.manage }),
    ] {
        let (status, reply) = server.reveal(&g.alias, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
        assert!(reply["error"].as_str().unwrap().contains("access proof"));
        assert!(reply.get("ciphertext").is_none());
    }
    let (status, _) = server
        .reveal(g.id.as_str(), json!({ "access_proof": other }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(server.info(&g.alias).await.0, StatusCode::OK, "still there");

    // The right proof opens it exactly once.
    let (status, body) = server.reveal(&g.alias, g.access_body()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["views_left"], 0);
    assert_eq!(open_text(&g, None, &body), "launch codes");
    let (status, body) = server.reveal(&g.alias, g.access_body()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(server.info(&g.alias).await.0, StatusCode::NOT_FOUND);
}

async fn view_limit_counts_down_and_holds_under_concurrency(server: TestServer) {
    let g = create_guarded(&server, "contract", None, json!({ "max_views": 3 })).await;
    assert_eq!(server.info(&g.alias).await.1["views_left"], 3);
    for left in [2, 1, 0] {
        let (status, body) = server.reveal(&g.alias, g.access_body()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["views_left"], left);
        assert_eq!(open_text(&g, None, &body), "contract");
    }
    assert_eq!(
        server.reveal(&g.alias, g.access_body()).await.0,
        StatusCode::NOT_FOUND
    );

    // Reference clients can ask for views too (no proof): GET counts them.
    let (_, created) = server
        .post(json!({ "ciphertext": valid_ciphertext(), "max_views": 2 }))
        .await;
    let alias = created["alias"].as_str().unwrap();
    assert_eq!(created["max_views"], 2);
    assert_eq!(server.get(alias).await.1["views_left"], 1);
    assert_eq!(server.get(alias).await.1["views_left"], 0);
    assert_eq!(server.get(alias).await.0, StatusCode::NOT_FOUND);

    // 100 concurrent reveals of a 5-view secret: exactly 5 succeed.
    let g = create_guarded(&server, "race", None, json!({ "max_views": 5 })).await;
    let url = server.url(&format!("/api/secrets/{}/reveal", g.alias));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (client, url, body) = (server.client.clone(), url.clone(), g.access_body());
            tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap().status() })
        })
        .collect();
    assert_eq!(served(tasks).await, 5);
}

async fn wrong_passphrase_burns_nothing_until_the_last_try(server: TestServer) {
    let g = create_guarded(&server, "scan", Some("tango oscar"), json!({})).await;
    let wrong = g
        .key
        .stretch_passphrase("tango")
        .unwrap()
        .proof()
        .to_base64url();
    let (_, info) = server.info(&g.alias).await;
    assert_eq!(info["passphrase_required"], true);
    assert_eq!(info["tries_left"], 5);

    // Without a passphrase proof: asked for one, no try spent.
    let (status, body) = server.reveal(&g.alias, g.access_body()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["tries_left"], 5);
    // Wrong passphrase: one try spent, nothing released.
    let (status, body) = server
        .reveal(
            &g.alias,
            json!({ "access_proof": g.access, "passphrase_proof": wrong }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "wrong passphrase");
    assert_eq!(body["tries_left"], 4);
    assert!(body.get("ciphertext").is_none());
    assert_eq!(server.info(&g.alias).await.1["tries_left"], 4);
    // The right one opens it; the link's key alone could not decrypt.
    let (status, body) = server
        .reveal(
            &g.alias,
            json!({ "access_proof": g.access, "passphrase_proof": g.passphrase }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let payload = crypto_core::base64::decode(body["ciphertext"].as_str().unwrap()).unwrap();
    assert_eq!(payload[0], 0x10);
    assert!(crypto_core::open(&g.key, &g.id, &payload).is_err());
    assert_eq!(open_text(&g, Some("tango oscar"), &body), "scan");

    // Five wrong tries destroy it; the fifth says so.
    let g = create_guarded(&server, "scan", Some("tango oscar"), json!({})).await;
    let wrong = json!({ "access_proof": g.access, "passphrase_proof": wrong });
    for left in [4, 3, 2, 1] {
        let (status, body) = server.reveal(&g.alias, wrong.clone()).await;
        assert_eq!(
            (status, body["tries_left"].clone()),
            (StatusCode::FORBIDDEN, json!(left))
        );
    }
    let (status, body) = server.reveal(&g.alias, wrong.clone()).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert!(body["error"].as_str().unwrap().contains("destroyed"));
    let right = json!({ "access_proof": g.access, "passphrase_proof": g.passphrase });
    assert_eq!(
        server.reveal(&g.alias, right).await.0,
        StatusCode::NOT_FOUND
    );
}

//! Requests over the REST API: open, view, answer once, inbox, reveal the answer once,
//! cancel; bad input gets clear 4xx errors.

use crypto_core::request::{InboxKey, PreparedRequest, prepare_request};
use crypto_core::{Envelope, Protection, SealedSecret, SecretId, prepare_secret};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

both_backends!(
    a_request_is_answered_once_and_read_once,
    a_cancelled_request_refuses_answers,
    bad_requests_get_clear_errors,
);

/// Opens a request for `note`; its alias and keys.
async fn open(server: &TestServer, note: &str) -> (String, PreparedRequest) {
    let prepared = prepare_request(note).unwrap();
    let (status, body) = server
        .post_to(
            "/api/requests",
            json!({
                "id": prepared.id.as_str(),
                "note": crypto_core::base64::encode(&prepared.note),
                "answer_verifier": prepared.answer_verifier.to_base64url(),
                "inbox_verifier": prepared.inbox_verifier.to_base64url(),
                "ttl_seconds": 3600,
                "answer_ttl_seconds": 7200,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], prepared.id.as_str());
    (body["alias"].as_str().unwrap().to_owned(), prepared)
}

/// An answer's body, as a responder makes it from the request link's key.
fn answer_body(request: &PreparedRequest, text: &str) -> Value {
    let key = request.key.request_key();
    let SealedSecret { upload, keys } = prepare_secret(
        Envelope::text_only(text),
        Protection::Guarded { passphrase: None },
    )
    .unwrap()
    .seal()
    .unwrap();
    let key_box = key.seal_answer_key(&request.id, &upload.id, &keys).unwrap();
    let guard = upload.guard.unwrap();
    json!({
        "answer_proof": key.answer_proof().to_base64url(),
        "key_box": crypto_core::base64::encode_url(&key_box),
        "secret": {
            "ciphertext": crypto_core::base64::encode(&upload.payload),
            "id": upload.id.as_str(),
            "access_verifier": guard.access_verifier.to_base64url(),
            // Ignored: only the inbox manages the answer.
            "manage_verifier": guard.manage_verifier.to_base64url(),
            "ttl_seconds": 300,
            "max_views": 5,
        },
    })
}

fn inbox_body(key: &InboxKey) -> Value {
    json!({ "inbox_proof": key.inbox_proof().to_base64url() })
}

async fn a_request_is_answered_once_and_read_once(server: TestServer) {
    let (alias, request) = open(&server, "front of your ID card, please").await;
    let view_url = format!("/api/requests/{alias}/view");
    let inbox_url = format!("/api/requests/{alias}/inbox");
    let answer_url = format!("/api/requests/{alias}/answer");
    let proof = json!({ "answer_proof": request.key.request_key().answer_proof().to_base64url() });

    // The responder reads the note.
    let (status, view) = server.post_to(&view_url, proof.clone()).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["state"], "waiting");
    assert_eq!(view["answer_ttl_seconds"], 7200);
    let sealed = crypto_core::base64::decode(view["note"].as_str().unwrap()).unwrap();
    let id = SecretId::parse(view["id"].as_str().unwrap()).unwrap();
    let note = request.key.request_key().open_note(&id, &sealed).unwrap();
    assert_eq!(note.as_str(), "front of your ID card, please");
    let (status, inbox) = server.post_to(&inbox_url, inbox_body(&request.key)).await;
    assert_eq!(
        (status, &inbox["state"]),
        (StatusCode::OK, &json!("waiting"))
    );
    assert!(inbox.get("answer").is_none());

    // One answer is taken; the second is told so.
    let (status, answered) = server
        .post_to(&answer_url, answer_body(&request, "P123456"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answered}");
    let (status, again) = server
        .post_to(&answer_url, answer_body(&request, "junk"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["code"], "already_answered");
    let (_, view) = server.post_to(&view_url, proof).await;
    assert_eq!(view["state"], "answered");

    // The inbox finds it, opens its key, reveals it once.
    let (_, inbox) = server.post_to(&inbox_url, inbox_body(&request.key)).await;
    assert_eq!(inbox["state"], "answered", "{inbox}");
    let answer = &inbox["answer"];
    let answer_id = SecretId::parse(answer["id"].as_str().unwrap()).unwrap();
    let key_box = crypto_core::base64::decode_url(answer["key_box"].as_str().unwrap()).unwrap();
    let key = request
        .key
        .open_answer_key(&request.id, &answer_id, &key_box)
        .unwrap();
    let answer_alias = answer["alias"].as_str().unwrap();
    let access = json!({ "access_proof": key.access_proof().to_base64url() });
    let (status, revealed) = server.reveal(answer_alias, access.clone()).await;
    assert_eq!(status, StatusCode::OK, "{revealed}");
    let payload = crypto_core::base64::decode(revealed["ciphertext"].as_str().unwrap()).unwrap();
    let opened = crypto_core::open(&key, &answer_id, &payload).unwrap();
    assert_eq!(Envelope::unpack(&opened).unwrap().text(), "P123456");
    assert_eq!(
        revealed["views_left"], 0,
        "one view, whatever the responder asked"
    );
    assert_eq!(
        server.reveal(answer_alias, access).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, inbox) = server.post_to(&inbox_url, inbox_body(&request.key)).await;
    assert_eq!(inbox["state"], "read", "{inbox}");
    assert!(inbox["read_at"].as_u64().unwrap() > 1_700_000_000);
    let counted = server.service.snapshot();
    assert_eq!((counted.requests_opened, counted.requests_answered), (1, 1));
}

async fn a_cancelled_request_refuses_answers(server: TestServer) {
    let (alias, request) = open(&server, "your API key").await;
    let cancel_url = format!("/api/requests/{alias}/cancel");
    let (status, wrong) = server
        .post_to(
            &cancel_url,
            json!({ "inbox_proof": request.key.request_key().answer_proof().to_base64url() }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the answer proof does not cancel: {wrong}"
    );
    let (status, cancelled) = server.post_to(&cancel_url, inbox_body(&request.key)).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    let answer_url = format!("/api/requests/{alias}/answer");
    let (status, refused) = server
        .post_to(&answer_url, answer_body(&request, "late"))
        .await;
    assert_eq!(status, StatusCode::GONE, "{refused}");
    assert_eq!(refused["code"], "request_closed");
    let (_, inbox) = server
        .post_to(
            &format!("/api/requests/{alias}/inbox"),
            inbox_body(&request.key),
        )
        .await;
    assert_eq!(inbox["state"], "cancelled");

    // Cancelling an answered request destroys its unread answer too.
    let (alias, request) = open(&server, "second").await;
    let answer_url = format!("/api/requests/{alias}/answer");
    assert_eq!(
        server
            .post_to(&answer_url, answer_body(&request, "x"))
            .await
            .0,
        StatusCode::CREATED
    );
    let inbox_url = format!("/api/requests/{alias}/inbox");
    let (_, inbox) = server.post_to(&inbox_url, inbox_body(&request.key)).await;
    let answer_alias = inbox["answer"]["alias"].as_str().unwrap().to_owned();
    assert_eq!(server.info(&answer_alias).await.0, StatusCode::OK);
    let cancel_url = format!("/api/requests/{alias}/cancel");
    assert_eq!(
        server
            .post_to(&cancel_url, inbox_body(&request.key))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(server.info(&answer_alias).await.0, StatusCode::NOT_FOUND);
}

async fn bad_requests_get_clear_errors(server: TestServer) {
    let prepared = prepare_request("n").unwrap();
    let good = json!({
        "id": prepared.id.as_str(),
        "note": crypto_core::base64::encode(&prepared.note),
        "answer_verifier": prepared.answer_verifier.to_base64url(),
        "inbox_verifier": prepared.inbox_verifier.to_base64url(),
    });
    for (field, value, code) in [
        ("note", json!("not base64!"), "invalid_ciphertext"),
        ("note", json!(null), "invalid_ciphertext"),
        ("id", json!("nope"), "invalid_id"),
        ("answer_verifier", json!("short"), "invalid_proof"),
        ("inbox_verifier", json!(7), "invalid_proof"),
        ("ttl_seconds", json!(60), "invalid_ttl"),
        ("ttl_seconds", json!(31 * 24 * 3600), "invalid_ttl"),
        ("answer_ttl_seconds", json!("7200"), "invalid_ttl"),
    ] {
        let mut body = good.clone();
        body[field] = value.clone();
        if value.is_null() {
            body.as_object_mut().unwrap().remove(field);
        }
        let (status, error) = server.post_to("/api/requests", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {error}");
        assert_eq!(error["code"], code, "{field}={value}: {error}");
        assert!(error["error"].as_str().unwrap().contains(field), "{error}");
    }
    let (alias, request) = open(&server, "n").await;
    let answer_url = format!("/api/requests/{alias}/answer");
    let good = answer_body(&request, "a");
    for (change, code) in [
        (json!({ "key_box": "AAAA" }), "invalid_ciphertext"),
        (json!({ "answer_proof": null }), "invalid_proof"),
        (json!({ "secret": null }), "invalid_ciphertext"),
        (
            json!({ "secret": { "ciphertext": good["secret"]["ciphertext"], "id": good["secret"]["id"] } }),
            "invalid_ciphertext",
        ),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let (status, error) = server.post_to(&answer_url, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{change}: {error}");
        assert_eq!(error["code"], code, "{change}: {error}");
    }
    // A guessed alias or proof answers nothing; the request stays open for the real answer.
    let stranger = prepare_request("other").unwrap();
    let (status, error) = server
        .post_to(&answer_url, answer_body(&stranger, "junk"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert_eq!(error["code"], "wrong_access_proof");
    let (status, error) = server
        .post_to("/api/requests/Zz9Zz9Zz/answer", good.clone())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    let (status, error) = server.post_to("/api/requests/bad!/view", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let (status, error) = server
        .post_to(
            &format!("/api/requests/{alias}/inbox"),
            inbox_body(&stranger.key),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert_eq!(error["code"], "wrong_manage_token");
    assert_eq!(
        server.post_to(&answer_url, good).await.0,
        StatusCode::CREATED
    );
}

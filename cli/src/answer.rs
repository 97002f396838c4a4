//! `oncelink answer`: answer a request link. The requester's note is opened and shown first
//! (a link whose key was altered does not open it, and is refused); then the answer is made
//! exactly as `send` makes a secret (`contents`), its key sealed to the requester's public
//! key, and given once.

use crypto_core::request::RequestLink;
use crypto_core::{Protection, SealedSecret, SecretId};
use protocol::requests::{AnswerRequest, RequestState, ViewRequest};
use protocol::rest::CreateRequest;

use crate::api::{Api, DAMAGED_REQUEST_LINK};
use crate::args::AnswerArgs;
use crate::contents::{self, Contents};
use crate::error::CliError;
use crate::output::{escape_controls, format_time, note};
use crate::progress::Progress;

/// Runs `answer`.
pub fn run(args: AnswerArgs) -> Result<(), CliError> {
    let link = RequestLink::parse(args.request_link.trim()).map_err(|e| match e.kind() {
        crypto_core::ErrorKind::Key => CliError::Damaged(
            "the request link has no valid key after '#': it may be cut off (quote the link)"
                .into(),
        ),
        _ => CliError::Input("this is not a request link (…/r/{alias}#{key})".into()),
    })?;
    // Every local check first: a bad file fails before anything is asked of the server.
    let contents = Contents::read(
        args.contents,
        "nothing to answer with: give TEXT, pipe it on stdin, or add --image FILE or --file FILE",
    )?;
    let api = Api::new(link.base())?;
    let caps = api.capabilities()?;
    if !caps.requests {
        return Err(CliError::Input(format!(
            "{} does not take requests: it is not an oncelink server, or an older one",
            escape_controls(api.base())
        )));
    }
    let key = link.key();
    let alias = link.alias().as_str();
    let answer_proof = key.answer_proof().to_base64url();
    let view = api.view_request(
        alias,
        &ViewRequest {
            answer_proof: Some(answer_proof.clone().into()),
        },
    )?;

    // The note opens only with the link's own public key and seed: if it does not, the
    // answer would be sealed to a key that is not the requester's.
    let damaged = || CliError::Damaged(DAMAGED_REQUEST_LINK.into());
    let request_id = SecretId::parse(&view.id)
        .map_err(|_| CliError::Server("the server sent an invalid request id".into()))?;
    let sealed_note = crypto_core::base64::decode(&view.note).ok_or_else(damaged)?;
    let request_note = key
        .open_note(&request_id, &sealed_note)
        .map_err(|_| damaged())?;
    if request_note.is_empty() {
        note("the request has no note");
    } else {
        note(&format!("the request: {}", escape_controls(&request_note)));
    }
    drop(request_note);
    match view.state {
        RequestState::Waiting => {}
        RequestState::Answered | RequestState::Read => return Err(CliError::AlreadyAnswered),
        RequestState::Cancelled => return Err(CliError::RequestClosed),
    }

    let file_limits = contents.file_limits(&caps)?;
    let pending = contents.seal(Protection::Guarded { passphrase: None })?;
    let upload_token = pending.upload(&api, file_limits.as_ref())?;
    let SealedSecret { upload, keys } = pending.sealed;
    let key_box = key
        .seal_answer_key(&request_id, &upload.id, &keys)
        .map_err(|e| CliError::Input(format!("cannot encrypt the answer's key: {e}")))?;
    drop(keys);
    let body = AnswerRequest {
        answer_proof: Some(answer_proof.into()),
        key_box: Some(crypto_core::base64::encode_url(&key_box).into()),
        // Its lifetime and views are the request's, and only the inbox manages it.
        secret: Some(CreateRequest {
            manage_verifier: None,
            ..contents::secret_body(&upload, upload_token.clone())
        }),
    };
    drop(upload.payload);
    let answered = api.answer_request(alias, &body, &Progress::for_stderr());
    drop(body);
    let answered = match answered {
        Ok(answered) => answered,
        Err(e) => {
            // Nothing half-done stays on the server (best effort: it expires anyway).
            if let Some(token) = &upload_token {
                let _ = api.abort_upload(&upload.id, token);
            }
            return Err(e);
        }
    };
    note(&format!(
        "answered: only the requester can read it, once, until {}",
        format_time(answered.expires_at)
    ));
    Ok(())
}

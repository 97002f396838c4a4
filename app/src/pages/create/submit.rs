//! Making the secret: seal it in the browser, upload it, show the links. The create page's
//! only calls into `crate::client` and `crate::api`.

use leptos::prelude::*;

use super::files::ChosenFile;
use super::form::{Answering, FilesProgress, FormState, Phase};
use super::image::Chosen;
use super::result::Shared;
use crate::client::Attached;
use crate::client::files::{FileProblem, Outgoing, SealedData};
use crate::pages::Problem;
use crate::transfer::upload::{self, Cancel, Sent, UploadProblem};
use crate::{api, browser, client, rest};
use protocol::Loose;
use protocol::requests::AnswerRequest;
use protocol::rest::CreateRequest;

/// The files to send: those chosen, and the image field's image when there are files too
/// (a secret holds either one image in its payload or files beside it).
fn outgoing(
    files: &[ChosenFile],
    image: Option<&Chosen>,
    keep_original: bool,
    keep_files_original: bool,
) -> Result<Vec<Outgoing>, Problem> {
    let mut out = Vec::with_capacity(files.len() + 1);
    if let Some(image) = image {
        let bytes = image.bytes(keep_original);
        let mime = image.kind.mime();
        let blob = browser::blob_of(bytes, mime).ok_or(Problem::ReadFile)?;
        let name = format!("image.{}", image.kind.extension());
        let entry = client::files::new_entry(&name, mime, bytes.len() as u64)
            .map_err(|_| Problem::Generic)?;
        out.push(Outgoing { blob, entry });
    }
    for file in files {
        let (blob, size, mime) = match (&file.original, keep_files_original) {
            (Some((blob, size, mime)), true) => (blob, *size, mime),
            _ => (&file.blob, file.size, &file.mime),
        };
        let entry =
            client::files::new_entry(&file.name, mime, size).map_err(|_| Problem::Generic)?;
        out.push(Outgoing {
            blob: (**blob).clone(),
            entry,
        });
    }
    Ok(out)
}

/// Sends the files' data; returns the upload token for the create.
async fn send_files(
    form: FormState,
    id: &str,
    outgoing: Vec<Outgoing>,
) -> Result<String, Option<Problem>> {
    let total = client::files::sealed_total(outgoing.iter().map(|o| o.entry.size()));
    let cancel = Cancel::default();
    form.cancel
        .set_value(Some(send_wrapper::SendWrapper::new(cancel.clone())));
    let started = js_sys::Date::now();
    let on_progress = move |sent: Sent| {
        let seconds = ((js_sys::Date::now() - started) / 1000.0).max(0.001);
        form.files_progress.try_set(FilesProgress {
            sent: sent.bytes,
            total: sent.total,
            speed: sent.bytes / seconds,
            retrying: sent.retrying,
        });
    };
    on_progress(Sent::default());
    form.phase.try_set(Phase::SendingFiles);
    let sent = upload::upload(id, SealedData::new(outgoing), total, on_progress, &cancel).await;
    form.cancel.try_set_value(None);
    sent.map_err(|e| match e {
        UploadProblem::Cancelled => None,
        UploadProblem::File(FileProblem::Read) => Some(Problem::FileChanged),
        UploadProblem::File(_) => Some(Problem::Generic),
        UploadProblem::Server(e) => Some(e.into()),
    })
}

/// Stops the files' upload under way; the page goes back to the form, nothing is left on
/// the server.
pub(super) fn cancel(form: FormState) {
    if let Some(Some(cancel)) = form.cancel.try_get_value() {
        cancel.cancel();
    }
}

/// Sends `sealed` as the answer to a request: the answer secret, and its key sealed to the
/// requester's public key from the request link (`POST /api/requests/{alias}/answer`).
async fn answer(
    answering: &Answering,
    sealed: &client::Sealed,
    upload_token: Option<String>,
) -> Result<(), Problem> {
    let key = client::requests::request_key(&browser::location_hash())
        .map_err(|_| Problem::DamagedRequest)?;
    let key_box = client::requests::key_box(&key, &answering.request_id, sealed)
        .map_err(|_| Problem::DamagedRequest)?;
    let body = AnswerRequest {
        answer_proof: Some(Loose::Valid(client::requests::answer_proof(&key))),
        key_box: Some(Loose::Valid(key_box)),
        secret: Some(CreateRequest {
            ciphertext: Some(Loose::Valid(crypto_core::base64::encode(&sealed.payload))),
            id: Some(Loose::Valid(sealed.id.to_string())),
            access_verifier: Some(Loose::Valid(sealed.access_verifier.clone())),
            upload_token: upload_token.map(Loose::Valid),
            ..CreateRequest::default()
        }),
    };
    rest::answer_request(&answering.alias, &body)
        .await
        .map(|_| ())
        .map_err(|e| match e.code() {
            protocol::ErrorCode::NotFound => Problem::RequestGone,
            _ => Problem::from(e),
        })
}

/// Starts making a secret from the form, unless one is already under way. `lang` goes into
/// the links.
pub(super) fn create(form: FormState, lang: &'static str) {
    if form.phase.get_untracked() != Phase::Editing {
        return;
    }
    let chosen = form.image.get_untracked();
    let chosen_files = form.files.get_untracked();
    let keep = form.keep_original.get_untracked();
    let keep_files = form.keep_files_original.get_untracked();
    let secret_text = form.text.get_untracked();
    if secret_text.is_empty() && chosen.is_none() && chosen_files.is_empty() {
        form.problem.set(Some(Problem::Empty));
        return;
    }
    form.problem.set(None);
    form.phase.set(Phase::Encrypting);
    let ttl = form.ttl_seconds.get_untracked();
    let max_views = form.views.get_untracked();
    // An answer takes no passphrase: the requester would have none to type.
    let secret_passphrase = if form.answering.with_value(Option::is_some) {
        String::new()
    } else {
        form.passphrase.get_untracked()
    };
    // `try_`: the user may have left the page while the secret was being made.
    let fail = move |problem: Option<Problem>| {
        form.problem.try_set(problem);
        form.phase.try_set(Phase::Editing);
    };
    leptos::task::spawn_local(async move {
        browser::next_frame().await;
        let outgoing = if chosen_files.is_empty() {
            None
        } else {
            match outgoing(&chosen_files, chosen.as_ref(), keep, keep_files) {
                Ok(outgoing) => Some(outgoing),
                Err(problem) => return fail(Some(problem)),
            }
        };
        let attached = match (&outgoing, &chosen) {
            (Some(outgoing), _) => {
                Attached::Files(outgoing.iter().map(|o| o.entry.duplicate()).collect())
            }
            (None, Some(image)) => Attached::Image(image.kind, image.bytes(keep)),
            (None, None) => Attached::Nothing,
        };
        let sealed = client::seal_new(
            &secret_text,
            attached,
            (!secret_passphrase.is_empty()).then_some(secret_passphrase.as_str()),
        )
        .await;
        let Ok(mut sealed) = sealed else {
            return fail(Some(Problem::Generic));
        };
        let upload_token = match outgoing {
            Some(outgoing) => match send_files(form, sealed.id.as_str(), outgoing).await {
                Ok(token) => Some(token),
                Err(problem) => return fail(problem),
            },
            None => None,
        };
        if let Some(answering) = form.answering.try_get_value().flatten() {
            let sent = answer(&answering, &sealed, upload_token.clone()).await;
            if sent.is_err()
                && let Some(token) = &upload_token
            {
                upload::abort(sealed.id.as_str(), token).await;
            }
            match sent {
                Ok(()) => {
                    form.clear_plaintext();
                    form.phase.try_set(Phase::Answered);
                }
                Err(problem) => fail(Some(problem)),
            }
            return;
        }
        form.phase.try_set(Phase::Uploading(0));
        let payload = std::mem::take(&mut sealed.payload);
        let on_progress = move |sent: f64| {
            // Whole percents, so the page re-renders at most a hundred times.
            let percent = (sent * 100.0).clamp(0.0, 100.0) as u8;
            if form.phase.try_get_untracked() != Some(Phase::Uploading(percent)) {
                form.phase.try_set(Phase::Uploading(percent));
            }
        };
        let args = api::CreateSecret {
            request: api::CreateSecretRequest {
                id: sealed.id.to_string(),
                payload,
                ttl_seconds: ttl,
                max_views,
                access_verifier: sealed.access_verifier.clone(),
                passphrase_verifier: sealed.passphrase_verifier.clone(),
                manage_verifier: sealed.manage_verifier.clone(),
                upload_token: upload_token.clone(),
            },
        };
        let created = api::create_secret_with_progress(args, on_progress).await;
        if created.is_err()
            && let Some(token) = &upload_token
        {
            // The files' data would otherwise wait a day for the sweep, charged to the quota.
            upload::abort(sealed.id.as_str(), token).await;
        }
        if form.phase.try_get_untracked().is_none() {
            return; // The page is gone.
        }
        match created {
            Ok(created) => match sealed.links(&browser::location_origin(), &created.alias, lang) {
                Some(links) => {
                    // The plaintext has done its job: drop it from the page.
                    form.clear_plaintext();
                    form.phase.set(Phase::Done(Shared {
                        link: links.share,
                        manage_link: links.manage,
                        expires_at: created.expires_at,
                    }));
                }
                None => fail(Some(Problem::Generic)),
            },
            Err(e) => fail(Some(e.into())),
        }
    });
}

//! Making the secret: seal it in the browser, upload it, show the links. The create page's
//! only calls into `crate::client` and `crate::api`.

use leptos::prelude::*;

use super::form::{FormState, Phase};
use super::result::Shared;
use crate::pages::Problem;
use crate::{api, browser, client};

/// Starts making a secret from the form, unless one is already under way. `lang` goes into
/// the links.
pub(super) fn create(form: FormState, lang: &'static str) {
    if form.phase.get_untracked() != Phase::Editing {
        return;
    }
    let chosen = form.image.get_untracked();
    let keep = form.keep_original.get_untracked();
    let secret_text = form.text.get_untracked();
    if secret_text.is_empty() && chosen.is_none() {
        form.problem.set(Some(Problem::Empty));
        return;
    }
    form.problem.set(None);
    form.phase.set(Phase::Encrypting);
    let ttl = form.ttl_seconds.get_untracked();
    let max_views = form.views.get_untracked();
    let secret_passphrase = form.passphrase.get_untracked();
    leptos::task::spawn_local(async move {
        browser::next_frame().await;
        let sealed = client::seal_new(
            &secret_text,
            chosen.as_ref().map(|c| (c.kind, c.bytes(keep))),
            (!secret_passphrase.is_empty()).then_some(secret_passphrase.as_str()),
        )
        .await;
        let Ok(mut sealed) = sealed else {
            form.problem.set(Some(Problem::Generic));
            form.phase.set(Phase::Editing);
            return;
        };
        form.phase.set(Phase::Uploading(0));
        let payload = std::mem::take(&mut sealed.payload);
        let on_progress = move |sent: f64| {
            // Whole percents, so the page re-renders at most a hundred times.
            let percent = (sent * 100.0).clamp(0.0, 100.0) as u8;
            if form.phase.get_untracked() != Phase::Uploading(percent) {
                form.phase.set(Phase::Uploading(percent));
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
            },
        };
        let created = api::create_secret_with_progress(args, on_progress).await;
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
                None => {
                    form.problem.set(Some(Problem::Generic));
                    form.phase.set(Phase::Editing);
                }
            },
            Err(e) => {
                form.problem.set(Some(e.into()));
                form.phase.set(Phase::Editing);
            }
        }
    });
}

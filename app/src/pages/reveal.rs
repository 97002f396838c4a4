//! `/s/{alias}`: a secret is waiting; only the Reveal click (with the proofs derived from
//! the link's key, and the passphrase if any) consumes a view.

use image_privacy::ImageType;
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::hooks::use_params_map;

use super::received::ReceivedFiles;
use super::{Problem, problem_message};
use crate::api::{self, Availability, RevealOutcome};
use crate::client::files::FileEntry;
use crate::components::{CopyButton, NeedsJavaScript};
use crate::i18n::{Locale, t, t_string, use_i18n};
use crate::transfer::download::Claim;
use crate::{browser, client};

/// Whether the link's fragment holds a usable key. Unknown on the server and before
/// hydration (the fragment never reaches the server).
#[derive(Clone, Copy, PartialEq)]
enum KeyState {
    Unchecked,
    Valid,
    Invalid,
}

/// A revealed secret as the page shows it; the image only as an object URL.
#[derive(Clone, PartialEq)]
pub(crate) struct Shown {
    text: String,
    image: Option<(String, ImageType)>,
    /// The secret held an image that `client::open` refused: it is not shown.
    image_refused: bool,
    views_left: u32,
    /// The secret has files (their manifest and the claim are in the page's `received`).
    has_files: bool,
}

#[derive(Clone, PartialEq)]
enum Phase {
    Waiting,
    Working,
    Shown(Shown),
    Gone,
    Damaged,
    Burned,
}

/// Why the last click did not reveal (nothing was consumed).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Refusal {
    WrongKey,
    WrongPassphrase(u32),
    Other(Problem),
}

/// The reveal page.
#[component]
pub fn RevealPage() -> impl IntoView {
    let params = use_params_map();
    let alias = move || params.read().get("alias").unwrap_or_default();
    // Checked on the server without consuming anything: bots that fetch or render the page
    // see only this.
    let info = Resource::new(alias, |alias| async move { api::secret_info(alias).await });
    let key = RwSignal::new(KeyState::Unchecked);
    let phase = RwSignal::new(Phase::Waiting);
    let refusal = RwSignal::new(None::<Refusal>);
    let passphrase = RwSignal::new(String::new());
    // A revealed secret's files and the claim that fetches them, taken once by the view.
    let received = StoredValue::new(None::<(Vec<FileEntry>, Claim)>);

    Effect::new(move |_| {
        let valid = client::parse_key(&browser::location_hash()).is_ok();
        key.set(if valid {
            KeyState::Valid
        } else {
            KeyState::Invalid
        });
    });
    // A passphrase secret needs Argon2id: fetch its chunk while the recipient types.
    Effect::new(move |_| {
        if let Some(Ok(Availability::Waiting {
            needs_passphrase: true,
            ..
        })) = info.get()
        {
            request_idle_callback(client::prefetch_passphrase);
        }
    });
    on_cleanup(move || {
        if let Phase::Shown(Shown {
            image: Some((url, _)),
            ..
        }) = phase.get_untracked()
        {
            browser::revoke_object_url(&url);
        }
    });

    let reveal = move |needs_passphrase: bool| {
        if phase.get_untracked() != Phase::Waiting {
            return;
        }
        // Check the key before any request: a bad link must not touch the secret.
        let Ok(master_key) = client::parse_key(&browser::location_hash()) else {
            key.set(KeyState::Invalid);
            return;
        };
        let secret_passphrase = passphrase.get_untracked();
        if needs_passphrase && secret_passphrase.is_empty() {
            return;
        }
        refusal.set(None);
        phase.set(Phase::Working);
        let alias = alias();
        leptos::task::spawn_local(async move {
            browser::next_frame().await;
            let pass = needs_passphrase.then_some(secret_passphrase.as_str());
            match reveal_once(alias, &master_key, pass).await {
                Outcome::Shown(shown, files) => {
                    if shown.views_left == 0 {
                        browser::remove_fragment();
                    }
                    passphrase.set(String::new());
                    received.set_value(files);
                    phase.set(Phase::Shown(shown));
                }
                Outcome::Gone => phase.set(Phase::Gone),
                Outcome::Burned => phase.set(Phase::Burned),
                Outcome::Damaged => phase.set(Phase::Damaged),
                Outcome::Refused(why) => {
                    refusal.set(Some(why));
                    phase.set(Phase::Waiting);
                }
            }
        });
    };

    let i18n = use_i18n();
    let hydrated = use_context::<crate::Hydrated>();
    let waiting = move |needs_passphrase: bool, views_left: u32| {
        let busy = move || phase.get() == Phase::Working;
        view! {
            <section class="card" data-testid="waiting">
                <h1>{t!(i18n, reveal_heading)}</h1>
                <p>{t!(i18n, reveal_waiting)}</p>
                {(views_left > 1).then(|| view! {
                    <p data-testid="views-before">{t!(i18n, reveal_views_before, count = move || views_left)}</p>
                })}
                <NeedsJavaScript i18n hydrated/>
                {move || (key.get() == KeyState::Invalid).then(|| view! {
                    <p class="alert" role="alert" data-testid="key-problem">{t!(i18n, reveal_missing_key)}</p>
                })}
                {needs_passphrase.then(|| view! {
                    <p data-testid="passphrase-needed">{t!(i18n, reveal_passphrase_needed)}</p>
                    <label for="reveal-passphrase" class="field-label">{t!(i18n, reveal_passphrase_label)}</label>
                    <input
                        id="reveal-passphrase"
                        data-testid="reveal-passphrase"
                        type="password"
                        autocomplete="off"
                        prop:value=move || passphrase.get()
                        on:input=move |ev| passphrase.set(event_target_value(&ev))
                        on:keydown=move |ev| if ev.key() == "Enter" { reveal(true) }
                    />
                })}
                {move || refusal.get().map(|r| refusal_message(i18n, r))}
                <div class="actions">
                    <button
                        type="button"
                        class="primary"
                        data-testid="reveal"
                        on:click=move |_| reveal(needs_passphrase)
                        disabled=move || {
                            key.get() != KeyState::Valid || busy()
                                || (needs_passphrase && passphrase.get().is_empty())
                        }
                    >
                        {t!(i18n, reveal_button)}
                    </button>
                    {move || busy().then(|| view! {
                        <span class="progress" role="status">
                            <progress></progress>
                            {if needs_passphrase {
                                t!(i18n, reveal_checking_passphrase).into_any()
                            } else {
                                t!(i18n, revealing).into_any()
                            }}
                        </span>
                    })}
                </div>
            </section>
        }
    };

    view! {
        {move || match phase.get() {
            Phase::Waiting | Phase::Working => view! {
                <Suspense fallback=move || view! { <section class="card"><p>{t!(i18n, checking)}</p></section> }>
                    {move || info.get().map(|info| match info {
                        Ok(Availability::Waiting { needs_passphrase, views_left, .. }) => {
                            waiting(needs_passphrase, views_left).into_any()
                        }
                        Ok(Availability::Gone) => view! { <Gone i18n/> }.into_any(),
                        Err(e) if e.code() == protocol::ErrorCode::NotFound => view! { <Gone i18n/> }.into_any(),
                        Err(e) => {
                            let problem = Problem::from(e);
                            view! { <section class="card"><p class="alert" role="alert">{problem_message(i18n, problem)}</p></section> }.into_any()
                        }
                    })}
                </Suspense>
            }
            .into_any(),
            Phase::Gone => view! { <Gone i18n/> }.into_any(),
            Phase::Burned => view! {
                <section class="card" data-testid="burned">
                    <h1>{t!(i18n, reveal_gone_heading)}</h1>
                    <p class="alert" role="alert">{t!(i18n, reveal_burned)}</p>
                </section>
            }
            .into_any(),
            Phase::Damaged => view! {
                <section class="card" data-testid="damaged">
                    <h1>{t!(i18n, reveal_gone_heading)}</h1>
                    <p class="alert" role="alert">{t!(i18n, reveal_damaged)}</p>
                </section>
            }
            .into_any(),
            Phase::Shown(shown) => {
                let files = received
                    .try_update_value(Option::take)
                    .flatten()
                    .map(|(files, claim)| view! { <ReceivedFiles files claim/> });
                view! { <Revealed shown/> {files} }.into_any()
            }
        }}
    }
}

/// What one Reveal click came to.
pub(crate) enum Outcome {
    /// Revealed: what to show, and the files with the claim that fetches them.
    Shown(Shown, Option<(Vec<FileEntry>, Claim)>),
    Gone,
    Burned,
    Damaged,
    /// Nothing was consumed.
    Refused(Refusal),
}

/// One reveal of `alias` with the link's key (and passphrase): the proofs, the claimed reveal
/// (retried while it may still arrive), the decryption, and the confirm, or for a secret
/// with files the claim kept for their download. The inbox reveals an answer the same way.
pub(crate) async fn reveal_once(
    alias: String,
    master_key: &crypto_core::MasterKey,
    passphrase: Option<&str>,
) -> Outcome {
    let Ok(proofs) = client::reveal_proofs(master_key, passphrase).await else {
        return Outcome::Refused(Refusal::Other(Problem::Generic));
    };
    let request = api::RevealSecretRequest {
        alias: alias.clone(),
        access_proof: proofs.access.clone(),
        passphrase_proof: proofs.passphrase.clone(),
        claim: proofs.claim.clone(),
    };
    let (id, payload, views_left) = match api::reveal_delivered(request).await {
        Ok(RevealOutcome::Revealed {
            id,
            payload,
            views_left,
        }) => (id, payload, views_left),
        Ok(RevealOutcome::Gone) => return Outcome::Gone,
        Ok(RevealOutcome::Burned) => return Outcome::Burned,
        Ok(RevealOutcome::WrongKey) => return Outcome::Refused(Refusal::WrongKey),
        Ok(RevealOutcome::WrongPassphrase { tries_left }) => {
            return Outcome::Refused(Refusal::WrongPassphrase(tries_left));
        }
        Err(e) => return Outcome::Refused(Refusal::Other(e.into())),
    };
    let Ok(opened) = client::open(master_key, proofs.stretched.as_ref(), &id, &payload).await
    else {
        return Outcome::Damaged;
    };
    let image_refused = matches!(opened.image, Some(Err(_)));
    let image = opened
        .image
        .and_then(Result::ok)
        .and_then(|(kind, bytes)| browser::object_url(&bytes, kind.mime()).map(|url| (url, kind)));
    let has_files = !opened.files.is_empty();
    let files = if has_files {
        let claim = Claim {
            alias,
            access_proof: proofs.access.clone(),
            claim: proofs.claim.clone(),
        };
        Some((opened.files, claim))
    } else {
        leptos::task::spawn_local(api::confirm_delivered(alias, proofs.claim.clone()));
        None
    };
    let shown = Shown {
        text: opened.text,
        image,
        image_refused,
        views_left,
        has_files,
    };
    Outcome::Shown(shown, files)
}

pub(crate) fn refusal_message(i18n: I18nContext<Locale>, refusal: Refusal) -> AnyView {
    match refusal {
        Refusal::WrongKey => view! {
            <p class="alert" role="alert" data-testid="wrong-key">{t!(i18n, reveal_wrong_key)}</p>
        }
        .into_any(),
        Refusal::WrongPassphrase(tries) => view! {
            <p class="alert" role="alert" data-testid="wrong-passphrase">
                {t!(i18n, reveal_wrong_passphrase, count = move || tries)}
            </p>
        }
        .into_any(),
        Refusal::Other(problem) => view! {
            <p class="alert" role="alert" data-testid="problem">{problem_message(i18n, problem)}</p>
        }
        .into_any(),
    }
}

#[component]
fn Gone(i18n: I18nContext<Locale>) -> impl IntoView {
    view! {
        <section class="card" data-testid="gone">
            <h1>{t!(i18n, reveal_gone_heading)}</h1>
            <p>{t!(i18n, reveal_gone)}</p>
        </section>
    }
}

#[component]
pub(crate) fn Revealed(shown: Shown) -> impl IntoView {
    let i18n = use_i18n();
    let Shown {
        text,
        image,
        image_refused,
        views_left,
        has_files: _,
    } = shown;
    let text_view = (!text.is_empty()).then(|| {
        let copy_text = Signal::derive({
            let text = text.clone();
            move || text.clone()
        });
        let label = Signal::derive(move || t_string!(i18n, reveal_copy_text).to_string());
        view! {
            <pre class="secret-text" data-testid="secret-text">{text}</pre>
            <div class="actions">
                <CopyButton text=copy_text label test_id="copy-text"/>
            </div>
        }
    });
    let image_view = image.map(|(url, kind)| {
        let file_name = format!("oncelink-image.{}", kind.extension());
        view! {
            <figure class="secret-image">
                <img src=url.clone() data-testid="secret-image" alt=move || t_string!(i18n, reveal_image_alt).to_string()/>
                <figcaption class="actions">
                    <a href=url.clone() target="_blank" rel="noopener noreferrer">{t!(i18n, reveal_open_full)}</a>
                    <a href=url download=file_name data-testid="download">{t!(i18n, reveal_download)}</a>
                </figcaption>
            </figure>
        }
    });
    view! {
        <section class="card" data-testid="revealed">
            <h1>{t!(i18n, reveal_done_heading)}</h1>
            {if views_left == 0 {
                view! { <p data-testid="views-left">{t!(i18n, reveal_done_hint)}</p> }.into_any()
            } else {
                view! { <p data-testid="views-left">{t!(i18n, reveal_views_left, count = move || views_left)}</p> }.into_any()
            }}
            {text_view}
            {image_view}
            {image_refused.then(|| view! {
                <p class="alert" role="alert" data-testid="image-refused">{t!(i18n, reveal_image_refused)}</p>
            })}
        </section>
    }
}

//! `/s/{alias}`: a secret is waiting; only the Reveal click consumes it.

use image_privacy::ImageType;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{Problem, problem_message};
use crate::api::{self, Availability, UiError};
use crate::components::{CopyButton, NeedsJavaScript};
use crate::i18n::{t, t_string, use_i18n};
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
struct Shown {
    text: String,
    image: Option<(String, ImageType)>,
}

#[derive(Clone, PartialEq)]
enum Phase {
    Waiting,
    Revealing,
    Shown(Shown),
    Gone,
    Damaged,
}

/// The reveal page.
#[component]
pub fn RevealPage() -> impl IntoView {
    let params = use_params_map();
    let alias = move || params.read().get("alias").unwrap_or_default();
    // Checked on the server without consuming anything: bots that fetch or render the page
    // see only this.
    let status = Resource::new(
        alias,
        |alias| async move { api::secret_status(alias).await },
    );
    let key = RwSignal::new(KeyState::Unchecked);
    let phase = RwSignal::new(Phase::Waiting);
    let problem = RwSignal::new(None::<Problem>);

    Effect::new(move |_| {
        let valid = client::parse_key(&browser::location_hash()).is_ok();
        key.set(if valid {
            KeyState::Valid
        } else {
            KeyState::Invalid
        });
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

    let reveal = move |_| {
        if phase.get_untracked() != Phase::Waiting {
            return;
        }
        // Check the key before any request: a bad link must not burn the secret.
        let Ok(master_key) = client::parse_key(&browser::location_hash()) else {
            key.set(KeyState::Invalid);
            return;
        };
        problem.set(None);
        phase.set(Phase::Revealing);
        let alias = alias();
        leptos::task::spawn_local(async move {
            match api::reveal_secret(alias).await {
                Ok(revealed) => match client::open(&master_key, &revealed.id, &revealed.payload) {
                    Ok(opened) => {
                        let image = opened.image.and_then(|(kind, bytes)| {
                            browser::object_url(&bytes, kind.mime()).map(|url| (url, kind))
                        });
                        browser::remove_fragment();
                        phase.set(Phase::Shown(Shown {
                            text: opened.text,
                            image,
                        }));
                    }
                    Err(_) => phase.set(Phase::Damaged),
                },
                Err(UiError::NotFound) => phase.set(Phase::Gone),
                Err(e) => {
                    // Nothing was consumed: let the recipient try again.
                    problem.set(Some(e.into()));
                    phase.set(Phase::Waiting);
                }
            }
        });
    };

    let i18n = use_i18n();
    let hydrated = use_context::<crate::Hydrated>();
    let waiting = move || {
        let busy = phase.get() == Phase::Revealing;
        view! {
            <section class="card" data-testid="waiting">
                <h1>{t!(i18n, reveal_heading)}</h1>
                <p>{t!(i18n, reveal_waiting)}</p>
                <NeedsJavaScript i18n hydrated/>
                {move || (key.get() == KeyState::Invalid).then(|| view! {
                    <p class="alert" role="alert" data-testid="key-problem">{t!(i18n, reveal_missing_key)}</p>
                })}
                {move || problem.get().map(|p| view! { <p class="alert" role="alert" data-testid="problem">{problem_message(i18n, p)}</p> })}
                <div class="actions">
                    <button
                        type="button"
                        class="primary"
                        data-testid="reveal"
                        on:click=reveal
                        disabled=move || key.get() != KeyState::Valid || busy
                    >
                        {t!(i18n, reveal_button)}
                    </button>
                    {busy.then(|| view! {
                        <span class="progress" role="status"><progress></progress>{t!(i18n, revealing)}</span>
                    })}
                </div>
            </section>
        }
    };

    view! {
        {move || match phase.get() {
            Phase::Waiting | Phase::Revealing => view! {
                <Suspense fallback=move || view! { <section class="card"><p>{t!(i18n, checking)}</p></section> }>
                    {move || status.get().map(|status| match status {
                        Ok(Availability::Waiting) => waiting().into_any(),
                        Ok(Availability::Gone) | Err(UiError::NotFound) => view! { <Gone i18n/> }.into_any(),
                        Err(e) => {
                            let problem = Problem::from(e);
                            view! { <section class="card"><p class="alert" role="alert">{problem_message(i18n, problem)}</p></section> }.into_any()
                        }
                    })}
                </Suspense>
            }
            .into_any(),
            Phase::Gone => view! { <Gone i18n/> }.into_any(),
            Phase::Damaged => view! {
                <section class="card" data-testid="damaged">
                    <h1>{t!(i18n, reveal_gone_heading)}</h1>
                    <p class="alert" role="alert">{t!(i18n, reveal_damaged)}</p>
                </section>
            }
            .into_any(),
            Phase::Shown(shown) => view! { <Revealed shown/> }.into_any(),
        }}
    }
}

#[component]
fn Gone(i18n: leptos_i18n::I18nContext<crate::i18n::Locale>) -> impl IntoView {
    view! {
        <section class="card" data-testid="gone">
            <h1>{t!(i18n, reveal_gone_heading)}</h1>
            <p>{t!(i18n, reveal_gone)}</p>
        </section>
    }
}

#[component]
fn Revealed(shown: Shown) -> impl IntoView {
    let i18n = use_i18n();
    let Shown { text, image } = shown;
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
            <p>{t!(i18n, reveal_done_hint)}</p>
            {text_view}
            {image_view}
        </section>
    }
}

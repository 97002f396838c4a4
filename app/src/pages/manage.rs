//! `/m/{alias}#{manage token}`: the sender's status of a secret and "Destroy now". The
//! token is in the fragment, so everything here happens after hydration.

use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_router::hooks::use_params_map;

use super::{Problem, problem_message};
use crate::api::{self, ManageSecretRequest, ManageState, ManageView};
use crate::components::NeedsJavaScript;
use crate::i18n::{t, use_i18n};
use crate::{browser, client};
use protocol::ErrorCode;

#[derive(Clone, PartialEq)]
enum Loaded {
    Loading,
    BadToken,
    WrongToken,
    Failed(Problem),
    Ready(ManageView),
}

/// The manage page.
#[component]
pub fn ManagePage() -> impl IntoView {
    let params = use_params_map();
    let alias = move || params.read_untracked().get("alias").unwrap_or_default();
    let loaded = RwSignal::new(Loaded::Loading);
    let busy = RwSignal::new(false);
    let i18n = use_i18n();
    let hydrated = use_context::<crate::Hydrated>();

    let load = move || {
        let Ok(token) = client::manage_proof(&browser::location_hash()) else {
            loaded.set(Loaded::BadToken);
            return;
        };
        let alias = alias();
        leptos::task::spawn_local(async move {
            loaded.set(
                match api::manage_status(ManageSecretRequest { alias, token }).await {
                    Ok(view) if view.state == ManageState::WrongToken => Loaded::WrongToken,
                    Ok(view) => Loaded::Ready(view),
                    Err(e)
                        if matches!(
                            e.code(),
                            ErrorCode::WrongManageToken
                                | ErrorCode::NotFound
                                | ErrorCode::InvalidReference
                        ) =>
                    {
                        Loaded::WrongToken
                    }
                    Err(e) => Loaded::Failed(e.into()),
                },
            );
        });
    };
    Effect::new(move |_| load());

    let destroy = move |_| {
        let Ok(token) = client::manage_proof(&browser::location_hash()) else {
            loaded.set(Loaded::BadToken);
            return;
        };
        busy.set(true);
        let alias = alias();
        leptos::task::spawn_local(async move {
            let outcome = api::destroy_secret(ManageSecretRequest { alias, token }).await;
            busy.set(false);
            match outcome {
                Ok(()) => load(),
                Err(e) if e.code() == ErrorCode::WrongManageToken => loaded.set(Loaded::WrongToken),
                Err(e) => loaded.set(Loaded::Failed(e.into())),
            }
        });
    };

    view! {
        <section class="card" data-testid="manage">
            <h1>{t!(i18n, manage_heading)}</h1>
            <NeedsJavaScript i18n hydrated/>
            {move || match loaded.get() {
                Loaded::Loading => None,
                Loaded::BadToken => Some(view! {
                    <p class="alert" role="alert" data-testid="manage-problem">{t!(i18n, manage_missing_token)}</p>
                }.into_any()),
                Loaded::WrongToken => Some(view! {
                    <p class="alert" role="alert" data-testid="manage-problem">{t!(i18n, manage_wrong_token)}</p>
                }.into_any()),
                Loaded::Failed(problem) => Some(view! {
                    <p class="alert" role="alert">{problem_message(i18n, problem)}</p>
                }.into_any()),
                Loaded::Ready(view) => {
                    let lang = move || i18n.get_locale().as_str();
                    let state = view.state;
                    let (used, max) = (view.views_used, view.max_views);
                    let times = view.opened_at.clone();
                    let expires = view.expires_at;
                    Some(view! {
                        <p class="state" data-testid="manage-state" data-state=format!("{state:?}").to_lowercase()>
                            {match state {
                                ManageState::Waiting => t!(i18n, manage_state_waiting).into_any(),
                                ManageState::Opened => t!(i18n, manage_state_opened).into_any(),
                                ManageState::Destroyed => t!(i18n, manage_state_destroyed).into_any(),
                                ManageState::Burned => t!(i18n, manage_state_burned).into_any(),
                                ManageState::Expired => t!(i18n, manage_state_expired).into_any(),
                                ManageState::WrongToken => t!(i18n, manage_wrong_token).into_any(),
                            }}
                        </p>
                        {(state != ManageState::Expired).then(|| view! {
                            <p data-testid="manage-views">{t!(i18n, manage_views, used = move || used, max = move || max)}</p>
                        })}
                        {(!times.is_empty()).then(|| view! {
                            <p>{t!(i18n, manage_opened_at)}</p>
                            <ul data-testid="manage-opened">
                                {times.iter().map(|&at| view! { <li>{move || browser::format_time(at, lang())}</li> }).collect_view()}
                            </ul>
                        })}
                        // Destroy stays offered while the secret can still be opened.
                        {(matches!(state, ManageState::Waiting | ManageState::Opened) && used < max).then(|| view! {
                            <p>{t!(i18n, result_expires, when = move || browser::format_time(expires, lang()))}</p>
                            <div class="actions">
                                <button type="button" class="danger" data-testid="destroy" on:click=destroy disabled=move || busy.get()>
                                    {t!(i18n, manage_destroy)}
                                </button>
                            </div>
                        })}
                    }.into_any())
                }
            }}
        </section>
    }
}

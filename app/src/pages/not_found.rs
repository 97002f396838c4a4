use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{t, use_i18n};

/// Shown for unknown paths, with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    crate::page_hydrated();
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h1>{t!(i18n, not_found_heading)}</h1>
            <p>{t!(i18n, not_found_text)}</p>
            <p><A href="/">{t!(i18n, home_link)}</A></p>
        </section>
    }
}

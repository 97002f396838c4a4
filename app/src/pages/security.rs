use leptos::prelude::*;

use crate::i18n::{t, use_i18n};

/// "How it works": what the server can and cannot see.
#[component]
pub fn SecurityPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card prose">
            <h1>{t!(i18n, security_heading)}</h1>
            <p>{t!(i18n, security_p1)}</p>
            <p>{t!(i18n, security_p2)}</p>
            <p>{t!(i18n, security_p3)}</p>
            <h2>{t!(i18n, security_can_heading)}</h2>
            <p>{t!(i18n, security_can)}</p>
            <h2>{t!(i18n, security_cannot_heading)}</h2>
            <p>{t!(i18n, security_cannot)}</p>
            <p class="note">{t!(i18n, security_tip)}</p>
        </section>
    }
}

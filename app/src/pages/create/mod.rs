//! `/`: write a secret, add an image, encrypt in the browser, get a link.
//!
//! The page switches between the [`editor`] and the [`result`]; the editor's parts share one
//! [`FormState`], and [`submit`] is the only place that calls `crate::client` and
//! `crate::api`.

mod editor;
mod files;
mod form;
mod image;
mod removed;
mod result;
mod submit;

use leptos::prelude::*;

use editor::Editor;
use form::{FormState, Phase};
use result::ResultView;

/// The create page.
#[component]
pub fn CreatePage() -> impl IntoView {
    let form = FormState::new();
    on_cleanup(move || form.clear_image());
    // Effects run once the page is hydrated: then, while the browser is idle, fetch the
    // chunks the next steps may need (image cleaner, Argon2id, QR code), so nobody waits.
    Effect::new(move |_| {
        request_idle_callback(|| {
            image::prefetch_cleaner();
            crate::client::prefetch_passphrase();
            crate::components::prefetch_qr();
        })
    });

    view! {
        {move || match form.phase.get() {
            Phase::Done(shared) => {
                view! { <ResultView shared on_new=move || form.phase.set(Phase::Editing)/> }
                    .into_any()
            }
            busy => view! { <Editor form busy=busy != Phase::Editing/> }.into_any(),
        }}
    }
}

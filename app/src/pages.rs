//! Pages.

use leptos::prelude::*;

use crate::client;

/// The home page.
#[component]
pub fn Home() -> impl IntoView {
    let result = RwSignal::new(None::<String>);
    let run = move |_| {
        let outcome = match client::self_test() {
            Ok(t) => format!(
                "ok: {} bytes sealed, opened to \"{}\"",
                t.payload_len, t.text
            ),
            Err(e) => format!("failed: {e}"),
        };
        result.set(Some(outcome));
    };
    view! {
        <h1>"oncelink"</h1>
        <p>"End-to-end encrypted, one-time sharing of secrets and images."</p>
        <button type="button" data-testid="self-test" on:click=run>
            "Run the encryption self-test"
        </button>
        <output data-testid="self-test-result">
            {move || result.get().unwrap_or_else(|| "not run yet".to_owned())}
        </output>
    }
}

/// Shown for unknown paths.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! { <h1>"Page not found"</h1> }
}

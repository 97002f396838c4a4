//! "This needs JavaScript", for browsers that never run the WASM.

use leptos::prelude::*;

use crate::Hydrated;
use crate::i18n::{Locale, t};
use leptos_i18n::I18nContext;

/// Rendered by the server and removed by hydration. The stylesheet keeps it invisible for
/// its first moments, so browsers with JavaScript do not flash it; without JavaScript it
/// appears. (A `<noscript>` would do the same in browsers, but not where scripts are merely
/// blocked, as in some automation and privacy tools.)
///
/// Takes the page's contexts as props: inside `<Suspense>` during hydration a context
/// lookup can come up empty (seen with Leptos 0.8.23).
#[component]
pub fn NeedsJavaScript(i18n: I18nContext<Locale>, hydrated: Option<Hydrated>) -> impl IntoView {
    move || {
        (!hydrated.is_some_and(|h| h.0.get())).then(|| {
            view! { <p class="alert js-note" data-testid="needs-js">{t!(i18n, reveal_noscript)}</p> }
        })
    }
}

//! The language selector.

use leptos::prelude::*;
use leptos_i18n::Locale as _;

use crate::i18n::{Locale, use_i18n};

/// Each language under its own name, so anyone can find theirs.
const LANGUAGES: [(Locale, &str); 6] = [
    (Locale::en, "English"),
    (Locale::zh, "中文"),
    (Locale::es, "Español"),
    (Locale::hi, "हिन्दी"),
    (Locale::ar, "العربية"),
    (Locale::pt, "Português"),
];

/// A `<select>` of the six languages; the choice is kept in a cookie. The page writes it
/// itself: leptos_i18n's cookie support would bring `leptos-use`'s cookie code, `time` and
/// `cookie` into the WASM (about 70 KB).
#[component]
pub fn LanguageSelect() -> impl IntoView {
    let i18n = use_i18n();
    let on_change = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if let Some((locale, _)) = LANGUAGES.iter().find(|(l, _)| l.as_str() == value) {
            i18n.set_locale(*locale);
            crate::browser::remember_language(locale.as_str());
        }
    };
    view! {
        <label class="lang">
            <span class="visually-hidden">{crate::i18n::t!(i18n, language_label)}</span>
            <select data-testid="language" on:change=on_change>
                {LANGUAGES
                    .iter()
                    .map(|(locale, name)| {
                        let code = locale.as_str();
                        let locale = *locale;
                        view! {
                            <option value=code lang=code selected=move || i18n.get_locale() == locale>
                                {*name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

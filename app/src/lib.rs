//! oncelink's user interface. Pages render on the server (`ssr`) and hydrate in the
//! browser (`hydrate`). All cryptography goes through [`client`], which wraps `crypto-core`;
//! all talk with the server goes through the server functions in [`api`].
// The server functions await the service's futures, whose layout is deeper than the default
// limit of 128 queries allows.
#![recursion_limit = "256"]
#![forbid(unsafe_code)]

pub mod api;
mod browser;
pub mod client;
mod components;
mod disk;
mod js_bytes;
mod net;
mod pages;
mod rest;
mod transfer;

// The build.rs code generation would cost minutes per clean build on 2 cores.
#[allow(deprecated)]
mod locales {
    leptos_i18n::load_locales!();
}
pub use locales::i18n;

/// The language codes the app is translated into (the server honours `?lng=` for these).
pub const LANGUAGES: [&str; 6] = ["en", "zh", "es", "hi", "ar", "pt"];

/// The cookie that keeps a visitor's language: leptos_i18n's name, which the i18n provider
/// reads on the server; the page writes it (`browser::remember_language`).
pub const LANGUAGE_COOKIE: &str = "i18n_pref_locale";

use i18n::*;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Link, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

/// The HTML document around the app, rendered on the server only. `lang` and `dir` on
/// `<html>` are set by the i18n provider.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                // `/pkg/oncelink.{hash}.css` in release builds (hash-files), so it can be cached for good.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: i18n, layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Set once the page is hydrated (see `page_hydrated`).
    provide_context(Hydrated(RwSignal::new(false)));
    view! {
        <I18nContextProvider>
            <Head/>
            <Router>
                <Layout>
                    // The sender's pages are WASM chunks of their own (`pages::routes`): a
                    // recipient downloads the reveal page, not the create page's image cleaner.
                    <Routes fallback=pages::NotFound>
                        <Route path=path!("") view={Lazy::<pages::routes::Create>::new()}/>
                        // Rendered whole before sending (no streamed fragments), so that the page says
                        // everything even without JavaScript, and bots see a finished page.
                        <Route
                            path=path!("/s/:alias")
                            view=pages::routes::reveal
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/m/:alias") view={Lazy::<pages::routes::Manage>::new()}/>
                        <Route path=path!("/security") view={Lazy::<pages::routes::Security>::new()}/>
                        <Route path=path!("/request") view={Lazy::<pages::routes::RequestNew>::new()}/>
                        <Route path=path!("/r/:alias") view={Lazy::<pages::routes::Answer>::new()}/>
                        <Route path=path!("/i/:alias") view={Lazy::<pages::routes::Inbox>::new()}/>
                    </Routes>
                </Layout>
            </Router>
        </I18nContextProvider>
    }
}

/// Whether the WASM has taken over the page (false on the server and without JavaScript).
#[derive(Clone, Copy)]
pub(crate) struct Hydrated(pub RwSignal<bool>);

/// Called in each page's view: once that page is hydrated, marks it so (the [`Hydrated`]
/// signal, and `data-hydrated` on `<body>` so tests can tell a working page from a
/// server-rendered one). Pages hydrate after their lazily loaded code arrives, so an effect
/// of the shell would run too early; an effect created here runs only after the page's own
/// hydration.
pub(crate) fn page_hydrated() {
    let hydrated = use_context::<Hydrated>();
    Effect::new(move |_| {
        if let Some(hydrated) = hydrated {
            hydrated.0.set(true);
        }
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
        // Decrypted files a closed or crashed tab left behind go now (`disk`).
        request_idle_callback(|| leptos::task::spawn_local(disk::clear_leftovers()));
    });
}

#[component]
fn Head() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml"/>
        <Meta name="referrer" content="no-referrer"/>
        <Meta name="robots" content="noindex"/>
        <Title text=move || format!("oncelink · {}", t_string!(i18n, tagline))/>
    }
}

#[component]
fn Layout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="skip" href="#content">{t!(i18n, skip_to_content)}</a>
        <header class="top">
            <A href="/" attr:class="brand">
                <span class="logo" aria-hidden="true"></span>
                "oncelink"
            </A>
            <nav>
                <A href="/request">{t!(i18n, nav_request)}</A>
                <A href="/security">{t!(i18n, nav_security)}</A>
            </nav>
            <components::LanguageSelect/>
        </header>
        <main id="content" tabindex="-1">{children()}</main>
        <footer class="foot">
            <p>{t!(i18n, footer)}</p>
        </footer>
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    fn locale(lang: &str) -> BTreeMap<String, String> {
        let path = format!("{}/../locales/{lang}.json", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Every language has every key, the same placeholders, and no English left over.
    #[test]
    fn every_locale_is_complete_and_translated() {
        let en = locale("en");
        assert!(en.len() > 50);
        for lang in super::LANGUAGES.iter().filter(|l| **l != "en") {
            let other = locale(lang);
            assert_eq!(
                other.keys().collect::<Vec<_>>(),
                en.keys().collect::<Vec<_>>(),
                "{lang}: keys differ from en"
            );
            for (key, english) in &en {
                let translated = &other[key];
                // Compass letters may be the same in Latin-script languages (N, S, E).
                if !key.starts_with("dir_") {
                    assert_ne!(translated, english, "{lang}.{key} is not translated");
                }
                for placeholder in [
                    "{{ kind }}",
                    "{{ size }}",
                    "{{ when }}",
                    "{{ place }}",
                    "{{ camera }}",
                    "{{ date }}",
                    "{{ software }}",
                ] {
                    assert_eq!(
                        english.contains(placeholder),
                        translated.contains(placeholder),
                        "{lang}.{key}: placeholder {placeholder}"
                    );
                }
            }
        }
    }
}

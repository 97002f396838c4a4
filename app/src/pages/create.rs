//! `/`: write a secret, add an image, encrypt in the browser, get a link.

use std::sync::Arc;

use image_privacy::{Findings, ImageType, MAX_IMAGE_BYTES};
use leptos::prelude::*;
use leptos_i18n::Locale as _;

use super::{Problem, problem_message};
use crate::components::{CopyButton, NeedsJavaScript, QrCode};
use crate::i18n::{t, t_string, use_i18n};
use crate::{api, browser, client};

/// An image the user chose, checked by content, with its metadata-free version.
#[derive(Clone)]
struct Chosen {
    original: Arc<Vec<u8>>,
    cleaned: Arc<Vec<u8>>,
    kind: ImageType,
    findings: Findings,
    preview_url: String,
}

impl Chosen {
    /// What gets encrypted: the cleaned image, unless the user asked for the original.
    fn bytes(&self, keep_original: bool) -> &[u8] {
        if keep_original {
            &self.original
        } else {
            &self.cleaned
        }
    }
}

/// A created link.
#[derive(Clone, PartialEq)]
struct Shared {
    link: String,
    manage_link: String,
    expires_at: u64,
}

#[derive(Clone, PartialEq)]
enum Phase {
    Editing,
    Encrypting,
    /// Percent sent.
    Uploading(u8),
    Done(Shared),
}

/// Expiry choices in seconds (24 hours preselected).
const EXPIRIES: [u64; 5] = [300, 3600, 86_400, 3 * 86_400, 7 * 86_400];
/// View limit choices (the server's maximum defaults to 10).
const VIEWS: [u32; 5] = [1, 2, 3, 5, 10];

/// The create page.
#[component]
pub fn CreatePage() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let image = RwSignal::new(None::<Chosen>);
    let problem = RwSignal::new(None::<Problem>);
    let ttl_seconds = RwSignal::new(86_400u64);
    let views = RwSignal::new(1u32);
    let passphrase = RwSignal::new(String::new());
    let phase = RwSignal::new(Phase::Editing);
    let keep_original = RwSignal::new(false);

    let clear_image = move || {
        if let Some(old) = image.get_untracked() {
            browser::revoke_object_url(&old.preview_url);
        }
        image.set(None);
    };
    on_cleanup(clear_image);

    view! {
        {move || match phase.get() {
            Phase::Done(shared) => {
                view! {
                    <ResultView shared on_new=move || phase.set(Phase::Editing)/>
                }
                    .into_any()
            }
            busy => {
                view! {
                    <Editor text image problem ttl_seconds views passphrase phase keep_original busy=busy != Phase::Editing clear_image/>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn Editor(
    text: RwSignal<String>,
    image: RwSignal<Option<Chosen>>,
    problem: RwSignal<Option<Problem>>,
    ttl_seconds: RwSignal<u64>,
    views: RwSignal<u32>,
    passphrase: RwSignal<String>,
    phase: RwSignal<Phase>,
    keep_original: RwSignal<bool>,
    busy: bool,
    clear_image: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let hydrated = use_context::<crate::Hydrated>();

    let accept_file = move |file: web_sys::File| {
        problem.set(None);
        // Refuse oversized files before reading them into memory.
        if file.size() > MAX_IMAGE_BYTES as f64 {
            problem.set(Some(Problem::TooBig));
            return;
        }
        leptos::task::spawn_local(async move {
            let Some(bytes) = browser::read_file(&file).await else {
                problem.set(Some(Problem::ReadFile));
                return;
            };
            // Checks the structure and strips identifying metadata, here in the browser.
            match image_privacy::clean(&bytes) {
                Ok(cleaned) => match browser::object_url(&cleaned.bytes, cleaned.kind.mime()) {
                    Some(preview_url) => {
                        clear_image();
                        keep_original.set(false);
                        image.set(Some(Chosen {
                            original: Arc::new(bytes),
                            cleaned: Arc::new(cleaned.bytes),
                            kind: cleaned.kind,
                            findings: cleaned.findings,
                            preview_url,
                        }));
                    }
                    None => problem.set(Some(Problem::ReadFile)),
                },
                Err(e) => problem.set(Some(e.into())),
            }
        });
    };

    let on_file_input = move |ev: leptos::ev::Event| {
        if let Some(input) = browser::input_of(&ev) {
            if let Some(file) = browser::first_file(input.files()) {
                accept_file(file);
            }
            // Let the same file be chosen again after a removal.
            input.set_value("");
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(file) = browser::first_file(ev.data_transfer().and_then(|d| d.files())) {
            accept_file(file);
        }
    };
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        if let Some(file) = browser::first_file(ev.clipboard_data().and_then(|d| d.files())) {
            ev.prevent_default();
            accept_file(file);
        }
    };

    let create = move |_| {
        if phase.get_untracked() != Phase::Editing {
            return;
        }
        let chosen = image.get_untracked();
        let keep = keep_original.get_untracked();
        let secret_text = text.get_untracked();
        if secret_text.is_empty() && chosen.is_none() {
            problem.set(Some(Problem::Empty));
            return;
        }
        problem.set(None);
        phase.set(Phase::Encrypting);
        let ttl = ttl_seconds.get_untracked();
        let max_views = views.get_untracked();
        let secret_passphrase = passphrase.get_untracked();
        let lang = i18n.get_locale_untracked().as_str();
        leptos::task::spawn_local(async move {
            browser::next_frame().await;
            let sealed = client::seal_new(
                &secret_text,
                chosen.as_ref().map(|c| (c.kind, c.bytes(keep))),
                (!secret_passphrase.is_empty()).then_some(secret_passphrase.as_str()),
            )
            .await;
            let Ok(mut sealed) = sealed else {
                problem.set(Some(Problem::Generic));
                phase.set(Phase::Editing);
                return;
            };
            phase.set(Phase::Uploading(0));
            let payload = std::mem::take(&mut sealed.payload);
            let on_progress = move |sent: f64| {
                // Whole percents, so the page re-renders at most a hundred times.
                let percent = (sent * 100.0).clamp(0.0, 100.0) as u8;
                if phase.get_untracked() != Phase::Uploading(percent) {
                    phase.set(Phase::Uploading(percent));
                }
            };
            let args = api::CreateSecret {
                request: api::CreateSecretRequest {
                    id: sealed.id.to_string(),
                    payload,
                    ttl_seconds: ttl,
                    max_views,
                    access_verifier: sealed.access_verifier.clone(),
                    passphrase_verifier: sealed.passphrase_verifier.clone(),
                    manage_verifier: sealed.manage_verifier.clone(),
                },
            };
            let created = api::create_secret_with_progress(args, on_progress).await;
            match created {
                Ok(created) => {
                    match sealed.links(&browser::location_origin(), &created.alias, lang) {
                        Some(links) => {
                            // The plaintext has done its job: drop it from the page.
                            text.set(String::new());
                            passphrase.set(String::new());
                            clear_image();
                            phase.set(Phase::Done(Shared {
                                link: links.share,
                                manage_link: links.manage,
                                expires_at: created.expires_at,
                            }));
                        }
                        None => {
                            problem.set(Some(Problem::Generic));
                            phase.set(Phase::Editing);
                        }
                    }
                }
                Err(e) => {
                    problem.set(Some(e.into()));
                    phase.set(Phase::Editing);
                }
            }
        });
    };

    view! {
        <section class="card" on:paste=on_paste>
            <h1>{t!(i18n, create_heading)}</h1>
            <p class="intro">{t!(i18n, create_intro)}</p>
            <NeedsJavaScript i18n hydrated/>

            <label for="secret-text" class="field-label">{t!(i18n, secret_label)}</label>
            // No `name` attribute anywhere: even without JavaScript nothing could be submitted.
            <textarea
                id="secret-text"
                data-testid="secret-text"
                rows="6"
                autocomplete="off"
                spellcheck="false"
                placeholder=move || t_string!(i18n, secret_placeholder).to_string()
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                disabled=busy
            ></textarea>

            <fieldset class="image-field">
                <legend class="field-label">{t!(i18n, image_label)}</legend>
                {move || match image.get() {
                    Some(chosen) => {
                        let kind = kind_name(chosen.kind);
                        let size = human_size(chosen.cleaned.len());
                        let findings = chosen.findings.clone();
                        view! {
                            <div class="preview" data-testid="image-preview">
                                <img src=chosen.preview_url.clone() alt=move || t_string!(i18n, image_preview_alt).to_string()/>
                                <p data-testid="image-summary">{t!(i18n, image_summary, kind = move || kind, size = move || size.clone())}</p>
                                <RemovedSummary findings/>
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        data-testid="keep-original"
                                        prop:checked=move || keep_original.get()
                                        on:change=move |ev| keep_original.set(event_target_checked(&ev))
                                        disabled=busy
                                    />
                                    {t!(i18n, keep_original)}
                                </label>
                                {move || keep_original.get().then(|| view! {
                                    <p class="alert" role="alert" data-testid="keep-original-warning">{t!(i18n, keep_original_warning)}</p>
                                })}
                                <button
                                    type="button"
                                    class="secondary"
                                    data-testid="remove-image"
                                    on:click=move |_| clear_image()
                                    disabled=busy
                                >
                                    {t!(i18n, image_remove)}
                                </button>
                            </div>
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <div
                                class="dropzone"
                                data-testid="dropzone"
                                on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
                                on:drop=on_drop
                            >
                                <p>
                                    {t!(i18n, image_drop)} " "
                                    <label class="file-label">
                                        <input
                                            type="file"
                                            class="visually-hidden"
                                            data-testid="image-input"
                                            accept="image/jpeg,image/png,image/gif,image/webp"
                                            on:change=on_file_input
                                            disabled=busy
                                        />
                                        <span class="link-like">{t!(i18n, image_choose)}</span>
                                    </label>
                                </p>
                                <p class="hint">{t!(i18n, image_types)}</p>
                            </div>
                        }
                            .into_any()
                    }
                }}
            </fieldset>

            <div class="row">
                <label for="expiry" class="field-label">{t!(i18n, expiry_label)}</label>
                <select
                    id="expiry"
                    data-testid="expiry"
                    disabled=busy
                    on:change=move |ev| {
                        if let Ok(seconds) = event_target_value(&ev).parse::<u64>() {
                            ttl_seconds.set(seconds);
                        }
                    }
                >
                    {EXPIRIES
                        .iter()
                        .map(|&seconds| {
                            view! {
                                <option value=seconds.to_string() selected=move || ttl_seconds.get() == seconds>
                                    {move || expiry_label(seconds)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <label for="views" class="field-label">{t!(i18n, views_label)}</label>
                <select
                    id="views"
                    data-testid="views"
                    disabled=busy
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                            views.set(n);
                        }
                    }
                >
                    {VIEWS
                        .iter()
                        .map(|&n| {
                            view! {
                                <option value=n.to_string() selected=move || views.get() == n>
                                    {if n == 1 {
                                        t!(i18n, views_once).into_any()
                                    } else {
                                        t!(i18n, views_many, count = move || n).into_any()
                                    }}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>

            <label for="passphrase" class="field-label">{t!(i18n, passphrase_label)}</label>
            <input
                id="passphrase"
                data-testid="passphrase"
                type="password"
                autocomplete="new-password"
                prop:value=move || passphrase.get()
                on:input=move |ev| passphrase.set(event_target_value(&ev))
                disabled=busy
            />
            <p class="hint">{t!(i18n, passphrase_hint)}</p>

            {move || problem.get().map(|p| view! { <p class="alert" role="alert" data-testid="problem">{problem_message(i18n, p)}</p> })}

            <div class="actions">
                <button type="button" class="primary" data-testid="create" on:click=create disabled=busy aria-busy=busy.to_string()>
                    {t!(i18n, create_button)}
                </button>
                {move || match phase.get() {
                    Phase::Encrypting => Some(view! { <Progress label=t_string!(i18n, creating_encrypting).to_string()/> }.into_any()),
                    Phase::Uploading(percent) => Some(view! {
                        <span class="progress" role="status" data-testid="progress">
                            <progress max="100" value=percent></progress>
                            {t!(i18n, creating_uploading)} " " {percent} "%"
                        </span>
                    }.into_any()),
                    _ => None,
                }}
            </div>
        </section>
    }
}

/// What was removed from the image, in the user's language.
#[component]
fn RemovedSummary(findings: Findings) -> impl IntoView {
    let i18n = use_i18n();
    if findings.is_empty() {
        return view! { <p class="removed" data-testid="removed">{t!(i18n, removed_nothing)}</p> }
            .into_any();
    }
    let lang = move || i18n.get_locale().as_str();
    let mut items: Vec<AnyView> = Vec::new();
    match findings.location {
        Some(at) => {
            let place = move || {
                let (ns, ew) = (
                    if at.latitude >= 0.0 {
                        t_string!(i18n, dir_north)
                    } else {
                        t_string!(i18n, dir_south)
                    },
                    if at.longitude >= 0.0 {
                        t_string!(i18n, dir_east)
                    } else {
                        t_string!(i18n, dir_west)
                    },
                );
                format!(
                    "{:.2}° {ns}, {:.2}° {ew}",
                    at.latitude.abs(),
                    at.longitude.abs()
                )
            };
            items.push(t!(i18n, removed_location, place).into_any());
        }
        None if findings.has_location => items.push(t!(i18n, removed_location_plain).into_any()),
        None => {}
    }
    if let Some(camera) = findings.camera.clone() {
        items.push(t!(i18n, removed_camera, camera = move || camera.clone()).into_any());
    }
    if findings.serial_number {
        items.push(t!(i18n, removed_serial).into_any());
    }
    match findings.date_taken {
        Some(d) => {
            let date = move || browser::format_date(d.year, d.month, d.day, lang());
            items.push(t!(i18n, removed_date, date).into_any());
        }
        None if findings.has_dates => items.push(t!(i18n, removed_dates).into_any()),
        None => {}
    }
    if let Some(software) = findings.software.clone() {
        items.push(t!(i18n, removed_software, software = move || software.clone()).into_any());
    }
    if findings.author.is_some() {
        items.push(t!(i18n, removed_author).into_any());
    }
    if findings.text {
        items.push(t!(i18n, removed_text).into_any());
    }
    if findings.thumbnail {
        items.push(t!(i18n, removed_thumbnail).into_any());
    }
    if findings.other {
        items.push(t!(i18n, removed_other).into_any());
    }
    view! {
        <div class="removed" data-testid="removed">
            <p>{t!(i18n, removed_heading)}</p>
            <ul>{items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}</ul>
        </div>
    }
    .into_any()
}

#[component]
fn Progress(label: String) -> impl IntoView {
    view! {
        <span class="progress" role="status" data-testid="progress">
            <progress></progress>
            {label}
        </span>
    }
}

#[component]
fn ResultView(shared: Shared, on_new: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let link = shared.link.clone();
    let expires = move || browser::format_time(shared.expires_at, i18n.get_locale().as_str());
    let copy_label = Signal::derive(move || t_string!(i18n, result_copy).to_string());
    let link_signal = Signal::derive({
        let link = link.clone();
        move || link.clone()
    });
    let manage = shared.manage_link.clone();
    let manage_signal = Signal::derive({
        let manage = manage.clone();
        move || manage.clone()
    });
    let copy_manage_label = Signal::derive(move || t_string!(i18n, result_copy_manage).to_string());
    view! {
        <section class="card result" data-testid="result">
            <h1>{t!(i18n, result_heading)}</h1>
            <p>{t!(i18n, result_hint)}</p>
            <label for="secret-link" class="field-label">{t!(i18n, result_link_label)}</label>
            <div class="link-row">
                <input
                    id="secret-link"
                    data-testid="link"
                    type="text"
                    readonly
                    dir="ltr"
                    prop:value=link.clone()
                    on:focus=|ev| {
                        if let Some(input) = browser::input_of(&ev) {
                            input.select();
                        }
                    }
                />
                <CopyButton text=link_signal label=copy_label test_id="copy-link"/>
            </div>
            <QrCode text=link label=t_string!(i18n, result_qr_label).to_string()/>
            <p data-testid="expires">{t!(i18n, result_expires, when = expires)}</p>
            <label for="manage-link" class="field-label">{t!(i18n, result_manage_label)}</label>
            <p class="hint">{t!(i18n, result_manage_hint)}</p>
            <div class="link-row">
                <input
                    id="manage-link"
                    data-testid="manage-link"
                    type="text"
                    readonly
                    dir="ltr"
                    prop:value=manage.clone()
                />
                <CopyButton text=manage_signal label=copy_manage_label test_id="copy-manage-link"/>
            </div>
            <button type="button" class="secondary" data-testid="new-secret" on:click=move |_| on_new()>
                {t!(i18n, result_new)}
            </button>
        </section>
    }
}

fn expiry_label(seconds: u64) -> String {
    let i18n = use_i18n();
    match seconds {
        300 => t_string!(i18n, expiry_5m).to_string(),
        3600 => t_string!(i18n, expiry_1h).to_string(),
        259_200 => t_string!(i18n, expiry_72h).to_string(),
        604_800 => t_string!(i18n, expiry_7d).to_string(),
        _ => t_string!(i18n, expiry_24h).to_string(),
    }
}

fn kind_name(kind: ImageType) -> &'static str {
    match kind {
        ImageType::Jpeg => "JPEG",
        ImageType::Png => "PNG",
        ImageType::Gif => "GIF",
        ImageType::Webp => "WebP",
    }
}

/// Sizes in kB/MB with one decimal, as file managers show them.
fn human_size(bytes: usize) -> String {
    let bytes = bytes as f64;
    if bytes >= 1_000_000.0 {
        format!("{:.1} MB", bytes / 1_000_000.0)
    } else {
        format!("{:.0} kB", (bytes / 1000.0).max(1.0))
    }
}

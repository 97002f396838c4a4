//! The image field: choose, drop or paste an image. It is checked by content and cleaned
//! of identifying metadata here, in the browser, then previewed with what was removed.

use std::sync::Arc;

use image_privacy::{Findings, ImageType, MAX_IMAGE_BYTES};
use leptos::prelude::*;

use super::form::FormState;
use super::removed::RemovedSummary;
use crate::browser;
use crate::i18n::{t, t_string, use_i18n};
use crate::pages::{Problem, human_size};

/// An image the user chose, checked by content, with its metadata-free version.
#[derive(Clone)]
pub(super) struct Chosen {
    original: Arc<Vec<u8>>,
    cleaned: Arc<Vec<u8>>,
    /// The format, found from the content.
    pub kind: ImageType,
    findings: Findings,
    /// The `blob:` URL of the cleaned image's preview (revoked by `FormState::clear_image`).
    pub preview_url: String,
}

impl Chosen {
    /// What gets encrypted: the cleaned image, unless the user asked for the original.
    pub fn bytes(&self, keep_original: bool) -> &[u8] {
        if keep_original {
            &self.original
        } else {
            &self.cleaned
        }
    }
}

/// Reads, checks and cleans a chosen, dropped or pasted file into the form.
pub(super) fn accept_file(form: FormState, file: web_sys::File) {
    form.problem.set(None);
    // Refuse oversized files before reading them into memory.
    if file.size() > MAX_IMAGE_BYTES as f64 {
        form.problem.set(Some(Problem::TooBig));
        return;
    }
    leptos::task::spawn_local(async move {
        let Some(bytes) = browser::read_file(&file).await else {
            form.problem.set(Some(Problem::ReadFile));
            return;
        };
        // Checks the structure and strips identifying metadata, here in the browser (the
        // cleaner's code arrives with the first image, or earlier when the page was idle).
        let bytes = Arc::new(bytes);
        match clean_image(bytes.clone()).await {
            Ok(cleaned) => match browser::object_url(&cleaned.bytes, cleaned.kind.mime()) {
                Some(preview_url) => {
                    form.clear_image();
                    form.keep_original.set(false);
                    form.image.set(Some(Chosen {
                        original: bytes,
                        cleaned: Arc::new(cleaned.bytes),
                        kind: cleaned.kind,
                        findings: cleaned.findings,
                        preview_url,
                    }));
                }
                None => form.problem.set(Some(Problem::ReadFile)),
            },
            Err(e) => form.problem.set(Some(e.into())),
        }
    });
}

/// `image_privacy::clean`, in a WASM chunk of its own: a page that never gets an image
/// never downloads the cleaner.
#[lazy]
pub(super) fn clean_image(
    bytes: Arc<Vec<u8>>,
) -> Result<image_privacy::Cleaned, image_privacy::ImageError> {
    image_privacy::clean(&bytes)
}

/// Cleans a HEIC/HEIF photo (an iPhone's) chosen among the files: a chunk of its own, as the
/// image cleaner.
#[lazy]
pub(super) fn clean_heic(
    bytes: Arc<Vec<u8>>,
) -> Result<image_privacy::CleanedHeif, image_privacy::ImageError> {
    image_privacy::clean_heif(&bytes)
}

/// Cleans a Word, Excel or PowerPoint document chosen among the files: a chunk of its own (it
/// carries the zip reader and writer).
#[lazy]
pub(super) fn clean_document(
    bytes: Arc<Vec<u8>>,
) -> Result<image_privacy::CleanedOffice, image_privacy::ImageError> {
    image_privacy::clean_office(&bytes)
}

/// Cleans a PDF chosen among the files: a chunk of its own (it carries the PDF parser).
#[lazy]
pub(super) fn clean_pdf_file(
    bytes: Arc<Vec<u8>>,
) -> Result<image_privacy::CleanedPdf, image_privacy::ImageError> {
    image_privacy::clean_pdf(&bytes)
}

/// Fetches the image cleaner's chunk when the browser is idle, so that choosing an image
/// does not wait for it.
pub(super) fn prefetch_cleaner() {
    let _loaded = lazy_preload!(clean_image);
}

/// The image fieldset: a drop zone with a file picker, or the chosen image's preview.
#[component]
pub(super) fn ImageField(form: FormState, busy: bool) -> impl IntoView {
    let i18n = use_i18n();
    let keep_original = form.keep_original;

    let on_file_input = move |ev: leptos::ev::Event| {
        if let Some(input) = browser::input_of(&ev) {
            if let Some(file) = browser::first_file(input.files()) {
                accept_file(form, file);
            }
            // Let the same file be chosen again after a removal.
            input.set_value("");
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(file) = browser::first_file(ev.data_transfer().and_then(|d| d.files())) {
            accept_file(form, file);
        }
    };

    view! {
        <fieldset class="image-field">
            <legend class="field-label">{t!(i18n, image_label)}</legend>
            {move || match form.image.get() {
                Some(chosen) => {
                    let kind = kind_name(chosen.kind);
                    let size = human_size(chosen.cleaned.len() as u64);
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
                                on:click=move |_| form.clear_image()
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

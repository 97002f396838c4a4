//! The files field: choose or drop any files, within the server's limits (shown before the
//! user picks). Images among them, iPhone (HEIC) photos included, are cleaned of metadata
//! like the image field's, and so are PDFs and Word, Excel and PowerPoint documents; other
//! files go as they are, and the page says so.

use std::sync::Arc;

use image_privacy::{
    Findings, ImageType, MAX_HEIF_BYTES, MAX_IMAGE_BYTES, MAX_OFFICE_BYTES, MAX_PDF_BYTES,
};
use leptos::prelude::*;
use protocol::rest::FilesInfo;

use super::form::FormState;
use super::image::{clean_document, clean_heic, clean_image, clean_pdf_file};
use super::removed::RemovedSummary;
use crate::browser;
use crate::i18n::{t, use_i18n};
use crate::pages::Problem;
use crate::pages::human_size;

/// What was done to a chosen file before it is sent.
#[derive(Clone)]
pub(super) enum Treatment {
    /// An image, cleaned like the image field's.
    Cleaned(Findings),
    /// Sent as it is: its own metadata is not removed.
    AsIs,
}

/// A file the user chose, as it will be sent.
#[derive(Clone)]
pub(super) struct ChosenFile {
    /// Tells the list's rows apart.
    pub key: u32,
    /// The name as the user's device gave it (sealed in the manifest, never sent in clear).
    pub name: String,
    /// The MIME type the browser gave (may be empty).
    pub mime: String,
    /// The bytes to send: the file itself, or the cleaned image.
    pub blob: send_wrapper::SendWrapper<web_sys::Blob>,
    /// Its length in bytes.
    pub size: u64,
    /// Cleaned, or as it is.
    pub treatment: Treatment,
    /// The file as chosen, with its type, when what is sent is a cleaned copy: sent instead
    /// when the user keeps the originals.
    pub original: Option<(send_wrapper::SendWrapper<web_sys::Blob>, u64, String)>,
}

/// Which cleaner a chosen file goes through, if any.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cleaner {
    Image,
    Pdf,
    Office,
    Heic,
}

/// The cleaner for a file, by the type the browser gave and its name (each cleaner then
/// decides by content), within that cleaner's size limit.
fn cleaner_for(name: &str, mime: &str, size: u64) -> Option<Cleaner> {
    let (cleaner, limit) = if ImageType::from_mime(mime).is_some() {
        (Cleaner::Image, MAX_IMAGE_BYTES)
    } else if looks_like_pdf(name, mime) {
        (Cleaner::Pdf, MAX_PDF_BYTES)
    } else if looks_like_office(name) {
        (Cleaner::Office, MAX_OFFICE_BYTES)
    } else if looks_like_heic(name, mime) {
        (Cleaner::Heic, MAX_HEIF_BYTES)
    } else {
        return None;
    };
    (size <= limit as u64).then_some(cleaner)
}

/// Runs a cleaner (each a WASM chunk of its own): the cleaned bytes, the type to send them
/// as when the cleaner knows it, and what was removed.
async fn clean_with(
    cleaner: Cleaner,
    bytes: Vec<u8>,
) -> Result<(Vec<u8>, Option<&'static str>, Findings), image_privacy::ImageError> {
    let bytes = Arc::new(bytes);
    Ok(match cleaner {
        Cleaner::Image => {
            let c = clean_image(bytes).await?;
            (c.bytes, Some(c.kind.mime()), c.findings)
        }
        Cleaner::Pdf => {
            let c = clean_pdf_file(bytes).await?;
            (c.bytes, Some(PDF), c.findings)
        }
        Cleaner::Office => {
            let c = clean_document(bytes).await?;
            (c.bytes, None, c.findings)
        }
        Cleaner::Heic => {
            let c = clean_heic(bytes).await?;
            (c.bytes, Some(HEIC), c.findings)
        }
    })
}

/// The type a cleaned HEIC photo is sent as.
const HEIC: &str = "image/heic";

/// The type a cleaned PDF is sent as.
const PDF: &str = "application/pdf";

/// Whether a chosen file may be a PDF (its content decides, in the cleaner).
fn looks_like_pdf(name: &str, mime: &str) -> bool {
    mime == PDF || name.to_ascii_lowercase().ends_with(".pdf")
}

/// Whether a chosen file may be a Word, Excel or PowerPoint document (its content decides, in
/// the cleaner).
fn looks_like_office(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".docx", ".xlsx", ".pptx", ".docm", ".xlsm", ".pptm"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Whether a chosen file may be a HEIC/HEIF photo (its content decides: [`image_privacy::is_heif`]).
fn looks_like_heic(name: &str, mime: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        mime,
        "image/heic" | "image/heif" | "image/heic-sequence" | "image/heif-sequence"
    ) || name.ends_with(".heic")
        || name.ends_with(".heif")
}

/// The server's limits of file data, from the page's `file_limits` call.
pub(super) type Limits = OnceResource<Result<Option<FilesInfo>, crate::api::UiError>>;

/// How many files, and how many sealed bytes, one secret may have here.
fn counts(info: &FilesInfo) -> (u32, u64) {
    // A server from before `max_files` was advertised keeps to the default.
    (info.max_files.unwrap_or(20), info.max_bytes)
}

/// Adds chosen or dropped files to the form, refusing at once (nothing added) if they would
/// pass the server's limits.
pub(super) fn add_files(form: FormState, list: web_sys::FileList, info: &FilesInfo) {
    form.problem.set(None);
    let chosen: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.item(i)).collect();
    let (max_files, max_bytes) = counts(info);
    let current = form.files.get_untracked();
    if current.len() + chosen.len() > max_files as usize {
        form.problem.set(Some(Problem::TooManyFiles(max_files)));
        return;
    }
    let sizes = current
        .iter()
        .map(|f| f.size)
        .chain(chosen.iter().map(|f| f.size() as u64));
    if crate::client::files::sealed_total(sizes) > max_bytes {
        form.problem.set(Some(Problem::FilesTooLarge));
        return;
    }
    leptos::task::spawn_local(async move {
        for file in chosen {
            let name = file.name();
            let mime = file.type_();
            let size = file.size() as u64;
            let blob: web_sys::Blob = file.into();
            let as_chosen = (
                send_wrapper::SendWrapper::new(blob.clone()),
                size,
                mime.clone(),
            );
            let entry = match cleaner_for(&name, &mime, size) {
                None => (blob, size, mime, Treatment::AsIs),
                Some(cleaner) => {
                    let Some(bytes) = browser::read_slice(&blob, 0, size).await else {
                        form.problem.set(Some(Problem::ReadFile));
                        continue;
                    };
                    match clean_with(cleaner, bytes).await {
                        Ok((bytes, cleaned_mime, findings)) => {
                            let mime = cleaned_mime.map_or(mime, str::to_owned);
                            let Some(blob) = browser::blob_of(&bytes, &mime) else {
                                form.problem.set(Some(Problem::ReadFile));
                                continue;
                            };
                            let size = bytes.len() as u64;
                            (blob, size, mime, Treatment::Cleaned(findings))
                        }
                        // Named like a document or a photo, but none by its content: it goes
                        // as it is (and the page says so).
                        Err(image_privacy::ImageError::NotAnImage) if cleaner != Cleaner::Image => {
                            (blob, size, mime, Treatment::AsIs)
                        }
                        // A document the cleaner cannot read is not called an image.
                        Err(
                            image_privacy::ImageError::Damaged
                            | image_privacy::ImageError::Truncated,
                        ) if cleaner != Cleaner::Image => {
                            form.problem.set(Some(Problem::DamagedDocument));
                            continue;
                        }
                        Err(e) => {
                            form.problem.set(Some(e.into()));
                            continue;
                        }
                    }
                }
            };
            let (blob, size, mime, treatment) = entry;
            let original = matches!(treatment, Treatment::Cleaned(_)).then_some(as_chosen);
            form.files.update(|files| {
                let key = files.iter().map(|f| f.key + 1).max().unwrap_or(0);
                files.push(ChosenFile {
                    key,
                    name,
                    mime,
                    blob: send_wrapper::SendWrapper::new(blob),
                    size,
                    treatment,
                    original,
                });
            });
        }
    });
}

/// The files fieldset: limits, a picker and drop zone, and the chosen files. Not shown
/// when the server takes no files.
#[component]
pub(super) fn FilesField(form: FormState, busy: bool, limits: Limits) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || match limits.get() {
                Some(Ok(Some(info))) => Some(view! { <FilesPicker form busy info/> }),
                _ => None,
            }}
        </Suspense>
    }
}

#[component]
fn FilesPicker(form: FormState, busy: bool, info: FilesInfo) -> impl IntoView {
    let i18n = use_i18n();
    let (count, bytes) = counts(&info);
    let size = human_size(crate::client::files::largest_content(bytes));
    let info = StoredValue::new(info);
    let on_input = move |ev: leptos::ev::Event| {
        if let Some(input) = browser::input_of(&ev) {
            if let Some(list) = input.files() {
                info.with_value(|info| add_files(form, list, info));
            }
            input.set_value("");
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if busy {
            return;
        }
        if let Some(list) = ev.data_transfer().and_then(|d| d.files()) {
            info.with_value(|info| add_files(form, list, info));
        }
    };
    view! {
        <fieldset class="files-field">
            <legend class="field-label">{t!(i18n, files_label)}</legend>
            <div
                class="dropzone"
                data-testid="files-dropzone"
                on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=on_drop
            >
                <p>
                    {t!(i18n, files_drop)} " "
                    <label class="file-label">
                        <input
                            type="file"
                            multiple
                            class="visually-hidden"
                            data-testid="files-input"
                            on:change=on_input
                            disabled=busy
                        />
                        <span class="link-like">{t!(i18n, files_choose)}</span>
                    </label>
                </p>
                <p class="hint" data-testid="files-limits">
                    {t!(i18n, files_limits, count = move || count, size = move || size.clone())}
                </p>
                <p class="hint">{t!(i18n, files_as_is_hint)}</p>
            </div>
            <ul class="file-list" data-testid="file-list">
                <For each=move || form.files.get() key=|f| f.key let:file>
                    <FileRow form file busy/>
                </For>
            </ul>
            // As for the image: the originals only on request, with a warning.
            {move || form.files.with(|files| files.iter().any(|f| f.original.is_some())).then(|| {
                let keep = form.keep_files_original;
                view! {
                    <label class="check">
                        <input
                            type="checkbox"
                            data-testid="keep-original-files"
                            prop:checked=move || keep.get()
                            on:change=move |ev| keep.set(event_target_checked(&ev))
                            disabled=busy
                        />
                        {t!(i18n, keep_original_files)}
                    </label>
                    {move || keep.get().then(|| view! {
                        <p class="alert" role="alert" data-testid="keep-original-files-warning">{t!(i18n, keep_original_files_warning)}</p>
                    })}
                }
            })}
        </fieldset>
    }
}

#[component]
fn FileRow(form: FormState, file: ChosenFile, busy: bool) -> impl IntoView {
    let i18n = use_i18n();
    let key = file.key;
    let size = human_size(file.size);
    let note = match file.treatment {
        Treatment::Cleaned(findings) => view! { <RemovedSummary findings file=true/> }.into_any(),
        Treatment::AsIs => {
            view! { <p class="hint" data-testid="file-as-is">{t!(i18n, files_as_is)}</p> }
                .into_any()
        }
    };
    view! {
        <li class="file-row" data-testid="file-row">
            <bdi class="file-name" translate="no">{file.name}</bdi>
            " "
            <span class="file-size">{size}</span>
            <button
                type="button"
                class="secondary small"
                data-testid="remove-file"
                on:click=move |_| form.files.update(|files| files.retain(|f| f.key != key))
                disabled=busy
            >
                {t!(i18n, files_remove)}
            </button>
            {note}
        </li>
    }
}

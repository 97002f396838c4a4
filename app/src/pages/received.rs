//! A revealed secret's files: received one after the other as soon as the secret is
//! revealed (inside the claim's window), decrypted to the browser's private storage as
//! they arrive, then saved by the recipient (small images previewed once checked). The
//! claim is confirmed — and the server deletes the data — only once every file has arrived
//! whole, and only while the page is still open.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use image_privacy::{ImageType, MAX_IMAGE_BYTES};
use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::client::files::{FileEntry, stream_offsets};
use crate::disk::{DiskProblem, PageFiles, Saved};
use crate::i18n::{t, use_i18n};
use crate::transfer::download::{self, Claim, DownloadProblem};
use crate::{api, browser};

/// Where one file stands.
#[derive(Clone, PartialEq)]
enum State {
    Waiting,
    Receiving(u64),
    Ready(Saved),
    Failed(DownloadProblem),
}

/// A preview: an object URL of a checked image, or of a PDF for the browser's viewer.
#[derive(Clone, PartialEq)]
enum Preview {
    Image(String),
    Pdf(String),
}

impl Preview {
    fn url(&self) -> &str {
        match self {
            Preview::Image(url) | Preview::Pdf(url) => url,
        }
    }
}

/// The pause between two files of "Save all".
const SAVE_ALL_PAUSE_MS: i32 = 400;

/// The largest PDF the page shows inline (the browser's viewer reads it whole).
const PDF_PREVIEW_BYTES: u64 = 20 * 1024 * 1024;

/// One file as the page shows it.
#[derive(Clone)]
struct Row {
    index: usize,
    /// The name as it is shown and saved (`FileEntry::safe_name`).
    name: String,
    mime: String,
    size: u64,
    state: RwSignal<State>,
    /// What the page shows of the file, when it previews it.
    preview: RwSignal<Option<Preview>>,
}

/// The files of a revealed secret; starts receiving them at once.
#[component]
pub(super) fn ReceivedFiles(files: Vec<FileEntry>, claim: Claim) -> impl IntoView {
    let i18n = use_i18n();
    let rows: Vec<Row> = files
        .iter()
        .enumerate()
        .map(|(index, f)| Row {
            index,
            name: f.safe_name(),
            mime: f.mime().to_owned(),
            size: f.size(),
            state: RwSignal::new(State::Waiting),
            preview: RwSignal::new(None),
        })
        .collect();
    let page = PageFiles::new();
    // Off once the page is gone: nothing is written, shown or confirmed after that.
    let alive = Arc::new(AtomicBool::new(true));
    let task_rows = rows.clone();
    let task_page = page.clone();
    let task_alive = alive.clone();
    leptos::task::spawn_local(async move {
        let offsets = stream_offsets(&files);
        let is_alive = move || task_alive.load(Ordering::SeqCst);
        let mut all = true;
        for (row, entry) in task_rows.iter().zip(&files) {
            let state = row.state;
            state.try_set(State::Receiving(0));
            let on_progress = move |bytes| {
                state.try_set(State::Receiving(bytes));
            };
            let fetched = download::fetch_file(
                &claim,
                entry,
                row.index,
                offsets[row.index],
                &task_page,
                on_progress,
                is_alive.clone(),
            )
            .await;
            match fetched {
                Ok(saved) => {
                    preview(row, &saved).await;
                    state.try_set(State::Ready(saved));
                }
                Err(problem) => {
                    all = false;
                    state.try_set(State::Failed(problem));
                }
            }
        }
        if all && is_alive() {
            api::confirm_delivered(claim.alias.clone(), claim.claim.clone()).await;
        }
    });
    // The decrypted files leave the browser's storage with the page: on cleanup, and on
    // `pagehide` in case the tab is closed (a crash is caught by `disk::clear_leftovers`).
    let on_hide = {
        let page = SendWrapper::new(page.clone());
        window_event_listener(leptos::ev::pagehide, move |_| {
            let page = (*page).clone();
            leptos::task::spawn_local(async move { page.delete().await });
        })
    };
    let urls = SendWrapper::new(rows.clone());
    let page = SendWrapper::new(page);
    on_cleanup(move || {
        alive.store(false, Ordering::SeqCst);
        on_hide.remove();
        for row in urls.iter() {
            if let Some(State::Ready(saved)) = row.state.try_get_untracked() {
                browser::revoke_object_url(&saved.url);
            }
            if let Some(Some(preview)) = row.preview.try_get_untracked() {
                browser::revoke_object_url(preview.url());
            }
        }
        let page = (*page).clone();
        leptos::task::spawn_local(async move { page.delete().await });
    });
    let save_all = {
        let rows = rows.clone();
        move |_| {
            let ready: Vec<(String, String)> = rows
                .iter()
                .filter_map(|row| match row.state.get_untracked() {
                    State::Ready(saved) => Some((saved.url, row.name.clone())),
                    _ => None,
                })
                .collect();
            // One after another: a browser drops downloads started in the same instant.
            leptos::task::spawn_local(async move {
                for (i, (url, name)) in ready.iter().enumerate() {
                    if i > 0 {
                        browser::sleep_ms(SAVE_ALL_PAUSE_MS).await;
                    }
                    browser::save_url(url, name);
                }
            });
        }
    };
    let many = rows.len() > 1;
    view! {
        <section class="card received-files" data-testid="received-files">
            <h2>{t!(i18n, reveal_files_heading)}</h2>
            <p class="hint">{t!(i18n, reveal_files_note)}</p>
            <ul class="file-list">
                {rows.into_iter().map(|row| view! { <FileRow row/> }).collect_view()}
            </ul>
            {many.then(|| view! {
                <div class="actions">
                    <button type="button" class="secondary" data-testid="save-all" on:click=save_all>
                        {t!(i18n, reveal_files_save_all)}
                    </button>
                </div>
            })}
        </section>
    }
}

/// Sets the row's preview if the page shows the file: an image declared as one, within the
/// image field's size, checked by content and declared dimensions (`image_privacy::inspect`)
/// before any decoder sees it; or a PDF declared as one that starts like one, up to
/// [`PDF_PREVIEW_BYTES`], where the browser has a PDF viewer. Anything else is only saved.
async fn preview(row: &Row, saved: &Saved) {
    if ImageType::from_mime(&row.mime).is_some() && row.size <= MAX_IMAGE_BYTES as u64 {
        let Some(bytes) = browser::read_slice(&saved.blob, 0, row.size).await else {
            return;
        };
        if let Ok(declared) = image_privacy::inspect(&bytes)
            && let Some(url) = browser::object_url(&bytes, declared.kind.mime())
        {
            row.preview.try_set(Some(Preview::Image(url)));
        }
    } else if row.mime == "application/pdf"
        && row.size <= PDF_PREVIEW_BYTES
        && browser::shows_pdfs()
        && browser::read_slice(&saved.blob, 0, 5u64.min(row.size))
            .await
            .as_deref()
            == Some(b"%PDF-")
        && let Some(url) = browser::retyped_url(&saved.blob, "application/pdf")
    {
        row.preview.try_set(Some(Preview::Pdf(url)));
    }
}

#[component]
fn FileRow(row: Row) -> impl IntoView {
    let i18n = use_i18n();
    let Row {
        index,
        name,
        mime,
        size,
        state,
        preview,
    } = row;
    let size_text = crate::pages::human_size(size);
    let shown = name.clone();
    let pdf_title = name.clone();
    let status = move || {
        match state.get() {
        State::Waiting => view! { <span class="hint">{t!(i18n, reveal_file_waiting)}</span> }.into_any(),
        State::Receiving(bytes) => {
            let percent = if size == 0 { 100.0 } else { bytes as f64 / size as f64 * 100.0 };
            view! {
                <progress max="100" value=percent data-testid="file-progress"></progress>
                <span class="hint">{t!(i18n, reveal_file_receiving)}</span>
            }
            .into_any()
        }
        State::Ready(saved) => {
            let url = saved.url.clone();
            let name = name.clone();
            let pdf_title = pdf_title.clone();
            view! {
                <button type="button" class="secondary small" data-testid="save-file"
                    on:click=move |_| browser::save_url(&url, &name)>
                    {t!(i18n, reveal_file_save)}
                </button>
                {move || preview.get().map(|preview| match preview {
                    Preview::Image(url) => view! {
                        <img class="file-preview" src=url alt="" data-testid="file-preview"/>
                    }.into_any(),
                    Preview::Pdf(url) => view! {
                        <iframe class="file-preview-pdf" src=url title=pdf_title.clone() data-testid="file-preview-pdf"></iframe>
                    }.into_any(),
                })}
            }
            .into_any()
        }
        State::Failed(problem) => view! {
            <p class="alert" role="alert" data-testid="file-problem">{match problem {
                DownloadProblem::Gone => t!(i18n, reveal_file_gone).into_any(),
                DownloadProblem::Damaged => t!(i18n, reveal_file_damaged).into_any(),
                DownloadProblem::Disk(DiskProblem::TooLargeForMemory) => t!(i18n, reveal_file_too_large_memory).into_any(),
                DownloadProblem::Disk(DiskProblem::Write) => t!(i18n, reveal_file_disk).into_any(),
                DownloadProblem::Network | DownloadProblem::Stopped => t!(i18n, reveal_file_network).into_any(),
            }}</p>
        }
        .into_any(),
    }
    };
    view! {
        <li class="file-row" data-testid="received-file" data-index=index>
            <bdi class="file-name" translate="no" data-testid="received-name">{shown}</bdi>
            " "
            <span class="file-size">{size_text}</span>
            " "
            <bdi class="file-type hint" translate="no">{mime}</bdi>
            <div class="file-status">{status}</div>
        </li>
    }
}

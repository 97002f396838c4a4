//! A revealed secret's files: received one after the other as soon as the secret is
//! revealed (inside the claim's window), decrypted to the browser's private storage as
//! they arrive, then previewed (small images) and saved by the recipient. The claim is
//! confirmed — and the server deletes the data — only once every file has arrived whole.

use leptos::prelude::*;

use crate::client::files::{FileEntry, stream_offsets};
use crate::disk::{DiskProblem, PageFiles, Saved};
use crate::i18n::{t, use_i18n};
use crate::transfer::download::{self, Claim, DownloadProblem};
use crate::{api, browser};

/// Images the page previews: types every browser shows, up to the image field's size.
const PREVIEW_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Where one file stands.
#[derive(Clone, PartialEq)]
enum State {
    Waiting,
    Receiving(u64),
    Ready(Saved),
    Failed(DownloadProblem),
}

/// One file as the page shows it.
#[derive(Clone)]
struct Row {
    index: usize,
    name: String,
    safe_name: String,
    mime: String,
    size: u64,
    state: RwSignal<State>,
}

/// The files of a revealed secret; starts receiving them at once.
#[component]
pub(super) fn ReceivedFiles(
    files: Vec<FileEntry>,
    claim: Claim,
    /// Called once every file has arrived whole.
    on_complete: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let rows: Vec<Row> = files
        .iter()
        .enumerate()
        .map(|(index, f)| Row {
            index,
            name: f.name().to_owned(),
            safe_name: f.safe_name(),
            mime: f.mime().to_owned(),
            size: f.size(),
            state: RwSignal::new(State::Waiting),
        })
        .collect();
    let page = StoredValue::new(PageFiles::new());
    let states: Vec<_> = rows.iter().map(|r| r.state).collect();
    leptos::task::spawn_local(async move {
        crate::disk::clear_leftovers().await;
        let offsets = stream_offsets(&files);
        let page = page.get_value();
        let mut all = true;
        for (index, entry) in files.iter().enumerate() {
            let state = states[index];
            state.set(State::Receiving(0));
            let on_progress = move |bytes| state.set(State::Receiving(bytes));
            match download::fetch_file(&claim, entry, index, offsets[index], &page, on_progress)
                .await
            {
                Ok(saved) => state.set(State::Ready(saved)),
                Err(problem) => {
                    all = false;
                    state.set(State::Failed(problem));
                }
            }
        }
        if all {
            on_complete.run(());
        }
    });
    // The decrypted files leave the browser's storage with the page.
    on_cleanup(move || {
        if let Some(page) = page.try_get_value() {
            leptos::task::spawn_local(async move { page.delete().await });
        }
    });
    let save_all = {
        let rows = rows.clone();
        move |_| {
            for row in &rows {
                if let State::Ready(saved) = row.state.get_untracked() {
                    browser::save_url(&saved.url, &row.safe_name);
                }
            }
        }
    };
    let many = rows.len() > 1;
    view! {
        <section class="received-files" data-testid="received-files">
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

#[component]
fn FileRow(row: Row) -> impl IntoView {
    let i18n = use_i18n();
    let Row {
        index,
        name,
        safe_name,
        mime,
        size,
        state,
    } = row;
    let size_text = crate::pages::human_size(size);
    let previewable =
        PREVIEW_TYPES.contains(&mime.as_str()) && size <= image_privacy::MAX_IMAGE_BYTES as u64;
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
            let name = safe_name.clone();
            let preview = previewable.then(|| view! {
                <img class="file-preview" src=saved.url.clone() alt="" data-testid="file-preview"/>
            });
            view! {
                <button type="button" class="secondary small" data-testid="save-file"
                    on:click=move |_| browser::save_url(&url, &name)>
                    {t!(i18n, reveal_file_save)}
                </button>
                {preview}
            }
            .into_any()
        }
        State::Failed(problem) => view! {
            <p class="alert" role="alert" data-testid="file-problem">{match problem {
                DownloadProblem::Gone => t!(i18n, reveal_file_gone).into_any(),
                DownloadProblem::Damaged => t!(i18n, reveal_file_damaged).into_any(),
                DownloadProblem::Disk(DiskProblem::TooLargeForMemory) => t!(i18n, reveal_file_too_large_memory).into_any(),
                DownloadProblem::Disk(DiskProblem::Write) => t!(i18n, reveal_file_disk).into_any(),
                DownloadProblem::Network => t!(i18n, reveal_file_network).into_any(),
            }}</p>
        }
        .into_any(),
    }
    };
    view! {
        <li class="file-row" data-testid="received-file" data-index=index>
            <span class="file-name" translate="no" data-testid="received-name">{name}</span>
            " "
            <span class="file-size">{size_text}</span>
            " "
            <span class="file-type hint" translate="no">{mime}</span>
            <div class="file-status">{status}</div>
        </li>
    }
}

/// Confirms the reveal's claim (the server deletes the data) once every file arrived.
pub(super) fn confirm_when_complete(alias: String, claim: String) -> Callback<()> {
    Callback::new(move |_| {
        let alias = alias.clone();
        let claim = claim.clone();
        leptos::task::spawn_local(async move { api::confirm_delivered(alias, claim).await });
    })
}

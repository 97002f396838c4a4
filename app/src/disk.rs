//! Where a downloaded file's plaintext goes while it is decrypted: a file in the origin's
//! private file system (on disk, so the tab's memory does not grow with the file), or, in a
//! browser without one, memory up to [`MEMORY_LIMIT`]. The result is an object URL the page
//! previews and saves. Each page writes into a directory of its own, named by when it was
//! made, and deletes it when it goes away; directories a crashed tab left behind are deleted
//! by the next reveal once they are a day old (never a live page's files: two reveals may be
//! open at once, and each file may be the only copy left).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The largest file kept in memory where the browser has no private file system.
pub const MEMORY_LIMIT: u64 = 256 * 1024 * 1024;

/// The private directory that holds decrypted downloads.
const DIR: &str = "oncelink-downloads";

/// How old a page's directory must be before another page deletes it.
const LEFTOVER_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// A file being written.
pub enum Sink {
    /// A file in the origin's private file system.
    Disk {
        /// Its handle, to read it back.
        handle: web_sys::FileSystemFileHandle,
        /// Its open writer.
        writer: web_sys::FileSystemWritableFileStream,
    },
    /// Pieces in memory.
    Memory(js_sys::Array),
}

/// A finished file: an object URL over it (revoke it with [`forget`]).
#[derive(Clone, PartialEq)]
pub struct Saved {
    /// `blob:` URL of the plaintext, typed with the file's MIME type.
    pub url: String,
}

/// Why a file could not be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskProblem {
    /// No private file system here and the file is over [`MEMORY_LIMIT`].
    TooLargeForMemory,
    /// Writing failed (the disk is full, or the browser refused storage).
    Write,
}

async fn get_dir(
    parent: &web_sys::FileSystemDirectoryHandle,
    name: &str,
) -> Option<web_sys::FileSystemDirectoryHandle> {
    let options = web_sys::FileSystemGetDirectoryOptions::new();
    options.set_create(true);
    JsFuture::from(parent.get_directory_handle_with_options(name, &options))
        .await
        .ok()?
        .dyn_into()
        .ok()
}

async fn downloads() -> Option<web_sys::FileSystemDirectoryHandle> {
    let storage = web_sys::window()?.navigator().storage();
    // `getDirectory` is missing in old browsers: calling it then throws.
    let has = js_sys::Reflect::has(&storage, &JsValue::from_str("getDirectory")).ok()?;
    if !has {
        return None;
    }
    let root: web_sys::FileSystemDirectoryHandle = JsFuture::from(storage.get_directory())
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    get_dir(&root, DIR).await
}

/// This page's directory of downloads: `{creation time in ms}-{random}`.
#[derive(Clone)]
pub struct PageFiles(String);

impl PageFiles {
    /// A directory name for this page (nothing is created before the first file).
    pub fn new() -> Self {
        // Only tells two pages apart: not a secret.
        let random = (js_sys::Math::random() * 1e12) as u64;
        Self(format!("{}-{random}", js_sys::Date::now() as u64))
    }

    /// Deletes this page's files.
    pub async fn delete(&self) {
        if let Some(dir) = downloads().await {
            let options = web_sys::FileSystemRemoveOptions::new();
            options.set_recursive(true);
            let _ = JsFuture::from(dir.remove_entry_with_options(&self.0, &options)).await;
        }
    }
}

/// A place for a file of `size` bytes, named `name` in this page's directory.
pub async fn open(page: &PageFiles, name: &str, size: u64) -> Result<Sink, DiskProblem> {
    let dir = match downloads().await {
        Some(all) => get_dir(&all, &page.0).await,
        None => None,
    };
    if let Some(dir) = dir {
        let options = web_sys::FileSystemGetFileOptions::new();
        options.set_create(true);
        let handle: Option<web_sys::FileSystemFileHandle> =
            JsFuture::from(dir.get_file_handle_with_options(name, &options))
                .await
                .ok()
                .and_then(|h| h.dyn_into().ok());
        if let Some(handle) = handle {
            let writer = JsFuture::from(handle.create_writable())
                .await
                .ok()
                .and_then(|w| w.dyn_into().ok());
            if let Some(writer) = writer {
                return Ok(Sink::Disk { handle, writer });
            }
        }
    }
    if size > MEMORY_LIMIT {
        return Err(DiskProblem::TooLargeForMemory);
    }
    Ok(Sink::Memory(js_sys::Array::new()))
}

impl Sink {
    /// Appends plaintext.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), DiskProblem> {
        match self {
            Sink::Disk { writer, .. } => {
                let promise = writer
                    .write_with_u8_array(bytes)
                    .map_err(|_| DiskProblem::Write)?;
                JsFuture::from(promise)
                    .await
                    .map(drop)
                    .map_err(|_| DiskProblem::Write)
            }
            Sink::Memory(parts) => {
                parts.push(&js_sys::Uint8Array::from(bytes));
                Ok(())
            }
        }
    }

    /// Closes the file and returns an object URL of type `mime` over it.
    pub async fn finish(self, mime: &str) -> Result<Saved, DiskProblem> {
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let blob = match self {
            Sink::Disk { handle, writer } => {
                JsFuture::from(writer.close())
                    .await
                    .map_err(|_| DiskProblem::Write)?;
                let file: web_sys::Blob = JsFuture::from(handle.get_file())
                    .await
                    .map_err(|_| DiskProblem::Write)?
                    .unchecked_into();
                // The same bytes (still on disk), typed as the sender said.
                let parts = js_sys::Array::of1(&file);
                web_sys::Blob::new_with_blob_sequence_and_options(&parts, &options)
            }
            Sink::Memory(parts) => {
                web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
            }
        }
        .map_err(|_| DiskProblem::Write)?;
        let url =
            web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| DiskProblem::Write)?;
        Ok(Saved { url })
    }
}

/// Deletes the directories of pages that went away without deleting their own (a crash)
/// once they are a day old.
pub async fn clear_leftovers() {
    let Some(dir) = downloads().await else { return };
    let Ok(keys) = js_sys::Reflect::get(&dir, &JsValue::from_str("keys")) else {
        return;
    };
    let Ok(keys) = keys.dyn_into::<js_sys::Function>() else {
        return;
    };
    let Ok(iterator) = keys.call0(&dir) else {
        return;
    };
    let Ok(next) = js_sys::Reflect::get(&iterator, &JsValue::from_str("next")) else {
        return;
    };
    let Ok(next) = next.dyn_into::<js_sys::Function>() else {
        return;
    };
    let mut old = Vec::new();
    // Bounded: a directory never holds more than the pages that were opened.
    for _ in 0..10_000 {
        let Ok(promise) = next.call0(&iterator) else {
            break;
        };
        let Ok(item) = JsFuture::from(js_sys::Promise::from(promise)).await else {
            break;
        };
        let done = js_sys::Reflect::get(&item, &JsValue::from_str("done"))
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            break;
        }
        let name = js_sys::Reflect::get(&item, &JsValue::from_str("value"))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let made: Option<f64> = name.split('-').next().and_then(|t| t.parse().ok());
        if made.is_some_and(|made| js_sys::Date::now() - made > LEFTOVER_MS) {
            old.push(name);
        }
    }
    let options = web_sys::FileSystemRemoveOptions::new();
    options.set_recursive(true);
    for name in old {
        let _ = JsFuture::from(dir.remove_entry_with_options(&name, &options)).await;
    }
}

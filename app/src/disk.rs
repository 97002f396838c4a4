//! Where a downloaded file's plaintext goes while it is decrypted: a file in the origin's
//! private file system (on disk, so the tab's memory does not grow with the file), or, in a
//! browser without one, memory up to [`MEMORY_LIMIT`] for the page's files together. The
//! result is an object URL (typed `application/octet-stream`: never rendered as the sender
//! declared) that the page saves.
//!
//! Each page writes into a directory of its own and holds a Web Lock named after it while
//! it lives. It deletes the directory when it goes away (and tries on `pagehide`); any page
//! that starts deletes the directories whose lock nobody holds (a tab that crashed or was
//! closed mid-way), so decrypted files never outlive their page for long, and a live page's
//! files — perhaps the only copy left — are never touched.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The most a page keeps in memory where the browser has no private file system.
pub const MEMORY_LIMIT: u64 = 256 * 1024 * 1024;

/// The private directory that holds decrypted downloads.
const DIR: &str = "oncelink-downloads";
/// A page's lock is named this plus its directory's name. The page asks for it when it is
/// made, before any file is written, and it is granted at once (no one else asks for that
/// name): a directory on disk always has its lock held or pending while its page lives.
const LOCK_PREFIX: &str = "oncelink-files-";

/// A file being written.
pub enum Sink {
    /// A file in the origin's private file system.
    Disk {
        /// Its handle, to read it back.
        handle: web_sys::FileSystemFileHandle,
        /// Its open writer.
        writer: web_sys::FileSystemWritableFileStream,
        /// The write under way.
        writing: Option<JsFuture>,
        /// Two buffers the writes take turns with, reused: a fresh buffer of this size costs
        /// the page a fault per page of memory (`crate::js_bytes`). Wiped at the end.
        buffers: [js_sys::Uint8Array; 2],
        /// The buffer the next write fills.
        turn: usize,
    },
    /// Pieces in memory.
    Memory(js_sys::Array),
}

/// A finished file: an object URL over its bytes.
#[derive(Clone)]
pub struct Saved {
    /// `blob:` URL of the plaintext, `application/octet-stream`.
    pub url: String,
    /// The bytes, to read back (a preview).
    pub blob: send_wrapper::SendWrapper<web_sys::Blob>,
}

impl PartialEq for Saved {
    fn eq(&self, other: &Self) -> bool {
        self.url == other.url
    }
}

/// Why a file could not be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskProblem {
    /// No private file system here, and the page's files are over [`MEMORY_LIMIT`].
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

/// `navigator.locks`, where the browser has Web Locks.
fn locks() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::get(&navigator, &JsValue::from_str("locks"))
        .ok()
        .filter(|l| !l.is_undefined() && !l.is_null())
}

fn method(target: &JsValue, name: &str) -> Option<js_sys::Function> {
    js_sys::Reflect::get(target, &JsValue::from_str(name))
        .ok()?
        .dyn_into()
        .ok()
}

/// This page's directory of downloads, `{creation time in ms}-{random}`, and its lock.
#[derive(Clone)]
pub struct PageFiles {
    name: String,
    /// Resolving it releases the lock.
    release: Rc<RefCell<Option<js_sys::Function>>>,
    /// Bytes kept in memory (without a private file system).
    in_memory: Rc<Cell<u64>>,
}

impl PageFiles {
    /// A directory name for this page, locked for as long as the page lives (nothing is
    /// created before the first file).
    pub fn new() -> Self {
        // Only tells two pages apart: not a secret.
        let random = (js_sys::Math::random() * 1e12) as u64;
        let page = Self {
            name: format!("{}-{random}", js_sys::Date::now() as u64),
            release: Rc::new(RefCell::new(None)),
            in_memory: Rc::new(Cell::new(0)),
        };
        if let Some(locks) = locks()
            && let Some(request) = method(&locks, "request")
        {
            let release = page.release.clone();
            // Held until the promise the callback returns settles: when the page releases it.
            let held = wasm_bindgen::closure::Closure::once_into_js(move |_lock: JsValue| {
                js_sys::Promise::new(&mut |resolve, _| {
                    *release.borrow_mut() = Some(resolve);
                })
            });
            let name = JsValue::from_str(&format!("{LOCK_PREFIX}{}", page.name));
            let _ = request.call2(&locks, &name, &held);
        }
        page
    }

    /// Deletes this page's files and releases its lock.
    pub async fn delete(&self) {
        if let Some(dir) = downloads().await {
            let options = web_sys::FileSystemRemoveOptions::new();
            options.set_recursive(true);
            let _ = JsFuture::from(dir.remove_entry_with_options(&self.name, &options)).await;
        }
        if let Some(release) = self.release.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

/// A place for a file of `size` bytes, named `name` in this page's directory.
pub async fn open(page: &PageFiles, name: &str, size: u64) -> Result<Sink, DiskProblem> {
    let dir = match downloads().await {
        Some(all) => get_dir(&all, &page.name).await,
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
                return Ok(Sink::Disk {
                    handle,
                    writer,
                    writing: None,
                    buffers: [
                        js_sys::Uint8Array::new_with_length(0),
                        js_sys::Uint8Array::new_with_length(0),
                    ],
                    turn: 0,
                });
            }
        }
    }
    let used = page.in_memory.get().saturating_add(size);
    if used > MEMORY_LIMIT {
        return Err(DiskProblem::TooLargeForMemory);
    }
    page.in_memory.set(used);
    Ok(Sink::Memory(js_sys::Array::new()))
}

impl Sink {
    /// Appends plaintext, given in pieces that the sink wipes (on disk, once copied into
    /// its buffer). On disk the write goes on after this returns (the next batch is opened
    /// meanwhile); the next write, or [`Sink::finish`], waits for it first. The buffer a
    /// write fills was last written two writes ago, so it is free again.
    pub async fn write(&mut self, plain: Vec<js_sys::Uint8Array>) -> Result<(), DiskProblem> {
        match self {
            Sink::Disk {
                writer,
                writing,
                buffers,
                turn,
                ..
            } => {
                let total: u32 = plain.iter().map(js_sys::Uint8Array::length).sum();
                let buffer = &mut buffers[*turn];
                if buffer.length() < total {
                    *buffer = js_sys::Uint8Array::new_with_length(total);
                }
                let mut at = 0;
                for piece in &plain {
                    buffer.set(piece, at);
                    at += piece.length();
                    piece.fill(0, 0, piece.length());
                }
                let view = buffer.subarray(0, total);
                *turn = 1 - *turn;
                settle(writing).await?;
                let promise = writer
                    .write_with_js_u8_array(&view)
                    .map_err(|_| DiskProblem::Write)?;
                *writing = Some(JsFuture::from(promise));
                Ok(())
            }
            Sink::Memory(parts) => {
                for piece in plain {
                    parts.push(&piece);
                }
                Ok(())
            }
        }
    }

    /// Closes the file and returns an object URL over it.
    pub async fn finish(self) -> Result<Saved, DiskProblem> {
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("application/octet-stream");
        let blob = match self {
            Sink::Disk {
                handle,
                writer,
                mut writing,
                buffers,
                ..
            } => {
                let settled = settle(&mut writing).await;
                for buffer in &buffers {
                    buffer.fill(0, 0, buffer.length());
                }
                settled?;
                JsFuture::from(writer.close())
                    .await
                    .map_err(|_| DiskProblem::Write)?;
                let file: web_sys::Blob = JsFuture::from(handle.get_file())
                    .await
                    .map_err(|_| DiskProblem::Write)?
                    .unchecked_into();
                // The same bytes (still on disk), typed as opaque data.
                let parts = js_sys::Array::of1(&file);
                web_sys::Blob::new_with_blob_sequence_and_options(&parts, &options)
            }
            Sink::Memory(parts) => {
                let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options);
                // The blob holds its own copy.
                for part in parts.iter() {
                    // The pieces themselves (`Uint8Array::new` of one would wipe a copy).
                    if let Ok(part) = part.dyn_into::<js_sys::Uint8Array>() {
                        part.fill(0, 0, part.length());
                    }
                }
                blob
            }
        }
        .map_err(|_| DiskProblem::Write)?;
        let url =
            web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| DiskProblem::Write)?;
        Ok(Saved {
            url,
            blob: send_wrapper::SendWrapper::new(blob),
        })
    }
}

/// Waits for the write under way, if any.
async fn settle(writing: &mut Option<JsFuture>) -> Result<(), DiskProblem> {
    match writing.take() {
        Some(written) => written.await.map(drop).map_err(|_| DiskProblem::Write),
        None => Ok(()),
    }
}

/// The names of the locks held or asked for in this origin now.
async fn lock_names() -> Option<Vec<String>> {
    let locks = locks()?;
    let query = method(&locks, "query")?;
    let state = JsFuture::from(js_sys::Promise::from(query.call0(&locks).ok()?))
        .await
        .ok()?;
    let mut names = Vec::new();
    for list in ["held", "pending"] {
        let list: js_sys::Array = js_sys::Reflect::get(&state, &JsValue::from_str(list))
            .ok()?
            .dyn_into()
            .ok()?;
        for lock in list.iter() {
            if let Some(name) = js_sys::Reflect::get(&lock, &JsValue::from_str("name"))
                .ok()
                .and_then(|n| n.as_string())
            {
                names.push(name);
            }
        }
    }
    Some(names)
}

/// The names of the page directories in the private file system.
async fn page_dirs(dir: &web_sys::FileSystemDirectoryHandle) -> Vec<String> {
    let Some(keys) = method(dir, "keys") else {
        return Vec::new();
    };
    let Ok(iterator) = keys.call0(dir) else {
        return Vec::new();
    };
    let Some(next) = method(&iterator, "next") else {
        return Vec::new();
    };
    let mut names = Vec::new();
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
        if let Some(name) = js_sys::Reflect::get(&item, &JsValue::from_str("value"))
            .ok()
            .and_then(|v| v.as_string())
        {
            names.push(name);
        }
    }
    names
}

/// Deletes the directories of pages that are gone (their lock is neither held nor asked
/// for). Without Web Locks nothing is deleted: no live page's files are risked.
pub async fn clear_leftovers() {
    let Some(dir) = downloads().await else { return };
    let Some(locked) = lock_names().await else {
        return;
    };
    let options = web_sys::FileSystemRemoveOptions::new();
    options.set_recursive(true);
    for name in page_dirs(&dir).await {
        if !locked.contains(&format!("{LOCK_PREFIX}{name}")) {
            let _ = JsFuture::from(dir.remove_entry_with_options(&name, &options)).await;
        }
    }
}

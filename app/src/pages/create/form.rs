//! The create form's state: one struct, one signal per field.

use leptos::prelude::*;

use super::files::ChosenFile;
use super::image::Chosen;
use super::result::Shared;
use crate::browser;
use crate::pages::Problem;

/// Where the page is in making a secret.
#[derive(Clone, PartialEq)]
pub(super) enum Phase {
    Editing,
    Encrypting,
    /// Percent sent.
    Uploading(u8),
    /// Files' data being sent (how far: `FormState::files_progress`).
    SendingFiles,
    Done(Shared),
    /// The answer to a request was sent (the page answers one request once).
    Answered,
}

/// The request an answer goes to (the answer page's form).
#[derive(Clone, PartialEq)]
pub struct Answering {
    /// The request's alias.
    pub alias: String,
    /// The request's id (bound into the answer's key box).
    pub request_id: String,
}

/// How far the files' upload is, for the progress bar.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub(super) struct FilesProgress {
    /// Bytes sent.
    pub sent: f64,
    /// All bytes.
    pub total: f64,
    /// Bytes per second since the upload began.
    pub speed: f64,
    /// The connection dropped; a part is being sent again.
    pub retrying: bool,
}

/// Everything the create page holds. A signal per field, so typing re-renders only what
/// shows the text; `Copy`, so every handler takes the whole form.
#[derive(Clone, Copy)]
pub(super) struct FormState {
    /// The secret's text.
    pub text: RwSignal<String>,
    /// The image, checked and cleaned.
    pub image: RwSignal<Option<Chosen>>,
    /// Send the image as chosen, metadata and all.
    pub keep_original: RwSignal<bool>,
    /// Send the files as chosen, metadata and all (not their cleaned copies).
    pub keep_files_original: RwSignal<bool>,
    /// Lifetime in seconds.
    pub ttl_seconds: RwSignal<u64>,
    /// Files to send with the secret.
    pub files: RwSignal<Vec<ChosenFile>>,
    /// How far the files' upload is.
    pub files_progress: RwSignal<FilesProgress>,
    /// Stops the files' upload under way.
    // `SendWrapper`: the page is also rendered on the server's threads, where this stays `None`.
    pub cancel: StoredValue<Option<send_wrapper::SendWrapper<crate::transfer::upload::Cancel>>>,
    /// Views allowed.
    pub views: RwSignal<u32>,
    /// Optional passphrase (empty: none).
    pub passphrase: RwSignal<String>,
    /// The problem shown under the form, if any.
    pub problem: RwSignal<Option<Problem>>,
    /// Editing, busy creating, or done.
    pub phase: RwSignal<Phase>,
    /// Set when the form answers a request instead of making a secret.
    pub answering: StoredValue<Option<Answering>>,
}

impl FormState {
    /// An empty form: 24 hours, one view; an answer to `answering` when set.
    pub fn new(answering: Option<Answering>) -> Self {
        Self {
            text: RwSignal::new(String::new()),
            image: RwSignal::new(None),
            keep_original: RwSignal::new(false),
            keep_files_original: RwSignal::new(false),
            ttl_seconds: RwSignal::new(86_400),
            files: RwSignal::new(Vec::new()),
            files_progress: RwSignal::new(FilesProgress::default()),
            cancel: StoredValue::new(None),
            views: RwSignal::new(1),
            passphrase: RwSignal::new(String::new()),
            problem: RwSignal::new(None),
            phase: RwSignal::new(Phase::Editing),
            answering: StoredValue::new(answering),
        }
    }

    /// Removes the image and releases its preview URL.
    pub fn clear_image(self) {
        if let Some(old) = self.image.get_untracked() {
            browser::revoke_object_url(&old.preview_url);
        }
        self.image.set(None);
    }

    /// Forgets the plaintext once it has done its job.
    pub fn clear_plaintext(self) {
        self.text.set(String::new());
        self.passphrase.set(String::new());
        self.files.set(Vec::new());
        self.clear_image();
    }
}

//! What a secret holds, from the command line: text, an image cleaned of its metadata, files
//! (images among them cleaned too); sealed with `crypto-core` and uploaded. `send` and
//! `answer` both make their secret here, so the rules are the same for both.

use std::path::{Path, PathBuf};

use crypto_core::{Envelope, Image, Protection, SealedSecret, Upload};
use protocol::rest::CreateRequest;
use zeroize::Zeroizing;

use crate::api::{Api, Capabilities, FileLimits};
use crate::args::ContentArgs;
use crate::error::CliError;
use crate::input;
use crate::output::{self, note};
use crate::transfer;

/// The contents of one secret, read and checked, not sealed yet.
pub struct Contents {
    text: Zeroizing<String>,
    image: Option<Image>,
    files: Vec<transfer::Outgoing>,
}

impl Contents {
    /// Reads the text (the argument, else stdin when it is not a terminal), the image and
    /// the files; images are cleaned unless `--keep-metadata`. `nothing` says what to give
    /// when all of it is empty.
    pub fn read(args: ContentArgs, nothing: &str) -> Result<Self, CliError> {
        let text = input::secret_text(args.text)?;
        if text.is_empty() && args.image.is_none() && args.files.is_empty() {
            return Err(CliError::Input(nothing.to_owned()));
        }
        // With files, an image is one more file (cleaned the same way).
        let mut file_paths: Vec<PathBuf> = args.files;
        let mut image_path = args.image;
        if !file_paths.is_empty()
            && let Some(image) = image_path.take()
        {
            file_paths.insert(0, image);
        }
        let image = image_path
            .as_deref()
            .map(|path| read_image(path, args.keep_metadata))
            .transpose()?;
        let files = transfer::prepare(&file_paths, args.keep_metadata)?;
        Ok(Self { text, image, files })
    }

    /// The server's file limits when there are files; refused when it takes none.
    pub fn file_limits(&self, caps: &Capabilities) -> Result<Option<FileLimits>, CliError> {
        match (self.files.is_empty(), caps.files) {
            (true, _) => Ok(None),
            (false, Some(limits)) if caps.oncelink => Ok(Some(limits)),
            (false, _) => Err(CliError::Input(
                "this server does not take files: send text and an image only".into(),
            )),
        }
    }

    /// Seals the envelope (the web app's `prepare_secret`); the files stay to be uploaded
    /// with [`Pending::upload`].
    pub fn seal(self, protection: Protection<'_>) -> Result<Pending, CliError> {
        let Self { text, image, files } = self;
        let envelope = match image {
            _ if !files.is_empty() => Envelope::with_files(text.as_str(), manifest(&files)),
            Some(image) => Envelope::with_image(text.as_str(), image),
            None => Envelope::text_only(text.as_str()),
        };
        drop(text);
        let sealed = crypto_core::prepare_secret(envelope, protection)
            .and_then(|prepared| prepared.seal())
            .map_err(|e| CliError::Input(format!("cannot encrypt: {e}")))?;
        Ok(Pending { sealed, files })
    }
}

/// A sealed secret whose files are not uploaded yet.
pub struct Pending {
    /// The sealed payload and the keys of its links.
    pub sealed: SealedSecret,
    files: Vec<transfer::Outgoing>,
}

impl Pending {
    /// Uploads the files' data (under the secret's id) when there are files and limits;
    /// the upload token for the create, if any.
    pub fn upload(
        &self,
        api: &Api,
        limits: Option<&FileLimits>,
    ) -> Result<Option<String>, CliError> {
        match limits {
            Some(limits) if !self.files.is_empty() => Ok(Some(transfer::upload(
                api,
                limits,
                &self.sealed.upload.id,
                &self.files,
            )?)),
            _ => Ok(None),
        }
    }
}

/// The create body's fields that come from the sealed secret itself: ciphertext, id,
/// verifiers and upload token. The caller adds lifetime and views where they are its own.
pub fn secret_body(upload: &Upload, upload_token: Option<String>) -> CreateRequest {
    let guard = upload.guard.as_ref();
    CreateRequest {
        ciphertext: Some(crypto_core::base64::encode(&upload.payload).into()),
        id: Some(upload.id.as_str().to_owned().into()),
        access_verifier: guard.map(|g| g.access_verifier.to_base64url().into()),
        passphrase_verifier: guard
            .and_then(|g| g.passphrase_verifier)
            .map(|v| v.to_base64url().into()),
        manage_verifier: guard.map(|g| g.manage_verifier.to_base64url().into()),
        upload_token: upload_token.map(Into::into),
        ..CreateRequest::default()
    }
}

/// The image to send: checked by content, cleaned unless asked not to.
fn read_image(path: &Path, keep_metadata: bool) -> Result<Image, CliError> {
    let size = std::fs::metadata(path)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?
        .len();
    if size > image_privacy::MAX_IMAGE_BYTES as u64 {
        return Err(CliError::Input(format!(
            "{}: the image is larger than 10 MB",
            path.display()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
    let cleaned = image_privacy::clean(&bytes)
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    let kind = cleaned.kind;
    let bytes = if keep_metadata {
        note("sending the image with its metadata, as asked");
        bytes
    } else {
        if !cleaned.findings.is_empty() {
            note(&format!(
                "removed from the image: {}",
                output::escape_controls(&removed(&cleaned.findings))
            ));
        }
        cleaned.bytes
    };
    Image::new(kind.mime(), bytes).map_err(|e| CliError::Input(e.to_string()))
}

/// The manifest entries of the files to send (each with its file's key).
fn manifest(files: &[transfer::Outgoing]) -> Vec<crypto_core::FileEntry> {
    files.iter().map(|f| f.entry().duplicate()).collect()
}

/// A short English list of what cleaning removed.
pub(crate) fn removed(f: &image_privacy::Findings) -> String {
    let mut items = Vec::new();
    if f.has_location || f.location.is_some() {
        items.push("location".to_owned());
    }
    if let Some(camera) = &f.camera {
        items.push(format!("camera {camera}"));
    }
    if f.serial_number {
        items.push("serial number".into());
    }
    if f.has_dates || f.date_taken.is_some() {
        items.push("dates".into());
    }
    if f.software.is_some() {
        items.push("software".into());
    }
    if let Some(author) = &f.author {
        items.push(format!("author {author}"));
    }
    if let Some(company) = &f.company {
        items.push(format!("company {company}"));
    }
    if f.comments {
        items.push("comments and their authors".into());
    }
    if f.images > 0 {
        items.push("metadata of the images inside".into());
    }
    if f.revisions > 0 {
        items.push(format!(
            "{} earlier version(s) kept in the file",
            f.revisions
        ));
    }
    if f.attachments {
        items.push("attached files".into());
    }
    if f.scripts {
        items.push("scripts and automatic actions".into());
    }
    if f.text {
        items.push("comments".into());
    }
    if f.thumbnail {
        items.push("thumbnail".into());
    }
    if f.other {
        items.push("other metadata".into());
    }
    items.join(", ")
}

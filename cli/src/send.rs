//! `oncelink send`: check everything locally, seal with `crypto-core` (the web app's
//! `prepare_secret`), upload, print the link.

use std::io::IsTerminal;
use std::path::Path;

use crypto_core::{Alias, Envelope, Image, Protection, SealedSecret};
use serde::Serialize;

use crate::api::{Api, Capabilities};
use crate::args::SendArgs;
use crate::error::CliError;
use crate::input;
use crate::output::{self, format_time, note};
use crate::progress::Progress;
use crate::transfer;
use crate::ttl::{self, TtlField};
use protocol::rest::CreateRequest;

/// What `send --json` prints.
#[derive(Serialize)]
struct SentJson<'a> {
    link: &'a str,
    alias: &'a str,
    id: &'a str,
    expires_at: u64,
    expires: String,
    views: u32,
    manage_link: Option<&'a str>,
}

/// Runs `send`.
pub fn run(mut args: SendArgs) -> Result<(), CliError> {
    let server = args.server.as_deref().ok_or_else(|| {
        CliError::Input("no server: give --server URL or set ONCELINK_SERVER".into())
    })?;
    let api = Api::new(server)?;
    let text = input::secret_text(args.text.take())?;
    if text.is_empty() && args.image.is_none() && args.files.is_empty() {
        return Err(CliError::Input(
            "nothing to send: give TEXT, pipe it on stdin, or add --image FILE or --file FILE"
                .into(),
        ));
    }
    // With files, an image is one more file (cleaned the same way).
    let mut file_paths = std::mem::take(&mut args.files);
    if !file_paths.is_empty()
        && let Some(image) = args.image.take()
    {
        file_paths.insert(0, image);
    }
    let image = args
        .image
        .as_deref()
        .map(|path| read_image(path, args.keep_metadata))
        .transpose()?;
    let files = transfer::prepare(&file_paths, args.keep_metadata)?;
    let caps = api.capabilities()?;
    let ttl = check_server(&args, &caps, api.base())?;
    let file_limits = match (files.is_empty(), caps.files) {
        (true, _) => None,
        (false, Some(limits)) if caps.oncelink => Some(limits),
        (false, _) => {
            return Err(CliError::Input(
                "this server does not take files: send text and an image only".into(),
            ));
        }
    };
    let secret_passphrase = args
        .passphrase
        .then(|| input::passphrase(true))
        .transpose()?;

    let envelope = match image {
        _ if !files.is_empty() => Envelope::with_files(text.as_str(), manifest(&files)),
        Some(image) => Envelope::with_image(text.as_str(), image),
        None => Envelope::text_only(text.as_str()),
    };
    drop(text);
    let protection = if caps.oncelink {
        Protection::Guarded {
            passphrase: secret_passphrase.as_deref().map(String::as_str),
        }
    } else {
        Protection::Reference
    };
    let crypto = |e: crypto_core::Error| CliError::Input(format!("cannot encrypt: {e}"));
    let SealedSecret { upload, keys } = crypto_core::prepare_secret(envelope, protection)
        .and_then(|prepared| prepared.seal())
        .map_err(crypto)?;
    drop(secret_passphrase);

    let (ttl_hours, ttl_seconds) = match ttl {
        TtlField::Hours(h) => (Some(h), None),
        TtlField::Seconds(s) => (None, Some(s)),
    };
    let upload_token = match file_limits {
        Some(limits) => Some(transfer::upload(&api, &limits, &upload.id, &files)?),
        None => None,
    };
    let guard = upload.guard.as_ref();
    let request = CreateRequest {
        ciphertext: Some(crypto_core::base64::encode(&upload.payload).into()),
        id: Some(upload.id.as_str().to_owned().into()),
        ttl_hours: ttl_hours.map(Into::into),
        ttl_seconds: ttl_seconds.map(Into::into),
        max_views: caps.oncelink.then_some(u64::from(args.views).into()),
        access_verifier: guard.map(|g| g.access_verifier.to_base64url().into()),
        passphrase_verifier: guard
            .and_then(|g| g.passphrase_verifier)
            .map(|v| v.to_base64url().into()),
        manage_verifier: guard.map(|g| g.manage_verifier.to_base64url().into()),
        upload_token: upload_token.map(Into::into),
    };
    drop(upload.payload);

    let created = api.create(&request, &Progress::for_stderr())?;
    drop(request);
    let alias = Alias::parse(&created.alias)
        .map_err(|_| CliError::Server("the server sent an invalid alias".into()))?;
    let links = keys.into_links(api.base(), alias.clone(), args.lang.as_deref());
    let link = links.share.to_url();
    let manage_link = links.manage.as_ref().map(|m| m.to_url());
    let expires_at = created
        .expires_at
        .unwrap_or_else(|| output::now_unix() + args.ttl.as_secs());

    if args.json {
        let json = SentJson {
            link: &link,
            alias: alias.as_str(),
            id: upload.id.as_str(),
            expires_at,
            expires: format_time(expires_at),
            views: args.views,
            manage_link: manage_link.as_ref().map(|m| m.as_str()),
        };
        output::json_line(&json)?;
    } else {
        output::line(&link)?;
    }
    if args.qr {
        draw_qr(&link);
    }
    if !args.json && std::io::stderr().is_terminal() {
        eprintln!("expires {}", format_time(expires_at));
        if let Some(m) = &manage_link {
            eprintln!("manage link (keep it to yourself): {}", m.as_str());
        }
    }
    Ok(())
}

/// Checks the request against what the server is and accepts, before anything is sealed or
/// uploaded; returns the TTL field to send.
fn check_server(args: &SendArgs, caps: &Capabilities, base: &str) -> Result<TtlField, CliError> {
    if caps.oncelink {
        if args.views == 0 || args.views > caps.max_views {
            return Err(CliError::Input(format!(
                "--views must be from 1 to {} on this server",
                caps.max_views
            )));
        }
        return ttl::for_server(args.ttl, caps);
    }
    // Not an oncelink server: never fall back silently to secrets a link preview can burn.
    if !args.reference {
        return Err(CliError::Input(format!(
            "{} does not identify as an oncelink server. Its secrets would have no access \
             proof (a link preview could burn them), no passphrase and no manage link. If it \
             is an Only Once Share server and that is fine, add --reference",
            output::escape_controls(base)
        )));
    }
    if args.views != 1 {
        return Err(CliError::Input(
            "this server speaks only the reference API: --views must be 1".into(),
        ));
    }
    if args.passphrase {
        return Err(CliError::Input(
            "this server speaks only the reference API: it has no passphrases".into(),
        ));
    }
    ttl::for_server(args.ttl, caps)
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
fn removed(f: &image_privacy::Findings) -> String {
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
    if f.author.is_some() {
        items.push("author".into());
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

/// The link as a QR code on stderr.
fn draw_qr(link: &str) {
    use qrcode::render::unicode::Dense1x2;
    match qrcode::QrCode::new(link.as_bytes()) {
        Ok(code) => {
            let image = code
                .render::<Dense1x2>()
                .dark_color(Dense1x2::Light)
                .light_color(Dense1x2::Dark)
                .quiet_zone(true)
                .build();
            eprintln!("{image}");
        }
        Err(_) => note("the link is too long for a QR code"),
    }
}

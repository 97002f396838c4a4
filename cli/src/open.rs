//! `oncelink open`: every local check first (link, output file), then the reveal, then the
//! text and the image — the text is shown even when the image cannot go where asked.

use crypto_core::{Envelope, Link, SecretId};
use protocol::rest::RevealRequest;
use serde::Serialize;

use crate::api::{Api, Revealed};
use crate::args::{OpenArgs, OutputArgs};
use crate::error::CliError;
use crate::files::{ImageTarget, Saved};
use crate::input;
use crate::output::{self, Stream, note};
use crate::progress::Progress;
use crate::transfer;

/// What `open --json` prints.
#[derive(Serialize)]
struct OpenedJson<'a> {
    text: &'a str,
    image: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    files: Vec<String>,
    views_left: Option<u32>,
}

/// Runs `open`.
pub fn run(args: OpenArgs) -> Result<(), CliError> {
    // Every local check happens before the network: a bad link or a bad -o consumes nothing.
    let link = input::link(args.link, "link")?;
    let link = Link::parse(&link).map_err(|e| match e.kind() {
        crypto_core::ErrorKind::Key => CliError::Damaged(
            "the link has no valid key after '#': it may be cut off (quote the link)".into(),
        ),
        _ => CliError::Input("this is not an oncelink link (…/s/{alias}#{key})".into()),
    })?;
    deliver(&link, &args.output, args.json)
}

/// Checks that `output` can take what a secret holds, and leaves nothing behind: for
/// commands that wait before they reveal (a request's answer), so a bad `-o` fails at once.
/// [`deliver`] checks again when it reveals.
pub fn check_output(output: &OutputArgs) -> Result<(), CliError> {
    let (_, target) = destination(output, "answer")?;
    target.discard();
    Ok(())
}

/// Where the files and the image of secret `name` go, checked (nothing is revealed yet).
fn destination(
    output: &OutputArgs,
    name: &str,
) -> Result<(std::path::PathBuf, ImageTarget), CliError> {
    // An existing directory takes the secret's files; otherwise they go where we are.
    let files_dir = match output.output.as_deref() {
        Some(dir) if dir.is_dir() => {
            check_writable(dir)?;
            dir.to_owned()
        }
        _ => std::path::PathBuf::from("."),
    };
    let image_output = output.output.as_deref().filter(|p| !p.is_dir());
    let target = ImageTarget::prepare(image_output, output.force, name)?;
    Ok((files_dir, target))
}

/// Reveals the secret behind `link` and delivers it: the text to stdout (or JSON), the image
/// and files where `output` says. `open` ends here, and so does the reading of a request's
/// answer, which is an ordinary secret.
pub fn deliver(link: &Link, output: &OutputArgs, json: bool) -> Result<(), CliError> {
    let name = link.secret().as_str().to_owned();
    if json && output.output.as_deref() == Some(std::path::Path::new("-")) {
        return Err(CliError::Input(
            "--json and -o - would both write to stdout: give -o a file".into(),
        ));
    }
    let (files_dir, target) = destination(output, &name)?;

    let (revealed, stretched, held) = match reveal(link, &name) {
        Ok(answer) => answer,
        Err(e) => {
            target.discard();
            return Err(e);
        }
    };
    let Revealed {
        id,
        payload,
        views_left,
    } = revealed;
    let opened = SecretId::parse(&id)
        .map_err(|_| CliError::Server("the server sent an invalid secret id".into()))
        .and_then(|id| {
            crypto_core::open_with(link.key(), stretched.as_ref(), &id, &payload).map_err(|_| {
                CliError::Damaged(
                    "the link is damaged or its key is wrong: the secret cannot be decrypted"
                        .into(),
                )
            })
        })
        .and_then(|plaintext| {
            Envelope::unpack(&plaintext)
                .map_err(|_| CliError::Damaged("the secret's content is damaged".into()))
        });
    let envelope = match opened {
        Ok(envelope) => envelope,
        Err(e) => {
            target.discard();
            return Err(e);
        }
    };
    let api = Api::new(link.base())?;
    let files = match (&held, envelope.files()) {
        (_, []) => Ok(Vec::new()),
        (Some(held), files) => {
            let access = link.key().access_proof().to_base64url();
            let proofs = transfer::Held {
                access: &access,
                claim: held,
            };
            transfer::download(&api, &name, &proofs, files, &files_dir)
        }
        (None, _) => Err(CliError::Server(
            "this server took no claim for the view, so the files cannot be fetched".into(),
        )),
    };
    // Everything is here: the server may delete its copy now, and no rerun needs the claim.
    // (After a failure the claim is kept, and `open` run again resumes the same view.)
    if let Some(claim) = &held
        && files.is_ok()
    {
        api.confirm(&name, claim);
        crate::claims::forget(link.base(), &name);
    }
    let (text, image) = envelope.into_parts();
    let text = zeroize::Zeroizing::new(text);

    // The image first (it may fall back to a temporary file), then the text, which is shown
    // whatever happened to the image.
    let image_on_stdout = matches!(target, ImageTarget::Stdout) && image.is_some();
    let saved = match image {
        None => {
            target.discard();
            None
        }
        Some(image) => {
            let (mime, bytes) = image.into_parts();
            let bytes = zeroize::Zeroizing::new(bytes);
            Some(target.save(&bytes, &name, extension(&bytes, &mime)))
        }
    };
    let shown = saved.as_ref().and_then(|s| s.as_ref().ok());

    let saved_files = match &files {
        Ok(paths) => paths.iter().map(|p| p.display().to_string()).collect(),
        Err(_) => Vec::new(),
    };
    if json {
        let json = OpenedJson {
            text: &text,
            image: shown.map(|s| match s {
                Saved::Stdout => "-".to_owned(),
                Saved::File(path) | Saved::Fallback { path, .. } => path.display().to_string(),
            }),
            files: saved_files.clone(),
            views_left,
        };
        output::json_line(&json)?;
    } else if image_on_stdout {
        if !text.is_empty() {
            output::secret_text(&text, Stream::Stderr)?;
        }
    } else {
        output::secret_text(&text, Stream::Stdout)?;
    }
    if let Some(left) = views_left.filter(|&l| l > 0) {
        note(&format!("views left after this one: {left}"));
    }
    if !json {
        for path in &saved_files {
            note(&format!("file saved to {path}"));
        }
    }
    files?;
    match saved {
        None | Some(Ok(Saved::Stdout)) => Ok(()),
        Some(Ok(Saved::File(path))) => {
            if !json {
                note(&format!("image saved to {}", path.display()));
            }
            Ok(())
        }
        Some(Ok(Saved::Fallback { failure, path })) => Err(CliError::Io(format!(
            "{failure}; the image is saved to {} instead (readable only by you)",
            path.display()
        ))),
        Some(Err(e)) => Err(e),
    }
}

/// Asks the server for the payload: with proofs (and the passphrase, if the secret has one)
/// on an oncelink server, by the reference read otherwise.
fn reveal(
    link: &Link,
    name: &str,
) -> Result<
    (
        Revealed,
        Option<crypto_core::StretchedPassphrase>,
        Option<String>,
    ),
    CliError,
> {
    let api = Api::new(link.base())?;
    let key = link.key();
    let caps = api.capabilities()?;
    let progress = Progress::for_stderr();
    if !caps.oncelink {
        return Ok((api.get(name, &progress)?, None, None));
    }
    let info = api.info(name)?;
    let stretched = if info.passphrase_required {
        let secret_passphrase = input::passphrase(false)?;
        Some(
            key.stretch_passphrase(&secret_passphrase)
                .map_err(|_| CliError::Input("cannot use this passphrase".into()))?,
        )
    } else {
        None
    };
    // The claim of this view: an earlier run's, if it was cut short (the same view again,
    // inside the claim window), else a fresh one, kept until everything has arrived.
    let claim = match crate::claims::load(link.base(), name) {
        Some(kept) => {
            note("asking again for the view an earlier run claimed");
            kept
        }
        None => crypto_core::Proof::generate()
            .map_err(|_| CliError::Io("no randomness for the reveal's claim".into()))?
            .to_base64url(),
    };
    let claim = caps.claim_window.map(|_| claim);
    if let Some(claim) = &claim {
        crate::claims::save(link.base(), name, claim);
    }
    let request = RevealRequest {
        access_proof: Some(key.access_proof().to_base64url().into()),
        passphrase_proof: stretched.as_ref().map(|s| s.proof().to_base64url().into()),
        claim: claim.clone().map(Into::into),
    };
    let revealed = api.reveal(name, &request, caps.claim_window, &progress);
    if let Err(e) = &revealed
        && !e.is_transient()
    {
        // Refused for good (gone, wrong key or passphrase): no view to come back for.
        crate::claims::forget(link.base(), name);
    }
    Ok((revealed?, stretched, claim))
}

/// Fails unless a new file can be made in `dir` (checked before anything is revealed).
fn check_writable(dir: &std::path::Path) -> Result<(), CliError> {
    let probe = dir.join(format!(".oncelink-{}.probe", std::process::id()));
    crate::files::create_new(&probe).map_err(|e| {
        CliError::Io(format!(
            "cannot write in {}: {e}; nothing was opened",
            dir.display()
        ))
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// The image's file extension: from its content, else its declared type, else `bin`.
fn extension(bytes: &[u8], mime: &str) -> &'static str {
    image_privacy::sniff(bytes)
        .map(|k| k.extension())
        .ok()
        .or_else(|| image_privacy::ImageType::from_mime(mime).map(|k| k.extension()))
        .unwrap_or("bin")
}

//! `oncelink request`: ask someone for a secret. The request link (for them to answer) goes
//! to stdout; the inbox link, which holds the private key that opens the answer, stays here —
//! in a new private file or on stderr, never on the server. With `--wait`, the answer
//! follows on stdout, read exactly as `oncelink inbox --wait` reads it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crypto_core::Alias;
use crypto_core::request::{InboxLink, MAX_NOTE_LEN, RequestLink, prepare_request};
use protocol::requests::OpenRequest;

use crate::api::Api;
use crate::args::RequestArgs;
use crate::error::CliError;
use crate::output::{self, escape_controls, format_time, note};
use crate::ttl::{self, TtlField};
use crate::{inbox, input, open};

/// Runs `request`.
pub fn run(mut args: RequestArgs) -> Result<(), CliError> {
    let server = args.server.as_deref().ok_or_else(|| {
        CliError::Input("no server: give --server URL or set ONCELINK_SERVER".into())
    })?;
    let api = Api::new(server)?;
    let text = input::secret_text(args.note.take())?;
    if text.len() > MAX_NOTE_LEN {
        return Err(CliError::Input(format!(
            "the note is {} bytes; a request's note holds at most {MAX_NOTE_LEN}",
            text.len()
        )));
    }
    if args.wait {
        // Checked now, not after a wait of days.
        open::check_output(&args.output)?;
    } else if args.output.output.is_some() {
        return Err(CliError::Input(
            "-o is where the answer goes: add --wait, or give it to `oncelink inbox` later".into(),
        ));
    }
    let caps = api.capabilities()?;
    if !caps.requests {
        return Err(CliError::Input(format!(
            "{} does not take requests: it is not an oncelink server, or an older one",
            escape_controls(api.base())
        )));
    }
    let answer_ttl = match ttl::for_server(args.answer_ttl, &caps, "--answer-ttl")? {
        TtlField::Seconds(seconds) => seconds,
        TtlField::Hours(hours) => hours * 3600,
    };
    // Made before anything is sent: a file that exists refuses the request, untouched.
    let inbox_file = args
        .inbox_file
        .as_deref()
        .map(InboxFile::create)
        .transpose()?;

    let prepared = prepare_request(&text)
        .map_err(|e| CliError::Input(format!("cannot encrypt the note: {e}")))?;
    drop(text);
    let body = OpenRequest {
        id: Some(prepared.id.as_str().to_owned().into()),
        note: Some(crypto_core::base64::encode(&prepared.note).into()),
        answer_verifier: Some(prepared.answer_verifier.to_base64url().into()),
        inbox_verifier: Some(prepared.inbox_verifier.to_base64url().into()),
        ttl_seconds: Some(args.ttl.as_secs().into()),
        answer_ttl_seconds: Some(answer_ttl.into()),
    };
    let opened = api.open_request(&body).and_then(|opened| {
        let alias = Alias::parse(&opened.alias)
            .map_err(|_| CliError::Server("the server sent an invalid alias".into()))?;
        Ok((alias, opened.expires_at))
    });
    let (alias, expires_at) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            if let Some(file) = inbox_file {
                file.discard();
            }
            return Err(e);
        }
    };
    let lang = args.lang.as_deref();
    let request_link =
        RequestLink::new(api.base(), alias.clone(), lang, prepared.key.request_key());
    let inbox_link = InboxLink::new(api.base(), alias, lang, prepared.key);

    // The inbox link is kept before the request link goes out: an answer nobody can read
    // must not be asked for.
    match inbox_file {
        Some(file) => {
            if let Err(e) = file.write(&inbox_link.to_url()) {
                cancel(&api, &inbox_link);
                return Err(e);
            }
        }
        None => {
            note(
                "inbox link below: keep it to yourself. It is the only way to read the answer, \
                 and it is shown only here (read the answer with `oncelink inbox`):",
            );
            eprintln!("{}", inbox_link.to_url().as_str());
        }
    }
    output::line(&request_link.to_url())?;
    note(&format!(
        "send the request link (on stdout) to the person who has the secret; it takes one \
         answer until {}",
        format_time(expires_at)
    ));
    if args.wait {
        return inbox::wait_and_read(&api, &inbox_link, &args.output, Some(expires_at));
    }
    Ok(())
}

/// Cancels a request whose inbox link could not be kept (best effort: it expires anyway).
fn cancel(api: &Api, link: &InboxLink) {
    if api
        .cancel_request(link.alias().as_str(), &inbox::proof(link))
        .is_ok()
    {
        note("the request was cancelled again: its inbox link could not be saved");
    }
}

/// The `--inbox-file`, made new (0600) before the request is opened.
struct InboxFile {
    path: PathBuf,
    file: File,
}

impl InboxFile {
    /// Creates the file; one that exists (or a link) is never opened or replaced.
    fn create(path: &Path) -> Result<Self, CliError> {
        let file = crate::files::create_new(path).map_err(|e| {
            let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
                "it exists (an inbox file is never replaced: choose another name)".to_owned()
            } else {
                e.to_string()
            };
            CliError::Io(format!(
                "cannot create the inbox file {}: {why}; no request was made",
                path.display()
            ))
        })?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    /// Writes the inbox link; on failure the file is removed again.
    fn write(mut self, link: &str) -> Result<(), CliError> {
        let written = writeln!(self.file, "{link}").and_then(|()| self.file.sync_all());
        if let Err(e) = written {
            let path = self.path.clone();
            self.discard();
            return Err(CliError::Io(format!(
                "cannot write the inbox file {}: {e}",
                path.display()
            )));
        }
        note(&format!(
            "inbox link saved to {} (readable only by you): keep it, it is the only way to \
             read the answer (`oncelink inbox {}`)",
            self.path.display(),
            self.path.display()
        ));
        Ok(())
    }

    /// Removes the file made for a request that was not made.
    fn discard(self) {
        drop(self.file);
        let _ = std::fs::remove_file(&self.path);
    }
}

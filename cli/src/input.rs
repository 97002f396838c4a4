//! What the CLI reads besides its flags: links and text from stdin (so they need not appear
//! in `ps` or the shell history) and passphrases from the environment or the terminal.

use std::io::{IsTerminal, Read};

use zeroize::Zeroizing;

use crate::error::CliError;
use crate::output::escape_controls;

/// A link longer than this on stdin is not a link (a share link is about 100 characters).
const MAX_LINK_BYTES: u64 = 16 * 1024;

/// The link from the command line, or from stdin when the argument is `-` or absent and
/// stdin is not a terminal. `what` names it in messages ("link", "manage link").
pub fn link(argument: Option<String>, what: &str) -> Result<Zeroizing<String>, CliError> {
    match argument {
        Some(text) if text != "-" => Ok(Zeroizing::new(text)),
        Some(_) => link_from_stdin(what),
        None if !std::io::stdin().is_terminal() => link_from_stdin(what),
        None => Err(CliError::Input(format!(
            "no {what}: give it as an argument, or on stdin (`oncelink … - < file`, or \
             paste it after `oncelink … -` and press Ctrl-D)"
        ))),
    }
}

/// Like [`link`], but the argument may also name a file that holds the link (as
/// `request --inbox-file` writes it): an argument with `://` is a link, any other a file.
pub fn link_or_file(argument: Option<String>, what: &str) -> Result<Zeroizing<String>, CliError> {
    match argument {
        Some(path) if path != "-" && !path.contains("://") => {
            let shown = escape_controls(&path).into_owned();
            let file = std::fs::File::open(&path).map_err(|e| {
                CliError::Io(format!(
                    "cannot read {shown}: {e} (give the {what} itself, or the file that holds it)"
                ))
            })?;
            one_line(file, &shown, what)
        }
        argument => link(argument, what),
    }
}

fn link_from_stdin(what: &str) -> Result<Zeroizing<String>, CliError> {
    one_line(std::io::stdin(), "stdin", what)
}

/// The one line of `source` (stdin, a file), which must be a short, single-line text.
fn one_line(input: impl Read, source: &str, what: &str) -> Result<Zeroizing<String>, CliError> {
    let mut bytes = Zeroizing::new(Vec::new());
    input
        .take(MAX_LINK_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Io(format!("cannot read {source}: {e}")))?;
    if bytes.len() as u64 > MAX_LINK_BYTES {
        return Err(CliError::Input(format!(
            "{source} is too long to be a {what}"
        )));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::Input(format!("{source} is not a {what}: it is not text")))?
        .trim();
    if text.is_empty() {
        let place = if source == "stdin" { "on" } else { "in" };
        return Err(CliError::Input(format!("no {what} {place} {source}")));
    }
    if text.contains(['\n', '\r']) {
        return Err(CliError::Input(format!(
            "{source} must hold one {what}, on one line"
        )));
    }
    Ok(Zeroizing::new(text.to_owned()))
}

/// The text to send: the argument, or all of stdin when it is a pipe or a file.
pub fn secret_text(argument: Option<String>) -> Result<Zeroizing<String>, CliError> {
    match argument {
        Some(text) => Ok(Zeroizing::new(text)),
        None if !std::io::stdin().is_terminal() => {
            let mut bytes = Zeroizing::new(Vec::new());
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::Io(format!("cannot read stdin: {e}")))?;
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                CliError::Input("stdin is not UTF-8 text; send images with --image".into())
            })?;
            Ok(Zeroizing::new(text.to_owned()))
        }
        None => Ok(Zeroizing::new(String::new())),
    }
}

/// A passphrase from ONCELINK_PASSPHRASE, or asked on the terminal without echo (and twice
/// when `confirm`).
pub fn passphrase(confirm: bool) -> Result<Zeroizing<String>, CliError> {
    if let Ok(p) = std::env::var("ONCELINK_PASSPHRASE") {
        if p.is_empty() {
            return Err(CliError::Input("ONCELINK_PASSPHRASE is empty".into()));
        }
        return Ok(Zeroizing::new(p));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|_| {
                CliError::Input(
                    "a passphrase is needed: set ONCELINK_PASSPHRASE or run in a terminal".into(),
                )
            })
    };
    let first = ask("Passphrase: ")?;
    if first.is_empty() {
        return Err(CliError::Input("the passphrase is empty".into()));
    }
    if confirm && *ask("Passphrase again: ")? != *first {
        return Err(CliError::Input("the passphrases do not match".into()));
    }
    Ok(first)
}

//! What reaches stdout and stderr: the data unchanged for pipes and files, and escaped for
//! a terminal, where a secret's control characters could otherwise act (an `ESC ] 52`
//! clipboard write, a `\r` that draws a fake `oncelink:` line over the real one).

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::CliError;

/// Whether `c` is shown escaped on a terminal: the C0 controls except newline and tab (so
/// `\r` is escaped too), DEL, and the C1 controls U+0080–U+009F (which some terminals obey
/// like `ESC` sequences) — exactly Unicode's `Cc`, which `char::is_control` tests.
fn is_unsafe(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `text` with every unsafe character written as a visible escape (`\x1b`, `\r`, `\u{9b}`).
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) && u32::from(c) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Where text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl Stream {
    fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }
}

/// Writes a secret's text: unchanged to a pipe or file, escaped (with a note on stderr, and
/// a final newline) on a terminal.
pub fn secret_text(text: &str, stream: Stream) -> Result<(), CliError> {
    let terminal = stream.is_terminal();
    let shown = if terminal {
        escape_controls(text)
    } else {
        Cow::Borrowed(text)
    };
    let newline = terminal && !text.is_empty() && !text.ends_with('\n');
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        out.write_all(shown.as_bytes())?;
        if newline {
            out.write_all(b"\n")?;
        }
        out.flush()
    };
    match stream {
        Stream::Stdout => write(&mut std::io::stdout().lock()),
        Stream::Stderr => write(&mut std::io::stderr().lock()),
    }
    .map_err(|e| CliError::Io(format!("cannot write the text: {e}")))?;
    if matches!(shown, Cow::Owned(_)) {
        note(
            "the text contains control characters, shown escaped; redirect the output to a \
             file to get it unchanged",
        );
    }
    Ok(())
}

/// One line of data on stdout (a link, JSON, a status).
pub fn line(text: &str) -> Result<(), CliError> {
    writeln!(std::io::stdout().lock(), "{text}")
        .map_err(|e| CliError::Io(format!("cannot write to stdout: {e}")))
}

/// A value as one line of JSON on stdout (serde escapes every control character).
pub fn json_line<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string(value)
        .map_err(|_| CliError::Io("cannot encode the answer as JSON".into()))?;
    line(&text)
}

/// A message on stderr, prefixed `oncelink: `.
pub fn note(message: &str) {
    eprintln!("oncelink: {message}");
}

/// Now, in Unix seconds.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A Unix time as RFC 3339 (UTC).
pub fn format_time(unix: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_the_rest_kept() {
        assert!(matches!(
            escape_controls("plain\ttext\nünïcödé 你好"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_controls("a\u{1b}]52;c;aGk=\u{7}b"),
            "a\\x1b]52;c;aGk=\\x07b"
        );
        assert_eq!(escape_controls("ok\roncelink: fake"), "ok\\roncelink: fake");
        assert_eq!(escape_controls("\u{9b}31m\u{7f}\0"), "\\u{9b}31m\\x7f\\x00");
        assert_eq!(
            escape_controls("\u{a0}é"),
            "\u{a0}é",
            "printable Latin-1 stays"
        );
    }
}

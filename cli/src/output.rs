//! What reaches stdout and stderr: the data unchanged for pipes and files, and escaped for
//! a terminal, where a secret's control characters could otherwise act (an `ESC ] 52`
//! clipboard write, a `\r` that draws a fake `oncelink:` line over the real one).

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::CliError;

/// Whether `c` is shown escaped on a terminal: the C0 controls except newline and tab (so
/// `\r` is escaped too), DEL, and the C1 controls U+0080–U+009F (which some terminals obey
/// like `ESC` sequences) — Unicode's `Cc`, which `char::is_control` tests — and the invisible
/// characters that reorder or hide what is shown (bidirectional overrides and isolates,
/// zero-width characters, line and paragraph separators, the byte-order mark).
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
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

/// A value as one line of JSON on stdout. serde escapes only U+0000–U+001F; every other
/// unsafe character (DEL, C1 controls, bidirectional overrides) is written as `\uXXXX` too,
/// which is the same JSON string and cannot act on a terminal.
pub fn json_line<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string(value)
        .map_err(|_| CliError::Io("cannot encode the answer as JSON".into()))?;
    line(&json_escaped(&text))
}

/// `json` with every unsafe character outside ASCII controls as a `\uXXXX` escape (they are
/// all in the Basic Multilingual Plane, so one escape each).
fn json_escaped(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
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
    // RFC 3339 ends at 9999-12-31; a server's larger number must not crash the CLI.
    const LAST: u64 = 253_402_300_799;
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix.min(LAST))).to_string()
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
            escape_controls("pay\u{202e}exe.txt\u{200b}"),
            "pay\\u{202e}exe.txt\\u{200b}"
        );
        assert_eq!(
            json_escaped("{\"text\":\"a\u{9b}b\u{202e}c\"}"),
            r#"{"text":"a\u009bb\u202ec"}"#
        );
        let decoded: String = serde_json::from_str(&json_escaped("\"\u{7f}\u{2066}\"")).unwrap();
        assert_eq!(decoded, "\u{7f}\u{2066}", "still the same JSON string");
        assert_eq!(format_time(u64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(
            escape_controls("\u{a0}é"),
            "\u{a0}é",
            "printable Latin-1 stays"
        );
    }
}

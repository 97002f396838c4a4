//! Progress bars on stderr for large transfers, only when stderr is a terminal.

use std::io::{IsTerminal, Read};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

/// Transfers smaller than this finish too fast to need a bar.
const MIN_BYTES: u64 = 256 * 1024;

/// Shows (or not) progress for one transfer at a time.
pub struct Progress {
    enabled: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Progress {
    /// Bars when stderr is a terminal; nothing otherwise (scripts, pipes, CI logs).
    pub fn for_stderr() -> Self {
        Self {
            enabled: std::io::stderr().is_terminal(),
            current: Mutex::new(None),
        }
    }

    /// Never shows anything.
    pub fn hidden() -> Self {
        Self {
            enabled: false,
            current: Mutex::new(None),
        }
    }

    /// Wraps `inner` so that reading it advances a bar for `len` bytes.
    pub fn reader<R: Read>(&self, inner: R, len: u64, label: &'static str) -> ProgressReader<R> {
        let bar = (self.enabled && len >= MIN_BYTES).then(|| {
            let bar = ProgressBar::new(len);
            if let Ok(style) = ProgressStyle::with_template(
                "{msg:>11} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label);
            bar
        });
        if let Ok(mut current) = self.current.lock() {
            current.clone_from(&bar);
        }
        ProgressReader { inner, bar }
    }

    /// Removes the bar of the last transfer.
    pub fn finish(&self) {
        if let Ok(mut current) = self.current.lock()
            && let Some(bar) = current.take()
        {
            bar.finish_and_clear();
        }
    }
}

/// A reader that reports what passes through it.
pub struct ProgressReader<R> {
    inner: R,
    bar: Option<ProgressBar>,
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }
}

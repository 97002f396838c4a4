//! Bytes kept in JavaScript memory, in the pieces they came in: the file data of an upload
//! or a download goes from the browser to WebCrypto and back to the browser without a copy
//! into WASM (each one measured on the page's only thread; BENCHMARKS.md, files).

use std::collections::VecDeque;

use js_sys::Uint8Array;

/// A queue of bytes in JavaScript buffers, taken from the front.
#[derive(Default)]
pub struct JsQueue {
    pieces: VecDeque<Uint8Array>,
    len: usize,
}

impl JsQueue {
    /// Appends a piece (kept as it is, not copied).
    pub fn push(&mut self, piece: Uint8Array) {
        self.len += piece.length() as usize;
        self.pieces.push_back(piece);
    }

    /// Bytes queued.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first `n` bytes (at most all), as views of the queued pieces: no copy (for a
    /// `Blob`, which copies them itself).
    pub fn take_views(&mut self, n: usize) -> Vec<Uint8Array> {
        let mut views = Vec::new();
        let mut wanted = n.min(self.len);
        self.len -= wanted;
        while wanted > 0 {
            let Some(piece) = self.pieces.pop_front() else {
                break;
            };
            let len = piece.length() as usize;
            if len <= wanted {
                wanted -= len;
                views.push(piece);
            } else {
                views.push(piece.subarray(0, wanted as u32));
                self.pieces
                    .push_front(piece.subarray(wanted as u32, len as u32));
                wanted = 0;
            }
        }
        views
    }

    /// The next bytes cut at `lengths`, one buffer each: a view where a cut lies in one
    /// piece, else a small copy (large fresh buffers cost the page a fault per page of
    /// memory: 0.9 s per GiB in Chromium here, against 0.03 s to reuse one).
    pub fn take_cut(&mut self, lengths: &[usize]) -> Vec<Uint8Array> {
        lengths
            .iter()
            .map(|&n| match self.take_views(n).as_slice() {
                [one] => one.clone(),
                views => joined(views),
            })
            .collect()
    }

    /// Forgets everything queued.
    pub fn clear(&mut self) {
        self.pieces.clear();
        self.len = 0;
    }
}

/// `buffers` end to end in one new buffer.
fn joined(buffers: &[Uint8Array]) -> Uint8Array {
    let total: u32 = buffers.iter().map(Uint8Array::length).sum();
    let all = Uint8Array::new_with_length(total);
    let mut at = 0;
    for buffer in buffers {
        all.set(buffer, at);
        at += buffer.length();
    }
    all
}

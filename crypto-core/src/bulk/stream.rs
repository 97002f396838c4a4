//! File chunks sealed and opened asynchronously, with the AES-256-GCM step in WebCrypto when
//! the page has it (the browser's path; natively, and without WebCrypto, the pure-Rust
//! cipher). The rules — chunk places, lengths, nonces, errors — are those of
//! [`crate::stream`]: these types wrap its sealer and opener and only swap the cipher.
//! The file key is imported into WebCrypto once per file, not once per chunk, and chunks
//! go to WebCrypto many at a time ([`ChunkSealer::seal_chunks`], [`ChunkOpener::open_chunks`]):
//! awaited one by one, each chunk would wait a round trip to WebCrypto's worker, which
//! measured 15 MB/s for a file in Chromium.

use zeroize::Zeroizing;

use crate::Error;
use crate::stream::{ChunkPlace, FileKey, StreamOpener, StreamSealer};

/// The imported key of one file, when WebCrypto does the work.
#[cfg(target_arch = "wasm32")]
type WebKey = Option<(web_sys::SubtleCrypto, web_sys::CryptoKey)>;

#[cfg(target_arch = "wasm32")]
async fn web_key(key: &FileKey, usage: &str) -> WebKey {
    let subtle = super::webcrypto::subtle()?;
    let imported = super::webcrypto::import(&subtle, key.expose_secret(), usage).await?;
    Some((subtle, imported))
}

/// Seals one file chunk by chunk, in order ([`StreamSealer`] with WebCrypto).
pub struct ChunkSealer {
    inner: StreamSealer,
    #[cfg(target_arch = "wasm32")]
    web: WebKey,
}

impl ChunkSealer {
    /// A sealer for a file of `size` bytes under `key`.
    pub async fn new(key: &FileKey, size: u64) -> Result<Self, Error> {
        Ok(Self {
            inner: StreamSealer::new(key, size)?,
            #[cfg(target_arch = "wasm32")]
            web: web_key(key, "encrypt").await,
        })
    }

    /// The place of the next chunk to seal, or `None` when the file is done.
    pub fn next_place(&self) -> Option<ChunkPlace> {
        self.inner.next_place()
    }

    /// Seals the next chunk; `plaintext` must be exactly its length
    /// ([`crate::stream::CHUNK_LEN`] for every chunk but the last).
    pub async fn seal_chunk(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        self.seal_chunks(plaintext).await
    }

    /// Seals the next chunks at once; `plaintext` must be whole chunks from here (a multiple
    /// of [`crate::stream::CHUNK_LEN`], or up to the file's end). Returns them sealed, end to
    /// end.
    #[allow(clippy::let_and_return)] // one `let` per target
    pub async fn seal_chunks(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        // In the browser, through the path the page takes (WebCrypto, or the Rust cipher
        // where the page has none), so the vectors run there prove it.
        #[cfg(target_arch = "wasm32")]
        let sealed = self
            .seal_chunks_js(&js_sys::Uint8Array::from(plaintext))
            .await
            .map(|sealed| sealed.iter().flat_map(|b| b.to_vec()).collect());
        #[cfg(not(target_arch = "wasm32"))]
        let sealed = self.seal_in_rust(plaintext);
        sealed
    }

    /// [`ChunkSealer::seal_chunks`] on bytes in JavaScript memory (a page's file slice),
    /// which WebCrypto reads without a copy into WASM. Returns the sealed chunks end to end
    /// in one or more buffers.
    #[cfg(target_arch = "wasm32")]
    pub async fn seal_chunks_js(
        &mut self,
        plaintext: &js_sys::Uint8Array,
    ) -> Result<Vec<js_sys::Uint8Array>, Error> {
        let places = self.inner.places_for_many(plaintext.length() as usize)?;
        if let Some((subtle, key)) = &self.web {
            let chunks = views(plaintext, places.iter().map(|p| p.plain_len));
            let calls: Vec<_> = places.iter().map(ChunkPlace::nonce).zip(chunks).collect();
            if let Some(sealed) = super::webcrypto::seal_chunks(subtle, key, &calls).await {
                self.inner.advance_by(places.len());
                return Ok(sealed);
            }
        }
        let copy = Zeroizing::new(plaintext.to_vec());
        let sealed = self.seal_in_rust(&copy)?;
        Ok(vec![js_sys::Uint8Array::from(sealed.as_slice())])
    }

    fn seal_in_rust(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let places = self.inner.places_for_many(plaintext.len())?;
        let mut sealed = Vec::with_capacity(plaintext.len() + places.len() * 16);
        let mut rest = plaintext;
        for place in &places {
            let (chunk, after) = rest.split_at(place.plain_len);
            sealed.extend(self.inner.seal_chunk(chunk)?);
            rest = after;
        }
        Ok(sealed)
    }

    /// Whether every chunk has been sealed.
    pub fn is_done(&self) -> bool {
        self.inner.is_done()
    }
}

/// Opens one file chunk by chunk, in order ([`StreamOpener`] with WebCrypto).
pub struct ChunkOpener {
    inner: StreamOpener,
    #[cfg(target_arch = "wasm32")]
    web: WebKey,
}

impl ChunkOpener {
    /// An opener for a file of `size` bytes (from the manifest) under `key`, starting at
    /// chunk `index` (0, or where an interrupted download stopped).
    pub async fn starting_at(key: &FileKey, size: u64, index: u64) -> Result<Self, Error> {
        Ok(Self {
            inner: StreamOpener::starting_at(key, size, index)?,
            #[cfg(target_arch = "wasm32")]
            web: web_key(key, "decrypt").await,
        })
    }

    /// The place of the next chunk to open, or `None` when the file is complete.
    pub fn next_place(&self) -> Option<ChunkPlace> {
        self.inner.next_place()
    }

    /// Opens the next chunk, with [`StreamOpener::open_chunk`]'s errors.
    pub async fn open_chunk(&mut self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        self.inner.place_for(sealed.len())?;
        self.open_chunks(sealed).await
    }

    /// Opens the next chunks at once; `sealed` must be whole sealed chunks from here.
    /// Returns their plaintext end to end. A chunk that does not authenticate fails them
    /// all, and none counts as opened.
    #[allow(clippy::let_and_return)] // one `let` per target
    pub async fn open_chunks(&mut self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        // In the browser, through the page's path (as `seal_chunks`).
        #[cfg(target_arch = "wasm32")]
        let opened = {
            let places = self.inner.places_for_many(sealed.len())?;
            let whole = js_sys::Uint8Array::from(sealed);
            let chunks = views(&whole, places.iter().map(ChunkPlace::sealed_len));
            let opened = self.open_chunks_js(&chunks).await?;
            let total = opened.iter().map(|b| b.length() as usize).sum();
            let mut plain = Zeroizing::new(vec![0u8; total]);
            let mut at = 0;
            for buffer in &opened {
                let end = at + buffer.length() as usize;
                buffer.copy_to(&mut plain[at..end]);
                at = end;
            }
            super::webcrypto::wipe(&opened);
            Ok(plain)
        };
        #[cfg(not(target_arch = "wasm32"))]
        let opened = self.open_in_rust(sealed);
        opened
    }

    /// [`ChunkOpener::open_chunks`] on bytes in JavaScript memory (a download as it
    /// arrives), never copied into WASM when WebCrypto does the work: `chunks` holds the next
    /// sealed chunks, one buffer each (a chunk of a different length is an error, and
    /// nothing counts as opened). Returns the plaintext, one or more buffers end to end,
    /// which the caller wipes ([`wipe`]) once used.
    #[cfg(target_arch = "wasm32")]
    pub async fn open_chunks_js(
        &mut self,
        chunks: &[js_sys::Uint8Array],
    ) -> Result<Vec<js_sys::Uint8Array>, Error> {
        let total: usize = chunks.iter().map(|c| c.length() as usize).sum();
        let places = self.inner.places_for_many(total)?;
        let fits = chunks.len() == places.len()
            && chunks
                .iter()
                .zip(&places)
                .all(|(chunk, place)| chunk.length() as usize == place.sealed_len());
        if !fits {
            return Err(Error::FileData("the file data is not cut at its chunks"));
        }
        if let Some((subtle, key)) = &self.web {
            let calls: Vec<_> = places
                .iter()
                .map(ChunkPlace::nonce)
                .zip(chunks.iter().cloned())
                .collect();
            if let Some(opened) = super::webcrypto::open_chunks(subtle, key, &calls).await {
                let opened = opened?;
                self.inner.advance_by(places.len());
                return Ok(opened);
            }
        }
        let mut sealed = Vec::with_capacity(total);
        for chunk in chunks {
            sealed.extend(chunk.to_vec());
        }
        let plain = self.open_in_rust(&sealed)?;
        Ok(vec![js_sys::Uint8Array::from(plain.as_slice())])
    }

    /// The Rust path checks every chunk before any counts as opened.
    fn open_in_rust(&mut self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let places = self.inner.places_for_many(sealed.len())?;
        let mut inner = self.inner.clone();
        let mut plain = Zeroizing::new(Vec::with_capacity(sealed.len()));
        let mut rest = sealed;
        for place in &places {
            let (chunk, after) = rest.split_at(place.sealed_len());
            plain.extend_from_slice(&inner.open_chunk(chunk)?);
            rest = after;
        }
        self.inner = inner;
        Ok(plain)
    }

    /// Succeeds only once every chunk has been opened ([`StreamOpener::finish`]).
    pub fn finish(self) -> Result<(), Error> {
        self.inner.finish()
    }
}

/// Zeroes JavaScript buffers that held plaintext.
#[cfg(target_arch = "wasm32")]
pub use super::webcrypto::wipe;

/// Views of consecutive pieces of `bytes`, of these lengths (checked by the caller against
/// the whole).
#[cfg(target_arch = "wasm32")]
fn views(
    bytes: &js_sys::Uint8Array,
    lengths: impl Iterator<Item = usize>,
) -> Vec<js_sys::Uint8Array> {
    let mut at = 0u32;
    lengths
        .map(|len| {
            let end = at + len as u32;
            let view = bytes.subarray(at, end);
            at = end;
            view
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::stream::{CHUNK_LEN, sealed_len};

    fn now<F: Future>(future: F) -> F::Output {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("a native bulk future was not ready"),
        }
    }

    #[test]
    fn seals_and_opens_like_the_stream_module() {
        let key = FileKey::from_bytes([9; 32]);
        let size = CHUNK_LEN as u64 + 5;
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut sealer = now(ChunkSealer::new(&key, size)).unwrap();
        let mut plain_sealer = StreamSealer::new(&key, size).unwrap();
        let mut sealed = Vec::new();
        for chunk in data.chunks(CHUNK_LEN) {
            let ours = now(sealer.seal_chunk(chunk)).unwrap();
            assert_eq!(ours, plain_sealer.seal_chunk(chunk).unwrap());
            sealed.extend(ours);
        }
        assert!(sealer.is_done());
        assert_eq!(sealed.len() as u64, sealed_len(size));

        let mut opener = now(ChunkOpener::starting_at(&key, size, 0)).unwrap();
        let mut opened = Vec::new();
        for chunk in sealed.chunks(CHUNK_LEN + 16) {
            opened.extend_from_slice(&now(opener.open_chunk(chunk)).unwrap());
        }
        opener.finish().unwrap();
        assert_eq!(opened, data);
    }

    #[test]
    fn many_chunks_at_once_are_the_chunks_one_by_one() {
        let key = FileKey::from_bytes([3; 32]);
        let size = 3 * CHUNK_LEN as u64 + 7;
        let data: Vec<u8> = (0..size).map(|i| (i % 13) as u8).collect();
        let mut one = now(ChunkSealer::new(&key, size)).unwrap();
        let by_one: Vec<u8> = data
            .chunks(CHUNK_LEN)
            .flat_map(|c| now(one.seal_chunk(c)).unwrap())
            .collect();
        let mut many = now(ChunkSealer::new(&key, size)).unwrap();
        // Two chunks, then the rest: any run of whole chunks.
        let mut at_once = now(many.seal_chunks(&data[..2 * CHUNK_LEN])).unwrap();
        at_once.extend(now(many.seal_chunks(&data[2 * CHUNK_LEN..])).unwrap());
        assert_eq!(at_once, by_one);
        assert!(many.is_done());
        // Not whole chunks: refused, nothing sealed.
        let mut part = now(ChunkSealer::new(&key, size)).unwrap();
        assert!(now(part.seal_chunks(&data[..CHUNK_LEN + 1])).is_err());

        let mut opener = now(ChunkOpener::starting_at(&key, size, 0)).unwrap();
        let sealed_chunk = CHUNK_LEN + 16;
        let mut opened = now(opener.open_chunks(&at_once[..3 * sealed_chunk]))
            .unwrap()
            .to_vec();
        opened.extend_from_slice(&now(opener.open_chunks(&at_once[3 * sealed_chunk..])).unwrap());
        assert_eq!(opened, data);
        opener.finish().unwrap();

        // A bad chunk in a batch fails the batch, and none of it counts as opened.
        let mut bad = at_once.clone();
        bad[sealed_chunk + 5] ^= 1;
        let mut opener = now(ChunkOpener::starting_at(&key, size, 0)).unwrap();
        assert_eq!(
            now(opener.open_chunks(&bad[..2 * sealed_chunk])),
            Err(Error::Authentication)
        );
        assert_eq!(
            now(opener.open_chunks(&at_once[..sealed_chunk]))
                .unwrap()
                .as_slice(),
            &data[..CHUNK_LEN]
        );
    }

    #[test]
    fn refuses_what_the_stream_module_refuses() {
        let key = FileKey::from_bytes([9; 32]);
        let mut sealer = now(ChunkSealer::new(&key, 10)).unwrap();
        assert!(matches!(
            now(sealer.seal_chunk(&[0; 9])),
            Err(Error::FileData(_))
        ));
        let mut sealed = now(sealer.seal_chunk(&[0; 10])).unwrap();
        sealed[0] ^= 1;
        let mut opener = now(ChunkOpener::starting_at(&key, 10, 0)).unwrap();
        assert_eq!(now(opener.open_chunk(&sealed)), Err(Error::Authentication));
        assert!(matches!(
            now(opener.open_chunk(&sealed[..5])),
            Err(Error::FileData(_))
        ));
        assert!(matches!(opener.finish(), Err(Error::FileData(_))));
    }
}

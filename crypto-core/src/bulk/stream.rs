//! File chunks sealed and opened asynchronously, with the AES-256-GCM step in WebCrypto when
//! the page has it (the browser's path; natively, and without WebCrypto, the pure-Rust
//! cipher). The rules — chunk places, lengths, nonces, errors — are those of
//! [`crate::stream`]: these types wrap its sealer and opener and only swap the cipher.
//! The file key is imported into WebCrypto once per file, not once per chunk.

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
        #[cfg(target_arch = "wasm32")]
        if let Some((subtle, key)) = &self.web {
            let place = self.inner.place_for(plaintext.len())?;
            if let Some(sealed) =
                super::webcrypto::seal_chunk(subtle, key, &place.nonce(), plaintext).await
            {
                self.inner.advance();
                return Ok(sealed);
            }
        }
        self.inner.seal_chunk(plaintext)
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
        #[cfg(target_arch = "wasm32")]
        if let Some((subtle, key)) = &self.web {
            let place = self.inner.place_for(sealed.len())?;
            if let Some(opened) =
                super::webcrypto::open_chunk(subtle, key, &place.nonce(), sealed).await
            {
                let opened = opened?;
                self.inner.advance();
                return Ok(opened);
            }
        }
        self.inner.open_chunk(sealed)
    }

    /// Succeeds only once every chunk has been opened ([`StreamOpener::finish`]).
    pub fn finish(self) -> Result<(), Error> {
        self.inner.finish()
    }
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

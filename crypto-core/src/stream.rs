//! File data: a STREAM of AES-256-GCM chunks (as in age and RFC 8188), so a file of any
//! size is encrypted and decrypted 64 KiB at a time.
//!
//! ```text
//! file key  Kf: 32 random bytes per file, carried only in the encrypted manifest
//! chunk i:  AES-256-GCM(Kf, nonce = i as 11 bytes BE | last (0x00 or 0x01), aad = "", plaintext i)
//! stream:   chunk 0 | chunk 1 | … | chunk n-1   (each 64 KiB + 16 of tag, the last 0–64 KiB + 16)
//! ```
//!
//! A file of `size` bytes has `max(1, ⌈size / 64 KiB⌉)` chunks: every chunk but the last is
//! full, and the last is empty only when the whole file is. The counter in the nonce
//! catches reordered, dropped and duplicated chunks; the last-chunk flag catches a stream
//! cut at a chunk boundary; the manifest's size fixes where the stream ends, so a shorter
//! or longer stream is refused before any chunk is opened wrongly.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::payload::TAG_LEN;
use crate::{Error, rng};

/// Plaintext bytes in every chunk but the last.
pub const CHUNK_LEN: usize = 64 * 1024;
/// Bytes of a full chunk once sealed.
pub const SEALED_CHUNK_LEN: usize = CHUNK_LEN + TAG_LEN;
/// Length of a file key.
pub const FILE_KEY_LEN: usize = 32;
/// The largest file size the format accepts: 2^53 − 1, so that sizes stay exact as
/// JavaScript numbers in the browser.
pub const MAX_FILE_SIZE: u64 = (1 << 53) - 1;

/// The random key of one file's data. Not `Clone`, wiped on drop, `Debug` shows nothing.
#[derive(ZeroizeOnDrop)]
pub struct FileKey([u8; FILE_KEY_LEN]);

impl FileKey {
    /// A fresh key from the OS or browser CSPRNG.
    pub fn generate() -> Result<Self, Error> {
        let mut key = Self([0; FILE_KEY_LEN]);
        rng::fill(&mut key.0)?;
        Ok(key)
    }

    /// Wraps raw key bytes (from a manifest, or a test vector).
    pub fn from_bytes(bytes: [u8; FILE_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw key bytes. Named so that every use stands out in review.
    pub fn expose_secret(&self) -> &[u8; FILE_KEY_LEN] {
        &self.0
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.0.into())
    }
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileKey(***)")
    }
}

/// How many chunks a file of `size` bytes has.
pub fn chunk_count(size: u64) -> u64 {
    size.div_ceil(CHUNK_LEN as u64).max(1)
}

/// How long the sealed stream of a file of `size` bytes is.
pub fn sealed_len(size: u64) -> u64 {
    size + chunk_count(size) * TAG_LEN as u64
}

/// The nonce of chunk `index`: the index as 11 bytes big-endian, then 1 for the last chunk.
pub fn chunk_nonce(index: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&index.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

/// Where one chunk sits in a file of a known size: its index, whether it is the last,
/// and its plaintext length. Shared by sealing and opening, natively and with WebCrypto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPlace {
    /// The chunk's index, from 0.
    pub index: u64,
    /// Whether this is the file's last chunk.
    pub last: bool,
    /// Plaintext bytes in this chunk.
    pub plain_len: usize,
}

impl ChunkPlace {
    /// The place of chunk `index` of a file of `size` bytes, or [`Error::FileData`] if the
    /// file has no such chunk.
    pub fn of(size: u64, index: u64) -> Result<Self, Error> {
        check_size(size)?;
        let count = chunk_count(size);
        if index >= count {
            return Err(Error::FileData(
                "the file data continues past the file's end",
            ));
        }
        let last = index + 1 == count;
        let plain_len = if last {
            // 1..=CHUNK_LEN, or 0 for an empty file; fits usize because it is ≤ CHUNK_LEN.
            (size - index * CHUNK_LEN as u64) as usize
        } else {
            CHUNK_LEN
        };
        Ok(Self {
            index,
            last,
            plain_len,
        })
    }

    /// The nonce of this chunk.
    pub fn nonce(&self) -> [u8; 12] {
        chunk_nonce(self.index, self.last)
    }

    /// Bytes of this chunk once sealed.
    pub fn sealed_len(&self) -> usize {
        self.plain_len + TAG_LEN
    }
}

fn check_size(size: u64) -> Result<(), Error> {
    if size > MAX_FILE_SIZE {
        return Err(Error::FileData("the file is larger than the format allows"));
    }
    Ok(())
}

/// Encrypts one file chunk by chunk, in order.
pub struct StreamSealer {
    cipher: Aes256Gcm,
    size: u64,
    next: u64,
}

impl StreamSealer {
    /// A sealer for a file of `size` bytes under `key`.
    pub fn new(key: &FileKey, size: u64) -> Result<Self, Error> {
        check_size(size)?;
        Ok(Self {
            cipher: key.cipher(),
            size,
            next: 0,
        })
    }

    /// The place of the next chunk to seal, or `None` when the file is done.
    pub fn next_place(&self) -> Option<ChunkPlace> {
        ChunkPlace::of(self.size, self.next).ok()
    }

    /// Seals the next chunk. `plaintext` must be exactly that chunk's length
    /// ([`CHUNK_LEN`] for every chunk but the last).
    pub fn seal_chunk(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let place = self.place_for(plaintext.len())?;
        let mut out = Vec::with_capacity(place.sealed_len());
        out.extend_from_slice(plaintext);
        let tag = self
            .cipher
            .encrypt_inout_detached(&Nonce::from(place.nonce()), b"", out.as_mut_slice().into())
            .map_err(|_| Error::FileData("a chunk could not be sealed"))?;
        out.extend_from_slice(&tag);
        self.advance();
        Ok(out)
    }

    /// The next chunk's place, if `plain_len` is its plaintext length (the one rule for
    /// every AES-GCM implementation that seals a chunk).
    pub(crate) fn place_for(&self, plain_len: usize) -> Result<ChunkPlace, Error> {
        let place = ChunkPlace::of(self.size, self.next)?;
        if plain_len != place.plain_len {
            return Err(Error::FileData("a chunk to seal has the wrong length"));
        }
        Ok(place)
    }

    /// Moves past a chunk sealed at [`Self::place_for`]'s place.
    pub(crate) fn advance(&mut self) {
        self.next += 1;
    }

    /// The places of the next chunks, if `plain_len` bytes are exactly whole chunks from
    /// here (an empty file's one empty chunk included).
    pub(crate) fn places_for_many(&self, plain_len: usize) -> Result<Vec<ChunkPlace>, Error> {
        let mut places = Vec::new();
        let mut left = plain_len;
        loop {
            let place = ChunkPlace::of(self.size, self.next + places.len() as u64)
                .map_err(|_| Error::FileData("a chunk to seal has the wrong length"))?;
            if place.plain_len > left {
                return Err(Error::FileData("a chunk to seal has the wrong length"));
            }
            left -= place.plain_len;
            places.push(place);
            if left == 0 {
                return Ok(places);
            }
        }
    }

    /// Moves past `n` chunks sealed at [`Self::places_for_many`]'s places (by WebCrypto:
    /// natively every chunk goes through [`Self::seal_chunk`]).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn advance_by(&mut self, n: usize) {
        self.next += n as u64;
    }

    /// Whether every chunk has been sealed.
    pub fn is_done(&self) -> bool {
        self.next == chunk_count(self.size)
    }
}

/// Decrypts one file chunk by chunk, in order, and knows when it is complete.
#[derive(Clone)]
pub struct StreamOpener {
    cipher: Aes256Gcm,
    size: u64,
    next: u64,
}

impl StreamOpener {
    /// An opener for a file of `size` bytes (from the manifest) under `key`.
    pub fn new(key: &FileKey, size: u64) -> Result<Self, Error> {
        Self::starting_at(key, size, 0)
    }

    /// An opener that starts at chunk `index`, to resume a download.
    pub fn starting_at(key: &FileKey, size: u64, index: u64) -> Result<Self, Error> {
        ChunkPlace::of(size, index)?;
        Ok(Self {
            cipher: key.cipher(),
            size,
            next: index,
        })
    }

    /// The place of the next chunk to open, or `None` when the file is complete.
    pub fn next_place(&self) -> Option<ChunkPlace> {
        ChunkPlace::of(self.size, self.next).ok()
    }

    /// Opens the next chunk. A chunk of the wrong length is [`Error::FileData`] (the data
    /// is cut short or too long); a chunk that does not authenticate at this place (altered,
    /// reordered, duplicated, from another file) is [`Error::Authentication`].
    pub fn open_chunk(&mut self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let mut plain = Zeroizing::new(sealed.to_vec());
        let len = self.open_chunk_in_place(&mut plain)?;
        plain.truncate(len);
        Ok(plain)
    }

    /// [`Self::open_chunk`] where the chunk lies: `sealed` ends up holding the plaintext in
    /// its first bytes, whose length is returned (no allocation, for a reader that reuses
    /// its buffers). On an error the buffer is wiped: it never holds unauthenticated data.
    pub fn open_chunk_in_place(&mut self, sealed: &mut [u8]) -> Result<usize, Error> {
        let place = self.place_for(sealed.len())?;
        let (body, tag) = sealed.split_at_mut(place.plain_len);
        let tag = Tag::try_from(&*tag).map_err(|_| Error::Authentication)?;
        let opened =
            self.cipher
                .decrypt_inout_detached(&Nonce::from(place.nonce()), b"", body.into(), &tag);
        if opened.is_err() {
            sealed.zeroize();
            return Err(Error::Authentication);
        }
        self.advance();
        Ok(place.plain_len)
    }

    /// The next chunk's place, if `sealed_len` is its sealed length (the one rule for every
    /// AES-GCM implementation that opens a chunk).
    pub(crate) fn place_for(&self, sealed_len: usize) -> Result<ChunkPlace, Error> {
        let place = ChunkPlace::of(self.size, self.next)?;
        if sealed_len < place.sealed_len() {
            return Err(Error::FileData("the file data ends before the file does"));
        }
        if sealed_len > place.sealed_len() {
            return Err(Error::FileData("a chunk of the file data is too long"));
        }
        Ok(place)
    }

    /// Moves past a chunk opened at [`Self::place_for`]'s place.
    pub(crate) fn advance(&mut self) {
        self.next += 1;
    }

    /// The places of the next chunks, if `sealed_len` bytes are exactly whole sealed chunks
    /// from here.
    pub(crate) fn places_for_many(&self, sealed_len: usize) -> Result<Vec<ChunkPlace>, Error> {
        let mut places = Vec::new();
        let mut left = sealed_len;
        while left > 0 {
            let place = ChunkPlace::of(self.size, self.next + places.len() as u64)?;
            if place.sealed_len() > left {
                return Err(Error::FileData("the file data ends before the file does"));
            }
            left -= place.sealed_len();
            places.push(place);
        }
        Ok(places)
    }

    /// Moves past `n` chunks opened at [`Self::places_for_many`]'s places (by WebCrypto).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn advance_by(&mut self, n: usize) {
        self.next += n as u64;
    }

    /// Succeeds only once every chunk has been opened: a stream that stops early is
    /// [`Error::FileData`], never a shorter file.
    pub fn finish(self) -> Result<(), Error> {
        if self.next == chunk_count(self.size) {
            Ok(())
        } else {
            Err(Error::FileData("the file data ends before the file does"))
        }
    }
}

/// Seals a whole file read from `input` into `output`, a chunk at a time (the CLI's path;
/// the memory used does not grow with the file). `size` must be the exact length of `input`.
pub fn seal_stream(
    key: &FileKey,
    size: u64,
    mut input: impl std::io::Read,
    mut output: impl std::io::Write,
) -> Result<(), StreamIoError> {
    let mut sealer = StreamSealer::new(key, size)?;
    let mut buf = Zeroizing::new(vec![0u8; CHUNK_LEN]);
    while let Some(place) = sealer.next_place() {
        let chunk = &mut buf[..place.plain_len];
        input.read_exact(chunk).map_err(StreamIoError::Io)?;
        output
            .write_all(&sealer.seal_chunk(chunk)?)
            .map_err(StreamIoError::Io)?;
    }
    // The input must end where the declared size does.
    if input.read(&mut buf[..1]).map_err(StreamIoError::Io)? != 0 {
        return Err(Error::FileData("the file is longer than its declared size").into());
    }
    Ok(())
}

/// Opens a whole sealed file read from `input` into `output`, a chunk at a time. Bytes
/// written before an error must be thrown away by the caller (the file is not authentic).
pub fn open_stream(
    key: &FileKey,
    size: u64,
    mut input: impl std::io::Read,
    mut output: impl std::io::Write,
) -> Result<(), StreamIoError> {
    let mut opener = StreamOpener::new(key, size)?;
    let mut buf = vec![0u8; SEALED_CHUNK_LEN + 1];
    while let Some(place) = opener.next_place() {
        // Read one byte more than the chunk at the end, to see trailing data.
        let want = place.sealed_len() + usize::from(place.last);
        let got = read_up_to(&mut input, &mut buf[..want]).map_err(StreamIoError::Io)?;
        if place.last && got == want {
            return Err(Error::FileData("the file data continues past the file's end").into());
        }
        let plain = opener.open_chunk(&buf[..got])?;
        output.write_all(&plain).map_err(StreamIoError::Io)?;
    }
    opener.finish()?;
    Ok(())
}

/// Reads until `buf` is full or the input ends (retrying interrupted reads); returns how
/// much was read. What a chunked reader needs where `read_exact` would lose a short tail.
pub fn read_up_to(input: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// An error of [`seal_stream`] or [`open_stream`]: the format's, or the reader's or
/// writer's.
#[derive(Debug, thiserror::Error)]
pub enum StreamIoError {
    /// The data is not a valid stream for this key and size.
    #[error(transparent)]
    Format(#[from] Error),
    /// Reading the input or writing the output failed.
    #[error("reading or writing the file failed: {0}")]
    Io(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_in_place_leaves_the_plaintext_or_nothing() {
        let key = FileKey::from_bytes([5; 32]);
        let size = CHUNK_LEN as u64 + 3;
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut sealer = StreamSealer::new(&key, size).unwrap();
        let mut first = sealer.seal_chunk(&data[..CHUNK_LEN]).unwrap();
        let mut second = sealer.seal_chunk(&data[CHUNK_LEN..]).unwrap();
        let mut opener = StreamOpener::new(&key, size).unwrap();
        assert_eq!(opener.open_chunk_in_place(&mut first), Ok(CHUNK_LEN));
        assert_eq!(&first[..CHUNK_LEN], &data[..CHUNK_LEN]);
        second[0] ^= 1;
        assert_eq!(
            opener.open_chunk_in_place(&mut second),
            Err(Error::Authentication)
        );
        assert!(
            second.iter().all(|&b| b == 0),
            "nothing unauthenticated is left"
        );
    }

    fn key() -> FileKey {
        FileKey::from_bytes([7; 32])
    }

    fn sealed(size: usize) -> (Vec<u8>, Vec<u8>) {
        let plain: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        seal_stream(&key(), size as u64, plain.as_slice(), &mut out).unwrap();
        (plain, out)
    }

    fn open(size: usize, data: &[u8]) -> Result<Vec<u8>, StreamIoError> {
        let mut out = Vec::new();
        open_stream(&key(), size as u64, data, &mut out).map(|()| out)
    }

    fn kind(result: Result<Vec<u8>, StreamIoError>) -> crate::ErrorKind {
        match result {
            Err(StreamIoError::Format(e)) => e.kind(),
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn chunk_counts_and_lengths() {
        assert_eq!(chunk_count(0), 1);
        assert_eq!(chunk_count(1), 1);
        assert_eq!(chunk_count(65_536), 1);
        assert_eq!(chunk_count(65_537), 2);
        assert_eq!(sealed_len(0), 16);
        assert_eq!(sealed_len(65_537), 65_537 + 32);
        assert_eq!(chunk_nonce(1, true), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
        assert_eq!(
            chunk_nonce(0x0102, false),
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0]
        );
        assert!(ChunkPlace::of(65_536, 1).is_err());
        assert!(ChunkPlace::of(MAX_FILE_SIZE + 1, 0).is_err());
    }

    #[test]
    fn round_trips_at_every_boundary() {
        for size in [0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 3 * 65_536 + 5] {
            let (plain, data) = sealed(size);
            assert_eq!(data.len() as u64, sealed_len(size as u64));
            assert_eq!(open(size, &data).unwrap(), plain, "size {size}");
        }
    }

    #[test]
    fn tampering_is_caught_with_the_right_error() {
        use crate::ErrorKind::{Authentication, FileData};
        let size = 3 * CHUNK_LEN + 10;
        let (_, data) = sealed(size);
        let chunk =
            |i: usize| &data[i * SEALED_CHUNK_LEN..((i + 1) * SEALED_CHUNK_LEN).min(data.len())];
        // Truncated at a chunk boundary, inside a chunk, and to nothing.
        assert_eq!(kind(open(size, &data[..2 * SEALED_CHUNK_LEN])), FileData);
        assert_eq!(kind(open(size, &data[..data.len() - 1])), FileData);
        assert_eq!(kind(open(size, &[])), FileData);
        // Reordered, duplicated, and one flipped bit.
        let reordered = [chunk(1), chunk(0), chunk(2), chunk(3)].concat();
        assert_eq!(kind(open(size, &reordered)), Authentication);
        let duplicated = [chunk(0), chunk(0), chunk(2), chunk(3)].concat();
        assert_eq!(kind(open(size, &duplicated)), Authentication);
        let mut flipped = data.clone();
        flipped[SEALED_CHUNK_LEN + 3] ^= 1;
        assert_eq!(kind(open(size, &flipped)), Authentication);
        // Trailing data, and a full-length stream whose last chunk was dropped and a
        // middle chunk presented as last: the size fixes where it ends.
        let longer = [&data[..], b"x"].concat();
        assert_eq!(kind(open(size, &longer)), FileData);
        // A stream cut after chunk 1 passed off as a shorter file: chunk 1 was not sealed
        // as the last, so it does not open as one.
        assert_eq!(
            kind(open(2 * CHUNK_LEN, &data[..2 * SEALED_CHUNK_LEN])),
            Authentication
        );
        // Another file's chunk (another key) at the same place.
        let mut other = Vec::new();
        let plain = vec![0u8; size];
        seal_stream(
            &FileKey::from_bytes([8; 32]),
            size as u64,
            plain.as_slice(),
            &mut other,
        )
        .unwrap();
        let swapped = [
            chunk(0),
            &other[SEALED_CHUNK_LEN..2 * SEALED_CHUNK_LEN],
            chunk(2),
            chunk(3),
        ]
        .concat();
        assert_eq!(kind(open(size, &swapped)), Authentication);
    }

    #[test]
    fn the_declared_size_must_match_the_input() {
        let plain = vec![1u8; 100];
        let mut out = Vec::new();
        assert!(seal_stream(&key(), 99, plain.as_slice(), &mut out).is_err());
        assert!(seal_stream(&key(), 101, plain.as_slice(), &mut out).is_err());
        let mut sealer = StreamSealer::new(&key(), 100).unwrap();
        assert!(sealer.seal_chunk(&plain[..99]).is_err());
        assert!(sealer.seal_chunk(&plain).is_ok());
        assert!(sealer.is_done());
        assert!(sealer.seal_chunk(&[]).is_err());
    }

    #[test]
    fn an_opener_resumes_at_a_chunk_and_stops_early_only_on_error() {
        let size = 2 * CHUNK_LEN + 1;
        let (plain, data) = sealed(size);
        let mut opener = StreamOpener::starting_at(&key(), size as u64, 1).unwrap();
        let second = opener
            .open_chunk(&data[SEALED_CHUNK_LEN..2 * SEALED_CHUNK_LEN])
            .unwrap();
        assert_eq!(&second[..], &plain[CHUNK_LEN..2 * CHUNK_LEN]);
        assert!(
            opener
                .next_place()
                .is_some_and(|p| p.last && p.plain_len == 1)
        );
        let early = StreamOpener::new(&key(), size as u64).unwrap();
        assert!(early.finish().is_err());
        assert_eq!(format!("{:?}", key()), "FileKey(***)");
    }
}

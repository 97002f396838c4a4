//! The plaintext envelope: what is inside a payload.
//!
//! ```text
//! text only:     0x00 | text (UTF-8)
//! text + image:  0x01 | text length (u32 BE) | text | MIME length (u8) | MIME (ASCII) | image
//! padded:        0x02 | inner length (u32 BE) | inner envelope (type 0x00, 0x01 or 0x03) | zeros
//! text + files:  0x03 | text length (u32 BE) | text | file list (see `manifest`)
//! legacy:        text (UTF-8), no type byte (first byte neither 0x00, 0x01 nor 0x02)
//! ```

use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::Error;
use crate::manifest::{self, FileEntry};

const TYPE_TEXT: u8 = 0x00;
const TYPE_TEXT_IMAGE: u8 = 0x01;
const TYPE_PADDED: u8 = 0x02;
const TYPE_TEXT_FILES: u8 = 0x03;

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// Room kept under each size class for the payload's own header (version, IV, tag: 29
/// bytes) and a store's string header, so a stored payload fills an allocator size class
/// instead of spilling into the next one (Redis with jemalloc: 10 MiB + 29 bytes would
/// take a 12 MiB block).
const CLASS_SLACK: usize = 64;

/// The size a padded envelope of `len` bytes grows to: a class of powers of two from 1 KiB
/// up to 1 MiB, then whole MiB, less 64 bytes. The server learns the class, not the size.
pub fn padded_len(len: usize) -> usize {
    let with_slack = len + CLASS_SLACK;
    let class = if with_slack <= MIB {
        with_slack.next_power_of_two().max(KIB)
    } else {
        with_slack.div_ceil(MIB) * MIB
    };
    class - CLASS_SLACK
}

/// An image carried in an envelope: its MIME type and raw bytes.
///
/// Plaintext: not `Clone` (every copy would be one more to wipe), wiped when dropped, and
/// `Debug` shows nothing of it (not even the size, which padding hides from the server).
#[derive(ZeroizeOnDrop)]
pub struct Image {
    mime: String,
    bytes: Vec<u8>,
}

impl Image {
    /// An image with the given MIME type; the type must be 1–255 printable ASCII characters.
    pub fn new(mime: impl Into<String>, bytes: Vec<u8>) -> Result<Self, Error> {
        // Built first so that a refused image is wiped on drop too.
        let image = Self {
            mime: mime.into(),
            bytes,
        };
        check_mime(image.mime.as_bytes())?;
        Ok(image)
    }

    /// The MIME type, as the sender declared it.
    pub fn mime(&self) -> &str {
        &self.mime
    }

    /// The image bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The MIME type and bytes, by value: wiping them is then the caller's business.
    pub fn into_parts(mut self) -> (String, Vec<u8>) {
        (
            std::mem::take(&mut self.mime),
            std::mem::take(&mut self.bytes),
        )
    }
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Image(***)")
    }
}

/// A secret's plaintext: text, and optionally one image or a list of files (whose data
/// travels apart, see [`crate::stream`]).
///
/// Like [`Image`]: not `Clone`, wiped when dropped, `Debug` prints `Envelope(***)`.
#[derive(ZeroizeOnDrop)]
pub struct Envelope {
    text: String,
    image: Option<Image>,
    files: Vec<FileEntry>,
}

impl Envelope {
    /// A text-only envelope.
    pub fn text_only(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            image: None,
            files: Vec::new(),
        }
    }

    /// An envelope with text (possibly empty) and an image.
    pub fn with_image(text: impl Into<String>, image: Image) -> Self {
        Self {
            text: text.into(),
            image: Some(image),
            files: Vec::new(),
        }
    }

    /// An envelope with text (possibly empty) and the manifest of one or more files.
    pub fn with_files(text: impl Into<String>, files: Vec<FileEntry>) -> Self {
        Self {
            text: text.into(),
            image: None,
            files,
        }
    }

    /// The files whose data travels apart, in the order their streams are laid out.
    pub fn files(&self) -> &[FileEntry] {
        &self.files
    }

    /// The text (empty when the secret is only an image).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The image, if any.
    pub fn image(&self) -> Option<&Image> {
        self.image.as_ref()
    }

    /// The text and image, by value: wiping the text is then the caller's business (the
    /// image still wipes itself).
    pub fn into_parts(mut self) -> (String, Option<Image>) {
        (std::mem::take(&mut self.text), self.image.take())
    }

    /// Serializes to the binary envelope.
    ///
    /// Fails only if the text is 4 GiB or longer, which its length field cannot hold.
    /// The bytes are plaintext, so they are wiped when dropped; each buffer is allocated
    /// at its final size, so no reallocation leaves a stray copy behind.
    pub fn pack(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        if !self.files.is_empty() {
            let text_len = u32::try_from(self.text.len())
                .map_err(|_| Error::Envelope("the text is too long"))?;
            let mut out = Zeroizing::new(Vec::with_capacity(
                1 + 4 + self.text.len() + manifest::packed_len(&self.files),
            ));
            out.push(TYPE_TEXT_FILES);
            out.extend_from_slice(&text_len.to_be_bytes());
            out.extend_from_slice(self.text.as_bytes());
            manifest::pack(&self.files, &mut out)?;
            return Ok(out);
        }
        match &self.image {
            None => {
                let mut out = Zeroizing::new(Vec::with_capacity(1 + self.text.len()));
                out.push(TYPE_TEXT);
                out.extend_from_slice(self.text.as_bytes());
                Ok(out)
            }
            Some(image) => {
                let text_len = u32::try_from(self.text.len())
                    .map_err(|_| Error::Envelope("the text is too long"))?;
                let mime_len = u8::try_from(image.mime.len())
                    .map_err(|_| Error::Envelope("the image type is too long"))?;
                let mut out = Zeroizing::new(Vec::with_capacity(
                    1 + 4 + self.text.len() + 1 + image.mime.len() + image.bytes.len(),
                ));
                out.push(TYPE_TEXT_IMAGE);
                out.extend_from_slice(&text_len.to_be_bytes());
                out.extend_from_slice(self.text.as_bytes());
                out.push(mime_len);
                out.extend_from_slice(image.mime.as_bytes());
                out.extend_from_slice(&image.bytes);
                Ok(out)
            }
        }
    }

    /// Serializes and pads to [`padded_len`] (type `0x02`), hiding the exact size.
    pub fn pack_padded(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let inner = self.pack()?;
        let inner_len =
            u32::try_from(inner.len()).map_err(|_| Error::Envelope("the content is too long"))?;
        let total = padded_len(inner.len() + 5);
        let mut out = Zeroizing::new(Vec::with_capacity(total));
        out.push(TYPE_PADDED);
        out.extend_from_slice(&inner_len.to_be_bytes());
        out.extend_from_slice(&inner);
        out.resize(total, 0);
        Ok(out)
    }

    /// Parses a binary envelope: typed, padded, or legacy untyped text.
    pub fn unpack(bytes: &[u8]) -> Result<Self, Error> {
        match bytes.split_first() {
            None => Ok(Self::text_only(String::new())),
            Some((&TYPE_TEXT, text)) => Ok(Self::text_only(utf8(text)?)),
            Some((&TYPE_TEXT_IMAGE, rest)) => unpack_text_image(rest),
            Some((&TYPE_TEXT_FILES, rest)) => {
                let (text, rest) = split_text(rest)?;
                let files = manifest::unpack(rest)?;
                Ok(Self::with_files(utf8(text)?, files))
            }
            Some((&TYPE_PADDED, rest)) => {
                let (len, rest) = rest
                    .split_first_chunk::<4>()
                    .ok_or(Error::Envelope("the padded length is cut off"))?;
                let len = usize::try_from(u32::from_be_bytes(*len))
                    .map_err(|_| Error::Envelope("the padded length is too large"))?;
                let inner = rest
                    .get(..len)
                    .ok_or(Error::Envelope("the padded content is cut off"))?;
                // Padding is zeros and holds one envelope, never another padded one.
                if rest[len..].iter().any(|&b| b != 0)
                    || inner
                        .first()
                        .is_some_and(|&t| t == TYPE_PADDED || t > TYPE_TEXT_FILES)
                {
                    return Err(Error::Envelope("the padding is malformed"));
                }
                match inner.first() {
                    Some(&TYPE_TEXT) | Some(&TYPE_TEXT_IMAGE) | Some(&TYPE_TEXT_FILES) => {
                        Self::unpack(inner)
                    }
                    _ => Err(Error::Envelope("the padded content has no type")),
                }
            }
            // Secrets made before typed envelopes are bare UTF-8 text.
            Some(_) => Ok(Self::text_only(utf8(bytes)?)),
        }
    }
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Envelope(***)")
    }
}

/// Splits `text length (u32 BE) | text | rest`.
fn split_text(rest: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let (len_bytes, rest) = rest
        .split_first_chunk::<4>()
        .ok_or(Error::Envelope("the text length is cut off"))?;
    let text_len = usize::try_from(u32::from_be_bytes(*len_bytes))
        .map_err(|_| Error::Envelope("the text length is too large"))?;
    if rest.len() < text_len {
        return Err(Error::Envelope("the text is cut off"));
    }
    Ok(rest.split_at(text_len))
}

fn unpack_text_image(rest: &[u8]) -> Result<Envelope, Error> {
    let (text, rest) = split_text(rest)?;
    let (&mime_len, rest) = rest
        .split_first()
        .ok_or(Error::Envelope("the image type is cut off"))?;
    let mime_len = usize::from(mime_len);
    if rest.len() < mime_len {
        return Err(Error::Envelope("the image type is cut off"));
    }
    let (mime, image) = rest.split_at(mime_len);
    check_mime(mime)?;
    // Checked printable ASCII, so valid UTF-8.
    let mime = std::str::from_utf8(mime).map_err(|_| Error::Envelope("bad image type"))?;
    let text = utf8(text)?;
    Ok(Envelope::with_image(
        text,
        Image {
            mime: mime.to_owned(),
            bytes: image.to_vec(),
        },
    ))
}

/// Checks before copying, so a refused text leaves no unwiped copy behind.
fn utf8(bytes: &[u8]) -> Result<String, Error> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| Error::Envelope("the text is not UTF-8"))
}

pub(crate) fn check_mime(mime: &[u8]) -> Result<(), Error> {
    if mime.is_empty() || mime.len() > 255 || !mime.iter().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Envelope("the type is not a MIME type"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an envelope holds, to compare (envelopes have no `PartialEq`).
    fn parts(envelope: &Envelope) -> (&str, Option<(&str, &[u8])>) {
        let image = envelope.image().map(|i| (i.mime(), i.bytes()));
        (envelope.text(), image)
    }

    #[test]
    fn byte_layouts_are_pinned() {
        assert_eq!(*Envelope::text_only("hi").pack().unwrap(), b"\x00hi");
        let image = Image::new("image/png", vec![0xAA, 0xBB]).unwrap();
        assert_eq!(
            *Envelope::with_image("hi", image).pack().unwrap(),
            b"\x01\x00\x00\x00\x02hi\x09image/png\xAA\xBB"
        );
    }

    #[test]
    fn files_envelopes_are_pinned_and_padded() {
        use crate::stream::FileKey;
        let file = FileEntry::new("a.pdf", "application/pdf", 5, FileKey::from_bytes([9; 32]));
        let envelope = Envelope::with_files("hi", vec![file.unwrap()]);
        let mut expected =
            b"\x03\x00\x00\x00\x02hi\x00\x01\x00\x05a.pdf\x0fapplication/pdf".to_vec();
        expected.extend_from_slice(&5u64.to_be_bytes());
        expected.extend_from_slice(&[9; 32]);
        assert_eq!(*envelope.pack().unwrap(), expected);
        let back = Envelope::unpack(&envelope.pack_padded().unwrap()).unwrap();
        assert_eq!(back.text(), "hi");
        assert!(back.image().is_none());
        let names: Vec<_> = back.files().iter().map(|f| (f.name(), f.size())).collect();
        assert_eq!(names, [("a.pdf", 5)]);
        // A padded envelope never holds another padded one.
        let mut nested = Envelope::text_only("x").pack_padded().unwrap().to_vec();
        let mut outer = vec![TYPE_PADDED];
        outer.extend_from_slice(&u32::try_from(nested.len()).unwrap().to_be_bytes());
        outer.append(&mut nested);
        assert!(Envelope::unpack(&outer).is_err());
        assert!(Envelope::unpack(b"\x03\x00\x00\x00\x00\x00\x00").is_err());
    }

    #[test]
    fn legacy_and_empty() {
        let legacy = Envelope::unpack(b"plain old").unwrap();
        assert_eq!(parts(&legacy), ("plain old", None));
        assert_eq!(parts(&Envelope::unpack(b"").unwrap()), ("", None));
        assert_eq!(parts(&Envelope::unpack(b"\x00").unwrap()), ("", None));
    }

    #[test]
    fn debug_shows_nothing_of_the_content() {
        let image = Image::new("image/png", vec![1, 2, 3]).unwrap();
        assert_eq!(format!("{image:?}"), "Image(***)");
        let envelope = Envelope::with_image("hunter2", image);
        assert_eq!(format!("{envelope:?}"), "Envelope(***)");
    }

    #[test]
    fn parts_come_out_whole() {
        let image = Image::new("image/gif", vec![7; 4]).unwrap();
        let (text, image) = Envelope::with_image("t", image).into_parts();
        assert_eq!(text, "t");
        assert_eq!(
            image.unwrap().into_parts(),
            ("image/gif".into(), vec![7; 4])
        );
    }

    #[test]
    fn malformed_envelopes() {
        let cases: &[&[u8]] = &[
            b"\x00\xff",
            b"\xff\xfe",
            b"\x01",
            b"\x01\x00\x00",
            b"\x01\x00\x00\x00\x05hi",
            b"\x01\x00\x00\x00\x00",
            b"\x01\x00\x00\x00\x00\x09image/",
            b"\x01\x00\x00\x00\x00\x00",
            b"\x01\x00\x00\x00\x00\x03a b",
            b"\x01\x00\x00\x00\x01\xff\x03a/b",
        ];
        for case in cases {
            assert!(
                matches!(Envelope::unpack(case), Err(Error::Envelope(_))),
                "{case:?}"
            );
        }
    }

    #[test]
    fn padding_hides_the_size_and_unpacks() {
        for (len, bucket) in [
            (0, 1024),
            (900, 1024),
            (1000, 2048),
            (5000, 8192),
            (1_048_000, 1_048_576),
            (1_048_572, 2 * 1_048_576),
            (10 * 1_048_576, 11 * 1_048_576),
        ] {
            let envelope = Envelope::text_only("x".repeat(len));
            let padded = envelope.pack_padded().unwrap();
            assert_eq!(padded.len(), padded_len(len + 1 + 5), "len {len}");
            assert_eq!(padded.len() + 64, bucket, "len {len}");
            assert_eq!(parts(&Envelope::unpack(&padded).unwrap()), parts(&envelope));
        }
        assert_eq!(padded_len(1), 1024 - 64);
        assert_eq!(padded_len(960), 1024 - 64);
        assert_eq!(padded_len(961), 2048 - 64);
        assert_eq!(padded_len(3 * 1_048_576 + 1), 4 * 1_048_576 - 64);
        // A padded payload (plus its 29-byte header) always fits its class.
        for len in [0, 959, 960, 5000, 1_048_000, 10 * 1_048_576] {
            let class = padded_len(len) + 64;
            assert!(
                class.is_power_of_two() || class.is_multiple_of(1_048_576),
                "{len}"
            );
            assert!(padded_len(len) + 29 < class);
        }
        let image = Envelope::with_image("t", Image::new("image/png", vec![1; 3000]).unwrap());
        let padded = image.pack_padded().unwrap();
        assert_eq!(padded.len(), 4096 - 64);
        assert_eq!(parts(&Envelope::unpack(&padded).unwrap()), parts(&image));
    }

    #[test]
    fn malformed_padding_is_refused() {
        let mut padded = Envelope::text_only("hi").pack_padded().unwrap();
        *padded.last_mut().unwrap() = 1;
        assert!(matches!(Envelope::unpack(&padded), Err(Error::Envelope(_))));
        for bad in [
            &b"\x02"[..],
            b"\x02\x00\x00\x00\x09abc",
            b"\x02\x00\x00\x00\x01\x02",
            b"\x02\x00\x00\x00\x00",
        ] {
            assert!(
                matches!(Envelope::unpack(bad), Err(Error::Envelope(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn mime_is_checked() {
        assert!(Image::new("", vec![]).is_err());
        assert!(Image::new("x".repeat(256), vec![]).is_err());
        assert!(Image::new("image/jpeg", vec![]).is_ok());
    }
}

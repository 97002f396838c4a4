//! Image checks and metadata stripping, done before anything is encrypted: in the browser
//! (WASM) and natively (the command-line client), by the same code.
//!
//! * Only JPEG, PNG, GIF and WebP are accepted, recognised by their content, never by file
//!   name or declared type. SVG is refused: it can carry scripts.
//! * Truncated files and decompression bombs (huge declared dimensions) are refused.
//! * [`inspect`] reads the declared dimensions from the headers alone, without decoding: the
//!   recipient's page runs it on a received image before the browser decodes it, and
//!   [`clean`] runs it first, so the sender and the recipient apply the same limits.
//! * [`clean`] removes identifying metadata without touching the compressed pixels: the
//!   files are rewritten container by container (JPEG segments, PNG/WebP chunks, GIF
//!   blocks), keeping only what is needed to display the picture as intended.
//!
//! What is kept, and why:
//! * colour profiles (ICC) and colour/gamma information: they make the picture look right
//!   and describe a colour space, not a person or a device;
//! * transparency, and animation (GIF frames and loop count, APNG, animated WebP);
//! * for JPEG, the EXIF orientation, rewritten as a minimal EXIF block holding nothing but
//!   that tag, so that a photo stored sideways still displays upright. Rotating the pixels
//!   instead would mean re-compressing them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod exif;
mod gif;
mod heif;
mod iptc;
mod jpeg;
mod office;
mod pdf;
mod png;
mod webp;
mod xmp;

/// The largest image accepted, in bytes (10 MiB).
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// The largest width or height accepted, in pixels.
pub const MAX_SIDE: u32 = 20_000;
/// The most pixels accepted (120 megapixels: above the largest phone cameras' usual modes,
/// below what makes a browser run out of memory decoding it).
pub const MAX_PIXELS: u64 = 120_000_000;

/// An accepted image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// GIF (`GIF87a` / `GIF89a`).
    Gif,
    /// WebP (`RIFF....WEBP`).
    Webp,
}

impl ImageType {
    /// The MIME type carried in the envelope.
    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Gif => "image/gif",
            ImageType::Webp => "image/webp",
        }
    }

    /// A file extension for downloads.
    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Jpeg => "jpg",
            ImageType::Png => "png",
            ImageType::Gif => "gif",
            ImageType::Webp => "webp",
        }
    }

    /// The accepted type a MIME type names, if any.
    pub fn from_mime(mime: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::Gif, Self::Webp]
            .into_iter()
            .find(|t| t.mime().eq_ignore_ascii_case(mime))
    }
}

/// Why an image was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// Over [`MAX_IMAGE_BYTES`].
    #[error("the image is larger than 10 MB")]
    TooLarge,
    /// An SVG document (refused: it can carry scripts).
    #[error("SVG images are not accepted")]
    Svg,
    /// Not a JPEG, PNG, GIF or WebP file.
    #[error("the file is not a JPEG, PNG, GIF or WebP image")]
    NotAnImage,
    /// The file ends before the image does.
    #[error("the image is incomplete (the file is cut off)")]
    Truncated,
    /// The structure is broken (bad lengths, checksums or headers).
    #[error("the image is damaged")]
    Damaged,
    /// Declared dimensions over [`MAX_SIDE`] or [`MAX_PIXELS`] (a decompression bomb).
    #[error("the image's dimensions are too large")]
    TooManyPixels,
    /// A password-protected document: it cannot be read, so it cannot be cleaned.
    #[error("the document is password-protected, so its metadata cannot be removed")]
    Encrypted,
}

/// Recognises the format from the first bytes.
pub fn sniff(bytes: &[u8]) -> Result<ImageType, ImageError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(ImageType::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(ImageType::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Ok(ImageType::Gif)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Ok(ImageType::Webp)
    } else if looks_like_svg(bytes) {
        Err(ImageError::Svg)
    } else {
        Err(ImageError::NotAnImage)
    }
}

/// Checks size and format by content only (no structure check; see [`clean`]).
pub fn check(bytes: &[u8]) -> Result<ImageType, ImageError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge);
    }
    sniff(bytes)
}

/// What an image's headers declare, read without decoding any pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    /// The format.
    pub kind: ImageType,
    /// The widest a decoder may draw: the stored width (before any EXIF orientation), grown
    /// to fit every GIF or WebP frame and its offset.
    pub width: u32,
    /// The tallest a decoder may draw, likewise.
    pub height: u32,
}

/// Checks an image before anything decodes it: size, format by content, and the dimensions
/// its headers declare against [`MAX_SIDE`] and [`MAX_PIXELS`] (the rule [`clean`] applies).
/// Only headers are read (PNG IHDR, JPEG frame header, GIF screen and frame descriptors,
/// WebP canvas, bitstream and frame headers); the rest of the structure is left to the
/// decoder. GIF and WebP files must be complete, or unseen frames could declare more.
pub fn inspect(bytes: &[u8]) -> Result<Declared, ImageError> {
    let kind = check(bytes)?;
    let (width, height) = match kind {
        ImageType::Jpeg => jpeg::dimensions(bytes)?,
        ImageType::Png => png::dimensions(bytes)?,
        ImageType::Gif => gif::dimensions(bytes)?,
        ImageType::Webp => webp::dimensions(bytes)?,
    };
    check_dimensions(width, height)?;
    Ok(Declared {
        kind,
        width,
        height,
    })
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    (text.starts_with("<?xml") || text.starts_with("<svg") || text.starts_with("<!doctype svg"))
        && text.contains("<svg")
}

/// A place, in decimal degrees (north and east positive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// Year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

/// What identifying metadata an image carried (and [`clean`] removed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// GPS position, when it could be read.
    pub location: Option<Coordinates>,
    /// Any location data at all (GPS tags, XMP GPS, IPTC city…), readable or not.
    pub has_location: bool,
    /// Camera make and model.
    pub camera: Option<String>,
    /// A camera, lens or body serial number.
    pub serial_number: bool,
    /// When the photo was taken.
    pub date_taken: Option<Date>,
    /// Any date or time stamp.
    pub has_dates: bool,
    /// The software that made or edited the file.
    pub software: Option<String>,
    /// An author, artist, creator, owner or copyright holder.
    pub author: Option<String>,
    /// Comments, descriptions, captions or other text.
    pub text: bool,
    /// An embedded preview or thumbnail image.
    pub thumbnail: bool,
    /// Other metadata blocks (XMP, IPTC, maker notes, vendor data; a document's template or
    /// custom properties).
    pub other: bool,
    /// A company or organisation (documents).
    pub company: Option<String>,
    /// Comments and their authors (documents).
    pub comments: bool,
    /// Images inside a document that carried metadata of their own (cleaned too).
    pub images: u32,
    /// Tracked changes: reported, not removed (they are the document's text).
    pub tracked_changes: bool,
    /// Earlier revisions kept by incremental saves (a PDF), written out as one.
    pub revisions: u32,
    /// Embedded files or attachments (removed).
    pub attachments: bool,
    /// Scripts or automatic actions (removed).
    pub scripts: bool,
}

impl Findings {
    /// Whether anything was found.
    pub fn is_empty(&self) -> bool {
        *self == Findings::default()
    }
}

/// The result of [`clean`].
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// The format.
    pub kind: ImageType,
    /// The cleaned file.
    pub bytes: Vec<u8>,
    /// Width as displayed (after the EXIF orientation).
    pub width: u32,
    /// Height as displayed (after the EXIF orientation).
    pub height: u32,
    /// Number of frames (1 unless animated).
    pub frames: u32,
    /// What was removed.
    pub findings: Findings,
}

/// What a format module produces.
struct Rewritten {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
    frames: u32,
    /// EXIF orientation 1–8 (JPEG only; 1 elsewhere).
    orientation: u16,
}

/// Checks an image thoroughly (content type, size, structure, dimensions) and returns it
/// without identifying metadata, with a report of what was removed.
pub fn clean(bytes: &[u8]) -> Result<Cleaned, ImageError> {
    // The recipient's check first: whatever the sender accepts, the recipient shows.
    let kind = inspect(bytes)?.kind;
    let mut findings = Findings::default();
    let out = match kind {
        ImageType::Jpeg => jpeg::rewrite(bytes, &mut findings)?,
        ImageType::Png => png::rewrite(bytes, &mut findings)?,
        ImageType::Gif => gif::rewrite(bytes, &mut findings)?,
        ImageType::Webp => webp::rewrite(bytes, &mut findings)?,
    };
    // The size reported is held to the same rule.
    check_dimensions(out.width, out.height)?;
    let (width, height) = if (5..=8).contains(&out.orientation) {
        (out.height, out.width)
    } else {
        (out.width, out.height)
    };
    Ok(Cleaned {
        kind,
        bytes: out.bytes,
        width,
        height,
        frames: out.frames,
        findings,
    })
}

pub use office::OfficeKind;

/// The largest PDF accepted, in bytes.
pub const MAX_PDF_BYTES: usize = 64 * 1024 * 1024;

/// A PDF cleaned ([`clean_pdf`]).
#[derive(Debug, Clone)]
pub struct CleanedPdf {
    /// The cleaned document, one revision.
    pub bytes: Vec<u8>,
    /// What was removed.
    pub findings: Findings,
}

/// Whether the bytes are a PDF, by content.
pub fn is_pdf(bytes: &[u8]) -> bool {
    pdf::is_pdf(bytes)
}

/// Removes a PDF's document information (author, software, dates…), XMP metadata, document
/// ids, thumbnails, embedded files and attachments, scripts and automatic actions, and writes
/// it back as one revision, so what an incremental save removed is gone from the bytes; JPEG
/// images inside are cleaned without re-encoding. Password-protected files are refused
/// ([`ImageError::Encrypted`]), damaged ones too ([`ImageError::Damaged`]).
pub fn clean_pdf(bytes: &[u8]) -> Result<CleanedPdf, ImageError> {
    if bytes.len() > MAX_PDF_BYTES {
        return Err(ImageError::TooLarge);
    }
    let mut findings = Findings::default();
    let bytes = pdf::clean(bytes, &mut findings)?;
    Ok(CleanedPdf { bytes, findings })
}

/// The largest Office document accepted, in bytes.
pub const MAX_OFFICE_BYTES: usize = 64 * 1024 * 1024;

/// An Office document (docx, xlsx, pptx) cleaned ([`clean_office`]).
#[derive(Debug, Clone)]
pub struct CleanedOffice {
    /// Which kind.
    pub kind: OfficeKind,
    /// The cleaned package.
    pub bytes: Vec<u8>,
    /// What was removed (and whether tracked changes remain).
    pub findings: Findings,
}

/// The kind of Office Open XML document the bytes are, by content (a zip with a main part).
pub fn office_kind(bytes: &[u8]) -> Option<OfficeKind> {
    office::kind(bytes)
}

/// Removes an Office document's identifying properties (author, last modified by, company,
/// manager, template, dates), custom properties, comments and their authors, and the
/// thumbnail, and cleans the images inside; tracked changes are reported in the findings,
/// not changed. Packages over [`MAX_OFFICE_BYTES`], or that inflate past the limits, are
/// refused ([`ImageError::TooLarge`]); broken ones too ([`ImageError::Damaged`]).
pub fn clean_office(bytes: &[u8]) -> Result<CleanedOffice, ImageError> {
    if bytes.len() > MAX_OFFICE_BYTES {
        return Err(ImageError::TooLarge);
    }
    let mut findings = Findings::default();
    let cleaned = office::clean(bytes, &mut findings)?;
    Ok(CleanedOffice {
        kind: cleaned.kind,
        bytes: cleaned.bytes,
        findings,
    })
}

/// The largest HEIF/HEIC photo accepted, in bytes (a 48-megapixel iPhone photo is under
/// 20 MB).
pub const MAX_HEIF_BYTES: usize = 64 * 1024 * 1024;

/// A HEIF/HEIC photo without its Exif and XMP items ([`clean_heif`]).
#[derive(Debug, Clone)]
pub struct CleanedHeif {
    /// The cleaned file, the same length as the original: nothing but metadata changed.
    pub bytes: Vec<u8>,
    /// Width as displayed (the primary image's size, turned by its rotation).
    pub width: u32,
    /// Height as displayed.
    pub height: u32,
    /// What was removed.
    pub findings: Findings,
}

/// Whether the bytes are a HEIF file (HEIC, as iPhones take photos; AVIF): by content only.
pub fn is_heif(bytes: &[u8]) -> bool {
    heif::is_heif(bytes)
}

/// Removes a HEIF/HEIC photo's Exif and XMP items (location, camera, dates, serial numbers,
/// software) without re-encoding it; its rotation and mirror properties stay, so it displays
/// upright. Damaged files, dimensions over the limits and files over [`MAX_HEIF_BYTES`] are
/// refused.
pub fn clean_heif(bytes: &[u8]) -> Result<CleanedHeif, ImageError> {
    if bytes.len() > MAX_HEIF_BYTES {
        return Err(ImageError::TooLarge);
    }
    let mut findings = Findings::default();
    let cleaned = heif::clean(bytes, &mut findings)?;
    Ok(CleanedHeif {
        bytes: cleaned.bytes,
        width: cleaned.width,
        height: cleaned.height,
        findings,
    })
}

/// The one dimension rule, for [`inspect`] and [`clean`] alike.
fn check_dimensions(width: u32, height: u32) -> Result<(), ImageError> {
    if width == 0 || height == 0 {
        return Err(ImageError::Damaged);
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels);
    }
    Ok(())
}

/// Bounds-checked big-endian and little-endian reads.
pub(crate) mod read {
    pub fn u16_be(b: &[u8], at: usize) -> Option<u16> {
        Some(u16::from_be_bytes(
            b.get(at..at.checked_add(2)?)?.try_into().ok()?,
        ))
    }
    pub fn u32_be(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(
            b.get(at..at.checked_add(4)?)?.try_into().ok()?,
        ))
    }
    pub fn u16_le(b: &[u8], at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(
            b.get(at..at.checked_add(2)?)?.try_into().ok()?,
        ))
    }
    pub fn u32_le(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(
            b.get(at..at.checked_add(4)?)?.try_into().ok()?,
        ))
    }
    pub fn u24_le(b: &[u8], at: usize) -> Option<u32> {
        let s = b.get(at..at.checked_add(3)?)?;
        Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
    }
}

/// Keeps the first non-empty text of a kind (trimmed, at most 100 characters, printable).
pub(crate) fn keep_text(slot: &mut Option<String>, value: &str) {
    if slot.is_some() {
        return;
    }
    let clean: String = value
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    if !clean.is_empty() {
        *slot = Some(clean);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_content_is_refused() {
        assert_eq!(sniff(b""), Err(ImageError::NotAnImage));
        assert_eq!(sniff(b"hello"), Err(ImageError::NotAnImage));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), Err(ImageError::NotAnImage));
        assert_eq!(
            sniff(b"\xef\xbb\xbf  <svg xmlns=''/>"),
            Err(ImageError::Svg)
        );
        assert_eq!(
            check(&vec![0xFF; MAX_IMAGE_BYTES + 1]),
            Err(ImageError::TooLarge)
        );
        assert_eq!(check(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(ImageType::Jpeg));
    }

    #[test]
    fn mime_round_trip() {
        for t in [
            ImageType::Jpeg,
            ImageType::Png,
            ImageType::Gif,
            ImageType::Webp,
        ] {
            assert_eq!(ImageType::from_mime(t.mime()), Some(t));
        }
        assert_eq!(ImageType::from_mime("image/svg+xml"), None);
    }

    #[test]
    fn dimension_limits() {
        assert_eq!(check_dimensions(0, 10), Err(ImageError::Damaged));
        assert_eq!(check_dimensions(20_001, 10), Err(ImageError::TooManyPixels));
        assert_eq!(
            check_dimensions(12_000, 12_000),
            Err(ImageError::TooManyPixels)
        );
        assert!(check_dimensions(6000, 4000).is_ok());
    }

    /// A PNG signature and a valid IHDR (8-bit RGB), and nothing more.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let ihdr = [
            &b"IHDR"[..],
            &width.to_be_bytes(),
            &height.to_be_bytes(),
            &[8, 2, 0, 0, 0],
        ]
        .concat();
        let crc = png::crc32(&ihdr).to_be_bytes();
        [&b"\x89PNG\r\n\x1a\n"[..], &13u32.to_be_bytes(), &ihdr, &crc].concat()
    }

    /// A GIF screen with frames (left, top, width, height), each one empty sub-block.
    fn gif(width: u16, height: u16, frames: &[[u16; 4]]) -> Vec<u8> {
        let mut b = b"GIF89a".to_vec();
        b.extend([width, height].iter().flat_map(|v| v.to_le_bytes()));
        b.extend([0, 0, 0]);
        for frame in frames {
            b.push(0x2C);
            b.extend(frame.iter().flat_map(|v| v.to_le_bytes()));
            b.extend([0, 2, 1, 0, 0]);
        }
        b.push(0x3B);
        b
    }

    /// A baseline frame header (one component), without scans: enough for the header.
    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8];
        b.extend(height.to_be_bytes());
        b.extend(width.to_be_bytes());
        b.extend([1, 1, 0x11, 0]);
        b
    }

    fn u24(v: u32) -> [u8; 3] {
        let [a, b, c, _] = v.to_le_bytes();
        [a, b, c]
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let size = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let pad = vec![0; data.len() % 2];
        [&kind[..], &size.to_le_bytes(), data, &pad].concat()
    }

    fn vp8l(width: u32, height: u32) -> Vec<u8> {
        let bits = (width - 1) | (height - 1) << 14;
        chunk(b"VP8L", &[&[0x2F][..], &bits.to_le_bytes()].concat())
    }

    fn vp8x(width: u32, height: u32) -> Vec<u8> {
        chunk(
            b"VP8X",
            &[&[0x02, 0, 0, 0][..], &u24(width - 1), &u24(height - 1)].concat(),
        )
    }

    /// An animation frame at (x, y) (even) of the given size, holding a lossless bitstream.
    fn anmf(x: u32, y: u32, width: u32, height: u32, inner: (u32, u32)) -> Vec<u8> {
        let header = [
            &u24(x / 2)[..],
            &u24(y / 2),
            &u24(width - 1),
            &u24(height - 1),
            &[0; 4],
        ]
        .concat();
        chunk(b"ANMF", &[header, vp8l(inner.0, inner.1)].concat())
    }

    fn webp(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body = [&b"WEBP"[..], &chunks.concat()].concat();
        let size = u32::try_from(body.len()).unwrap_or(u32::MAX);
        [&b"RIFF"[..], &size.to_le_bytes(), &body].concat()
    }

    fn declared(kind: ImageType, width: u32, height: u32) -> Result<Declared, ImageError> {
        Ok(Declared {
            kind,
            width,
            height,
        })
    }

    #[test]
    fn a_65535_square_png_is_refused_from_its_header() {
        assert_eq!(
            inspect(&png(65_535, 65_535)),
            Err(ImageError::TooManyPixels)
        );
        // Under the side limit, over the pixel limit.
        assert_eq!(
            inspect(&png(15_000, 15_000)),
            Err(ImageError::TooManyPixels)
        );
        assert_eq!(inspect(&png(0, 480)), Err(ImageError::Damaged));
        assert_eq!(inspect(&png(640, 480)), declared(ImageType::Png, 640, 480));
        // IHDR must come first, at its own length.
        let mut late = png(640, 480);
        late[12..16].copy_from_slice(b"tEXt");
        assert_eq!(inspect(&late), Err(ImageError::Damaged));
        let mut long = png(640, 480);
        long[11] = 14;
        assert_eq!(inspect(&long), Err(ImageError::Damaged));
    }

    #[test]
    fn gif_frames_count_as_well_as_the_screen() {
        assert_eq!(
            inspect(&gif(100, 80, &[[0, 0, 100, 80]])),
            declared(ImageType::Gif, 100, 80)
        );
        // A frame sticking out of the screen grows what a decoder may draw.
        assert_eq!(
            inspect(&gif(100, 80, &[[0, 0, 100, 80], [90, 70, 20, 20]])),
            declared(ImageType::Gif, 110, 90)
        );
        assert_eq!(
            inspect(&gif(100, 80, &[[19_950, 0, 100, 80]])),
            Err(ImageError::TooManyPixels)
        );
        assert_eq!(
            inspect(&gif(1, 1, &[[0, 0, 65_535, 65_535]])),
            Err(ImageError::TooManyPixels)
        );
        assert_eq!(
            inspect(&gif(65_535, 65_535, &[])),
            Err(ImageError::TooManyPixels)
        );
    }

    #[test]
    fn jpeg_frame_header() {
        assert_eq!(
            inspect(&jpeg(1200, 800)),
            declared(ImageType::Jpeg, 1200, 800)
        );
        assert_eq!(
            inspect(&jpeg(65_000, 65_000)),
            Err(ImageError::TooManyPixels)
        );
        // Height 0 (defined later by a DNL marker) is not accepted.
        assert_eq!(inspect(&jpeg(1200, 0)), Err(ImageError::Damaged));
        // Scan data before any frame header.
        assert_eq!(
            inspect(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 0xFF, 0xD9]),
            Err(ImageError::Damaged)
        );
    }

    #[test]
    fn webp_canvas_bitstreams_and_frames() {
        assert_eq!(
            inspect(&webp(&[vp8l(640, 480)])),
            declared(ImageType::Webp, 640, 480)
        );
        assert_eq!(
            inspect(&webp(&[vp8l(16_384, 16_384)])),
            Err(ImageError::TooManyPixels)
        );
        assert_eq!(
            inspect(&webp(&[vp8x(30_000, 30_000), vp8l(640, 480)])),
            Err(ImageError::TooManyPixels)
        );
        // A small canvas does not hide a large bitstream.
        assert_eq!(
            inspect(&webp(&[vp8x(640, 480), vp8l(16_384, 16_384)])),
            Err(ImageError::TooManyPixels)
        );
        let frame = |x, inner| webp(&[vp8x(640, 480), anmf(x, 0, 100, 100, inner)]);
        assert_eq!(
            inspect(&frame(0, (100, 100))),
            declared(ImageType::Webp, 640, 480)
        );
        assert_eq!(
            inspect(&frame(30_000, (100, 100))),
            Err(ImageError::TooManyPixels)
        );
        assert_eq!(
            inspect(&frame(0, (16_384, 16_384))),
            Err(ImageError::TooManyPixels)
        );
        assert_eq!(inspect(&webp(&[])), Err(ImageError::Damaged));
    }

    #[test]
    fn cut_headers_are_refused() {
        let whole = [
            png(640, 480),
            gif(100, 80, &[[0, 0, 100, 80], [90, 70, 20, 20]]),
            jpeg(1200, 800),
            webp(&[vp8x(640, 480), anmf(0, 0, 100, 100, (100, 100))]),
        ];
        for bytes in whole {
            let full = inspect(&bytes);
            assert!(full.is_ok(), "{full:?}");
            for cut in 0..bytes.len() {
                // A cut either loses the header, or (past it) declares the same.
                match inspect(&bytes[..cut]) {
                    Err(e) => assert!(
                        matches!(e, ImageError::Truncated | ImageError::NotAnImage),
                        "{full:?} cut at {cut}: {e:?}"
                    ),
                    ok => assert_eq!(ok, full, "cut at {cut}"),
                }
            }
        }
        // The PNG header ends with the IHDR's data (its checksum is left to the decoder).
        for cut in 0..29 {
            assert!(inspect(&png(640, 480)[..cut]).is_err());
        }
        // GIF and WebP must be complete: a lost frame could declare more.
        let gif = gif(100, 80, &[[0, 0, 100, 80]]);
        assert_eq!(inspect(&gif[..gif.len() - 1]), Err(ImageError::Truncated));
        let webp = webp(&[vp8l(640, 480)]);
        assert_eq!(inspect(&webp[..webp.len() - 1]), Err(ImageError::Truncated));
    }

    #[test]
    fn inspect_keeps_the_size_limit() {
        let mut big = png(640, 480);
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(inspect(&big), Err(ImageError::TooLarge));
        assert_eq!(inspect(b"<svg/>"), Err(ImageError::Svg));
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        let mut slot = None;
        keep_text(&mut slot, " \0Jane\u{7}\0 ");
        assert_eq!(slot.as_deref(), Some("Jane"));
        keep_text(&mut slot, "Other");
        assert_eq!(slot.as_deref(), Some("Jane"));
        let mut long = None;
        keep_text(&mut long, &"x".repeat(500));
        assert_eq!(long.map(|s| s.len()), Some(100));
    }
}

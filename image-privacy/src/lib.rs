//! Image checks done before anything is encrypted, in the browser (WASM) and natively.
//!
//! Only JPEG, PNG, GIF and WebP are accepted, recognised by their content (magic bytes),
//! never by file name or declared type. SVG is refused: it can carry scripts.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The largest image accepted, in bytes (10 MiB).
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

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

/// Checks size and format.
pub fn check(bytes: &[u8]) -> Result<ImageType, ImageError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge);
    }
    sniff(bytes)
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    (text.starts_with("<?xml") || text.starts_with("<svg") || text.starts_with("<!doctype svg"))
        && text.contains("<svg")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let dir = std::env::var("ONCELINK_SHARED_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").to_owned());
        std::fs::read(format!("{dir}/fixtures/images/{name}"))
            .unwrap_or_else(|e| panic!("fixture {name}: {e} (set ONCELINK_SHARED_DIR)"))
    }

    #[test]
    fn fixtures_are_recognised_by_content() {
        assert_eq!(sniff(&fixture("gps-camera.jpg")), Ok(ImageType::Jpeg));
        assert_eq!(sniff(&fixture("gps.png")), Ok(ImageType::Png));
        assert_eq!(sniff(&fixture("gps.webp")), Ok(ImageType::Webp));
        assert_eq!(sniff(&fixture("animated.gif")), Ok(ImageType::Gif));
        assert_eq!(sniff(&fixture("not-an-image.jpg")), Err(ImageError::Svg));
    }

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
}

//! HEIC photos (`clean_heif`): the fixture's Exif and XMP items are gone for exiftool, the
//! photo still decodes to the same upright pixels with libheif's own `heif-convert`, and a
//! damaged file is refused, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::path::{Path, PathBuf};
use std::process::Command;

use image_privacy::{ImageError, clean_heif, is_heif};

fn fixture() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/images/photo-gps-rotated.heic"
    );
    std::fs::read(path).unwrap()
}

/// A private directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oncelink-heif-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn exiftool(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    let output = Command::new("exiftool")
        .args(["-j", "-a", "-G1"])
        .arg(path)
        .output()
        .expect("exiftool must be installed (Debian: libimage-exiftool-perl)");
    let mut list: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(&output.stdout).unwrap();
    list.remove(0)
}

/// libheif's decoder, with the rotation applied: the pixels of the PNG it writes (the PNG
/// also carries whatever metadata the HEIC had, so only its pixels are compared).
fn decode(heic: &Path) -> image::RgbImage {
    let png = heic.with_extension("png");
    let status = Command::new("heif-convert")
        .arg(heic)
        .arg(&png)
        .output()
        .expect("heif-convert must be installed (Debian: libheif-examples)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    image::open(png).unwrap().to_rgb8()
}

#[test]
fn exif_and_xmp_are_removed_and_the_photo_stays_upright() {
    let original = fixture();
    assert!(is_heif(&original));
    let cleaned = clean_heif(&original).unwrap();
    // Stored 600 × 400 with a quarter turn: shown 400 × 600.
    assert_eq!((cleaned.width, cleaned.height), (400, 600));
    let found = &cleaned.findings;
    let place = found.location.unwrap();
    assert!((place.latitude - 40.1344).abs() < 1e-3, "{place:?}");
    assert!((place.longitude + 73.8474).abs() < 1e-3, "{place:?}");
    assert_eq!(found.camera.as_deref(), Some("FixtureCam Model-1"));
    assert_eq!(found.author.as_deref(), Some("Jane Source"));
    assert_eq!(found.software.as_deref(), Some("FixtureEditor 1.0"));
    assert!(found.serial_number && found.has_dates && found.other);

    // Nothing moved but the metadata: same length, and the identifying text is gone.
    assert_eq!(cleaned.bytes.len(), original.len());
    for text in [
        "FixtureCam",
        "Model-1",
        "Jane Source",
        "SN-12345",
        "2024:05:02",
    ] {
        let gone = !cleaned
            .bytes
            .windows(text.len())
            .any(|w| w == text.as_bytes());
        assert!(gone, "{text} is still in the file");
    }
    let dir = scratch("upright");
    let (before, after) = (dir.join("original.heic"), dir.join("cleaned.heic"));
    std::fs::write(&before, &original).unwrap();
    std::fs::write(&after, &cleaned.bytes).unwrap();
    let tags = exiftool(&after);
    let left: Vec<&String> = tags
        .keys()
        .filter(|k| {
            k.contains("GPS")
                || k.starts_with("XMP")
                || k.starts_with("IFD0:")
                || k.starts_with("ExifIFD:")
                || k.ends_with(":Make")
                || k.ends_with(":Model")
                || k.ends_with(":SerialNumber")
                || k.ends_with(":Artist")
        })
        .collect();
    assert!(left.is_empty(), "exiftool still finds {left:?}");
    assert_eq!(
        tags["QuickTime:Rotation"], 270,
        "the rotation property stays"
    );
    assert_eq!(
        exiftool(&before)["IFD0:Make"],
        "FixtureCam",
        "the fixture has it"
    );
    // libheif decodes both to the same upright picture.
    let (shown_before, shown_after) = (decode(&before), decode(&after));
    assert_eq!(shown_after.dimensions(), (400, 600));
    assert!(shown_before == shown_after, "the pixels changed");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_clean_photo_is_left_as_it_is() {
    let once = clean_heif(&fixture()).unwrap();
    let twice = clean_heif(&once.bytes).unwrap();
    assert!(twice.findings.is_empty(), "{:?}", twice.findings);
    assert_eq!(twice.bytes, once.bytes);
}

#[test]
fn damaged_or_foreign_files_are_refused_without_a_panic() {
    let original = fixture();
    for cut in [
        0,
        7,
        20,
        40,
        100,
        300,
        original.len() / 2,
        original.len() - 1,
    ] {
        assert!(clean_heif(&original[..cut]).is_err(), "cut at {cut}");
    }
    // Every single byte of the header boxes changed, one at a time: an answer, never a panic.
    for at in 0..original.len().min(1200) {
        let mut changed = original.clone();
        changed[at] ^= 0xFF;
        let _ = clean_heif(&changed);
    }
    assert_eq!(
        clean_heif(b"\x89PNG\r\n\x1a\n").unwrap_err(),
        ImageError::NotAnImage
    );
    assert!(!is_heif(b"not a photo at all"));
}

/// A photo whose header declares 50,000 × 50,000 pixels (a decompression bomb for whoever
/// decodes it) is refused before anything else.
#[test]
fn huge_declared_dimensions_are_refused() {
    let mut bomb = fixture();
    let at = bomb.windows(4).position(|w| w == b"ispe").unwrap();
    bomb[at + 8..at + 12].copy_from_slice(&50_000u32.to_be_bytes());
    bomb[at + 12..at + 16].copy_from_slice(&50_000u32.to_be_bytes());
    assert_eq!(clean_heif(&bomb).unwrap_err(), ImageError::TooManyPixels);
}

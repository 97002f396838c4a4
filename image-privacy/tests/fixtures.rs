//! Every image fixture, cleaned and then inspected with exiftool (an independent reader)
//! and decoded with the `image` crate: the repository's own (`fixtures/images`, made by
//! `fixtures/generate.py`) and, when present, the shared ones (`../shared/fixtures/images`).
//! Both sets have the same file names and carry the same identifying values.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::io::Cursor;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use image::{DynamicImage, ImageDecoder, ImageReader};
use image_privacy::{Cleaned, Date, ImageError, ImageType, clean, inspect};
use testkit::fixtures::{FixtureRoot, Origin, fixture_roots};

/// The fixtures that are pictures (the others must be refused).
const PICTURES: [&str; 5] = [
    "gps-camera.jpg",
    "rotated-orientation6.jpg",
    "gps.png",
    "gps.webp",
    "animated.gif",
];

/// exiftool's view of a file: `group:tag` → value.
fn exiftool(bytes: &[u8], name: &str) -> serde_json::Map<String, serde_json::Value> {
    // Tests run in parallel and look at originals and cleaned copies of the same name.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "oncelink-exif-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let output = Command::new("exiftool")
        .args(["-j", "-a", "-G1", "-struct"])
        .arg(&path)
        .output()
        .expect("exiftool must be installed (Debian: libimage-exiftool-perl)");
    let _ = std::fs::remove_dir_all(&dir);
    let mut list: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(&output.stdout).unwrap();
    list.remove(0)
}

/// The tags the fixtures README lists; none may survive cleaning.
fn forbidden(tags: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    tags.keys()
        .filter(|key| {
            let (group, tag) = key.split_once(':').unwrap_or(("", key));
            tag.contains("GPS")
                || group.starts_with("XMP")
                || group.starts_with("IPTC")
                || group == "GPS"
                || [
                    "Make",
                    "Model",
                    "SerialNumber",
                    "DateTimeOriginal",
                    "Software",
                    "Artist",
                    "Creator",
                    "Description",
                    "By-line",
                    "City",
                    "Comment",
                    "ThumbnailImage",
                    "Copyright",
                    "CreateDate",
                    "OwnerName",
                ]
                .contains(&tag)
        })
        .cloned()
        .collect()
}

fn decode(bytes: &[u8]) -> DynamicImage {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap()
        .decode()
        .unwrap()
}

/// Decodes and applies the EXIF orientation, as a viewer displays the file.
fn display(bytes: &[u8]) -> DynamicImage {
    let mut decoder = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap()
        .into_decoder()
        .unwrap();
    let orientation = decoder.orientation().unwrap();
    let mut image = DynamicImage::from_decoder(decoder).unwrap();
    image.apply_orientation(orientation);
    image
}

fn clean_fixture(root: &FixtureRoot, name: &str) -> (Vec<u8>, Cleaned) {
    let original = root.image_bytes(name);
    let cleaned = clean(&original).unwrap_or_else(|e| panic!("{}/{name}: {e}", root.name()));
    (original, cleaned)
}

#[test]
fn the_fixtures_carry_what_the_readme_says() {
    // Guards the test itself: if exiftool saw nothing in the originals, the checks below
    // could not fail.
    for root in fixture_roots() {
        for name in PICTURES {
            let tags = exiftool(&root.image_bytes(name), name);
            assert!(
                !forbidden(&tags).is_empty(),
                "{}/{name}: exiftool found no metadata in the original",
                root.name()
            );
        }
    }
}

#[test]
fn nothing_listed_survives_cleaning() {
    for root in fixture_roots() {
        for name in PICTURES {
            let (_, cleaned) = clean_fixture(&root, name);
            let tags = exiftool(&cleaned.bytes, name);
            let at = format!("{}/{name}", root.name());
            assert_eq!(forbidden(&tags), Vec::<String>::new(), "{at}: {tags:#?}");
            assert!(!tags.contains_key("ExifTool:Warning"), "{at}: {tags:#?}");
            assert!(!tags.contains_key("ExifTool:Error"), "{at}: {tags:#?}");
        }
    }
}

#[test]
fn pixels_are_untouched() {
    for root in fixture_roots() {
        for name in PICTURES {
            let at = format!("{}/{name}", root.name());
            let (original, cleaned) = clean_fixture(&root, name);
            let before = decode(&original);
            let after = decode(&cleaned.bytes);
            assert_eq!(
                (after.width(), after.height()),
                (before.width(), before.height()),
                "{at}"
            );
            assert!(before.as_bytes() == after.as_bytes(), "{at}: pixels differ");
            assert!(
                cleaned.bytes.len() < original.len(),
                "{at}: nothing was removed"
            );
        }
    }
}

#[test]
fn dimensions_are_as_described() {
    for root in fixture_roots() {
        for (name, kind, width, height) in [
            ("gps-camera.jpg", ImageType::Jpeg, 1200, 800),
            ("rotated-orientation6.jpg", ImageType::Jpeg, 800, 1200),
            ("gps.png", ImageType::Png, 640, 480),
            ("gps.webp", ImageType::Webp, 640, 480),
            ("animated.gif", ImageType::Gif, 200, 150),
        ] {
            let at = format!("{}/{name}", root.name());
            let (_, cleaned) = clean_fixture(&root, name);
            assert_eq!(
                (cleaned.kind, cleaned.width, cleaned.height),
                (kind, width, height),
                "{at}"
            );
            let shown = display(&cleaned.bytes);
            assert_eq!(
                (shown.width(), shown.height()),
                (width, height),
                "{at} as displayed"
            );
        }
    }
}

#[test]
fn the_recipients_check_reads_the_decoded_size_of_every_fixture() {
    for root in fixture_roots() {
        for name in PICTURES {
            let at = format!("{}/{name}", root.name());
            let original = root.image_bytes(name);
            let declared = inspect(&original).unwrap_or_else(|e| panic!("{at}: {e}"));
            // The headers say what the `image` crate decodes (stored, before orientation).
            let decoded = decode(&original);
            assert_eq!(
                (declared.width, declared.height),
                (decoded.width(), decoded.height()),
                "{at}"
            );
            // What the sender sends, cleaned or not, the recipient shows.
            let (_, cleaned) = clean_fixture(&root, name);
            assert_eq!(inspect(&cleaned.bytes), Ok(declared), "{at} cleaned");
            assert_eq!(cleaned.kind, declared.kind, "{at}");
        }
        assert_eq!(
            inspect(&root.image_bytes("not-an-image.jpg")),
            Err(ImageError::Svg),
            "{}",
            root.name()
        );
    }
}

#[test]
fn the_sideways_photo_displays_upright_with_the_arrow_at_the_top() {
    for root in fixture_roots() {
        let (_, cleaned) = clean_fixture(&root, "rotated-orientation6.jpg");
        let image = display(&cleaned.bytes).to_rgb8();
        assert_eq!(image.dimensions(), (800, 1200), "{}", root.name());
        let red_rows = |rows: std::ops::Range<u32>| {
            rows.flat_map(|y| (0..800).map(move |x| (x, y)))
                .filter(|&(x, y)| {
                    let [r, g, b] = image.get_pixel(x, y).0;
                    r > 200 && g < 60 && b < 60
                })
                .count()
        };
        let top = red_rows(0..400);
        let bottom = red_rows(800..1200);
        assert!(
            top > 10_000 && top > 20 * bottom.max(1),
            "{}: red at top {top}, bottom {bottom}",
            root.name()
        );
    }
}

#[test]
fn the_animation_keeps_its_three_frames() {
    use image::AnimationDecoder;
    for root in fixture_roots() {
        let (_, cleaned) = clean_fixture(&root, "animated.gif");
        assert_eq!(cleaned.frames, 3, "{}", root.name());
        let decoder = image::codecs::gif::GifDecoder::new(Cursor::new(&cleaned.bytes)).unwrap();
        assert_eq!(decoder.into_frames().count(), 3, "{}", root.name());
        let tags = exiftool(&cleaned.bytes, "animated.gif");
        assert_eq!(tags["GIF:FrameCount"], 3, "{}", root.name());
        assert_eq!(
            tags["GIF:AnimationIterations"],
            "Infinite",
            "{}",
            root.name()
        );
    }
}

#[test]
fn transparency_is_kept() {
    for root in fixture_roots() {
        let (_, cleaned) = clean_fixture(&root, "animated.gif");
        let tags = exiftool(&cleaned.bytes, "animated.gif");
        assert!(
            tags.contains_key("GIF:TransparentColor"),
            "{}: {tags:#?}",
            root.name()
        );
    }
}

#[test]
fn the_report_names_what_was_found() {
    for root in fixture_roots() {
        let (_, cleaned) = clean_fixture(&root, "gps-camera.jpg");
        let f = &cleaned.findings;
        let at = f.location.expect("location");
        assert!((at.latitude - 40.1344).abs() < 0.001, "{at:?}");
        assert!((at.longitude + 73.8474).abs() < 0.001, "{at:?}");
        assert_eq!(f.camera.as_deref(), Some("FixtureCam Model-1"));
        assert_eq!(
            f.date_taken,
            Some(Date {
                year: 2024,
                month: 5,
                day: 2
            })
        );
        assert_eq!(f.author.as_deref(), Some("Jane Source"));
        assert_eq!(f.software.as_deref(), Some("FixtureEditor 1.0"));
        assert!(f.serial_number && f.text && f.has_location && f.has_dates && f.other);
        if root.origin() == Origin::Repository {
            // The repository's photo also carries an EXIF thumbnail.
            assert!(f.thumbnail, "{f:?}");
        }

        for name in ["gps.png", "gps.webp"] {
            let (_, cleaned) = clean_fixture(&root, name);
            let f = &cleaned.findings;
            assert!(
                f.location.is_some() && f.author.is_some(),
                "{}/{name}: {f:?}",
                root.name()
            );
        }
        let (_, gif) = clean_fixture(&root, "animated.gif");
        assert!(gif.findings.text, "{}: {:?}", root.name(), gif.findings);
    }
}

#[test]
fn cleaning_twice_changes_nothing_more() {
    for root in fixture_roots() {
        for name in PICTURES {
            let at = format!("{}/{name}", root.name());
            let (_, once) = clean_fixture(&root, name);
            let twice = clean(&once.bytes).unwrap();
            assert_eq!(twice.bytes, once.bytes, "{at}");
            assert!(twice.findings.is_empty(), "{at}: {:?}", twice.findings);
        }
    }
}

#[test]
fn bad_files_are_refused_with_the_right_error() {
    assert_eq!(
        clean(b"plain text named photo.jpg").unwrap_err(),
        ImageError::NotAnImage
    );
    for root in fixture_roots() {
        assert_eq!(
            clean(&root.image_bytes("not-an-image.jpg")).unwrap_err(),
            ImageError::Svg,
            "{}",
            root.name()
        );
        assert_eq!(
            clean(&root.image_bytes("truncated.jpg")).unwrap_err(),
            ImageError::Truncated,
            "{}",
            root.name()
        );
        // Cut anywhere, every fixture is refused (or, if only trailing bytes went, still
        // fine).
        for name in ["gps-camera.jpg", "gps.png", "gps.webp", "animated.gif"] {
            let bytes = root.image_bytes(name);
            for cut in [20, bytes.len() / 3, bytes.len() / 2, bytes.len() - 3] {
                assert!(
                    clean(&bytes[..cut]).is_err(),
                    "{}/{name} cut at {cut}",
                    root.name()
                );
            }
        }
    }
}

#[test]
fn decompression_bombs_are_refused() {
    // A PNG header declaring 100,000 × 100,000 pixels.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let ihdr = [
        &b"IHDR"[..],
        &100_000u32.to_be_bytes(),
        &100_000u32.to_be_bytes(),
        &[8, 2, 0, 0, 0],
    ]
    .concat();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc(&ihdr).to_be_bytes());
    for chunk in [&b"IDAT"[..], b"IEND"] {
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(chunk);
        png.extend_from_slice(&crc(chunk).to_be_bytes());
    }
    assert_eq!(clean(&png).unwrap_err(), ImageError::TooManyPixels);
    assert_eq!(inspect(&png), Err(ImageError::TooManyPixels));

    for root in fixture_roots() {
        // A JPEG whose frame header says 65,000 × 65,000.
        let mut jpeg = root.image_bytes("gps-camera.jpg");
        let sof = frame_header(&jpeg);
        jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFD, 0xE8, 0xFD, 0xE8]);
        assert_eq!(
            clean(&jpeg).unwrap_err(),
            ImageError::TooManyPixels,
            "{}",
            root.name()
        );
        assert_eq!(inspect(&jpeg), Err(ImageError::TooManyPixels));

        // A GIF screen of 65,535 × 65,535.
        let mut gif = root.image_bytes("animated.gif");
        gif[6..10].copy_from_slice(&[0xFF; 4]);
        assert_eq!(
            clean(&gif).unwrap_err(),
            ImageError::TooManyPixels,
            "{}",
            root.name()
        );
        assert_eq!(inspect(&gif), Err(ImageError::TooManyPixels));
    }
}

/// Where the main frame header (SOF0) is: found segment by segment, because an EXIF
/// thumbnail is a JPEG with a frame header of its own.
fn frame_header(jpeg: &[u8]) -> usize {
    let mut i = 2;
    while jpeg[i + 1] != 0xC0 {
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    i
}

fn crc(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &byte in data {
        c ^= u32::from(byte);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

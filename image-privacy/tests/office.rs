//! Office documents (`clean_office`): the fixtures' identifying values (made by
//! `fixtures/documents.py`) are gone from every part, `unzip` finds a sound package, the text
//! and the tracked change are still there (reported, with no author), and a zip bomb is
//! refused quickly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::io::{Cursor, Read, Write};
use std::process::Command;
use std::time::Instant;

use image_privacy::{ImageError, OfficeKind, clean_office, office_kind};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../fixtures/documents/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

/// Every part of a package, by name, as `unzip -p` gives it (and `unzip -t` checks it).
fn unzip(bytes: &[u8], name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::env::temp_dir().join(format!("oncelink-office-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let tested = Command::new("unzip")
        .arg("-tq")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        tested.status.success(),
        "unzip -t: {}",
        String::from_utf8_lossy(&tested.stdout)
    );
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    let parts = names
        .into_iter()
        .map(|part| {
            // `[` starts a wildcard class for unzip: `[[]` is a literal one.
            let pattern = part.replace('[', "[[]");
            let out = Command::new("unzip")
                .arg("-p")
                .arg(&path)
                .arg(&pattern)
                .output()
                .unwrap();
            assert!(out.status.success(), "unzip -p {part}");
            // The same bytes through the zip crate: the package is read the same both ways.
            let mut ours = Vec::new();
            archive
                .by_name(&part)
                .unwrap()
                .read_to_end(&mut ours)
                .unwrap();
            assert_eq!(ours, out.stdout, "{part}");
            (part, out.stdout)
        })
        .collect();
    let _ = std::fs::remove_dir_all(dir);
    parts
}

const IDENTIFYING: [&str; 8] = [
    "Jane Source",
    "Example Ltd",
    "Max Manager",
    "Jane-Source-Letterhead",
    "CUSTOMER-7781",
    "FixtureOffice",
    "Check the price",
    "FixtureCam",
];

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn identifying_values_are_gone_from_every_part() {
    for (name, kind) in [
        ("form.docx", OfficeKind::Docx),
        ("prices.xlsx", OfficeKind::Xlsx),
        ("deck.pptx", OfficeKind::Pptx),
    ] {
        let original = fixture(name);
        assert_eq!(office_kind(&original), Some(kind), "{name}");
        let before = unzip(&original, &format!("original-{name}"));
        assert!(
            before.iter().any(|(_, data)| contains(data, "Jane Source")),
            "{name}: the fixture has the values"
        );
        let cleaned = clean_office(&original).unwrap();
        assert_eq!(cleaned.kind, kind);
        let found = &cleaned.findings;
        assert_eq!(found.author.as_deref(), Some("Jane Source"), "{name}");
        assert_eq!(found.company.as_deref(), Some("Example Ltd"), "{name}");
        assert_eq!(
            found.software.as_deref(),
            Some("FixtureOffice/1.0"),
            "{name}"
        );
        assert!(found.has_dates && found.other, "{name}: {found:?}");
        let after = unzip(&cleaned.bytes, &format!("cleaned-{name}"));
        for (part, data) in &after {
            for value in IDENTIFYING {
                assert!(!contains(data, value), "{name}: {part} still has {value}");
            }
        }
        // No part says when it was saved.
        let mut archive = zip::ZipArchive::new(Cursor::new(&cleaned.bytes[..])).unwrap();
        for i in 0..archive.len() {
            let when = archive.by_index_raw(i).unwrap().last_modified().unwrap();
            assert_eq!(
                (when.year(), when.month(), when.day()),
                (1980, 1, 1),
                "{name}"
            );
        }
        let names: Vec<&str> = after.iter().map(|(n, _)| n.as_str()).collect();
        assert!(!names.contains(&"docProps/custom.xml"), "{name}");
        assert!(!names.iter().any(|n| n.contains("thumbnail")), "{name}");
        // No content type or relationship names a part that is gone.
        for (part, data) in &after {
            if part.ends_with(".rels") || part == "[Content_Types].xml" {
                let text = String::from_utf8_lossy(data);
                for gone in ["custom.xml", "comments.xml", "comment1.xml", "thumbnail"] {
                    assert!(!text.contains(gone), "{name}: {part} still names {gone}");
                }
            }
        }
    }
}

#[test]
fn word_keeps_its_text_and_reports_its_tracked_change() {
    let cleaned = clean_office(&fixture("form.docx")).unwrap();
    let found = &cleaned.findings;
    assert!(found.comments && found.tracked_changes && found.thumbnail);
    assert_eq!(found.images, 1, "the photo inside was cleaned");
    let parts = unzip(&cleaned.bytes, "text.docx");
    let document = &parts
        .iter()
        .find(|(n, _)| n == "word/document.xml")
        .unwrap()
        .1;
    let text = String::from_utf8_lossy(document);
    assert!(text.contains("The contract text stays."));
    assert!(
        text.contains("Inserted later."),
        "the tracked insertion stays"
    );
    assert!(
        text.contains("<w:ins "),
        "still a tracked change, not accepted"
    );
    assert!(!text.contains("commentReference") && !text.contains("commentRangeStart"));
    assert!(!parts.iter().any(|(n, _)| n == "word/comments.xml"));
    // Cleaning what was cleaned finds nothing more.
    let again = clean_office(&cleaned.bytes).unwrap();
    assert!(again.findings.author.is_none() && !again.findings.comments);
}

#[test]
fn the_spreadsheet_loses_its_comment() {
    let cleaned = clean_office(&fixture("prices.xlsx")).unwrap();
    assert!(cleaned.findings.comments);
    let parts = unzip(&cleaned.bytes, "comments.xlsx");
    assert!(!parts.iter().any(|(n, _)| n.starts_with("xl/comments")));
    let sheet = &parts
        .iter()
        .find(|(n, _)| n == "xl/worksheets/sheet1.xml")
        .unwrap()
        .1;
    assert!(contains(sheet, "<v>1200</v>"), "the cell stays");
}

/// A package of under a megabyte whose one part inflates to 300 MB: refused as too large once
/// the part passes its limit, and nothing is held but a counter.
#[test]
fn a_zip_bomb_is_refused_quickly() {
    let mut bomb = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    bomb.start_file("[Content_Types].xml", deflated).unwrap();
    bomb.write_all(b"<Types/>").unwrap();
    bomb.start_file("word/document.xml", deflated).unwrap();
    bomb.write_all(b"<w:document/>").unwrap();
    bomb.start_file("word/media/zeros.bin", deflated).unwrap();
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..300 {
        bomb.write_all(&zeros).unwrap();
    }
    let bytes = bomb.finish().unwrap().into_inner();
    assert!(bytes.len() < 1024 * 1024, "{} bytes", bytes.len());
    let started = Instant::now();
    assert_eq!(clean_office(&bytes).unwrap_err(), ImageError::TooLarge);
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert_eq!(
        clean_office(b"PK\x03\x04 not really").unwrap_err(),
        ImageError::Damaged
    );
    // A password-protected document is an OLE container, not a package: not ours to clean.
    let ole = clean_office(b"\xd0\xcf\x11\xe0 OLE");
    assert_eq!(ole.unwrap_err(), ImageError::NotAnImage);
    assert!(office_kind(b"plain text").is_none());
}

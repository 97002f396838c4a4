//! PDFs (`clean_pdf`) against the fixtures of `fixtures/documents.py`: the document
//! information, XMP, ids, attachment and opening script are gone (`pdfinfo`, `pdfdetach`),
//! the line an incremental save removed is not in the bytes any more, the pages render the
//! same (`pdftoppm`), the photo inside is clean, and a password-protected file is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::path::{Path, PathBuf};
use std::process::Command;

use image_privacy::{ImageError, clean_pdf, is_pdf};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../fixtures/documents/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oncelink-pdf-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(name: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|_| panic!("{name} must be installed (Debian: poppler-utils)"));
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every page rendered by poppler at 50 dpi, as PPM files' bytes.
fn render(file: &Path) -> Vec<Vec<u8>> {
    let prefix = file.with_extension("page");
    let out = Command::new("pdftoppm")
        .args(["-r", "50"])
        .arg(file)
        .arg(&prefix)
        .output()
        .expect("pdftoppm must be installed (Debian: poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = file.parent().unwrap();
    let stem = prefix.file_name().unwrap().to_string_lossy().into_owned();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&stem))
        .collect();
    pages.sort();
    pages.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn identifying_data_and_earlier_revisions_are_gone_and_the_pages_look_the_same() {
    let original = fixture("report.pdf");
    assert!(is_pdf(&original));
    assert!(
        contains(&original, "SECRET LINE THAT WAS REDACTED"),
        "the fixture keeps it"
    );
    let cleaned = clean_pdf(&original).unwrap();
    let found = &cleaned.findings;
    assert_eq!(found.author.as_deref(), Some("Jane Source"));
    assert_eq!(found.software.as_deref(), Some("FixtureEditor 1.0"));
    assert_eq!(found.company.as_deref(), Some("Example Ltd"));
    assert_eq!(found.revisions, 1, "one incremental update");
    assert!(found.has_dates && found.text && found.other, "{found:?}");
    assert!(found.attachments && found.scripts, "{found:?}");
    assert_eq!(found.images, 1, "the photo inside had metadata");

    for gone in [
        "SECRET LINE THAT WAS REDACTED",
        "Jane Source",
        "Example Ltd",
        "FixtureEditor",
        "CUSTOMER-7781",
        "FixtureCam",
        "JavaScript",
        "app.alert",
    ] {
        assert!(
            !contains(&cleaned.bytes, gone),
            "{gone} is still in the file"
        );
    }
    assert_eq!(
        cleaned.bytes.windows(5).filter(|w| w == b"%%EOF").count(),
        1,
        "one revision"
    );

    let dir = scratch("pages");
    let (before, after) = (dir.join("original.pdf"), dir.join("cleaned.pdf"));
    std::fs::write(&before, &original).unwrap();
    std::fs::write(&after, &cleaned.bytes).unwrap();
    let info = tool("pdfinfo", &[], &after);
    assert!(info.contains("Pages:           2"), "{info}");
    assert!(info.contains("Metadata Stream: no"), "{info}");
    for field in [
        "Author:",
        "Creator:",
        "Producer:",
        "Title:",
        "CreationDate:",
    ] {
        assert!(!info.contains(field), "pdfinfo still shows {field}: {info}");
    }
    let attached = tool("pdfdetach", &["-list"], &after);
    assert!(attached.starts_with("0 embedded files"), "{attached}");
    let text = tool("pdftotext", &[], &after);
    let (rendered_before, rendered_after) = (render(&before), render(&after));
    assert_eq!(rendered_before.len(), 2);
    assert!(
        rendered_before == rendered_after,
        "the pages render differently"
    );
    let _ = text;
    let _ = std::fs::remove_dir_all(dir);

    // Cleaning what was cleaned finds nothing more to remove.
    let again = clean_pdf(&cleaned.bytes).unwrap();
    assert!(again.findings.author.is_none() && again.findings.revisions == 0);
}

#[test]
fn protected_or_damaged_files_are_refused() {
    assert_eq!(
        clean_pdf(&fixture("protected.pdf")).unwrap_err(),
        ImageError::Encrypted
    );
    let original = fixture("report.pdf");
    for cut in [10, 200, 2000] {
        assert!(clean_pdf(&original[..cut]).is_err(), "cut at {cut}");
    }
    assert_eq!(clean_pdf(b"not a pdf").unwrap_err(), ImageError::NotAnImage);
}

/// A file of a million tiny objects is refused at once, and a page tree that contains itself
/// ends: refused or cleaned, never a hang.
#[test]
fn object_bombs_and_cycles_end_quickly() {
    let mut many = b"%PDF-1.4\n".to_vec();
    for k in 1..=1_000_000u32 {
        many.extend_from_slice(format!("{k} 0 obj\nnull\nendobj\n").as_bytes());
    }
    many.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    let started = std::time::Instant::now();
    assert_eq!(clean_pdf(&many).unwrap_err(), ImageError::TooLarge);
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());

    let cyclic = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
2 0 obj\n<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1 /Parent 2 0 R >>\nendobj\n\
3 0 obj\n<< /Type /Page /Parent 2 0 R /Metadata 4 0 R >>\nendobj\n\
4 0 obj\n<< /Type /Metadata /Subtype /XML /Length 9 >>\nstream\nJane Srce\nendstream\nendobj\n\
trailer\n<< /Root 1 0 R /Size 5 >>\n%%EOF\n";
    let started = std::time::Instant::now();
    if let Ok(cleaned) = clean_pdf(cyclic) {
        assert!(!contains(&cleaned.bytes, "Jane Srce"));
    }
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

/// An object stream that inflates to 100 MB from a few hundred kilobytes: refused while
/// loading (each stream decoded while loading is held to 64 MiB), quickly; the same file with a
/// stream of 1 MB is read.
#[test]
fn a_decompression_bomb_is_refused() {
    let with_stream_of = |megabytes: usize| {
        use std::io::Write as _;
        let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        // One object, `null`, at offset 0, then spaces.
        deflate.write_all(b"3 0 null").unwrap();
        let spaces = vec![b' '; 1024 * 1024];
        for _ in 0..megabytes {
            deflate.write_all(&spaces).unwrap();
        }
        let stream = deflate.finish().unwrap();
        let mut pdf = b"%PDF-1.5\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
        pdf.extend_from_slice(
            format!(
                "2 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
                stream.len()
            )
            .as_bytes(),
        );
        pdf.extend_from_slice(&stream);
        pdf.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Size 4 >>\n%%EOF\n");
        pdf
    };
    assert!(
        clean_pdf(&with_stream_of(1)).is_ok(),
        "a 1 MB object stream is read"
    );
    let started = std::time::Instant::now();
    let refused = clean_pdf(&with_stream_of(100));
    assert!(refused.is_err(), "a 100 MB object stream was accepted");
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

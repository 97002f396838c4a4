//! Office Open XML (docx, xlsx, pptx): a zip of XML parts. Cleaning rewrites the package:
//!
//! * `docProps/core.xml` (author, last modified by, dates, keywords…) and `docProps/app.xml`
//!   (company, manager, template, software, editing time…) become empty property sets;
//! * custom properties, comments and their authors (people, persons, comment authors), and
//!   the package thumbnail are removed, with their content types and relationships, and the
//!   comment anchors in Word's text;
//! * images inside are cleaned like standalone ones where they are JPEG, PNG, GIF or WebP;
//! * tracked changes are reported, not accepted or rejected: they are the author's text.
//!
//! Everything else is copied compressed as it was; every entry's time becomes the zip epoch. Bounded against zip bombs: the package,
//! its number of parts, each part and all parts together have limits, checked on the bytes
//! actually inflated, not on what the zip's headers claim.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::{Findings, ImageError};

/// The most parts a package may have.
const MAX_PARTS: usize = 10_000;
/// The most one part may inflate to (a package is at most 64 MiB, and media inside are
/// stored, not compressed further, so real parts stay below this).
const MAX_PART: u64 = 96 * 1024 * 1024;
/// The most all the parts read may inflate to together.
const MAX_TOTAL: u64 = 256 * 1024 * 1024;

/// The kind of Office document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficeKind {
    /// Word (`word/document.xml`).
    Docx,
    /// Excel (`xl/workbook.xml`).
    Xlsx,
    /// PowerPoint (`ppt/presentation.xml`).
    Pptx,
}

/// Whether a part goes: custom properties, comments and who wrote them, the thumbnail.
fn removed_part(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let file = lower.rsplit('/').next().unwrap_or(&lower);
    lower == "docprops/custom.xml"
        || lower.starts_with("docprops/thumbnail")
        || (lower.starts_with("word/") && (file.starts_with("comments") || file == "people.xml"))
        || lower.starts_with("xl/comments/")
        || (lower.starts_with("xl/") && file.starts_with("comment") && file.ends_with(".xml"))
        || lower.starts_with("xl/threadedcomments/")
        || lower.starts_with("xl/persons/")
        || lower.starts_with("ppt/comments/")
        || lower == "ppt/commentauthors.xml"
        || lower.starts_with("ppt/authors")
}

/// The kind of a package, from its main part.
fn kind_of(names: &[String]) -> Option<OfficeKind> {
    let has = |n: &str| names.iter().any(|name| name == n);
    if !has("[Content_Types].xml") {
        return None;
    }
    if has("word/document.xml") {
        Some(OfficeKind::Docx)
    } else if has("xl/workbook.xml") {
        Some(OfficeKind::Xlsx)
    } else if has("ppt/presentation.xml") {
        Some(OfficeKind::Pptx)
    } else {
        None
    }
}

/// Whether the bytes look like an Office Open XML package (a zip naming a main part).
pub(crate) fn kind(bytes: &[u8]) -> Option<OfficeKind> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    let archive = ZipArchive::new(Cursor::new(bytes)).ok()?;
    kind_of(&part_names(&archive).ok()?)
}

/// Reads a part whole, at most `MAX_PART` bytes, counting against `budget`.
fn read_part<R: Read>(mut part: R, budget: &mut u64) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    let limit = MAX_PART.min(*budget);
    part.by_ref()
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|_| ImageError::Damaged)?;
    if out.len() as u64 > limit {
        return Err(ImageError::TooLarge);
    }
    *budget -= out.len() as u64;
    Ok(out)
}

/// The names of a package's parts.
fn part_names(archive: &ZipArchive<Cursor<&[u8]>>) -> Result<Vec<String>, ImageError> {
    archive
        .file_names()
        .map(|n| {
            n.map(std::borrow::Cow::into_owned)
                .map_err(|_| ImageError::Damaged)
        })
        .collect()
}

/// A part as text (empty when the package has no such part).
fn read_text(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
) -> Result<String, ImageError> {
    match archive.by_name(name) {
        Ok(part) => read_part(part, budget).map(|b| String::from_utf8_lossy(&b).into_owned()),
        Err(_) => Ok(String::new()),
    }
}

/// The value of `name="…"` in one element's text.
fn attribute<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let from = element.find(&key)? + key.len();
    let to = element[from..].find('"')? + from;
    Some(&element[from..to])
}

/// `xml` without the elements `<{tag} …/>` (self-closing) for which `drop` says so.
fn drop_elements(xml: &str, tag: &str, drop: impl Fn(&str) -> bool) -> String {
    let open = format!("<{tag}");
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        // Only this element, not one whose name merely starts the same.
        let whole = after.starts_with([' ', '/', '>', '\t', '\n', '\r']);
        let Some(end) = after.find('>') else { break };
        let element = &rest[at..at + open.len() + end + 1];
        out.push_str(&rest[..at]);
        if !(whole && element.ends_with("/>") && drop(element)) {
            out.push_str(element);
        }
        rest = &rest[at + element.len()..];
    }
    out.push_str(rest);
    out
}

/// Where a relationship's target is, as a part name, for the `.rels` part `rels`.
fn target_part(rels: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_owned();
    }
    // `word/_rels/document.xml.rels` → relative to `word/`; `_rels/.rels` → to the root.
    let folder = rels
        .rsplit_once("_rels/")
        .map(|(folder, _)| folder)
        .unwrap_or_default();
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The text content of the first element `name` (any prefix, any attributes) in `xml`.
fn element_text(xml: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(found) = xml[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        // An opening tag: `<name` or `<prefix:name`, followed by `>`, a space or `/`.
        let open = xml[..at].rfind('<')?;
        let prefix = &xml[open + 1..at];
        let is_open =
            prefix.is_empty() || (prefix.ends_with(':') && !prefix.contains(['/', ' ', '>', '"']));
        let next = xml[from..].chars().next()?;
        if !is_open || !(next == '>' || next == '/' || next.is_whitespace()) {
            continue;
        }
        let close = xml[at..].find('>')? + at;
        if xml[..close].ends_with('/') {
            continue;
        }
        let end = xml[close + 1..].find("</")? + close + 1;
        let text = xml[close + 1..end].trim();
        if !text.is_empty() {
            return Some(unescape(text));
        }
    }
    None
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// What the document properties say about people, places and software.
fn scan_properties(core: &str, app: &str, findings: &mut Findings) {
    for name in ["creator", "lastModifiedBy"] {
        if let Some(who) = element_text(core, name) {
            crate::keep_text(&mut findings.author, &who);
        }
    }
    if ["created", "modified", "lastPrinted"]
        .iter()
        .any(|n| element_text(core, n).is_some())
    {
        findings.has_dates = true;
    }
    if ["title", "subject", "keywords", "description", "category"]
        .iter()
        .any(|n| element_text(core, n).is_some())
    {
        findings.text = true;
    }
    if let Some(company) = element_text(app, "Company") {
        crate::keep_text(&mut findings.company, &company);
    }
    if let Some(manager) = element_text(app, "Manager") {
        crate::keep_text(&mut findings.author, &manager);
    }
    if let Some(software) = element_text(app, "Application") {
        crate::keep_text(&mut findings.software, &software);
    }
    if element_text(app, "Template").is_some() {
        findings.other = true;
    }
}

const EMPTY_CORE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"></cp:coreProperties>";
const EMPTY_APP: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"></Properties>";

/// A cleaned Office document.
pub(crate) struct CleanOffice {
    pub kind: OfficeKind,
    pub bytes: Vec<u8>,
}

/// The package without its identifying parts (see the module's documentation).
pub(crate) fn clean(bytes: &[u8], findings: &mut Findings) -> Result<CleanOffice, ImageError> {
    // Not a zip at all (a password-protected Office file is an OLE container): not ours.
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(ImageError::NotAnImage);
    }
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|_| ImageError::Damaged)?;
    if archive.len() > MAX_PARTS {
        return Err(ImageError::TooLarge);
    }
    let names = part_names(&archive)?;
    let kind = kind_of(&names).ok_or(ImageError::NotAnImage)?;
    let gone: Vec<String> = names.iter().filter(|n| removed_part(n)).cloned().collect();
    if gone
        .iter()
        .any(|n| n.contains("comment") || n.contains("people") || n.contains("person"))
    {
        findings.comments = true;
    }
    if gone.iter().any(|n| n.contains("thumbnail")) {
        findings.thumbnail = true;
    }
    if gone.iter().any(|n| n.ends_with("custom.xml")) {
        findings.other = true;
    }
    let mut budget = MAX_TOTAL;
    let core = read_text(&mut archive, "docProps/core.xml", &mut budget)?;
    let app = read_text(&mut archive, "docProps/app.xml", &mut budget)?;
    scan_properties(&core, &app, findings);

    let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(bytes.len())));
    // Every entry gets the zip format's own epoch (as Office itself writes them): the times a
    // package's parts were saved say when someone worked on it.
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    for index in 0..archive.len() {
        let entry_name = archive
            .by_index_raw(index)
            .map_err(|_| ImageError::Damaged)?
            .name()
            .map_err(|_| ImageError::Damaged)?
            .into_owned();
        if removed_part(&entry_name) {
            continue;
        }
        let rewritten: Option<Vec<u8>> = match entry_name.as_str() {
            "docProps/core.xml" => Some(EMPTY_CORE.as_bytes().to_vec()),
            "docProps/app.xml" => Some(EMPTY_APP.as_bytes().to_vec()),
            "[Content_Types].xml" => {
                let xml = read_text(&mut archive, &entry_name, &mut budget)?;
                Some(
                    drop_elements(&xml, "Override", |e| {
                        attribute(e, "PartName")
                            .is_some_and(|p| gone.iter().any(|g| p.trim_start_matches('/') == g))
                    })
                    .into_bytes(),
                )
            }
            n if n.ends_with(".rels") => {
                let xml = read_text(&mut archive, n, &mut budget)?;
                Some(
                    drop_elements(&xml, "Relationship", |e| {
                        attribute(e, "TargetMode") != Some("External")
                            && attribute(e, "Target")
                                .is_some_and(|t| gone.contains(&target_part(n, t)))
                    })
                    .into_bytes(),
                )
            }
            "word/document.xml" => {
                let xml = read_text(&mut archive, &entry_name, &mut budget)?;
                if xml.contains("<w:ins ") || xml.contains("<w:del ") {
                    findings.tracked_changes = true;
                }
                let mut cleaned = xml;
                for tag in [
                    "w:commentRangeStart",
                    "w:commentRangeEnd",
                    "w:commentReference",
                ] {
                    cleaned = drop_elements(&cleaned, tag, |_| true);
                }
                // Tracked changes stay, but not who made them or when.
                Some(anonymise(&cleaned).into_bytes())
            }
            n if n.contains("/media/") => {
                let data = {
                    let part = archive.by_index(index).map_err(|_| ImageError::Damaged)?;
                    read_part(part, &mut budget)?
                };
                match crate::sniff(&data) {
                    Ok(_) => match crate::clean(&data) {
                        Ok(image) => {
                            if !image.findings.is_empty() {
                                findings.images += 1;
                            }
                            Some(image.bytes)
                        }
                        // An image the cleaner refuses goes as it is (it may be a format
                        // Office shows and the cleaner does not take).
                        Err(_) => Some(data),
                    },
                    Err(_) => Some(data),
                }
            }
            _ => None,
        };
        match rewritten {
            Some(data) => {
                out.start_file(entry_name.as_str(), deflated)
                    .map_err(|_| ImageError::Damaged)?;
                out.write_all(&data).map_err(|_| ImageError::Damaged)?;
            }
            None => {
                // Inflated once to hold it to the limits (a bomb stops here), then copied
                // compressed as it was.
                {
                    let part = archive.by_index(index).map_err(|_| ImageError::Damaged)?;
                    let mut sink = Counted::default();
                    let limit = MAX_PART.min(budget);
                    std::io::copy(&mut part.take(limit + 1), &mut sink)
                        .map_err(|_| ImageError::Damaged)?;
                    if sink.0 > limit {
                        return Err(ImageError::TooLarge);
                    }
                    budget -= sink.0;
                }
                let part = archive
                    .by_index_raw(index)
                    .map_err(|_| ImageError::Damaged)?;
                out.raw_copy_file_touch(part, DateTime::default(), None)
                    .map_err(|_| ImageError::Damaged)?;
            }
        }
    }
    let bytes = out.finish().map_err(|_| ImageError::Damaged)?.into_inner();
    Ok(CleanOffice { kind, bytes })
}

/// `xml` with every `w:author="…"` emptied and every `w:date="…"` removed (the authors and
/// times of tracked changes).
fn anonymise(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    loop {
        let next = [(" w:author=\"", true), (" w:date=\"", false)]
            .into_iter()
            .filter_map(|(key, keep)| rest.find(key).map(|at| (at, key, keep)))
            .min_by_key(|(at, _, _)| *at);
        let Some((at, key, keep)) = next else { break };
        let value_start = at + key.len();
        let Some(len) = rest[value_start..].find('"') else {
            break;
        };
        out.push_str(&rest[..at]);
        if keep {
            out.push_str(" w:author=\"\"");
        }
        rest = &rest[value_start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// Counts what is written to it, keeping nothing.
#[derive(Default)]
struct Counted(u64);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

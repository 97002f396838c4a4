//! PDF: the document information dictionary, XMP metadata (document and per object), document
//! ids, thumbnails, embedded files and attachments, scripts and automatic actions removed, and
//! the file written back as one clean revision, so text that a later incremental save removed
//! is not in the bytes any more. JPEG images inside are cleaned like standalone ones (the
//! coded data is copied, never re-encoded). Pages, fonts and other images are left as they
//! are. Encrypted files are refused: what they hold cannot be read without the password, so
//! it cannot be cleaned.
//!
//! Parsing and writing are `lopdf`'s; this module decides what goes. Bounded: the file's size
//! (the caller's limit), every stream decoded while loading ([`MAX_STREAM`]), and the number
//! of objects ([`MAX_OBJECTS`]); references are followed with a record of what was seen, so a
//! cyclic tree ends.

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use crate::{Findings, ImageError};

/// The most objects a document may have (a 1,000-page scan has a few thousand).
const MAX_OBJECTS: usize = 200_000;
/// The most one object or cross-reference stream may inflate to while loading.
const MAX_STREAM: usize = 64 * 1024 * 1024;

/// Keys removed from every dictionary, and what each tells.
const DROPPED_KEYS: [&[u8]; 6] = [
    b"Metadata",     // XMP of the document or of one object
    b"PieceInfo",    // private data of the application that made it
    b"LastModified", // when an object was last changed
    b"Thumb",        // a page's thumbnail
    b"AA",           // actions run on opening, closing, printing…
    b"JS",           // a script
];

/// Whether the bytes are a PDF (the header within the first kilobyte, as readers accept).
pub(crate) fn is_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

fn text(object: &Object) -> Option<String> {
    match object {
        Object::String(bytes, _) => Some(
            lopdf::decode_text_string(object)
                .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned()),
        ),
        _ => None,
    }
}

/// What the document information dictionary says.
fn scan_info(info: &Dictionary, findings: &mut Findings) {
    for (key, value) in info.iter() {
        let value_text = text(value).unwrap_or_default();
        match key.as_slice() {
            b"Author" => crate::keep_text(&mut findings.author, &value_text),
            b"Creator" | b"Producer" => crate::keep_text(&mut findings.software, &value_text),
            b"CreationDate" | b"ModDate" => findings.has_dates = true,
            b"Title" | b"Subject" | b"Keywords" => findings.text |= !value_text.is_empty(),
            b"Company" => crate::keep_text(&mut findings.company, &value_text),
            _ => findings.other = true,
        }
    }
}

/// How many times the file was saved incrementally: its `%%EOF` markers past the first.
fn earlier_revisions(bytes: &[u8]) -> u32 {
    let ends = bytes.windows(5).filter(|w| w == b"%%EOF").count();
    u32::try_from(ends.saturating_sub(1)).unwrap_or(u32::MAX)
}

/// The dictionary of an object (a stream's own dictionary for a stream).
fn dictionary_of(object: &mut Object) -> Option<&mut Dictionary> {
    match object {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&mut s.dict),
        _ => None,
    }
}

/// Whether a stream's one filter is DCTDecode: its content is then a JPEG file.
fn only_dct(dict: &Dictionary) -> bool {
    match dict.get(b"Filter") {
        Ok(Object::Name(f)) => f == b"DCTDecode",
        Ok(Object::Array(filters)) => {
            matches!(filters.as_slice(), [Object::Name(f)] if f == b"DCTDecode")
        }
        _ => false,
    }
}

fn name_is(dict: &Dictionary, key: &[u8], name: &[u8]) -> bool {
    matches!(dict.get(key), Ok(Object::Name(n)) if n == name)
}

/// Cleans one dictionary in place: dropped keys, scripts in actions, files in file
/// specifications.
fn clean_dictionary(dict: &mut Dictionary, findings: &mut Findings) {
    for key in DROPPED_KEYS {
        if dict.remove(key).is_some() {
            match key {
                b"Thumb" => findings.thumbnail = true,
                b"AA" | b"JS" => findings.scripts = true,
                _ => findings.other = true,
            }
        }
    }
    // An action to run a script, or to launch something, inline.
    if let Ok(Object::Dictionary(action)) = dict.get(b"A")
        && (name_is(action, b"S", b"JavaScript") || name_is(action, b"S", b"Launch"))
    {
        dict.remove(b"A");
        findings.scripts = true;
    }
    // A file specification's embedded file, and associated files (PDF 2.0) of any object.
    if dict.remove(b"EF").is_some() | dict.remove(b"AF").is_some() {
        findings.attachments = true;
    }
}

/// The file without what identifies its author or acts on its own (see the module's
/// documentation), as one revision.
pub(crate) fn clean(bytes: &[u8], findings: &mut Findings) -> Result<Vec<u8>, ImageError> {
    if !is_pdf(bytes) {
        return Err(ImageError::NotAnImage);
    }
    // A file cut short has lost its end (readers may rebuild what is left, and the result
    // would not be what was sent): its last kilobyte must hold the end marker.
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(ImageError::Truncated);
    }
    // Counted before parsing, so a file of a million tiny objects is refused at once.
    if bytes.windows(4).filter(|w| w == b" obj").count() > MAX_OBJECTS {
        return Err(ImageError::TooLarge);
    }
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_STREAM),
        ..LoadOptions::default()
    };
    let mut doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => ImageError::Encrypted,
        _ => ImageError::Damaged,
    })?;
    if doc.is_encrypted() || doc.was_encrypted() {
        return Err(ImageError::Encrypted);
    }
    if doc.objects.len() > MAX_OBJECTS {
        return Err(ImageError::TooLarge);
    }
    findings.revisions = earlier_revisions(bytes);

    // The document information dictionary and the ids, in the trailer.
    match doc.trailer.remove(b"Info") {
        Some(Object::Reference(id)) => {
            if let Ok(info) = doc.get_dictionary(id) {
                scan_info(info, findings);
            }
        }
        Some(Object::Dictionary(info)) => scan_info(&info, findings),
        _ => {}
    }
    if doc.trailer.remove(b"ID").is_some() {
        findings.other = true;
    }

    // The catalog: the opening action, attachments and document-level scripts.
    let root: ObjectId = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| ImageError::Damaged)?;
    let names = {
        let catalog = doc
            .get_object_mut(root)
            .ok()
            .and_then(dictionary_of)
            .ok_or(ImageError::Damaged)?;
        if catalog.remove(b"OpenAction").is_some() {
            findings.scripts = true;
        }
        catalog.get(b"Names").ok().cloned()
    };
    let names_dict = match names {
        Some(Object::Reference(id)) => doc.get_object_mut(id).ok().and_then(dictionary_of),
        Some(Object::Dictionary(_)) => doc
            .get_object_mut(root)
            .ok()
            .and_then(dictionary_of)
            .and_then(|c| c.get_mut(b"Names").ok())
            .and_then(dictionary_of),
        _ => None,
    };
    if let Some(names) = names_dict {
        if names.remove(b"EmbeddedFiles").is_some() {
            findings.attachments = true;
        }
        if names.remove(b"JavaScript").is_some() {
            findings.scripts = true;
        }
    }

    // Every object: metadata keys, scripts, embedded files, file attachment annotations, and
    // the JPEG images.
    let mut attachments: Vec<ObjectId> = Vec::new();
    for (id, object) in doc.objects.iter_mut() {
        if let Object::Stream(stream) = object
            && name_is(&stream.dict, b"Subtype", b"Image")
            && only_dct(&stream.dict)
            && let Ok(image) = crate::clean(&stream.content)
        {
            if !image.findings.is_empty() {
                findings.images += 1;
            }
            stream.set_content(image.bytes);
        }
        let Some(dict) = dictionary_of(object) else {
            continue;
        };
        if name_is(dict, b"Subtype", b"FileAttachment") {
            attachments.push(*id);
            findings.attachments = true;
        }
        clean_dictionary(dict, findings);
        // Inline dictionaries one level down (an annotation's action, a page's resources).
        for (_, value) in dict.iter_mut() {
            if let Object::Dictionary(inner) = value {
                clean_dictionary(inner, findings);
            }
        }
    }
    // File attachment annotations leave their pages.
    if !attachments.is_empty() {
        for (_, object) in doc.objects.iter_mut() {
            if let Some(dict) = dictionary_of(object)
                && let Ok(Object::Array(annotations)) = dict.get_mut(b"Annots")
            {
                annotations
                    .retain(|a| !matches!(a, Object::Reference(r) if attachments.contains(r)));
            }
        }
    }

    // What nothing refers to any more (the metadata streams, the files, the earlier
    // revisions' objects) is not written.
    doc.prune_objects();
    let mut out = Vec::with_capacity(bytes.len());
    doc.save_to(&mut out).map_err(|_| ImageError::Damaged)?;
    Ok(out)
}

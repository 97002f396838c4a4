//! The file manifest inside an envelope of type `0x03`: each file's name, type, size and
//! key. The files' data travels apart, as [`crate::stream`]s laid end to end in manifest
//! order, so the server sees one blob of their total sealed length and nothing else.
//!
//! ```text
//! files:  count (u16 BE, ≥ 1) | file × count
//! file:   name length (u16 BE) | name (UTF-8) | MIME length (u8) | MIME (ASCII) | size (u64 BE) | key (32)
//! ```

use zeroize::ZeroizeOnDrop;

use crate::Error;
use crate::stream::{FILE_KEY_LEN, FileKey, MAX_FILE_SIZE, sealed_len};

/// The longest file name, in UTF-8 bytes.
pub const MAX_NAME_LEN: usize = 1024;

/// The longest name [`FileEntry::safe_name`] gives: under the 255-byte limit of common file
/// systems, with room for a " (2)" a client may add.
const SAFE_NAME_BYTES: usize = 200;

/// `name` cut to at most `max` bytes on a character boundary, keeping a short extension.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let ext = name
        .rfind('.')
        .map(|i| &name[i..])
        .filter(|e| e.len() <= 16)
        .unwrap_or("");
    let mut end = max - ext.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ext}", &name[..end])
}

/// One file of a secret: what the recipient sees after revealing, and the key of its data.
///
/// Plaintext (the name can identify someone): not `Clone`, wiped when dropped, `Debug`
/// shows nothing.
#[derive(ZeroizeOnDrop)]
pub struct FileEntry {
    name: String,
    mime: String,
    size: u64,
    key: FileKey,
}

impl FileEntry {
    /// A file entry. The name must be 1–1024 bytes without control characters; the type
    /// 1–255 printable ASCII characters (`application/octet-stream` when unknown); the size
    /// at most [`MAX_FILE_SIZE`].
    pub fn new(
        name: impl Into<String>,
        mime: impl Into<String>,
        size: u64,
        key: FileKey,
    ) -> Result<Self, Error> {
        let entry = Self {
            name: name.into(),
            mime: mime.into(),
            size,
            key,
        };
        check_name(&entry.name)?;
        crate::envelope::check_mime(entry.mime.as_bytes())?;
        if size > MAX_FILE_SIZE {
            return Err(Error::Envelope("a file is larger than the format allows"));
        }
        Ok(entry)
    }

    /// An explicit copy, key included (the manifest and the sealer each hold one). Not
    /// `Clone`, so that every copy of a key stands out in review.
    pub fn duplicate(&self) -> Self {
        Self {
            name: self.name.clone(),
            mime: self.mime.clone(),
            size: self.size,
            key: FileKey::from_bytes(*self.key.expose_secret()),
        }
    }

    /// The file's name as the sender's device gave it. Not safe as a path: see
    /// [`FileEntry::safe_name`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name with every character that could leave a directory or confuse a file
    /// system replaced by `_`, and never `.` or `..`: what a client may save it as, and
    /// shows. Invisible formatting characters go too: a right-to-left override would show
    /// `invoice\u{202e}fdp.exe` as `invoiceexe.pdf`.
    pub fn safe_name(&self) -> String {
        let cleaned: String = self
            .name
            .chars()
            .map(|c| match c {
                '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
                c if c.is_control() || is_invisible_format(c) => '_',
                c => c,
            })
            .collect();
        let trimmed = cleaned.trim_matches(|c: char| c == ' ' || c == '.');
        if trimmed.is_empty() {
            return "file".to_owned();
        }
        shorten(trimmed, SAFE_NAME_BYTES)
    }

    /// The MIME type the sender declared.
    pub fn mime(&self) -> &str {
        &self.mime
    }

    /// The plaintext size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The key of the file's data stream.
    pub fn key(&self) -> &FileKey {
        &self.key
    }

    fn packed_len(&self) -> usize {
        2 + self.name.len() + 1 + self.mime.len() + 8 + FILE_KEY_LEN
    }
}

impl std::fmt::Debug for FileEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileEntry(***)")
    }
}

/// Where each file's sealed stream starts in the secret's file data, and where the data
/// ends: `offsets[i]..offsets[i + 1]` is file `i`.
pub fn stream_offsets(files: &[FileEntry]) -> Vec<u64> {
    let mut offsets = Vec::with_capacity(files.len() + 1);
    let mut at = 0u64;
    offsets.push(at);
    for file in files {
        // Saturating: a hostile manifest's sizes cannot wrap around (the data's real length
        // then does not match, and the client refuses it).
        at = at.saturating_add(sealed_len(file.size));
        offsets.push(at);
    }
    offsets
}

/// Bidirectional controls, zero-width characters and the byte-order mark (Unicode format
/// characters that change how a name reads without being seen).
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}'
    )
}

fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(Error::Envelope(
            "a file name is empty, too long or has control characters",
        ));
    }
    Ok(())
}

/// The bytes the files take in a packed envelope.
pub(crate) fn packed_len(files: &[FileEntry]) -> usize {
    2 + files.iter().map(FileEntry::packed_len).sum::<usize>()
}

/// Appends the file list to a packed envelope.
pub(crate) fn pack(files: &[FileEntry], out: &mut Vec<u8>) -> Result<(), Error> {
    let count = u16::try_from(files.len())
        .ok()
        .filter(|&n| n > 0)
        .ok_or(Error::Envelope("a secret holds 1 to 65,535 files"))?;
    out.extend_from_slice(&count.to_be_bytes());
    for file in files {
        // Both checked by `FileEntry::new`.
        let name_len = u16::try_from(file.name.len())
            .map_err(|_| Error::Envelope("a file name is too long"))?;
        let mime_len = u8::try_from(file.mime.len())
            .map_err(|_| Error::Envelope("a file type is too long"))?;
        out.extend_from_slice(&name_len.to_be_bytes());
        out.extend_from_slice(file.name.as_bytes());
        out.push(mime_len);
        out.extend_from_slice(file.mime.as_bytes());
        out.extend_from_slice(&file.size.to_be_bytes());
        out.extend_from_slice(file.key.expose_secret());
    }
    Ok(())
}

/// Parses the file list that ends a packed envelope; nothing may follow it.
pub(crate) fn unpack(mut rest: &[u8]) -> Result<Vec<FileEntry>, Error> {
    let count = u16::from_be_bytes(*take::<2>(&mut rest, "the file count is cut off")?);
    if count == 0 {
        return Err(Error::Envelope("a file list is empty"));
    }
    let mut files = Vec::with_capacity(usize::from(count).min(rest.len() / 44 + 1));
    for _ in 0..count {
        let name_len = usize::from(u16::from_be_bytes(*take::<2>(
            &mut rest,
            "a file name is cut off",
        )?));
        let name = take_slice(&mut rest, name_len, "a file name is cut off")?;
        let name = std::str::from_utf8(name)
            .map_err(|_| Error::Envelope("a file name is not UTF-8"))?
            .to_owned();
        let mime_len = usize::from(take::<1>(&mut rest, "a file type is cut off")?[0]);
        let mime = take_slice(&mut rest, mime_len, "a file type is cut off")?;
        crate::envelope::check_mime(mime)?;
        let mime = String::from_utf8_lossy(mime).into_owned();
        let size = u64::from_be_bytes(*take::<8>(&mut rest, "a file size is cut off")?);
        let key = FileKey::from_bytes(*take::<FILE_KEY_LEN>(&mut rest, "a file key is cut off")?);
        files.push(FileEntry::new(name, mime, size, key)?);
    }
    if !rest.is_empty() {
        return Err(Error::Envelope("bytes follow the file list"));
    }
    Ok(files)
}

fn take<'a, const N: usize>(rest: &mut &'a [u8], cut: &'static str) -> Result<&'a [u8; N], Error> {
    let (head, tail) = rest.split_first_chunk::<N>().ok_or(Error::Envelope(cut))?;
    *rest = tail;
    Ok(head)
}

fn take_slice<'a>(rest: &mut &'a [u8], len: usize, cut: &'static str) -> Result<&'a [u8], Error> {
    if rest.len() < len {
        return Err(Error::Envelope(cut));
    }
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, size: u64) -> FileEntry {
        FileEntry::new(name, "application/pdf", size, FileKey::from_bytes([1; 32])).unwrap()
    }

    #[test]
    fn names_are_checked_and_made_safe() {
        assert!(FileEntry::new("", "a/b", 0, FileKey::from_bytes([0; 32])).is_err());
        assert!(FileEntry::new("a\nb", "a/b", 0, FileKey::from_bytes([0; 32])).is_err());
        assert!(FileEntry::new("x".repeat(1025), "a/b", 0, FileKey::from_bytes([0; 32])).is_err());
        assert!(FileEntry::new("a", "", 0, FileKey::from_bytes([0; 32])).is_err());
        assert!(
            FileEntry::new("a", "a/b", MAX_FILE_SIZE + 1, FileKey::from_bytes([0; 32])).is_err()
        );
        assert_eq!(entry("../../etc/passwd", 1).safe_name(), "_.._etc_passwd");
        assert_eq!(entry("..", 1).safe_name(), "file");
        assert_eq!(entry("C:\\x.pdf", 1).safe_name(), "C__x.pdf");
        // A right-to-left override would make an .exe read as a .pdf.
        assert_eq!(
            entry("invoice\u{202e}fdp.exe", 1).safe_name(),
            "invoice_fdp.exe"
        );
        assert_eq!(entry("a\u{200b}b\u{2066}c", 1).safe_name(), "a_b_c");
        assert_eq!(
            entry("Zeugnis für Jörg.pdf", 1).safe_name(),
            "Zeugnis für Jörg.pdf"
        );
        assert_eq!(format!("{:?}", entry("secret.pdf", 1)), "FileEntry(***)");
        let long = format!("{}.pdf", "東".repeat(300));
        let safe = entry(&long, 1).safe_name();
        assert!(safe.len() <= 200 && safe.ends_with(".pdf"), "{safe}");
    }

    #[test]
    fn offsets_follow_the_sealed_lengths() {
        let files = [entry("a", 0), entry("b", 65_537), entry("c", 5)];
        assert_eq!(
            stream_offsets(&files),
            vec![0, 16, 16 + 65_537 + 32, 16 + 65_569 + 21]
        );
    }

    #[test]
    fn lists_round_trip_and_malformed_lists_are_refused() {
        let files = [entry("a.pdf", 3), entry("b", 1 << 40)];
        let mut out = Vec::new();
        pack(&files, &mut out).unwrap();
        assert_eq!(out.len(), packed_len(&files));
        let back = unpack(&out).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(
            (back[1].name(), back[1].mime(), back[1].size()),
            ("b", "application/pdf", 1 << 40)
        );
        assert!(pack(&[], &mut Vec::new()).is_err());
        for cut in 0..out.len() {
            assert!(unpack(&out[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = out.clone();
        longer.push(0);
        assert!(unpack(&longer).is_err());
        assert!(unpack(b"\x00\x00").is_err());
    }
}

//! Content names for the bundle. The main JS and the split loader import each other, so
//! neither can be named by a hash of its own final bytes: every file of the WASM bundle is
//! named by one hash of the whole bundle as built (before renaming), which changes whenever
//! any byte of it does. The stylesheet stands alone and gets its own hash.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The loader's name as the splitter writes it into the main module, the chunks and the
/// main JS: its 22 underscores are replaced in place by the bundle hash (same length, so
/// the WASM binaries stay valid).
pub const LOADER_PLACEHOLDER: &str = "__wasm_split.______________________.js";

const PLACEHOLDER_HASH: &str = "______________________";

/// 22 base64url characters (128 bits) of SHA-256, the length the server recognises as a
/// content-hashed name (`server::security`).
pub fn hash(parts: &BTreeMap<String, Vec<u8>>) -> String {
    let mut digest = Sha256::new();
    for (name, bytes) in parts {
        digest.update((name.len() as u64).to_le_bytes());
        digest.update(name.as_bytes());
        digest.update((bytes.len() as u64).to_le_bytes());
        digest.update(bytes);
    }
    let encoded = URL_SAFE_NO_PAD.encode(digest.finalize());
    encoded[..PLACEHOLDER_HASH.len()].to_owned()
}

/// `stem.ext` → `stem.{hash}.ext`; the loader placeholder → `__wasm_split.{hash}.js`.
pub fn hashed_name(name: &str, hash: &str) -> String {
    if name == LOADER_PLACEHOLDER {
        return name.replace(PLACEHOLDER_HASH, hash);
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

/// Replaces every occurrence of `from` by `to` (byte strings of equal length, so a WASM
/// binary keeps its layout).
pub fn replace_same_length(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(
        from.len(),
        to.len(),
        "in-place replacement needs equal lengths"
    );
    let mut count = 0;
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], from) {
        let start = at + found;
        bytes[start..start + to.len()].copy_from_slice(to);
        at = start + to.len();
        count += 1;
    }
    count
}

/// Replaces every occurrence of `from` by `to` in text.
pub fn replace_text(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(found) = find(&bytes[at..], from.as_bytes()) {
        out.extend_from_slice(&bytes[at..at + found]);
        out.extend_from_slice(to.as_bytes());
        at += found + from.len();
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// Whether the placeholder hash is still anywhere in `bytes`.
pub fn has_placeholder(bytes: &[u8]) -> bool {
    find(bytes, PLACEHOLDER_HASH.as_bytes()).is_some()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The splitter's prefetch map (split point → chunk file stems) with the hashed stems.
pub fn hashed_manifest(
    map: &std::collections::HashMap<String, Vec<String>>,
    hash: &str,
) -> BTreeMap<String, Vec<String>> {
    map.iter()
        .map(|(split, stems)| {
            let stems = stems.iter().map(|stem| format!("{stem}.{hash}")).collect();
            (split.clone(), stems)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_has_the_length_the_server_recognises_and_follows_every_byte() {
        let mut files = BTreeMap::from([("a.wasm".to_owned(), vec![1, 2, 3])]);
        let first = hash(&files);
        assert_eq!(first.len(), 22);
        assert!(
            first
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        files.insert("a.wasm".to_owned(), vec![1, 2, 4]);
        assert_ne!(hash(&files), first);
        // Moving a byte from one file to the next is a different bundle.
        let split = BTreeMap::from([("a".to_owned(), vec![1]), ("b".to_owned(), vec![2, 3])]);
        let moved = BTreeMap::from([("a".to_owned(), vec![1, 2]), ("b".to_owned(), vec![3])]);
        assert_ne!(hash(&split), hash(&moved));
    }

    #[test]
    fn names_carry_the_hash_before_the_extension() {
        let h = "AAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(hashed_name("oncelink.js", h), format!("oncelink.{h}.js"));
        assert_eq!(
            hashed_name("chunk_10.wasm", h),
            format!("chunk_10.{h}.wasm")
        );
        assert_eq!(
            hashed_name(LOADER_PLACEHOLDER, h),
            format!("__wasm_split.{h}.js")
        );
    }

    #[test]
    fn binary_replacement_keeps_the_length_and_finds_every_copy() {
        let mut bytes =
            b"x__wasm_split.______________________.jsy__wasm_split.______________________.js"
                .to_vec();
        let to = hashed_name(LOADER_PLACEHOLDER, "BBBBBBBBBBBBBBBBBBBBBB");
        let before = bytes.len();
        assert_eq!(
            replace_same_length(&mut bytes, LOADER_PLACEHOLDER.as_bytes(), to.as_bytes()),
            2
        );
        assert_eq!(bytes.len(), before);
        assert!(!has_placeholder(&bytes));
    }

    #[test]
    fn chunk_names_that_prefix_others_are_replaced_whole() {
        let loader = br#"f("./chunk_1.wasm");f("./chunk_10.wasm")"#;
        let once = replace_text(loader, "./chunk_1.wasm", "./chunk_1.H.wasm");
        let twice = replace_text(&once, "./chunk_10.wasm", "./chunk_10.H.wasm");
        assert_eq!(
            String::from_utf8(twice).unwrap(),
            r#"f("./chunk_1.H.wasm");f("./chunk_10.H.wasm")"#
        );
    }

    #[test]
    fn the_manifest_names_hashed_stems() {
        let map = std::collections::HashMap::from([(
            "reveal".to_owned(),
            vec!["chunk_0".to_owned(), "split_reveal_1".to_owned()],
        )]);
        assert_eq!(
            hashed_manifest(&map, "H")["reveal"],
            ["chunk_0.H", "split_reveal_1.H"]
        );
    }
}

//! The file-data vectors (`fixtures/vectors/file-streams.json`) through
//! `crypto_core::bulk::stream`: WebCrypto in a secure page, the pure-Rust cipher elsewhere.

use crypto_core::ErrorKind;
use crypto_core::bulk::stream::{ChunkOpener, ChunkSealer};
use crypto_core::stream::{CHUNK_LEN, FileKey, SEALED_CHUNK_LEN};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

use crate::{Report, unhex};

#[derive(Deserialize)]
struct Vectors {
    streams: Vec<Stream>,
    invalid_streams: Vec<Invalid>,
}

#[derive(Deserialize)]
struct Stream {
    name: String,
    file_key_hex: String,
    size: u64,
    sealed_sha256: String,
    chunk_tags_hex: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ChunkRef {
    Here(usize),
    Elsewhere(String, usize),
}

#[derive(Deserialize)]
struct Invalid {
    name: String,
    from: String,
    size: u64,
    chunks: Vec<ChunkRef>,
    cut_to: Option<usize>,
    flip_byte: Option<usize>,
    append_hex: Option<String>,
    expect_error: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn key_of(hex: &str) -> Option<FileKey> {
    Some(FileKey::from_bytes(unhex(hex)?.try_into().ok()?))
}

/// Byte `i` of every vector file is `i mod 251`.
fn content(size: u64) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

async fn seal(key: &FileKey, size: u64) -> Result<Vec<u8>, crypto_core::Error> {
    let mut sealer = ChunkSealer::new(key, size).await?;
    let plain = content(size);
    let mut out = Vec::new();
    // An empty file is one empty chunk.
    let chunks: Vec<&[u8]> = if plain.is_empty() {
        vec![&[]]
    } else {
        plain.chunks(CHUNK_LEN).collect()
    };
    for chunk in chunks {
        out.extend(sealer.seal_chunk(chunk).await?);
    }
    Ok(out)
}

/// Opens `data` as the page's download does: cut at each chunk's sealed length, the rest
/// must be nothing.
async fn open(key: &FileKey, size: u64, data: &[u8]) -> Result<Vec<u8>, crypto_core::Error> {
    let mut opener = ChunkOpener::starting_at(key, size, 0).await?;
    let mut rest = data;
    let mut out = Vec::new();
    while let Some(place) = opener.next_place() {
        let (chunk, after) = rest.split_at(place.sealed_len().min(rest.len()));
        out.extend_from_slice(&opener.open_chunk(chunk).await?);
        rest = after;
    }
    if !rest.is_empty() {
        return Err(crypto_core::Error::FileData(
            "the file data continues past the file's end",
        ));
    }
    opener.finish()?;
    Ok(out)
}

/// Checks every stream (seals to its hash and tags, opens back: three checks each) and
/// every tampered stream (fails with its error: one check each). Returns a JSON report.
#[wasm_bindgen]
pub async fn check_file_streams(json: String) -> Result<String, JsValue> {
    let vectors: Vectors =
        serde_json::from_str(&json).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let mut report = Report::new();
    let mut sealed_by_name = std::collections::HashMap::new();
    for s in &vectors.streams {
        let Some(key) = key_of(&s.file_key_hex) else {
            report.check(false, || format!("{}: unreadable key", s.name));
            continue;
        };
        let sealed = match seal(&key, s.size).await {
            Ok(sealed) => sealed,
            Err(e) => {
                report.check(false, || format!("{}: seal failed: {e}", s.name));
                continue;
            }
        };
        report.check(hex(&Sha256::digest(&sealed)) == s.sealed_sha256, || {
            format!("{}: sealed bytes differ", s.name)
        });
        let tags: Vec<String> = sealed
            .chunks(SEALED_CHUNK_LEN)
            .map(|c| hex(&c[c.len().saturating_sub(16)..]))
            .collect();
        report.check(tags == s.chunk_tags_hex, || {
            format!("{}: tags differ", s.name)
        });
        let opened = open(&key, s.size, &sealed).await;
        report.check(opened.as_ref().ok() == Some(&content(s.size)), || {
            format!("{}: open gave {:?}", s.name, opened.as_ref().err())
        });
        sealed_by_name.insert(s.name.clone(), (sealed, key));
    }
    let chunk = |name: &str, i: usize| {
        sealed_by_name
            .get(name)
            .and_then(|(sealed, _)| sealed.chunks(SEALED_CHUNK_LEN).nth(i))
            .map(<[u8]>::to_vec)
    };
    for case in &vectors.invalid_streams {
        let mut data = Vec::new();
        for r in &case.chunks {
            let piece = match r {
                ChunkRef::Here(i) => chunk(&case.from, *i),
                ChunkRef::Elsewhere(name, i) => chunk(name, *i),
            };
            data.extend(piece.unwrap_or_default());
        }
        if let Some(cut) = case.cut_to {
            data.truncate(cut);
        }
        if let Some(byte) = case.flip_byte.and_then(|i| data.get_mut(i)) {
            *byte ^= 1;
        }
        data.extend(
            case.append_hex
                .as_deref()
                .and_then(unhex)
                .unwrap_or_default(),
        );
        let expected = match case.expect_error.as_str() {
            "file_data" => Some(ErrorKind::FileData),
            "authentication" => Some(ErrorKind::Authentication),
            _ => None,
        };
        let kind = match sealed_by_name.get(&case.from) {
            Some((_, key)) => open(key, case.size, &data).await.err().map(|e| e.kind()),
            None => None,
        };
        report.check(expected.is_some() && kind == expected, || {
            format!(
                "{}: expected {}, got {kind:?}",
                case.name, case.expect_error
            )
        });
    }
    Ok(report.to_json())
}

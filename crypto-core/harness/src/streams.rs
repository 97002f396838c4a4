//! The file-data vectors (`fixtures/vectors/file-streams.json`) through
//! `crypto_core::bulk::stream`: WebCrypto in a secure page, the pure-Rust cipher elsewhere.

use crypto_core::ErrorKind;
use crypto_core::bulk::stream::{ChunkOpener, ChunkSealer};
use crypto_core::stream::{FileKey, SEALED_CHUNK_LEN};
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

/// Seals a whole vector file in one batch (`seal_chunks`, as the page does per 4 MiB).
async fn seal(key: &FileKey, size: u64) -> Result<Vec<u8>, crypto_core::Error> {
    let mut sealer = ChunkSealer::new(key, size).await?;
    sealer.seal_chunks(&content(size)).await
}

/// Opens `data` in one batch (`open_chunks`): its length must be whole chunks of the file,
/// and the file must be complete.
async fn open(key: &FileKey, size: u64, data: &[u8]) -> Result<Vec<u8>, crypto_core::Error> {
    let mut opener = ChunkOpener::starting_at(key, size, 0).await?;
    let plain = opener.open_chunks(data).await?;
    opener.finish()?;
    Ok(plain.to_vec())
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

/// Seals `size` bytes as one file, `batch` chunks per call (`seal_chunks`), for the files
/// benchmark: returns the sealed length. Time it from JavaScript.
#[wasm_bindgen]
pub async fn bench_file_seal(size: usize, batch: usize) -> Result<usize, JsValue> {
    let err = |e: crypto_core::Error| JsValue::from_str(&e.to_string());
    let key = FileKey::from_bytes([7; 32]);
    let data = vec![1u8; size];
    let mut sealer = ChunkSealer::new(&key, size as u64).await.map_err(err)?;
    let mut sealed = 0;
    for piece in data.chunks(batch.max(1) * crypto_core::stream::CHUNK_LEN) {
        sealed += sealer.seal_chunks(piece).await.map_err(err)?.len();
    }
    Ok(sealed)
}

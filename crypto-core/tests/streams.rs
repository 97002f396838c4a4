//! The file-data vectors (`fixtures/vectors/file-streams.json`, made by
//! `fixtures/streams.py` with Python's `cryptography`): every stream seals to exactly its
//! bytes and opens back, every tampered stream fails with its named error, and the files
//! secret opens to its manifest.

#![allow(clippy::unwrap_used)] // tests: a panic is a failure report

use crypto_core::stream::{FileKey, StreamIoError, open_stream, seal_stream};
use crypto_core::{Envelope, ErrorKind, MasterKey, SecretId, open, stream_offsets};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
struct Vectors {
    chunk_len: usize,
    streams: Vec<Stream>,
    invalid_streams: Vec<Invalid>,
    manifests: Vec<Manifest>,
}

#[derive(Deserialize)]
struct Stream {
    name: String,
    file_key_hex: String,
    size: u64,
    sealed_len: u64,
    sealed_sha256: String,
    chunk_tags_hex: Vec<String>,
    sealed_hex: Option<String>,
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

#[derive(Deserialize)]
struct Manifest {
    name: String,
    secret_id: String,
    master_key_b64url: String,
    payload_b64: String,
    expect: ManifestExpect,
}

#[derive(Deserialize)]
struct ManifestExpect {
    text: String,
    files: Vec<FileExpect>,
    stream_offsets: Vec<u64>,
}

#[derive(Deserialize)]
struct FileExpect {
    name: String,
    mime: String,
    size: u64,
    file_key_hex: String,
}

fn vectors() -> Vectors {
    let vectors: Vectors =
        serde_json::from_str(&testkit::fixtures::file_stream_vectors_json()).unwrap();
    assert!(vectors.streams.len() >= 7 && vectors.invalid_streams.len() >= 10);
    assert!(!vectors.manifests.is_empty());
    assert_eq!(vectors.chunk_len, crypto_core::stream::CHUNK_LEN);
    vectors
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn file_key(hex: &str) -> FileKey {
    FileKey::from_bytes(unhex(hex).try_into().unwrap())
}

fn content(size: u64) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

fn sealed(stream: &Stream) -> Vec<u8> {
    let mut out = Vec::new();
    let plain = content(stream.size);
    seal_stream(
        &file_key(&stream.file_key_hex),
        stream.size,
        plain.as_slice(),
        &mut out,
    )
    .unwrap();
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn streams_seal_to_the_vectors_and_open_back() {
    for stream in vectors().streams {
        let out = sealed(&stream);
        assert_eq!(out.len() as u64, stream.sealed_len, "{}", stream.name);
        assert_eq!(
            hex(&Sha256::digest(&out)),
            stream.sealed_sha256,
            "{}",
            stream.name
        );
        let tags: Vec<_> = out
            .chunks(crypto_core::stream::SEALED_CHUNK_LEN)
            .map(|c| hex(&c[c.len() - 16..]))
            .collect();
        assert_eq!(tags, stream.chunk_tags_hex, "{}", stream.name);
        if let Some(expected) = &stream.sealed_hex {
            assert_eq!(&hex(&out), expected, "{}", stream.name);
        }
        let mut opened = Vec::new();
        open_stream(
            &file_key(&stream.file_key_hex),
            stream.size,
            out.as_slice(),
            &mut opened,
        )
        .unwrap();
        assert_eq!(opened, content(stream.size), "{}", stream.name);
    }
}

#[test]
fn tampered_streams_fail_with_their_error() {
    let vectors = vectors();
    let by_name = |name: &str| vectors.streams.iter().find(|s| s.name == name).unwrap();
    let chunks_of = |name: &str| -> Vec<Vec<u8>> {
        sealed(by_name(name))
            .chunks(crypto_core::stream::SEALED_CHUNK_LEN)
            .map(<[u8]>::to_vec)
            .collect()
    };
    for case in &vectors.invalid_streams {
        let base = chunks_of(&case.from);
        let mut data: Vec<u8> = Vec::new();
        for chunk in &case.chunks {
            match chunk {
                ChunkRef::Here(i) => data.extend_from_slice(&base[*i]),
                ChunkRef::Elsewhere(name, i) => data.extend_from_slice(&chunks_of(name)[*i]),
            }
        }
        if let Some(cut) = case.cut_to {
            data.truncate(cut);
        }
        if let Some(byte) = case.flip_byte {
            data[byte] ^= 1;
        }
        if let Some(extra) = &case.append_hex {
            data.extend_from_slice(&unhex(extra));
        }
        let key = file_key(&by_name(&case.from).file_key_hex);
        let result = open_stream(&key, case.size, data.as_slice(), &mut Vec::new());
        let kind = match result {
            Err(StreamIoError::Format(e)) => e.kind(),
            other => panic!("{}: expected an error, got {other:?}", case.name),
        };
        let expected = match case.expect_error.as_str() {
            "file_data" => ErrorKind::FileData,
            "authentication" => ErrorKind::Authentication,
            other => panic!("{}: unknown error kind {other}", case.name),
        };
        assert_eq!(kind, expected, "{}", case.name);
    }
}

#[test]
fn a_files_secret_opens_to_its_manifest() {
    for case in vectors().manifests {
        let key = MasterKey::from_base64url(&case.master_key_b64url).unwrap();
        let id = SecretId::parse(&case.secret_id).unwrap();
        let payload = crypto_core::base64::decode(&case.payload_b64).unwrap();
        let envelope = Envelope::unpack(&open(&key, &id, &payload).unwrap()).unwrap();
        assert_eq!(envelope.text(), case.expect.text, "{}", case.name);
        let files: Vec<_> = envelope
            .files()
            .iter()
            .map(|f| (f.name(), f.mime(), f.size(), hex(f.key().expose_secret())))
            .collect();
        let expected: Vec<_> = case
            .expect
            .files
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.mime.as_str(),
                    f.size,
                    f.file_key_hex.clone(),
                )
            })
            .collect();
        assert_eq!(files, expected, "{}", case.name);
        assert_eq!(stream_offsets(envelope.files()), case.expect.stream_offsets);
    }
}

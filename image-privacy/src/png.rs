//! PNG: copies the chunks that draw the picture (including colour, transparency and APNG
//! animation) and drops text, EXIF, time stamps and unknown ancillary chunks. Every chunk's
//! checksum is verified.

use crate::read::u32_be;
use crate::{Findings, ImageError, Rewritten, exif, keep_text, xmp};

/// Ancillary chunks that affect how the picture looks.
const KEEP: [&[u8; 4]; 15] = [
    b"PLTE", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI",
    b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT",
];

/// The size in the IHDR, which must be the first chunk (APNG frames must fit inside it).
pub(crate) fn dimensions(b: &[u8]) -> Result<(u32, u32), ImageError> {
    let len = u32_be(b, 8).ok_or(ImageError::Truncated)?;
    if b.get(12..16).ok_or(ImageError::Truncated)? != b"IHDR" || len != 13 {
        return Err(ImageError::Damaged);
    }
    ihdr_size(b.get(16..29).ok_or(ImageError::Truncated)?)
}

fn ihdr_size(data: &[u8]) -> Result<(u32, u32), ImageError> {
    let width = u32_be(data, 0).ok_or(ImageError::Damaged)?;
    let height = u32_be(data, 4).ok_or(ImageError::Damaged)?;
    Ok((width, height))
}

pub(crate) fn rewrite(b: &[u8], findings: &mut Findings) -> Result<Rewritten, ImageError> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..8]);
    let mut i = 8;
    let mut dimensions = None;
    let mut frames = 1;
    loop {
        let len = usize::try_from(u32_be(b, i).ok_or(ImageError::Truncated)?)
            .map_err(|_| ImageError::Damaged)?;
        if len > 0x7FFF_FFFF {
            return Err(ImageError::Damaged);
        }
        let end = i.checked_add(12 + len).ok_or(ImageError::Damaged)?;
        let chunk = b.get(i..end).ok_or(ImageError::Truncated)?;
        let kind: [u8; 4] = chunk[4..8].try_into().map_err(|_| ImageError::Damaged)?;
        let data = &chunk[8..8 + len];
        if crc32(&chunk[4..8 + len]) != u32_be(chunk, 8 + len).ok_or(ImageError::Damaged)? {
            return Err(ImageError::Damaged);
        }
        if dimensions.is_none() && &kind != b"IHDR" {
            return Err(ImageError::Damaged);
        }
        i = end;
        let keep = match &kind {
            b"IHDR" => {
                dimensions = Some(ihdr_size(data)?);
                true
            }
            b"IDAT" | b"IEND" => true,
            b"acTL" => {
                frames = u32_be(data, 0).unwrap_or(1).max(1);
                true
            }
            b"tEXt" | b"zTXt" | b"iTXt" => {
                text_chunk(&kind, data, findings);
                false
            }
            b"eXIf" => {
                exif::scan(data, findings);
                findings.other = true;
                false
            }
            b"tIME" => {
                findings.has_dates = true;
                false
            }
            k if KEEP.contains(&k) => true,
            // An unknown critical chunk is needed to decode; any other ancillary one is not.
            k if k[0].is_ascii_uppercase() => true,
            _ => {
                findings.other = true;
                false
            }
        };
        if keep {
            out.extend_from_slice(chunk);
        }
        if &kind == b"IEND" {
            break;
        }
    }
    if i < b.len() {
        findings.other = true;
    }
    let (width, height) = dimensions.ok_or(ImageError::Damaged)?;
    Ok(Rewritten {
        bytes: out,
        width,
        height,
        frames,
        orientation: 1,
    })
}

fn text_chunk(kind: &[u8; 4], data: &[u8], findings: &mut Findings) {
    let nul = data.iter().position(|&c| c == 0).unwrap_or(data.len());
    let keyword = String::from_utf8_lossy(&data[..nul]).to_ascii_lowercase();
    let rest = data.get(nul + 1..).unwrap_or_default();
    // tEXt: text follows; iTXt: flag, method, language\0, translated keyword\0, text.
    let value = match kind {
        b"tEXt" => Some(rest),
        b"iTXt" if rest.first() == Some(&0) => rest.get(2..).and_then(|r| {
            let lang = r.iter().position(|&c| c == 0)?;
            let r = r.get(lang + 1..)?;
            let translated = r.iter().position(|&c| c == 0)?;
            r.get(translated + 1..)
        }),
        _ => None,
    };
    let text = value
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default();
    match keyword.as_str() {
        "xml:com.adobe.xmp" => xmp::scan(text.as_bytes(), findings),
        "author" | "artist" | "copyright" | "creator" => keep_text(&mut findings.author, &text),
        "software" => keep_text(&mut findings.software, &text),
        "creation time" | "date" => findings.has_dates = true,
        "raw profile type exif" | "raw profile type app1" => findings.other = true,
        _ => findings.text = true,
    }
}

/// CRC-32 (IEEE), as PNG uses.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = [0u32; 256];
        for (n, slot) in table.iter_mut().enumerate() {
            let mut c = n as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        table
    });
    !data.iter().fold(!0u32, |c, &byte| {
        table[usize::from((c as u8) ^ byte)] ^ (c >> 8)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
    }
}

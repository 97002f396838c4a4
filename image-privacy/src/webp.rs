//! WebP: copies image, alpha, colour profile and animation chunks; drops EXIF, XMP and
//! unknown chunks, and clears their flags in the extended header.

use crate::read::{u16_le, u24_le, u32_le};
use crate::{Findings, ImageError, Rewritten, exif, xmp};

pub(crate) fn rewrite(b: &[u8], findings: &mut Findings) -> Result<Rewritten, ImageError> {
    let riff_size = usize::try_from(u32_le(b, 4).ok_or(ImageError::Truncated)?)
        .map_err(|_| ImageError::Damaged)?;
    let end = riff_size.checked_add(8).ok_or(ImageError::Damaged)?;
    if end > b.len() {
        return Err(ImageError::Truncated);
    }
    if end < b.len() {
        findings.other = true;
    }
    let mut chunks: Vec<u8> = Vec::with_capacity(end);
    let mut i = 12;
    let mut dimensions = None;
    let mut frames = 0;
    let mut has_image = false;
    while i < end {
        let kind: [u8; 4] = b
            .get(i..i + 4)
            .ok_or(ImageError::Truncated)?
            .try_into()
            .map_err(|_| ImageError::Damaged)?;
        let size = usize::try_from(u32_le(b, i + 4).ok_or(ImageError::Truncated)?)
            .map_err(|_| ImageError::Damaged)?;
        let data_end = (i + 8).checked_add(size).ok_or(ImageError::Damaged)?;
        let data = b
            .get(i + 8..data_end)
            .filter(|_| data_end <= end)
            .ok_or(ImageError::Truncated)?;
        let padded_end = (data_end + (size & 1)).min(end);
        let keep = match &kind {
            b"VP8X" => {
                let width = u24_le(data, 4).ok_or(ImageError::Damaged)? + 1;
                let height = u24_le(data, 7).ok_or(ImageError::Damaged)? + 1;
                dimensions = Some((width, height));
                true
            }
            b"VP8 " => {
                has_image = true;
                if data.get(3..6) != Some(&[0x9D, 0x01, 0x2A]) {
                    return Err(ImageError::Damaged);
                }
                let width = u32::from(u16_le(data, 6).ok_or(ImageError::Damaged)? & 0x3FFF);
                let height = u32::from(u16_le(data, 8).ok_or(ImageError::Damaged)? & 0x3FFF);
                dimensions.get_or_insert((width, height));
                true
            }
            b"VP8L" => {
                has_image = true;
                if data.first() != Some(&0x2F) {
                    return Err(ImageError::Damaged);
                }
                let bits = u32_le(data, 1).ok_or(ImageError::Damaged)?;
                dimensions.get_or_insert(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1));
                true
            }
            b"ANMF" => {
                has_image = true;
                frames += 1;
                true
            }
            b"ICCP" | b"ANIM" | b"ALPH" => true,
            b"EXIF" => {
                exif::scan(data, findings);
                findings.other = true;
                false
            }
            b"XMP " => {
                xmp::scan(data, findings);
                false
            }
            _ => {
                findings.other = true;
                false
            }
        };
        if keep {
            let start = chunks.len();
            chunks.extend_from_slice(&b[i..data_end]);
            if size & 1 == 1 {
                chunks.push(0);
            }
            if &kind == b"VP8X" {
                // Clear the EXIF (0x08) and XMP (0x04) flags: those chunks are gone.
                if let Some(flags) = chunks.get_mut(start + 8) {
                    *flags &= !0x0C;
                }
            }
        }
        i = padded_end;
    }
    let (width, height) = dimensions.ok_or(ImageError::Damaged)?;
    if !has_image {
        return Err(ImageError::Damaged);
    }
    let riff = u32::try_from(chunks.len() + 4).map_err(|_| ImageError::Damaged)?;
    let mut out = Vec::with_capacity(chunks.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&chunks);
    Ok(Rewritten {
        bytes: out,
        width,
        height,
        frames: frames.max(1),
        orientation: 1,
    })
}

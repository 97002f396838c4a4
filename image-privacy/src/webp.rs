//! WebP: copies image, alpha, colour profile and animation chunks; drops EXIF, XMP and
//! unknown chunks, and clears their flags in the extended header.

use crate::read::{u16_le, u24_le, u32_le};
use crate::{Findings, ImageError, Rewritten, exif, xmp};

/// The largest size any header declares: the extended header's canvas, each bitstream's
/// own size, and each animation frame's extent with its offset (nested bitstreams too).
/// Decoders refuse files where these disagree; the largest covers any that do not.
pub(crate) fn dimensions(b: &[u8]) -> Result<(u32, u32), ImageError> {
    let riff = b.get(..riff_end(b)?).ok_or(ImageError::Truncated)?;
    let mut size = None;
    for chunk in chunks(riff, 12) {
        let (kind, data) = chunk?;
        match kind {
            b"VP8X" => grow(&mut size, canvas_size(data)?),
            b"VP8 " => grow(&mut size, vp8_size(data)?),
            b"VP8L" => grow(&mut size, vp8l_size(data)?),
            b"ANMF" => {
                // Frame header: x / 2, y / 2, width − 1, height − 1 (3 bytes each), duration,
                // flags; then the frame's own chunks.
                let at = |offset| u24_le(data, offset).ok_or(ImageError::Damaged);
                grow(
                    &mut size,
                    (2 * at(0)? + at(6)? + 1, 2 * at(3)? + at(9)? + 1),
                );
                for inner in chunks(data.get(16..).ok_or(ImageError::Damaged)?, 0) {
                    match inner? {
                        (b"VP8 ", data) => grow(&mut size, vp8_size(data)?),
                        (b"VP8L", data) => grow(&mut size, vp8l_size(data)?),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    size.ok_or(ImageError::Damaged)
}

fn grow(size: &mut Option<(u32, u32)>, (width, height): (u32, u32)) {
    let (w, h) = size.get_or_insert((0, 0));
    *w = (*w).max(width);
    *h = (*h).max(height);
}

/// The chunks of `s` from `i` on, as (four-character code, data); padding is skipped.
fn chunks(s: &[u8], mut i: usize) -> impl Iterator<Item = Result<(&[u8], &[u8]), ImageError>> {
    std::iter::from_fn(move || {
        if i >= s.len() {
            return None;
        }
        let next = chunk_at(s, i);
        // After an error, stop.
        i = next.as_ref().map_or(s.len(), |&(_, _, after)| after);
        Some(next.map(|(kind, data, _)| (kind, data)))
    })
}

/// The chunk at `i`: its code, its data, and where the next one starts.
fn chunk_at(s: &[u8], i: usize) -> Result<(&[u8], &[u8], usize), ImageError> {
    let kind = s.get(i..i + 4).ok_or(ImageError::Truncated)?;
    let size = usize::try_from(u32_le(s, i + 4).ok_or(ImageError::Truncated)?)
        .map_err(|_| ImageError::Damaged)?;
    let data_end = (i + 8).checked_add(size).ok_or(ImageError::Damaged)?;
    let data = s.get(i + 8..data_end).ok_or(ImageError::Truncated)?;
    Ok((kind, data, data_end + (size & 1)))
}

/// Where the RIFF container ends, as its header says.
fn riff_end(b: &[u8]) -> Result<usize, ImageError> {
    let riff_size = usize::try_from(u32_le(b, 4).ok_or(ImageError::Truncated)?)
        .map_err(|_| ImageError::Damaged)?;
    let end = riff_size.checked_add(8).ok_or(ImageError::Damaged)?;
    if end > b.len() {
        return Err(ImageError::Truncated);
    }
    Ok(end)
}

/// The extended header's canvas (24-bit width − 1 and height − 1 after the flags).
fn canvas_size(data: &[u8]) -> Result<(u32, u32), ImageError> {
    let width = u24_le(data, 4).ok_or(ImageError::Damaged)? + 1;
    let height = u24_le(data, 7).ok_or(ImageError::Damaged)? + 1;
    Ok((width, height))
}

/// A lossy bitstream's size (14 bits each, after the start code; the scale bits are not
/// applied by decoders).
fn vp8_size(data: &[u8]) -> Result<(u32, u32), ImageError> {
    if data.get(3..6) != Some(&[0x9D, 0x01, 0x2A]) {
        return Err(ImageError::Damaged);
    }
    let width = u32::from(u16_le(data, 6).ok_or(ImageError::Damaged)? & 0x3FFF);
    let height = u32::from(u16_le(data, 8).ok_or(ImageError::Damaged)? & 0x3FFF);
    Ok((width, height))
}

/// A lossless bitstream's size (14 bits each of width − 1 and height − 1).
fn vp8l_size(data: &[u8]) -> Result<(u32, u32), ImageError> {
    if data.first() != Some(&0x2F) {
        return Err(ImageError::Damaged);
    }
    let bits = u32_le(data, 1).ok_or(ImageError::Damaged)?;
    Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
}

pub(crate) fn rewrite(b: &[u8], findings: &mut Findings) -> Result<Rewritten, ImageError> {
    let end = riff_end(b)?;
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
                dimensions = Some(canvas_size(data)?);
                true
            }
            b"VP8 " => {
                has_image = true;
                dimensions.get_or_insert(vp8_size(data)?);
                true
            }
            b"VP8L" => {
                has_image = true;
                dimensions.get_or_insert(vp8l_size(data)?);
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

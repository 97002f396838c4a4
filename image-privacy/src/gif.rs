//! GIF: copies the header, colour tables, frames, graphic controls and the loop extension;
//! drops comments and other application extensions (XMP, vendor data).

use crate::read::u16_le;
use crate::{Findings, ImageError, Rewritten, xmp};

/// The logical screen, grown to cover every frame with its offset: some decoders enlarge
/// the canvas to fit a frame that sticks out. The whole file is walked (no pixel is
/// decoded), so a GIF without its trailer is refused.
pub(crate) fn dimensions(b: &[u8]) -> Result<(u32, u32), ImageError> {
    let field = |at: usize| u16_le(b, at).map(u32::from).ok_or(ImageError::Truncated);
    let (mut width, mut height) = (field(6)?, field(8)?);
    let packed = *b.get(10).ok_or(ImageError::Truncated)?;
    let mut i = 13 + color_table(packed);
    loop {
        match *b.get(i).ok_or(ImageError::Truncated)? {
            0x3B => return Ok((width, height)),
            0x2C => {
                // Descriptor: left, top, width, height (2 bytes each), packed field.
                width = width.max(field(i + 1)? + field(i + 5)?);
                height = height.max(field(i + 3)? + field(i + 7)?);
                let packed = *b.get(i + 9).ok_or(ImageError::Truncated)?;
                i = sub_blocks_end(b, i + 10 + color_table(packed) + 1)?;
            }
            0x21 => i = sub_blocks_end(b, i + 2)?,
            _ => return Err(ImageError::Damaged),
        }
    }
}

pub(crate) fn rewrite(b: &[u8], findings: &mut Findings) -> Result<Rewritten, ImageError> {
    let width = u16_le(b, 6).ok_or(ImageError::Truncated)?;
    let height = u16_le(b, 8).ok_or(ImageError::Truncated)?;
    let packed = *b.get(10).ok_or(ImageError::Truncated)?;
    let mut i = 13 + color_table(packed);
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(b.get(..i).ok_or(ImageError::Truncated)?);
    let mut frames = 0;
    loop {
        match *b.get(i).ok_or(ImageError::Truncated)? {
            0x3B => {
                out.push(0x3B);
                i += 1;
                break;
            }
            0x2C => {
                let packed = *b.get(i + 9).ok_or(ImageError::Truncated)?;
                // Descriptor (10), local colour table, LZW code size (1), data sub-blocks.
                let data = i + 10 + color_table(packed) + 1;
                let end = sub_blocks_end(b, data)?;
                out.extend_from_slice(&b[i..end]);
                frames += 1;
                i = end;
            }
            0x21 => {
                let label = *b.get(i + 1).ok_or(ImageError::Truncated)?;
                let end = sub_blocks_end(b, i + 2)?;
                let block = &b[i..end];
                let keep = match label {
                    0xF9 | 0x01 => true,
                    0xFE => {
                        findings.text = true;
                        false
                    }
                    0xFF => {
                        let id = block.get(3..14).unwrap_or_default();
                        if id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0" {
                            true
                        } else {
                            if id == b"XMP DataXMP" {
                                xmp::scan(block, findings);
                            }
                            findings.other = true;
                            false
                        }
                    }
                    _ => {
                        findings.other = true;
                        false
                    }
                };
                if keep {
                    out.extend_from_slice(block);
                }
                i = end;
            }
            _ => return Err(ImageError::Damaged),
        }
    }
    if i < b.len() {
        findings.other = true;
    }
    if frames == 0 {
        return Err(ImageError::Damaged);
    }
    Ok(Rewritten {
        bytes: out,
        width: u32::from(width),
        height: u32::from(height),
        frames,
        orientation: 1,
    })
}

/// Size of a colour table announced by a packed field (0 when absent).
fn color_table(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 7) + 1)
    }
}

/// The index after a run of data sub-blocks ending with a zero-length block.
fn sub_blocks_end(b: &[u8], mut i: usize) -> Result<usize, ImageError> {
    loop {
        let size = usize::from(*b.get(i).ok_or(ImageError::Truncated)?);
        i += 1;
        if size == 0 {
            return Ok(i);
        }
        i += size;
        if i > b.len() {
            return Err(ImageError::Truncated);
        }
    }
}

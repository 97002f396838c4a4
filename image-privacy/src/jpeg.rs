//! JPEG: copies the segments that make up the picture and drops the rest.
//!
//! Kept: JFIF (APP0), ICC profiles (APP2), Adobe colour transform (APP14), and every
//! non-APP marker (tables, frames, scans). Dropped: EXIF, XMP (APP1), Photoshop/IPTC
//! (APP13), other APP segments (vendor data, multi-picture and depth images), comments,
//! and anything after the end-of-image marker. A non-default EXIF orientation is written
//! back as a one-tag EXIF block in place of the original.

use crate::read::u16_be;
use crate::{Findings, ImageError, Rewritten, exif, iptc, xmp};

const EXIF: &[u8] = b"Exif\0\0";
const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXTENSION: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";

/// The size in the first frame header (SOFn), found segment by segment so that an EXIF
/// thumbnail's own header is passed over; decoders refuse a second frame header.
pub(crate) fn dimensions(b: &[u8]) -> Result<(u32, u32), ImageError> {
    let mut i = 2;
    loop {
        let marker = marker_at(b, &mut i)?;
        match marker {
            0xD0..=0xD7 | 0x01 => {}
            // Scan data, the end or a second start before any frame header.
            0x00 | 0xD8 | 0xD9 | 0xDA => return Err(ImageError::Damaged),
            _ => {
                let len = usize::from(u16_be(b, i).ok_or(ImageError::Truncated)?);
                if len < 2 {
                    return Err(ImageError::Damaged);
                }
                let segment = b.get(i..i + len).ok_or(ImageError::Truncated)?;
                if is_frame_header(marker) {
                    return frame_size(&segment[2..]);
                }
                i += len;
            }
        }
    }
}

/// The marker at `i` (after any number of 0xFF fill bytes); `i` moves past it.
fn marker_at(b: &[u8], i: &mut usize) -> Result<u8, ImageError> {
    if *b.get(*i).ok_or(ImageError::Truncated)? != 0xFF {
        return Err(ImageError::Damaged);
    }
    while b.get(*i + 1) == Some(&0xFF) {
        *i += 1;
    }
    let marker = *b.get(*i + 1).ok_or(ImageError::Truncated)?;
    *i += 2;
    Ok(marker)
}

/// SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
fn is_frame_header(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Width and height from a frame header's payload (precision, height, width, …).
fn frame_size(payload: &[u8]) -> Result<(u32, u32), ImageError> {
    let height = u16_be(payload, 1).ok_or(ImageError::Damaged)?;
    let width = u16_be(payload, 3).ok_or(ImageError::Damaged)?;
    Ok((u32::from(width), u32::from(height)))
}

pub(crate) fn rewrite(b: &[u8], findings: &mut Findings) -> Result<Rewritten, ImageError> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut i = 2;
    let mut dimensions = None;
    let mut orientation = 1;
    let mut scans = 0;
    loop {
        let marker = marker_at(b, &mut i)?;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                break;
            }
            0xD0..=0xD7 | 0x01 => out.extend_from_slice(&[0xFF, marker]),
            0x00 | 0xD8 => return Err(ImageError::Damaged),
            _ => {
                let len = usize::from(u16_be(b, i).ok_or(ImageError::Truncated)?);
                if len < 2 {
                    return Err(ImageError::Damaged);
                }
                let segment = b.get(i..i + len).ok_or(ImageError::Truncated)?;
                let payload = &segment[2..];
                let keep = match marker {
                    0xE0 => payload.starts_with(b"JFIF\0"),
                    0xE1 => {
                        if let Some(tiff) = payload.strip_prefix(EXIF) {
                            orientation = exif::scan(tiff, findings);
                            // Anything beyond an orientation (exposure, lens…) is still a
                            // fingerprint of the device.
                            findings.other |= tiff.len() > exif::orientation_only(1).len();
                            if orientation != 1 {
                                write_segment(
                                    &mut out,
                                    0xE1,
                                    &[EXIF, &exif::orientation_only(orientation)].concat(),
                                );
                            }
                        } else if let Some(packet) = payload.strip_prefix(XMP) {
                            xmp::scan(packet, findings);
                        } else if let Some(part) = payload.strip_prefix(XMP_EXTENSION) {
                            xmp::scan(part, findings);
                        } else {
                            findings.other = true;
                        }
                        false
                    }
                    0xE2 => {
                        let icc = payload.starts_with(b"ICC_PROFILE\0");
                        if !icc {
                            // Multi-picture (MPF) and FlashPix data: extra images, previews.
                            findings.other = true;
                            findings.thumbnail |= payload.starts_with(b"MPF\0");
                        }
                        icc
                    }
                    0xED => {
                        iptc::scan(payload, findings);
                        false
                    }
                    0xEE => payload.starts_with(b"Adobe"),
                    0xE3..=0xEF => {
                        findings.other = true;
                        false
                    }
                    0xFE => {
                        findings.text = true;
                        false
                    }
                    _ => true,
                };
                if is_frame_header(marker) {
                    dimensions.get_or_insert(frame_size(payload)?);
                }
                if keep {
                    out.extend_from_slice(&[0xFF, marker]);
                    out.extend_from_slice(segment);
                }
                i += len;
                if marker == 0xDA {
                    scans += 1;
                    let end = entropy_end(b, i)?;
                    out.extend_from_slice(&b[i..end]);
                    i = end;
                }
            }
        }
    }
    if i < b.len() {
        // Data after the end of the image (appended previews, depth maps, anything).
        findings.other = true;
    }
    let (width, height) = dimensions.ok_or(ImageError::Damaged)?;
    if scans == 0 {
        return Err(ImageError::Damaged);
    }
    Ok(Rewritten {
        bytes: out,
        width,
        height,
        frames: 1,
        orientation,
    })
}

fn write_segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    if let Ok(len) = u16::try_from(payload.len() + 2) {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(payload);
    }
}

/// The end of entropy-coded data: the next marker that is not a stuffed byte (`FF 00`), a
/// restart marker or fill.
fn entropy_end(b: &[u8], from: usize) -> Result<usize, ImageError> {
    let mut i = from;
    loop {
        let at = b
            .get(i..)
            .and_then(|rest| rest.iter().position(|&x| x == 0xFF));
        let j = i + at.ok_or(ImageError::Truncated)?;
        match b.get(j + 1) {
            None => return Err(ImageError::Truncated),
            Some(0x00 | 0xD0..=0xD7) => i = j + 2,
            Some(0xFF) => i = j + 1,
            Some(_) => return Ok(j),
        }
    }
}

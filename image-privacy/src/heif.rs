//! HEIF and HEIC (ISO/IEC 23008-12; the iPhone's photos): the Exif and XMP items removed
//! without touching the coded image.
//!
//! A HEIF file is a tree of ISO BMFF boxes. The `meta` box lists the file's items (`iinf`),
//! where their bytes are (`iloc`), how they refer to each other (`iref`) and their properties
//! (`iprp`: size `ispe`, rotation `irot`, mirror `imir`, colour…); the coded pictures are in
//! `mdat` (or `idat` inside `meta`). Identifying metadata are items of their own: `Exif`
//! (a TIFF block) and `mime` items holding XMP.
//!
//! Cleaning rewrites `meta` without those items (their `infe`, `iloc` entry, references and
//! property associations), overwrites their bytes with zeros, and puts a `free` box of the
//! bytes saved right after `meta`, so that every other item keeps its offset and nothing else
//! moves. The orientation stays: it is the `irot`/`imir` properties of the image item, which
//! readers apply, not the Exif tag. Top-level boxes other than the container's own
//! (`ftyp`, `meta`, `mdat`, `free`, `skip`) — vendor `uuid` boxes and the like — become `free`
//! boxes of zeros of the same size.

use crate::read::{u16_be, u32_be};
use crate::{Findings, ImageError, check_dimensions, exif, xmp};

/// The most boxes read in one container, and the most items: far above real photos (an
/// iPhone HEIC has about 50 items), far below what could make cleaning slow.
const MAX_BOXES: usize = 4096;
const MAX_ITEMS: usize = 4096;

/// Brands that say "HEIF image".
const BRANDS: [&[u8; 4]; 6] = [b"heic", b"heix", b"mif1", b"heim", b"heis", b"avif"];

/// A box: its type, and where its header and content are in the buffer.
#[derive(Clone, Copy, Debug)]
struct BoxAt {
    kind: [u8; 4],
    start: usize,
    body: usize,
    end: usize,
}

/// The boxes in `b[from..to]`, in order.
fn boxes(b: &[u8], from: usize, to: usize) -> Result<Vec<BoxAt>, ImageError> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        if out.len() >= MAX_BOXES {
            return Err(ImageError::Damaged);
        }
        let size = u32_be(b, at).ok_or(ImageError::Truncated)?;
        let kind: [u8; 4] = b
            .get(at + 4..at + 8)
            .ok_or(ImageError::Truncated)?
            .try_into()
            .map_err(|_| ImageError::Truncated)?;
        let (body, end) = match size {
            0 => (at + 8, to),
            1 => {
                let high = u32_be(b, at + 8).ok_or(ImageError::Truncated)?;
                let low = u32_be(b, at + 12).ok_or(ImageError::Truncated)?;
                let size = (u64::from(high) << 32) | u64::from(low);
                let size = usize::try_from(size).map_err(|_| ImageError::Damaged)?;
                (at + 16, at.checked_add(size).ok_or(ImageError::Damaged)?)
            }
            n => (
                at + 8,
                at.checked_add(n as usize).ok_or(ImageError::Damaged)?,
            ),
        };
        if end < body || end > to {
            return Err(if end > b.len() {
                ImageError::Truncated
            } else {
                ImageError::Damaged
            });
        }
        out.push(BoxAt {
            kind,
            start: at,
            body,
            end,
        });
        at = end;
    }
    Ok(out)
}

/// Whether the bytes start like a HEIF file (an `ftyp` naming a HEIF brand).
pub(crate) fn is_heif(b: &[u8]) -> bool {
    let Some(size) = u32_be(b, 0) else {
        return false;
    };
    if b.get(4..8) != Some(b"ftyp") || size < 16 || size as usize > b.len() {
        return false;
    }
    b[8..size as usize]
        .chunks_exact(4)
        .enumerate()
        // Major brand, minor version (skipped), compatible brands.
        .filter(|(i, _)| *i != 1)
        .any(|(_, brand)| BRANDS.iter().any(|b| b.as_slice() == brand))
}

/// An item's entry in `iinf`.
struct ItemInfo {
    id: u32,
    kind: [u8; 4],
    /// The `mime` item's content type.
    content_type: Vec<u8>,
    at: BoxAt,
}

/// One item's place in `iloc`: where its entry is, and its extents as absolute ranges.
struct Location {
    id: u32,
    /// The entry's bytes in the `iloc` body.
    entry: std::ops::Range<usize>,
    /// 0: file offsets; 1: offsets in `idat`.
    method: u16,
    extents: Vec<(u64, u64)>,
}

/// The parsed `meta` of a file.
struct Meta {
    at: BoxAt,
    children: Vec<BoxAt>,
    items: Vec<ItemInfo>,
    /// `iinf`'s version, and where its entry count is.
    iinf: BoxAt,
    locations: Vec<Location>,
    iloc: BoxAt,
    primary: Option<u32>,
}

fn read_uint(b: &[u8], at: usize, size: usize) -> Result<u64, ImageError> {
    let bytes = b.get(at..at + size).ok_or(ImageError::Truncated)?;
    Ok(bytes.iter().fold(0u64, |n, &x| (n << 8) | u64::from(x)))
}

fn full_box_version(b: &[u8], at: &BoxAt) -> Result<u8, ImageError> {
    b.get(at.body).copied().ok_or(ImageError::Truncated)
}

fn parse_iinf(b: &[u8], iinf: &BoxAt) -> Result<Vec<ItemInfo>, ImageError> {
    let version = full_box_version(b, iinf)?;
    let first = if version == 0 {
        iinf.body + 6
    } else {
        iinf.body + 8
    };
    let mut items = Vec::new();
    for at in boxes(b, first, iinf.end)? {
        if &at.kind != b"infe" {
            continue;
        }
        if items.len() >= MAX_ITEMS {
            return Err(ImageError::Damaged);
        }
        let version = full_box_version(b, &at)?;
        let (id, rest) = match version {
            2 => (
                u32::from(u16_be(b, at.body + 4).ok_or(ImageError::Truncated)?),
                at.body + 6,
            ),
            3 => (
                u32_be(b, at.body + 4).ok_or(ImageError::Truncated)?,
                at.body + 8,
            ),
            // Versions 0 and 1 name no item type: nothing here can be metadata we know.
            _ => continue,
        };
        let kind: [u8; 4] = b
            .get(rest + 2..rest + 6)
            .ok_or(ImageError::Truncated)?
            .try_into()
            .map_err(|_| ImageError::Truncated)?;
        let name_end = part(b, rest + 6, at.end)?
            .iter()
            .position(|&c| c == 0)
            .map(|p| rest + 6 + p)
            .ok_or(ImageError::Damaged)?;
        let content_type = if &kind == b"mime" {
            let from = name_end + 1;
            let to = part(b, from, at.end)?
                .iter()
                .position(|&c| c == 0)
                .map_or(at.end, |p| from + p);
            part(b, from, to)?.to_vec()
        } else {
            Vec::new()
        };
        items.push(ItemInfo {
            id,
            kind,
            content_type,
            at,
        });
    }
    Ok(items)
}

fn parse_iloc(b: &[u8], iloc: &BoxAt) -> Result<Vec<Location>, ImageError> {
    let version = full_box_version(b, iloc)?;
    if version > 2 {
        return Err(ImageError::Damaged);
    }
    let sizes = u16_be(b, iloc.body + 4).ok_or(ImageError::Truncated)?;
    let offset_size = usize::from(sizes >> 12);
    let length_size = usize::from((sizes >> 8) & 0xF);
    let base_size = usize::from((sizes >> 4) & 0xF);
    let index_size = if version > 0 {
        usize::from(sizes & 0xF)
    } else {
        0
    };
    if [offset_size, length_size, base_size, index_size]
        .iter()
        .any(|s| ![0, 4, 8].contains(s))
    {
        return Err(ImageError::Damaged);
    }
    let (count, mut at) = if version < 2 {
        (
            u32::from(u16_be(b, iloc.body + 6).ok_or(ImageError::Truncated)?),
            iloc.body + 8,
        )
    } else {
        (
            u32_be(b, iloc.body + 6).ok_or(ImageError::Truncated)?,
            iloc.body + 10,
        )
    };
    if count as usize > MAX_ITEMS {
        return Err(ImageError::Damaged);
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let start = at;
        let id = if version < 2 {
            let id = u32::from(u16_be(b, at).ok_or(ImageError::Truncated)?);
            at += 2;
            id
        } else {
            let id = u32_be(b, at).ok_or(ImageError::Truncated)?;
            at += 4;
            id
        };
        let method = if version > 0 {
            let m = u16_be(b, at).ok_or(ImageError::Truncated)? & 0xF;
            at += 2;
            m
        } else {
            0
        };
        at += 2; // data_reference_index
        let base = read_uint(b, at, base_size)?;
        at += base_size;
        let extents = u16_be(b, at).ok_or(ImageError::Truncated)?;
        at += 2;
        let mut ranges = Vec::with_capacity(usize::from(extents));
        for _ in 0..extents {
            at += index_size;
            let offset = read_uint(b, at, offset_size)?;
            at += offset_size;
            let length = read_uint(b, at, length_size)?;
            at += length_size;
            ranges.push((base.checked_add(offset).ok_or(ImageError::Damaged)?, length));
        }
        if at > iloc.end {
            return Err(ImageError::Truncated);
        }
        out.push(Location {
            id,
            entry: start..at,
            method,
            extents: ranges,
        });
    }
    Ok(out)
}

fn parse_meta(b: &[u8], meta: BoxAt) -> Result<Meta, ImageError> {
    // `meta` is a full box: its children follow the version and flags.
    let children = boxes(b, meta.body + 4, meta.end)?;
    let find = |kind: &[u8; 4]| children.iter().find(|c| &c.kind == kind).copied();
    let iinf = find(b"iinf").ok_or(ImageError::Damaged)?;
    let iloc = find(b"iloc").ok_or(ImageError::Damaged)?;
    let primary = match find(b"pitm") {
        Some(pitm) if full_box_version(b, &pitm)? == 0 => u16_be(b, pitm.body + 4).map(u32::from),
        Some(pitm) => u32_be(b, pitm.body + 4),
        None => None,
    };
    let items = parse_iinf(b, &iinf)?;
    let locations = parse_iloc(b, &iloc)?;
    // Each item once: an id named twice would make removing one item remove another.
    if !unique(items.iter().map(|i| i.id)) || !unique(locations.iter().map(|l| l.id)) {
        return Err(ImageError::Damaged);
    }
    Ok(Meta {
        items,
        locations,
        children,
        iinf,
        iloc,
        primary,
        at: meta,
    })
}

/// `b[from..to]`, or [`ImageError::Truncated`] when that is not inside `b` (a box too small
/// for what its type says it holds).
fn part(b: &[u8], from: usize, to: usize) -> Result<&[u8], ImageError> {
    b.get(from..to).ok_or(ImageError::Truncated)
}

/// Whether no id comes twice.
fn unique(ids: impl Iterator<Item = u32>) -> bool {
    let mut seen: Vec<u32> = ids.collect();
    let count = seen.len();
    seen.sort_unstable();
    seen.dedup();
    seen.len() == count
}

/// Whether an item is identifying metadata: Exif, or XMP in a `mime` item.
fn is_metadata(item: &ItemInfo) -> bool {
    let content = String::from_utf8_lossy(&item.content_type).to_ascii_lowercase();
    &item.kind == b"Exif"
        || (&item.kind == b"mime" && (content.contains("xmp") || content.contains("rdf+xml")))
}

/// An item's bytes as absolute ranges of the file (`idat` offsets resolved).
fn ranges(
    location: &Location,
    idat: Option<&BoxAt>,
    len: usize,
) -> Result<Vec<std::ops::Range<usize>>, ImageError> {
    let base = match location.method {
        0 => 0,
        1 => idat.ok_or(ImageError::Damaged)?.body,
        // Items built from other items: not metadata we remove, and not ours to move.
        _ => return Err(ImageError::Damaged),
    };
    location
        .extents
        .iter()
        .map(|&(offset, length)| {
            let from = usize::try_from(offset)
                .ok()
                .and_then(|o| o.checked_add(base))
                .ok_or(ImageError::Damaged)?;
            let to = if length == 0 {
                len
            } else {
                usize::try_from(length)
                    .ok()
                    .and_then(|l| from.checked_add(l))
                    .ok_or(ImageError::Damaged)?
            };
            if from > to || to > len {
                return Err(ImageError::Truncated);
            }
            Ok(from..to)
        })
        .collect()
}

/// A box's header for `size` bytes in all.
fn header(out: &mut Vec<u8>, size: usize, kind: &[u8; 4]) -> Result<(), ImageError> {
    let size = u32::try_from(size).map_err(|_| ImageError::Damaged)?;
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(kind);
    Ok(())
}

/// A `free` box of `size` bytes of zeros (`size` ≥ 8).
fn free(out: &mut Vec<u8>, size: usize) -> Result<(), ImageError> {
    header(out, size, b"free")?;
    out.resize(out.len() + size - 8, 0);
    Ok(())
}

/// `iinf` without the `infe` of `dropped`.
fn rewrite_iinf(b: &[u8], meta: &Meta, dropped: &[u32]) -> Result<Vec<u8>, ImageError> {
    let iinf = &meta.iinf;
    let version = full_box_version(b, iinf)?;
    let first = if version == 0 {
        iinf.body + 6
    } else {
        iinf.body + 8
    };
    let mut body = part(b, iinf.body, iinf.body + 4)?.to_vec();
    let kept: Vec<&[u8]> = boxes(b, first, iinf.end)?
        .iter()
        .filter(|at| {
            !meta
                .items
                .iter()
                .any(|i| i.at.start == at.start && dropped.contains(&i.id))
        })
        .map(|at| &b[at.start..at.end])
        .collect();
    if version == 0 {
        let n = u16::try_from(kept.len()).map_err(|_| ImageError::Damaged)?;
        body.extend_from_slice(&n.to_be_bytes());
    } else {
        let n = u32::try_from(kept.len()).map_err(|_| ImageError::Damaged)?;
        body.extend_from_slice(&n.to_be_bytes());
    }
    for entry in kept {
        body.extend_from_slice(entry);
    }
    boxed(b"iinf", &body)
}

/// `iloc` without the entries of `dropped`.
fn rewrite_iloc(b: &[u8], meta: &Meta, dropped: &[u32]) -> Result<Vec<u8>, ImageError> {
    let iloc = &meta.iloc;
    let version = full_box_version(b, iloc)?;
    let kept: Vec<&Location> = meta
        .locations
        .iter()
        .filter(|l| !dropped.contains(&l.id))
        .collect();
    let mut body = part(b, iloc.body, iloc.body + 6)?.to_vec();
    if version < 2 {
        let n = u16::try_from(kept.len()).map_err(|_| ImageError::Damaged)?;
        body.extend_from_slice(&n.to_be_bytes());
    } else {
        let n = u32::try_from(kept.len()).map_err(|_| ImageError::Damaged)?;
        body.extend_from_slice(&n.to_be_bytes());
    }
    for location in kept {
        body.extend_from_slice(part(b, location.entry.start, location.entry.end)?);
    }
    boxed(b"iloc", &body)
}

/// `iref` without references from `dropped`, and without `dropped` among the targets (a
/// reference left with no target goes too). `None` when no reference is left.
fn rewrite_iref(b: &[u8], iref: &BoxAt, dropped: &[u32]) -> Result<Option<Vec<u8>>, ImageError> {
    let version = full_box_version(b, iref)?;
    let id_size = if version == 0 { 2 } else { 4 };
    let read_id = |at: usize| -> Result<u32, ImageError> { Ok(read_uint(b, at, id_size)? as u32) };
    let mut body = part(b, iref.body, iref.body + 4)?.to_vec();
    let mut any = false;
    for reference in boxes(b, iref.body + 4, iref.end)? {
        let from = read_id(reference.body)?;
        let count = u16_be(b, reference.body + id_size).ok_or(ImageError::Truncated)?;
        let mut targets = Vec::with_capacity(usize::from(count));
        for k in 0..usize::from(count) {
            targets.push(read_id(reference.body + id_size + 2 + k * id_size)?);
        }
        if dropped.contains(&from) {
            continue;
        }
        targets.retain(|t| !dropped.contains(t));
        if targets.is_empty() {
            continue;
        }
        let mut entry = Vec::new();
        entry.extend_from_slice(part(b, reference.body, reference.body + id_size)?);
        let n = u16::try_from(targets.len()).map_err(|_| ImageError::Damaged)?;
        entry.extend_from_slice(&n.to_be_bytes());
        for t in targets {
            entry.extend_from_slice(&t.to_be_bytes()[4 - id_size..]);
        }
        body.extend_from_slice(&boxed(&reference.kind, &entry)?);
        any = true;
    }
    any.then(|| boxed(b"iref", &body)).transpose()
}

/// `iprp` with the property associations of `dropped` removed from `ipma`.
fn rewrite_iprp(b: &[u8], iprp: &BoxAt, dropped: &[u32]) -> Result<Vec<u8>, ImageError> {
    let mut body = Vec::new();
    for child in boxes(b, iprp.body, iprp.end)? {
        if &child.kind != b"ipma" {
            body.extend_from_slice(&b[child.start..child.end]);
            continue;
        }
        let version = full_box_version(b, &child)?;
        let flags = read_uint(b, child.body + 1, 3)?;
        let id_size = if version < 1 { 2 } else { 4 };
        let index_size = if flags & 1 == 1 { 2 } else { 1 };
        let count = u32_be(b, child.body + 4).ok_or(ImageError::Truncated)?;
        if count as usize > MAX_ITEMS {
            return Err(ImageError::Damaged);
        }
        let mut at = child.body + 8;
        let mut entries = Vec::new();
        for _ in 0..count {
            let start = at;
            let id = read_uint(b, at, id_size)? as u32;
            at += id_size;
            let n = usize::from(*b.get(at).ok_or(ImageError::Truncated)?);
            at += 1 + n * index_size;
            if at > child.end {
                return Err(ImageError::Truncated);
            }
            if !dropped.contains(&id) {
                entries.push(part(b, start, at)?);
            }
        }
        let mut ipma = part(b, child.body, child.body + 4)?.to_vec();
        let n = u32::try_from(entries.len()).map_err(|_| ImageError::Damaged)?;
        ipma.extend_from_slice(&n.to_be_bytes());
        for entry in entries {
            ipma.extend_from_slice(entry);
        }
        body.extend_from_slice(&boxed(b"ipma", &ipma)?);
    }
    boxed(b"iprp", &body)
}

/// A box of `kind` around `body`.
fn boxed(kind: &[u8; 4], body: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::with_capacity(8 + body.len());
    header(&mut out, 8 + body.len(), kind)?;
    out.extend_from_slice(body);
    Ok(out)
}

/// The primary image's displayed size: its `ispe`, turned by its `irot`. `None` when the
/// file names no size.
fn primary_size(b: &[u8], meta: &Meta) -> Result<Option<(u32, u32)>, ImageError> {
    let (Some(primary), Some(iprp)) = (
        meta.primary,
        meta.children.iter().find(|c| &c.kind == b"iprp"),
    ) else {
        return Ok(None);
    };
    let children = boxes(b, iprp.body, iprp.end)?;
    let Some(ipco) = children.iter().find(|c| &c.kind == b"ipco") else {
        return Ok(None);
    };
    let properties = boxes(b, ipco.body, ipco.end)?;
    let mut size = None;
    let mut turned = false;
    for ipma in children.iter().filter(|c| &c.kind == b"ipma") {
        let version = full_box_version(b, ipma)?;
        let flags = read_uint(b, ipma.body + 1, 3)?;
        let id_size = if version < 1 { 2 } else { 4 };
        let count = u32_be(b, ipma.body + 4).ok_or(ImageError::Truncated)?;
        let mut at = ipma.body + 8;
        for _ in 0..count.min(MAX_ITEMS as u32) {
            let id = read_uint(b, at, id_size)? as u32;
            at += id_size;
            let n = usize::from(*b.get(at).ok_or(ImageError::Truncated)?);
            at += 1;
            for _ in 0..n {
                let index = if flags & 1 == 1 {
                    let v = u16_be(b, at).ok_or(ImageError::Truncated)? & 0x7FFF;
                    at += 2;
                    usize::from(v)
                } else {
                    let v = b.get(at).ok_or(ImageError::Truncated)? & 0x7F;
                    at += 1;
                    usize::from(v)
                };
                if id != primary || index == 0 {
                    continue;
                }
                let Some(property) = properties.get(index - 1) else {
                    return Err(ImageError::Damaged);
                };
                match &property.kind {
                    b"ispe" => {
                        let w = u32_be(b, property.body + 4).ok_or(ImageError::Truncated)?;
                        let h = u32_be(b, property.body + 8).ok_or(ImageError::Truncated)?;
                        size = Some((w, h));
                    }
                    b"irot" => {
                        let turns = b.get(property.body).ok_or(ImageError::Truncated)? & 3;
                        turned = turns % 2 == 1;
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(size.map(|(w, h)| if turned { (h, w) } else { (w, h) }))
}

/// What [`clean`] made: the file, and its displayed size.
pub(crate) struct CleanHeif {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The file without its Exif and XMP items (see the module's documentation).
pub(crate) fn clean(b: &[u8], findings: &mut Findings) -> Result<CleanHeif, ImageError> {
    if !is_heif(b) {
        return Err(ImageError::NotAnImage);
    }
    let top = boxes(b, 0, b.len())?;
    let metas: Vec<&BoxAt> = top.iter().filter(|t| &t.kind == b"meta").collect();
    let [meta] = metas.as_slice() else {
        return Err(ImageError::Damaged);
    };
    let meta = parse_meta(b, **meta)?;
    let (width, height) = primary_size(b, &meta)?.ok_or(ImageError::Damaged)?;
    check_dimensions(width, height)?;

    let idat = meta.children.iter().find(|c| &c.kind == b"idat");
    let mut dropped = Vec::new();
    let mut wipe = Vec::new();
    for item in meta.items.iter().filter(|i| is_metadata(i)) {
        let Some(location) = meta.locations.iter().find(|l| l.id == item.id) else {
            continue;
        };
        let item_ranges = ranges(location, idat, b.len())?;
        // Metadata lives in `mdat` or `idat`; a location elsewhere (inside `meta`, say) is a
        // damaged file, not bytes to wipe.
        let inside = |r: &std::ops::Range<usize>| {
            let data = top.iter().filter(|t| &t.kind == b"mdat").chain(idat);
            data.into_iter()
                .any(|d| d.body <= r.start && r.end <= d.end)
        };
        if !item_ranges.iter().all(inside) {
            return Err(ImageError::Damaged);
        }
        let data: Vec<u8> = item_ranges
            .iter()
            .flat_map(|r| b[r.clone()].to_vec())
            .collect();
        if &item.kind == b"Exif" {
            // A 4-byte offset to the TIFF header (usually past "Exif\0\0").
            let skip = u32_be(&data, 0).map_or(0, |o| o as usize);
            let tiff = data.get(4 + skip..).unwrap_or_default();
            exif::scan(tiff, findings);
        } else {
            xmp::scan(&data, findings);
            findings.other = true;
        }
        dropped.push(item.id);
        wipe.extend(item_ranges);
    }

    // The metadata's own bytes go first (whether in `mdat` or in `idat`, which moves inside
    // the rebuilt `meta`), so every copy below carries zeros there.
    let mut zeroed = b.to_vec();
    for range in wipe {
        zeroed[range].fill(0);
    }
    let b = zeroed.as_slice();
    let mut out = Vec::with_capacity(b.len());
    for t in &top {
        match &t.kind {
            b"meta" if !dropped.is_empty() => {
                let mut body = part(b, meta.at.body, meta.at.body + 4)?.to_vec();
                for child in &meta.children {
                    match &child.kind {
                        b"iinf" => body.extend_from_slice(&rewrite_iinf(b, &meta, &dropped)?),
                        b"iloc" => body.extend_from_slice(&rewrite_iloc(b, &meta, &dropped)?),
                        b"iref" => {
                            if let Some(iref) = rewrite_iref(b, child, &dropped)? {
                                body.extend_from_slice(&iref);
                            }
                        }
                        b"iprp" => body.extend_from_slice(&rewrite_iprp(b, child, &dropped)?),
                        _ => body.extend_from_slice(&b[child.start..child.end]),
                    }
                }
                let rebuilt = boxed(b"meta", &body)?;
                let saved = (t.end - t.start)
                    .checked_sub(rebuilt.len())
                    .ok_or(ImageError::Damaged)?;
                out.extend_from_slice(&rebuilt);
                match saved {
                    0 => {}
                    // Too small for a `free` box: fill the meta's own trailing space instead.
                    1..8 => return Err(ImageError::Damaged),
                    n => free(&mut out, n)?,
                }
            }
            b"ftyp" | b"meta" | b"mdat" | b"free" | b"skip" => {
                out.extend_from_slice(&b[t.start..t.end]);
            }
            _ => {
                findings.other = true;
                free(&mut out, t.end - t.start)?;
            }
        }
    }
    if out.len() != b.len() {
        return Err(ImageError::Damaged);
    }
    Ok(CleanHeif {
        bytes: out,
        width,
        height,
    })
}

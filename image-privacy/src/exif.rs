//! Reads an EXIF (TIFF) block for the report. Nothing of it is written back, except the
//! orientation (see `jpeg`).

use crate::read::{u16_be, u16_le, u32_be, u32_le};
use crate::{Coordinates, Date, Findings, keep_text};

/// Entries read per IFD at most; real files have a few dozen.
const MAX_ENTRIES: u16 = 1000;

#[derive(Clone, Copy)]
struct Tiff<'a> {
    data: &'a [u8],
    little: bool,
}

impl Tiff<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        if self.little {
            u16_le(self.data, at)
        } else {
            u16_be(self.data, at)
        }
    }
    fn u32(&self, at: usize) -> Option<u32> {
        if self.little {
            u32_le(self.data, at)
        } else {
            u32_be(self.data, at)
        }
    }
}

#[derive(Clone, Copy)]
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    /// Where the value is: inline in the entry, or at its offset.
    at: usize,
}

impl Entry {
    fn text(&self, t: Tiff<'_>) -> Option<String> {
        let len = usize::try_from(self.count).ok()?;
        let raw = t.data.get(self.at..self.at.checked_add(len)?)?;
        Some(String::from_utf8_lossy(raw).into_owned())
    }
    fn utf16(&self, t: Tiff<'_>) -> Option<String> {
        let len = usize::try_from(self.count).ok()?;
        let raw = t.data.get(self.at..self.at.checked_add(len)?)?;
        let units = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        Some(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{fffd}'))
                .collect(),
        )
    }
    fn short(&self, t: Tiff<'_>) -> Option<u16> {
        (self.kind == 3).then(|| t.u16(self.at)).flatten()
    }
    fn long(&self, t: Tiff<'_>) -> Option<u32> {
        match self.kind {
            4 | 13 => t.u32(self.at),
            3 => t.u16(self.at).map(u32::from),
            _ => None,
        }
    }
    fn rationals(&self, t: Tiff<'_>) -> Option<[f64; 3]> {
        if self.kind != 5 || self.count < 3 {
            return None;
        }
        let mut out = [0.0; 3];
        for (i, slot) in out.iter_mut().enumerate() {
            let num = t.u32(self.at + i * 8)?;
            let den = t.u32(self.at + i * 8 + 4)?;
            *slot = if den == 0 {
                0.0
            } else {
                f64::from(num) / f64::from(den)
            };
        }
        Some(out)
    }
}

fn entries(t: Tiff<'_>, ifd: usize) -> Vec<Entry> {
    let Some(count) = t.u16(ifd) else {
        return Vec::new();
    };
    (0..count.min(MAX_ENTRIES))
        .filter_map(|i| {
            let e = ifd + 2 + usize::from(i) * 12;
            let tag = t.u16(e)?;
            let kind = t.u16(e + 2)?;
            let count = t.u32(e + 4)?;
            let unit: u64 = match kind {
                1 | 2 | 6 | 7 => 1,
                3 | 8 => 2,
                4 | 9 | 11 | 13 => 4,
                5 | 10 | 12 => 8,
                _ => return None,
            };
            let size = unit.checked_mul(u64::from(count))?;
            let at = if size <= 4 {
                e + 8
            } else {
                usize::try_from(t.u32(e + 8)?).ok()?
            };
            Some(Entry {
                tag,
                kind,
                count,
                at,
            })
        })
        .collect()
}

/// Adds what the block holds to `findings`; returns the orientation (1 when absent).
pub(crate) fn scan(data: &[u8], findings: &mut Findings) -> u16 {
    let little = match data.get(..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return 1,
    };
    let t = Tiff { data, little };
    if t.u16(2) != Some(42) {
        return 1;
    }
    let Some(ifd0) = t.u32(4).and_then(|o| usize::try_from(o).ok()) else {
        return 1;
    };
    let mut orientation = 1;
    let mut make = None;
    let mut model = None;
    let mut sub_ifds = Vec::new();
    for e in entries(t, ifd0) {
        match e.tag {
            0x010F => keep_text(&mut make, &e.text(t).unwrap_or_default()),
            0x0110 => keep_text(&mut model, &e.text(t).unwrap_or_default()),
            0x0112 => orientation = e.short(t).filter(|o| (1..=8).contains(o)).unwrap_or(1),
            0x0131 => keep_text(&mut findings.software, &e.text(t).unwrap_or_default()),
            0x0132 => findings.has_dates = true,
            0x013B | 0x8298 => keep_text(&mut findings.author, &e.text(t).unwrap_or_default()),
            0x010E | 0x9C9B | 0x9C9C | 0x9C9E | 0x9C9F => findings.text = true,
            // XPAuthor, in UTF-16LE.
            0x9C9D => keep_text(&mut findings.author, &e.utf16(t).unwrap_or_default()),
            0x8769 | 0x8825 => {
                if let Some(offset) = e.long(t).and_then(|o| usize::try_from(o).ok()) {
                    sub_ifds.push((e.tag, offset));
                }
            }
            _ => {}
        }
    }
    // A second IFD holds the embedded thumbnail.
    let next = ifd0 + 2 + usize::from(t.u16(ifd0).unwrap_or(0).min(MAX_ENTRIES)) * 12;
    if t.u32(next).is_some_and(|o| o != 0) {
        findings.thumbnail = true;
    }
    for (tag, offset) in sub_ifds {
        if tag == 0x8769 {
            scan_exif_ifd(t, offset, findings);
        } else {
            scan_gps_ifd(t, offset, findings);
        }
    }
    let camera = [make, model]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    keep_text(&mut findings.camera, &camera);
    orientation
}

fn scan_exif_ifd(t: Tiff<'_>, ifd: usize, findings: &mut Findings) {
    for e in entries(t, ifd) {
        match e.tag {
            0x9003 => {
                findings.has_dates = true;
                if findings.date_taken.is_none() {
                    findings.date_taken = e.text(t).as_deref().and_then(parse_date);
                }
            }
            0x9004 | 0x9010 | 0x9011 | 0x9290 | 0x9291 | 0x9292 => findings.has_dates = true,
            0xA431 | 0xA435 => findings.serial_number = true,
            0xA430 => keep_text(&mut findings.author, &e.text(t).unwrap_or_default()),
            0x9286 => findings.text = true,
            0x927C | 0xA420 | 0xA433 | 0xA434 => findings.other = true,
            _ => {}
        }
    }
}

fn scan_gps_ifd(t: Tiff<'_>, ifd: usize, findings: &mut Findings) {
    let list = entries(t, ifd);
    if !list.is_empty() {
        findings.has_location = true;
    }
    let find = |tag: u16| list.iter().find(|e| e.tag == tag).copied();
    let reference = |tag: u16| find(tag).and_then(|e| t.data.get(e.at).copied());
    let degrees = |tag: u16| {
        find(tag)
            .and_then(|e| e.rationals(t))
            .map(|[d, m, s]| d + m / 60.0 + s / 3600.0)
    };
    if let (Some(lat), Some(lon)) = (degrees(2), degrees(4)) {
        let lat = if reference(1) == Some(b'S') {
            -lat
        } else {
            lat
        };
        let lon = if reference(3) == Some(b'W') {
            -lon
        } else {
            lon
        };
        if lat.abs() <= 90.0 && lon.abs() <= 180.0 {
            findings.location.get_or_insert(Coordinates {
                latitude: lat,
                longitude: lon,
            });
        }
    }
    if list.iter().any(|e| matches!(e.tag, 7 | 0x1D)) {
        findings.has_dates = true;
    }
}

/// `YYYY:MM:DD…` (EXIF) or `YYYY-MM-DD…` (XMP).
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let year = text.get(0..4)?.parse().ok()?;
    let month = text.get(5..7)?.parse().ok()?;
    let day = text.get(8..10)?.parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day) && year > 0).then_some(Date {
        year,
        month,
        day,
    })
}

/// A minimal big-endian EXIF block holding only an orientation tag.
pub(crate) fn orientation_only(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\0\x2A\0\0\0\x08"); // header, IFD0 at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // padding of the inline value
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_block_reads_back() {
        let mut findings = Findings::default();
        assert_eq!(scan(&orientation_only(6), &mut findings), 6);
        assert!(findings.is_empty());
    }

    #[test]
    fn dates_parse() {
        assert_eq!(
            parse_date("2024:05:02 10:11:12"),
            Some(Date {
                year: 2024,
                month: 5,
                day: 2
            })
        );
        assert_eq!(
            parse_date("2024-05-02T10:11:12Z"),
            Some(Date {
                year: 2024,
                month: 5,
                day: 2
            })
        );
        assert_eq!(parse_date("0000:00:00 00:00:00"), None);
        assert_eq!(parse_date("20"), None);
    }

    #[test]
    fn garbage_never_panics() {
        let mut findings = Findings::default();
        for data in [
            &b"II*\0\xff\xff\xff\xff"[..],
            b"MM\0*\0\0\0\x08\xff\xff",
            b"II",
            b"",
        ] {
            scan(data, &mut findings);
        }
    }
}

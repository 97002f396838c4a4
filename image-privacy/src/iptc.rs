//! Reads IPTC-IIM records (inside a JPEG's Photoshop block) for the report.

use crate::{Findings, keep_text};

/// Scans IIM datasets (`1C record dataset length value`) anywhere in `data`.
pub(crate) fn scan(data: &[u8], findings: &mut Findings) {
    findings.other = true;
    let mut i = 0;
    while i + 5 <= data.len() {
        if data[i] != 0x1C {
            i += 1;
            continue;
        }
        let (record, dataset) = (data[i + 1], data[i + 2]);
        let len = usize::from(u16::from_be_bytes([data[i + 3], data[i + 4]]));
        let Some(value) = data.get(i + 5..i + 5 + len) else {
            break;
        };
        if record == 2 {
            let text = String::from_utf8_lossy(value);
            match dataset {
                80 | 116 | 118 => keep_text(&mut findings.author, &text),
                90 | 92 | 95 | 100 | 101 | 26 | 27 => findings.has_location = true,
                55 | 60 | 62 | 63 => findings.has_dates = true,
                5 | 105 | 120 | 122 | 25 | 40 => findings.text = true,
                _ => {}
            }
        }
        i += 5 + len;
    }
}

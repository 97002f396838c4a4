//! Reads an XMP packet (XML) for the report, by plain text search: the packet is removed
//! whole, so it only needs to be understood well enough to say what was in it.

use crate::exif::parse_date;
use crate::{Coordinates, Findings, keep_text};

pub(crate) fn scan(packet: &[u8], findings: &mut Findings) {
    findings.other = true;
    let text = String::from_utf8_lossy(packet);
    if let Some(creator) =
        element_text(&text, "dc:creator").or_else(|| attribute(&text, "dc:creator"))
    {
        keep_text(&mut findings.author, &creator);
    }
    for tag in [
        "dc:rights",
        "photoshop:Credit",
        "xmpRights:Owner",
        "Iptc4xmpCore:CreatorContactInfo",
    ] {
        if text.contains(tag) {
            findings.author.get_or_insert_with(String::new);
        }
    }
    for tag in [
        "dc:description",
        "dc:title",
        "dc:subject",
        "photoshop:Headline",
        "exif:UserComment",
    ] {
        if text.contains(tag) {
            findings.text = true;
        }
    }
    if let Some(tool) =
        attribute(&text, "xmp:CreatorTool").or_else(|| element_text(&text, "xmp:CreatorTool"))
    {
        keep_text(&mut findings.software, &tool);
    }
    if text.contains("exif:GPS")
        || text.contains("photoshop:City")
        || text.contains("Iptc4xmpCore:Location")
    {
        findings.has_location = true;
    }
    let lat =
        attribute(&text, "exif:GPSLatitude").or_else(|| element_text(&text, "exif:GPSLatitude"));
    let lon =
        attribute(&text, "exif:GPSLongitude").or_else(|| element_text(&text, "exif:GPSLongitude"));
    if let (Some(lat), Some(lon)) = (
        lat.as_deref().and_then(xmp_degrees),
        lon.as_deref().and_then(xmp_degrees),
    ) && lat.abs() <= 90.0
        && lon.abs() <= 180.0
    {
        findings.location.get_or_insert(Coordinates {
            latitude: lat,
            longitude: lon,
        });
    }
    if let Some(date) = attribute(&text, "exif:DateTimeOriginal")
        .or_else(|| element_text(&text, "exif:DateTimeOriginal"))
        .or_else(|| attribute(&text, "photoshop:DateCreated"))
    {
        findings.has_dates = true;
        if findings.date_taken.is_none() {
            findings.date_taken = parse_date(&date);
        }
    }
    if ["xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"]
        .iter()
        .any(|t| text.contains(t))
    {
        findings.has_dates = true;
    }
    if text.contains("SerialNumber") {
        findings.serial_number = true;
    }
    if text.contains("xmp:Thumbnails") {
        findings.thumbnail = true;
    }
}

/// `name="value"`.
fn attribute(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("{name}=\""))? + name.len() + 2;
    let end = text.get(start..)?.find('"')? + start;
    Some(unescape(text.get(start..end)?))
}

/// The first text content inside `<name>…</name>`, skipping nested tags such as
/// `<rdf:Seq><rdf:li>`.
fn element_text(text: &str, name: &str) -> Option<String> {
    let open = text.find(&format!("<{name}"))?;
    let close = text.get(open..)?.find(&format!("</{name}>"))? + open;
    let inner = text.get(open..close)?;
    let mut out = String::new();
    let mut in_tag = false;
    let mut seen_first_tag_end = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                seen_first_tag_end = true;
            }
            _ if !in_tag && seen_first_tag_end => out.push(c),
            _ => {}
        }
    }
    let out = out.trim().to_owned();
    (!out.is_empty()).then(|| unescape(&out))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// XMP GPS coordinates: `40,8.0619N` (degrees, decimal minutes) or `40,8,3.71N`.
fn xmp_degrees(value: &str) -> Option<f64> {
    let value = value.trim();
    let hemisphere = value.chars().last()?;
    let number = &value[..value.len() - hemisphere.len_utf8()];
    let sign = match hemisphere {
        'N' | 'E' => 1.0,
        'S' | 'W' => -1.0,
        _ => return None,
    };
    let parts: Vec<f64> = number
        .split(',')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let degrees = match parts.as_slice() {
        [d, m] => d + m / 60.0,
        [d, m, s] => d + m / 60.0 + s / 3600.0,
        _ => return None,
    };
    Some(sign * degrees)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_creator_gps_and_description() {
        let packet = br#"<x:xmpmeta><rdf:RDF><rdf:Description exif:GPSLatitude="40,8.0619N"
            exif:GPSLongitude="73,50.846W"><dc:creator><rdf:Seq><rdf:li>Jane &amp; Co</rdf:li>
            </rdf:Seq></dc:creator><dc:description>memo</dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let mut f = Findings::default();
        scan(packet, &mut f);
        assert_eq!(f.author.as_deref(), Some("Jane & Co"));
        assert!(f.text && f.has_location && f.other);
        let at = f.location.unwrap();
        assert!((at.latitude - 40.1343).abs() < 0.001 && (at.longitude + 73.8474).abs() < 0.001);
    }

    #[test]
    fn odd_values_are_ignored() {
        assert_eq!(xmp_degrees(""), None);
        assert_eq!(xmp_degrees("N"), None);
        assert_eq!(xmp_degrees("1,2,3,4N"), None);
        assert_eq!(xmp_degrees("é"), None);
        let mut f = Findings::default();
        scan("<dc:creator>".as_bytes(), &mut f);
        scan("exif:GPSLatitude=\"".as_bytes(), &mut f);
    }
}

//! QR codes for session links, drawn here rather than by a renderer crate: one SVG `<path>`
//! (small, crisp at any size, inline in the page) and a grayscale PNG big enough for a
//! projector or an A4 printout.
//!
//! Each symbol is the smallest version that holds its text at the surface's least error
//! correction, raised to the most error correction that same version holds: the sparsest code
//! (biggest modules, so it scans from furthest away), with every spare codeword spent on
//! correction. A screen is clean, so its floor is M (15% of codewords may be lost). Not L
//! (7%): it sometimes saves a version (a 20-character host's rotating link is version 3 at L,
//! 4 at M), but measured with zbar that version 3 then reads less reliably near the size limit,
//! where blur and the pixel grid turn modules grey, than version 4 at Q. Paper gets creased
//! and dirty, so the printable PNG's floor is Q (25%); for a short link that costs at most one
//! version, which reads from as far away (README, "How far away a code scans").

use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

/// Modules of white border the QR standard asks for.
const QUIET_ZONE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("text too long for a QR code")]
    TooLong,
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Where a code is shown, which decides its least error correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    Screen,
    Paper,
}

impl Surface {
    fn floor(self) -> EcLevel {
        match self {
            Self::Screen => EcLevel::M,
            Self::Paper => EcLevel::Q,
        }
    }
}

/// QR alphanumeric mode's 45 characters: two of them take 11 bits, where bytes take 16.
fn is_alphanumeric(c: u8) -> bool {
    c.is_ascii_digit() || c.is_ascii_uppercase() || b" $%*+-./:".contains(&c)
}

/// `text` encoded for `version`, in whichever of three ways is shortest: one alphanumeric
/// segment (when every character allows it), the crate's mixed segments, or plain bytes (its
/// optimiser sometimes ends up longer than those).
fn data_bits(text: &str, version: Version) -> Option<Bits> {
    let bytes = text.as_bytes();
    let mut best: Option<Bits> = None;
    let mut consider = |encode: &dyn Fn(&mut Bits) -> qrcode::types::QrResult<()>| {
        let mut bits = Bits::new(version);
        if encode(&mut bits).is_ok() && best.as_ref().is_none_or(|b| bits.len() < b.len()) {
            best = Some(bits);
        }
    };
    if bytes.iter().copied().all(is_alphanumeric) {
        consider(&|bits| bits.push_alphanumeric_data(bytes));
    }
    consider(&|bits| bits.push_optimal_data(bytes));
    consider(&|bits| bits.push_byte_data(bytes));
    best
}

/// `text` completed for `version` at `ec`, if it fits.
fn fitted(text: &str, version: Version, ec: EcLevel) -> Option<Bits> {
    let mut bits = data_bits(text, version)?;
    bits.push_terminator(ec).ok()?;
    Some(bits)
}

/// The symbol for `text` on `surface` (see the module's comment).
fn symbol(text: &str, surface: Surface) -> Result<QrCode, QrError> {
    let floor = surface.floor();
    let version =
        (1..=40).map(Version::Normal).find(|&v| fitted(text, v, floor).is_some()).ok_or(QrError::TooLong)?;
    [EcLevel::H, EcLevel::Q, EcLevel::M, EcLevel::L]
        .into_iter()
        .filter(|&ec| ec >= floor)
        .find_map(|ec| Some((fitted(text, version, ec)?, ec)))
        .and_then(|(bits, ec)| QrCode::with_bits(bits, ec).ok())
        .ok_or(QrError::TooLong)
}

/// The dark/light grid of `text` on `surface`.
fn modules(text: &str, surface: Surface) -> Result<(usize, Vec<bool>), QrError> {
    let code = symbol(text, surface)?;
    let width = code.width();
    Ok((width, code.to_colors().into_iter().map(|c| c == Color::Dark).collect()))
}

/// An `<svg>` element (no XML prolog) for inline use; `label` is read by screen readers. For
/// screens (the session page, the projector, the SVG download for slides).
pub fn svg(text: &str, label: &str) -> Result<String, QrError> {
    let (width, dark) = modules(text, Surface::Screen)?;
    let size = width + 2 * QUIET_ZONE;
    let mut path = String::with_capacity(dark.len() * 6);
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (x, y) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
        path.push_str(&format!("M{x} {y}h1v1h-1z"));
    }
    let label = label.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" role="img" aria-label="{label}"><rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

/// A PNG at least `min_pixels` wide, each module a whole number of pixels. For paper (the
/// session page's "Download PNG (print)").
pub fn png(text: &str, min_pixels: u32) -> Result<Vec<u8>, QrError> {
    let (width, dark) = modules(text, Surface::Paper)?;
    let size_modules = width + 2 * QUIET_ZONE;
    let scale = (min_pixels as usize).div_ceil(size_modules).max(1);
    let side = size_modules * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (mx, my) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
        for y in my * scale..(my + 1) * scale {
            pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
        }
    }
    let side_u32 = u32::try_from(side).map_err(|_| QrError::TooLong)?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| QrError::Png(e.to_string()))?;
    writer.write_image_data(&pixels).map_err(|e| QrError::Png(e.to_string()))?;
    writer.finish().map_err(|e| QrError::Png(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_inline_ready_and_escapes_its_label() {
        let svg = svg("https://x.ac.ke/attend/abc/", "QR <code> & \"more\"").expect("svg");
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.contains("aria-label=\"QR &lt;code> &amp; &quot;more&quot;\""));
        assert!(!svg.contains("<?xml"));
    }

    fn shape(text: &str, surface: Surface) -> (Version, EcLevel, usize) {
        let code = symbol(text, surface).expect("fits");
        (code.version(), code.error_correction_level(), code.width())
    }

    #[test]
    fn short_links_make_sparse_codes() {
        // 61 characters, all alphanumeric: version 3 holds 61 at M.
        let rotating = "HTTPS://ATTEND.UNI.EDU/A/5WJ0X3M8QZ7HB2KD9RTF1LNPAK0123456789";
        assert_eq!(shape(rotating, Surface::Screen), (Version::Normal(3), EcLevel::M, 29));
        // 67: past version 3 at M, so version 4, whose room takes Q.
        let longer = "HTTPS://ATTENDANCE.UNI.AC.KE/A/5WJ0X3M8QZ7HB2KD9RTF1LNPAK0123456789";
        assert_eq!(shape(longer, Surface::Screen), (Version::Normal(4), EcLevel::Q, 33));
        let printed = "HTTPS://ATTENDANCE.UNI.AC.KE/A/5WJ0X3M8QZ7HB2KD9RTF1LNPA";
        assert_eq!(shape(printed, Surface::Screen), (Version::Normal(3), EcLevel::M, 29));
        assert_eq!(shape(printed, Surface::Paper), (Version::Normal(4), EcLevel::Q, 33));
        // The same link in lower case needs bytes: version 4 at M.
        assert_eq!(shape(&rotating.to_lowercase(), Surface::Screen), (Version::Normal(4), EcLevel::M, 33));
        // The links these replace: version 8 and 6 at Q.
        let old = "https://attend.uni.edu/attend/3368f96c-e465-40b6-8d4d-0605e4cac17b/";
        assert_eq!(shape(old, Surface::Paper), (Version::Normal(6), EcLevel::Q, 41));
        let old_rotating = format!("{old}?t=117600000.AbCdEfGhIjKlMnOpQrStUv");
        assert_eq!(shape(&old_rotating, Surface::Paper), (Version::Normal(8), EcLevel::Q, 49));
    }

    #[test]
    fn a_path_in_lower_case_stays_as_written() {
        let text = "HTTPS://UNI.AC.KE/attendance/A/5WJ0X3M8QZ7HB2KD9RTF1LNPA";
        let code = symbol(text, Surface::Screen).expect("fits");
        assert!(code.version().width() <= 33, "{:?}", code.version());
        assert!(symbol(&"X".repeat(5000), Surface::Screen).is_err());
    }

    #[test]
    fn png_is_large_enough_for_a_projector() {
        let bytes = png("https://x.ac.ke/attend/abc/", 1000).expect("png");
        assert_eq!(&bytes[1..4], b"PNG");
        let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        assert!(width >= 1000, "{width}");
    }
}

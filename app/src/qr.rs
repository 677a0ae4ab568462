//! QR codes for session links, drawn here rather than by a renderer crate: one SVG `<path>`
//! (small, crisp at any size, inline in the page) and a grayscale PNG big enough for a
//! projector or an A4 printout.

use qrcode::{Color, EcLevel, QrCode};

/// Modules of white border the QR standard asks for.
const QUIET_ZONE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("text too long for a QR code")]
    TooLong,
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// The dark/light grid of `text`, quartile error correction (survives a smudged printout).
fn modules(text: &str) -> Result<(usize, Vec<bool>), QrError> {
    let code =
        QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q).map_err(|_| QrError::TooLong)?;
    let width = code.width();
    Ok((width, code.to_colors().into_iter().map(|c| c == Color::Dark).collect()))
}

/// An `<svg>` element (no XML prolog) for inline use; `label` is read by screen readers.
pub fn svg(text: &str, label: &str) -> Result<String, QrError> {
    let (width, dark) = modules(text)?;
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

/// A PNG at least `min_pixels` wide, each module a whole number of pixels.
pub fn png(text: &str, min_pixels: u32) -> Result<Vec<u8>, QrError> {
    let (width, dark) = modules(text)?;
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

    #[test]
    fn png_is_large_enough_for_a_projector() {
        let bytes = png("https://x.ac.ke/attend/abc/", 1000).expect("png");
        assert_eq!(&bytes[1..4], b"PNG");
        let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        assert!(width >= 1000, "{width}");
    }
}

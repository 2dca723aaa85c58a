//! Reading QR codes out of PNG or JPEG screenshots (the "scan this code"
//! picture an app shows when MFA is turned on, or Google Authenticator's
//! export screen).

use std::io::Cursor;

use image::{GrayImage, ImageReader, Limits};

use crate::OtpError;

/// Screenshots larger than this on either side are refused before decoding,
/// so a crafted file cannot make the server allocate gigabytes.
pub const MAX_IMAGE_SIDE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// Decodes the first readable QR code in a PNG or JPEG image and returns its
/// text (typically an `otpauth://` or `otpauth-migration://` URI).
pub fn decode_qr(image_bytes: &[u8]) -> Result<String, OtpError> {
    decode_qr_all(image_bytes)?
        .into_iter()
        .next()
        .ok_or(OtpError::NoQrCode)
}

/// Decodes every readable QR code in the image, in the order found,
/// without duplicates. Never returns an empty list: no code is an error.
pub fn decode_qr_all(image_bytes: &[u8]) -> Result<Vec<String>, OtpError> {
    let gray = load_gray(image_bytes)?;
    let mut last_error = None;
    if let Some(found) = try_scan(&gray, &mut last_error) {
        return Ok(found);
    }
    // Dark-mode screenshots can show the code inverted.
    let mut inverted = gray.clone();
    image::imageops::invert(&mut inverted);
    if let Some(found) = try_scan(&inverted, &mut last_error) {
        return Ok(found);
    }
    // Very large screenshots can defeat the detector's local thresholding.
    if gray.width().max(gray.height()) > 1600 {
        let half = image::imageops::resize(
            &gray,
            gray.width() / 2,
            gray.height() / 2,
            image::imageops::FilterType::Triangle,
        );
        if let Some(found) = try_scan(&half, &mut last_error) {
            return Ok(found);
        }
    }
    Err(last_error.unwrap_or(OtpError::NoQrCode))
}

fn try_scan(gray: &GrayImage, last_error: &mut Option<OtpError>) -> Option<Vec<String>> {
    match scan(gray) {
        Ok(found) if !found.is_empty() => Some(found),
        Ok(_) => None,
        Err(err) => {
            *last_error = Some(err);
            None
        }
    }
}

fn load_gray(bytes: &[u8]) -> Result<GrayImage, OtpError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| OtpError::InvalidImage(e.to_string()))?;
    if reader.format().is_none() {
        return Err(OtpError::InvalidImage(
            "the file is not a PNG or JPEG image".into(),
        ));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| OtpError::InvalidImage(e.to_string()))?;
    Ok(image.to_luma8())
}

/// Every decodable code in one greyscale image. `Err` only when codes were
/// seen but none could be decoded.
fn scan(gray: &GrayImage) -> Result<Vec<String>, OtpError> {
    let (width, height) = (gray.width() as usize, gray.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        gray.get_pixel(x as u32, y as u32).0[0]
    });
    let grids = prepared.detect_grids();
    let mut found: Vec<String> = Vec::new();
    let mut last_error = None;
    for grid in grids {
        match grid.decode() {
            Ok((_, text)) if !found.contains(&text) => found.push(text),
            Ok(_) => {}
            Err(err) => last_error = Some(OtpError::QrUnreadable(err.to_string())),
        }
    }
    match (found.is_empty(), last_error) {
        (true, Some(err)) => Err(err),
        _ => Ok(found),
    }
}

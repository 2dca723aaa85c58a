//! Reading QR codes out of PNG or JPEG screenshots (the "scan this code"
//! picture an app shows when MFA is turned on, or Google Authenticator's
//! export screen).
//!
//! Pictures come from users, so the work is bounded (issue 11, finding 2):
//! the header is read first and absurd dimensions are refused before any
//! pixel is allocated, large pictures are scaled down before the QR
//! detector sees them, and a caller-given deadline is checked between the
//! steps. The caller bounds how many decodes run at once.

use std::io::Cursor;
use std::time::Instant;

use image::{GrayImage, ImageReader, Limits};

use crate::OtpError;

/// Pictures wider or taller than this are refused from their header.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// Pictures with more pixels than this (25 megapixels: a 6K monitor's
/// screenshot fits) are refused from their header.
pub const MAX_IMAGE_PIXELS: u64 = 25_000_000;
/// The decoder's own allocation cap: 25 megapixels at 4 bytes each, with
/// room for the decoder's buffers. A 16-bit RGBA picture that large is
/// refused as too large.
const MAX_DECODE_BYTES: u64 = 128 * 1024 * 1024;
/// Pictures are scaled down to this many pixels on their longer side before
/// detection: the detector's time grows with the pixel count, and a QR code
/// on a screenshot stays readable at this size.
pub const SCAN_SIDE: u32 = 2_048;

/// Decodes the first readable QR code in a PNG or JPEG image and returns its
/// text (typically an `otpauth://` or `otpauth-migration://` URI).
pub fn decode_qr(image_bytes: &[u8]) -> Result<String, OtpError> {
    decode_qr_until(image_bytes, None)
}

/// [`decode_qr`] that gives up with [`OtpError::QrTimeout`] once `deadline`
/// has passed (checked between decoding steps).
pub fn decode_qr_until(image_bytes: &[u8], deadline: Option<Instant>) -> Result<String, OtpError> {
    decode_qr_all_until(image_bytes, deadline)?
        .into_iter()
        .next()
        .ok_or(OtpError::NoQrCode)
}

/// Decodes every readable QR code in the image, in the order found,
/// without duplicates. Never returns an empty list: no code is an error.
pub fn decode_qr_all(image_bytes: &[u8]) -> Result<Vec<String>, OtpError> {
    decode_qr_all_until(image_bytes, None)
}

/// [`decode_qr_all`] that gives up with [`OtpError::QrTimeout`] once
/// `deadline` has passed (checked between decoding steps).
pub fn decode_qr_all_until(
    image_bytes: &[u8],
    deadline: Option<Instant>,
) -> Result<Vec<String>, OtpError> {
    let gray = load_gray(image_bytes)?;
    check_deadline(deadline)?;
    let gray = fit(gray, SCAN_SIDE);
    check_deadline(deadline)?;
    let mut last_error = None;
    if let Some(found) = try_scan(&gray, &mut last_error) {
        return Ok(found);
    }
    check_deadline(deadline)?;
    // Dark-mode screenshots can show the code inverted.
    let mut inverted = gray.clone();
    image::imageops::invert(&mut inverted);
    if let Some(found) = try_scan(&inverted, &mut last_error) {
        return Ok(found);
    }
    // Large screenshots can defeat the detector's local thresholding.
    if gray.width().max(gray.height()) > 1600 {
        check_deadline(deadline)?;
        let half = image::imageops::thumbnail(&gray, gray.width() / 2, gray.height() / 2);
        if let Some(found) = try_scan(&half, &mut last_error) {
            return Ok(found);
        }
    }
    Err(last_error.unwrap_or(OtpError::NoQrCode))
}

/// The picture's width and height from its header, without decoding it;
/// [`OtpError::ImageTooLarge`] when it is past the limits.
pub fn image_dimensions(bytes: &[u8]) -> Result<(u32, u32), OtpError> {
    let (width, height) = reader(bytes)?
        .into_dimensions()
        .map_err(|e| OtpError::InvalidImage(e.to_string()))?;
    if width.max(height) > MAX_IMAGE_SIDE || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS
    {
        return Err(OtpError::ImageTooLarge { width, height });
    }
    Ok((width, height))
}

fn check_deadline(deadline: Option<Instant>) -> Result<(), OtpError> {
    match deadline {
        Some(d) if Instant::now() >= d => Err(OtpError::QrTimeout),
        _ => Ok(()),
    }
}

/// Scales the picture down so that its longer side is at most `side`.
fn fit(gray: GrayImage, side: u32) -> GrayImage {
    let (w, h) = (gray.width(), gray.height());
    let longer = w.max(h);
    if longer <= side {
        return gray;
    }
    let scale = |v: u32| {
        u32::try_from(u64::from(v) * u64::from(side) / u64::from(longer))
            .unwrap_or(side)
            .max(1)
    };
    // `thumbnail` averages boxes of pixels in integers: no full-size
    // floating-point buffer, unlike `resize`.
    image::imageops::thumbnail(&gray, scale(w), scale(h))
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

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, OtpError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| OtpError::InvalidImage(e.to_string()))?;
    if reader.format().is_none() {
        return Err(OtpError::InvalidImage(
            "the file is not a PNG or JPEG image".into(),
        ));
    }
    Ok(reader)
}

fn load_gray(bytes: &[u8]) -> Result<GrayImage, OtpError> {
    // The header first: absurd sizes are refused before anything is allocated.
    let (width, height) = image_dimensions(bytes)?;
    let mut reader = reader(bytes)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => OtpError::ImageTooLarge { width, height },
        e => OtpError::InvalidImage(e.to_string()),
    })?;
    Ok(image.into_luma8())
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

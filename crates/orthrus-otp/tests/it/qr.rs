//! QR decode of rendered "screenshots": a QR code drawn by the `qrcode`
//! crate, placed on a busy app-like background, encoded as PNG or JPEG.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use orthrus_otp::import::{ImportFormat, detect_and_parse, detect_format};
use orthrus_otp::qr::{decode_qr, decode_qr_all};
use orthrus_otp::{Kind, OtpError, parse_otpauth_uri};
use qrcode::{Color, QrCode};

const URI: &str =
    "otpauth://totp/Instagram:acme.social?secret=L3PFM44DO2UMKOT4TG7SOWYHPJOBBX3Y&issuer=Instagram";

struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as u32
    }
}

fn fill(img: &mut RgbImage, x0: u32, y0: u32, w: u32, h: u32, color: [u8; 3]) {
    for y in y0..(y0 + h).min(img.height()) {
        for x in x0..(x0 + w).min(img.width()) {
            img.put_pixel(x, y, Rgb(color));
        }
    }
}

/// A 1000x1400 "phone screenshot": status bar, coloured header, lines of
/// fake text, speckle noise, and the QR code on a white card at (x, y).
fn screenshot(text: &str, module_px: u32, x: u32, y: u32, dark_mode: bool) -> RgbImage {
    let (bg, fg, card) = if dark_mode {
        ([18, 18, 18], [230, 230, 230], [18, 18, 18])
    } else {
        ([242, 242, 247], [40, 40, 40], [255, 255, 255])
    };
    let mut img = RgbImage::from_pixel(1000, 1400, Rgb(bg));
    fill(&mut img, 0, 0, 1000, 60, [0, 0, 0]);
    fill(&mut img, 0, 60, 1000, 140, [193, 53, 132]);
    let mut noise = Noise(0x5EED_1234_ABCD);
    for line in 0..12 {
        let width = 300 + noise.next() % 600;
        let top = if line < 4 {
            230 + line * 40
        } else {
            1000 + (line - 4) * 40
        };
        fill(&mut img, 60, top, width, 18, fg);
    }
    for _ in 0..20_000 {
        let (px, py) = (noise.next() % 1000, noise.next() % 1400);
        let v = (noise.next() % 256) as u8;
        img.put_pixel(px, py, Rgb([v, v / 2, 255 - v]));
    }

    let code = QrCode::new(text.as_bytes()).unwrap();
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let quiet = 4 * module_px;
    let side = modules * module_px + 2 * quiet;
    fill(&mut img, x, y, side, side, card);
    for (index, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (index as u32 % modules, index as u32 / modules);
            fill(
                &mut img,
                x + quiet + mx * module_px,
                y + quiet + my * module_px,
                module_px,
                module_px,
                fg,
            );
        }
    }
    img
}

fn encode(img: RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

#[test]
fn decodes_a_png_screenshot() {
    let png = encode(screenshot(URI, 6, 260, 420, false), ImageFormat::Png);
    assert!(png.starts_with(b"\x89PNG"));
    assert_eq!(decode_qr(&png).unwrap(), URI);
    let (secret, params) = parse_otpauth_uri(&decode_qr(&png).unwrap()).unwrap();
    assert_eq!(secret.to_base32(), "L3PFM44DO2UMKOT4TG7SOWYHPJOBBX3Y");
    assert_eq!(params.issuer.as_deref(), Some("Instagram"));
}

#[test]
fn decodes_a_jpeg_screenshot() {
    let jpeg = encode(screenshot(URI, 5, 120, 480, false), ImageFormat::Jpeg);
    assert!(jpeg.starts_with(&[0xff, 0xd8, 0xff]));
    assert_eq!(decode_qr(&jpeg).unwrap(), URI);
}

#[test]
fn decodes_a_dark_mode_screenshot() {
    let png = encode(screenshot(URI, 6, 300, 400, true), ImageFormat::Png);
    assert_eq!(decode_qr(&png).unwrap(), URI);
}

#[test]
fn an_image_upload_goes_through_import_detection() {
    let steam =
        "otpauth://totp/Steam:acme_gaming?secret=IOA5YKVRIKCRMDEAQZM25YAF2UJFLLOX&issuer=Steam";
    let png = encode(screenshot(steam, 6, 250, 400, false), ImageFormat::Png);
    assert_eq!(detect_format(&png).unwrap(), ImportFormat::Image);
    let entries = detect_and_parse(&png).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].params.kind, Kind::Steam);
}

#[test]
fn a_google_authenticator_export_qr_is_imported() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/google_authenticator_export.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let first_batch = text
        .lines()
        .find(|l| l.starts_with("otpauth-migration"))
        .unwrap();
    let png = encode(
        screenshot(first_batch, 5, 150, 380, false),
        ImageFormat::Png,
    );
    assert_eq!(decode_qr_all(&png).unwrap(), vec![first_batch.to_owned()]);
    assert_eq!(detect_and_parse(&png).unwrap().len(), 3);
}

#[test]
fn no_code_and_not_an_image_are_distinct_errors() {
    let mut blank = screenshot(URI, 6, 260, 420, false);
    fill(&mut blank, 200, 380, 700, 700, [255, 255, 255]);
    let png = encode(blank, ImageFormat::Png);
    assert_eq!(decode_qr(&png).unwrap_err(), OtpError::NoQrCode);
    assert_eq!(
        decode_qr(&png).unwrap_err().to_string(),
        "no QR code was found in the image"
    );
    assert!(matches!(
        decode_qr(b"not an image"),
        Err(OtpError::InvalidImage(_))
    ));
    let truncated = &encode(screenshot(URI, 6, 260, 420, false), ImageFormat::Png)[..500];
    assert!(matches!(
        decode_qr(truncated),
        Err(OtpError::InvalidImage(_))
    ));
}

/// Issue 11, finding 2: a 12,000 x 12,000 picture (a 114 KB file) once took
/// minutes and 1.4 GB to decode. It is refused from its header.
#[test]
fn a_huge_picture_is_refused_from_its_header() {
    let png = crate::blank_png::blank_png(12_000, 12_000);
    assert!(png.len() < 200_000, "{} bytes", png.len());
    let started = std::time::Instant::now();
    let err = decode_qr(&png).unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        err,
        OtpError::ImageTooLarge {
            width: 12_000,
            height: 12_000
        }
    );
    assert!(err.to_string().contains("crop the screenshot"), "{err}");
    println!("12000 x 12000 PNG refused in {elapsed:?}");
    assert!(matches!(
        detect_and_parse(&png),
        Err(OtpError::ImageTooLarge { .. })
    ));
    // Too tall a strip is refused too, whatever its pixel count.
    assert!(matches!(
        orthrus_otp::qr::image_dimensions(&crate::blank_png::blank_png(8, 20_000)),
        Err(OtpError::ImageTooLarge { .. })
    ));
    assert_eq!(
        orthrus_otp::qr::image_dimensions(&crate::blank_png::blank_png(1290, 2796)).unwrap(),
        (1290, 2796)
    );
}

#[test]
fn a_large_screenshot_is_scaled_down_and_still_read() {
    // 2,600 pixels wide: past the detector's working size, so it is scaled.
    let mut img = RgbImage::from_pixel(2600, 1600, Rgb([242, 242, 247]));
    let shot = screenshot(URI, 12, 60, 60, false);
    image::imageops::replace(&mut img, &shot, 1200, 100);
    let png = encode(img, ImageFormat::Png);
    assert_eq!(decode_qr(&png).unwrap(), URI);
}

#[test]
fn a_passed_deadline_stops_decoding_with_a_clear_error() {
    let png = encode(screenshot(URI, 6, 260, 420, false), ImageFormat::Png);
    let err = orthrus_otp::qr::decode_qr_until(&png, Some(std::time::Instant::now())).unwrap_err();
    assert_eq!(err, OtpError::QrTimeout);
    assert!(err.to_string().contains("took too long"), "{err}");
    assert!(matches!(
        orthrus_otp::import::detect_and_parse_until(&png, Some(std::time::Instant::now())),
        Err(OtpError::QrTimeout)
    ));
}

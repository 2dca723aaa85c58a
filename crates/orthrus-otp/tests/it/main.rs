//! The one integration-test binary of `orthrus-otp` (DESIGN.md house rule 7).

// clippy's allow-unwrap-in-tests covers #[test] functions only, not the
// helpers they share; a panic is the right failure in all of this file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backup_codes;
#[cfg(feature = "qr")]
#[path = "../support/blank_png.rs"]
mod blank_png;
mod generator;
mod import;
mod oathtool;
mod props;
#[cfg(feature = "qr")]
mod qr;
mod rfc_vectors;
mod secret;
mod uri;

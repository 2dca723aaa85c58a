//! Import formats.

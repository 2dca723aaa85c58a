//! Import formats (in progress).

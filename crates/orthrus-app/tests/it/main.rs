//! Use cases end to end against real storage, without HTTP: every test runs
//! on SQLite, and on PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set
//! (a scratch database per run). Time is a `FakeClock`. The harness is in
//! `support.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit_verify;
mod inbox_paging;
mod live_updates;
mod mfa_check;
mod rotation_takeover;
mod shared_work;
mod sso;
mod sso_guard;
mod support;

pub use support::{START, TestApp};

//! End-to-end tests of the `orthrus` binary: `serve` as a real process (on
//! SQLite, and on PostgreSQL when `ORTHRUS_TEST_DATABASE_URL` is set), the
//! admin and audit commands, the CLI client, secrets at rest, and a browser
//! test in headless Chromium through chromedriver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access_cli;
mod automation;
mod browser;
mod cli;
mod cluster;
mod countdown;
mod extension;
mod generic_login;
mod mfa_check;
mod oidc_provider;
mod ops;
mod recipe_try;
mod replicas;
mod scene;
mod serve;
mod sso;
mod sso_totp;
mod support;
mod ui_layout;

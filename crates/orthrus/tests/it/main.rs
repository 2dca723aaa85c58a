//! End-to-end tests of the `orthrus` binary: `serve` as a real process (on
//! SQLite, and on PostgreSQL when `ORTHRUS_TEST_DATABASE_URL` is set), the
//! admin and audit commands, the CLI client, secrets at rest, and a browser
//! test in headless Chromium through chromedriver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access_cli;
mod automation;
mod automation_person;
mod automation_recovery;
mod browser;
mod cli;
mod cli_hostile;
mod cluster;
mod countdown;
mod extension;
mod generic_login;
mod inbox_page;
mod master_key;
mod mfa_check;
mod migrations;
mod oidc_provider;
mod ops;
mod passkeys;
mod recipe_try;
mod replicas;
mod scene;
mod serve;
mod sso;
mod sso_totp;
mod support;
mod ui_layout;

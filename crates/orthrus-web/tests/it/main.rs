//! The API and UI integration suite. Each test spins up the real HTTP stack
//! on 127.0.0.1:0 with a temporary SQLite database and a fake clock, and
//! repeats on PostgreSQL when `ORTHRUS_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod access_requests;
mod api;
mod api_auth;
mod audit_export;
mod autofill;
mod autofill_restrictions;
mod automation_senders;
mod backup;
#[path = "../../../orthrus-otp/tests/support/blank_png.rs"]
mod blank_png;
mod code_view_auth;
mod dual;
mod egress;
mod forms;
mod hardening;
mod inbox_flood;
mod inbox_paging;
mod inbox_view;
mod inbox_wait;
mod jobs;
mod live_nodes;
mod mfa_check;
mod nodes;
mod openapi;
mod otp;
mod otp_transfer;
mod otp_ui;
mod pairing;
mod path_ids;
mod people;
mod roles;
mod roles_more;
mod roles_teams;
mod rotation;
mod scim;
mod scim_guard;
mod sms;
mod step_up;
mod support;
mod ui;
mod ui_device;
mod ui_ops;

//! Moving authenticator seeds in and out: every import format (the
//! authenticator apps' exports and `otpauth` lists) with a preview, then an
//! export and its round trip.

use crate::otp::qr_screenshot;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../orthrus-otp/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn import(c: &Client, body: Vec<u8>, query: &str) -> (StatusCode, serde_json::Value) {
    let r = c
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/authenticator/import{query}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap())
}

#[tokio::test]
async fn import_every_format_with_a_preview_then_export() {
    for t in TestApp::all("otpimport").await {
        let owner = t.owner().await;
        // An existing account the Aegis entry for Instagram should land on.
        let (_, v) = owner.post("/accounts", &json!({"app": "instagram", "label": "Brand Instagram", "username": "social@acme.example", "password": "pw"})).await;
        let ig = v["id"].as_str().unwrap().to_owned();
        // Preview: nothing is written.
        let (s, preview) = import(&owner, fixture("aegis_plain.json"), "").await;
        assert_eq!(s, StatusCode::OK, "{preview}");
        assert_eq!(
            (preview["dry_run"].as_bool(), preview["format"].as_str()),
            (Some(true), Some("Aegis"))
        );
        let plans = preview["entries"].as_array().unwrap();
        let insta = plans.iter().find(|p| p["issuer"] == "Instagram").unwrap();
        assert_eq!(
            (insta["action"].as_str(), insta["account_id"].as_str()),
            (Some("set"), Some(ig.as_str())),
            "{insta}"
        );
        assert!(plans.iter().any(|p| p["action"] == "create"));
        assert!(
            !preview.to_string().to_lowercase().contains("secret\":"),
            "no seeds in the preview"
        );
        assert_eq!(owner.get("/accounts").await.1.as_array().unwrap().len(), 1);
        assert_eq!(
            code(&owner.get(&format!("/accounts/{ig}/totp/code")).await.1),
            "otp.not_enrolled"
        );
        // Applying needs step-up.
        let (s, v) = import(&owner, fixture("aegis_plain.json"), "?dry_run=false").await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        owner.step_up("owner-password-1").await;
        let (s, done) = import(&owner, fixture("aegis_plain.json"), "?dry_run=false").await;
        assert_eq!(s, StatusCode::OK, "{done}");
        assert_eq!(done["set"], preview["set"]);
        assert_eq!(done["created"], preview["created"]);
        let (_, c) = owner.get(&format!("/accounts/{ig}/totp/code")).await;
        assert_eq!(
            c["code"].as_str().map(str::len),
            Some(6),
            "active at once: {c}"
        );
        let accounts = owner.get("/accounts").await.1.as_array().unwrap().len();
        assert_eq!(accounts, 1 + done["created"].as_u64().unwrap() as usize);
        // Importing again skips what is already set.
        let (_, again) = import(&owner, fixture("aegis_plain.json"), "?dry_run=false").await;
        assert_eq!(again["set"], 0);
        assert!(again["skipped"].as_u64().unwrap() >= 1);
        // Every other format parses and previews.
        for (file, format) in [
            ("2fas_backup.2fas", "2FAS"),
            ("bitwarden_export.json", "Bitwarden"),
            ("bitwarden_export.csv", "Bitwarden CSV"),
            ("accounts.csv", "CSV"),
            ("google_authenticator_export.txt", "otpauth list"),
            ("otpauth_list.txt", "otpauth list"),
        ] {
            let (s, v) = import(&owner, fixture(file), "").await;
            assert_eq!(
                (s, v["format"].as_str()),
                (StatusCode::OK, Some(format)),
                "{file}: {v}"
            );
            assert!(!v["entries"].as_array().unwrap().is_empty(), "{file}");
        }
        // A Google Authenticator export QR code picture.
        let google = String::from_utf8(fixture("google_authenticator_export.txt")).unwrap();
        let first = google
            .lines()
            .find(|l| l.starts_with("otpauth-migration://"))
            .unwrap()
            .to_owned();
        let (s, v) = import(&owner, qr_screenshot(&first), "").await;
        assert_eq!(
            (s, v["format"].as_str()),
            (StatusCode::OK, Some("QR code picture")),
            "{v}"
        );
        let (s, v) = import(&owner, fixture("aegis_encrypted.json"), "").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let (s, v) = import(&owner, b"hello".to_vec(), "").await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "import.unrecognized");

        // Export: Owner or Super Admin with step-up; plain list or age.
        let member = t.user(&owner, "m@acme.test", "admin").await;
        member.step_up("member-password-1").await;
        let (s, _) = member
            .post("/authenticator/export", &json!({"format": "otpauth"}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let r = owner
            .raw(reqwest::Method::POST, "/api/v1/authenticator/export")
            .json(&json!({"format": "otpauth"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let n: usize = r.headers()["x-orthrus-entries"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let list = r.text().await.unwrap();
        assert_eq!(
            list.lines().filter(|l| l.starts_with("otpauth://")).count(),
            n
        );
        let (s, v) = owner
            .post(
                "/authenticator/export",
                &json!({"format": "age", "passphrase": "short"}),
            )
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "export.weak_passphrase");
        let r = owner
            .raw(reqwest::Method::POST, "/api/v1/authenticator/export")
            .json(&json!({"format": "age", "passphrase": "correct horse battery staple"}))
            .send()
            .await
            .unwrap();
        let sealed = r.bytes().await.unwrap().to_vec();
        assert!(sealed.starts_with(b"age-encryption.org/v1\n-> scrypt "));
        assert!(orthrus_app::age_decrypt(&sealed, "wrong passphrase here").is_err());
        let opened = String::from_utf8(
            orthrus_app::age_decrypt(&sealed, "correct horse battery staple").unwrap(),
        )
        .unwrap();
        assert_eq!(opened, list, "the age file holds the same list");
        // The export round-trips through the import.
        let (_, back) = import(&owner, opened.into_bytes(), "").await;
        assert_eq!(back["entries"].as_array().unwrap().len(), n);
        let (_, audit) = owner.get("/audit?action=otp.export").await;
        assert_eq!(audit.as_array().unwrap().len(), 2);
    }
}

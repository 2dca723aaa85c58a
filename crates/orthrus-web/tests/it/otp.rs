//! The team authenticator over the API: enrolment by key, URI and QR
//! screenshot, the verify step, codes for members (checked against
//! `oathtool`), the ledger, "already used", freshness and replay protection.

use crate::support::*;
use orthrus_core::Clock;
use reqwest::StatusCode;
use serde_json::json;

/// What `oathtool` says at the fake clock's time (+ `offset` seconds).
fn oathtool(t: &TestApp, args: &[&str], secret: &str, offset: i64) -> String {
    let now = t.clock.now().unix_seconds() + offset;
    let out = std::process::Command::new("oathtool")
        .args(args)
        .args(["-b", secret, "--now", &format!("@{now}")])
        .output()
        .expect("oathtool (Debian package oathtool) must be installed: ./scripts/test installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

struct Team {
    owner: Client,
    member: Client,
    admin: Client,
    outsider: Client,
    id: String,
}

async fn team(t: &TestApp) -> Team {
    let owner = t.owner().await;
    let member = t.user(&owner, "intern@acme.test", "user").await;
    let admin = t.user(&owner, "it@acme.test", "admin").await;
    let outsider = t.user(&owner, "other@acme.test", "user").await;
    let id = owner.account("Brand Instagram", "ig-password").await;
    let (s, _) = owner
        .post(
            &format!("/accounts/{id}/members"),
            &json!({"user_id": member.user_id, "role": "collaborator"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    Team {
        owner,
        member,
        admin,
        outsider,
        id,
    }
}

#[tokio::test]
async fn enrol_by_key_verify_done_and_every_member_gets_the_oathtool_code() {
    for t in TestApp::all("otpkey").await {
        let tm = team(&t).await;
        let id = &tm.id;
        // Changing MFA needs step-up.
        let (s, v) = tm
            .owner
            .send(
                reqwest::Method::PUT,
                &format!("/accounts/{id}/totp"),
                Some(&json!({"secret": "JBSWY3DPEHPK3PXP"})),
            )
            .await;
        assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "step_up.required"));
        tm.owner.step_up("owner-password-1").await;
        // A bad key names the first bad character.
        let (s, v) = tm
            .owner
            .send(
                reqwest::Method::PUT,
                &format!("/accounts/{id}/totp"),
                Some(&json!({"secret": "JBSW1Y3DPEHPK3PXP"})),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "otp.invalid_secret")
        );
        assert!(
            v["error"]["message"].as_str().unwrap().contains("'1'"),
            "{v}"
        );
        // An 80-bit key typed the way Instagram shows it: grouped, lower case.
        let (s, v) = tm
            .owner
            .send(
                reqwest::Method::PUT,
                &format!("/accounts/{id}/totp"),
                Some(&json!({"secret": "jbsw y3dp ehpk 3pxp", "issuer": "Instagram"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["state"], "pending");
        assert_eq!(v["code"], oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0));
        assert!(v["seconds_remaining"].as_i64().unwrap() > 0);
        // Pending: members get nothing yet.
        let (s, v) = tm.member.get(&format!("/accounts/{id}/totp/code")).await;
        assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "otp.not_enrolled"));
        let (s, st) = tm
            .owner
            .post(&format!("/accounts/{id}/totp/confirm"), &json!({}))
            .await;
        assert_eq!(
            (s, st["active"]["state"].as_str()),
            (StatusCode::OK, Some("active")),
            "{st}"
        );
        assert_eq!(
            (
                st["active"]["issuer"].as_str(),
                st["active"]["enrolled_by"].as_str()
            ),
            (Some("Instagram"), Some("owner@acme.test"))
        );
        assert!(st["pending"].is_null());
        // Every member, at many times, gets what oathtool computes.
        for step in 0..6 {
            t.clock.advance_secs(17 + step * 13);
            let (s, v) = tm
                .member
                .get(&format!("/accounts/{id}/totp/code?via=view"))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(
                v["code"],
                oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0),
                "{} step {step}",
                t.backend
            );
            assert_eq!(
                v["next_code"],
                oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 30)
            );
            let rem = v["seconds_remaining"].as_i64().unwrap();
            assert!((1..=30).contains(&rem));
            assert_eq!(v["period"], 30);
        }
        // Who may not: a non-member is told nothing exists; an Admin sees
        // metadata but no codes.
        assert_eq!(
            tm.outsider
                .get(&format!("/accounts/{id}/totp/code"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            tm.admin.get(&format!("/accounts/{id}/totp/code")).await.0,
            StatusCode::FORBIDDEN
        );
        let (s, meta) = tm.admin.get(&format!("/accounts/{id}/totp")).await;
        assert_eq!(
            (s, meta["active"]["algorithm"].as_str()),
            (StatusCode::OK, Some("sha1"))
        );
        // The seed never comes back, in any read or in the audit log.
        let (_, audit) = tm.owner.get(&format!("/audit?target_id={id}")).await;
        for text in [meta.to_string(), st.to_string(), audit.to_string()] {
            assert!(
                !text.contains("JBSWY3DPEHPK3PXP") && !text.to_lowercase().contains("jbsw y3dp"),
                "{text}"
            );
        }
        assert!(
            audit
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "account.mfa_enabled")
        );
        // The ledger recorded each view.
        let (s, ledger) = tm.owner.get(&format!("/accounts/{id}/totp/ledger")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            ledger
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["by"] == "intern@acme.test" && l["how"] == "view")
                .count(),
            6
        );
        assert_eq!(
            tm.member
                .get(&format!("/accounts/{id}/totp/ledger"))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn uri_steam_and_hotp_parameters() {
    let t = TestApp::sqlite().await;
    let tm = team(&t).await;
    tm.owner.step_up("owner-password-1").await;
    let put = |body: serde_json::Value| {
        let c = tm.owner.clone();
        let path = format!("/accounts/{}/totp", tm.id);
        async move { c.send(reqwest::Method::PUT, &path, Some(&body)).await }
    };
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
    let (s, v) = put(json!({"otpauth_uri": format!("otpauth://totp/ACME%20Co:ads%40acme.test?secret={secret}&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60")})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["code"],
        oathtool(&t, &["--totp=sha256", "-d", "8", "-s", "60"], secret, 0)
    );
    assert_eq!(
        (
            v["meta"]["issuer"].as_str(),
            v["meta"]["digits"].as_i64(),
            v["meta"]["period"].as_i64()
        ),
        (Some("ACME Co"), Some(8), Some(60))
    );
    let (s, v) = put(json!({"otpauth_uri": "otpauth-migration://offline?data=abc"})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "otp.migration_uri")
    );
    let (s, v) =
        put(json!({"otpauth_uri": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=12"})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "otp.invalid_parameters"),
        "{v}"
    );
    let (s, v) = put(json!({"secret": "JBSWY3DPEHPK3PXP", "otpauth_uri": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"})).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "otp.one_source"));
    // Steam Guard: five characters from Steam's alphabet.
    let (_, v) = put(json!({"secret": "JBSWY3DPEHPK3PXP", "steam": true})).await;
    let c = v["code"].as_str().unwrap();
    assert!(
        c.len() == 5
            && c.chars()
                .all(|ch| "23456789BCDFGHJKMNPQRTVWXY".contains(ch)),
        "{c}"
    );
    // HOTP: the counter moves on with every code handed out.
    let (_, v) =
        put(json!({"otpauth_uri": "otpauth://hotp/Vendor:ops?secret=JBSWY3DPEHPK3PXP&counter=7"}))
            .await;
    assert_eq!(
        v["code"],
        oathtool(&t, &["--hotp", "-c", "7"], "JBSWY3DPEHPK3PXP", 0)
    );
    tm.owner
        .post(&format!("/accounts/{}/totp/confirm", tm.id), &json!({}))
        .await;
    // A Collaborator may not hand out HOTP codes (each one stays valid).
    let (s, v) = tm
        .member
        .post(&format!("/accounts/{}/totp/code", tm.id), &json!({}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "permission.denied"));
    // A GET shows no HOTP code: it would use one up (a link or a prefetch
    // could burn counters); a POST hands it out.
    let (s, v) = tm
        .owner
        .get(&format!("/accounts/{}/totp/code", tm.id))
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "otp.hotp_needs_post")
    );
    let (_, v) = tm
        .owner
        .post(&format!("/accounts/{}/totp/code", tm.id), &json!({}))
        .await;
    assert_eq!(
        (v["step"].as_i64(), v["kind"].as_str()),
        (Some(7), Some("hotp"))
    );
    assert!(v["next_code"].is_null(), "no future HOTP code: {v}");
    let (s, _) = tm
        .owner
        .post(
            &format!("/accounts/{}/totp/used", tm.id),
            &json!({"step": 7}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = tm
        .owner
        .post(&format!("/accounts/{}/totp/code", tm.id), &json!({}))
        .await;
    assert_eq!(
        v["code"],
        oathtool(&t, &["--hotp", "-c", "8"], "JBSWY3DPEHPK3PXP", 0)
    );
}

/// A phone-screenshot-like PNG with a QR code of `text` in it.
fn qr_screenshot(text: &str) -> Vec<u8> {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let n = code.width() as u32;
    let px = 8;
    let mut img = image::RgbImage::from_pixel(720, 1280, image::Rgb([242, 242, 247]));
    for y in 0..120 {
        for x in 0..720 {
            img.put_pixel(x, y, image::Rgb([193, 53, 132]));
        }
    }
    let (ox, oy) = (120, 400);
    for y in 0..(n + 8) * px {
        for x in 0..(n + 8) * px {
            img.put_pixel(ox + x, oy + y, image::Rgb([255, 255, 255]));
        }
    }
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i as u32 % n, i as u32 / n);
            for dy in 0..px {
                for dx in 0..px {
                    img.put_pixel(
                        ox + (mx + 4) * px + dx,
                        oy + (my + 4) * px + dy,
                        image::Rgb([20, 20, 20]),
                    );
                }
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn enrol_from_a_qr_code_screenshot() {
    let t = TestApp::sqlite().await;
    let tm = team(&t).await;
    tm.owner.step_up("owner-password-1").await;
    let png = qr_screenshot(
        "otpauth://totp/TikTok:acme.ads?secret=KRUGS4ZANFZSAYJAORSXG5A&issuer=TikTok",
    );
    let url = format!("{}/api/v1/accounts/{}/totp/qr", t.url, tm.id);
    let r = t
        .http
        .post(&url)
        .bearer_auth(tm.owner.token.as_deref().unwrap())
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (v["meta"]["issuer"].as_str(), v["meta"]["source"].as_str()),
        (Some("TikTok"), Some("qr"))
    );
    assert_eq!(
        v["code"],
        oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0)
    );
    // A picture without a QR code, and something that is not a picture.
    let blank = {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(200, 200, image::Rgb([255, 255, 255]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    };
    for (body, ct) in [
        (blank, "image/png"),
        (b"not an image".to_vec(), "image/png"),
    ] {
        let r = t
            .http
            .post(&url)
            .bearer_auth(tm.owner.token.as_deref().unwrap())
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(code(&r.json().await.unwrap()), "otp.invalid_qr");
    }
    let r = t
        .http
        .post(&url)
        .bearer_auth(tm.owner.token.as_deref().unwrap())
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn reseeding_keeps_the_old_seed_until_the_new_one_is_confirmed() {
    for t in TestApp::all("otpreseed").await {
        let tm = team(&t).await;
        let id = &tm.id;
        tm.owner.step_up("owner-password-1").await;
        let put = |secret: &'static str| {
            let c = tm.owner.clone();
            let path = format!("/accounts/{id}/totp");
            async move {
                c.send(
                    reqwest::Method::PUT,
                    &path,
                    Some(&json!({"secret": secret})),
                )
                .await
            }
        };
        put("JBSWY3DPEHPK3PXP").await;
        tm.owner
            .post(&format!("/accounts/{id}/totp/confirm"), &json!({}))
            .await;
        let old = oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0);
        let (s, v) = put("KRUGS4ZANFZSAYJAORSXG5A").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            v["code"],
            oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0)
        );
        let (_, v) = tm.member.get(&format!("/accounts/{id}/totp/code")).await;
        assert_eq!(
            v["code"], old,
            "the old seed keeps working while the new one is pending"
        );
        let (_, st) = tm.owner.get(&format!("/accounts/{id}/totp")).await;
        assert!(st["active"].is_object() && st["pending"].is_object());
        // Cancel: nothing changes for members.
        assert_eq!(
            tm.owner
                .delete(&format!("/accounts/{id}/totp/pending"))
                .await
                .0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            tm.member.get(&format!("/accounts/{id}/totp/code")).await.1["code"],
            old
        );
        assert_eq!(
            tm.owner
                .post(&format!("/accounts/{id}/totp/confirm"), &json!({}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        // Re-seed and confirm: the new code from now on. "Done" for an
        // enrolment that was replaced meanwhile confirms nothing.
        let (_, first) = put("KRUGS4ZANFZSAYJAORSXG5A").await;
        put("KRUGS4ZANFZSAYJAORSXG5A").await;
        let (s, v) = tm
            .owner
            .post(
                &format!("/accounts/{id}/totp/confirm"),
                &json!({"enrollment_id": first["enrollment_id"]}),
            )
            .await;
        assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "otp.no_pending"));
        let (_, pending) = tm.owner.get(&format!("/accounts/{id}/totp/pending")).await;
        assert_eq!(
            pending["code"],
            oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0)
        );
        tm.owner
            .post(&format!("/accounts/{id}/totp/confirm"), &json!({}))
            .await;
        assert_eq!(
            tm.member.get(&format!("/accounts/{id}/totp/code")).await.1["code"],
            oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0)
        );
        // Only owners manage it; removing needs step-up like enrolling.
        assert_eq!(
            tm.member.delete(&format!("/accounts/{id}/totp")).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            tm.owner.delete(&format!("/accounts/{id}/totp")).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            code(&tm.member.get(&format!("/accounts/{id}/totp/code")).await.1),
            "otp.not_enrolled"
        );
    }
}

#[tokio::test]
async fn already_used_freshness_and_replay() {
    for t in TestApp::all("otpused").await {
        let tm = team(&t).await;
        let id = &tm.id;
        tm.owner.step_up("owner-password-1").await;
        tm.owner
            .send(
                reqwest::Method::PUT,
                &format!("/accounts/{id}/totp"),
                Some(&json!({"secret": "JBSWY3DPEHPK3PXP"})),
            )
            .await;
        tm.owner
            .post(&format!("/accounts/{id}/totp/confirm"), &json!({}))
            .await;
        // Put the clock 10 s into a step.
        let now = t.clock.now().unix_seconds();
        t.clock.advance_secs(30 - now % 30 + 10);
        let (_, first) = tm
            .owner
            .get(&format!("/accounts/{id}/totp/code?via=view"))
            .await;
        let step = first["step"].as_i64().unwrap();
        // Only the current code (or a neighbour) can be marked used.
        let (s, v) = tm
            .member
            .post(
                &format!("/accounts/{id}/totp/used"),
                &json!({"step": step + 100}),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "otp.step_out_of_range")
        );
        let (s, v) = tm
            .owner
            .post(
                &format!("/accounts/{id}/totp/used"),
                &json!({"step": step, "via": "autofill"}),
            )
            .await;
        assert_eq!(
            (s, v["newly_marked"].as_bool()),
            (StatusCode::OK, Some(true))
        );
        t.clock.advance_secs(3);
        // A person is told; a machine gets the next code instead.
        let (_, seen) = tm
            .member
            .get(&format!("/accounts/{id}/totp/code?via=view"))
            .await;
        assert_eq!(seen["step"].as_i64(), Some(step));
        let msg = seen["used"]["message"].as_str().unwrap();
        assert!(
            msg.starts_with("this code was used by owner@acme.test 3 s ago — next code in 17 s"),
            "{msg}"
        );
        let (_, machine) = tm
            .member
            .get(&format!("/accounts/{id}/totp/code?via=automation"))
            .await;
        assert_eq!(machine["step"].as_i64(), Some(step + 1));
        assert_eq!(machine["seconds_remaining"].as_i64(), Some(30));
        assert!(machine["used"].is_null());
        // Freshness: 3 s left is too little for the CLI; it waits.
        t.clock.advance_secs(27);
        let (_, cli) = tm
            .member
            .get(&format!("/accounts/{id}/totp/code?via=cli"))
            .await;
        assert_eq!(
            (cli["step"].as_i64(), cli["seconds_remaining"].as_i64()),
            (Some(step + 2), Some(30))
        );
        let (_, asked) = tm
            .member
            .get(&format!("/accounts/{id}/totp/code?via=api&fresh=10"))
            .await;
        assert_eq!(
            asked["step"].as_i64(),
            Some(step + 2),
            "api waits only when asked, and only for machine uses"
        );
        // Validation with replay protection.
        let good = oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0);
        let (_, v) = tm
            .member
            .post(
                &format!("/accounts/{id}/totp/verify"),
                &json!({"code": good}),
            )
            .await;
        assert_eq!(v["valid"], true);
        let (_, v) = tm
            .member
            .post(
                &format!("/accounts/{id}/totp/verify"),
                &json!({"code": good}),
            )
            .await;
        assert_eq!(v["valid"], false, "a replayed code is refused");
        let previous = oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", -30);
        let (_, v) = tm
            .member
            .post(
                &format!("/accounts/{id}/totp/verify"),
                &json!({"code": previous, "skew": 0}),
            )
            .await;
        assert_eq!(v["valid"], false, "skew 0 accepts only the current step");
        let (_, v) = tm
            .member
            .post(
                &format!("/accounts/{id}/totp/verify"),
                &json!({"code": "000000"}),
            )
            .await;
        assert_eq!(v["valid"], false);
        let (s, v) = tm
            .member
            .get(&format!("/accounts/{id}/totp/code?via=carrier-pigeon"))
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "request.invalid_query")
        );
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../orthrus-otp/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn import(
    t: &TestApp,
    c: &Client,
    body: Vec<u8>,
    query: &str,
) -> (StatusCode, serde_json::Value) {
    let r = t
        .http
        .post(format!("{}/api/v1/authenticator/import{query}", t.url))
        .bearer_auth(c.token.as_deref().unwrap())
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
        let (s, preview) = import(&t, &owner, fixture("aegis_plain.json"), "").await;
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
        let (s, v) = import(&t, &owner, fixture("aegis_plain.json"), "?dry_run=false").await;
        assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "step_up.required"));
        owner.step_up("owner-password-1").await;
        let (s, done) = import(&t, &owner, fixture("aegis_plain.json"), "?dry_run=false").await;
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
        let (_, again) = import(&t, &owner, fixture("aegis_plain.json"), "?dry_run=false").await;
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
            let (s, v) = import(&t, &owner, fixture(file), "").await;
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
        let (s, v) = import(&t, &owner, qr_screenshot(&first), "").await;
        assert_eq!(
            (s, v["format"].as_str()),
            (StatusCode::OK, Some("QR code picture")),
            "{v}"
        );
        let (s, v) = import(&t, &owner, fixture("aegis_encrypted.json"), "").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let (s, v) = import(&t, &owner, b"hello".to_vec(), "").await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "import.unrecognized")
        );

        // Export: Owner or Super Admin with step-up; plain list or age.
        let member = t.user(&owner, "m@acme.test", "admin").await;
        member.step_up("member-password-1").await;
        let (s, _) = member
            .post("/authenticator/export", &json!({"format": "otpauth"}))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let r = t
            .http
            .post(format!("{}/api/v1/authenticator/export", t.url))
            .bearer_auth(owner.token.as_deref().unwrap())
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
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "export.weak_passphrase")
        );
        let r = t
            .http
            .post(format!("{}/api/v1/authenticator/export", t.url))
            .bearer_auth(owner.token.as_deref().unwrap())
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
        let (_, back) = import(&t, &owner, opened.into_bytes(), "").await;
        assert_eq!(back["entries"].as_array().unwrap().len(), n);
        let (_, audit) = owner.get("/audit?action=otp.export").await;
        assert_eq!(audit.as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn mfa_settings_in_the_ui_by_link_and_by_qr_upload() {
    let t = TestApp::sqlite().await;
    let tm = team(&t).await;
    let id = tm.id.clone();
    // Sign in through the form for a cookie session.
    let r = t
        .http
        .post(format!("{}/login", t.url))
        .form(&[
            ("email", "owner@acme.test"),
            ("password", "owner-password-1"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = t
        .app
        .csrf_token(cookie.trim_start_matches("orthrus_session="));
    let hx = |req: reqwest::RequestBuilder| {
        req.header("cookie", &cookie)
            .header("hx-request", "true")
            .header("x-csrf-token", &csrf)
    };
    // Without a fresh identity check, "Set up" asks for one.
    let html = hx(t.http.post(format!("{}/accounts/{id}/mfa/start", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Confirm your identity"), "{html}");
    let html = hx(t.http.post(format!("{}/step-up?then=mfa:{id}", t.url)))
        .form(&[("password", "owner-password-1")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Secret key") && html.contains("otpauth:// link"),
        "{html}"
    );
    // A bad link is explained in place, beside the link.
    let html = hx(t.http.post(format!("{}/accounts/{id}/mfa/uri", t.url)))
        .form(&[("uri", "otpauth://totp/x?secret=11111111")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"uri-error\"") && html.contains("Secret key"),
        "{html}"
    );
    // By link: the verify step shows oathtool's code; Done turns it on.
    let html = hx(t.http.post(format!("{}/accounts/{id}/mfa/uri", t.url)))
        .form(&[(
            "uri",
            "otpauth://totp/Instagram:brand?secret=JBSWY3DPEHPK3PXP&issuer=Instagram",
        )])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Verify your code")
            && html.contains(&oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0)),
        "{html}"
    );
    let html = hx(t.http.post(format!("{}/accounts/{id}/mfa/confirm", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Authenticator on"), "{html}");
    // By QR screenshot (multipart upload): pending until Done.
    let form = reqwest::multipart::Form::new().part(
        "qr",
        reqwest::multipart::Part::bytes(qr_screenshot(
            "otpauth://totp/Instagram:brand?secret=KRUGS4ZANFZSAYJAORSXG5A&issuer=Instagram",
        ))
        .file_name("qr.png")
        .mime_str("image/png")
        .unwrap(),
    );
    let html = hx(t.http.post(format!("{}/accounts/{id}/mfa/qr", t.url)))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0)),
        "{html}"
    );
    let tile = hx(t.http.get(format!("{}/accounts/{id}/code-tile", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        tile.contains(&oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0)),
        "the old key until Done: {tile}"
    );
    hx(t.http.post(format!("{}/accounts/{id}/mfa/confirm", t.url)))
        .send()
        .await
        .unwrap();
    let tile = hx(t.http.get(format!("{}/accounts/{id}/code-tile", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        tile.contains(&oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0))
            && tile.contains("hx-trigger=\"load delay:"),
        "{tile}"
    );
    // The tile offers "I used this code"; after it, the tile says so.
    let step = tile
        .split("code/used?step=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let tile = hx(t
        .http
        .post(format!("{}/accounts/{id}/code/used?step={step}", t.url)))
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        tile.contains("this code was used by owner@acme.test"),
        "{tile}"
    );
    let copied = hx(t.http.post(format!("{}/accounts/{id}/code/copy", t.url)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(copied.contains("data-copy-now="));
    let (_, ledger) = tm.owner.get(&format!("/accounts/{id}/totp/ledger")).await;
    assert!(
        ledger
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["how"] == "copy")
    );
}

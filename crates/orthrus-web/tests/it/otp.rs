//! The team authenticator over the API: enrolment by key, URI and QR
//! screenshot, the verify step, codes for members (checked against
//! `oathtool`), the ledger, "already used", freshness and replay protection.
//! Its helpers (`team`, `oathtool`, `qr_screenshot`) serve `otp_ui.rs` and
//! `otp_transfer.rs` too.

use crate::support::*;
use orthrus_core::Clock;
use reqwest::StatusCode;
use serde_json::json;

/// What `oathtool` says at the fake clock's time (+ `offset` seconds).
pub(crate) fn oathtool(t: &TestApp, args: &[&str], secret: &str, offset: i64) -> String {
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

pub(crate) struct Team {
    pub(crate) owner: Client,
    pub(crate) member: Client,
    pub(crate) admin: Client,
    pub(crate) outsider: Client,
    pub(crate) id: String,
}

pub(crate) async fn team(t: &TestApp) -> Team {
    let owner = t.owner().await;
    let member = t.user(&owner, "intern@acme.test", "user").await;
    let admin = t.user(&owner, "it@acme.test", "admin").await;
    let outsider = t.user(&owner, "other@acme.test", "user").await;
    let id = owner.account("Brand Instagram", "ig-password").await;
    let (s, _) = owner.add_member(&id, &member.user_id, "collaborator").await;
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
            .put_totp(id, &json!({"secret": "JBSWY3DPEHPK3PXP"}))
            .await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        tm.owner.step_up("owner-password-1").await;
        // A bad key names the first bad character.
        let (s, v) = tm
            .owner
            .put_totp(id, &json!({"secret": "JBSW1Y3DPEHPK3PXP"}))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "otp.invalid_secret");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("'1'"),
            "{v}"
        );
        // An 80-bit key typed the way Instagram shows it: grouped, lower case.
        let (s, v) = tm
            .owner
            .put_totp(
                id,
                &json!({"secret": "jbsw y3dp ehpk 3pxp", "issuer": "Instagram"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["state"], "pending");
        assert_eq!(v["code"], oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0));
        assert!(v["seconds_remaining"].as_i64().unwrap() > 0);
        // Pending: members get nothing yet.
        let (s, v) = tm.member.totp_code(id).await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "otp.not_enrolled");
        let (s, st) = tm.owner.confirm_totp(id).await;
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
        assert_eq!(tm.outsider.totp_code(id).await.0, StatusCode::NOT_FOUND);
        assert_eq!(tm.admin.totp_code(id).await.0, StatusCode::FORBIDDEN);
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
    assert_code(s, &v, StatusCode::BAD_REQUEST, "otp.migration_uri");
    let (s, v) =
        put(json!({"otpauth_uri": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=12"})).await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "otp.invalid_parameters");
    let (s, v) = put(json!({"secret": "JBSWY3DPEHPK3PXP", "otpauth_uri": "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"})).await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "otp.one_source");
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
    assert_code(s, &v, StatusCode::FORBIDDEN, "permission.denied");
    // A GET shows no HOTP code: it would use one up (a link or a prefetch
    // could burn counters); a POST hands it out.
    let (s, v) = tm
        .owner
        .get(&format!("/accounts/{}/totp/code", tm.id))
        .await;
    assert_code(s, &v, StatusCode::BAD_REQUEST, "otp.hotp_needs_post");
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
pub(crate) fn qr_screenshot(text: &str) -> Vec<u8> {
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
        tm.owner.confirm_totp(id).await;
        let old = oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", 0);
        let (s, v) = put("KRUGS4ZANFZSAYJAORSXG5A").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            v["code"],
            oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0)
        );
        let (_, v) = tm.member.totp_code(id).await;
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
        assert_eq!(tm.member.totp_code(id).await.1["code"], old);
        assert_eq!(tm.owner.confirm_totp(id).await.0, StatusCode::NOT_FOUND);
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
        assert_code(s, &v, StatusCode::NOT_FOUND, "otp.no_pending");
        let (_, pending) = tm.owner.get(&format!("/accounts/{id}/totp/pending")).await;
        assert_eq!(
            pending["code"],
            oathtool(&t, &["--totp"], "KRUGS4ZANFZSAYJAORSXG5A", 0)
        );
        tm.owner.confirm_totp(id).await;
        assert_eq!(
            tm.member.totp_code(id).await.1["code"],
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
        assert_eq!(code(&tm.member.totp_code(id).await.1), "otp.not_enrolled");
    }
}

#[tokio::test]
async fn already_used_freshness_and_replay() {
    for t in TestApp::all("otpused").await {
        let tm = team(&t).await;
        let id = &tm.id;
        tm.owner.step_up("owner-password-1").await;
        tm.owner
            .put_totp(id, &json!({"secret": "JBSWY3DPEHPK3PXP"}))
            .await;
        tm.owner.confirm_totp(id).await;
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
        assert_code(s, &v, StatusCode::BAD_REQUEST, "otp.step_out_of_range");
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
        let (_, v) = tm.member.verify_totp(id, &json!({"code": good})).await;
        assert_eq!(v["valid"], true);
        let (_, v) = tm.member.verify_totp(id, &json!({"code": good})).await;
        assert_eq!(v["valid"], false, "a replayed code is refused");
        let previous = oathtool(&t, &["--totp"], "JBSWY3DPEHPK3PXP", -30);
        let (_, v) = tm
            .member
            .verify_totp(id, &json!({"code": previous, "skew": 0}))
            .await;
        assert_eq!(v["valid"], false, "skew 0 accepts only the current step");
        let (_, v) = tm.member.verify_totp(id, &json!({"code": "000000"})).await;
        assert_eq!(v["valid"], false);
        let (s, v) = tm
            .member
            .get(&format!("/accounts/{id}/totp/code?via=carrier-pigeon"))
            .await;
        assert_code(s, &v, StatusCode::BAD_REQUEST, "request.invalid_query");
    }
}

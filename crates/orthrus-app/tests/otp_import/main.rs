//! `App::import_otp` against real stores, without HTTP: which account each
//! imported seed lands on, and what the preview says about the entries it
//! does not apply. Every test runs on SQLite and, when
//! `ORTHRUS_TEST_DATABASE_URL` is set, on PostgreSQL too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orthrus_app::{Actor, App, ImportEntryPlan, ImportReport, NewAccount};
use orthrus_store::{AccountRow, Store};
use std::sync::Arc;

// The `it` suite's harness; this suite uses its `TestApp` alone.
#[allow(dead_code)]
#[path = "../it/support.rs"]
mod support;

use support::TestApp;

pub struct Harness {
    pub app: App,
    pub store: Arc<dyn Store>,
    /// The workspace Owner, as a local command acts (no step-up needed).
    pub owner: Actor,
    pub backend: &'static str,
    _t: TestApp,
}

impl Harness {
    /// SQLite always; PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set.
    pub async fn all(tag: &str) -> Vec<Self> {
        TestApp::all(tag)
            .await
            .into_iter()
            .map(|t| Self {
                app: t.app.clone(),
                store: Arc::clone(t.app.store()),
                owner: t.owner.clone(),
                backend: t.app.store().backend(),
                _t: t,
            })
            .collect()
    }

    /// Creates an account as the Owner; returns its id.
    pub async fn account(&self, app: &str, label: &str, username: &str) -> String {
        self.app
            .create_account(
                &self.owner,
                NewAccount {
                    app: app.into(),
                    label: label.into(),
                    login_url: String::new(),
                    username: username.into(),
                    password: "account-password".into(),
                    notes: None,
                    fields: Vec::new(),
                },
            )
            .await
            .unwrap()
            .summary
            .id
    }

    /// The Instagram account "Brand Instagram" (acme.social); its id.
    pub async fn brand_instagram(&self) -> String {
        self.account("instagram", "Brand Instagram", "acme.social")
            .await
    }

    /// The workspace's accounts, as stored.
    pub async fn accounts(&self) -> Vec<AccountRow> {
        self.store
            .list_accounts(self.owner.workspace_id)
            .await
            .unwrap()
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../orthrus-otp/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (issuer, account name, action) of every entry of a report.
fn actions(r: &ImportReport) -> Vec<(String, String, &'static str)> {
    r.entries
        .iter()
        .map(|p| {
            (
                p.issuer.clone().unwrap_or_default(),
                p.account_name.clone().unwrap_or_default(),
                p.action.as_str(),
            )
        })
        .collect()
}

fn entry<'a>(r: &'a ImportReport, issuer: &str) -> &'a ImportEntryPlan {
    r.entries
        .iter()
        .find(|p| p.issuer.as_deref() == Some(issuer))
        .unwrap_or_else(|| panic!("no {issuer} entry in {r:?}"))
}

fn triple(issuer: &str, name: &str, action: &'static str) -> (String, String, &'static str) {
    (issuer.to_owned(), name.to_owned(), action)
}

/// Issue 14, item 2: Bitwarden's own CSV export imports; its logins without
/// a TOTP and its notes are counted, its one bad row is listed as invalid
/// and every other row imports.
#[tokio::test]
async fn bitwarden_csv_export_imports_all_but_the_bad_row() {
    for h in Harness::all("otp_import_bwcsv").await {
        let ig = h.brand_instagram().await;
        let csv = fixture("bitwarden_export.csv");
        let preview = h.app.import_otp(&h.owner, &csv, true, false).await.unwrap();
        assert_eq!(preview.format, "Bitwarden CSV", "{}", h.backend);
        assert_eq!(
            actions(&preview),
            vec![
                triple("Instagram", "acme.social", "set"),
                triple("GitHub", "alice@example.com", "create"),
                triple("Steam", "acme_gaming", "create"),
                triple("Legacy VPN", "vpn-ops", "invalid"),
                triple("Vendor Portal", "ops@acme.example", "create"),
            ]
        );
        assert_eq!(
            entry(&preview, "Instagram").account_id.as_deref(),
            Some(ig.as_str())
        );
        let steam = entry(&preview, "Steam");
        assert_eq!(
            (steam.kind.as_deref(), steam.digits),
            (Some("steam"), Some(5))
        );
        let bad = entry(&preview, "Legacy VPN");
        assert!(
            bad.reason
                .as_deref()
                .unwrap_or("")
                .starts_with("Bitwarden CSV import: line 10 (Legacy VPN / vpn-ops): the secret key is not valid base32"),
            "{bad:?}"
        );
        assert_eq!(bad.kind, None);
        assert_eq!(
            (
                preview.set,
                preview.created,
                preview.invalid,
                preview.without_otp
            ),
            (1, 3, 1, 2)
        );
        assert_eq!(h.accounts().await.len(), 1);

        let done = h
            .app
            .import_otp(&h.owner, &csv, false, false)
            .await
            .unwrap();
        assert_eq!(actions(&done), actions(&preview));
        let accounts = h.accounts().await;
        assert_eq!(accounts.len(), 4, "{}", h.backend);
        assert!(!accounts.iter().any(|a| a.label.contains("Legacy VPN")));
        let otp = h.store.list_active_otp(h.owner.workspace_id).await.unwrap();
        assert_eq!(otp.len(), 4);
        let steam = otp
            .iter()
            .find(|r| r.issuer.as_deref() == Some("Steam"))
            .unwrap();
        assert_eq!((steam.kind.as_str(), steam.digits), ("steam", 5));

        // A file of logins without any TOTP says so.
        let none = "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\r\n,,login,Wiki,,,0,https://wiki.example,alice,pw,\r\n";
        let err = h
            .app
            .import_otp(&h.owner, none.as_bytes(), true, false)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "import.empty");
        assert!(
            err.to_string().contains("1 item has no one-time password"),
            "{err}"
        );
    }
}

const S1: &str = "YCYBBHMUHHPFP7R4";
const S2: &str = "L3PFM44DO2UMKOT4TG7SOWYHPJOBBX3Y";
const S3: &str = "5PZAZ36JC2PAW4KHAPLD2SAMHZR4MSUF";
const S4: &str = "IOA5YKVRIKCRMDEAQZM25YAF2UJFLLOX";
const S5: &str = "JBSWY3DPEHPK3PXP";

async fn import(h: &Harness, list: &str, dry_run: bool) -> ImportReport {
    h.app
        .import_otp(&h.owner, list.as_bytes(), dry_run, false)
        .await
        .unwrap()
}

/// The account each active seed is on, with the seed's issuer.
async fn seeds(h: &Harness) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = h
        .store
        .list_active_otp(h.owner.workspace_id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.account_id.to_string(), r.issuer.unwrap_or_default()))
        .collect();
    v.sort();
    v
}

/// The one active seed is on `on`, with `issuer`; none is on `not`.
async fn assert_seed_only_on(h: &Harness, on: String, issuer: &str, not: &str) {
    assert_eq!(seeds(h).await, vec![(on, issuer.to_owned())]);
    assert!(!seeds(h).await.iter().any(|(a, _)| *a == not));
}

/// With only the decoy account `not` in the vault, the preview of `list`
/// (one entry of `issuer` for `name`) creates an account; once the account
/// `own` (app, label, username) is there, applying it sets the seed on that
/// one and not on `not`. Returns (preview, applied report, own's id).
async fn preview_then_apply(
    h: &Harness,
    list: &str,
    (issuer, name): (&str, &str),
    not: &str,
    (app, label, username): (&str, &str, &str),
) -> (ImportReport, ImportReport, String) {
    let preview = import(h, list, true).await;
    assert_eq!(
        actions(&preview),
        vec![triple(issuer, name, "create")],
        "{}",
        h.backend
    );
    let own = h.account(app, label, username).await;
    let done = import(h, list, false).await;
    assert_eq!(actions(&done), vec![triple(issuer, name, "set")]);
    assert_seed_only_on(h, own.clone(), issuer, not).await;
    (preview, done, own)
}

/// Issue 14, item 3: the issuer "X" is not "Xero": an account is matched by
/// whole names, never because its label contains the issuer.
#[tokio::test]
async fn an_x_seed_does_not_land_on_xero() {
    for h in Harness::all("otp_import_xero").await {
        let xero = h.account("xero", "Xero", "brand@acme.example").await;
        let list = format!("otpauth://totp/X:brand%40acme.example?secret={S1}&issuer=X\n");
        // With the brand's X account in the vault, that is where it goes.
        let entry = ("X", "brand@acme.example");
        let own = ("x", "Brand X", "brand@acme.example");
        let (preview, done, x) = preview_then_apply(&h, &list, entry, &xero, own).await;
        assert_eq!(
            preview.entries[0].account_label.as_deref(),
            Some("X (brand@acme.example)")
        );
        assert_eq!(done.entries[0].account_id.as_deref(), Some(x.as_str()));
    }
}

/// Issue 14, item 3: the issuer "raspberrypi" is not the account labelled
/// "pi@raspberrypi"; it is the one labelled "Raspberry Pi" (names compare
/// without case or spaces).
#[tokio::test]
async fn a_raspberrypi_seed_does_not_land_on_pi_at_raspberrypi() {
    for h in Harness::all("otp_import_rpi").await {
        let other = h.account("generic", "pi@raspberrypi", "pi").await;
        let list = format!("otpauth://totp/raspberrypi:pi?secret={S2}&issuer=raspberrypi\n");
        let own = ("generic", "Raspberry Pi", "pi");
        let (preview, _, _) =
            preview_then_apply(&h, &list, ("raspberrypi", "pi"), &other, own).await;
        assert_eq!(preview.entries[0].account_id, None);
    }
}

/// Issue 14, item 3: an entry that matches two accounts, and two entries
/// with different secrets for one account, are shown as ambiguous and left
/// alone, in the preview and when applied; the rest of the file imports.
#[tokio::test]
async fn ambiguous_matches_are_shown_and_not_applied() {
    for h in Harness::all("otp_import_ambiguous").await {
        h.account("github", "GitHub", "alice@example.com").await;
        h.account("github", "GitHub Acme org", "Alice@Example.com")
            .await;
        h.account("generic", "Vendor Portal", "ops@acme.example")
            .await;
        let list = format!(
            "otpauth://totp/GitHub:alice%40example.com?secret={S1}&issuer=GitHub\n\
             otpauth://totp/Vendor%20Portal:ops%40acme.example?secret={S2}&issuer=Vendor%20Portal\n\
             otpauth://totp/Vendor%20Portal:ops%40acme.example?secret={S3}&issuer=Vendor%20Portal\n\
             otpauth://totp/Acme%20VPN:vpn-token?secret={S4}&issuer=Acme%20VPN\n"
        );
        for dry_run in [true, false] {
            let r = import(&h, &list, dry_run).await;
            assert_eq!(
                actions(&r),
                vec![
                    triple("GitHub", "alice@example.com", "ambiguous"),
                    triple("Vendor Portal", "ops@acme.example", "ambiguous"),
                    triple("Vendor Portal", "ops@acme.example", "ambiguous"),
                    triple("Acme VPN", "vpn-token", "create"),
                ],
                "{} dry_run={dry_run}",
                h.backend
            );
            let github = r.entries[0].reason.as_deref().unwrap_or("");
            assert!(
                github.starts_with("ambiguous: matches ")
                    && github.contains("GitHub and ")
                    && github.contains("GitHub Acme org"),
                "{github}"
            );
            let vendor = r.entries[1].reason.as_deref().unwrap_or("");
            assert!(
                vendor.starts_with("ambiguous: entries 2 and 3 both match Vendor Portal"),
                "{vendor}"
            );
            assert_eq!(r.entries[2].reason, r.entries[1].reason);
            assert_eq!(
                (
                    r.ambiguous,
                    r.set,
                    r.created,
                    r.entries[0].account_id.clone()
                ),
                (3, 0, 1, None)
            );
        }
        // Only the VPN seed was written, on a new account.
        let seeds = seeds(&h).await;
        assert_eq!(seeds.len(), 1);
        assert_eq!(seeds[0].1, "Acme VPN");
        assert_eq!(h.accounts().await.len(), 4);
        // Two different secrets under one name, for no account yet: which
        // one is right is for a person to say, so neither creates one.
        let twins = format!(
            "otpauth://totp/Okta:ops?secret={S1}&issuer=Okta\n\
             otpauth://totp/Okta:ops?secret={S5}&issuer=Okta\n"
        );
        let r = import(&h, &twins, false).await;
        assert_eq!(
            actions(&r),
            vec![
                triple("Okta", "ops", "ambiguous"),
                triple("Okta", "ops", "ambiguous")
            ]
        );
        assert!(
            r.entries[0].reason.as_deref().unwrap_or("").starts_with(
                "ambiguous: entries 1 and 2 are both Okta / ops, with different secrets"
            ),
            "{:?}",
            r.entries[0]
        );
        assert_eq!(h.accounts().await.len(), 4);
    }
}

/// Issue 14, item 3: the same seed twice in one file (same issuer, account
/// name and secret, names compared without case or spaces) is imported once
/// and the repeat is listed as a duplicate: no second account.
#[tokio::test]
async fn duplicate_entries_import_once() {
    for h in Harness::all("otp_import_dupes").await {
        let ig = h.brand_instagram().await;
        let list = format!(
            "otpauth://totp/GitHub:alice%40example.com?secret={S1}&issuer=GitHub\n\
             otpauth://totp/Instagram:acme.social?secret={S2}&issuer=Instagram\n\
             otpauth://totp/github:Alice%40Example.com?secret={S1}&issuer=github\n\
             otpauth://totp/Instagram:acme.social?secret={S2}&issuer=Instagram\n"
        );
        let preview = import(&h, &list, true).await;
        let done = import(&h, &list, false).await;
        for r in [&preview, &done] {
            assert_eq!(
                r.entries
                    .iter()
                    .map(|p| p.action.as_str())
                    .collect::<Vec<_>>(),
                vec!["create", "set", "duplicate", "duplicate"],
                "{}: {r:?}",
                h.backend
            );
            assert_eq!(
                r.entries[2].reason.as_deref(),
                Some(
                    "duplicate of entry 1 (same issuer, account name and secret): not imported twice"
                )
            );
            assert_eq!(
                r.entries[3].reason.as_deref(),
                Some(
                    "duplicate of entry 2 (same issuer, account name and secret): not imported twice"
                )
            );
            assert_eq!((r.created, r.set, r.duplicates), (1, 1, 2));
        }
        let accounts = h.accounts().await;
        assert_eq!(accounts.len(), 2, "{}", h.backend);
        let seeds = seeds(&h).await;
        assert_eq!(seeds.len(), 2);
        assert!(seeds.contains(&(ig, "Instagram".to_owned())));
    }
}

//! `App::import_otp`: which account each imported seed lands on, and what
//! the preview says about the entries it does not apply.

use crate::Harness;
use orthrus_app::{ImportEntryPlan, ImportReport};

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
                p.action,
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
        let ig = h
            .account("instagram", "Brand Instagram", "acme.social")
            .await;
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
        assert_eq!(
            h.store
                .list_accounts(h.owner.workspace_id)
                .await
                .unwrap()
                .len(),
            1
        );

        let done = h
            .app
            .import_otp(&h.owner, &csv, false, false)
            .await
            .unwrap();
        assert_eq!(actions(&done), actions(&preview));
        let accounts = h.store.list_accounts(h.owner.workspace_id).await.unwrap();
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

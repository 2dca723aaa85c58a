//! Moving authenticator seeds in and out: bulk import from other
//! authenticators (Google Authenticator export QR codes, Aegis, 2FAS,
//! Bitwarden, CSV, otpauth lists) with a preview, and export as an otpauth
//! list or an age file encrypted with a passphrase.

use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Result};
use orthrus_core::{AccountId, AccountRole, EventId};
use orthrus_crypto::Aad;
use orthrus_otp::import::{ImportFormat, ImportedEntry};
use orthrus_otp::{OtpParams, Secret};
use orthrus_store::{AccountRow, MemberRow, OtpRow, OtpSlot};
use serde::Serialize;

/// What an import does (or would do) with one entry.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportEntryPlan {
    /// Position in the file among the entries that carry a one-time password.
    pub index: usize,
    pub issuer: Option<String>,
    pub account_name: Option<String>,
    /// totp, hotp or steam; null for an entry that could not be read.
    pub kind: Option<String>,
    pub algorithm: Option<String>,
    pub digits: Option<u8>,
    pub period: Option<u32>,
    /// set (on an existing account), create (a new account), skip (the
    /// account already has an authenticator), or invalid (the entry could
    /// not be read: `reason` says why; the other entries still import).
    pub action: &'static str,
    pub account_id: Option<String>,
    pub account_label: Option<String>,
    pub reason: Option<String>,
}

/// The preview (dry run) or the outcome of an import.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub format: String,
    pub entries: Vec<ImportEntryPlan>,
    pub set: usize,
    pub created: usize,
    pub skipped: usize,
    /// Entries that could not be read (action invalid).
    pub invalid: usize,
    /// Items of the file without any one-time password (Bitwarden logins
    /// without a TOTP, secure notes, empty CSV cells): not entries, skipped.
    pub without_otp: usize,
}

/// An export file.
#[derive(Debug)]
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub filename: &'static str,
    pub count: usize,
}

fn format_name(f: ImportFormat) -> &'static str {
    match f {
        ImportFormat::UriList => "otpauth list",
        ImportFormat::Aegis => "Aegis",
        ImportFormat::TwoFas => "2FAS",
        ImportFormat::Bitwarden => "Bitwarden",
        ImportFormat::BitwardenCsv => "Bitwarden CSV",
        ImportFormat::Csv => "CSV",
        ImportFormat::Image => "QR code picture",
    }
}

/// An import file that could not be read, with a code per cause.
fn import_error(e: orthrus_otp::OtpError) -> AppError {
    use orthrus_otp::OtpError;
    match e {
        OtpError::QrTimeout => crate::uploads::upload_timeout("import.timeout"),
        OtpError::TooManyEntries { .. } => AppError::invalid("import.too_many", e.to_string()),
        OtpError::ImageTooLarge { .. } => {
            AppError::invalid("import.image_too_large", e.to_string())
        }
        e => AppError::invalid("import.invalid", e.to_string()),
    }
}

fn norm(s: &Option<String>) -> String {
    s.as_deref().unwrap_or("").trim().to_lowercase()
}

/// Does this entry belong to this account? By issuer and label, or by the
/// app and the username.
fn matches(e: &ImportedEntry, a: &AccountRow) -> bool {
    let (issuer, name) = (norm(&e.params.issuer), norm(&e.params.account_name));
    let label = a.label.trim().to_lowercase();
    let user = a.username.trim().to_lowercase();
    let app_matches = !issuer.is_empty()
        && (orthrus_core::app_key(&issuer) == a.app && a.app != "generic"
            || label.contains(&issuer));
    (app_matches && !name.is_empty() && user == name)
        || (!issuer.is_empty() && !name.is_empty() && label == format!("{issuer} ({name})"))
        || (!issuer.is_empty()
            && label == issuer
            && (name.is_empty() || user.is_empty() || user == name))
        || (issuer.is_empty() && !name.is_empty() && (label == name || user == name))
}

fn new_label(e: &ImportedEntry) -> String {
    match (
        e.params.issuer.as_deref().filter(|s| !s.is_empty()),
        e.params.account_name.as_deref().filter(|s| !s.is_empty()),
    ) {
        (Some(i), Some(n)) => format!("{i} ({n})"),
        (Some(i), None) => i.to_owned(),
        (None, Some(n)) => n.to_owned(),
        (None, None) => "Imported account".to_owned(),
    }
    .chars()
    .take(100)
    .collect()
}

impl App {
    /// Imports seeds from another authenticator. With `dry_run` nothing is
    /// written and the report is the preview. Entries are matched to accounts
    /// the caller owns; the others become new accounts (the caller is their
    /// Owner). An account that already has an authenticator is skipped
    /// unless `replace`. Imported seeds are active at once: they already work
    /// in the app. Applying needs step-up.
    pub async fn import_otp(
        &self,
        actor: &Actor,
        bytes: &[u8],
        dry_run: bool,
        replace: bool,
    ) -> Result<ImportReport> {
        self.check(actor, Action::CreateAccount)?;
        if !dry_run {
            self.require_step_up(actor)?;
        }
        // Parsing (and decoding QR pictures) is CPU work: off the executor,
        // a few at once, within a deadline (see uploads.rs).
        let data = bytes.to_vec();
        let (format, contents) = self
            .parse_upload("import.busy", "import.timeout", move |deadline| {
                (
                    orthrus_otp::import::detect_format(&data),
                    orthrus_otp::import::read_import_until(&data, Some(deadline)),
                )
            })
            .await?;
        let format = format.map_err(|e| AppError::invalid("import.unrecognized", e.to_string()))?;
        let contents = contents.map_err(import_error)?;
        if contents.entries.is_empty() {
            let without = match contents.without_otp {
                0 => String::new(),
                1 => " (1 item has no one-time password)".to_owned(),
                n => format!(" ({n} items have no one-time password)"),
            };
            return Err(AppError::invalid(
                "import.empty",
                format!("the file holds no authenticator entries{without}"),
            ));
        }
        // Accounts whose MFA the caller may change.
        let candidates: Vec<AccountRow> = if self.permits(actor, Action::ReachEveryAccount) {
            self.inner.store.list_accounts(actor.workspace_id).await?
        } else {
            self.inner
                .store
                .list_accounts_for_user(actor.workspace_id, actor.user_id)
                .await?
                .into_iter()
                .filter(|(_, r)| {
                    Self::may(
                        orthrus_core::Subject {
                            workspace_role: actor.role,
                            account_role: Some(*r),
                        },
                        Action::ManageMfa,
                    )
                })
                .map(|(a, _)| a)
                .collect()
        };
        let active: std::collections::HashSet<AccountId> = self
            .inner
            .store
            .list_active_otp(actor.workspace_id)
            .await?
            .into_iter()
            .map(|r| r.account_id)
            .collect();
        let mut report = ImportReport {
            dry_run,
            format: format_name(format).to_owned(),
            entries: Vec::new(),
            set: 0,
            created: 0,
            skipped: 0,
            invalid: 0,
            without_otp: contents.without_otp,
        };
        let mut claimed = std::collections::HashSet::new();
        for (index, e) in contents.entries.into_iter().enumerate() {
            let e = match e {
                Ok(e) => e,
                Err(rejected) => {
                    report.invalid += 1;
                    report.entries.push(ImportEntryPlan {
                        index,
                        issuer: rejected.issuer,
                        account_name: rejected.account_name,
                        kind: None,
                        algorithm: None,
                        digits: None,
                        period: None,
                        action: "invalid",
                        account_id: None,
                        account_label: None,
                        reason: Some(rejected.error.to_string()),
                    });
                    continue;
                }
            };
            let target = candidates
                .iter()
                .find(|a| !claimed.contains(&a.id) && matches(&e, a));
            let mut plan = ImportEntryPlan {
                index,
                issuer: e.params.issuer.clone(),
                account_name: e.params.account_name.clone(),
                kind: Some(e.params.kind.as_str().to_owned()),
                algorithm: Some(e.params.algorithm.as_str().to_owned()),
                digits: Some(e.params.digits),
                period: Some(e.params.period),
                action: "create",
                account_id: target.map(|a| a.id.to_string()),
                account_label: Some(
                    target
                        .map(|a| a.label.clone())
                        .unwrap_or_else(|| new_label(&e)),
                ),
                reason: None,
            };
            match target {
                Some(a) if active.contains(&a.id) && !replace => {
                    plan.action = "skip";
                    plan.reason = Some("the account already has an authenticator (import with replace to overwrite)".into());
                    report.skipped += 1;
                }
                Some(a) => {
                    claimed.insert(a.id);
                    plan.action = "set";
                    report.set += 1;
                    if !dry_run {
                        self.store_imported_otp(actor, a.id, e.secret, e.params)
                            .await?;
                    }
                }
                None => {
                    report.created += 1;
                    if !dry_run {
                        let id = self.create_imported_account(actor, &e).await?;
                        plan.account_id = Some(id.to_string());
                        self.store_imported_otp(actor, id, e.secret, e.params)
                            .await?;
                    }
                }
            }
            report.entries.push(plan);
        }
        if !dry_run {
            self.audit(actor, Event::new("otp.import").detail(serde_json::json!({"format": report.format, "set": report.set, "created": report.created, "skipped": report.skipped, "invalid": report.invalid}))).await?;
        }
        Ok(report)
    }

    async fn create_imported_account(&self, actor: &Actor, e: &ImportedEntry) -> Result<AccountId> {
        let now = self.now();
        let id = AccountId::new(self.inner.clock.as_ref(), self.rng());
        let row = AccountRow {
            id,
            workspace_id: actor.workspace_id,
            app: orthrus_core::app_key(e.params.issuer.as_deref().unwrap_or("")).to_owned(),
            label: new_label(e),
            login_url: String::new(),
            username: e
                .params
                .account_name
                .clone()
                .unwrap_or_default()
                .chars()
                .take(256)
                .collect(),
            // The password is not part of an authenticator export; an owner adds it later.
            password: self.inner.envelope.seal_str(
                self.rng(),
                &Aad::new("accounts", &id.to_string(), "password"),
                "",
            )?,
            notes: None,
            version: 1,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
        };
        let owner = MemberRow {
            workspace_id: actor.workspace_id,
            account_id: id,
            user_id: actor.user_id,
            role: AccountRole::Owner,
            added_by: actor.user_id,
            added_at: now,
        };
        self.inner.store.create_account(&row, &owner, &[]).await?;
        self.audit(
            actor,
            Event::new("account.create")
                .target("account", id)
                .detail(serde_json::json!({"app": row.app, "label": row.label, "via": "import"})),
        )
        .await?;
        Ok(id)
    }

    async fn store_imported_otp(
        &self,
        actor: &Actor,
        account: AccountId,
        secret: Secret,
        params: OtpParams,
    ) -> Result<()> {
        let eid = EventId::new(self.inner.clock.as_ref(), self.rng());
        let now = self.now();
        let row = OtpRow {
            workspace_id: actor.workspace_id,
            account_id: account,
            slot: OtpSlot::Active,
            id: eid,
            secret: self.inner.envelope.seal(
                self.rng(),
                &Aad::new("account_otp", &eid.to_string(), "secret"),
                secret.as_bytes(),
            )?,
            kind: params.kind.as_str().to_owned(),
            algorithm: params.algorithm.as_str().to_owned(),
            digits: i64::from(params.digits),
            period: i64::from(params.period),
            counter: i64::try_from(params.counter).unwrap_or(0),
            issuer: params.issuer,
            account_name: params.account_name,
            source: "import".into(),
            enrolled_by: actor.user_id,
            enrolled_at: now,
            confirmed_at: Some(now),
        };
        self.inner.store.put_otp(&row).await?;
        self.audit(
            actor,
            Event::new("account.mfa_imported").target("account", account),
        )
        .await
    }

    /// Exports the workspace's active seeds (workspace Owner or Super Admin,
    /// step-up): `otpauth` gives a plain list, `age` an age file encrypted
    /// with `passphrase`.
    pub async fn export_otp(
        &self,
        actor: &Actor,
        format: &str,
        passphrase: Option<&str>,
    ) -> Result<ExportFile> {
        self.check(actor, Action::ExportSeeds)?;
        if !matches!(format, "otpauth" | "age") {
            return Err(AppError::invalid(
                "export.invalid_format",
                "format is otpauth or age",
            ));
        }
        let pass = if format == "age" {
            let p = passphrase.unwrap_or("");
            if p.chars().count() < 12 {
                return Err(AppError::invalid(
                    "export.weak_passphrase",
                    "use a passphrase of at least 12 characters for an encrypted export",
                ));
            }
            Some(p.to_owned())
        } else {
            None
        };
        self.require_second_person(actor, "export", "").await?;
        let mut entries = Vec::new();
        for row in self.inner.store.list_active_otp(actor.workspace_id).await? {
            let g = self.otp_generator(&row)?;
            entries.push(ImportedEntry {
                secret: g.secret,
                params: g.params,
            });
        }
        let list = orthrus_otp::import::format_uri_list(&entries);
        let count = entries.len();
        self.audit(
            actor,
            Event::new("otp.export").detail(serde_json::json!({"format": format, "count": count})),
        )
        .await?;
        match pass {
            None => Ok(ExportFile {
                bytes: list.into_bytes(),
                content_type: "text/plain; charset=utf-8",
                filename: "orthrus-authenticator.txt",
                count,
            }),
            Some(p) => {
                let bytes = self
                    .blocking(move || age_encrypt(list.as_bytes(), &p))
                    .await??;
                Ok(ExportFile {
                    bytes,
                    content_type: "application/octet-stream",
                    filename: "orthrus-authenticator.txt.age",
                    count,
                })
            }
        }
    }
}

/// Encrypts with an age passphrase (scrypt) recipient.
fn age_encrypt(plain: &[u8], passphrase: &str) -> Result<Vec<u8>> {
    use std::io::Write;
    let enc = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(
        passphrase.to_owned(),
    ));
    let mut out = Vec::new();
    let fail = |e: std::io::Error| AppError::Internal(format!("age: {e}"));
    let mut w = enc.wrap_output(&mut out).map_err(fail)?;
    w.write_all(plain).map_err(fail)?;
    w.finish().map_err(fail)?;
    Ok(out)
}

/// Decrypts an age file made with a passphrase (for tests and imports of
/// our own exports).
pub fn age_decrypt(data: &[u8], passphrase: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let bad = |m: String| AppError::invalid("import.age", m);
    let dec = age::Decryptor::new_buffered(data).map_err(|e| bad(e.to_string()))?;
    let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(passphrase.to_owned()));
    let mut r = dec
        .decrypt(std::iter::once(&id as &dyn age::Identity))
        .map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| bad(e.to_string()))?;
    Ok(out)
}
